#!/bin/sh
# The incident report file: template, check, and what goes into the bundle, in both languages.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

# line_of FILE KEY: the line number of KEY's field in FILE.
line_of() {
	grep -n "^$2:" "$1" | cut -d: -f1
}

t "init writes the English template, mode 0600" '
	lp incident init r.txt 2>err &&
	contains r.txt "# What has happened? (required)" &&
	contains r.txt "language: en" &&
	contains r.txt "cert@cert.se" &&
	contains err "logpack incident check r.txt" &&
	test "$(stat -c %a r.txt)" = 600
'
t "init --lang sv writes the Swedish template" '
	lp incident init --lang sv r.txt &&
	contains r.txt "# Vad har hänt? (obligatorisk)" &&
	contains r.txt "# Kan organisationen dela med sig av information" &&
	contains r.txt "language: sv"
'
t "init - writes the template to standard output" '
	lp incident init - >out && contains out "tlp:" && test ! -e incident-report.txt
'
t "init without a file writes incident-report.txt" '
	lp incident init 2>/dev/null && test -s incident-report.txt
'
t "init refuses to overwrite a file" '
	echo precious >r.txt &&
	expect_code 3 lp incident init r.txt 2>err &&
	contains err "r.txt: already exists" &&
	test "$(cat r.txt)" = precious
'
t "init does not follow a symlink" '
	ln -s target r.txt &&
	expect_code 3 lp incident init r.txt 2>/dev/null &&
	test ! -e target
'
t "a bad --lang is a usage error" '
	expect_code 2 lp incident init --lang de r.txt 2>err && contains err "not en or sv"
'
t "an unknown action is a usage error" '
	expect_code 2 lp incident send r.txt 2>err && contains err "unknown action"
'
t "check needs a file" '
	expect_code 2 lp incident check 2>err && contains err "which file"
'
t "check of a missing file exits 3" '
	expect_code 3 lp incident check nothere.txt 2>err && contains err "nothere.txt: No such file"
'
t "the empty template fails check, each required answer by its line" '
	lp incident init r.txt 2>/dev/null &&
	expect_code 4 lp incident check r.txt >out &&
	for k in organisation contact-name contact-phone contact-email time-zone detected-at \
		what-happened how-discovered measures-taken ongoing more-affected help-wanted \
		contacted police-report tlp; do
		contains out "r.txt: line $(line_of r.txt $k): $k: required answer missing" || exit 1
	done &&
	lacks out "case-reference" && lacks out "police-reference" &&
	contains out "15 problems"
'

for lang in en sv; do
	t "round trip ($lang): template filled in by hand passes check" "
		answers_$lang >answers &&
		lp incident init --lang $lang tmpl 2>/dev/null &&
		fill tmpl answers >r.txt &&
		lp incident check r.txt >out &&
		contains out 'r.txt: ok, TLP:'
	"
done

t "show (en): incident.txt with both languages' questions" '
	answers_en >answers && lp incident init tmpl 2>/dev/null && fill tmpl answers >r.txt &&
	lp incident show r.txt >out &&
	test "$(head -n 1 out)" = "TLP:AMBER" &&
	contains out "What has happened?" && contains out "Vad har hänt?" &&
	contains out "    Ransomware encrypted the file server." &&
	contains out "Detected / Upptäckt: 2026-01-15 14:30 Europe/Stockholm (2026-01-15T13:30:00Z)" &&
	contains out "5000-K123456-26"
'
t "show --json (en): incident.json" '
	answers_en >answers && lp incident init tmpl 2>/dev/null && fill tmpl answers >r.txt &&
	lp incident show --json r.txt >out &&
	contains out "\"format\": \"logpack-incident\"" &&
	contains out "\"what_happened\": \"Ransomware encrypted the file server.\\n\\nThe backups" &&
	contains out "\"police_reported\": true" &&
	contains out "\"tlp\": \"TLP:AMBER\"" &&
	contains out "\"detected_at_utc\": \"2026-01-15T13:30:00Z\""
'
t "show --json (sv): offset zone applied, no police report, Swedish text kept" '
	answers_sv >answers && lp incident init --lang sv tmpl 2>/dev/null &&
	fill tmpl answers >r.txt &&
	lp incident show --json r.txt >out &&
	contains out "\"contact_name\": \"Åsa Öberg\"" &&
	contains out "\"detected_at_utc\": \"2026-01-15T08:05:00Z\"" &&
	contains out "\"police_reported\": false" &&
	contains out "\"police_reference\": null" &&
	contains out "\"tlp\": \"TLP:RED\""
'
t "show refuses a report that fails check" '
	lp incident init r.txt 2>/dev/null &&
	expect_code 4 lp incident show r.txt >out 2>err && contains err "required answer missing"
'

q="'"

# check_one KEY LINE EXPECTED: the English report with KEY's answer replaced by LINE fails check
# with EXPECTED on that field's line.
check_one() {
	answers_en | sed "s|^$1:.*|$2|" >answers &&
	lp incident init tmpl 2>/dev/null && fill tmpl answers >r.txt &&
	expect_code 4 lp incident check r.txt >out &&
	contains out "r.txt: line $(line_of r.txt $1): $1: $3" &&
	contains out "1 problem"
}
t "check: invalid TLP label" 'check_one tlp "tlp: TLP:ORANGE" "'"'TLP:ORANGE'"' is not a TLP 2.0 label"'
t "check: TLP 1.0 label" 'check_one tlp "tlp: TLP:WHITE" "TLP:WHITE is TLP 1.0"'
t "check: implausible email" 'check_one contact-email "contact-email: anna(at)example" "${q}anna(at)example$q is not a plausible email address"'
t "check: implausible phone number" 'check_one contact-phone "contact-phone: 123" "${q}123$q is not a plausible phone number"'
t "check: time that does not parse" 'check_one detected-at "detected-at: last tuesday" "${q}last tuesday$q is not a date and time"'
t "check: unknown time zone" 'check_one time-zone "time-zone: Europe/Atlantis" "unknown time zone"'
t "check: police report not yes or no" 'check_one police-report "police-report: perhaps" "${q}perhaps$q: answer yes or no"'
t "check: required answer left empty" 'check_one help-wanted "help-wanted:" "required answer missing"'
t "check: required field deleted" '
	answers_en | grep -v "^contacted:" >answers &&
	lp incident init tmpl 2>/dev/null && fill tmpl answers | grep -v "^contacted:" >r.txt &&
	expect_code 4 lp incident check r.txt >out &&
	contains out "r.txt: contacted: required answer missing (the field is not in the file)"
'
t "check: unknown and repeated fields, stray lines" '
	answers_en >r.txt &&
	printf "organisaton: typo\norganisation: again\nno colon here\n" >>r.txt &&
	expect_code 4 lp incident check r.txt >out &&
	contains out "r.txt: line 22: unknown field '"'organisaton'"'" &&
	contains out "r.txt: line 23: organisation given twice (first on line 1)" &&
	contains out "r.txt: line 24: expected '"'key: answer'"'"
'
t "check: bytes that are not UTF-8" '
	bad=$(printf "\344") &&
	answers_en | sed "s/^organisation: .*/organisation: Ex${bad}mpel/" >r.txt &&
	expect_code 4 lp incident check r.txt >out &&
	contains out "r.txt: line 1: not valid UTF-8"
'
t "check --json lists problems with line numbers" '
	answers_en | sed "s/^tlp:.*/tlp: purple/" >r.txt &&
	expect_code 4 lp incident check --json r.txt >out &&
	contains out "\"ok\": false" && contains out "\"line\": 20" &&
	contains out "tlp: '"'purple'"' is not a TLP 2.0 label"
'
t "check --json of a good report" '
	answers_en >r.txt && lp incident check --json r.txt >out &&
	contains out "\"ok\": true" && contains out "\"tlp\": \"TLP:AMBER\""
'
t "ask refuses when standard input is not a terminal, and points at init" '
	expect_code 2 lp incident ask r.txt </dev/null 2>err &&
	contains err "needs a terminal" && contains err "logpack incident init r.txt" &&
	test ! -e r.txt
'
test_done
