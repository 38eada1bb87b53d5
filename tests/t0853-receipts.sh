#!/bin/sh
# Receipts: one per bundle taken, accepted or rejected, signed by the receiver as a detached CMS
# signature that stock openssl checks; the sender checks it with verify-receipt against the
# bundle it sent. A receipt for another bundle, or one whose verdict was changed, is reported.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/receive-lib.sh"

receive_fixture
B=$(plain_bundle)
N=$(basename "$B")
S=${N%.tar.zst}

# ossl_verify RECEIPT: stock openssl checks the receipt's signature against the CERT's cert.
ossl_verify() {
	openssl cms -verify -binary -inform DER -in "$1.p7s" -content "$1" \
		-CAfile "$FX/cert.crt" -purpose any -out /dev/null
}

t "an accepted bundle's receipt: its hash, verdict, time and receiver; stock openssl checks it" '
	new_inbox
	cp "$B" "$B.sha256" in/
	before=$(date -u +%s)
	receive >/dev/null
	R=acc/$S/$N.receipt
	contains $R "LogPack-Receipt-Version: 1"
	contains $R "Bundle: $N"
	contains $R "Bundle-SHA256: $(sha256sum <"$B" | cut -c1-64)"
	contains $R "Disposition: accepted"
	contains $R "Verdict: valid, signed by /O=Sender Org/CN=sender, trusted"
	contains $R "Receiver: /O=CERT/CN=inbox"
	when=$(sed -n "s/^Received: //p" $R)
	test $(($(date -u -d "$when" +%s) - before)) -ge -1
	ossl_verify $R 2>err
	contains err "Verification successful"
'
t "verify-receipt: a genuine receipt for the bundle sent, trusted or not" '
	new_inbox
	cp "$B" "$B.sha256" in/
	receive >/dev/null
	R=acc/$S/$N.receipt
	expect_code 0 "$LOGPACK" verify-receipt --trust "$FX/cert.crt" $R "$B" >out
	contains out "accepted by /O=CERT/CN=inbox at "
	contains out "receipt signed by /O=CERT/CN=inbox, trusted"
	expect_code 0 "$LOGPACK" verify-receipt $R "$B" >out
	contains out "not checked against trust anchors (no --trust)"
	expect_code 5 "$LOGPACK" verify-receipt --trust "$FX/other.crt" $R "$B" >out
	contains out "NOT trusted"
	expect_code 0 "$LOGPACK" verify-receipt --json --trust "$FX/cert.crt" $R "$B" >j
	python3 - j <<PY
import json, sys
v = json.load(open(sys.argv[1]))
assert v["ok"] and v["trusted"] and v["claims"]["disposition"] == "accepted", v
PY
'
t "a rejected bundle gets a receipt that says so, with the reason" '
	new_inbox
	cp "$B" "$B.sha256" in/
	printf x >>"in/$N"
	expect_code 4 receive >/dev/null
	R=rej/$S/$N.receipt
	contains $R "Disposition: rejected"
	contains $R "Verdict: the bundle does not match its .sha256 file"
	ossl_verify $R
	expect_code 0 "$LOGPACK" verify-receipt --trust "$FX/cert.crt" $R "rej/$S/$N" >out
	contains out "rejected by /O=CERT/CN=inbox"
'
t "a receipt for another bundle is reported" '
	new_inbox
	cp "$B" "$B.sha256" in/
	receive >/dev/null
	R=acc/$S/$N.receipt
	expect_code 4 "$LOGPACK" verify-receipt --trust "$FX/cert.crt" $R "$FX/enc/"*.age >out
	contains out "the receipt is for another bundle ($N, sha256 $(sha256sum <"$B" | cut -c1-64))"
'
t "a receipt whose verdict was changed is reported, by verify-receipt and by stock openssl" '
	new_inbox
	cp "$B" "$B.sha256" in/
	printf x >>"in/$N"
	expect_code 4 receive >/dev/null
	R=rej/$S/$N.receipt
	sed "s/^Disposition: rejected/Disposition: accepted/" $R >forged
	cp $R.p7s forged.p7s
	expect_code 4 "$LOGPACK" verify-receipt --trust "$FX/cert.crt" forged "rej/$S/$N" >out
	contains out "forged: the signature does not match the receipt (altered)"
	refute ossl_verify forged 2>/dev/null
	sed "s/^Verdict: .*/Verdict: valid, trusted/" $R >forged
	expect_code 4 "$LOGPACK" verify-receipt forged "rej/$S/$N" >out
	contains out "(altered)"
'
t "a cut signature, or missing files, fail with a reason" '
	new_inbox
	cp "$B" "$B.sha256" in/
	receive >/dev/null
	R=acc/$S/$N.receipt
	cp $R r
	head -c 100 $R.p7s >r.p7s
	expect_code 4 "$LOGPACK" verify-receipt r "$B" >out 2>err
	contains out "r: the signature does not match the receipt (altered): the signature file is not a DER CMS structure"
	expect_code 3 "$LOGPACK" verify-receipt nothere "$B" 2>err
	contains err "nothere"
	expect_code 2 "$LOGPACK" verify-receipt $R 2>err
'
t "without a signing key there are no receipts, and receive still sorts" '
	new_inbox
	cp "$B" "$B.sha256" in/
	expect_code 0 "$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected rej \
		--settle 0 >out
	test -f "acc/$S/$N.verdict.json"
	test ! -e "acc/$S/$N.receipt"
'
test_done
