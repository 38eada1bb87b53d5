#!/bin/sh
# collect when things go wrong: interrupts, a full disk, files that change while read.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
# Incompressible data and gzip -9 make a run last long enough to interrupt it reliably.
head -c 96M /dev/urandom >"$T/var/log/nginx/big.log"
SLOW="--compress gzip --level 9"

# run_and_signal SIGNAL DIR: start a slow collect into DIR, send SIGNAL mid-run (once its
# temporary bundle has appeared in DIR and grown, so that a fast machine cannot finish first,
# nor a slow one be stopped before it writes), print the code.
run_and_signal() {
	"$LOGPACK" collect --root "$T" -o "$2" $SLOW >/dev/null 2>"$2.err" &
	pid=$!
	n=0
	while [ "$n" -lt 200 ] && [ -z "$(find "$2" -name ".logpack-*" -size +64k 2>/dev/null)" ]; do
		sleep 0.05
		n=$((n + 1))
	done
	kill -"$1" "$pid"
	set +e
	wait "$pid"
	echo $?
	set -e
}

t "SIGINT mid-run: exit 130, the temporary bundle removed, nothing under a final name" '
	mkdir out
	test "$(run_and_signal INT "$PWD/out")" = 130
	test -z "$(ls -A out)"
	contains out.err "interrupted"
'

t "SIGTERM mid-run: exit 143 and nothing left behind" '
	mkdir out
	test "$(run_and_signal TERM "$PWD/out")" = 143
	test -z "$(ls -A out)"
'

t "a destination that is too small is refused before anything is written" '
	mkdir small
	mount -t tmpfs -o size=1m tmpfs small
	set +e; "$LOGPACK" collect --root "$T" -o small 2>err; rc=$?; set -e
	test -z "$(ls -A small)"; umount small
	test "$rc" = 3
	contains err "not enough space in"
	contains err "--force"
'

t "ENOSPC while writing (with --force): exit 3, a clear error, no file left" '
	mkdir small
	mount -t tmpfs -o size=1m tmpfs small
	set +e; "$LOGPACK" collect --root "$T" -o small --force 2>err; rc=$?; set -e
	left=$(ls -A small); umount small
	test "$rc" = 3
	contains err "No space left on device"
	# The temporary bundle is named once, not once by each layer.
	test "$(grep -o "[.]tar[.]zst[.][A-Za-z0-9]*" err | wc -l)" = 1
	test -z "$left"
'

t "a file that grows while it is read: the size at open is stored, and flagged" '
	mkdir -p G/etc G/var/log
	cp "$T/etc/os-release" G/etc/
	head -c 32M /dev/urandom >G/var/log/syslog
	( while :; do echo "appended line" >>G/var/log/syslog; done ) &
	writer=$!
	sleep 0.2
	mkdir out
	"$LOGPACK" collect --root G -o out $SLOW >bundle
	kill $writer; wait $writer 2>/dev/null || :
	bag=$(bag_of "$(cat bundle)" x)
	python3 - "$bag" G/var/log/syslog <<"PY"
import hashlib, json, sys
bag, src = sys.argv[1], sys.argv[2]
rec = [json.loads(l) for l in open(bag + "/logpack/files.jsonl") if "\"/var/log/syslog\"" in l][0]
assert rec.get("grew") is True, rec
n = rec["stored_size"]
assert n == rec["size"], rec
prefix = open(src, "rb").read()[:n]
assert hashlib.sha256(prefix).hexdigest() == rec["sha256"], "stored bytes are not the prefix"
PY
	grep -q "grew while it was read" "$bag/logpack/collection.log"
	cd "$bag" && sha256sum -c --quiet manifest-sha256.txt
'

t "a file that shrinks while it is read: padded to the size at open, flagged, partial (exit 1)" '
	mkdir -p S/etc S/var/log
	cp "$T/etc/os-release" S/etc/
	head -c 16M /dev/urandom >S/var/log/syslog
	mkdir out
	"$LOGPACK" collect --root S -o out --io-rate 4M >bundle &
	pid=$!
	in_flight $pid out
	truncate -s 1M S/var/log/syslog
	set +e
	wait $pid
	rc=$?
	set -e
	test "$rc" = 1
	bag=$(bag_of "$(cat bundle)" x)
	python3 - "$bag" <<"PY"
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1] + "/logpack/files.jsonl") if "\"/var/log/syslog\"" in l][0]
assert rec.get("shrank") is True and rec["padding"] > 0, rec
assert rec["stored_size"] == 16 * 1024 * 1024 == rec["size"], rec
PY
	grep -q "ended [0-9]* bytes early; padded with zeros" "$bag/logpack/collection.log"
	cd "$bag" && sha256sum -c --quiet manifest-sha256.txt
'

t "a file that vanishes between listing and reading is recorded as skipped" '
	mkdir -p V/etc V/var/log
	cp "$T/etc/os-release" V/etc/
	head -c 16M /dev/urandom >V/var/log/auth.log
	echo bye >V/var/log/syslog
	mkdir out
	"$LOGPACK" collect --root V -o out --io-rate 4M >bundle &
	pid=$!
	in_flight $pid out
	rm V/var/log/syslog
	wait $pid
	bag=$(bag_of "$(cat bundle)" x)
	grep "\"/var/log/syslog\"" "$bag/logpack/files.jsonl" | grep -q "vanished before it could be read"
'

t "a root that does not exist is a clear error (exit 3)" '
	expect_code 3 lp collect --root "$TRASH/no/such/dir" 2>err
	contains err "--root $TRASH/no/such/dir: No such file or directory"
'
test_done
