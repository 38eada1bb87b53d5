#!/bin/sh
# `make release` in a static build: NAME.sha256 (sha256sum's format) and NAME.p7s, a detached
# CMS signature (DER) over the binary made with a logpack key (`logpack keygen`): the same
# kind of signature as a bundle's, checked with stock openssl (docs/static.md).
# Usage: release.sh NAME, with LOGPACK_RELEASE_KEY and LOGPACK_RELEASE_CERT set.
set -eu
name=$1
key=${LOGPACK_RELEASE_KEY:?set LOGPACK_RELEASE_KEY to the signing key (made by logpack keygen)}
cert=${LOGPACK_RELEASE_CERT:?set LOGPACK_RELEASE_CERT to its certificate}
command -v openssl >/dev/null || {
	echo "release: the openssl tool is needed to sign" >&2
	exit 1
}
sha256sum "$name" >"$name.sha256"
openssl cms -sign -binary -md sha256 -nosmimecap -outform DER -in "$name" \
	-signer "$cert" -inkey "$key" -out "$name.p7s.tmp"
# What a responder will run, before anything is published.
openssl cms -verify -binary -inform DER -in "$name.p7s.tmp" -content "$name" \
	-CAfile "$cert" -purpose any -out /dev/null
sha256sum -c "$name.sha256"
mv "$name.p7s.tmp" "$name.p7s"
echo "release: $name ($(wc -c <"$name") bytes), $name.sha256, $name.p7s"
