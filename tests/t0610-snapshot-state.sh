#!/bin/sh
# The snapshot state: private, locked, never silently reset; retention; and a run killed at
# any point (SIGKILL), then run again, leaves a whole series with no byte lost or repeated.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
L=$T/var/log
make_debian_tree "$T"

t "a state directory open to others is refused, and nothing is written" '
	mkdir -m 755 st out
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out 2>err
	grep -q "st: must be owned by this user and private (mode 0700, it is 0755)" err
	test -z "$(ls out)"
'

t "a second run while one holds the lock fails at once (exit 3)" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	python3 -c "import fcntl, sys, time; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(30)" st/lock &
	# Wait until the holder has the lock.
	while flock -n st/lock true; do sleep 0.1; done
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out 2>err
	grep -q "another snapshot with this state is running" err
	test "$(ls out/*.tar.zst | wc -l)" = 1
	kill $! 2>/dev/null || :
	wait
'

t "a damaged state file is reported and left as it is, never reset" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	cp st/state.json good.json
	head -c 300 good.json >st/state.json
	cp st/state.json damaged.json
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out 2>err
	grep -q "state.json is damaged" err
	grep -q "move it aside to start a new series" err
	cmp st/state.json damaged.json
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d[\"files\"][0][\"prefix_sha256\"]=\"zz\"; json.dump(d, open(sys.argv[2],\"w\"))" good.json st/state.json
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out 2>err
	grep -q "state.json is damaged (file record 1 is malformed)" err
	test "$(ls out/*.tar.zst | wc -l)" = 1
'

t "a state belongs to one root" '
	mkdir out other
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	expect_code 3 "$LOGPACK" snapshot --state st --root other -o out 2>err
	grep -q "belongs to a series of --root" err
'

t "options: --state is required, -o must be a directory, bad --keep values" '
	expect_code 2 "$LOGPACK" snapshot --root "$T" 2>err
	grep -q "state DIR is required" err
	expect_code 2 "$LOGPACK" snapshot --state st --keep 0 2>err
	expect_code 2 "$LOGPACK" snapshot --state st --keep-for soon 2>err
	grep -q "not a duration" err
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o file.tar.zst 2>err
	grep -q "a snapshot needs an output directory" err
	"$LOGPACK" snapshot --help | grep -q -- "--keep-for DURATION"
'

t "--keep N removes the oldest bundles and their sidecars, never the state" '
	mkdir out
	for i in 1 2 3 4; do
		echo "line $i" >>"$L/auth.log"
		"$LOGPACK" snapshot --state st --root "$T" -o out --keep 2 >/dev/null 2>err
	done
	grep -q "removed .*-000002-.* (retention)" err
	test "$(ls out | grep -c "\.tar\.zst$")" = 2
	test "$(ls out | grep -c "\.sha256$")" = 2
	ls out | grep -q -- "-000003-"
	ls out | grep -q -- "-000004-"
	test -s st/state.json
	test "$(python3 -c "import json; print(len(json.load(open(\"st/state.json\"))[\"bundles\"]))")" = 2
'

t "--keep-for removes bundles older than the duration, but never the newest" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	echo more >>"$L/auth.log"
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	sleep 2
	"$LOGPACK" snapshot --state st --root "$T" -o out --keep-for 1s --json >j
	python3 -c "import json; d=json.load(open(\"j\")); assert len(d[\"removed\"]) == 2, d"
	test "$(ls out | grep -c "\.tar\.zst$")" = 1
	ls out | grep -q -- "-000003-"
'

t "a state directory inside the root, where the profile looks, is never collected" '
	mkdir out
	"$LOGPACK" snapshot --state "$L/nginx/lp[1]" --root "$T" -o out >/dev/null
	echo more >>"$L/auth.log"
	expect_code 0 "$LOGPACK" snapshot --state "$L/nginx/lp[1]" --root "$T" -o out >o 2>e
	BAG=$(bag_of "$(newest_bundle out)" x)
	test "$(payload_list "$BAG")" = "data/var/log/auth.log"
	grep -q "\"path\":\"/var/log/nginx/lp\[1\]/state.json\",.*\"status\":\"skipped\"" "$BAG/logpack/files.jsonl"
	rm -rf "$L/nginx/lp[1]"
'

t "the space check counts only what the snapshot will store" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --json >j1
	echo "one more line" >>"$L/syslog"
	"$LOGPACK" snapshot --state st --root "$T" -o out --json >j2
	python3 - j1 j2 <<PY
import json, sys
first, second = (json.load(open(f)) for f in sys.argv[1:])
assert first["estimate_bytes"] > first["bytes_new"] > 60000, first
assert second["bytes_new"] == 14, second
assert second["estimate_bytes"] < 1024 * 1024 + 14 + 1536 * 30, second
PY
'

# A tree big enough that a run takes a while, so that kills land at every stage.
make_debian_tree "$TRASH/big"
BL=$TRASH/big/var/log
seq 1 400000 | sed "s/^/Nov 26 big syslog line /" >"$BL/syslog"

t "runs killed with SIGKILL at random points, then run again, leave a whole series" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$TRASH/big" -o out -c gzip >/dev/null
	for round in 1 2 3 4 5 6 7 8 9 10 11 12; do
		seq 1 30000 | sed "s/^/Nov 27 round $round line /" >>"$BL/syslog"
		echo "auth round $round" >>"$BL/auth.log"
		before=$(ls out | grep -c "\.tar\.gz$")
		"$LOGPACK" snapshot --state st --root "$TRASH/big" -o out -c gzip >/dev/null 2>&1 &
		pid=$!
		if [ $((round % 3)) = 0 ]; then
			# Right after the bundle got its final name, before the state is updated.
			while kill -0 $pid 2>/dev/null &&
				[ "$(ls out | grep -c "\.tar\.gz$")" = "$before" ]; do :; done
		else
			sleep "0.$(shuf -i 0-60 -n 1)"
		fi
		kill -9 $pid 2>/dev/null || :
		wait $pid || :
		if [ $((round % 2)) = 0 ]; then
			"$LOGPACK" snapshot --state st --root "$TRASH/big" -o out -c gzip >/dev/null 2>>log
		fi
	done
	"$LOGPACK" snapshot --state st --root "$TRASH/big" -o out -c gzip >/dev/null 2>>log
	grep "adopted" log || echo "(no kill landed between the rename and the state update)"
	left=$(ls -A out | grep "^\." || :)
	if [ -n "$left" ]; then echo "left in out: $left"; false; fi
	if [ -e st/pending.json ]; then echo "left: st/pending.json"; cat st/pending.json; false; fi
	for b in out/*.tar.gz; do (cd out && sha256sum -c --quiet "$(basename "$b").sha256"); done
	expect_code 0 "$LOGPACK" verify --chain out >v
	refute grep -q "^problem" v
	expect_code 0 "$LOGPACK" extract --chain out rebuilt >/dev/null
	cmp rebuilt/var/log/syslog "$BL/syslog"
	cmp rebuilt/var/log/auth.log "$BL/auth.log"
'

test_done
