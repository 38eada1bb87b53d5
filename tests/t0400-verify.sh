#!/bin/sh
# verify: trusted, not trusted, unsigned, expired; several bundles; JSON; limits.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a root, two keys, a signed and an unsigned bundle" 'cd "$FX" && 
	make_root root &&
	make_key good "/O=Good Org/CN=Good Signer/emailAddress=good@example.org" &&
	make_key other "/O=Other Org/CN=Someone Else" &&
	collect_signed signed.tar.zst good &&
	lp -q collect --root root -o unsigned.tar.zst >/dev/null &&
	test -s signed.tar.zst && test -s unsigned.tar.zst
'
t "a good signed bundle with its signer as anchor: valid, trusted, exit 0" 'cd "$FX" && 
	expect_code 0 lp verify --trust good.crt signed.tar.zst >out &&
	contains out "signed.tar.zst: valid, signed by /O=Good Org/CN=Good Signer/emailAddress=good@example.org, trusted"
'
t "a directory of anchors (a CERT partner list) is accepted" 'cd "$FX" && 
	mkdir anchors && cp other.crt anchors/other.pem && cp good.crt anchors/good.crt &&
	echo "not a certificate" >anchors/README &&
	expect_code 0 lp verify --trust anchors signed.tar.zst >out && contains out ", trusted"
'
t "the wrong trust anchor: valid, signed, NOT trusted, exit 5" 'cd "$FX" && 
	expect_code 5 lp verify --trust other.crt signed.tar.zst >out &&
	contains out "valid, signed by /O=Good Org/CN=Good Signer/emailAddress=good@example.org, NOT trusted" &&
	lacks out ", trusted"
'
t "no --trust: NOT trusted, says why, exit 0 (the default level is valid)" 'cd "$FX" && 
	expect_code 0 lp verify signed.tar.zst >out &&
	contains out "NOT trusted (no trust anchors given (--trust))"
'
t "an unsigned bundle: valid, unsigned, exit 6" 'cd "$FX" && 
	expect_code 6 lp verify --trust good.crt unsigned.tar.zst >out &&
	contains out "unsigned.tar.zst: valid, unsigned"
'
t "an expired signing certificate is reported and not trusted" 'cd "$FX" && 
	make_expired_cert old "/O=Old Org/CN=Old Signer" &&
	collect_signed expired.tar.zst old &&
	expect_code 5 lp verify --trust old.crt expired.tar.zst >out &&
	contains out "signed by /CN=Old Signer/O=Old Org, NOT trusted (certificate has expired" &&
	contains out "certificate expired 2020-02-01T00:00:00Z"
'
t "several bundles: one line each, a summary, the worst exit code" 'cd "$FX" && 
	cp signed.tar.zst bad.tar.zst && printf "garbage" | dd of=bad.tar.zst bs=1 seek=200 conv=notrunc 2>/dev/null &&
	expect_code 4 lp verify --trust good.crt signed.tar.zst unsigned.tar.zst bad.tar.zst >out &&
	test "$(wc -l <out)" -eq 9 && # 3 lines, a blank, the table (a head and 3 rows), the counts
	contains out "signed.tar.zst: valid, signed by" &&
	contains out "bad.tar.zst: INVALID" &&
	contains out "3 bundles: 1 trusted, 0 NOT trusted, 1 unsigned, 1 INVALID, 0 unreadable" &&
	expect_code 6 lp verify --trust good.crt signed.tar.zst unsigned.tar.zst >/dev/null &&
	expect_code 5 lp verify --trust other.crt signed.tar.zst unsigned.tar.zst >/dev/null &&
	expect_code 3 lp verify --trust good.crt signed.tar.zst no-such-file >out &&
	contains out "no-such-file: cannot read"
'
t "--json: one document with outcome, signer, problems and exit code" 'cd "$FX" && 
	expect_code 5 lp verify --json --trust other.crt signed.tar.zst unsigned.tar.zst >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
b = d[\"bundles\"]
assert b[0][\"outcome\"] == \"untrusted\", b[0]
assert b[0][\"signer\"][\"subject\"].endswith(\"CN=Good Signer/emailAddress=good@example.org\")
assert b[0][\"signer\"][\"trusted\"] is False and b[0][\"signer\"][\"signature_ok\"] is True
assert b[0][\"payload_files\"] == 3, b[0]
assert b[1][\"outcome\"] == \"unsigned\" and b[1][\"exit_code\"] == 6
assert d[\"summary\"][\"untrusted\"] == 1 and d[\"exit_code\"] == 5
"
'
t "a bad --trust file is an error (exit 3), not a silent no-trust" 'cd "$FX" && 
	echo junk >junk.pem &&
	expect_code 3 lp verify --trust junk.pem signed.tar.zst 2>err && contains err "junk.pem" &&
	mkdir empty && expect_code 3 lp verify --trust empty signed.tar.zst 2>err && contains err "no certificates"
'
t "bad options exit 2" 'cd "$FX" && 
	expect_code 2 lp verify 2>err && contains err "no bundle given" &&
	expect_code 2 lp verify --max-members x signed.tar.zst 2>err &&
	expect_code 2 lp verify --bogus signed.tar.zst 2>err &&
	lp verify --help >out && contains out "--max-ratio"
'
t "limits: members, size and compression ratio stop verification with a clear reason" 'cd "$FX" && 
	expect_code 4 lp verify --max-members 3 signed.tar.zst >out && contains out "more than 3 members" && contains out "--max-members" &&
	expect_code 4 lp verify --max-size 1K signed.tar.zst >out && contains out "--max-size" &&
	mkdir -p bomb/etc bomb/var/log && cp root/etc/os-release bomb/etc/ &&
	head -c 80M /dev/zero >bomb/var/log/syslog &&
	lp -q collect --root bomb -o bomb.tar.zst >/dev/null &&
	expect_code 0 lp verify bomb.tar.zst >out && contains out "valid, unsigned" &&
	expect_code 4 lp verify --ratio-after 64M bomb.tar.zst >out && contains out "compression ratio above 1000" &&
	expect_code 0 lp verify --ratio-after 64M --max-ratio 1000000 bomb.tar.zst >out && contains out "valid, unsigned" &&
	mkdir -p listed/data && printf "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" >listed/bagit.txt &&
	seq 1 500 | sed "s|^|0000000000000000000000000000000000000000000000000000000000000000  data/f|" >listed/manifest-sha256.txt &&
	expect_code 4 lp verify --max-members 100 listed >out && contains out "the manifests list more than 100 files"
'
test_done
