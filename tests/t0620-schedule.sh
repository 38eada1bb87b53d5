#!/bin/sh
# schedule: systemd units that systemd-analyze accepts without a warning, a cron entry of valid
# syntax, both running the snapshot they describe; status and remove; nothing else touched.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
LP_ABS=$(realpath "$LOGPACK")

t "install --dry-run prints the units and writes nothing" '
	mkdir units
	"$LOGPACK" schedule install --systemd --unit-dir units --every 15m --state st -o out \
		--root "$T" --dry-run >o
	grep -q "^==> units/logpack-snapshot.service <==$" o
	grep -q "^==> units/logpack-snapshot.timer <==$" o
	grep -q "^OnUnitActiveSec=900s$" o
	test -z "$(ls units)"
	test ! -e st && test ! -e out
'

t "without --systemd or --cron: systemd units where systemd runs, else a cron entry" '
	"$LOGPACK" schedule install --every 15m --state st -o out --dry-run >o
	if [ -d /run/systemd/system ]; then
		grep -q "^==> /etc/systemd/system/logpack-snapshot.timer <==$" o
	else
		grep -q "^==> /etc/cron.d/logpack-snapshot <==$" o
		grep -q "^\*/15 \* \* \* \* root " o
	fi
	test ! -e st
'

t "the systemd units pass systemd-analyze verify with no warning, sandboxed, absolute paths" '
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out --root "$T" \
		--keep 24 >o 2>e
	grep -q "wrote units/logpack-snapshot.service" o
	grep -q "systemctl enable --now logpack-snapshot.timer" e
	systemd-analyze verify units/logpack-snapshot.service units/logpack-snapshot.timer >v 2>&1
	cat v
	test ! -s v
	S=units/logpack-snapshot.service
	test "$(stat -c %a $S)" = 644
	grep -q "^ExecStart=$LP_ABS --quiet snapshot --state $PWD/st --output $PWD/out --root $T --keep 24$" $S
	for line in ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes ProtectHome=read-only \
		"ReadOnlyPaths=$T" "ReadWritePaths=$PWD/st $PWD/out" PrivateNetwork=yes; do
		grep -qx "$line" $S
	done
	grep -qx "OnBootSec=3600s" units/logpack-snapshot.timer
	grep -qx "WantedBy=timers.target" units/logpack-snapshot.timer
	test "$(stat -c %a st)" = 700
'

t "the service runs the snapshot it describes" '
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out --root "$T" 2>/dev/null >/dev/null
	cmd=$(sed -n "s/^ExecStart=//p" units/logpack-snapshot.service)
	eval "$cmd"
	ls out/*.tar.zst >/dev/null
	grep -q "^LogPack-Snapshot-Sequence: 1$" "$(bag_of out/*.tar.zst x)/bag-info.txt"
'

t "--on-calendar: OnCalendar with Persistent; systemd-analyze verify is silent; a bad spec is refused" '
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --on-calendar "*-*-* 02:30:00" --name nightly \
		--state st -o out --root "$T" >/dev/null 2>&1
	T2=units/logpack-snapshot-nightly.timer
	grep -qx "OnCalendar=\*-\*-\* 02:30:00" $T2
	grep -qx "Persistent=true" $T2
	systemd-analyze verify units/logpack-snapshot-nightly.service $T2 >v 2>&1
	test ! -s v
	expect_code 2 "$LOGPACK" schedule install --unit-dir units --on-calendar "at teatime" \
		--state st -o out 2>e
	grep -q "systemd does not understand" e
'

t "status names the schedule and the series last snapshot; remove leaves state and bundles" '
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --every 30m --state st -o out --root "$T" >/dev/null 2>&1
	"$LOGPACK" snapshot --state st -o out --root "$T" >/dev/null
	"$LOGPACK" schedule status --unit-dir units --cron-dir none >s
	cat s
	grep -q "logpack-snapshot: systemd, units/logpack-snapshot.timer, every 30m" s
	grep -q "last snapshot: 1 of series" s
	"$LOGPACK" schedule status --unit-dir units --cron-dir none --json >j
	python3 -c "import json; d=json.load(open(\"j\")); assert d[\"installed\"][0][\"series\"][\"sequence\"] == 1"
	"$LOGPACK" schedule remove --unit-dir units --cron-dir none --dry-run >r
	grep -q "would remove units/logpack-snapshot.timer" r
	test -e units/logpack-snapshot.timer
	"$LOGPACK" schedule remove --unit-dir units --cron-dir none >r
	grep -q "removed units/logpack-snapshot.service" r
	test -z "$(ls units)"
	test -s st/state.json
	ls out/*.tar.zst >/dev/null
	"$LOGPACK" schedule status --unit-dir units --cron-dir none | grep -q "not installed"
'

t "files not written by logpack are never replaced or removed" '
	mkdir units
	echo "[Service]" >units/logpack-snapshot.service
	expect_code 3 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out 2>e
	grep -q "was not written by logpack schedule" e
	expect_code 3 "$LOGPACK" schedule remove --unit-dir units --cron-dir none 2>e
	test "$(cat units/logpack-snapshot.service)" = "[Service]"
'

# cron_syntax FILE: every line is a comment, an environment setting, or a cron.d job with five
# valid time fields (or an @keyword), a user, and a command.
cron_syntax() {
	awk '
	function field_ok(f, lo, hi,   parts, n, i, p, r, step) {
		n = split(f, parts, ",")
		for (i = 1; i <= n; i++) {
			p = parts[i]; step = ""
			if (p ~ /\//) { step = p; sub(/.*\//, "", step); sub(/\/.*/, "", p)
				if (step !~ /^[0-9]+$/ || step + 0 < 1 || step + 0 > hi) return 0 }
			if (p == "*") continue
			if (p ~ /^[0-9]+-[0-9]+$/) { split(p, r, "-"); if (r[1] + 0 < lo || r[2] + 0 > hi || r[1] + 0 > r[2] + 0) return 0; continue }
			if (p !~ /^[0-9]+$/ || p + 0 < lo || p + 0 > hi) return 0
		}
		return 1
	}
	/^#/ || /^$/ { next }
	/^[A-Z_]+=/ { next }
	/^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly) [a-z_][a-z0-9_-]* \// { jobs++; next }
	NF >= 7 && field_ok($1, 0, 59) && field_ok($2, 0, 23) && field_ok($3, 1, 31) &&
		field_ok($4, 1, 12) && field_ok($5, 0, 7) && $6 ~ /^[a-z_][a-z0-9_-]*$/ && $7 ~ /^\// { jobs++; next }
	{ print "bad cron line: " $0; bad = 1 }
	END { exit bad || jobs != 1 }' "$1"
}

t "cron: a valid cron.d entry (name, mode, syntax) whose command runs the snapshot" '
	mkdir cron
	"$LOGPACK" schedule install --cron --cron-dir cron --every 15m --state st -o out --root "$T" >o
	grep -q "wrote cron/logpack-snapshot" o
	F=cron/logpack-snapshot
	test "$(stat -c %a $F)" = 644
	# run-parts and cron ignore files in cron.d with other characters in their names
	echo logpack-snapshot | grep -qE "^[A-Za-z0-9_-]+$"
	cron_syntax $F
	grep -q "^\*/15 \* \* \* \* root $LP_ABS --quiet snapshot --state $PWD/st --output $PWD/out --root $T$" $F
	cmd=$(grep "^\*/15" $F | cut -d" " -f7-)
	sh -c "$cmd"
	ls out/*.tar.zst >/dev/null
'

t "cron: hours, days and calendar keywords; what cron cannot say is refused" '
	mkdir cron
	for every in 1m 30m 1h 6h 1d 1w; do
		"$LOGPACK" schedule install --cron --cron-dir cron --every $every --state st -o out >/dev/null
		cron_syntax cron/logpack-snapshot
	done
	"$LOGPACK" schedule install --cron --cron-dir cron --on-calendar daily --state st -o out >/dev/null
	grep -q "^@daily root " cron/logpack-snapshot
	cron_syntax cron/logpack-snapshot
	expect_code 2 "$LOGPACK" schedule install --cron --cron-dir cron --every 7m --state st -o out 2>e
	grep -q "cron cannot run every 7m" e
	expect_code 2 "$LOGPACK" schedule install --cron --cron-dir cron --on-calendar "Mon 02:00" --state st -o out 2>e
	"$LOGPACK" schedule remove --cron-dir cron --unit-dir none >r
	grep -q "removed cron/logpack-snapshot" r
	test -z "$(ls cron)"
'

t "paths with blanks, quotes and %: systemd accepts the units, the cron command runs" '
	mkdir units cron
	"$LOGPACK" schedule install --unit-dir units --every 1h --state "st dir%x" \
		-o "it'"'"'s out" --root "$T" >/dev/null 2>&1
	systemd-analyze verify units/logpack-snapshot.service units/logpack-snapshot.timer >v 2>&1
	test ! -s v
	"$LOGPACK" schedule install --cron --cron-dir cron --every 1h --state "st dir%x" \
		-o "it'"'"'s out" --root "$T" >/dev/null
	cron_syntax cron/logpack-snapshot
	# cron turns an unescaped % into a newline and hands the rest to /bin/sh.
	cmd=$(grep "^0 \* " cron/logpack-snapshot | cut -d" " -f7- | sed "s/\\\\%/%/g")
	sh -c "$cmd"
	test -s "st dir%x/state.json"
	ls "it'"'"'s out"/*.tar.zst >/dev/null
'

t "usage: one of --every/--on-calendar, --state and -o required, unknown options refused" '
	expect_code 2 "$LOGPACK" schedule install --cron-dir . --state st -o out 2>e
	expect_code 2 "$LOGPACK" schedule install --cron-dir . --every 1h --every-day -o out 2>e
	grep -q "unknown option" e
	expect_code 2 "$LOGPACK" schedule install --cron-dir . --every 1h -o out 2>e
	grep -q "needs --state DIR and -o DIR" e
	expect_code 2 "$LOGPACK" schedule install --cron-dir . --every 10s --state st -o out 2>e
	expect_code 2 "$LOGPACK" schedule status --every 1h 2>e
	expect_code 2 "$LOGPACK" schedule frobnicate 2>e
	expect_code 2 "$LOGPACK" schedule install --name "a b" --every 1h --state st -o out 2>e
	"$LOGPACK" schedule --help | grep -q "ProtectSystem=strict"
'

test_done
