#!/bin/sh
# verify over many bundles: directories of bundles, worker processes (--parallel), the table
# (bundle, host, time, signer, trust, TLP, case, verdict) and --json, the same whatever the
# number of workers; a worker that dies costs only its own bundle.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

cd "$FX"
make_root root
echo web1 >root/etc/hostname
make_key host1 "/O=Example AB/CN=web1"
make_key other "/CN=stranger"
lp incident init template.txt
answers_en >answers.txt
fill template.txt answers.txt >report.txt
mkdir in
collect_signed in/a.tar.zst host1 --incident report.txt
collect_signed in/b.tar.zst host1
collect_signed in/c.tar.zst other
lp -q collect --root root -o in/d.tar.zst >/dev/null
cp in/a.tar.zst in/e.tar.zst
cp in/a.tar.zst.sha256 in/e.tar.zst.sha256
# One flipped byte in the middle of e: INVALID.
size=$(stat -c %s in/e.tar.zst)
flip_byte in/e.tar.zst $((size / 2))
echo "not a bundle" >in/f.tar
echo "ignored: not a bundle name" >in/notes.txt

t "a directory stands for its bundles, by name; the table names each with its facts" '
	cd "$FX"
	expect_code 4 lp verify --trust host1.crt in >out
	test "$(sed -n 1p out | cut -d: -f1)" = in/a.tar.zst
	test "$(sed -n 6p out | cut -d: -f1)" = in/f.tar
	lacks out notes.txt
	grep -q "^in/a.tar.zst: valid, signed by /O=Example AB/CN=web1, trusted; TLP:AMBER$" out
	grep -q "^in/c.tar.zst: valid, signed by /CN=stranger, NOT trusted" out
	grep -q "^in/d.tar.zst: valid, unsigned" out
	grep -q "^in/e.tar.zst: INVALID" out
	grep -q "^in/f.tar: INVALID" out
	grep -q "^BUNDLE  *HOST  *TIME  *SIGNER  *TRUST  *TLP  *CASE  *VERDICT$" out
	grep -Eq "^a\.tar\.zst +web1 +20[0-9-]+T[0-9:]+Z +web1 +trusted +TLP:AMBER +INC-2026-0042 +valid$" out
	grep -Eq "^c\.tar\.zst +web1 .* stranger +NOT trusted +- +- +valid$" out
	grep -Eq "^d\.tar\.zst +web1 .* - +unsigned +- +- +valid$" out
	grep -q "^6 bundles: 2 trusted, 1 NOT trusted, 1 unsigned, 2 INVALID, 0 unreadable$" out
'

t "--parallel gives the same lines, table, JSON and exit code as one at a time" '
	cd "$FX"
	expect_code 4 lp verify --trust host1.crt in >serial.out
	for n in 2 3 8; do
		expect_code 4 lp verify --parallel $n --trust host1.crt in >par.out
		cmp serial.out par.out
	done
	expect_code 4 lp verify --trust host1.crt --json in >serial.json
	expect_code 4 lp verify --parallel 4 --trust host1.crt --json in >par.json
	jq -S . serial.json >a.json
	jq -S . par.json >b.json
	cmp a.json b.json
	test "$(jq -r ".bundles[0].bag_info.case" par.json)" = INC-2026-0042
	test "$(jq -r ".bundles[0].bag_info.host" par.json)" = web1
	test "$(jq -r ".bundles[0].bag_info.claimed" par.json)" = false
	test "$(jq -r ".bundles | length" par.json)" = 6
	test "$(jq -r ".exit_code" par.json)" = 4
'

t "the workers are really separate processes, at most N at once, none left behind" '
	cd "$FX"
	mkdir -p many
	for i in $(seq 1 12); do
		cp in/b.tar.zst many/b$i.tar.zst
		cp in/b.tar.zst.sha256 many/b$i.tar.zst.sha256
	done
	# LeakSanitizer cannot run under ptrace: off for this one run in a sanitizer build.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=clone,clone3,fork,vfork -o trace.txt \
		"$LOGPACK" verify --parallel 3 --trust host1.crt many >out
	test "$(grep -c ": valid, signed by" out)" = 12
	# New processes only: the reader runs threads of its own (CLONE_THREAD).
	grep -E "^[0-9]+ +(clone|clone3|fork|vfork)\(" trace.txt >forks
	test "$(grep -vc CLONE_THREAD forks)" = 3
	"$LOGPACK" verify --trust host1.crt many >serial.out
	cmp out serial.out
'

t "a worker that dies loses only its own bundle, named as unreadable" '
	cd "$FX"
	LOGPACK_TEST_VERIFY_WORKER_DIE=b.tar.zst expect_code 4 lp verify --parallel 2 --trust host1.crt in >out
	grep -q "^in/b.tar.zst: cannot read: the checking process was killed by signal 9$" out
	grep -q "^in/a.tar.zst: valid, signed by /O=Example AB/CN=web1, trusted; TLP:AMBER$" out
	grep -q "^in/d.tar.zst: valid, unsigned" out
	grep -q "^6 bundles: 1 trusted, 1 NOT trusted, 1 unsigned, 2 INVALID, 1 unreadable$" out
'

t "the facts of an INVALID bundle are marked as claims in the table and the JSON" '
	cd "$FX"
	mkdir -p claims
	cp in/a.tar.zst claims/x.tar.zst
	unpack in/a.tar.zst un >/dev/null
	bag=$(echo un/logpack-*)
	echo "extra" >>"$bag/data/var/log/syslog"
	(cd un && tar -cf "$FX/claims/y.tar" logpack-*)
	expect_code 4 lp verify --trust host1.crt claims >out
	grep -Eq "^y\.tar +web1\? .* web1\? +- +TLP:AMBER\? +INC-2026-0042\? +INVALID$" out
	expect_code 4 lp verify --trust host1.crt --json claims >out.json
	test "$(jq -r ".bundles[1].bag_info.claimed" out.json)" = true
'

t "bad --parallel values are refused; a directory with no bundle is judged as a bag" '
	cd "$FX"
	expect_code 2 lp verify --parallel 0 in 2>err
	contains err "--parallel: not a count from 1 to 256"
	expect_code 2 lp verify --parallel x in 2>err
	contains err "--parallel"
	mkdir -p empty/data
	expect_code 4 lp verify empty >out
	contains out "empty: INVALID"
	contains out "bagit.txt"
'

test_done
