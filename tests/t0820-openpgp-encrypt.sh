#!/bin/sh
# collect --encrypt-to KEYFILE (an OpenPGP public key): a .gpg file that stock gpg --decrypt
# opens (PKESK to the RSA encryption subkey, SEIPD with MDC, AES-256, no compression); keys that
# are expired, revoked or cannot encrypt are refused before anything is read.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"
GNUPGHOME=$FX/gnupg
export GNUPGHOME

# newkey UID ALGO USAGE EXPIRE: a key without passphrase; prints its fingerprint.
newkey() {
	gpg --batch -q --passphrase "" --quick-gen-key "$1" "$2" "$3" "$4" 2>/dev/null
	gpg --list-keys --with-colons "$1" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'
}

t "setup: a CERT key (RSA, signing primary key and an encryption subkey), a second one" '
	mkdir -p -m 700 "$GNUPGHOME"
	cd "$FX"
	make_debian_tree root
	head -c 300000 /dev/urandom >root/var/log/syslog.3
	fpr=$(newkey "CERT <cert@example.org>" rsa3072 sign never)
	gpg --batch -q --passphrase "" --quick-add-key "$fpr" rsa3072 encr never 2>/dev/null
	gpg --export --armor "$fpr" >cert.asc
	gpg --export "$fpr" >cert.gpg
	fpr2=$(newkey "Partner <p@example.org>" rsa2048 sign,encr never)
	gpg --export "$fpr2" >partner.gpg
	echo "$fpr" >cert.fpr
	mkdir enc
	lp -q collect --root root -o enc --encrypt-to cert.asc --encrypt-to partner.gpg >enc.path
'
t "one file logpack-<random id>.gpg; gpg lists a packet to each recipient key, no compression" '
	cd "$FX"
	f=$(cat enc.path)
	case "$f" in enc/logpack-????????????????.gpg) ;; *) echo "$f"; exit 1 ;; esac
	(cd enc && sha256sum -c --quiet ./*.sha256)
	gpg --batch --list-packets "$f" >packets 2>&1 || :
	test "$(grep -c "^:pubkey enc packet: version 3, algo 1" packets)" -eq 2
	contains packets ":encrypted data packet:"
	contains packets "mdc_method: 2"
	lacks packets "compressed packet"
	if grep -aq "Failed password" "$f"; then echo "plaintext in the file" >&2; exit 1; fi
'
t "stock gpg --decrypt opens it, to a bundle that verifies, byte for byte the same for both keys" '
	cd "$FX"
	gpg --batch --status-fd 3 --decrypt -o plain.tar.zst "$(cat enc.path)" 3>status 2>err
	contains status "DECRYPTION_OKAY"
	contains status "GOODMDC"
	contains status "DECRYPTION_INFO 2 9"
	expect_code 0 lp verify plain.tar.zst >out
	contains out "valid, unsigned"
	tar --zstd -xf plain.tar.zst
	cmp logpack-testhost-*/data/var/log/syslog.3 root/var/log/syslog.3
'
t "a binary key, --keep-name, and a bundle signed inside" '
	cd "$FX"
	lp -q keygen --out sig --subject /CN=Sender >/dev/null
	mkdir kept
	lp -q collect --root root -o kept --encrypt-to cert.gpg --keep-name \
		--sign-key sig.key --sign-cert sig.crt >path
	case "$(cat path)" in kept/logpack-testhost-*.tar.zst.gpg) ;; *) cat path; exit 1 ;; esac
	gpg --batch -q --decrypt -o signed.tar.zst "$(cat path)" 2>/dev/null
	lp verify --trust sig.crt signed.tar.zst >out
	contains out "valid"
'
t "an expired key is refused before anything is written" '
	cd "$FX"
	fpr=$(gpg --batch -q --passphrase "" --faked-system-time 20200101T000000 \
		--quick-gen-key "Old <old@example.org>" rsa2048 sign,encr 2020-06-01 2>/dev/null;
		gpg --list-keys --with-colons "Old <old@example.org>" | awk -F: "/^fpr/ { print \$10; exit }")
	gpg --export --armor "$fpr" >old.asc
	mkdir -p none
	expect_code 2 lp collect --root root -o none --encrypt-to old.asc 2>err
	contains err "key $fpr expired on 2020-06-01"
	test -z "$(ls -A none)"
'
t "a revoked key is refused" '
	cd "$FX"
	fpr=$(newkey "Gone <gone@example.org>" rsa2048 sign,encr never)
	sed "s/^:-----/-----/" "$GNUPGHOME/openpgp-revocs.d/$fpr.rev" | gpg --batch -q --import 2>/dev/null
	gpg --export --armor "$fpr" >gone.asc
	mkdir -p none
	expect_code 2 lp collect --root root -o none --encrypt-to gone.asc 2>err
	contains err "key $fpr is revoked"
	test -z "$(ls -A none)"
'
t "a key that cannot encrypt, and one whose encryption subkey is ECDH on P-256: refused" '
	cd "$FX"
	fpr=$(newkey "Signer <s@example.org>" rsa2048 sign never)
	gpg --export "$fpr" >signonly.gpg
	mkdir -p none
	expect_code 2 lp collect --root root -o none --encrypt-to signonly.gpg 2>err
	contains err "cannot be encrypted to: it has no encryption subkey"
	fpr=$(newkey "Nist <n@example.org>" nistp256 sign never)
	gpg --batch -q --passphrase "" --quick-add-key "$fpr" nistp256 encr never 2>/dev/null
	gpg --export "$fpr" >nist.gpg
	expect_code 2 lp collect --root root -o none --encrypt-to nist.gpg 2>err
	contains err "its encryption subkey'"'"'s algorithm is not RSA nor ECDH on Curve25519"
	test -z "$(ls -A none)"
'
t "a Curve25519 key (gpg future-default: Ed25519 and an ECDH Curve25519 subkey): gpg opens it" '
	cd "$FX"
	fpr=$(newkey "Curve <c@example.org>" future-default default never)
	gpg --export --armor "$fpr" >curve.asc
	mkdir cv
	lp -q collect --root root -o cv --encrypt-to curve.asc >path
	gpg --batch --list-packets "$(cat path)" >packets 2>&1 || :
	test "$(grep -c "^:pubkey enc packet:" packets)" -eq 1
	contains packets ":pubkey enc packet: version 3, algo 18"
	gpg --batch --status-fd 3 --decrypt -o cv.tar.zst "$(cat path)" 3>status 2>err
	contains status "GOODMDC"
	expect_code 0 lp verify cv.tar.zst >/dev/null
'
t "not a key, a damaged armor: refused" '
	cd "$FX"
	mkdir -p none
	echo "hello" >not-a-key
	expect_code 2 lp collect --root root -o none --encrypt-to not-a-key 2>err
	contains err "not an OpenPGP public key"
	awk "NR == 5 { \$0 = (substr(\$0, 1, 3) == \"AAA\" ? \"BBB\" : \"AAA\") substr(\$0, 4) } { print }" \
		cert.asc >damaged.asc
	expect_code 2 lp collect --root root -o none --encrypt-to damaged.asc 2>err
	contains err "armor checksum does not match"
	test -z "$(ls -A none)"
'
test_done
