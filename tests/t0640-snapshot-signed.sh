#!/bin/sh
# Signed snapshots: each bundle is signed as collect signs, stock openssl checks it, and
# verify --chain reports the series as trusted, NOT trusted, or with anomalies.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
L=$T/var/log
make_debian_tree "$T"
lp keygen --out "$TRASH/k" --subject "/O=Example CERT/CN=Snapshots" --days 30 >/dev/null 2>&1

t "signed snapshots: each bundle carries a signature that stock openssl accepts" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --sign-key "$TRASH/k.key" \
		--sign-cert "$TRASH/k.crt" >/dev/null
	echo "Nov 28 more" >>"$L/auth.log"
	"$LOGPACK" snapshot --state st --root "$T" -o out --sign-key "$TRASH/k.key" \
		--sign-cert "$TRASH/k.crt" >/dev/null
	BAG=$(bag_of "$(newest_bundle out)" x)
	openssl cms -verify -binary -inform DER -in "$BAG/tagmanifest-sha256.txt.p7s" \
		-content "$BAG/tagmanifest-sha256.txt" -CAfile "$TRASH/k.crt" -purpose any \
		-out /dev/null
	grep -q "^LogPack-Snapshot-Sequence: 2$" "$BAG/bag-info.txt"
	expect_code 0 "$LOGPACK" verify --chain --trust "$TRASH/k.crt" out >v
	grep -q "snapshot 2 of series .*: valid, signed" v
	expect_code 5 "$LOGPACK" verify --chain out >/dev/null
	expect_code 0 "$LOGPACK" extract --chain --trust "$TRASH/k.crt" out rebuilt
	cmp rebuilt/var/log/auth.log "$L/auth.log"
'

t "a signed series with anomalies: exit 7, and every bundle still trusted" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --sign-key "$TRASH/k.key" \
		--sign-cert "$TRASH/k.crt" >/dev/null
	: >"$L/auth.log"
	expect_code 7 "$LOGPACK" snapshot --state st --root "$T" -o out --sign-key "$TRASH/k.key" \
		--sign-cert "$TRASH/k.crt" >/dev/null 2>&1
	expect_code 7 "$LOGPACK" verify --chain --trust "$TRASH/k.crt" out >v
	test "$(grep -c ": valid, signed" v)" = 2
	grep -q "anomaly: snapshot 2: truncated /var/log/auth.log" v
'

t "a bad key fails before anything is read or written" '
	mkdir out
	echo "not a key" >bad.key
	chmod 600 bad.key
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out --sign-key bad.key \
		--sign-cert "$TRASH/k.crt" 2>e
	grep -q "signing key" e
	test -z "$(ls out)"
	test ! -e st/state.json
'

t "schedule passes the signing options on, with absolute paths" '
	mkdir units
	cp "$TRASH/k.key" "$TRASH/k.crt" .
	"$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out --root "$T" \
		--sign-key k.key --sign-cert k.crt >/dev/null 2>&1
	grep -q " --sign-key $PWD/k.key --sign-cert $PWD/k.crt$" units/logpack-snapshot.service
'

test_done
