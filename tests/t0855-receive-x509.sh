#!/bin/sh
# logpack receive with an X.509 key: a bundle encrypted to the CERT's certificate arrives as
# a pair (X.enc, its .sha256, and the header X.p7m); the pair is decrypted in the receiver,
# verified by its confined reader and accepted with every file of the group. Without the header,
# without the key, or with the content altered, it is rejected with the reason.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/receive-lib.sh"

receive_fixture

# pair DIR: a signed bundle encrypted to the CERT certificate in DIR; prints the .enc path.
pair() {
	"$LOGPACK" -q collect --root "$FX/root" -o "$1" --sign-key "$FX/snd.key" \
		--sign-cert "$FX/snd.crt" --encrypt-to "$FX/x509.crt"
}

t "setup: the CERT has an X.509 encryption key and certificate" '
	(cd "$FX" && "$LOGPACK" -q keygen --type x509-encryption -o x509 --subject "/O=CERT/CN=x509" >/dev/null)
	test -f "$FX/x509.key"
	test -f "$FX/x509.crt"
'

t "a pair: decrypted, verified and accepted with its header and sidecar" '
	new_inbox
	E=$(pair in)
	N=$(basename "$E")
	S=${N%.enc}
	test -f "in/$S.p7m"
	expect_code 0 receive --key "$FX/x509.key" >out 2>err
	contains out "$N: accepted: valid, signed by /O=Sender Org/CN=sender, trusted"
	test -f "acc/$S/$N"
	test -f "acc/$S/$N.sha256"
	test -f "acc/$S/$S.p7m"
	test -z "$(ls in)"
'

t "no key, no header, or the content altered: rejected with the reason, all files kept" '
	new_inbox
	E=$(pair in)
	N=$(basename "$E")
	S=${N%.enc}
	expect_code 4 receive --key "$FX/ak" >out 2>err
	contains out "$N: rejected: cannot decrypt: an X.509-encrypted bundle, and no private key"
	test -f "rej/$S/$S.p7m"
	E=$(pair in)
	N=$(basename "$E")
	S=${N%.enc}
	rm "in/$S.p7m"
	expect_code 4 receive --key "$FX/x509.key" >out 2>err
	contains out "$N: rejected: cannot decrypt: an X.509 pair without its header (.p7m)"
	E=$(pair in)
	N=$(basename "$E")
	S=${N%.enc}
	size=$(wc -c <"in/$N")
	flip_byte "in/$N" $((size / 2))
	(cd in && sha256sum "$N" >"$N.sha256")
	expect_code 4 receive --key "$FX/x509.key" >out 2>err
	contains out "$N: rejected: cannot decrypt: the encrypted data does not authenticate"
	test -f "rej/$S/$S.p7m"
	test -z "$(ls acc)"
'

t "all three kinds of key at once: each bundle opens with its own" '
	new_inbox
	E=$(pair in)
	A=$(ls "$FX"/enc/*.age)
	cp "$A" "$A.sha256" in/
	expect_code 0 receive --key "$FX/ak" --key "$FX/x509.key" >out 2>err
	contains out "$(basename "$E"): accepted"
	contains out "$(basename "$A"): accepted"
'

test_done
