#!/bin/sh
# keygen writes the key and the certificate whole or not at all: an existing certificate is
# refused before the key is written, an existing key is left as it was, and no temporary file
# is left beside them.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "keygen: key 0600, certificate 0644, nothing else in the directory" '
	cd "$FX"
	mkdir d1
	lp -q keygen --out d1/k --subject "/CN=Files" >/dev/null 2>&1
	test "$(stat -c %a d1/k.key)" = 600
	test "$(stat -c %a d1/k.crt)" = 644
	openssl pkey -in d1/k.key -noout
	test "$(ls -A d1 | tr "\n" " ")" = "k.crt k.key "
'

t "an existing certificate: exit 3, no key written, no temporary left" '
	cd "$FX"
	mkdir d2
	echo not a certificate >d2/k.crt
	expect_code 3 lp keygen --out d2/k --subject "/CN=Files" 2>err
	contains err "k.crt"
	test ! -e d2/k.key
	test "$(cat d2/k.crt)" = "not a certificate"
	test "$(ls -A d2)" = k.crt
'

t "an existing key: exit 3, the key unchanged, no certificate, no temporary left" '
	cd "$FX"
	mkdir d3
	echo old key >d3/k.key
	expect_code 3 lp keygen --out d3/k --subject "/CN=Files" 2>err
	contains err "k.key"
	test "$(cat d3/k.key)" = "old key"
	test "$(ls -A d3)" = k.key
'

t "a dangling symbolic link where the key goes is not followed" '
	cd "$FX"
	mkdir d4
	ln -s "$TRASH/elsewhere" d4/k.key
	expect_code 3 lp keygen --out d4/k --subject "/CN=Files" 2>err
	test ! -e "$TRASH/elsewhere"
	test ! -e d4/k.crt
'

test_done
