#!/bin/sh
# logpack/coverage.json: what each collected log covers (format, time span, gaps, times going
# backwards, NUL runs, unparsable lines, cleared utmp records), rotation sets with a missing
# generation, and the same findings in 'logpack show' (as claims when the bundle is INVALID).
. "$TEST_SRCDIR/test-lib.sh"

# cov BUNDLE PY-EXPR: evaluate PY-EXPR over the bundle's coverage.json (d: the document,
# L: its logs by path, R: its rotation sets by base), read with stock tar.
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

# A root with one log per finding, and a clean one.
R=$TRASH/root
mkdir -p "$R/etc" "$R/var/log/nginx"
echo ID=debian >"$R/etc/os-release"
echo "Europe/Stockholm" >"$R/etc/timezone"
# syslog: a 6-hour silence after 00:10, a line back-dated by 4 hours, one line not syslog.
cat >"$R/var/log/syslog" <<'EOF'
Mar  3 00:00:01 host sshd[1]: Accepted publickey for alice
Mar  3 00:10:01 host CRON[2]: (root) CMD (run-parts /etc/cron.hourly)
Mar  3 06:10:01 host CRON[3]: (root) CMD (run-parts /etc/cron.hourly)
Mar  3 02:00:00 host sshd[4]: Accepted password for root
Mar  3 06:20:01 host CRON[5]: (root) CMD (run-parts /etc/cron.hourly)
this line is no syslog line
EOF
touch -d 2026-03-03T12:00:00Z "$R/var/log/syslog"
# auth.log: a run of 4096 NUL bytes where lines were wiped in place.
{
	echo "Mar  3 07:00:00 host sshd[9]: Accepted publickey for bob"
	head -c 4096 /dev/zero
	echo "Mar  3 07:05:00 host sshd[9]: session closed for bob"
} >"$R/var/log/auth.log"
touch -d 2026-03-03T12:00:00Z "$R/var/log/auth.log"
# kern.log: clean, RFC 5424 with zones.
for m in 0 1 2 3 4 5; do
	echo "<4>1 2026-03-03T10:0$m:00+01:00 host kernel - - - tick $m"
done >"$R/var/log/kern.log"
# kern.log.1.zst: a generation compressed with stock zstd, read on the fly.
echo "<4>1 2026-03-02T23:00:00Z host kernel - - - older" | zstd -q >"$R/var/log/kern.log.1.zst"
# nginx: across New Year, times with their zones.
cat >"$R/var/log/nginx/access.log" <<'EOF'
203.0.113.9 - - [31/Dec/2025:23:50:00 +0000] "GET / HTTP/1.1" 200 153 "-" "curl/8"
203.0.113.9 - - [31/Dec/2025:23:59:59 +0000] "GET /a HTTP/1.1" 200 153 "-" "curl/8"
203.0.113.9 - - [01/Jan/2026:00:20:00 +0000] "GET /b HTTP/1.1" 404 153 "-" "curl/8"
EOF
# messages: RFC 3164 across New Year; the file was last written on 1 January.
printf 'Dec 31 23:59:00 host a: old year\nJan  1 00:01:00 host a: new year\n' >"$R/var/log/messages"
touch -d 2026-01-01T01:00:00Z "$R/var/log/messages"
# wtmp: three logins, the middle record zeroed.
python3 - "$R/var/log/wtmp" <<'PY'
import struct, sys
def rec(t, user, when):
    return struct.pack("<hxxi32s4s32s256shhiii4i20x", t, 100, b"pts/0", b"ts/0",
                       user, b"198.51.100.7", 0, 0, 0, when, 0, 0, 0, 0, 0)
with open(sys.argv[1], "wb") as f:
    f.write(rec(7, b"alice", 1772500000))
    f.write(bytes(384))
    f.write(rec(7, b"bob", 1772501800))
PY
# daemon.log: rotation set daemon.log, .1, .3.gz (.2 missing), contiguous otherwise.
printf 'Mar  3 09:00:00 host d: gen0\n' >"$R/var/log/daemon.log"
printf 'Mar  3 08:00:00 host d: gen1\n' >"$R/var/log/daemon.log.1"
printf 'Mar  3 05:00:00 host d: gen3\n' | gzip >"$R/var/log/daemon.log.3.gz"
touch -d 2026-03-03T12:00:00Z "$R/var/log/daemon.log" "$R/var/log/daemon.log.1" \
	"$R/var/log/daemon.log.3.gz"

lp -q collect --root "$R" -o b.tar >/dev/null

t "coverage.json is a tag file: in the tag manifest, checked by sha256sum" '
	mkdir x
	tar -C x -xf ../b.tar
	cd x/*/
	grep -q "  logpack/coverage.json\$" tagmanifest-sha256.txt
	sha256sum -c --strict --quiet tagmanifest-sha256.txt
'

t "a planted 6-hour gap and a back-dated line are found, with their times" '
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"format\"]")" = rfc3164
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"gaps\"][\"count\"]")" = 1
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"gaps\"][\"largest\"][0][\"seconds\"]")" = 21600
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"gaps\"][\"largest\"][0][\"after\"]")" = 2026-03-03T00:10:01
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"backwards\"][\"count\"]")" = 1
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"backwards\"][\"largest\"][0][\"at\"]")" = 4
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"unparsable_lines\"][\"first\"]")" = "[6]"
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"events\"]")" = 5
	test "$(cov ../b.tar "L[\"/var/log/syslog\"][\"year\"][\"last_event_year\"]")" = 2026
	test "$(cov ../b.tar "sorted(L[\"/var/log/syslog\"][\"findings\"])")" = \
		"[\"backwards\", \"gaps\", \"unparsable_lines\"]"
'

t "a run of NUL bytes is found at its offset" '
	test "$(cov ../b.tar "L[\"/var/log/auth.log\"][\"nul_runs\"][\"largest\"]")" = \
		"[{\"offset\": 57, \"length\": 4096}]"
	test "$(cov ../b.tar "L[\"/var/log/auth.log\"][\"events\"]")" = 2
	test "$(cov ../b.tar "L[\"/var/log/auth.log\"][\"findings\"]")" = "[\"nul_runs\"]"
'

t "a clean log reports no finding" '
	test "$(cov ../b.tar "L[\"/var/log/kern.log\"][\"format\"]")" = rfc5424
	test "$(cov ../b.tar "L[\"/var/log/kern.log\"][\"first_event\"]")" = 2026-03-03T09:00:00Z
	test "$(cov ../b.tar "L[\"/var/log/kern.log\"][\"findings\"]")" = "[]"
	test "$(cov ../b.tar "L[\"/var/log/kern.log\"][\"events\"]")" = 6
'

t "an nginx log across New Year keeps its years and has no gap" '
	test "$(cov ../b.tar "L[\"/var/log/nginx/access.log\"][\"format\"]")" = combined
	test "$(cov ../b.tar "L[\"/var/log/nginx/access.log\"][\"first_event\"]")" = 2025-12-31T23:50:00Z
	test "$(cov ../b.tar "L[\"/var/log/nginx/access.log\"][\"last_event\"]")" = 2026-01-01T00:20:00Z
	test "$(cov ../b.tar "L[\"/var/log/nginx/access.log\"][\"findings\"]")" = "[]"
'

t "syslog lines without a year take it from the mtime, across New Year" '
	test "$(cov ../b.tar "L[\"/var/log/messages\"][\"first_event\"]")" = 2025-12-31T23:59:00
	test "$(cov ../b.tar "L[\"/var/log/messages\"][\"last_event\"]")" = 2026-01-01T00:01:00
	test "$(cov ../b.tar "L[\"/var/log/messages\"][\"findings\"]")" = "[]"
'

t "a cleared wtmp record is counted at its offset" '
	test "$(cov ../b.tar "L[\"/var/log/wtmp\"][\"format\"]")" = utmp
	test "$(cov ../b.tar "L[\"/var/log/wtmp\"][\"records\"][\"count\"]")" = 3
	test "$(cov ../b.tar "L[\"/var/log/wtmp\"][\"records\"][\"cleared_offsets\"]")" = "[384]"
	test "$(cov ../b.tar "L[\"/var/log/wtmp\"][\"first_event\"]")" = 2026-03-03T01:06:40Z
	test "$(cov ../b.tar "L[\"/var/log/wtmp\"][\"findings\"]")" = "[\"cleared_records\"]"
'

t "a rotation set with a missing generation, its gzip generation read" '
	test "$(cov ../b.tar "R[\"/var/log/daemon.log\"][\"missing_generations\"]")" = "[2]"
	test "$(cov ../b.tar "L[\"/var/log/daemon.log.3.gz\"][\"first_event\"]")" = 2026-03-03T05:00:00
	test "$(cov ../b.tar "L[\"/var/log/daemon.log.3.gz\"][\"compression\"]")" = gzip
	test "$(cov ../b.tar "R[\"/var/log/daemon.log\"][\"discontinuities\"][0][\"kind\"]")" = gap
'

t "a zstd generation is decompressed and read" '
	test "$(cov ../b.tar "L[\"/var/log/kern.log.1.zst\"][\"compression\"]")" = zstd
	test "$(cov ../b.tar "L[\"/var/log/kern.log.1.zst\"][\"first_event\"]")" = 2026-03-02T23:00:00Z
	test "$(cov ../b.tar "L[\"/var/log/kern.log.1.zst\"][\"findings\"]")" = "[]"
'

t "the time zone and its source" '
	test "$(cov ../b.tar "d[\"time_zone\"]")" = \
		"{\"name\": \"Europe/Stockholm\", \"source\": \"/etc/timezone\"}"
'

t "show prints every finding after the verdict" '
	lp show ../b.tar >out
	contains out "Coverage (logpack/coverage.json):"
	contains out "/var/log/syslog: rfc3164, 2026-03-03T00:00:01 .. 2026-03-03T06:20:01, 5 events"
	contains out "1 gap(s); largest: 6h00m from 2026-03-03T00:10:01 to 2026-03-03T06:10:01"
	contains out "4h10m back to 2026-03-03T02:00:00 (line 4)"
	contains out "1 run(s) of NUL bytes, 4096 bytes; largest 4096 at offset 57"
	contains out "1 cleared (all-zero) record(s) of 3; first at offset 384"
	contains out "rotation set /var/log/daemon.log: 3 generation(s), missing 2"
	contains out "time zone Europe/Stockholm (/etc/timezone)"
	lp show --json ../b.tar >out.json
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); assert d[\"coverage\"][\"coverage_version\"] == 1"
'

t "show says an INVALID bundle only claims its coverage" '
	mkdir x
	tar -C x -xf ../b.tar
	for f in x/*/data/var/log/kern.log; do echo tampered >>"$f"; done
	expect_code 4 lp show x/* >out
	contains out "claims   /var/log/syslog: rfc3164"
	refute grep -q "^  /var/log/" out
	expect_code 4 lp show --json x/* >out.json
	python3 -c "import json,sys; d=json.load(open(\"out.json\")); assert d[\"coverage\"] is None and d[\"claims\"][\"coverage\"][\"coverage_version\"] == 1"
'

t "--gap raises the threshold; --no-coverage leaves the report out" '
	lp -q collect --root "$R" -o g.tar --gap 7h --backwards 5h >/dev/null
	test "$(cov g.tar "L[\"/var/log/syslog\"][\"gaps\"][\"count\"]")" = 0
	test "$(cov g.tar "L[\"/var/log/syslog\"][\"backwards\"][\"count\"]")" = 0
	test "$(cov g.tar "d[\"settings\"]")" = "{\"gap_seconds\": 25200, \"backwards_seconds\": 18000}"
	lp -q collect --root "$R" -o n.tar --no-coverage >/dev/null
	tar -tf n.tar >list
	lacks list coverage.json
	expect_code 2 lp collect --root "$R" -o e.tar --gap soon
'

t "collection.log carries the summary" '
	tar -xOf ../b.tar --wildcards "*/logpack/collection.log" >log
	contains log "coverage of the logs (logpack/coverage.json):"
	contains log "1 gap(s); largest: 6h00m"
'

t "a line longer than what is kept is counted, and the lines after it still parse" '
	mkdir -p r/etc r/var/log
	echo ID=debian >r/etc/os-release
	{
		echo "Mar  3 00:00:01 host a: before"
		printf "Mar  3 00:00:02 host a: "
		head -c 3000000 /dev/zero | tr "\\0" x
		echo
		echo "Mar  3 00:00:03 host a: after"
	} >r/var/log/syslog
	lp -q collect --root r -o l.tar >/dev/null
	test "$(cov l.tar "L[\"/var/log/syslog\"][\"long_lines\"]")" = 1
	test "$(cov l.tar "L[\"/var/log/syslog\"][\"events\"]")" = 3
	test "$(cov l.tar "L[\"/var/log/syslog\"][\"findings\"]")" = "[]"
'

t "-j 1 analyses in line, -j 2 and -j 3 on a thread of its own: the same report and summary" '
	big=$TRASH/big-root
	cp -a "$R" "$big"
	# enough bytes that the reader runs ahead of the analysis: several 1 MiB chunks a file
	python3 -c "
import gzip
lines = [\"Mar  3 %02d:%02d:%02d host big[1]: line %d\\n\" % (h, m, s, h * 3600 + m * 60 + s)
         for h in range(10, 14) for m in range(60) for s in range(0, 60, 2)]
text = \"\".join(lines * 8)
open(\"$big/var/log/big.log\", \"w\").write(text)
with gzip.open(\"$big/var/log/big.log.2.gz\", \"wt\") as f:
    f.write(text)
"
	for j in 1 2 3; do
		lp -q collect -j $j --root "$big" -o j$j.tar >/dev/null
		tar -xOf j$j.tar --wildcards "*/logpack/coverage.json" |
			grep -v -e "\"collected_at\"" -e "\"newest_event_age_seconds\"" >j$j.json
		tar -xOf j$j.tar --wildcards "*/logpack/collection.log" |
			sed -n "/coverage of the logs/,\$p" | grep -v "newest event" | cut -d" " -f2- >j$j.log
	done
	cmp j1.json j2.json
	cmp j1.log j2.log
	cmp j1.json j3.json
	cmp j1.log j3.log
	test "$(cov j3.tar "L[\"/var/log/big.log.2.gz\"][\"events\"]")" = 57600
	test "$(cov j3.tar "L[\"/var/log/big.log\"][\"events\"]")" = 57600
'

t "the report costs no memory per log: 10,000 logs take at most 12 MiB more than without it" '
	mkdir -p m/etc m/var/log/app
	echo ID=debian >m/etc/os-release
	python3 -c "
import os
for d in range(10):
    os.makedirs(\"m/var/log/app/%02d\" % d)
    for i in range(1000):
        with open(\"m/var/log/app/%02d/w%04d.log\" % (d, i), \"w\") as f:
            f.write(\"Mar  3 00:00:%02d host w: job %d\\n\" % (i % 60, i))
"
	printf "name all\ndescription every log\n\n[application]\n/var/log/**\n" >all.profile
	mkdir o1 o2
	with=$(peak_rss_kb "$LOGPACK" -q collect --root m -p all.profile -o o1)
	without=$(peak_rss_kb "$LOGPACK" -q collect --root m -p all.profile -o o2 --no-coverage)
	echo "peak RSS: $with KiB with the report, $without KiB without" >&2
	test "$with" -le $((without + 12 * 1024))
	# every log has its record; nothing is left in the output directory but the bundle
	tar -xOf o1/*.tar.zst --wildcards "*/logpack/coverage.json" >m.json
	test "$(python3 -c "import json; print(len(json.load(open(\"m.json\"))[\"logs\"]))")" = 10000
	test "$(ls -A o1 | wc -l)" = 2
	tar -xOf o1/*.tar.zst --wildcards "*/logpack/collection.log" >m.log
	test "$(grep -c "^.*  /var/log/app/.*: rfc3164" m.log)" = 10000
'

test_done
