#!/bin/sh
# collect and mount points under the root: the summary and --json say which were crossed;
# --one-file-system stays on the root's file system and says which were left out. A tmpfs
# mounted inside the test root stands for /proc, a network share or an attached disk.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

MNT=$FX/root/var/log/installer
# The mount goes before the scratch tree is removed, whatever happens.
trap 'umount "$MNT" 2>/dev/null; test_cleanup' EXIT

t "setup: a root with a tmpfs mounted at /var/log/installer" 'cd "$FX"
	make_root root
	mkdir -p "$MNT"
	mount -t tmpfs -o size=4m logpack-test "$MNT"
	echo "installed on another file system" >"$MNT/syslog"
	test "$(stat -c %d root/var/log)" != "$(stat -c %d "$MNT")"
'
t "by default the mount point is crossed, and the summary and --json say so" 'cd "$FX"
	lp collect --root root -o a.tar.zst >out 2>err
	contains err "crossed 1 mount points: /var/log/installer (--one-file-system stays on one)"
	tar -tf a.tar.zst >list
	grep -q "/data/var/log/installer/syslog$" list
	lp collect --json --root root -o b.tar.zst >b.json 2>/dev/null
	python3 -c "
import json
d = json.load(open(\"b.json\"))
assert d[\"mount_points_crossed\"] == [\"/var/log/installer\"], d
assert d[\"one_file_system\"] is False
"
'
t "--one-file-system leaves the mount point out, and says so" 'cd "$FX"
	lp collect --one-file-system --root root -o c.tar.zst >out 2>err
	contains err "left out 1 mount points: /var/log/installer"
	tar -tf c.tar.zst >list
	if grep -q "installer" list; then exit 1; fi
	grep -q "/data/var/log/syslog$" list
	lp collect --json --one-file-system --root root -o d.tar.zst >d.json 2>/dev/null
	python3 -c "
import json
d = json.load(open(\"d.json\"))
assert d[\"mount_points_left_out\"] == [\"/var/log/installer\"], d
assert d[\"one_file_system\"] is True
"
	expect_code 0 lp verify c.tar.zst
'
t "a root with no mount under it: nothing crossed" 'cd "$FX"
	make_root plain
	lp collect --root plain -o p.tar.zst >out 2>err
	lacks err "mount points"
'

test_done
