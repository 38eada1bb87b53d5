#!/bin/sh
# One os-release reading for detection and host facts: host.json describes the OS that
# detection chose by, under the os-release(5) rules (last assignment wins, shell quoting,
# etc/os-release then usr/lib/os-release, links resolved inside the root).
. "$TEST_SRCDIR/test-lib.sh"

# collect_host ROOT: collect ROOT with the profile detection picks; print host.json's path.
collect_host() {
	mkdir -p out
	"$LOGPACK" -q collect --root "$1" -o out >bundle
	bag=$(bag_of "$(cat bundle)" x)
	echo "$bag/logpack/host.json"
}

# field FILE KEY: a value of host.json ("os.id", "profile.name"); "null" when unset.
field() {
	python3 - "$1" "$2" <<"PY"
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print("null" if v is None else v)
PY
}

# detected ROOT: the profile `profiles detect` chooses for ROOT.
detected() {
	"$LOGPACK" profiles detect --root "$1" --json >detect.json
	python3 -c 'import json,sys; print(json.load(open("detect.json"))["profile"])'
}

make_root() {
	mkdir -p "$1/etc" "$1/usr/lib" "$1/var/log"
	echo "a line" >"$1/var/log/messages"
	echo "a line" >"$1/var/log/syslog"
}

t "a repeated ID: the last assignment wins, in profiles detect and in host.json alike" '
	make_root R
	printf "ID=debian\nNAME=Debian\nID=rhel\nID_LIKE=fedora\n" >R/etc/os-release
	test "$(detected R)" = rhel
	hj=$(collect_host R)
	test "$(field "$hj" os.id)" = rhel
	test "$(field "$hj" profile.name)" = rhel
	test "$(field "$hj" os.id_like)" = fedora
'

# Quoting as os-release(5) has it (shell rules), in a fixture free of the test body's quoting.
mkdir -p "$TRASH/quoted/etc" "$TRASH/quoted/var/log"
echo "a line" >"$TRASH/quoted/var/log/syslog"
cat >"$TRASH/quoted/etc/os-release" <<"OS"
# a comment line
ID="Debian" # IDs are lowercased
NAME='Debian $NAME \ GNU'
PRETTY_NAME="Two \"IDs\" \$HOME \`x\` \\ and \q"
VERSION_ID=12\ (bookworm)
OS

t "quoting as in the shell: double quotes with escapes, single quotes, a trailing comment" '
	hj=$(collect_host "$TRASH/quoted")
	python3 - "$hj" <<"PY"
import json, sys
os = json.load(open(sys.argv[1]))["os"]
# host.json escapes a backslash as \x5c, as bag names do.
want = {"id": "debian", "name": "Debian $NAME \\x5c GNU", "version": "12 (bookworm)",
        "pretty_name": "Two \x22IDs\x22 $HOME `x` \\x5c and \\x5cq"}
for k, v in want.items():
    if os[k] != v:
        sys.exit("os.%s: got %r, want %r" % (k, os[k], v))
PY
	"$LOGPACK" profiles detect --root "$TRASH/quoted" >detect.txt
	contains detect.txt "profile: debian"
	contains detect.txt "PRETTY_NAME=\"Two \"IDs\" \$HOME \`x\` \\ and \\q\""
'

t "etc/os-release first, usr/lib/os-release only when it is absent" '
	make_root R
	printf "ID=rhel\n" >R/usr/lib/os-release
	test "$(detected R)" = rhel
	test "$(field "$(collect_host R)" os.id)" = rhel
	printf "ID=debian\n" >R/etc/os-release
	rm -rf out x
	test "$(detected R)" = debian
	test "$(field "$(collect_host R)" os.id)" = debian
'

t "a linked etc/os-release is read through the link, resolved inside the root" '
	make_root R
	printf "ID=rhel\n" >R/usr/lib/os-release
	ln -s ../usr/lib/os-release R/etc/os-release
	test "$(detected R)" = rhel
	test "$(field "$(collect_host R)" os.id)" = rhel
	"$LOGPACK" profiles detect --root R | grep -q "etc/os-release -> usr/lib/os-release: ID=rhel"
	# An absolute target, and one with more ".." than the root is deep, stay in the root.
	make_root A
	printf "ID=rhel\n" >A/usr/lib/os-release
	ln -s /usr/lib/os-release A/etc/os-release
	test "$(detected A)" = rhel
	rm -rf out x
	test "$(field "$(collect_host A)" os.id)" = rhel
	make_root B
	printf "ID=rhel\n" >B/usr/lib/os-release
	ln -s ../../../../../../../../usr/lib/os-release B/etc/os-release
	test "$(detected B)" = rhel
	rm -rf out x
	test "$(field "$(collect_host B)" os.id)" = rhel
'

test_done
