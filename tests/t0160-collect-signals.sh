#!/bin/sh
# The signal policy of the commands that write a bundle (src/cmd/signals.c), for snapshot as
# for collect: an interrupt removes the bundle being written and exits 128 + the signal.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
# A read-rate cap makes a run last long enough to interrupt it, however fast the machine (a
# run against the CPU's speed alone finished before its signal on a quiet one): 16 MiB at
# 4 MiB a second take four seconds.
head -c 16M /dev/urandom >"$T/var/log/nginx/big.log"
SLOW="--io-rate 4M"

# signal_snapshot SIGNAL: start a slow first snapshot into out/, send SIGNAL mid-run, print
# the exit code.
signal_snapshot() {
	"$LOGPACK" snapshot --state st --root "$T" -o out $SLOW >/dev/null 2>err &
	pid=$!
	in_flight "$pid" out || return 1
	kill -"$1" "$pid"
	set +e
	wait "$pid"
	echo $?
	set -e
}

t "snapshot, SIGINT mid-run: exit 130, the temporary bundle removed, nothing under a final name" '
	mkdir out
	test "$(signal_snapshot INT)" = 130
	test -z "$(ls -A out)"
	contains err "interrupted; the partial bundle was removed"
'

t "snapshot, SIGHUP mid-run: exit 129 and nothing left behind" '
	mkdir out
	test "$(signal_snapshot HUP)" = 129
	test -z "$(ls -A out)"
'

t "collect, SIGHUP mid-run: exit 129 and nothing left behind" '
	mkdir out
	"$LOGPACK" collect --root "$T" -o out $SLOW >/dev/null 2>err &
	pid=$!
	in_flight $pid out
	kill -HUP $pid
	expect_code 129 wait $pid
	test -z "$(ls -A out)"
	contains err "interrupted"
'

test_done
