#!/bin/sh
# verify: hostile member names and types make a bundle INVALID, naming the member.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

# hostile NAME EXTRA...: the good bag in x/ plus EXTRA members; must be INVALID.
hostile() {
	_name=$1
	shift
	pyrepack x "$_name.tar" "$@" &&
	expect_code 4 lp verify --trust good.crt "$_name.tar" >out &&
	contains out "$_name.tar: INVALID: "
}

t "setup: a signed bundle, unpacked" 'cd "$FX" && 
	make_root root && make_key good "/O=Good Org/CN=Good Signer" &&
	collect_signed b.tar.zst good && T=$(unpack b.tar.zst x) &&
	pyrepack x control.tar && expect_code 0 lp verify --trust good.crt control.tar
'
t "a member named ../x" 'cd "$FX" && 
	hostile dotdot "file:../x:boom" && contains out "'"'"'../x'"'"' has '"'"'..'"'"' in its name"
'
t "a member with .. inside the bag" 'cd "$FX" && 
	hostile dotdot2 "file:TOP/data/../../x:boom" && contains out "has '"'"'..'"'"' in its name"
'
t "a member named /etc/x" 'cd "$FX" && 
	hostile abs "file:/etc/x:boom" && contains out "'"'"'/etc/x'"'"' is an absolute path"
'
t "a symbolic link" 'cd "$FX" && 
	hostile symlink "symlink:TOP/data/var/log/shadow:/etc/shadow" &&
	contains out "/data/var/log/shadow'"'"' is a symbolic link"
'
t "a hard link" 'cd "$FX" && 
	hostile hardlink "hardlink:TOP/data/var/log/hl:TOP/data/var/log/syslog" &&
	contains out "/data/var/log/hl'"'"' is a hard link"
'
t "a hard link to a file outside the bundle" 'cd "$FX" && 
	hostile hardlink2 "hardlink:TOP/data/x:/etc/passwd" && contains out "is a hard link"
'
t "a duplicate member (a second copy of a log, appended)" 'cd "$FX" && 
	hostile dup "file:TOP/data/var/log/syslog:replaced content" &&
	contains out "'"'"'data/var/log/syslog'"'"' appears twice in the bundle"
'
t "a device node" 'cd "$FX" && 
	hostile dev "chr:TOP/data/null:" && contains out "/data/null'"'"' is a device"
'
t "a second top directory" 'cd "$FX" && 
	hostile twotops "file:other/x:boom" && contains out "more than one top directory"
'
t "a file beside the top directory" 'cd "$FX" && 
	hostile besides "file:README:hello" && contains out "more than one top directory"
'
t "an empty archive and a file that is not an archive" 'cd "$FX" && 
	python3 -c "import tarfile; tarfile.open(\"empty.tar\", \"w\").close()" &&
	expect_code 4 lp verify empty.tar >out && contains out "the archive is empty" &&
	echo "just text" >text.tar &&
	expect_code 4 lp verify text.tar >out && contains out "not a readable archive"
'
t "a name with terminal control characters is shown escaped" 'cd "$FX" && 
	hostile ctrl "$(printf "file:TOP/data/\\033]0;pwned\\007:x")" &&
	contains out "\\x1b]0;pwned\\x07" && ! grep -q "$(printf "\\033")" out
'
test_done
