#!/bin/sh
# logpack receive with an OpenPGP key: bundles that stock gpg --encrypt (default settings,
# compressed) or logpack collect --encrypt-to encrypted to the CERT's OpenPGP key are decrypted
# in the receiver, verified by its confined reader and accepted; one altered, or with no
# OpenPGP key given, is rejected with the reason; age and OpenPGP keys work side by side.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/receive-lib.sh"

GNUPGHOME=$TRASH/gnupg
export GNUPGHOME
unset LOGPACK_KEY_PASSPHRASE
receive_fixture
B=$(plain_bundle)

# gpg_bundle UID OUT: the plain bundle encrypted by stock gpg to UID, with its sidecar.
gpg_bundle() {
	gpg --batch -q --trust-model always -r "$1" -o "$2" --encrypt <"$B"
	(cd "$(dirname "$2")" && sha256sum "$(basename "$2")" >"$(basename "$2").sha256")
}

t "setup: the CERT has an OpenPGP key (plain) and one with a passphrase; secret exports" '
	mkdir -m 700 "$GNUPGHOME"
	gpg --batch -q --passphrase "" --quick-gen-key "Cert <cert@example.org>" default default never 2>/dev/null
	gpg --batch -q --passphrase "pw 7" --quick-gen-key "Pw <pw@example.org>" rsa2048 sign,encr never 2>/dev/null
	(umask 077
	gpg --batch --export-secret-keys "Cert <cert@example.org>" >"$FX/pgp.key"
	gpg --batch --pinentry-mode loopback --passphrase "pw 7" \
		--export-secret-keys "Pw <pw@example.org>" >"$FX/pw.key")
	gpg --batch --export --armor "Cert <cert@example.org>" >"$FX/pgp.pub"
	test -s "$FX/pgp.key"
	test -s "$FX/pw.key"
'

t "a bundle from stock gpg --encrypt: decrypted, verified and accepted with its sidecar" '
	new_inbox
	gpg_bundle "Cert <cert@example.org>" in/case-1.tar.zst.gpg
	expect_code 0 receive --key "$FX/pgp.key" >out 2>err
	contains out "case-1.tar.zst.gpg: accepted: valid, signed by /O=Sender Org/CN=sender, trusted"
	test -f acc/case-1.tar.zst/case-1.tar.zst.gpg
	test -f acc/case-1.tar.zst/case-1.tar.zst.gpg.sha256
	test -z "$(ls in)"
'

t "a bundle from logpack collect --encrypt-to the published key: accepted" '
	new_inbox
	"$LOGPACK" -q collect --root "$FX/root" -o in --sign-key "$FX/snd.key" \
		--sign-cert "$FX/snd.crt" --encrypt-to "$FX/pgp.pub" >path
	case $(cat path) in *.gpg) ;; *) exit 1 ;; esac
	expect_code 0 receive --key "$FX/pgp.key" >out 2>err
	contains out "$(basename "$(cat path)"): accepted: valid, signed by /O=Sender Org/CN=sender"
'

t "no OpenPGP key given, or an altered file: rejected with the reason" '
	new_inbox
	gpg_bundle "Cert <cert@example.org>" in/case-2.tar.zst.gpg
	expect_code 4 receive --key "$FX/ak" >out 2>err
	contains out "case-2.tar.zst.gpg: rejected: cannot decrypt: an OpenPGP-encrypted bundle, and no OpenPGP key (--key) was given"
	test -f rej/case-2.tar.zst/case-2.tar.zst.gpg
	gpg_bundle "Cert <cert@example.org>" in/case-3.tar.zst.gpg
	size=$(wc -c <in/case-3.tar.zst.gpg)
	flip_byte in/case-3.tar.zst.gpg $((size / 2))
	(cd in && sha256sum case-3.tar.zst.gpg >case-3.tar.zst.gpg.sha256)
	expect_code 4 receive --key "$FX/pgp.key" >out 2>err
	contains out "case-3.tar.zst.gpg: rejected: cannot decrypt"
	test -f rej/case-3.tar.zst/case-3.tar.zst.gpg
	test -z "$(ls acc)"
'

t "an age key and an OpenPGP key together: each bundle opens with its own" '
	new_inbox
	E=$(ls "$FX"/enc/*.age)
	cp "$E" "$E.sha256" in/
	gpg_bundle "Cert <cert@example.org>" in/case-4.tar.zst.gpg
	expect_code 0 receive --key "$FX/ak" --key "$FX/pgp.key" >out 2>err
	contains out "case-4.tar.zst.gpg: accepted"
	contains out "$(basename "$E"): accepted"
'

t "age, OpenPGP and X.509 keys together (one of each kind): each bundle opens with its own" '
	new_inbox
	(cd "$FX" && "$LOGPACK" -q keygen --type x509-encryption -o x509 >/dev/null)
	E=$(ls "$FX"/enc/*.age)
	cp "$E" "$E.sha256" in/
	gpg_bundle "Cert <cert@example.org>" in/case-7.tar.zst.gpg
	expect_code 0 receive --key "$FX/ak" --key "$FX/pgp.key" --key "$FX/x509.key" >out 2>err
	contains out "case-7.tar.zst.gpg: accepted"
	contains out "$(basename "$E"): accepted"
'

t "a key protected by a passphrase: from LOGPACK_KEY_PASSPHRASE, else a clear error" '
	new_inbox
	gpg_bundle "Pw <pw@example.org>" in/case-5.tar.zst.gpg
	expect_code 3 receive --key "$FX/pw.key" >out 2>err
	contains err "LOGPACK_KEY_PASSPHRASE"
	test -f in/case-5.tar.zst.gpg
	LOGPACK_KEY_PASSPHRASE="pw 7" expect_code 0 receive --key "$FX/pw.key" >out 2>err
	contains out "case-5.tar.zst.gpg: accepted"
'

t "two keys of one kind, or a file that is neither: refused before anything moves" '
	new_inbox
	gpg_bundle "Cert <cert@example.org>" in/case-6.tar.zst.gpg
	expect_code 3 receive --key "$FX/pgp.key" --key "$FX/pgp.key" >out 2>err
	contains err "a second OpenPGP key"
	echo "not a key" >bad.key
	chmod 600 bad.key
	expect_code 3 receive --key bad.key >out 2>err
	contains err "bad.key"
	contains err "as an OpenPGP key"
	test -f in/case-6.tar.zst.gpg
'

test_done
