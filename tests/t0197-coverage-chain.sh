#!/bin/sh
# Coverage in a snapshot series: each snapshot's coverage.json covers the bytes it took (an
# append is analysed from its offset), and verify --chain gives the time the whole series'
# logs span, from verified bundles only.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"
# (uncompressed bundles, so that one byte of one can be changed and the bundle still read)

T=$TRASH/root
mkdir -p "$T/etc" "$T/var/log" "$TRASH/out"
echo ID=debian >"$T/etc/os-release"
printf '<13>1 2026-03-01T10:00:00Z h a - - - one\n<13>1 2026-03-01T11:00:00Z h a - - - two\n' \
	>"$T/var/log/syslog"
printf '<13>1 2026-02-28T10:00:00Z h a - - - older\n' >"$T/var/log/syslog.1"

cov() {
	tar -xOf "$1" --wildcards '*/logpack/coverage.json' >cov.json
	python3 - "$2" <<'PY'
import json, sys
d = json.load(open("cov.json"))
L = {l["path"]: l for l in d["logs"]}
R = {r["base"]: r for r in d["rotation_sets"]}
v = eval(sys.argv[1])
print(json.dumps(v) if not isinstance(v, str) else v)
PY
}

t "two snapshots: the second analyses only the appended bytes" '
	snap s1 --state "$TRASH/st" --root "$T" -o "$TRASH/out" -c none
	test "$(cat s1.rc)" = 0
	printf "<13>1 2026-03-02T09:00:00Z h a - - - three\n" >>"$T/var/log/syslog"
	snap s2 --state "$TRASH/st" --root "$T" -o "$TRASH/out" -c none
	test "$(cat s2.rc)" = 0
	B2=$(ls "$TRASH"/out/logpack-*-snapshot-*-000002-*.tar)
	test "$(cov "$B2" "L[\"/var/log/syslog\"][\"from_offset\"]")" = 82
	test "$(cov "$B2" "L[\"/var/log/syslog\"][\"first_event\"]")" = 2026-03-02T09:00:00Z
	test "$(cov "$B2" "L[\"/var/log/syslog\"][\"events\"]")" = 1
	# syslog.1 did not change: not in snapshot 2, and not a missing generation either.
	test "$(cov "$B2" "\"/var/log/syslog.1\" in L")" = false
	test "$(cov "$B2" "R[\"/var/log/syslog\"][\"missing_generations\"]")" = "[]"
	test "$(cov "$B2" "R[\"/var/log/syslog\"][\"generations\"][0][\"not_read\"]")" = unchanged
'

t "verify --chain gives the time the series covers" '
	expect_code 0 lp verify --chain "$TRASH/out" >v
	contains v "events in the series'"'"' logs: 2026-02-28T10:00:00Z .. 2026-03-02T09:00:00Z"
	expect_code 0 lp verify --chain --json "$TRASH/out" >vj
	python3 -c "import json; d=json.load(open(\"vj\")); assert d[\"events\"] == {\"from\": \"2026-02-28T10:00:00Z\", \"to\": \"2026-03-02T09:00:00Z\"}, d[\"events\"]; assert d[\"bundles\"][1][\"events_from\"] == \"2026-03-02T09:00:00Z\""
'

t "an INVALID bundle in the series adds nothing to the time covered" '
	mkdir bad
	cp "$TRASH"/out/*.tar bad/
	B2=$(ls bad/logpack-*-snapshot-*-000002-*.tar)
	# One byte of the appended line changed: the bundle stays readable, and is INVALID.
	python3 - "$B2" <<"PY"
import sys
p = sys.argv[1]
b = open(p, "rb").read()
assert b.count(b"three") == 1
open(p, "wb").write(b.replace(b"three", b"thref"))
PY
	expect_code 4 lp verify --chain bad >v
	contains v "events in the series'"'"' logs: 2026-02-28T10:00:00Z .. 2026-03-01T11:00:00Z"
'

test_done
