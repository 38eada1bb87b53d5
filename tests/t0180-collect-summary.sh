#!/bin/sh
# collect's end-of-run summary and --json: signed or not and by whom, and how many files were
# cut, grew or shrank while read; a file that shrank makes the run partial (exit 1).
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
seq 1 100000 >"$T/var/log/syslog.big"

jget() { # FILE KEY: the JSON value of KEY in FILE, as Python prints it
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}

t "an unsigned run says so, in the summary line and in --json" '
	mkdir out
	lp collect --root "$T" -o out >bundle 2>err
	contains err "not signed"
	lp collect --root "$T" -o out2 --json >sum.json
	test "$(jget sum.json signed)" = False
	test "$(jget sum.json signer)" = None
'

t "a signed run names the signer, in the summary line and in --json" '
	lp -q keygen --out k --subject "/O=Example CERT/CN=Jane Doe" >/dev/null
	mkdir out
	lp collect --root "$T" -o out --sign-key k.key --sign-cert k.crt >bundle 2>err
	contains err "signed by /O=Example CERT/CN=Jane Doe"
	lacks err "not signed"
	lp collect --root "$T" -o out2 --sign-key k.key --sign-cert k.crt --json >sum.json
	test "$(jget sum.json signed)" = True
	test "$(jget sum.json signer)" = "/O=Example CERT/CN=Jane Doe"
'

t "files cut to --max-file-size are counted, in the summary line and in --json" '
	mkdir out
	lp collect --root "$T" -o out --max-file-size 1K >bundle 2>err
	grep -Eq "[1-9][0-9]* files cut to --max-file-size, 0 grew while read, 0 shrank" err
	lp collect --root "$T" -o out2 --max-file-size 1K --json >sum.json
	test "$(jget sum.json files_truncated)" -ge 1
	test "$(jget sum.json files_grew)" = 0
	test "$(jget sum.json files_shrank)" = 0
'

t "a file that grows while read is counted in --json" '
	mkdir -p G/etc G/var/log out
	cp "$T/etc/os-release" G/etc/
	head -c 32M /dev/urandom >G/var/log/syslog
	( while :; do echo "appended line" >>G/var/log/syslog; done ) &
	writer=$!
	sleep 0.2
	set +e
	"$LOGPACK" collect --root G -o out --compress gzip --level 9 --json >sum.json
	rc=$?
	set -e
	kill $writer
	wait $writer 2>/dev/null || :
	test "$rc" = 0
	test "$(jget sum.json files_grew)" = 1
	test "$(jget sum.json partial)" = False
'

t "a file that shrinks while read: counted, the run is partial, exit 1" '
	mkdir -p S/etc S/var/log out
	cp "$T/etc/os-release" S/etc/
	head -c 16M /dev/urandom >S/var/log/syslog
	"$LOGPACK" collect --root S -o out --io-rate 4M --json >sum.json 2>err &
	pid=$!
	in_flight $pid out
	truncate -s 1M S/var/log/syslog
	set +e
	wait $pid
	rc=$?
	set -e
	test "$rc" = 1
	test "$(jget sum.json files_shrank)" = 1
	test "$(jget sum.json partial)" = True
	contains err "shrank while it was read"
'

test_done
