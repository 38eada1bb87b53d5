#!/bin/sh
# The coverage report of a journal file written by systemd's own tools (header state, sealing,
# time range, boot IDs, a gap between entries), and the host-wide parts: time daemons, the
# kernel clock on a live root, forwarding destinations and KSI signature files.
. "$TEST_SRCDIR/test-lib.sh"

JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || JR=/usr/lib/systemd/systemd-journal-remote

cov() {
	tar -xOf "$1" --wildcards '*/logpack/coverage.json' >cov.json
	python3 - "$2" <<'PY'
import json, sys
d = json.load(open("cov.json"))
L = {l["path"]: l for l in d["logs"]}
v = eval(sys.argv[1])
print(json.dumps(v) if not isinstance(v, str) else v)
PY
}

R=$TRASH/root
mkdir -p "$R/etc/rsyslog.d" "$R/etc/syslog-ng" "$R/etc/systemd" "$R/etc/audit" "$R/etc/chrony" \
	"$R/var/lib/chrony" "$R/var/log/journal/fedcba9876543210fedcba9876543210"
echo ID=debian >"$R/etc/os-release"
ln -s ../usr/share/zoneinfo/Europe/Helsinki "$R/etc/localtime"

t "setup: a journal written by systemd-journal-remote from export text" '
	test -x "$JR"
	for i in 1 2 3 4; do
		# Entry 4 comes two hours after entry 3; entries 1-2 and 3-4 have their own boots.
		printf "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcd0%d\n_MACHINE_ID=fedcba9876543210fedcba9876543210\n_HOSTNAME=h\nMESSAGE=hello %d\n\n" \
			$((1772500000000000 + i * 1000000 + (i / 4) * 7200000000)) "$i" $(((i + 1) / 2)) "$i"
	done >export.txt
	"$JR" -o "$R/var/log/journal/fedcba9876543210fedcba9876543210/system.journal" export.txt
	journalctl --file "$R/var/log/journal/fedcba9876543210fedcba9876543210/system.journal" \
		-o export >back.txt
	test "$(grep -c ^MESSAGE= back.txt)" = 4
'

cat >"$R/etc/rsyslog.conf" <<'EOF'
# forward everything
*.* @@central.example.org:6514
auth.* @192.0.2.10
$IncludeConfig /etc/rsyslog.d/*.conf
EOF
cat >"$R/etc/rsyslog.d/50-relp.conf" <<'EOF'
module(load="omrelp")
action(type="omrelp" target="relp.example.org" port="2514")
action(type="omfwd"
       target="siem.example.org" port="514" protocol="tcp")
*.* :omrelp:backup.example.org:2514
EOF
cat >"$R/etc/syslog-ng/syslog-ng.conf" <<'EOF'
destination d_net { network("ng.example.org" port(601) transport("tcp")); };
destination d_file { file("/var/log/x"); };
destination d_slog { file("/var/log/messages.slog" template("$(slog -k /var/lib/slog/host.key -m /var/lib/slog/mac.dat $RAWMSG)\n")); };
EOF
printf '[Journal]\nForwardToSyslog=yes\n' >"$R/etc/systemd/journald.conf"
printf '[Upload]\nURL=https://journal.example.org:19532\n' >"$R/etc/systemd/journal-upload.conf"
printf 'remote_server = audit.example.org\nport = 60\n' >"$R/etc/audit/audisp-remote.conf"
printf 'pool 2.debian.pool.ntp.org iburst\nserver ntp1.example.org\n' >"$R/etc/chrony/chrony.conf"
echo 0.1 >"$R/var/lib/chrony/drift"
echo "Mar  3 10:00:00 host a: signed" >"$R/var/log/syslog"
echo "not really a signature" >"$R/var/log/syslog.logsig"

t "the journal file: its header, boot IDs, time range and a gap, from systemd's own file" '
	lp -q collect --root "$R" -o b.tar >/dev/null
	J=/var/log/journal/fedcba9876543210fedcba9876543210/system.journal
	test "$(cov b.tar "L[\"$J\"][\"format\"]")" = journal
	test "$(cov b.tar "L[\"$J\"][\"journal\"][\"state\"]")" != unknown
	test "$(cov b.tar "L[\"$J\"][\"journal\"][\"sealed\"]")" = false
	test "$(cov b.tar "L[\"$J\"][\"journal\"][\"entries_read\"]")" = 4
	test "$(cov b.tar "L[\"$J\"][\"journal\"][\"header_entries\"]")" = 4
	# The header names the machine that wrote the file, not the entries'"'"' machine.
	cov b.tar "L[\"$J\"][\"journal\"][\"machine_id\"]" | grep -Eqx "[0-9a-f]{32}"
	test "$(cov b.tar "L[\"$J\"][\"journal\"][\"boot_ids\"]")" = \
		"[\"0123456789abcdef0123456789abcd01\", \"0123456789abcdef0123456789abcd02\"]"
	test "$(cov b.tar "L[\"$J\"][\"journal\"][\"tail_entry_boot_id\"]")" = \
		0123456789abcdef0123456789abcd02
	test "$(cov b.tar "\"problem\" in L[\"$J\"][\"journal\"]")" = false
	test "$(cov b.tar "L[\"$J\"][\"first_event\"]")" = 2026-03-03T01:06:41Z
	test "$(cov b.tar "L[\"$J\"][\"last_event\"]")" = 2026-03-03T03:06:44Z
	test "$(cov b.tar "L[\"$J\"][\"journal\"][\"head_realtime\"]")" = 2026-03-03T01:06:41Z
	test "$(cov b.tar "L[\"$J\"][\"gaps\"][\"largest\"][0][\"seconds\"]")" = 7201
	test "$(cov b.tar "L[\"$J\"][\"findings\"]")" = "[\"gaps\"]"
	lp show b.tar >out
	contains out "journal"
	contains out "not sealed, 2 boot ID(s), 4 entries"
	contains out "(entry 4)"
'

t "a journal file that is cut short is said to be damaged, not read on" '
	mkdir -p r/etc r/var/log/journal/m
	echo ID=debian >r/etc/os-release
	head -c 300 "$R/var/log/journal/fedcba9876543210fedcba9876543210/system.journal" \
		>r/var/log/journal/m/system.journal
	lp -q collect --root r -o c.tar >/dev/null
	test "$(cov c.tar "L[\"/var/log/journal/m/system.journal\"][\"journal\"][\"entries_read\"]")" = 0
	test "$(cov c.tar "L[\"/var/log/journal/m/system.journal\"][\"journal\"][\"problem\"]")" = \
		"the file ends before its last object"
	test "$(cov c.tar "L[\"/var/log/journal/m/system.journal\"][\"findings\"]")" = "[\"journal_damaged\"]"
'

t "forwarding destinations from rsyslog, syslog-ng, journald, journal-upload, audisp-remote" '
	lp -q collect --root "$R" -o b.tar >/dev/null
	cov b.tar "[(f[\"destination\"], f[\"via\"]) for f in d[\"forwarding\"]]" >fwd
	contains fwd "[\"central.example.org:6514\", \"rsyslog @@ (TCP)\"]"
	contains fwd "[\"192.0.2.10\", \"rsyslog @ (UDP)\"]"
	contains fwd "[\"relp.example.org:2514\", \"rsyslog omrelp\"]"
	contains fwd "[\"siem.example.org:514\", \"rsyslog omfwd (TCP)\"]"
	contains fwd "[\"backup.example.org:2514\", \"rsyslog omrelp\"]"
	contains fwd "[\"ng.example.org\", \"syslog-ng network()\"]"
	contains fwd "[\"local syslog daemon\", \"journald ForwardToSyslog\"]"
	contains fwd "[\"https://journal.example.org:19532\", \"systemd-journal-upload\"]"
	contains fwd "[\"audit.example.org\", \"audisp-remote\"]"
	lacks fwd "/var/log/x"
	lp show b.tar >out
	contains out "forwards to central.example.org:6514 (rsyslog @@ (TCP), /etc/rsyslog.conf)"
'

t "the clock: chrony configured with its servers and drift file; the time zone from the link" '
	lp -q collect --root "$R" -o b.tar >/dev/null
	test "$(cov b.tar "d[\"clock\"][\"daemons\"][0][\"servers\"]")" = \
		"[\"2.debian.pool.ntp.org\", \"ntp1.example.org\"]"
	test "$(cov b.tar "d[\"clock\"][\"daemons\"][0][\"state_files\"][0][\"path\"]")" = \
		/var/lib/chrony/drift
	test "$(cov b.tar "\"kernel\" in d[\"clock\"]")" = false
	test "$(cov b.tar "d[\"time_zone\"][\"name\"]")" = Europe/Helsinki
	test "$(cov b.tar "d[\"seals\"][0][\"path\"]")" = /var/log/syslog.logsig
	lp show b.tar >out
	contains out "clock: chrony (2 servers)"
	contains out "seal file /var/log/syslog.logsig"
	test "$(cov b.tar "d[\"seals\"][1][\"path\"]")" = /var/lib/slog/mac.dat
	contains out "seal file /var/lib/slog/mac.dat (syslog-ng secure logging MAC file"
'

t "on a live root the kernel clock status is read" '
	printf "name tiny\ndescription one small file\n\n[system]\n/etc/os-release\n" >tiny
	lp -q collect --root / -o live.tar --profile ./tiny >/dev/null
	test "$(cov live.tar "type(d[\"clock\"][\"kernel\"][\"synchronised\"]).__name__")" = bool
	test "$(cov live.tar "type(d[\"clock\"][\"kernel\"][\"maxerror_us\"]).__name__")" = int
'

test_done
