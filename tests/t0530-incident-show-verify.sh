#!/bin/sh
# The incident report as the receiver sees it: show prints it after the verdict with its TLP
# label, verify prints the label beside the verdict, and a changed report or label makes a
# signed bundle INVALID.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

# report LANG FILE: the template in LANG filled in with that language's answers.
report() {
	answers_$1 >answers.$1 &&
	lp incident init --lang "$1" tmpl.$1 2>/dev/null &&
	fill tmpl.$1 answers.$1 >"$2"
}

t "setup: a key, a root, and signed bundles with an English and a Swedish report" 'cd "$FX" &&
	make_root root && make_key good "/O=Example AB/CN=Responder" &&
	report en en.txt && lp incident check en.txt &&
	report sv sv.txt && lp incident check sv.txt &&
	collect_signed en.tar.zst good --incident en.txt &&
	collect_signed sv.tar.zst good --incident sv.txt &&
	collect_signed none.tar.zst good &&
	lp -q collect --root root -o unsigned.tar.zst --incident en.txt >/dev/null
'
t "verify (en): the TLP label beside the verdict" 'cd "$FX" &&
	expect_code 0 lp verify --trust good.crt en.tar.zst >out &&
	contains out "en.tar.zst: valid, signed by /O=Example AB/CN=Responder, trusted; TLP:AMBER"
'
t "verify (sv): the TLP label beside the verdict" 'cd "$FX" &&
	expect_code 0 lp verify --trust good.crt sv.tar.zst >out &&
	contains out "sv.tar.zst: valid, signed by /O=Example AB/CN=Responder, trusted; TLP:RED"
'
t "verify: the label of an unsigned bundle, and none for a bundle without a report" 'cd "$FX" &&
	expect_code 0 lp verify unsigned.tar.zst >out &&
	contains out "unsigned.tar.zst: valid, unsigned; TLP:AMBER" &&
	expect_code 0 lp verify --trust good.crt none.tar.zst >out &&
	lacks out "TLP"
'
t "verify --json carries the label" 'cd "$FX" &&
	expect_code 0 lp verify --json --trust good.crt en.tar.zst none.tar.zst >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
assert d[\"bundles\"][0][\"tlp\"] == \"TLP:AMBER\", d
assert d[\"bundles\"][1][\"tlp\"] is None, d
"
'
t "show (en): the report right after the verdict, TLP label first" 'cd "$FX" &&
	expect_code 0 lp show --trust good.crt en.tar.zst >out &&
	sed -n 3p out | grep -qx "TLP:AMBER  incident report from Example AB, case INC-2026-0042" &&
	contains out "  contact:  Anna Andersson, +46 8 123 456 78, anna@example.se" &&
	contains out "  detected: 2026-01-15 14:30 Europe/Stockholm (2026-01-15T13:30:00Z)" &&
	contains out "  what:     Ransomware encrypted the file server. ..." &&
	contains out "  sharing:  Not with our competitors." &&
	head -n 2 out | grep -q "Status:      valid, signed by /O=Example AB/CN=Responder, trusted"
'
t "show (sv): Swedish answers and the TLP:RED label" 'cd "$FX" &&
	expect_code 0 lp show --trust good.crt sv.tar.zst >out &&
	sed -n 3p out | grep -qx "TLP:RED  incident report from Exempel AB, case ÄRENDE 7" &&
	contains out "  contact:  Åsa Öberg, 010-123 45 67, asa.oberg@exempel.se" &&
	contains out "  detected: 2026-01-15 09:05 +01:00 (2026-01-15T08:05:00Z)" &&
	contains out "  what:     Utpressningsprogram krypterade filservern."
'
t "show --json: the label, the summary and the whole report" 'cd "$FX" &&
	lp show --json sv.tar.zst >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
i = d[\"incident\"]
assert i[\"tlp\"] == \"TLP:RED\", i
assert i[\"summary\"].startswith(\"TLP:RED  incident report from Exempel AB\"), i
assert i[\"report\"][\"contact_name\"] == \"\u00c5sa \u00d6berg\", i
assert i[\"report\"][\"police_reported\"] is False, i
"
'
t "a changed incident.json makes a signed bundle INVALID (tag manifest)" 'cd "$FX" &&
	T=$(unpack en.tar.zst t1) &&
	sed -i "s/TLP:AMBER/TLP:CLEAR/" "$T/logpack/incident.json" && pyrepack t1 t1.tar &&
	expect_code 4 lp verify --trust good.crt t1.tar >out &&
	contains out "t1.tar: INVALID" && contains out "incident.json" &&
	contains out "claims TLP:AMBER"
'
t "a changed incident.json with its tag manifest line redone fails the signature" 'cd "$FX" &&
	T=$(unpack en.tar.zst t2) &&
	sed -i "s/Anna Andersson/Mallory/" "$T/logpack/incident.json" &&
	rehash_line tagmanifest-sha256.txt logpack/incident.json "$T" &&
	(cd "$T" && sha256sum --quiet -c tagmanifest-sha256.txt) &&
	pyrepack t2 t2.tar &&
	expect_code 4 lp verify --trust good.crt t2.tar >out &&
	contains out "t2.tar: INVALID"
'
t "a TLP label lowered in bag-info.txt fails the signature, and is shown as a claim" 'cd "$FX" &&
	T=$(unpack sv.tar.zst t3) &&
	sed -i "s/^LogPack-TLP: TLP:RED\$/LogPack-TLP: TLP:CLEAR/" "$T/bag-info.txt" &&
	contains "$T/bag-info.txt" "LogPack-TLP: TLP:CLEAR" &&
	rehash_line tagmanifest-sha256.txt bag-info.txt "$T" &&
	pyrepack t3 t3.tar &&
	expect_code 4 lp verify --trust good.crt t3.tar >out &&
	contains out "t3.tar: INVALID" && contains out "claims TLP:CLEAR"
'
t "show: a hostile report cannot drive the terminal" 'cd "$FX" &&
	T=$(unpack unsigned.tar.zst t4) &&
	sed -i "s/\"organisation\": \"Example AB\"/\"organisation\": \"Evil\\\\u001b[2J\\\\u202eAB\"/" \
		"$T/logpack/incident.json" &&
	contains "$T/logpack/incident.json" "Evil\\u001b[2J" &&
	rehash_line tagmanifest-sha256.txt logpack/incident.json "$T" &&
	pyrepack t4 t4.tar &&
	expect_code 0 lp show t4.tar >out &&
	contains out "incident report from Evil\\x1b[2J\\u{202E}AB" &&
	refute grep -q "$(printf "\033")" out
'
test_done
