#!/bin/sh
# More of logrotate's ways, none of them an anomaly: dateext names, compression right away
# (no delaycompress), copytruncate then compress, bytes written between the last snapshot and
# the compression, and the oldest generation aged out. Then the rebuilt files are checked.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
L=$T/var/log
ORIG=$TRASH/orig
OUT=$TRASH/out
ST=$TRASH/state
make_debian_tree "$T"
mkdir -p "$OUT" "$ORIG"
seq 1 300 | sed 's/^/Nov 26 auth line /' >"$L/auth.log"
"$LOGPACK" snapshot --state "$ST" --root "$T" -o "$OUT" >/dev/null 2>&1

# run_snap NAME: a snapshot that must find no anomaly; its bag in $TRASH/NAME.
run_snap() {
	snap "$TRASH/$1" --state "$ST" --root "$T" -o "$OUT"
	cat "$TRASH/$1"
	test "$(cat "$TRASH/$1.rc")" = 0
	bag_of "$(newest_bundle "$OUT")" "$TRASH/$1.x" >"$TRASH/$1.bag"
}

t "dateext and compress at once: the .gz of exactly the held bytes is not taken again" '
	cp "$L/auth.log" "$ORIG/auth.v1"
	gzip -c "$L/auth.log" >"$L/auth.log-20261127.gz"
	: >"$L/auth.log"
	rm "$L/auth.log"
	echo "Nov 27 new auth" >"$L/auth.log"
	run_snap s2
	BAG=$(cat "$TRASH/s2.bag")
	test "$(payload_list "$BAG")" = "data/var/log/auth.log"
	grep -q "\"path\":\"/var/log/auth.log-20261127.gz\",\"event\":\"compressed\"" "$BAG/logpack/segments.jsonl"
'

t "bytes written after the last snapshot, then rotated and compressed: the .gz is taken whole" '
	echo "Nov 27 late line" >>"$L/auth.log"
	cp "$L/auth.log" "$ORIG/auth.v2"
	gzip -c "$L/auth.log" >"$L/auth.log-20261128.gz"
	echo "Nov 28 newer auth" >"$L/auth.log.new"
	mv "$L/auth.log.new" "$L/auth.log"
	run_snap s3
	BAG=$(cat "$TRASH/s3.bag")
	test "$(payload_list "$BAG" | tr "\n" " ")" = "data/var/log/auth.log data/var/log/auth.log-20261128.gz "
	cmp "$L/auth.log-20261128.gz" "$BAG/data/var/log/auth.log-20261128.gz"
	grep -q "a compressed copy of what the series holds of var/log/auth.log, and more: taken whole" "$BAG/logpack/collection.log"
'

t "copytruncate with immediate compression is recognised through the .gz" '
	seq 1 50 | sed "s/^/Nov 28 syslog /" >>"$L/syslog"
	"$LOGPACK" snapshot --state "$ST" --root "$T" -o "$OUT" >/dev/null 2>&1
	cp "$L/syslog" "$ORIG/syslog.v1"
	gzip -c "$L/syslog" >"$L/syslog.0.gz"
	: >"$L/syslog"
	echo "Nov 28 after copytruncate" >>"$L/syslog"
	run_snap s5
	BAG=$(cat "$TRASH/s5.bag")
	test "$(payload_list "$BAG")" = "data/var/log/syslog"
	grep -q "\"path\":\"/var/log/syslog.0.gz\",\"event\":\"compressed\"" "$BAG/logpack/segments.jsonl"
'

t "xz, zstd and bzip2 compressed rotations are recognised as gzip ones are" '
	for z in xz zstd bzip2; do
		echo "Nov 28 $z line" >>"$L/dpkg.log"
		"$LOGPACK" snapshot --state "$ST" --root "$T" -o "$OUT" >/dev/null 2>&1
		cp "$L/dpkg.log" "$ORIG/dpkg.$z"
		ext=$(case $z in xz) echo xz ;; zstd) echo zst ;; bzip2) echo bz2 ;; esac)
		$z -c "$L/dpkg.log" >"$L/dpkg.log.$z.$ext"
		echo "Nov 28 after $z" >"$L/dpkg.new"
		mv "$L/dpkg.new" "$L/dpkg.log"
		run_snap "s-$z"
		BAG=$(cat "$TRASH/s-$z.bag")
		test "$(payload_list "$BAG")" = "data/var/log/dpkg.log"
		grep -q "\"path\":\"/var/log/dpkg.log.$z.$ext\",\"event\":\"compressed\"" "$BAG/logpack/segments.jsonl"
	done
'

t "the oldest generation removed by rotation is noted, not an anomaly" '
	rm "$L/syslog.2.gz"
	mv "$L/syslog.1" "$L/syslog.2"
	run_snap s6
	BAG=$(cat "$TRASH/s6.bag")
	grep -q "var/log/syslog.2.gz: an old rotated generation, removed by rotation" "$BAG/logpack/collection.log"
	test ! -s "$BAG/logpack/anomalies.jsonl"
'

t "deleting a rotated file with no rotation in the same interval is an anomaly" '
	rm "$L/syslog.2"
	snap "$TRASH/s7" --state "$ST" --root "$T" -o "$OUT"
	test "$(cat "$TRASH/s7.rc")" = 7
	grep -q "anomaly: disappeared /var/log/syslog.2" "$TRASH/s7"
'

t "the series rebuilds every version of the rotated files" '
	expect_code 7 "$LOGPACK" verify --chain "$OUT" >v
	expect_code 6 "$LOGPACK" extract --chain "$OUT" rebuilt >/dev/null
	R=rebuilt/var/log
	cmp "$ORIG/auth.v1" "$R/auth.log-20261127"
	cmp "$L/auth.log-20261128.gz" "$R/auth.log-20261128.gz"
	# What snapshot 2 held of the file that was then compressed with more bytes in it;
	# all of it is in the .gz, which was taken whole.
	head -c 16 "$ORIG/auth.v2" | cmp - "$R"/auth.log.~*~
	test "$(stat -c %s "$R"/auth.log.~*~)" = 16
	gzip -dc "$R/auth.log-20261128.gz" | cmp - "$ORIG/auth.v2"
	cmp "$L/auth.log" "$R/auth.log"
	cmp "$ORIG/syslog.v1" "$R/syslog.0"
	cmp "$ORIG/dpkg.xz" "$R/dpkg.log.xz"
	cmp "$ORIG/dpkg.zstd" "$R/dpkg.log.zstd"
	cmp "$ORIG/dpkg.bzip2" "$R/dpkg.log.bzip2"
	cmp "$L/syslog" "$R/syslog"
'

test_done
