#!/bin/sh
# A profile's rules overlap: the sweep of the log directories meets every file another rule
# named, and patterns such as /var/log/** and /var/log/app/*.log name the same files. The walk
# lists each path once, for the first rule that met it, as it meets it: before, every meeting
# cost an entry (208 bytes and the path) until the final sort dropped the copies, so the walk's
# memory at many files was about twice what the files need.
. "$TEST_SRCDIR/test-lib.sh"

t "setup: 30,000 logs that two rules name, and a tree of one" '
	cd "$TRASH"
	python3 -c "
import os
os.makedirs(\"many/var/log/app\")
for i in range(30000):
    open(\"many/var/log/app/f%05d.log\" % i, \"w\").write(\"x\\n\")
"
	mkdir -p one/var/log/app
	echo x >one/var/log/app/f00000.log
	printf "name overlap\ndescription two rules for every file\n\n[application]\n/var/log/app/*.log\n\n[system]\n/var/log/**\n" >two.profile
	test "$(ls many/var/log/app | wc -l)" -eq 30000
'
t "each file is listed once, for the first rule that names it" '
	cd "$TRASH"
	lp -q collect -n --root many -p two.profile -o out >list
	test "$(grep -c "/var/log/app/f" list)" -eq 30000
	test "$(grep -c "^application .*/var/log/app/f" list)" -eq 30000
	lacks list "system"
	test "$(grep -c "/var/log/app/f12345.log" list)" -eq 1
'
t "and the bundle holds each once" '
	cd "$TRASH"
	lp -q collect --root many -p two.profile -o b.tar.zst
	test "$(tar -tf b.tar.zst | grep -c "/data/var/log/app/f")" -eq 30000
	tar -xOf b.tar.zst --wildcards "*/manifest-sha256.txt" >manifest
	test "$(wc -l <manifest)" -eq 30000
	expect_code 0 lp verify b.tar.zst >verify.out
	contains verify.out "valid"
'
t "the walk keeps under 500 bytes a file (each met twice cost about 780)" '
	cd "$TRASH"
	base=$(peak_rss_kb "$LOGPACK" -q collect -n --root one -p two.profile -o out)
	kb=$(peak_rss_kb "$LOGPACK" -q collect -n --root many -p two.profile -o out)
	echo "peak RSS: $kb KiB, for one file: $base KiB: $(((kb - base) * 1024 / 30000)) bytes a file"
	test $(((kb - base) * 1024 / 30000)) -lt 500
'

test_done
