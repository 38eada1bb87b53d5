#!/bin/sh
# logpack profiles: list, show, check (every bad case with its line number) and detect (the
# evidence, the most specific match, and never a file outside the root).
. "$TEST_SRCDIR/test-lib.sh"

STOCK="aix alpine arch debian esxi freebsd linux macos netbsd openbsd rhel solaris suse windows"

t "profiles --help exits 0; no subcommand or a bad one is a usage error" '
	lp profiles --help >out
	contains out "check FILE"
	lp profiles detect --help >out
	contains out "--root DIR"
	expect_code 2 lp profiles 2>err
	contains err "usage:"
	expect_code 2 lp profiles frob 2>err
	contains err "unknown subcommand"
	expect_code 2 lp profiles list --bogus 2>err
	expect_code 2 lp profiles show 2>err
	contains err "needs"
	expect_code 2 lp profiles list --root / 2>err && contains err "detect"
'

t "profiles list names every stock profile with what it covers" '
	lp profiles list >out
	test "$(awk "{print \$1}" out | tr "\n" " ")" = "$STOCK "
	grep -q "^debian .*Ubuntu" out
	grep -q "^windows .*Windows Server" out
	lp profiles list --json >out.json
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d) == 14 and all(p[\"description\"] for p in d), d" out.json
'

t "docs/profile-format.md lists every stock profile, and no other" '
	grep -o "^| \`[a-z]*\`" "$TOP_SRCDIR/docs/profile-format.md" | tr -d "|\` " | sort >documented
	printf "%s\n" $STOCK | sort >stock
	diff stock documented
'

t "every stock profile passes profiles check without a warning" '
	for p in $STOCK; do
		lp profiles check "$TOP_SRCDIR/profiles/$p" >out
		test "$(cat out)" = "$TOP_SRCDIR/profiles/$p: ok"
	done
'

t "every stock profile has system, auth, application and context rules and a comment above each rule" '
	for p in $STOCK; do
		lp profiles show --json "$p" >"$p.json"
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
cats = {r[\"category\"] for r in d[\"rules\"]}
assert {\"system\", \"auth\", \"application\", \"context\"} <= cats, (sys.argv[1], cats)
" "$p.json"
		# Each rule line follows a comment or another rule (a group under one comment).
		awk "/^[\/~\"]/ { if (prev !~ /^#/ && prev !~ /^[\/~\"]/) { print FILENAME\": \"NR\": \"\$0; bad=1 } }
		     { prev = \$0 } END { exit bad }" "$TOP_SRCDIR/profiles/$p"
	done
'

t "profiles show resolves includes, gives each rule its origin, and prints profile text" '
	lp profiles show debian >show
	contains show "# includes $TOP_SRCDIR/profiles/linux sha256:"
	contains show "match id=debian id=ubuntu"
	grep -q "^/var/log/auth.log\* *expected case syslog *# debian:[0-9]*$" show
	grep -q "^/var/log/audit/audit.log\* *optional case *# linux:[0-9]*$" show
	grep -q "^/var/log/lastlog *optional case max-size=256M *# linux:[0-9]*$" show
	# The output is itself a valid profile with the same rules.
	cp show flat
	lp profiles check "$PWD/flat" >out
	contains out "ok"
	lp profiles show --json debian >a.json
	lp profiles show --json "$PWD/flat" >b.json
	python3 -c "
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
strip = lambda d: [(r[\"pattern\"], r[\"category\"], r[\"expected\"], r[\"nocase\"], r[\"syslog\"], r[\"max_size\"]) for r in d[\"rules\"]]
assert strip(a) == strip(b)
" a.json b.json
'

t "profiles show gives quoted patterns back quoted, and Windows rules ignore case" '
	lp profiles show windows >show
	grep -q "^\"/ProgramData/Microsoft/Windows Defender/Support/\*.log\" optional nocase" show
	grep -q "^/Windows/System32/winevt/Logs/Security.evtx expected nocase" show
'

t "profiles show of an unknown profile fails with exit 3" '
	expect_code 3 lp profiles show nosuch 2>err && contains err "not found"
'

# bad NAME LINE TEXT: a profile file whose check must fail, naming LINE.
bad() {
	printf "%b" "$3" >"$PWD/$1"
	expect_code 4 lp profiles check "$PWD/$1" >"$PWD/$1.out"
	cat "$PWD/$1.out"
	grep -q "^$PWD/$1:$2: error: " "$PWD/$1.out"
}

t "check: unknown key" 'bad k1 2 "name x\nfrob on\n[system]\n/var/log/x\n"'
t "check: unknown rule option" 'bad k2 3 "[system]\n/var/log/a\n/var/log/x sometimes\n"'
t "check: bad size" 'bad k3 2 "[auth]\n/var/log/x max-size=lots\n"'
t "check: a zero size" 'bad k4 2 "[auth]\n/var/log/x max-size=0\n"'
t "check: a pattern escaping the root with .." 'bad k5 3 "[auth]\n/var/log/x\n/var/log/../../etc/shadow\n"'
t "check: a relative pattern" 'bad k6 2 "[auth]\nvar/log/x\n"'
t "check: a home pattern escaping the home" 'bad k7 2 "[auth]\n~/../../etc/shadow\n"'
t "check: ** inside a name" 'bad k8 2 "[system]\n/var/log/a**b\n"'
t "check: an unterminated [" 'bad k9 2 "[system]\n/var/log/[ab.log\n"'
t "check: a pattern naming a directory" 'bad k10 2 "[system]\n/var/log/\n"'
t "check: a marker file outside the root" 'bad k11 1 "match file=/../etc/passwd\n[system]\n/x\n"'
t "check: a wildcard marker file" 'bad k12 1 "match file=/etc/*release\n[system]\n/x\n"'
t "check: an unknown match key" 'bad k13 1 "match os=debian\n"'
t "check: a pattern before any category" 'bad k14 2 "name x\n/var/log/x\n"'
t "check: a bad category name" 'bad k15 1 "[Auth Logs]\n/var/log/x\n"'
t "check: an unterminated quote" 'bad k16 2 "[auth]\n\"/var/log/x\n"'
t "check: a directive after a category" 'bad k17 3 "[auth]\n/var/log/x\ninclude linux\n"'
t "check: an include that does not exist" 'bad k18 1 "include no-such-profile\n[auth]\n/x\n"'
t "check: an include of a path" 'bad k19 1 "include ../../etc/passwd\n"'
t "check: a NUL byte" 'bad k20 2 "[auth]\n/var/log/x\0\n"'

t "check: an include cycle is named, with the line of the include" '
	mkdir cyc
	printf "include cb\n[system]\n/a\n" >cyc/ca
	printf "# b\ninclude ca\n[system]\n/b\n" >cyc/cb
	expect_code 4 lp profiles check "$PWD/cyc/ca" >out
	cat out
	grep -q "^$PWD/cyc/ca:1: error: include cb: .*include cycle: ca -> cb -> ca" out
	printf "include cself\n" >cyc/cself
	expect_code 4 lp profiles check "$PWD/cyc/cself" >out
	grep -q "cself:1: error: .*include cycle: cself -> cself" out
	expect_code 3 lp collect --root "$PWD" --profile "$PWD/cyc/ca" -o "$PWD" 2>err
	contains err "include cycle"
'

t "check: a diamond of includes is no cycle, and its rules come once" '
	mkdir dia
	printf "[system]\n/base\n" >dia/dbase
	printf "include dbase\n[system]\n/left\n" >dia/dleft
	printf "include dbase\n[system]\n/right\n" >dia/dright
	printf "include dleft dright\n[system]\n/top\n" >dia/dtop
	lp profiles check "$PWD/dia/dtop" >out
	contains out ": ok"
	lp profiles show --json "$PWD/dia/dtop" >out.json
	python3 -c "import json,sys; r=[x[\"pattern\"] for x in json.load(open(sys.argv[1]))[\"rules\"]]; assert r == [\"/base\", \"/left\", \"/right\", \"/top\"], r" out.json
'

t "check reports every error in a file, each with its line, not just the first" '
	printf "name many\nfrob x\n[system]\n/var/log/ok\n/var/log/x max-size=huge\n[Bad]\n/var/log/y\nrel/path\n/var/log/z bogus\n" >many
	expect_code 4 lp profiles check "$PWD/many" >out
	cat out
	grep -q "many:2: error: unknown key" out
	grep -q "many:5: error: bad size" out
	grep -q "many:6: error: bad category" out
	grep -q "many:8: error: pattern .rel/path. must start with ./. or .~/." out
	grep -q "many:9: error: unknown rule option" out
	test "$(grep -c ": error: " out)" = 5
'

t "check warns (exit 0) about rules given twice, and rules an include has" '
	mkdir w
	printf "[system]\n/var/log/a\n/var/log/a\n[auth]\n/var/log/a\n" >w/dup
	lp profiles check "$PWD/w/dup" >out
	cat out
	grep -q "dup:3: warning: .*repeats the rule of line 2" out
	grep -q "dup:5: warning: .*already in \[system\] at line 2" out
	printf "include linux\n[auth]\n/var/log/wtmp*\n" >w/mine
	lp profiles check "$PWD/w/mine" >out
	grep -q "mine:3: warning: .*already collected by an include (linux:" out
	printf "match id=Debian\n[auth]\n/x\n" >w/upper
	lp profiles check "$PWD/w/upper" >out
	grep -q "upper:1: warning: id=Debian can never match" out
	printf "# nothing\n" >w/empty
	lp profiles check "$PWD/w/empty" >out
	grep -q "empty: warning: collects nothing" out
'

t "check --json lists the issues; an unreadable file is exit 3" '
	printf "[auth]\n/var/log/x max-size=1Q\n" >j
	expect_code 4 lp profiles check --json "$PWD/j" >out.json
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d[0][\"valid\"] is False and d[0][\"issues\"][0][\"line\"] == 2, d
assert d[0][\"issues\"][0][\"severity\"] == \"error\", d
" out.json
	expect_code 3 lp profiles check "$PWD/missing" 2>err && contains err "missing"
'

# --- detect

t "detect: os-release ID, the evidence and the line of the profile that matched" '
	mkdir -p r1/etc r1/usr/lib
	printf "ID=ubuntu\nID_LIKE=debian\n" >r1/etc/os-release
	lp profiles detect --root r1 >out
	cat out
	contains out "profile: debian"
	contains out "os-release ID=ubuntu matches '"'"'id=ubuntu'"'"'"
	contains out "reason: os-release ID=ubuntu matches '"'"'id=ubuntu'"'"' (debian line"
	contains out "etc/os-release: ID=ubuntu ID_LIKE=\"debian\""
'

t "detect: os-release beats marker files when both are there" '
	mkdir -p r2/etc
	printf "ID=alpine\n" >r2/etc/os-release
	: >r2/bsd
	: >r2/etc/myname
	lp profiles detect --root r2 >out
	cat out
	contains out "profile: alpine"
	grep -q "^  openbsd *marker" out
	contains out "alpine beat openbsd: an exact os-release ID match is more specific than a marker-file match"
'

t "detect: the first family in ID_LIKE wins, and the output says so" '
	mkdir -p r3/etc
	printf "ID=hybrid\nID_LIKE=\"suse debian\"\n" >r3/etc/os-release
	lp profiles detect --root r3 >out
	cat out
	contains out "profile: suse"
	contains out "suse beat debian: os-release ID_LIKE=\"suse debian\" lists suse'"'"'s family first"
	printf "ID=hybrid\nID_LIKE=\"debian suse\"\n" >r3/etc/os-release
	lp profiles detect --root r3 >out
	contains out "profile: debian"
'

t "detect: more marker files are more specific (NetBSD has /etc/release too)" '
	mkdir -p r4/etc r4/var/svc
	echo "Oracle Solaris 11.4" >r4/etc/release
	lp profiles detect --root r4 >out
	contains out "profile: solaris"
	: >r4/netbsd
	rm -r r4/var/svc
	lp profiles detect --root r4 >out
	cat out
	contains out "profile: netbsd"
'

t "detect: Windows hive names match without regard to case" '
	mkdir -p r5/WINDOWS/system32/config
	: >r5/WINDOWS/system32/config/system
	lp profiles detect --root r5 >out
	cat out
	contains out "profile: windows"
	contains out "WINDOWS/system32/config/system: present (looked for /Windows/System32/config/SYSTEM)"
'

t "detect: an absolute os-release link resolves inside the root, never to the live /" '
	mkdir -p r6/etc r6/usr/lib
	printf "ID=alpine\n" >r6/usr/lib/os-release
	ln -s /usr/lib/os-release r6/etc/os-release
	lp profiles detect --root r6 >out
	cat out
	contains out "profile: alpine"
	contains out "etc/os-release -> usr/lib/os-release: ID=alpine"
'

t "detect: a relative link climbing out of the root stops at the root" '
	mkdir -p outside r7/etc
	printf "ID=freebsd\n" >outside/os-release
	ln -s ../../../../../../../../../../../../"$PWD"/outside/os-release r7/etc/os-release
	ln -s ../outside/os-release r7/etc/os-release.2
	expect_code 3 lp profiles detect --root r7 >out 2>err
	cat out err
	lacks out freebsd
	contains out "no os-release"
	contains err "no profile matches"
'

t "detect: link loops and FIFOs neither hang nor crash" '
	mkdir -p r8/etc r8/usr/lib
	ln -s os-release r8/etc/os-release
	mkfifo r8/usr/lib/os-release
	mkdir -p r8/System/Library
	ln -s CoreServices r8/System/Library/CoreServices
	expect_code 3 timeout 20 "$LOGPACK" profiles detect --root r8 >out 2>err
	contains out "no os-release"
'

t "detect --json: the profile, the reason, the evidence and every candidate" '
	mkdir -p r9/etc
	printf "ID=rocky\nID_LIKE=\"rhel centos fedora\"\nPRETTY_NAME=\"Rocky Linux 9.4\"\n" >r9/etc/os-release
	lp profiles detect --json --root r9 >out.json
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"profile\"] == \"rhel\", d
assert [c[\"profile\"] for c in d[\"candidates\"]] == [\"rhel\"], d
assert d[\"candidates\"][0][\"match\"] == \"id\", d
assert any(\"PRETTY_NAME=\\\"Rocky Linux 9.4\\\"\" in e for e in d[\"evidence\"]), d
assert \"the only profile that matches\" in d[\"reason\"], d
" out.json
'

t "detect: a hostile os-release cannot forge output lines" '
	mkdir -p r10/etc
	printf "ID=debian\nPRETTY_NAME=\"x\\033[2Jprofile: windows\r\nevil\"\n" >r10/etc/os-release
	lp profiles detect --root r10 >out
	test "$(grep -c "^profile: " out)" = 1
	refute grep -q "$(printf "\033")" out
'

t "detect: an os-release naming no known system is no guess: exit 3, and why" '
	mkdir -p r12/etc
	printf "ID=plan9\nID_LIKE=bell-labs\n" >r12/etc/os-release
	expect_code 3 lp profiles detect --root r12 >out 2>err
	cat out err
	contains out "profile: (none)"
	contains err "no profile matches: os-release ID=plan9 ID_LIKE=\"bell-labs\" names none"
	expect_code 3 lp collect --root r12 -o . 2>err
	contains err "use --profile"
'

t "detect: an os-release without ID is Linux, as os-release(5) says" '
	mkdir -p r13/etc
	printf "NAME=\"Homegrown\"\n" >r13/etc/os-release
	lp profiles detect --root r13 >out
	cat out
	contains out "profile: linux"
	contains out "os-release ID=linux (unset: os-release(5) default) matches"
'

t "detect leaves the root as it was, access times included" '
	mkdir -p r14/etc r14/usr/lib r14/WINDOWS/system32/config r14/System/Library/CoreServices
	printf "ID=debian\n" >r14/usr/lib/os-release
	ln -s ../usr/lib/os-release r14/etc/os-release
	: >r14/WINDOWS/system32/config/system
	echo "<key>ProductVersion</key><string>14.4</string>" >r14/System/Library/CoreServices/SystemVersion.plist
	# The list is made first: listing a directory is what moves its access time.
	find r14 >paths
	find r14 -execdir touch -h -a -d "2001-01-01 00:00:00" {} +
	stat_all() { python3 -c "
import os, sys
for p in open(sys.argv[1]).read().split():
    st = os.lstat(p)
    # Reading a link sets its access time, and no flag avoids that: links show no atime.
    atime = 0 if os.path.islink(p) else st.st_atime_ns
    print(p, st.st_size, oct(st.st_mode), st.st_mtime_ns, atime)
" paths; }
	stat_all >before
	grep -q " 978307200000000000$" before
	lp profiles detect --root r14 >out
	contains out "profile: debian"
	contains out "WINDOWS/system32/config/system: present"
	stat_all >after
	diff before after
'

t "detect: --root that is not a directory fails with exit 3" '
	: >plainfile
	expect_code 3 lp profiles detect --root plainfile 2>err && contains err "plainfile"
'

t "collect chooses the profile with the same detection, and says why in its summary" '
	mkdir -p r11/etc r11/var/log out11
	printf "ID=opensuse-tumbleweed\nID_LIKE=\"opensuse suse\"\n" >r11/etc/os-release
	echo log >r11/var/log/messages
	lp collect --root r11 -o out11 --json >sum.json 2>err
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"profile\"] == \"suse\", d
assert d[\"profile_reason\"] == \"os-release ID=opensuse-tumbleweed\", d
assert d[\"expected_absent\"] == {\"system\": [\"/var/log/zypp/history*\"]}, d
" sum.json
'

test_done
