#!/bin/sh
# collect --incident: the report goes into the bag (covered by the tag manifest), bag-info.txt
# names whom to call back, the case reference names the bundle, and a report that fails its
# check stops collect before anything is read.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

# report LANG FILE: the template in LANG filled in with that language's answers.
report() {
	answers_$1 >answers.$1 &&
	lp incident init --lang "$1" tmpl.$1 2>/dev/null &&
	fill tmpl.$1 answers.$1 >"$2"
}

for lang in en sv; do
	t "collect --incident ($lang): incident.json and incident.txt are tag files" "
		report $lang r.txt && mkdir out &&
		lp collect --root \"\$T\" -o out --incident r.txt >stdout 2>stderr &&
		bag=\$(bag_of \"\$(cat stdout)\" x) &&
		lp incident show --json r.txt >want.json &&
		lp incident show r.txt >want.txt &&
		cmp want.json \"\$bag/logpack/incident.json\" &&
		cmp want.txt \"\$bag/logpack/incident.txt\" &&
		grep -q '  logpack/incident.json\$' \"\$bag/tagmanifest-sha256.txt\" &&
		grep -q '  logpack/incident.txt\$' \"\$bag/tagmanifest-sha256.txt\" &&
		(cd \"\$bag\" && sha256sum --quiet -c tagmanifest-sha256.txt)
	"
done

t "bag-info.txt names the organisation, the contact, the case and the TLP label" '
	report en r.txt && mkdir out &&
	lp collect --root "$T" -o out --incident r.txt >stdout 2>/dev/null &&
	bag=$(bag_of "$(cat stdout)" x) &&
	contains "$bag/bag-info.txt" "Source-Organization: Example AB" &&
	contains "$bag/bag-info.txt" "Contact-Name: Anna Andersson" &&
	contains "$bag/bag-info.txt" "Contact-Phone: +46 8 123 456 78" &&
	contains "$bag/bag-info.txt" "Contact-Email: anna@example.se" &&
	contains "$bag/bag-info.txt" "External-Identifier: INC-2026-0042" &&
	contains "$bag/bag-info.txt" "LogPack-TLP: TLP:AMBER"
'
t "the case reference is in the bundle file name" '
	report en r.txt && mkdir out &&
	lp collect --root "$T" -o out --incident r.txt >stdout 2>/dev/null &&
	case "$(cat stdout)" in out/logpack-testhost-INC-2026-0042-*T*Z.tar.zst) ;; *) false ;; esac &&
	test -e "$(cat stdout).sha256"
'
t "a case reference with other characters is made safe for the file name" '
	report sv r.txt && mkdir out &&
	lp collect --root "$T" -o out --incident r.txt >stdout 2>/dev/null &&
	case "$(cat stdout)" in out/logpack-testhost-__RENDE_7-*T*Z.tar.zst) ;; *) cat stdout; false ;; esac &&
	bag=$(bag_of "$(cat stdout)" x) &&
	contains "$bag/bag-info.txt" "External-Identifier: ÄRENDE 7" &&
	contains "$bag/bag-info.txt" "LogPack-TLP: TLP:RED"
'
t "without a case reference the bundle keeps its usual name, and bag-info no identifier" '
	answers_en | sed "s/^case-reference:.*/case-reference:/" >r.txt && mkdir out &&
	lp collect --root "$T" -o out --incident r.txt >stdout 2>/dev/null &&
	case "$(cat stdout)" in out/logpack-testhost-2*T*Z.tar.zst) ;; *) false ;; esac &&
	bag=$(bag_of "$(cat stdout)" x) &&
	lacks "$bag/bag-info.txt" "External-Identifier"
'
t "a report that fails its check stops collect before anything is read (exit 3)" '
	answers_en | sed "s/^tlp:.*/tlp: TLP:PURPLE/; s/^contact-email:.*/contact-email: anna/" >r.txt &&
	mkdir out &&
	expect_code 3 lp collect --root "$T" -o out --incident r.txt >stdout 2>stderr &&
	contains stderr "r.txt: line 4: contact-email: '"'anna'"' is not a plausible email address" &&
	contains stderr "r.txt: line 20: tlp: '"'TLP:PURPLE'"' is not a TLP 2.0 label" &&
	contains stderr "the incident report has 2 problems; nothing collected" &&
	lacks stderr "collected 1" &&
	test -z "$(ls -A out)" && test ! -s stdout
'
t "a report that fails its check stops a dry run too" '
	lp incident init r.txt 2>/dev/null &&
	expect_code 3 lp collect --root "$T" --dry-run --incident r.txt >stdout 2>stderr &&
	contains stderr "required answer missing" && test ! -s stdout
'
t "a missing report file stops collect (exit 3)" '
	mkdir out &&
	expect_code 3 lp collect --root "$T" -o out --incident nothere.txt 2>stderr &&
	contains stderr "nothere.txt: No such file or directory" &&
	test -z "$(ls -A out)"
'
t "a changed incident.json no longer matches the tag manifest (stock sha256sum)" '
	report en r.txt && mkdir out &&
	lp collect --root "$T" -o out --incident r.txt >stdout 2>/dev/null &&
	bag=$(bag_of "$(cat stdout)" x) &&
	sed -i "s/TLP:AMBER/TLP:CLEAR/" "$bag/logpack/incident.json" &&
	! (cd "$bag" && sha256sum --quiet -c tagmanifest-sha256.txt 2>/dev/null) &&
	(cd "$bag" && sha256sum -c tagmanifest-sha256.txt 2>/dev/null | grep -q "logpack/incident.json: FAILED")
'
test_done
