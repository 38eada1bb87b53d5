#!/bin/sh
# show: what a bundle holds, in one pass; extract: verify first, then unpack safely.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

t "setup: a signed bundle, and one with an incident report added" 'cd "$FX" && 
	make_root root && make_key good "/O=Good Org/CN=Good Signer" &&
	collect_signed b.tar.zst good &&
	T=$(unpack b.tar.zst x) &&
	answers_en >report.txt && lp incident show --json report.txt >"$T/logpack/incident.json" &&
	(cd "$T" && sha256sum logpack/incident.json >>tagmanifest-sha256.txt) &&
	rm "$T/tagmanifest-sha256.txt.p7s" && pyrepack x incident.tar &&
	expect_code 0 lp verify incident.tar
'
t "show: host, OS, time, profile, signer, counts per category" 'cd "$FX" && 
	expect_code 0 lp show --trust good.crt b.tar.zst >out &&
	contains out "valid, signed by /O=Good Org/CN=Good Signer, trusted" &&
	contains out "OS:          Debian GNU/Linux 12 (bookworm)" &&
	contains out "Profile:     debian" && contains out "Collected:   20" &&
	contains out "Signer:      /O=Good Org/CN=Good Signer" && contains out "Signed at:" &&
	contains out "Payload:     3 files" &&
	grep -E "^  auth +1 files" out && grep -E "^  system +1 files" out &&
	lacks out "Incident:"
'
t "show: the incident report TLP and summary when present" 'cd "$FX" && 
	expect_code 0 lp show incident.tar >out &&
	contains out "TLP:AMBER  incident report from Example AB, case INC-2026-0042" &&
	contains out "  what:     Ransomware encrypted the file server. ..." &&
	contains out "Signer:      (unsigned)"
'
t "show --files lists each record; --json carries the same" 'cd "$FX" && 
	lp show --files b.tar.zst >out && grep -E "collected +auth .*/var/log/auth.log" out &&
	lp show --json --files incident.tar >out.json &&
	python3 -c "
import json
d = json.load(open(\"out.json\"))
assert d[\"incident\"][\"tlp\"] == \"TLP:AMBER\", d[\"incident\"]
assert d[\"host\"][\"os\"][\"id\"] == \"debian\"
assert d[\"categories\"][\"auth\"][\"files\"] == 1
assert any(f[\"path\"] == \"/var/log/syslog\" and f[\"status\"] == \"collected\" for f in d[\"files\"])
assert d[\"bag_info\"][\"LogPack-Format-Version\"] == \"1\"
"
'
t "show on an INVALID bundle says so first and exits 4" 'cd "$FX" && 
	T=$(unpack b.tar.zst y) && echo x >>"$T/data/var/log/syslog" && rm -rf x && mv y x && pyrepack x bad.tar &&
	expect_code 4 lp show bad.tar >out && head -2 out | grep -q "Status:      INVALID"
'
t "extract: verifies, then unpacks into DIR/<bag>; the result checks with sha256sum" 'cd "$FX" && 
	expect_code 0 lp extract --trust good.crt b.tar.zst unpacked >path 2>err &&
	contains err "trusted" && B=$(cat path) && test -d "$B/data/var/log" &&
	(cd "$B" && sha256sum -c manifest-sha256.txt >/dev/null && sha256sum -c tagmanifest-sha256.txt >/dev/null) &&
	test "$(stat -c %a "$B/data/var/log/syslog")" = 600 &&
	cmp "$B/data/var/log/syslog" root/var/log/syslog
'
t "extract never overwrites: a second run into the same DIR fails and changes nothing" 'cd "$FX" && 
	B=$(cat path) && echo "analyst notes" >"$B/data/var/log/syslog" &&
	expect_code 3 lp extract b.tar.zst unpacked 2>err && contains err "already exists (never overwritten)" &&
	test "$(cat "$B/data/var/log/syslog")" = "analyst notes"
'
t "extract refuses an INVALID bundle and writes nothing" 'cd "$FX" && 
	expect_code 4 lp extract bad.tar refused 2>err &&
	contains err "refusing to extract an INVALID bundle" && test ! -e refused
'
t "extract --force on a hostile bundle: nothing outside DIR, no links, no overwrite" '
	cd "$FX"
	T=$(unpack b.tar.zst h)
	mkdir -p deep/er
	cd deep/er
	pyrepack ../../h host.tar "file:../escaped:boom" "file:/tmp/logpack-abs-$$:boom" \
		"symlink:TOP/data/link:/etc" "hardlink:TOP/data/hl:/etc/passwd" \
		"file:TOP/data/var/log/syslog:second copy" "chr:TOP/data/null:"
	if ! expect_code 4 lp extract --force host.tar dest 2>err; then
		cat err
		false
	fi
	test ! -e ../escaped && test ! -e "/tmp/logpack-abs-$$" &&
	B=$(echo dest/logpack-*) && test ! -e "$B/data/link" && test ! -e "$B/data/hl" &&
	test ! -e "$B/data/null" && cmp "$B/data/var/log/syslog" ../../root/var/log/syslog &&
	contains err "not extracted: '"'"'../escaped'"'"' has '"'"'..'"'"' in its name" &&
	contains err "is a link" && contains err "already exists (never overwritten)"
'
t "extract does not follow a symlink planted in DIR" 'cd "$FX" && 
	mkdir -p trap target && B=$(cd x && echo logpack-*) && ln -s "$PWD/target" "trap/$B" &&
	expect_code 3 lp extract b.tar.zst trap 2>err && test -z "$(ls target)"
'
t "extract --force still stops a decompression bomb" 'cd "$FX" &&
	mkdir -p bomb/etc bomb/var/log && cp root/etc/os-release bomb/etc/ &&
	head -c 100M /dev/zero >bomb/var/log/syslog && lp -q collect --root bomb -o bomb.tar.zst >/dev/null &&
	expect_code 4 lp extract --force --ratio-after 64M bomb.tar.zst bx 2>err && contains err "compression ratio above 1000: stopped" &&
	test "$(du -sm bx | cut -f1)" -lt 80 && rm -rf bomb bx
'
t "usage errors exit 2" 'cd "$FX" && 
	expect_code 2 lp extract b.tar.zst 2>err && expect_code 2 lp show 2>err &&
	expect_code 2 lp show a b 2>err && lp extract --help >out && contains out "--force"
'
test_done
