#!/bin/sh
# keygen and collect --sign-key: key protection, passphrases, config and environment,
# RSA-PSS and certificate chains.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a root to collect" 'cd "$FX" && make_root root'
t "keygen: an ECDSA P-256 key (mode 0600) and a signing certificate" 'cd "$FX" && 
	lp keygen --out k --subject "/O=Example CERT/CN=Jane Doe/emailAddress=jd@example.org" --days 30 >out 2>err &&
	contains out "k.key" && contains err "NOT encrypted" &&
	test "$(stat -c %a k.key)" = 600 &&
	openssl pkey -in k.key -noout -text >key.txt && contains key.txt "NIST CURVE: P-256" &&
	openssl x509 -in k.crt -noout -text >crt.txt &&
	contains crt.txt "Subject: O = Example CERT, CN = Jane Doe, emailAddress = jd@example.org" &&
	contains crt.txt "Digital Signature" && contains crt.txt "E-mail Protection" &&
	contains crt.txt "Code Signing" && contains crt.txt "CA:FALSE" &&
	openssl x509 -in k.crt -noout -checkend 2500000 >/dev/null &&
	refute openssl x509 -in k.crt -noout -checkend 2700000 >/dev/null
'
t "keygen never overwrites, and rejects a bad subject or --days" 'cd "$FX" && 
	cp k.key k.key.orig && expect_code 3 lp keygen --out k 2>err && contains err "k.key" &&
	cmp k.key k.key.orig &&
	expect_code 3 lp keygen --out k2 --subject "CN=no slash" 2>err && contains err "must start with" &&
	test ! -e k2.key &&
	expect_code 2 lp keygen --out k3 --days -5 2>err
'
t "keygen --passphrase-file writes an encrypted key; collect opens it with the file" 'cd "$FX" && 
	printf "correct horse battery\n" >pass && chmod 600 pass &&
	lp -q keygen --out ek --subject "/CN=Encrypted" --passphrase-file pass >/dev/null &&
	head -1 ek.key | grep -q "ENCRYPTED PRIVATE KEY" &&
	lp -q collect --root root -o e.tar.zst --sign-key ek.key --sign-cert ek.crt --passphrase-file pass >/dev/null &&
	expect_code 0 lp verify --trust ek.crt e.tar.zst
'
t "the passphrase from LOGPACK_KEY_PASSPHRASE" 'cd "$FX" && 
	LOGPACK_KEY_PASSPHRASE="correct horse battery" lp -q collect --root root -o env.tar.zst \
		--sign-key ek.key --sign-cert ek.crt >/dev/null &&
	expect_code 0 lp verify --trust ek.crt env.tar.zst
'
t "a wrong passphrase fails before collecting, with a clear message and no bundle" 'cd "$FX" && 
	echo "wrong horse" >bad && chmod 600 bad &&
	expect_code 3 lp collect --root root -o w.tar.zst --sign-key ek.key --sign-cert ek.crt --passphrase-file bad 2>err &&
	contains err "cannot decrypt the key (wrong passphrase?)" && test ! -e w.tar.zst &&
	lacks err "wrong horse"
'
t "the passphrase asked on the terminal, without echo" 'cd "$FX" &&
	(sleep 1; printf "correct horse battery\n") |
		timeout 60 script -qec "\"$LOGPACK\" -q collect --root root -o tty.tar.zst --sign-key ek.key --sign-cert ek.crt" /dev/null >tty.out 2>&1 &&
	contains tty.out "Passphrase for ek.key:" && lacks tty.out "correct horse" &&
	expect_code 0 lp verify --trust ek.crt tty.tar.zst
'
t "no passphrase and no terminal: a clear error, not a hang" 'cd "$FX" && 
	expect_code 3 setsid -w "$LOGPACK" collect --root root -o n.tar.zst --sign-key ek.key --sign-cert ek.crt </dev/null 2>err &&
	contains err "no passphrase"
'
t "a key file that group or others can access is refused (also as root)" 'cd "$FX" && 
	cp k.key open.key && chmod 640 open.key &&
	expect_code 3 lp collect --root root -o o.tar.zst --sign-key open.key --sign-cert k.crt 2>err &&
	contains err "open.key: permissions 0640 are too open" && test ! -e o.tar.zst &&
	chmod 604 open.key && expect_code 3 lp collect --root root -o o.tar.zst --sign-key open.key --sign-cert k.crt 2>err
'
t "a certificate that does not belong to the key is refused" 'cd "$FX" && 
	lp -q keygen --out k4 --subject "/CN=Four" >/dev/null &&
	expect_code 3 lp collect --root root -o m.tar.zst --sign-key k.key --sign-cert k4.crt 2>err &&
	contains err "does not belong to the key"
'
t "a key without a certificate is a clear error" 'cd "$FX" && 
	expect_code 3 lp collect --root root -o m.tar.zst --sign-key k.key 2>err &&
	contains err "needs both a key and a certificate"
'
t "signing settings from the environment (for scheduled runs)" 'cd "$FX" && 
	LOGPACK_SIGN_KEY=k.key LOGPACK_SIGN_CERT=k.crt lp -q collect --root root -o senv.tar.zst >/dev/null &&
	expect_code 0 lp verify --trust k.crt senv.tar.zst
'
t "signing settings from a config file" 'cd "$FX" && 
	printf "# logpack\nsign-key = %s/k.key\nsign-cert = %s/k.crt\n" "$PWD" "$PWD" >lp.conf &&
	lp -q collect --root root -o conf.tar.zst --config lp.conf >/dev/null &&
	expect_code 0 lp verify --trust k.crt conf.tar.zst &&
	printf "passphrase = secret\n" >bad.conf &&
	expect_code 3 lp collect --root root -o c2.tar.zst --config bad.conf 2>err &&
	contains err "never kept in the config" &&
	expect_code 3 lp collect --root root -o c3.tar.zst --config missing.conf 2>err && contains err "missing.conf"
'
t "an RSA key signs with PSS; logpack and stock openssl verify it" 'cd "$FX" && 
	openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.crt -subj "/CN=RSA Signer" \
		-days 10 -addext "keyUsage=critical,digitalSignature" 2>/dev/null && chmod 600 rsa.key &&
	lp -q collect --root root -o rsa.tar.zst --sign-key rsa.key --sign-cert rsa.crt >/dev/null &&
	expect_code 0 lp verify --trust rsa.crt rsa.tar.zst >out && contains out "signed by /CN=RSA Signer, trusted" &&
	T=$(unpack rsa.tar.zst x) &&
	openssl cms -cmsout -print -inform DER -in "$T/tagmanifest-sha256.txt.p7s" >cms.txt &&
	contains cms.txt "rsassaPss" &&
	openssl cms -verify -binary -inform DER -in "$T/tagmanifest-sha256.txt.p7s" \
		-content "$T/tagmanifest-sha256.txt" -CAfile rsa.crt -purpose any -out /dev/null
'
t "the signature carries the signer certificate and the signing time" 'cd "$FX" && 
	T=$(unpack conf.tar.zst y) &&
	openssl cms -cmsout -print -inform DER -in "$T/tagmanifest-sha256.txt.p7s" >cms.txt &&
	contains cms.txt "signingTime" && contains cms.txt "Jane Doe" &&
	lp verify --json --trust k.crt conf.tar.zst >v.json &&
	python3 -c "import json; s = json.load(open(\"v.json\"))[\"bundles\"][0][\"signer\"]; assert s[\"signing_time\"].endswith(\"Z\"), s"
'
t "a chain: leaf signed by an intermediate; --sign-chain lets it chain to the root" 'cd "$FX" && 
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.crt \
		-subj "/O=Root CA" -days 30 2>/dev/null &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr -subj "/O=Intermediate CA" 2>/dev/null &&
	printf "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n" >int.ext &&
	openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial -days 30 -extfile int.ext -out int.crt 2>/dev/null &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj "/O=Org/CN=Leaf" 2>/dev/null &&
	printf "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=emailProtection\n" >leaf.ext &&
	openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -CAcreateserial -days 30 -extfile leaf.ext -out leaf.crt 2>/dev/null &&
	chmod 600 leaf.key &&
	lp -q collect --root root -o nochain.tar.zst --sign-key leaf.key --sign-cert leaf.crt >/dev/null &&
	expect_code 5 lp verify --trust root.crt nochain.tar.zst >out && contains out "NOT trusted (unable to get local issuer certificate" &&
	lp -q collect --root root -o chain.tar.zst --sign-key leaf.key --sign-cert leaf.crt --sign-chain int.crt >/dev/null &&
	expect_code 0 lp verify --trust root.crt chain.tar.zst >out && contains out "signed by /O=Org/CN=Leaf, trusted" &&
	expect_code 0 lp verify --trust int.crt nochain.tar.zst
'
test_done
