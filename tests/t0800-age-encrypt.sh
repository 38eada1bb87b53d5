#!/bin/sh
# collect --encrypt-to age1...: one age file that stock `age -d` opens with any recipient's key
# (and no other), holding the bundle that verifies as an unencrypted one does.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"

t "setup: a root with an incompressible log of several age chunks, three age keys" '
	cd "$FX"
	make_debian_tree root
	head -c 300000 /dev/urandom >root/var/log/syslog.3
	for k in k1 k2 k3; do age-keygen -o $k 2>/dev/null; grep -o "age1.*" $k >$k.pub; done
	mkdir enc
	lp -q collect --root root -o enc --encrypt-to "$(cat k1.pub)" \
		--encrypt-to "$(cat k2.pub)" >enc.path
	test -s enc.path
'
t "one file, named logpack-<random id>.age, nothing of the host in its name, and its sidecar" '
	cd "$FX"
	f=$(cat enc.path)
	ls enc >list
	test "$(wc -l <list)" -eq 2
	grep -Eqx "logpack-[0-9a-f]{16}\.age" list
	grep -Eqx "logpack-[0-9a-f]{16}\.age\.sha256" list
	lacks list testhost
	(cd enc && sha256sum -c --quiet ./*.sha256)
	test "$(head -n 1 "$f")" = "age-encryption.org/v1"
	test "$(grep -c "^-> X25519 " "$f")" -eq 2
	refute tar -tf "$f"
	if grep -aq "Failed password" "$f"; then echo "plaintext in the file" >&2; exit 1; fi
'
t "stock age -d opens it with either recipient key, to the same bundle that verifies" '
	cd "$FX"
	f=$(cat enc.path)
	age -d -i k1 -o plain1.tar.zst "$f"
	age -d -i k2 -o plain2.tar.zst "$f"
	cmp plain1.tar.zst plain2.tar.zst
	test "$(wc -c <plain1.tar.zst)" -gt 196608
	expect_code 0 lp verify plain1.tar.zst >out
	contains out "valid, unsigned"
	tar --zstd -xf plain1.tar.zst
	bag=$(ls -d logpack-testhost-*)
	(cd "$bag" && sha256sum -c --quiet manifest-sha256.txt)
	cmp "$bag/data/var/log/syslog.3" root/var/log/syslog.3
'
t "a key that is not a recipient cannot open it" '
	cd "$FX"
	refute age -d -i k3 -o x "$(cat enc.path)" 2>err
	test ! -s x
'
t "--keep-name: the usual name plus .age; a signed bundle stays signed inside" '
	cd "$FX"
	lp -q keygen --out sig --subject /CN=Sender >/dev/null
	mkdir kept
	lp -q collect --root root -o kept --encrypt-to "$(cat k3.pub)" --keep-name \
		--sign-key sig.key --sign-cert sig.crt >path
	case "$(cat path)" in kept/logpack-testhost-*.tar.zst.age) ;; *) cat path; exit 1 ;; esac
	age -d -i k3 -o signed.tar.zst "$(cat path)"
	lp verify --trust sig.crt signed.tar.zst >out
	contains out "valid"
'
t "-o FILE.age names the encrypted file as given; other compressions go through too" '
	cd "$FX"
	lp -q collect --root root -o given.age -c gzip --encrypt-to "$(cat k1.pub)" >/dev/null
	test -f given.age
	age -d -i k1 -o given.tar.gz given.age
	gzip -t given.tar.gz
	expect_code 0 lp verify given.tar.gz >/dev/null
'
t "a bad recipient or --keep-name alone: a usage error before anything is written" '
	cd "$FX"
	mkdir none
	expect_code 2 lp collect --root root -o none --encrypt-to age1qqqqqqqqqqqqqq 2>err
	contains err "is not an age recipient"
	bad=$(sed "s/.$/q/" k1.pub)
	[ "$bad" != "$(cat k1.pub)" ] || bad=$(sed "s/.$/p/" k1.pub)
	expect_code 2 lp collect --root root -o none --encrypt-to "$bad" 2>err
	contains err "bad checksum"
	expect_code 2 lp collect --root root -o none --encrypt-to some.asc 2>err
	contains err "--encrypt-to: some.asc: No such file or directory"
	expect_code 2 lp collect --root root -o none --keep-name 2>err
	contains err "--keep-name needs --encrypt-to"
	test -z "$(ls -A none)"
'
test_done
