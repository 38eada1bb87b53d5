#!/bin/sh
# extract --key: an encrypted bundle extracted as it is decrypted, into a staging directory that
# is renamed into place only after the cipher's last check (MDC, age's last chunk, GCM tag) and
# removed when that check fails, even with --force; a wrong key or no key: nothing written.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/encrypt-lib.sh"

t "setup: receivers of the three kinds; one signed collect to all of them" '
	cd "$FX"
	receivers rsa:2048 keyEncipherment
	encrypted_bundle
	mkdir ref
	age -d -i a1 b.age | tar --zstd -x -C ref
'
t "each kind extracts to the same tree as stock age + tar" '
	cd "$FX"
	for args in "-k pgp.key b.gpg" "-k a1 b.age" "-k x.key --cert x.crt b.p7m" "-k x.key b.enc"; do
		rm -rf dest
		expect_code 0 lp extract --trust sig.crt $args dest >printed
		test "$(cat printed)" = "dest/$(ls ref)"
		diff -r ref dest
	done
'
t "from standard input with --key" '
	cd "$FX"
	rm -rf dest
	lp extract -k pgp.key - dest <b.gpg >/dev/null
	diff -r ref dest
'
t "altered or truncated: exit 4, the reason, and nothing left in DIR, even with --force" '
	cd "$FX"
	for kind in gpg age enc; do
		case $kind in
		gpg) key="-k pgp.key" ;;
		age) key="-k a1" ;;
		enc) key="-k x.key --cert x.crt"; cp b.p7m t.p7m ;;
		esac
		for pos in mid end cut; do
			if [ $pos = cut ]; then head -c -100 b.$kind >t.$kind; else flip b.$kind $pos t.$kind; fi
			rm -rf dest
			expect_code 4 lp extract $key t.$kind dest 2>err
			contains err "nothing extracted"
			test ! -e dest
			mkdir dest
			expect_code 4 lp extract --force $key t.$kind dest 2>err
			test -z "$(ls -A dest)"
			rmdir dest
		done
	done
'
t "the last byte of an OpenPGP file: the MDC fails after the whole archive was staged" '
	cd "$FX"
	flip b.gpg end t.gpg
	mkdir d5
	expect_code 4 lp extract --force -k pgp.key t.gpg d5 2>err
	contains err "the modification detection code does not match"
	contains err "the encrypted file does not authenticate: nothing extracted"
	test -z "$(ls -A d5)"
'
t "a wrong key, or none: exit 3 before anything is written" '
	cd "$FX"
	expect_code 3 lp extract -k a2 b.age d6 2>err
	contains err "is not encrypted to this key"
	contains err "; nothing extracted"
	test ! -e d6
	expect_code 3 lp extract b.gpg d6 2>err
	contains err "b.gpg: encrypted to OpenPGP key ID"
	test ! -e d6
	expect_code 3 lp extract -k a1 b.gpg d6 2>err
	test ! -e d6
'
t "extract --chain --key: snapshots encrypted with stock age" '
	cd "$FX"
	mkdir -p sroot/etc sroot/var/log ser enc
	printf "ID=debian\n" >sroot/etc/os-release
	echo "line one" >sroot/var/log/auth.log
	lp snapshot --state st --root sroot -o ser >/dev/null 2>&1
	echo "line two" >>sroot/var/log/auth.log
	lp snapshot --state st --root sroot -o ser >/dev/null 2>&1
	for b in ser/*.tar.zst; do age -r "$(grep -o "age1.*" a1)" -o "enc/$(basename "$b").age" "$b"; done
	expect_code 0 lp extract --chain -k a1 enc/*.age rebuilt >/dev/null 2>&1
	cmp sroot/var/log/auth.log rebuilt/var/log/auth.log
	head -c -100 "$(ls enc/*.age | tail -n 1)" >cut.age
	expect_code 4 lp extract --chain -k a1 "$(ls enc/*.age | head -n 1)" cut.age again >/dev/null 2>&1
	test ! -e again/var
'
test_done
