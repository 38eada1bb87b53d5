#!/bin/sh
# A --passphrase-file that group or others can read is refused, as a private key is: whoever
# can read the passphrase can use the key.
. "$TEST_SRCDIR/test-lib.sh"

make_debian_tree "$TRASH/root"
printf "correct horse battery\n" >"$TRASH/pass"
chmod 600 "$TRASH/pass"
lp -q keygen --out "$TRASH/ek" --subject "/CN=Encrypted" --passphrase-file "$TRASH/pass" \
	>/dev/null 2>&1 || exit 1

for mode in 640 604 644; do
	t "keygen refuses a passphrase file of mode $mode and writes no key" '
		printf "correct horse battery\n" >pass
		chmod '"$mode"' pass
		expect_code 3 lp keygen --out k --subject "/CN=Open" --passphrase-file pass \
			>out 2>err
		contains err "pass: permissions 0'"$mode"' are too open"
		if [ -e k.key ]; then echo "a key was written" && exit 1; fi
	'
	t "collect refuses a passphrase file of mode $mode before collecting" '
		mkdir out
		printf "correct horse battery\n" >pass
		chmod '"$mode"' pass
		expect_code 3 lp collect --root "$TRASH/root" -o "$PWD/out" --sign-key "$TRASH/ek.key" \
			--sign-cert "$TRASH/ek.crt" --passphrase-file pass >stdout 2>err
		contains err "permissions 0'"$mode"' are too open"
		lacks err "correct horse"
		test -z "$(ls -A out)"
	'
done

t "a passphrase file of mode 600 still opens the key" '
	mkdir out
	lp -q collect --root "$TRASH/root" -o "$PWD/out/b.tar.zst" --sign-key "$TRASH/ek.key" \
		--sign-cert "$TRASH/ek.crt" --passphrase-file "$TRASH/pass" >/dev/null
	expect_code 0 lp verify --trust "$TRASH/ek.crt" out/b.tar.zst >/dev/null
'
test_done
