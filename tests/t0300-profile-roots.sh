#!/bin/sh
# Every stock profile against a fake root laid out as that system lays out its logs: detection
# picks the profile, collect --profile auto takes every log planted (checked in the extracted
# bag with sha256sum), leaves the decoys out, and reports the expected paths that are absent.
. "$TEST_SRCDIR/test-lib.sh"

# plant ROOT PATH...: a log file at each PATH, which collect must take.
plant() {
	r=$1
	shift
	for p in "$@"; do
		mkdir -p "$(dirname "$r/$p")"
		printf 'log line of %s\n' "$p" >"$r/$p"
		printf '%s\n' "$p" >>"$r.expect"
	done
}

# decoy ROOT PATH...: a file next to the logs that no rule asks for; collect must leave it.
decoy() {
	r=$1
	shift
	for p in "$@"; do
		mkdir -p "$(dirname "$r/$p")"
		printf 'DECOY %s\n' "$p" >"$r/$p"
		printf '%s\n' "$p" >>"$r.decoy"
	done
}

# absent ROOT CATEGORY PATTERN: an expected rule with nothing under the root.
absent() {
	printf '%s\t%s\n' "$2" "$3" >>"$1.absent"
}

# os_release ROOT TEXT: usr/lib/os-release, and etc/os-release as the relative link that
# systemd distributions ship.
os_release() {
	mkdir -p "$1/usr/lib" "$1/etc"
	printf '%b' "$2" >"$1/usr/lib/os-release"
	ln -s ../usr/lib/os-release "$1/etc/os-release"
}

# check_root NAME ROOT: detect, collect and check the bag.
check_root() {
	name=$1
	root=$2
	touch "$root.expect" "$root.decoy" "$root.absent"
	t "$name: profiles detect picks $name" '
		lp profiles detect --root "$root" >"$root.detect"
		cat "$root.detect"
		grep -qx "profile: $name" "$root.detect"
		lp profiles detect --json --root "$root" >"$root.detect.json"
		python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"profile\"] == sys.argv[2], d" \
			"$root.detect.json" "$name"
	'
	t "$name: collect --profile auto takes every log, no decoy, and reports what is absent" '
		mkdir -p "$root.out"
		set +e
		lp collect --root "$root" --profile auto -o "$root.out" --json >"$root.json" 2>"$root.err"
		rc=$?
		set -e
		cat "$root.err"
		test "$rc" -eq 0
		bundle=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" "$root.json")
		bag=$(bag_of "$bundle" "$root.x")
		(cd "$bag" && sha256sum --strict --quiet -c manifest-sha256.txt)
		python3 "$TRASH/check.py" "$name" "$root" "$bag" "$root.json"
	'
}

cat >"$TRASH/check.py" <<'PY'
import json, sys
name, root, bag, summary = sys.argv[1:5]
def lines(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]
manifest = set()
for l in lines(bag + "/manifest-sha256.txt"):
    digest, path = l.split("  ", 1)
    assert path.startswith("data/"), path
    manifest.add(path[5:])
def bag_name(path):
    # Bag names escape what manifests cannot carry: control bytes, %, backslash, non-UTF-8.
    out = []
    raw = path.encode("utf-8", "surrogateescape")
    text = raw.decode("utf-8", "surrogateescape")
    for ch in text:
        b = ch.encode("utf-8", "surrogateescape")
        if len(b) == 1 and (b[0] < 0x20 or b[0] == 0x7f or ch in "%\\") or "\udc80" <= ch <= "\udcff":
            out.append("".join("\\x%02x" % c for c in b))
        else:
            out.append(ch)
    return "".join(out)
problems = []
for p in lines(root + ".expect"):
    if bag_name(p) not in manifest:
        problems.append("not collected: " + p)
for p in lines(root + ".decoy"):
    if bag_name(p) in manifest:
        problems.append("decoy collected: " + p)
s = json.load(open(summary))
if s["profile"] != name:
    problems.append("profile %s, not %s" % (s["profile"], name))
want = sorted(tuple(l.split("\t")) for l in lines(root + ".absent"))
got = sorted((cat, pat) for cat, pats in s["expected_absent"].items() for pat in pats)
if want != got:
    problems.append("expected_absent %s, want %s" % (got, want))
log = open(bag + "/logpack/collection.log").read()
for cat, pat in want:
    if "expected but absent [%s]: %s" % (cat, pat) not in log:
        problems.append("collection.log does not report %s %s" % (cat, pat))
if problems:
    print("\n".join(problems))
    print("manifest:", sorted(manifest))
    sys.exit(1)
PY

# --- linux: a distribution no other profile names (Gentoo); the generic profile applies.
R=$TRASH/linux
os_release "$R" 'NAME=Gentoo\nID=gentoo\nPRETTY_NAME="Gentoo Linux"\n'
printf 'root:x:0:0:root:/root:/bin/bash\nlarry:x:1000:1000::/home/larry:/bin/zsh\n' >"$R/etc/passwd"
plant "$R" var/log/journal/4f1c/system.journal var/log/journal/4f1c/user-1000.journal \
	'var/log/journal/4f1c/system@0005f1-9a.journal~' var/log/kern.log var/log/audit/audit.log \
	var/log/audit/audit.log.1 var/log/wtmp var/log/btmp var/log/lastlog var/log/emerge.log \
	var/log/nginx/access.log var/log/nginx/error.log.1.gz \
	var/lib/docker/containers/c0ffee/c0ffee-json.log \
	var/log/pods/default_web-1_0a1b/nginx/0.log var/spool/cron/crontabs/root \
	root/.bash_history home/larry/.zsh_history
mkdir -p "$R/var/log/containers"
ln -s ../pods/default_web-1_0a1b/nginx/0.log "$R/var/log/containers/web-1_default_nginx-0a1b.log"
# Under the log directory, a file no rule names is taken as "other".
plant "$R" var/log/journal/4f1c/notes.txt
decoy "$R" etc/shadow var/lib/docker/containers/c0ffee/config.v2.json \
	home/larry/.ssh/id_ed25519
check_root linux "$R"
t "linux: the container log link is recorded as a link, not collected" '
	bag=$(echo "$R.x"/logpack-*)
	grep "\"/var/log/containers/web-1_default_nginx-0a1b.log\"" "$bag/logpack/files.jsonl" |
		grep -q "\"status\":\"link\""
'

# --- debian: Ubuntu, by os-release ID.
R=$TRASH/debian
os_release "$R" 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"\n'
printf 'root:x:0:0:root:/root:/bin/bash\nubuntu:x:1000:1000::/home/ubuntu:/bin/bash\n' >"$R/etc/passwd"
plant "$R" var/log/syslog var/log/syslog.1 var/log/syslog.2.gz var/log/auth.log var/log/auth.log.1 \
	var/log/kern.log var/log/dpkg.log var/log/apt/term.log var/log/cloud-init.log \
	var/log/journal/77aa/system.journal var/log/apache2/access.log var/log/ufw.log \
	var/log/mysql/error.log home/ubuntu/.bash_history var/crash/_usr_sbin_sshd.0.crash
plant "$R" var/log/apt/eipp.txt
decoy "$R" var/backups/shadow.bak home/ubuntu/notes.txt
absent "$R" system '/var/log/apt/history.log*'
check_root debian "$R"

# --- rhel: a rebuild that only says ID_LIKE="rhel fedora".
R=$TRASH/rhel
os_release "$R" 'NAME="Virtuozzo"\nID=virtuozzo\nID_LIKE="rhel fedora"\nVERSION_ID="9"\n'
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$R/etc/passwd"
plant "$R" var/log/messages var/log/messages-20240505 var/log/secure var/log/secure-20240505 \
	var/log/cron var/log/dnf.rpm.log var/log/dnf.log var/log/audit/audit.log \
	var/log/httpd/access_log var/log/httpd/ssl_error_log var/log/anaconda/anaconda.log \
	root/anaconda-ks.cfg var/log/rhsm/rhsm.log var/lib/pgsql/data/log/postgresql-Mon.log \
	var/spool/cron/root
plant "$R" etc/sudoers
decoy "$R" var/lib/pgsql/data/postgresql.conf root/.pgpass
check_root rhel "$R"

# --- suse: openSUSE Leap.
R=$TRASH/suse
os_release "$R" 'NAME="openSUSE Leap"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.6"\n'
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$R/etc/passwd"
plant "$R" var/log/zypper.log var/log/YaST2/y2log var/log/YaST2/y2log-1.gz \
	var/log/messages var/log/warn var/log/firewall var/log/krb5/krb5kdc.log var/log/mail \
	var/log/salt/minion var/log/journal/11ee/system.journal
decoy "$R" etc/zypp/credentials.d/SCCcredentials etc/zypp/zypp.conf
# libzypp's history is gone: someone covered their tracks.
absent "$R" system '/var/log/zypp/history*'
check_root suse "$R"

# --- alpine: BusyBox syslogd, no journal.
R=$TRASH/alpine
os_release "$R" 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.0\n'
printf 'root:x:0:0:root:/root:/bin/ash\n' >"$R/etc/passwd"
plant "$R" var/log/messages var/log/messages.0 var/log/rc.log lib/apk/db/installed etc/apk/world \
	var/log/php82/error.log var/log/nginx/access.log root/.ash_history
decoy "$R" etc/shadow lib/apk/db/lock etc/apk/repositories
check_root alpine "$R"

# --- arch: EndeavourOS, by ID_LIKE=arch.
R=$TRASH/arch
os_release "$R" 'NAME="EndeavourOS"\nID="endeavouros"\nID_LIKE="arch"\n'
printf 'root:x:0:0::/root:/bin/bash\nuser:x:1000:1000::/home/user:/bin/zsh\n' >"$R/etc/passwd"
plant "$R" var/log/pacman.log var/log/journal/aa00/system.journal var/log/Xorg.0.log \
	var/log/sddm.log home/user/.cache/yay/evil-bin/PKGBUILD home/user/.zsh_history
decoy "$R" home/user/.cache/yay/evil-bin/evil-bin-1.0.tar.zst etc/pacman.conf
check_root arch "$R"

# --- freebsd: no os-release, found by /bin/freebsd-version.
R=$TRASH/freebsd
mkdir -p "$R/bin" "$R/etc"
printf '#!/bin/sh\nUSERLAND_VERSION="14.1-RELEASE"\n' >"$R/bin/freebsd-version"
printf 'root:*:0:0:Charlie &:/root:/bin/sh\ntoor:*:0:0:Bourne-again Superuser:/root:\nbeastie:*:1001:1001:User:/home/beastie:/bin/tcsh\n' >"$R/etc/passwd"
plant "$R" var/log/messages var/log/messages.0.bz2 var/log/security var/log/utx.log \
	var/log/utx.lastlogin var/log/cron var/log/maillog var/audit/20240501100000.20240501110000 \
	var/log/nginx/access.log var/log/httpd-access.log var/log/daily.log var/cron/tabs/beastie \
	root/.sh_history home/beastie/.history
decoy "$R" etc/master.passwd etc/spwd.db var/db/pkg/local.sqlite
absent "$R" auth '/var/log/auth.log*'
check_root freebsd "$R"

# --- openbsd: /bsd and /etc/myname.
R=$TRASH/openbsd
mkdir -p "$R/etc"
printf 'bsd kernel\n' >"$R/bsd"
echo fw1.example.org >"$R/etc/myname"
printf 'root:*:0:0:Charlie &:/root:/bin/ksh\n' >"$R/etc/passwd"
plant "$R" var/log/messages var/log/authlog var/log/authlog.0.gz var/log/secure var/log/daemon \
	var/log/daily.out var/log/wtmp var/log/pflog var/cron/log var/www/logs/access.log \
	var/run/dmesg.boot
plant "$R" etc/pf.conf
decoy "$R" etc/master.passwd var/www/htdocs/index.html
check_root openbsd "$R"

# --- netbsd: /netbsd and /etc/release.
R=$TRASH/netbsd
mkdir -p "$R/etc"
printf 'netbsd kernel\n' >"$R/netbsd"
echo gw.example.org >"$R/etc/myname"
printf 'root:*:0:0:Charlie &:/root:/bin/csh\n' >"$R/etc/passwd"
plant "$R" etc/release var/log/messages var/log/authlog var/log/secure var/log/wtmpx \
	var/log/lastlogx var/log/cron var/log/xferlog var/log/npflog0.pcap root/.history
decoy "$R" etc/master.passwd etc/npf.conf
check_root netbsd "$R"

# --- macos: SystemVersion.plist; /var is a link to private/var; homes under /Users.
R=$TRASH/macos
mkdir -p "$R/System/Library/CoreServices" "$R/private/var" "$R/private/etc"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n<key>ProductName</key>\n<string>macOS</string>\n<key>ProductVersion</key>\n<string>14.4.1</string>\n</dict></plist>\n' \
	>"$R/System/Library/CoreServices/SystemVersion.plist"
ln -s private/var "$R/var"
ln -s private/etc "$R/etc"
plant "$R" private/var/log/system.log private/var/log/system.log.0.gz private/var/log/install.log \
	private/var/log/asl/2024.05.01.G80.asl private/var/db/diagnostics/Persist/0000000000000001.tracev3 \
	private/var/db/diagnostics/timesync/0000000000000001.timesync \
	private/var/audit/20240501100000.20240501110000 Library/Logs/DiagnosticReports/sshd.crash \
	Library/LaunchDaemons/com.evil.agent.plist Users/alice/Library/Logs/Zoom/zoom.log \
	Users/alice/.zsh_history Users/alice/Library/LaunchAgents/com.updater.plist \
	Library/Receipts/InstallHistory.plist
decoy "$R" private/var/db/dslocal/nodes/Default/users/alice.plist Users/alice/Documents/secret.txt \
	Users/alice/Library/Keychains/login.keychain-db
absent "$R" system '/private/var/db/uuidtext/**'
check_root macos "$R"

# --- solaris: /etc/release with SMF.
R=$TRASH/solaris
mkdir -p "$R/etc" "$R/var/svc/manifest"
printf '                             Oracle Solaris 11.4 X86\n  Copyright (c) 1983, 2023, Oracle and/or its affiliates.\n' >"$R/etc/release"
printf 'root:x:0:0:Super-User:/root:/usr/bin/bash\n' >"$R/etc/passwd"
plant "$R" var/adm/messages var/adm/messages.0 var/adm/sulog var/adm/wtmpx var/adm/lastlog \
	var/svc/log/system-filesystem-local:default.log var/cron/log \
	var/pkg/history/20240501T100000Z-01.xml var/apache2/2.4/logs/access_log \
	var/audit/20240501100000.not_terminated.host root/.bash_history
decoy "$R" etc/shadow var/svc/manifest/site.xml
check_root solaris "$R"

# --- aix: the BOS install root and the ODM; root's home is /.
R=$TRASH/aix
mkdir -p "$R/usr/lpp/bos" "$R/etc/objrepos" "$R/etc/security"
printf 'root:!:0:0::/:/usr/bin/ksh\n' >"$R/etc/passwd"
plant "$R" var/adm/ras/errlog var/adm/ras/conslog var/adm/wtmp etc/security/failedlogin \
	etc/security/lastlog var/adm/sulog var/adm/cron/log audit/trail smit.log .sh_history
decoy "$R" etc/security/passwd etc/objrepos/CuAt
check_root aix "$R"

# --- esxi: logs in /var/run/log, /var/log links to them, a persistent copy in /scratch/log.
R=$TRASH/esxi
mkdir -p "$R/etc/vmware" "$R/var/log"
printf '/adv/Misc/HostName = "esx01"\n' >"$R/etc/vmware/esx.conf"
printf 'root:x:0:0:Administrator:/:/bin/sh\n' >"$R/etc/passwd"
plant "$R" var/run/log/hostd.log var/run/log/vmkernel.log var/run/log/vmkernel.0.gz \
	var/run/log/auth.log var/run/log/shell.log var/run/log/vmauthd.log scratch/log/hostd.log \
	scratch/log/shell.log etc/rc.local.d/local.sh var/spool/cron/crontabs/root \
	vmfs/volumes/datastore1/dc01/vmware.log vmfs/volumes/datastore1/dc01/vmware-1.log .ash_history
ln -s /var/run/log/hostd.log "$R/var/log/hostd.log"
decoy "$R" etc/shadow vmfs/volumes/datastore1/dc01/dc01-flat.vmdk vmfs/volumes/datastore1/dc01/dc01.vmx
check_root esxi "$R"

# --- windows: a mounted system volume, with the mixed case of real images.
R=$TRASH/windows
mkdir -p "$R/Windows/System32/config"
printf 'regf' >"$R/Windows/System32/config/SYSTEM"
plant "$R" Windows/System32/winevt/Logs/System.evtx Windows/System32/winevt/Logs/Security.evtx \
	"Windows/System32/winevt/Logs/Microsoft-Windows-TaskScheduler%4Operational.evtx" \
	Windows/inf/setupapi.dev.log Windows/Panther/setupact.log "Windows/System32/Tasks/Microsoft/Windows/Updater" \
	Windows/system32/LogFiles/Firewall/pfirewall.log Windows/System32/LogFiles/HTTPERR/httperr1.log \
	inetpub/logs/LogFiles/W3SVC1/u_ex240501.log "ProgramData/Microsoft/Windows Defender/Support/MPLog-20240501-100000.log" \
	Users/Alice/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt \
	Users/Administrator/AppData/Roaming/Microsoft/Windows/PowerShell/PSReadLine/ConsoleHost_history.txt
decoy "$R" Windows/System32/config/SAM Windows/System32/config/SECURITY Users/Alice/NTUSER.DAT \
	Users/Alice/Documents/passwords.txt Windows/System32/winevt/Logs/readme.txt pagefile.sys
echo Windows/System32/config/SYSTEM >>"$R.decoy"
absent "$R" application /Windows/System32/winevt/Logs/Application.evtx
check_root windows "$R"
t "windows: each event log gets the category of the first rule that names it" '
	bag=$(echo "$R.x"/logpack-*)
	python3 - "$bag/logpack/files.jsonl" <<"PY"
import json, sys
cat = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    cat[r["path"].rsplit("/", 1)[-1]] = r.get("category")
assert cat["Security.evtx"] == "auth", cat
assert cat["System.evtx"] == "system", cat
assert [c for n, c in cat.items() if "TaskScheduler" in n] == ["system"], cat
assert cat["ConsoleHost_history.txt"] == "auth", cat
assert cat["u_ex240501.log"] == "application", cat
PY
'

test_done
