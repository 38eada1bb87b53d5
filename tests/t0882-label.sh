#!/bin/sh
# The signed outer label of encrypted files (encrypt --label): stock openssl checks its
# signature; verify checks the signature and each encrypted file's size and SHA-256, says whom
# the files are encrypted to when the label discloses it, and that the contents are not
# verifiable; a tampered label or file is reported.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"
GNUPGHOME=$FX/gnupg
export GNUPGHOME

t "setup: recipients, a signing key, a bundle, and an encryption with a full label" '
	mkdir -p -m 700 "$GNUPGHOME"
	cd "$FX"
	gpg --batch -q --passphrase "" --quick-gen-key "Cert <c@example.org>" default default never 2>/dev/null
	gpg --batch --export "Cert <c@example.org>" >pgp.pub
	gpg --batch --with-colons --fingerprint "Cert <c@example.org>" | awk -F: "/^fpr/ {print \$10; exit}" >pgp.fpr
	age-keygen -o age.id 2>/dev/null
	grep -o "age1.*" age.id >age.pub
	lp -q keygen --out sig --subject /CN=Sender >/dev/null
	lp -q keygen --out other --subject /CN=Other >/dev/null
	make_debian_tree root
	mkdir out full
	lp -q collect --root root -o out --sign-key sig.key --sign-cert sig.crt >path
	lp encrypt -o full --encrypt-to pgp.pub --encrypt-to "$(cat age.pub)" --label \
		--label-tlp amber --label-case "INC-2026-042" --label-recipients \
		--sign-key sig.key --sign-cert sig.crt "$(cat path)" >o
	cat o
	contains o "they are recorded only in the signed label"
'

t "the label: JSON with each file's name, size and SHA-256; stock openssl checks its signature" '
	cd "$FX/full"
	L=$(ls *.label.json)
	stem=${L%.label.json}
	test -s "$L.p7s"
	test "$(stat -c %a "$L")" = 644
	openssl cms -verify -binary -inform DER -in "$L.p7s" -content "$L" -CAfile ../sig.crt \
		-purpose any -out /dev/null 2>err
	contains err "Verification successful"
	python3 - "$L" "$stem" "$(cat ../pgp.fpr)" "$(cat ../age.pub)" <<"PY"
import hashlib, json, os, sys
d = json.load(open(sys.argv[1]))
stem = sys.argv[2]
assert d["logpack-label"] == 1, d
names = sorted(f["name"] for f in d["files"])
assert names == [stem + ".age", stem + ".gpg"], names
for f in d["files"]:
    data = open(f["name"], "rb").read()
    assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest(), f
assert d["tlp"] == "TLP:AMBER" and d["case"] == "INC-2026-042", d
assert d["encrypted-to"] == ["openpgp:" + sys.argv[3], "age:" + sys.argv[4]], d["encrypted-to"]
PY
'

t "verify LABEL and verify X.gpg beside it: intact, whom to, contents not verifiable (exit 9)" '
	cd "$FX/full"
	L=$(ls *.label.json)
	stem=${L%.label.json}
	expect_code 9 lp verify --trust ../sig.crt "$L" >v1
	cat v1
	contains v1 "label intact, signed by /CN=Sender, trusted; 2 encrypted files intact; TLP:AMBER; case INC-2026-042"
	contains v1 "encrypted to openpgp:$(cat ../pgp.fpr), age:$(cat ../age.pub); contents not verifiable"
	expect_code 9 lp verify "$stem.gpg" >v2
	contains v2 "NOT trusted"
	contains v2 "contents not verifiable"
	expect_code 9 lp verify --json --trust ../sig.crt "$stem.age" >j
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); b=d[\"bundles\"][0]; assert b[\"outcome\"]==\"label-intact\" and b[\"contents_verified\"] is False and b[\"trusted\"], d" j
'

t "a minimal label by default: sizes and hashes only, nothing about the receivers" '
	mkdir m
	lp encrypt -o m --encrypt-to "$(cat "$FX/age.pub")" --label --sign-key "$FX/sig.key" \
		--sign-cert "$FX/sig.crt" "$FX/$(cat "$FX/path")" >o
	L=$(ls m/*.label.json)
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert sorted(d) == [\"created\", \"files\", \"logpack-label\"], d" "$L"
	expect_code 9 lp verify "$L" >v
	contains v "encrypted to (not disclosed); contents not verifiable"
	contains o "they are not recorded"
'

# tampered SRC: a copy of the full encryption in ./c, its label path in ./label.
copy_full() {
	cp -r "$FX/full" c
	ls c/*.label.json >label
}

t "an encrypted file altered or cut short is reported (exit 4), naming the file" '
	copy_full
	f=$(ls c/*.gpg)
	size=$(stat -c %s "$f")
	flip_byte "$f" $((size / 2))
	expect_code 4 lp verify "$(cat label)" >v
	cat v
	contains v "label INVALID"
	contains v "$(basename "$f"): SHA-256"
	a=$(ls c/*.age)
	head -c 100 "$a" >cut
	cat cut >"$a"
	expect_code 4 lp verify "$(cat label)" >v2
	contains v2 "$(basename "$a"): 100 bytes, the label says"
	rm "$a"
	expect_code 4 lp verify "$(cat label)" >v3
	contains v3 "$(basename "$a"): No such file or directory"
'

t "a label altered, re-signed by another key, or without its signature is reported" '
	copy_full
	L=$(cat label)
	sed -i "s/TLP:AMBER/TLP:CLEAR/" "$L"
	expect_code 4 lp verify --trust "$FX/sig.crt" "$L" >v
	contains v "the signature does not match the label"
	rm -r c
	copy_full
	L=$(cat label)
	sed -i "s/TLP:AMBER/TLP:CLEAR/" "$L"
	openssl cms -sign -binary -outform DER -in "$L" -signer "$FX/other.crt" -inkey "$FX/other.key" \
		-out "$L.p7s" -md sha256
	expect_code 9 lp verify --trust "$FX/sig.crt" "$L" >v2
	cat v2
	contains v2 "signed by /CN=Other, NOT trusted"
	rm "$L.p7s"
	expect_code 4 lp verify "$L" >v3
	contains v3 "the label is not signed"
'

t "a label naming a file outside its directory is refused, and nothing outside is read" '
	mkdir d
	echo secret >outside
	h=$(sha256sum <outside | cut -d" " -f1)
	printf "{\"logpack-label\": 1, \"files\": [{\"name\": \"../outside\", \"bytes\": 7, \"sha256\": \"%s\"}]}\n" "$h" >d/x.label.json
	openssl cms -sign -binary -outform DER -in d/x.label.json -signer "$FX/sig.crt" \
		-inkey "$FX/sig.key" -out d/x.label.json.p7s -md sha256
	expect_code 4 lp verify --trust "$FX/sig.crt" d/x.label.json >v
	contains v "file 1 of the label is malformed"
	printf "not json" >d/y.label.json
	expect_code 4 lp verify d/y.label.json >v2
	contains v2 "is not a logpack label"
'

t "collect --label and snapshot --label: the label beside each encrypted bundle, intact" '
	mkdir c s
	lp -q collect --root "$FX/root" -o c --encrypt-to "$(cat "$FX/age.pub")" \
		--encrypt-to "$FX/pgp.pub" --label --label-tlp red --label-recipients \
		--sign-key "$FX/sig.key" --sign-cert "$FX/sig.crt" >path 2>err
	cat err
	f=$(cat path)
	L=${f%.gpg}.label.json
	test -s "$L"
	expect_code 9 lp verify --trust "$FX/sig.crt" "$f" >v
	contains v "2 encrypted files intact; TLP:RED; encrypted to openpgp:$(cat "$FX/pgp.fpr"), age:"
	for i in 1 2; do
		echo "Nov 30 line $i" >>"$FX/root/var/log/syslog"
		lp -q snapshot --state st --root "$FX/root" -o s --encrypt-to "$(cat "$FX/age.pub")" \
			--label --sign-key "$FX/sig.key" --sign-cert "$FX/sig.crt" >/dev/null 2>&1
	done
	test "$(ls s/*.label.json | wc -l)" = 2
	expect_code 9 lp verify s/*.label.json >v2
	test "$(grep -c "label intact" v2)" = 2
	expect_code 2 lp collect --root "$FX/root" -o c --label --sign-key "$FX/sig.key" \
		--sign-cert "$FX/sig.crt" 2>e
	contains e "--label labels encrypted files: it needs --encrypt-to"
	expect_code 2 lp collect --root "$FX/root" -o c --encrypt-to "$(cat "$FX/age.pub")" \
		--label 2>e2
	contains e2 "--label needs a signing key"
	test "$(ls c | grep -c "\.gpg$")" = 1
'

test_done
