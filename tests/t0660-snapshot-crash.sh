#!/bin/sh
# Crash recovery at exact points, not at random: LOGPACK_TEST_CRASH_AT (a test-only hook in
# src/series/recovery.c) makes a snapshot kill itself with SIGKILL at a named place.
#   after-bundle-rename   the bundle has its final name (and sidecar); state.json is not updated
#   before-bundle-rename  pending.json is written; the bundle is still a temporary file
# The next run must adopt the first (the series goes on after it, gapless) and drop the second
# (the same bytes are taken again), so that no byte is lost or taken twice.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
L=$T/var/log
make_debian_tree "$T"

# state_sequence DIR: the last sequence number state.json records.
state_sequence() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sequence"])' "$1/state.json"
}

# count_bundles DIR: how many finished bundles DIR holds.
count_bundles() {
	ls "$1" | grep -c '\.tar\.zst$' || :
}

t "killed between the bundle's rename and the state update: the next run adopts the bundle" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	printf "Nov 28 first append\n" >>"$L/syslog"
	printf "Nov 28 auth first\n" >>"$L/auth.log"
	expect_code 137 env LOGPACK_TEST_CRASH_AT=after-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	# Killed exactly there: the bundle is final, the state still says snapshot 1.
	B2=$(bundle_seq "$PWD/out" 2)
	test -s "$B2"
	test -s "$B2.sha256"
	test -s st/pending.json
	test "$(state_sequence st)" = 1
	printf "Nov 28 second append\n" >>"$L/syslog"
	expect_code 0 "$LOGPACK" snapshot --state st --root "$T" -o out --json >j 2>err
	python3 - j "$B2" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert d["recovered"] == sys.argv[2], d["recovered"]
assert d["sequence"] == 3, d["sequence"]
PY
	test ! -e st/pending.json
	test "$(state_sequence st)" = 3
	test "$(count_bundles out)" = 3
	# Snapshot 3 took only what came after snapshot 2: nothing twice.
	BAG=$(bag_of "$(bundle_seq out 3)" x3)
	test "$(payload_list "$BAG")" = "data/var/log/syslog"
	printf "Nov 28 second append\n" | cmp - "$BAG/data/var/log/syslog"
	tm2=$(tar -xOf "$B2" --wildcards "*/tagmanifest-sha256.txt" | sha256sum | cut -d" " -f1)
	contains "$BAG/bag-info.txt" "LogPack-Snapshot-Previous: $tm2"
	expect_code 0 "$LOGPACK" verify --chain out >v
	lacks v "problem"
	expect_code 0 "$LOGPACK" extract --chain out rebuilt >/dev/null
	cmp rebuilt/var/log/syslog "$L/syslog"
	cmp rebuilt/var/log/auth.log "$L/auth.log"
'

t "an adopted bundle whose sidecar the kill prevented gets its .sha256 written" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	printf "Nov 28 sidecar append\n" >>"$L/syslog"
	expect_code 137 env LOGPACK_TEST_CRASH_AT=after-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	B2=$(bundle_seq "$PWD/out" 2)
	# As if the kill had come between the bundle'"'"'s rename and its sidecar'"'"'s.
	rm "$B2.sha256"
	expect_code 0 "$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	contains err "adopted $B2"
	(cd out; sha256sum --strict -c "$(basename "$B2").sha256")
	test "$(stat -c %a "$B2.sha256")" = 600
	expect_code 0 "$LOGPACK" verify --chain out >v
	lacks v "problem"
'

t "killed before the rename: only a temporary file; nothing adopted, nothing lost" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	printf "Nov 29 before the rename\n" >>"$L/syslog"
	cp "$L/syslog" syslog.want
	expect_code 137 env LOGPACK_TEST_CRASH_AT=before-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	test -s st/pending.json
	test "$(state_sequence st)" = 1
	test "$(count_bundles out)" = 1
	test "$(ls -A out | grep -c "^\.logpack-.*-snapshot-.*-000002-")" = 1
	expect_code 0 "$LOGPACK" snapshot --state st --root "$T" -o out --json >j 2>err
	lacks err "adopted"
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert d[\"recovered\"] is None and d[\"sequence\"] == 2, d" j
	test ! -e st/pending.json
	test -z "$(ls -A out | grep "^\.")"
	test "$(count_bundles out)" = 2
	# Snapshot 2 holds the bytes the killed run had taken, exactly once.
	BAG=$(bag_of "$(bundle_seq out 2)" x2)
	test "$(payload_list "$BAG")" = "data/var/log/syslog"
	printf "Nov 29 before the rename\n" | cmp - "$BAG/data/var/log/syslog"
	expect_code 0 "$LOGPACK" verify --chain out >v
	lacks v "problem"
	expect_code 0 "$LOGPACK" extract --chain out rebuilt >/dev/null
	cmp rebuilt/var/log/syslog syslog.want
'

t "a pending bundle that is not the snapshot it should be is not adopted, and is reported" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	printf "Nov 29 tampered\n" >>"$L/syslog"
	expect_code 137 env LOGPACK_TEST_CRASH_AT=after-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	B2=$(bundle_seq "$PWD/out" 2)
	cp "$(bundle_seq out 1)" "$B2"
	rm "$B2.sha256"
	cp st/pending.json pending.before
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	contains err "does not hold snapshot 2 of series"
	cmp st/pending.json pending.before
	test "$(state_sequence st)" = 1
	test "$(count_bundles out)" = 2
'

t "a pending bundle cut short after its rename does not verify, and is not adopted" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	printf "Nov 29 cut short\n" >>"$L/syslog"
	expect_code 137 env LOGPACK_TEST_CRASH_AT=after-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	B2=$(bundle_seq "$PWD/out" 2)
	size=$(stat -c %s "$B2")
	head -c $((size / 2)) "$B2" >cut
	cat cut >"$B2"
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	contains err "$B2"
	test -s st/pending.json
	test "$(state_sequence st)" = 1
	rm "$B2.sha256"
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null 2>err
	contains err "is INVALID"
	test "$(state_sequence st)" = 1
'

test_done
