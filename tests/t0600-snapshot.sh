#!/bin/sh
# snapshot on a tree that changes between runs: appends, rotation (rename + new file,
# copytruncate, compression), and the anomalies an intruder leaves (truncation, rewriting,
# replacing, deleting). Each snapshot holds exactly the new bytes; the chain verifies; the
# files are rebuilt from the series byte for byte, including what was wiped.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
OUT=$TRASH/out
ST=$TRASH/state
ORIG=$TRASH/orig
L=$T/var/log
make_debian_tree "$T"
mkdir -p "$OUT" "$ORIG"

t "the first snapshot takes every file whole, as collect does" '
	snap "$TRASH/s1" --state "$ST" --root "$T" -o "$OUT"
	test "$(cat "$TRASH/s1.rc")" = 0
	B=$(newest_bundle "$OUT")
	test "$(cat "$TRASH/s1")" = "$B"
	BAG=$(bag_of "$B" "$TRASH/x1")
	(cd "$BAG" && sha256sum --strict -c manifest-sha256.txt >/dev/null &&
		sha256sum --strict -c tagmanifest-sha256.txt >/dev/null)
	cmp "$BAG/data/var/log/syslog" "$L/syslog"
	cmp "$BAG/data/var/log/auth.log" "$L/auth.log"
	grep -q "^LogPack-Snapshot-Sequence: 1$" "$BAG/bag-info.txt"
	grep -q "^LogPack-Snapshot-Series: [0-9a-f]\{32\}$" "$BAG/bag-info.txt"
	refute grep -q "^LogPack-Snapshot-Previous:" "$BAG/bag-info.txt"
	test "$(stat -c %a "$ST")" = 700
	test "$(stat -c %a "$ST/state.json")" = 600
	(cd "$OUT" && sha256sum -c "$(basename "$B").sha256")
'
# Keep what the host held, to compare the rebuilt files with.
cp "$L/syslog" "$ORIG/syslog.v1"

t "an append is stored as just the new bytes, with its offset, chained to snapshot 1" '
	size=$(stat -c %s "$L/syslog")
	printf "Nov 27 appended one\nNov 27 appended two\n" >>"$L/syslog"
	snap "$TRASH/s2" --state "$ST" --root "$T" -o "$OUT"
	test "$(cat "$TRASH/s2.rc")" = 0
	BAG=$(bag_of "$(newest_bundle "$OUT")" "$TRASH/x2")
	test "$(payload_list "$BAG")" = "data/var/log/syslog"
	printf "Nov 27 appended one\nNov 27 appended two\n" | cmp - "$BAG/data/var/log/syslog"
	grep -q "\"offset\":$size," "$BAG/logpack/segments.jsonl"
	PREV=$(bag_of "$(bundle_seq "$OUT" 1)" "$TRASH/x1b")
	tm=$(sha256sum <"$PREV/tagmanifest-sha256.txt" | cut -d" " -f1)
	grep -q "^LogPack-Snapshot-Previous: $tm$" "$BAG/bag-info.txt"
	grep -q "^LogPack-Snapshot-Sequence: 2$" "$BAG/bag-info.txt"
	s1=$(sed -n "s/^LogPack-Snapshot-Series: //p" "$PREV/bag-info.txt")
	grep -q "^LogPack-Snapshot-Series: $s1$" "$BAG/bag-info.txt"
	test ! -s "$BAG/logpack/anomalies.jsonl"
'
cp "$L/syslog" "$ORIG/syslog.v2"

t "logrotate by rename: the old file continues under its new name, the new one is whole" '
	mv "$L/syslog.2.gz" "$L/syslog.3.gz"
	gzip -9 -c "$L/syslog.1" >"$L/syslog.2.gz"
	rm "$L/syslog.1"
	mv "$L/syslog" "$L/syslog.1"
	printf "Nov 27 written after the rename\n" >>"$L/syslog.1"
	printf "Nov 28 fresh syslog\n" >"$L/syslog"
	snap "$TRASH/s3" --state "$ST" --root "$T" -o "$OUT"
	test "$(cat "$TRASH/s3.rc")" = 0
	BAG=$(bag_of "$(newest_bundle "$OUT")" "$TRASH/x3")
	test "$(payload_list "$BAG" | tr "\n" " ")" = "data/var/log/syslog data/var/log/syslog.1 "
	printf "Nov 27 written after the rename\n" | cmp - "$BAG/data/var/log/syslog.1"
	cmp "$L/syslog" "$BAG/data/var/log/syslog"
	grep -q "\"path\":\"/var/log/syslog.2.gz\",\"event\":\"compressed\"" "$BAG/logpack/segments.jsonl"
	grep -q "\"path\":\"/var/log/syslog.3.gz\",\"event\":\"renamed\"" "$BAG/logpack/segments.jsonl"
	test ! -s "$BAG/logpack/anomalies.jsonl"
'
cp "$L/syslog.1" "$ORIG/syslog.1.v3"
cp "$L/auth.log" "$ORIG/auth.log.v1"

t "copytruncate: the copy continues the old file, the truncated one starts again" '
	printf "Nov 27 before the copy\n" >>"$L/auth.log"
	cp -p "$L/auth.log" "$L/auth.log.1"
	: >"$L/auth.log"
	printf "Nov 28 after the truncation, a much longer line than before %s\n" \
		$(seq 1 20) >>"$L/auth.log"
	snap "$TRASH/s4" --state "$ST" --root "$T" -o "$OUT"
	test "$(cat "$TRASH/s4.rc")" = 0
	BAG=$(bag_of "$(newest_bundle "$OUT")" "$TRASH/x4")
	test "$(payload_list "$BAG" | tr "\n" " ")" = "data/var/log/auth.log data/var/log/auth.log.1 "
	printf "Nov 27 before the copy\n" | cmp - "$BAG/data/var/log/auth.log.1"
	cmp "$L/auth.log" "$BAG/data/var/log/auth.log"
	test ! -s "$BAG/logpack/anomalies.jsonl"
'
cp "$L/auth.log.1" "$ORIG/auth.log.1.v4"
cp "$L/wtmp" "$ORIG/wtmp.v1"
cp "$L/dpkg.log" "$ORIG/dpkg.log.v1"
cp "$L/apt/history.log" "$ORIG/history.log.v1"
cp "$L/syslog.1" "$ORIG/syslog.1.v4"

t "truncating, rewriting in place, replacing and deleting are anomalies (exit 7)" '
	truncate -s 100 "$L/wtmp"
	# An intruder edits one line in the middle, in place and by replacing the file.
	python3 -c "
import sys
with open(sys.argv[1], \"r+b\") as f:
    f.seek(200)
    f.write(b\"XXXXXX\")
" "$L/syslog.1"
	sed -i "s/openssh-server/nothing-to-see/" "$L/dpkg.log"
	rm "$L/apt/history.log"
	snap "$TRASH/s5" --state "$ST" --root "$T" -o "$OUT"
	test "$(cat "$TRASH/s5.rc")" = 7
	BAG=$(bag_of "$(newest_bundle "$OUT")" "$TRASH/x5")
	A=$BAG/logpack/anomalies.jsonl
	test "$(wc -l <"$A")" = 4
	grep -q "\"kind\":\"truncated\",\"path\":\"/var/log/wtmp\"" "$A"
	grep -q "\"kind\":\"rewritten\",\"path\":\"/var/log/syslog.1\"" "$A"
	grep -q "\"kind\":\"replaced\",\"path\":\"/var/log/dpkg.log\"" "$A"
	grep -q "\"kind\":\"disappeared\",\"path\":\"/var/log/apt/history.log\"" "$A"
	grep -q "anomaly: truncated /var/log/wtmp" "$TRASH/s5"
	grep -q "anomaly: disappeared /var/log/apt/history.log" "$TRASH/s5"
	grep -q "ANOMALY rewritten /var/log/syslog.1" "$BAG/logpack/collection.log"
	grep -q "^LogPack-Snapshot-Anomalies: 4$" "$BAG/bag-info.txt"
	"$LOGPACK" show "$(newest_bundle "$OUT")" >"$TRASH/show5"
	grep -q "^Snapshot: *5 of series [0-9a-f]*, 4 anomalies$" "$TRASH/show5"
	grep -q "4 anomalies" "$TRASH/s5.err"
	# What changed is taken whole again, so that the new content is held too.
	cmp "$L/wtmp" "$BAG/data/var/log/wtmp"
	cmp "$L/syslog.1" "$BAG/data/var/log/syslog.1"
	cmp "$L/dpkg.log" "$BAG/data/var/log/dpkg.log"
'

t "a snapshot with nothing new stores nothing and reports no anomaly" '
	snap "$TRASH/s6" --state "$ST" --root "$T" -o "$OUT"
	test "$(cat "$TRASH/s6.rc")" = 0
	BAG=$(bag_of "$(newest_bundle "$OUT")" "$TRASH/x6")
	test -z "$(payload_list "$BAG")"
	test ! -s "$BAG/logpack/anomalies.jsonl"
	grep -q "^LogPack-Snapshot-Sequence: 6$" "$BAG/bag-info.txt"
'

t "the chain of six verifies, and lists the anomalies of the series (exit 7)" '
	expect_code 7 "$LOGPACK" verify --chain "$OUT" >"$TRASH/v"
	cat "$TRASH/v"
	test "$(grep -c ": snapshot [1-6] of series [0-9a-f]*: valid, unsigned; " "$TRASH/v")" = 6
	grep -q "anomaly: snapshot 5: truncated /var/log/wtmp" "$TRASH/v"
	if grep -q "^problem:" "$TRASH/v"; then exit 1; fi
'

t "verify --chain --json: the chain, each bundle, and the anomalies as data" '
	expect_code 7 "$LOGPACK" verify --chain --json "$OUT" >"$TRASH/vj"
	python3 - "$TRASH/vj" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert d["chain"] == "whole", d["chain"]
assert [b["sequence"] for b in d["bundles"]] == [1, 2, 3, 4, 5, 6]
assert all(b["intact"] for b in d["bundles"])
assert sorted(a["kind"] for a in d["anomalies"]) == ["disappeared", "replaced", "rewritten", "truncated"]
assert d["problems"] == []
PY
'

t "extract rebuilds every file byte for byte, including what was later wiped" '
	expect_code 0 "$LOGPACK" extract --chain "$OUT" "$TRASH/rebuilt" >"$TRASH/xo"
	R=$TRASH/rebuilt/var/log
	cmp "$R/syslog" "$L/syslog"
	cmp "$R/auth.log" "$L/auth.log"
	cmp "$R/wtmp" "$L/wtmp"
	cmp "$R/dpkg.log" "$L/dpkg.log"
	# Rotated files under their latest names; a file compressed by rotation after it was
	# taken, as what it decompresses to; one taken compressed, as it was.
	cmp "$R/auth.log.1" "$ORIG/auth.log.1.v4"
	gzip -dc "$L/syslog.2.gz" | cmp - "$R/syslog.2"
	cmp "$L/syslog.3.gz" "$R/syslog.3.gz"
	# Wiped content: before the truncation, the rewrite, the replacement, the deletion.
	cmp "$ORIG/wtmp.v1" "$R"/wtmp.~*~
	cmp "$ORIG/syslog.1.v4" "$R"/syslog.1.~*~
	cmp "$R/syslog.1" "$L/syslog.1"
	cmp "$ORIG/dpkg.log.v1" "$R"/dpkg.log.~*~
	cmp "$ORIG/history.log.v1" "$R/apt/history.log"
'

t "removing a snapshot from the series makes the chain INVALID" '
	mkdir gap
	cp "$OUT"/*.tar.zst gap/
	rm gap/*-snapshot-*-000003-*
	expect_code 4 "$LOGPACK" verify --chain gap >"$TRASH/v"
	grep -q "a snapshot is missing" "$TRASH/v"
	expect_code 4 "$LOGPACK" extract --chain gap "$TRASH/nothing"
	test ! -e "$TRASH/nothing" || test -z "$(ls -A "$TRASH/nothing")"
'

# rebag BAG: make a bag valid again after an edit (as a forger would): new manifests.
rebag() {
	(cd "$1" && find data -type f | LC_ALL=C sort | xargs -r sha256sum >manifest-sha256.txt &&
		sha256sum bagit.txt bag-info.txt manifest-sha256.txt $(find logpack -type f | LC_ALL=C sort) \
			>tagmanifest-sha256.txt)
}

t "replacing a snapshot by a forged, self-consistent one makes the chain INVALID" '
	mkdir forged
	cp "$OUT"/*.tar.zst forged/
	B=$(ls forged/*-snapshot-*-000002-*)
	BAG=$(bag_of "$B" "$TRASH/f2")
	sed -i "s/appended one/appended 0ne/" "$BAG/data/var/log/syslog"
	rebag "$BAG"
	rm "$B"
	tar -C "$TRASH/f2" --zstd -cf "$B" "$(basename "$BAG")"
	(cd "$BAG" && sha256sum --strict -c --quiet manifest-sha256.txt tagmanifest-sha256.txt)
	expect_code 4 "$LOGPACK" verify --chain forged >"$TRASH/v"
	grep -q "does not link to" "$TRASH/v"
'

t "reordering snapshots (swapping their sequence numbers) makes the chain INVALID" '
	mkdir swapped
	cp "$OUT"/*.tar.zst swapped/
	for n in 2 3; do
		B=$(ls swapped/*-snapshot-*-00000$n-*)
		BAG=$(bag_of "$B" "$TRASH/sw$n")
		sed -i "s/^LogPack-Snapshot-Sequence: $n$/LogPack-Snapshot-Sequence: $((5 - n))/" "$BAG/bag-info.txt"
		rebag "$BAG"
		rm "$B"
		tar -C "$TRASH/sw$n" --zstd -cf "$B" "$(basename "$BAG")"
	done
	expect_code 4 "$LOGPACK" verify --chain swapped >"$TRASH/v"
	grep -q "does not link to" "$TRASH/v"
'

t "an altered bundle in the series is INVALID" '
	mkdir altered
	cp "$OUT"/*.tar.zst altered/
	B=$(ls altered/*-snapshot-*-000004-*)
	BAG=$(bag_of "$B" "$TRASH/a4")
	echo tampered >>"$BAG/data/var/log/auth.log"
	rm "$B"
	tar -C "$TRASH/a4" --zstd -cf "$B" "$(basename "$BAG")"
	expect_code 4 "$LOGPACK" verify --chain altered >"$TRASH/v"
	grep -q "INVALID: .data/var/log/auth.log. does not match its SHA-256 checksum" "$TRASH/v"
'

t "a second series mixed in makes the chain INVALID" '
	mkdir other mixed
	cp "$OUT"/*.tar.zst mixed/
	"$LOGPACK" snapshot --state "$TRASH/state2" --root "$T" -o other >/dev/null 2>&1 || :
	cp other/*.tar.zst mixed/
	expect_code 4 "$LOGPACK" verify --chain mixed >"$TRASH/v"
	grep -q "more than one series" "$TRASH/v"
'

test_done
