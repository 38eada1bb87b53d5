#!/bin/sh
# snapshot --incident: each snapshot bundle carries the report, as collect's bundles do, and a
# report that fails its check stops the snapshot before anything is read or the state moves.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
mkdir -m 0700 "$TRASH/state"
mkdir "$TRASH/out"

t "snapshot --incident puts incident.json and incident.txt in the bag, and the TLP in bag-info" '
	answers_en >answers
	lp incident init --lang en tmpl 2>/dev/null
	fill tmpl answers >r.txt
	lp snapshot --state "$TRASH/state" --root "$T" -o "$TRASH/out" --incident r.txt >stdout 2>stderr
	bundle=$(ls "$TRASH"/out/*.tar.zst)
	bag=$(bag_of "$bundle" x)
	lp incident show --json r.txt >want.json
	cmp want.json "$bag/logpack/incident.json"
	grep -q "  logpack/incident.txt$" "$bag/tagmanifest-sha256.txt"
	contains "$bag/bag-info.txt" "LogPack-TLP: TLP:AMBER"
	contains "$bag/bag-info.txt" "LogPack-Snapshot-Sequence: 1"
	(cd "$bag" && sha256sum --quiet -c tagmanifest-sha256.txt)
'

t "a report that fails its check stops the snapshot (exit 3) and the series does not move" '
	printf "organisation: Example AB\ntlp: TLP:WHITE\n" >bad.txt
	before=$(ls "$TRASH/out" | wc -l)
	expect_code 3 lp snapshot --state "$TRASH/state" --root "$T" -o "$TRASH/out" --incident bad.txt 2>err
	contains err "bad.txt"
	test "$(ls "$TRASH/out" | wc -l)" = "$before"
	echo "one more line" >>"$T/var/log/syslog"
	lp snapshot --state "$TRASH/state" --root "$T" -o "$TRASH/out" >stdout 2>/dev/null
	ls "$TRASH"/out/*.tar.zst | wc -l | grep -qx 2
'
test_done
