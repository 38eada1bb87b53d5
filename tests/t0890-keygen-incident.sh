#!/bin/sh
# keygen --incident: the per-incident key for redaction. 32 random bytes as 64 hex digits on a
# tagged line, mode 0600 whatever the umask, a key id that names it; never overwrites a file or
# writes through a link; no options of a key pair with it.
. "$TEST_SRCDIR/test-lib.sh"

t "--incident -o FILE: mode 0600, one key line of 64 hex digits, the path on stdout" '
	umask 000
	lp keygen --incident -o inc.key >out 2>err
	echo inc.key | cmp - out
	test "$(stat -c %a inc.key)" = 600
	test "$(grep -c "^logpack-incident-key-1 [0-9a-f]\{64\}\$" inc.key)" = 1
	test "$(grep -v "^#" inc.key | wc -l)" = 1
	id=$(sed -n "s/^# key id: \([0-9a-f]\{16\}\)\$/\1/p" inc.key)
	test -n "$id"
	contains err "$id"
	lacks err "$(sed -n "s/^logpack-incident-key-1 //p" inc.key)"
'
t "two keys differ, and so do their ids" '
	lp -q keygen --incident -o a.key >/dev/null
	lp -q keygen --incident -o b.key >/dev/null
	test "$(grep ^logpack a.key)" != "$(grep ^logpack b.key)"
	test "$(grep "^# key id" a.key)" != "$(grep "^# key id" b.key)"
'
t "default name logpack-incident.key" '
	lp -q keygen --incident >out
	echo logpack-incident.key | cmp - out
	test -f logpack-incident.key
'
t "an existing file is refused and left as it was" '
	echo precious >inc.key
	expect_code 3 lp keygen --incident -o inc.key 2>err
	contains err "inc.key"
	contains err "exists"
	echo precious | cmp - inc.key
'
t "a symbolic link at the name is not written through" '
	ln -s target inc.key
	expect_code 3 lp keygen --incident -o inc.key 2>err
	test ! -e target
	test -L inc.key
'
t "options of a key pair are refused with --incident" '
	for o in "--days 3" "--subject /CN=x" "--type age" "--passphrase-file p"; do
		# shellcheck disable=SC2086
		expect_code 2 lp keygen --incident $o -o x.key 2>err
		contains err "--incident takes only --out"
	done
	test ! -e x.key
'
t "a directory that does not exist: one error line, no file" '
	expect_code 3 lp keygen --incident -o nodir/inc.key 2>err
	test "$(wc -l <err)" = 1
	test ! -e nodir
'
test_done
