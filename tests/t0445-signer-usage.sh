#!/bin/sh
# A signer's certificate must be one for signing documents: its extended key usage is checked,
# and a certificate that copies a trusted signer's name with another key is named an impostor.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

# issue NAME EKU: NAME.key (mode 0600) and NAME.crt issued by the test CA, with the key usage
# digitalSignature and the given extendedKeyUsage ("" for none).
issue() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
	chmod 600 "$1.key"
	openssl req -new -key "$1.key" -subj "/O=Partner/CN=$1" -out "$1.csr"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature"
		if [ -n "$2" ]; then echo "extendedKeyUsage=$2"; fi
	} >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
		-extfile "$1.ext" -out "$1.crt" 2>/dev/null
}

t "setup: a root, a CA, and signers with several extended key usages" '
	cd "$FX"
	make_root root
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
		-subj "/O=Partner CA" -days 30 -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign" -out ca.crt 2>/dev/null
	issue tls serverAuth
	issue mail emailProtection
	issue code codeSigning
	issue own 2.25.206148685855623484717259061867089240605
	issue plain ""
	issue anyuse anyExtendedKeyUsage
	for s in tls mail code own plain anyuse; do collect_signed "$s.tar.zst" "$s"; done
'
t "a TLS server certificate from a trusted CA does not make a bundle trusted" '
	cd "$FX"
	expect_code 5 lp verify --trust ca.crt tls.tar.zst >out
	contains out "NOT trusted"
	contains out "extended key usage is not for signing documents"
'
t "emailProtection, codeSigning, anyExtendedKeyUsage, the logpack OID or no EKU: trusted" '
	cd "$FX"
	for s in mail code own plain anyuse; do
		expect_code 0 lp verify --trust ca.crt "$s.tar.zst" >out
		contains out "valid, signed by /O=Partner/CN=$s, trusted"
	done
'
t "keygen certificates carry the logpack extended key usage and are trusted" '
	cd "$FX"
	make_key k "/O=Partner/CN=keygen"
	openssl x509 -in k.crt -noout -ext extendedKeyUsage >eku
	contains eku "2.25.206148685855623484717259061867089240605"
	collect_signed k.tar.zst k
	expect_code 0 lp verify --trust k.crt k.tar.zst >out
	contains out "trusted"
'
t "an impostor (a trusted subject with another key) is named as such" '
	cd "$FX"
	make_key real "/O=Partner/CN=Jane Doe"
	make_key fake "/O=Partner/CN=Jane Doe"
	collect_signed fake.tar.zst fake
	expect_code 5 lp verify --trust real.crt fake.tar.zst >out
	contains out "impostor: a trusted certificate for /O=Partner/CN=Jane Doe exists, but with another key"
	lp verify --json --trust real.crt fake.tar.zst >out.json || :
	test "$(jq -r ".bundles[0].signer.trusted" out.json)" = false
'
t "an unrelated self-signed signer is not called an impostor" '
	cd "$FX"
	expect_code 5 lp verify --trust real.crt k.tar.zst >out
	lacks out "impostor"
'
test_done
