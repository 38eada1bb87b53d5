#!/bin/sh
# keygen for receivers: --type age (an identity that stock age reads, and its recipient) and
# --type x509-encryption (a P-256 key and a keyAgreement certificate); private keys 0600, nothing
# overwritten; what senders encrypt to them opens with stock tools and logpack decrypt.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"

t "setup: a tree to collect" '
	cd "$FX"
	make_debian_tree root
'
t "--type age: PREFIX.key (0600, age-keygen format) and PREFIX.pub; age -d and decrypt open it" '
	cd "$FX"
	lp keygen --type age --out recv >out 2>err
	printf "%s\n" recv.key recv.pub | cmp - out
	test "$(stat -c %a recv.key)" = 600
	grep -q "^AGE-SECRET-KEY-1" recv.key
	test "$(age-keygen -y recv.key)" = "$(cat recv.pub)"
	contains err "$(cat recv.pub)"
	mkdir a
	lp -q collect --root root -o a --encrypt-to "$(cat recv.pub)" >path
	age -d -i recv.key -o by-age "$(cat path)"
	lp -q decrypt -k recv.key -o by-lp "$(cat path)" >/dev/null
	cmp by-age by-lp
	expect_code 0 lp verify by-lp >/dev/null
'
t "--type x509-encryption: keyAgreement, not signing; openssl cms -decrypt opens the bundle" '
	cd "$FX"
	lp -q keygen --type x509-encryption --out cert --subject "/O=Example CERT/CN=Intake" >/dev/null
	test "$(stat -c %a cert.key)" = 600
	openssl x509 -in cert.crt -noout -text >text
	contains text "Key Agreement"
	lacks text "Digital Signature"
	mkdir x
	lp -q collect --root root -o x --encrypt-to cert.crt >path
	f=$(cat path)
	openssl cms -decrypt -inform DER -binary -in "${f%.enc}.p7m" -content "$f" \
		-inkey cert.key -recip cert.crt -out by-openssl
	expect_code 0 lp verify by-openssl >/dev/null
	lp -q decrypt -k cert.key --cert cert.crt -o by-lp-x "$f" >/dev/null
	cmp by-openssl by-lp-x
'
t "a signing certificate is not an encryption recipient; existing files are kept; bad --type" '
	cd "$FX"
	lp -q keygen --out signer >/dev/null
	mkdir -p none
	expect_code 2 lp collect --root root -o none --encrypt-to signer.crt 2>err
	contains err "does not allow keyAgreement"
	test -z "$(ls -A none)"
	cp recv.key before
	expect_code 3 lp keygen --type age --out recv 2>err
	contains err "exists already"
	cmp before recv.key
	expect_code 2 lp keygen --type rsa 2>err
	contains err "is not signing, x509-encryption or age"
'
test_done
