#!/bin/sh
# verify and show --key: an encrypted bundle (X.gpg, X.age, the CMS pair X.p7m + X.enc) read as a
# stream through the receiver's key, judged only after the cipher's own check at the very end;
# a key that bag-info.txt does not name among the recipients (a re-addressed bundle) is reported;
# without a key, who it is encrypted to, and never "valid".
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/encrypt-lib.sh"

t "setup: OpenPGP, age and X.509 receivers; one signed collect to all three" '
	cd "$FX"
	receivers "ec -pkeyopt ec_paramgen_curve:P-256" keyAgreement
	gpg --batch -q --passphrase "" --quick-gen-key "Partner <p@example.org>" default default never 2>/dev/null
	(umask 077; gpg --batch --export-secret-keys "Partner <p@example.org>" >partner.key)
	gpg --batch -q --passphrase "s3cret pass" --pinentry-mode loopback \
		--quick-gen-key "Locked <l@example.org>" default default never 2>/dev/null
	(umask 077; gpg --batch --passphrase "s3cret pass" --pinentry-mode loopback \
		--export-secret-keys "Locked <l@example.org>" >locked.key; echo "s3cret pass" >locked.pass)
	gpg --batch --export "Locked <l@example.org>" >locked.pub
	(umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout y.key -out y.crt -subj /CN=y -days 30 -addext keyUsage=keyAgreement 2>/dev/null)
	encrypted_bundle --encrypt-to locked.pub
	gpg --batch -q -d -o plain.tar.zst b.gpg 2>/dev/null
'
t "verify --key, each kind: valid, signed, trusted; the key is a named recipient" '
	cd "$FX"
	for args in "-k pgp.key b.gpg" "-k a1 b.age" "-k x.key --cert x.crt b.p7m" \
		"-k x.key --cert x.crt b.enc"; do
		expect_code 0 lp verify --trust sig.crt $args >res
		contains res "valid, signed by /CN=Sender, trusted"
		lacks res "warning"
	done
	lp verify --json --trust sig.crt -k pgp.key b.gpg >j
	python3 - j "$(gpg --list-keys --with-colons "Cert <c@example.org>" | awk -F: "/^fpr/ { print \$10; exit }")" <<-PY
	import json, sys
	b = json.load(open(sys.argv[1]))["bundles"][0]
	assert b["outcome"] == "trusted", b
	e = b["encryption"]
	assert e == {"cipher": "openpgp", "decrypted_with": "openpgp:" + sys.argv[2],
	             "among_recipients": True}, e
	PY
	lp verify --json -k a1 b.age >j
	contains j "\"decrypted_with\": \"age:$(grep -o "age1.*" a1)\""
	lp verify --json -k x.key --cert x.crt b.p7m >j
	contains j "\"decrypted_with\": \"x509-sha256:$(openssl x509 -in x.crt -outform DER | sha256sum | cut -c1-64)\""
	contains j "\"among_recipients\": true"
'
t "a passphrase-protected OpenPGP key, the passphrase from --passphrase-file" '
	cd "$FX"
	expect_code 0 lp verify -k locked.key --passphrase-file locked.pass b.gpg </dev/null >res
	contains res "valid, signed by /CN=Sender"
	LOGPACK_KEY_PASSPHRASE="s3cret pass" lp verify -k locked.key b.gpg </dev/null >res
	contains res "valid, signed by /CN=Sender"
	expect_code 2 lp verify --passphrase-file locked.pass b.gpg 2>err
	contains err "go with --key"
'
t "the CMS key without its certificate: judged, with a note that the recipient is not checked" '
	cd "$FX"
	expect_code 0 lp verify -k x.key b.enc >res
	contains res "valid, signed by /CN=Sender"
	contains res "not known without its certificate (--cert)"
'
t "show --key prints the bundle and how it was encrypted" '
	cd "$FX"
	expect_code 0 lp show -k a1 --files b.age >res
	contains res "Status:      valid, signed by /CN=Sender"
	contains res "Encrypted:   age, opened with age:$(grep -o "age1.*" a1) (a named recipient)"
	contains res "var/log/syslog.3"
	lp show --json -k pgp.key b.gpg >j
	contains j "\"cipher\": \"openpgp\""
'
t "without a key: whom it is encrypted to, contents not verifiable, exit 3, never valid" '
	cd "$FX"
	expect_code 3 lp verify b.gpg >res
	for id in $(gpg --batch --list-packets b.gpg 2>/dev/null | sed -n "s/.*keyid \([0-9A-F]*\).*/\1/p"); do
		contains res "OpenPGP key ID $id"
	done
	contains res "contents not verifiable"
	lacks res ": valid"
	expect_code 3 lp verify b.age >res
	contains res "b.age: encrypted to age recipients (an age file does not name them); contents not verifiable"
	expect_code 3 lp verify b.p7m >res
	contains res "encrypted to X.509 issuer /CN=x serial $(openssl x509 -in x.crt -noout -serial | cut -d= -f2)"
	expect_code 3 lp verify --json b.age >j
	contains j "\"outcome\": \"encrypted\""
	expect_code 3 lp verify b.gpg b.age >res
	grep -E "^b\.age +- .* encrypted\$" res
	expect_code 3 lp show b.gpg >res 2>err
	contains err "encrypted to OpenPGP key ID"
	test ! -s res
'
t "standard input: gpg -d | verify -, and an encrypted stream with --key" '
	cd "$FX"
	gpg --batch -q -d b.gpg 2>/dev/null | lp verify --trust sig.crt - >res
	contains res "-: valid, signed by /CN=Sender, trusted"
	lp verify --trust sig.crt -k pgp.key - <b.gpg >res
	contains res "-: valid, signed by /CN=Sender, trusted"
	cat b.age | lp verify --trust sig.crt -k a1 - >res
	contains res "-: valid, signed by /CN=Sender, trusted"
	# a plain bundle on a pipe passes through the key untouched
	cat plain.tar.zst | lp verify --trust sig.crt -k a1 - >res
	contains res "-: valid, signed by /CN=Sender, trusted"
'
t "a wrong key, a key that is no recipient: exit 3, a clear reason, no verdict" '
	cd "$FX"
	expect_code 3 lp verify -k a2 b.age >res
	contains res "cannot read: the file is not encrypted to this key"
	lacks res ": valid"
	expect_code 3 lp verify -k partner.key b.gpg >res
	contains res "is not encrypted to this key"
	expect_code 3 lp verify -k y.key --cert y.crt b.p7m >res
	contains res "not encrypted to this key"
	expect_code 3 lp verify -k a1 b.gpg >res
	lacks res ": valid"
'
t "tamper and truncation, each kind: INVALID with the cipher reason, never valid" '
	cd "$FX"
	for kind in gpg age enc; do
		case $kind in
		gpg) key="-k pgp.key" ;;
		age) key="-k a1" ;;
		enc) key="-k x.key --cert x.crt"; cp b.p7m t.p7m ;;
		esac
		for pos in mid end cut; do
			if [ $pos = cut ]; then head -c -100 b.$kind >t.$kind; else flip b.$kind $pos t.$kind; fi
			expect_code 4 lp verify $key t.$kind >res
			contains res "t.$kind: INVALID"
			grep -E "modification detection code|fails authentication|AES-GCM tag|truncated" res
			lacks res ": valid"
		done
		# the start: the header (gpg, age) cannot be read, the content (CMS) fails its tag
		flip b.$kind 0 t.$kind
		set +e; lp verify $key t.$kind >res; rc=$?; set -e
		test $rc -eq 3 -o $rc -eq 4
		lacks res ": valid"
	done
	flip b.age 0 t.age
	expect_code 3 lp verify -k a1 t.age >res
	contains res "not an age file"
'
t "the MDC alone: a last byte changed where the archive is already whole" '
	cd "$FX"
	flip b.gpg end t.gpg
	expect_code 4 lp verify -k pgp.key t.gpg >res
	contains res "the modification detection code does not match"
	lp verify --json -k pgp.key t.gpg >j || :
	contains j "\"outcome\": \"invalid\""
'
t "a re-addressed bundle (decrypted and encrypted again to another key) is reported" '
	cd "$FX"
	age -d -i a1 b.age | age -r "$(grep -o "age1.*" a2)" -o re.age
	expect_code 0 lp verify --trust sig.crt -k a2 re.age >res
	contains res "valid, signed by /CN=Sender, trusted; warning: decrypted with a key not among the recipients the signer named (age:$(grep -o "age1.*" a2)"
	lp verify --json -k a2 re.age >j
	contains j "\"among_recipients\": false"
	gpg --batch -q -d b.gpg 2>/dev/null | gpg --batch -q --trust-model always -r "Partner <p@example.org>" -e -o re.gpg
	expect_code 0 lp verify -k partner.key re.gpg >res
	contains res "warning: decrypted with a key not among the recipients the signer named (openpgp:"
	lp show -k partner.key re.gpg >res
	contains res "(NOT among the named recipients)"
'
t "an age identity file with several keys: the key that opened it is the one checked" '
	cd "$FX"
	(umask 077; cat a2 a1 >both)
	expect_code 0 lp verify -k both b.age >res
	lacks res "warning"
	lp verify --json -k both b.age >j
	contains j "\"decrypted_with\": \"age:$(grep -o "age1.*" a1)\""
	contains j "\"among_recipients\": true"
'
t "a bundle whose bag-info names no recipients: no warning, among_recipients null" '
	cd "$FX"
	lp -q collect --root root -o . >p
	age -r "$(grep -o "age1.*" a2)" -o late.age "$(cat p)"
	expect_code 0 lp verify -k a2 late.age >res
	lacks res "warning"
	lp verify --json -k a2 late.age >j
	contains j "\"among_recipients\": null"
'
t "verify --chain --key: a series of snapshots, each encrypted with stock age" '
	cd "$FX"
	mkdir -p sroot/etc sroot/var/log ser enc
	printf "ID=debian\n" >sroot/etc/os-release
	echo "line one" >sroot/var/log/auth.log
	lp snapshot --state st --root sroot -o ser >/dev/null 2>&1
	echo "line two" >>sroot/var/log/auth.log
	lp snapshot --state st --root sroot -o ser >/dev/null 2>&1
	for b in ser/*.tar.zst; do age -r "$(grep -o "age1.*" a1)" -o "enc/$(basename "$b").age" "$b"; done
	expect_code 0 lp verify --chain -k a1 enc/*.age >res 2>err
	test "$(grep -c "valid, unsigned" res)" -eq 2
	expect_code 3 lp verify --chain enc/*.age >res 2>err
	contains err "contents not verifiable"
'
test_done
