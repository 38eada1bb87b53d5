#!/bin/sh
# show and verify --json never state what an INVALID bundle holds as a fact: its signer, host,
# incident report and bag-info fields are its claims; "trusted" is true only for a valid,
# trusted bundle.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a signed bundle, and a copy with a payload file changed (its signature still checks)" 'cd "$FX"
	make_root root
	make_key good "/O=Good Org/CN=Good Signer"
	collect_signed b.tar.zst good
	T=$(unpack b.tar.zst x)
	echo "changed" >>"$T/data/var/log/syslog"
	pyrepack x bad.tar
	expect_code 4 lp verify --trust good.crt bad.tar >out
	contains out "does not match its SHA-256 checksum"
'
t "show: an INVALID bundle's signer, host and counts are said as claims" 'cd "$FX"
	expect_code 4 lp show --trust good.crt bad.tar >out
	grep -q "^Signer: *claims /O=Good Org/CN=Good Signer$" out
	grep -q "^Host: *claims " out
	if grep -q "^Signer: */O=Good Org" out; then exit 1; fi
	contains out "as the bundle claims"
'
t "show: a valid bundle's fields are stated plainly" 'cd "$FX"
	expect_code 0 lp show --trust good.crt b.tar.zst >out
	grep -q "^Signer: */O=Good Org/CN=Good Signer$" out
	lacks out "claims"
'
t "verify --json and show --json: trusted is false for an INVALID bundle, and its contents are claims" 'cd "$FX"
	expect_code 4 lp verify --json --trust good.crt bad.tar >v.json
	expect_code 4 lp show --json --trust good.crt bad.tar >s.json
	expect_code 0 lp show --json --trust good.crt b.tar.zst >ok.json
	python3 -c "
import json
v = json.load(open(\"v.json\"))
v = v[\"bundles\"][0]
assert v[\"outcome\"] == \"invalid\", v
assert v[\"signer\"][\"trusted\"] is False and v[\"signer\"][\"claimed\"] is True, v[\"signer\"]
s = json.load(open(\"s.json\"))
assert s[\"signer\"][\"trusted\"] is False, s[\"signer\"]
assert s[\"host\"] is None and s[\"bag_info\"] is None and s[\"incident\"] is None, s
assert s[\"claims\"][\"bag_info\"][\"LogPack-Format-Version\"] == \"1\", s[\"claims\"]
assert s[\"claims\"][\"host\"][\"os\"][\"id\"] == \"debian\"
o = json.load(open(\"ok.json\"))
assert o[\"signer\"][\"trusted\"] is True and o[\"signer\"][\"claimed\"] is False
assert o[\"host\"][\"os\"][\"id\"] == \"debian\" and \"claims\" not in o
"
'
test_done
