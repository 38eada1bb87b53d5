#!/bin/sh
# The release files of the static binary (build-aux/static/release.sh, `make release`): its
# SHA-256 in sha256sum's format and a detached CMS signature made with a logpack key, both
# checked with the stock commands docs/static.md gives a responder; a changed byte fails both.
. "$TEST_SRCDIR/test-lib.sh"

BIN=${LOGPACK_STATIC_BINARY:-}
if [ -z "$BIN" ]; then
	echo "1..0 # SKIP no static binary (configure --enable-static-binary)"
	exit 0
fi
N=$(basename "$BIN")
REL=$TRASH/rel
mkdir -p "$REL"

t "the static binary is there" '
	test -x "$BIN"
'
t "release.sh writes the binary's SHA-256 and a signature made with a logpack key" '
	cp "$BIN" "$REL/$N"
	"$BIN" keygen --out "$REL/signer" --subject "/CN=logpack release test" 2>err
	cd "$REL"
	LOGPACK_RELEASE_KEY=signer.key LOGPACK_RELEASE_CERT=signer.crt \
		sh "$TOP_SRCDIR/build-aux/static/release.sh" "$N" >out
	test -s "$N.sha256"
	test -s "$N.p7s"
	test ! -e "$N.p7s.tmp"
'
t "a responder checks both with stock sha256sum and openssl" '
	cd "$REL"
	sha256sum -c "$N.sha256"
	openssl cms -verify -binary -inform DER -in "$N.p7s" -content "$N" \
		-CAfile signer.crt -purpose any -out /dev/null
'
t "one changed byte fails the hash and the signature" '
	cd "$REL"
	cp "$N" "$TRASH/changed"
	printf "X" | dd of="$TRASH/changed" bs=1 seek=4096 conv=notrunc 2>/dev/null
	cp "$N.sha256" "$TRASH/changed.sha256"
	sed -i "s|  $N\$|  changed|" "$TRASH/changed.sha256"
	cd "$TRASH"
	refute sha256sum -c --quiet changed.sha256
	refute openssl cms -verify -binary -inform DER -in "$REL/$N.p7s" -content changed \
		-CAfile "$REL/signer.crt" -purpose any -out /dev/null
'
t "a signature by another key is refused" '
	cd "$REL"
	"$BIN" keygen --out other --subject "/CN=someone else" 2>err
	refute openssl cms -verify -binary -inform DER -in "$N.p7s" -content "$N" \
		-CAfile other.crt -purpose any -out /dev/null
'
t "without a key release.sh refuses, naming the variable, and writes nothing" '
	mkdir none
	cp "$BIN" "none/$N"
	cd none
	expect_code 2 env -u LOGPACK_RELEASE_KEY sh "$TOP_SRCDIR/build-aux/static/release.sh" "$N" 2>err
	contains err LOGPACK_RELEASE_KEY
	test ! -e "$N.sha256"
	test ! -e "$N.p7s"
'
test_done
