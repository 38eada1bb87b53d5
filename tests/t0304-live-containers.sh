#!/bin/sh
# Live containers: processes in mount namespaces of their own, each chrooted into its own tree
# with its own /var/log (as a container runtime sets them up). collect on the live host (no
# --root) takes each one's logs through /proc/PID/root under containers/<id>/, with the name and
# image Podman's /run/.containerenv gives, and never follows a link out of the container.
. "$TEST_SRCDIR/test-lib.sh"

if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	echo "1..0 # SKIP needs root and mount namespaces (unshare -m)"
	exit 0
fi

# start_container DIR: a process in a new mount namespace whose root is DIR; its pid in DIR.pid.
# Python stays loaded after chroot, so DIR needs no binaries of its own.
start_container() {
	python3 - "$1" <<"PY" &
import ctypes, os, sys, time
root = sys.argv[1]
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
    sys.exit("unshare: errno %d" % ctypes.get_errno())
open(root + ".pid", "w").write(str(os.getpid()))
os.chroot(root)
os.chdir("/")
time.sleep(600)
PY
	n=0
	while [ ! -s "$1.pid" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	test -s "$1.pid"
}

stop_containers() {
	for f in "$TRASH"/c*.pid; do
		if [ -s "$f" ]; then kill "$(cat "$f")" 2>/dev/null || :; fi
	done
	wait 2>/dev/null
	test_cleanup
}
trap stop_containers EXIT

C1=$TRASH/c1
C2=$TRASH/c2
mkdir -p "$C1/var/log/nginx" "$C1/run" "$C2/var/log" "$C1/etc"
echo "GET / 200 from container one" >"$C1/var/log/nginx/access.log"
printf 'engine="podman-4.9"\nname="web"\nimage="docker.io/library/nginx:1.25"\nid="abc"\n' >"$C1/run/.containerenv"
echo "container two's own log" >"$C2/var/log/app.log"
# Links that lead out of the container: an absolute one to the host's /etc/passwd, and one that
# climbs with "..". Both must be recorded as links, never read.
ln -s /etc/passwd "$C1/var/log/host-passwd"
ln -s ../../../../../../../../etc/hostname "$C1/var/log/climb"
# A file only the host has, at the path the absolute link names inside the container.
echo "the container's own passwd" >"$C1/etc/passwd"
start_container "$C1"
start_container "$C2"

t "collect without --root takes each running container's logs under containers/<id>/" '
	# Exit 1 (partial) is allowed: other containers on this machine are not ours to judge.
	set +e
	lp collect --profile linux --category container -o out --json >s.json
	rc=$?
	set -e
	test "$rc" -le 1
	bundle=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" s.json)
	bag=$(bag_of "$bundle" x)
	(cd "$bag" && sha256sum --strict --quiet -c manifest-sha256.txt)
	python3 - "$bag" "$C1" "$C2" <<"PY"
import json, os, sys
bag, c1, c2 = sys.argv[1:4]
recs = [json.loads(l) for l in open(bag + "/logpack/files.jsonl")]
pids = {int(open(c + ".pid").read()): c for c in (c1, c2)}
mine = {c: {} for c in (c1, c2)}
for r in recs:
    # Other containers running on this machine may be collected too: only ours are checked.
    assert r["path"].startswith("/containers/"), r["path"]
    assert r["category"] == "container", r
    c = pids.get(r["container"]["pid"])
    if c:
        mine[c][r["path"].split("/", 3)[3]] = r
web = mine[c1]["var/log/nginx/access.log"]
assert web["status"] == "collected", web
assert web["container"]["name"] == "web" and web["container"]["image"] == "docker.io/library/nginx:1.25", web
assert web["container"]["pid"] == int(open(c1 + ".pid").read()), web
data = open(bag + "/data" + web["path"], "rb").read()
assert data == open(c1 + "/var/log/nginx/access.log", "rb").read()
two = mine[c2]["var/log/app.log"]
assert two["status"] == "collected" and two["container"]["id"] != web["container"]["id"], two
assert open(bag + "/data" + two["path"], "rb").read() == open(c2 + "/var/log/app.log", "rb").read()
for name, target in (("var/log/host-passwd", "/etc/passwd"), ("var/log/climb", "../../../../../../../../etc/hostname")):
    r = mine[c1][name]
    assert r["status"] == "link" and r["link_target"] == target, r
    assert not os.path.lexists(bag + "/data" + r["path"]), r
PY
	# Nothing of the host came in: only containers/ below data/.
	test "$(ls "$bag/data")" = containers
	refute grep -rqF "$(head -n 1 /etc/passwd)" "$bag/data"
'

t "--category without container leaves the running containers alone" '
	lp collect --root / --profile linux --category nosuch -o out --json >s.json
	bundle=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" s.json)
	bag=$(bag_of "$bundle" x)
	lacks "$bag/logpack/files.jsonl" "/containers/"
'

t "with --root DIR (an image, not the live host) no container is looked for" '
	mkdir -p img/etc img/var/log
	echo "ID=debian" >img/etc/os-release
	echo x >img/var/log/syslog
	lp collect --root img -o out --json >s.json
	bundle=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"bundle\"])" s.json)
	bag=$(bag_of "$bundle" x)
	lacks "$bag/logpack/files.jsonl" "/containers/"
'

test_done
