#!/bin/sh
# redact's bounds on what a hostile bundle can make it read: a compressed rotation that
# decompresses to more than 1000 times its size (and at least 64 MiB) is dropped and listed,
# the rest carried; a user database over 8 MiB (hosts files share the bound) and login records
# naming more than 65,536 users fail the run (their names could not all be listed), with
# nothing written; so does a full output directory, in the workers' output stage and in a
# compressor.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"

t "setup: an incident key" '
	cd "$FX"
	lp -q keygen --incident -o inc.key >/dev/null
'
t "a rotation over 1000 times its size, or over 64 MiB, is dropped and listed; the rest is carried" '
	cd "$FX"
	mkdir -p z/etc z/var/log
	echo ID=debian >z/etc/os-release
	echo "Nov 27 10:00:00 web01 sshd[1]: Accepted password for karin from 10.20.30.40" \
		>z/var/log/auth.log
	# 100 MiB of one byte: gzip makes it about 1030 times smaller, just over the bound.
	head -c 104857600 /dev/zero | tr "\000" y | gzip -9 >z/var/log/app.log.1.gz
	# 70 MiB in a few bytes of bzip2: 1000 times those is below the 64 MiB floor.
	head -c 73400320 /dev/zero | tr "\000" y | bzip2 -9 >z/var/log/app.log.2.bz2
	# Under the bound: carried, redacted.
	(echo "karin from 10.20.30.40"; head -c 1048576 /dev/zero | tr "\000" y; echo) |
		gzip -9 >z/var/log/app.log.3.gz
	gz=$(stat -c %s z/var/log/app.log.1.gz)
	lp -q collect --root z -o z.tar.zst >/dev/null
	mkdir zo zx
	lp redact --key inc.key --map zmap -o zo z.tar.zst >zred 2>zerr
	contains zerr "dropped (not plain text): data/var/log/app.log.1.gz: decompresses to more than $((gz * 1000)) bytes"
	contains zerr "dropped (not plain text): data/var/log/app.log.2.bz2: decompresses to more than 67108864 bytes"
	tar -C zx -xf "$(cat zred)"
	d=$(echo zx/logpack-redacted-*/data/var/log)
	test ! -e "$d/app.log.1.gz"
	test ! -e "$d/app.log.2.bz2"
	test -s "$d/auth.log"
	gunzip -c "$d/app.log.3.gz" >three
	test "$(wc -l <three)" = 2
	if grep -q "10.20.30.40" three "$d/auth.log"; then echo "an address survived"; false; fi
	expect_code 0 lp verify --source z.tar.zst --key inc.key "$(cat zred)" >zv
	contains zv "links: all"
'
t "a passwd over 8 MiB fails the run: its names could not be listed; nothing is written" '
	cd "$FX"
	mkdir -p p/etc p/var/log
	echo ID=debian >p/etc/os-release
	echo "Nov 27 10:00:00 web01 sshd[1]: Accepted password for karin" >p/var/log/auth.log
	python3 -c "
import sys
with open(sys.argv[1], \"w\") as f:
    f.write(\"root:x:0:0:root:/root:/bin/bash\n\")
    for i in range(120000):
        f.write(\"user%06d:x:%d:%d:Person Number %d,,,:/home/user%06d:/bin/bash\n\" % (i, 2000 + i, 2000 + i, i, i))
" p/etc/passwd
	test "$(stat -c %s p/etc/passwd)" -gt 8388608
	lp -q collect --root p -o p.tar.zst >/dev/null
	tar -tf p.tar.zst | grep -q "/data/etc/passwd$"
	mkdir po
	expect_code 3 lp redact --key inc.key --map pmap -o po p.tar.zst >pout 2>perr
	contains perr "data/etc/passwd: larger than 8 MiB: its names cannot be read"
	test "$(wc -l <perr)" = 1
	test ! -e pmap
	test -z "$(ls -A po)"
	test ! -s pout
'
t "login records naming more than 65,536 users fail the run; nothing is written" '
	cd "$FX"
	mkdir -p w/etc w/var/log
	echo ID=debian >w/etc/os-release
	python3 - w <<-PY
	import struct, sys
	with open(sys.argv[1] + "/var/log/wtmp", "wb") as f:
	    for i in range(65537):
	        f.write(struct.pack("<hxxi32s4s32s256shhiii16s20s", 7, 100 + i, b"pts/0", b"ts/0",
	                            b"u%07d" % i, b"", 0, 0, 0, 1764230100 + i, 0, b"", b""))
	PY
	lp -q collect --root w -o w.tar.zst >/dev/null
	mkdir wo
	expect_code 3 lp redact --key inc.key --map wmap -o wo w.tar.zst >wout 2>werr
	contains werr "data/var/log/wtmp: more than 65536 user names or hosts of logins"
	test "$(wc -l <werr)" = 1
	test ! -e wmap
	test -z "$(ls -A wo)"
	# In a rotation of a source that is not valid: refused as not valid (exit 4), the bound
	# met in its rotation notwithstanding.
	mkdir -p wz/etc wz/var/log
	cp w/etc/os-release wz/etc/
	gzip -c w/var/log/wtmp >wz/var/log/wtmp.1.gz
	echo "Nov 27 10:00:00 web01 app: zz" >wz/var/log/zz.log
	lp -q collect -c none --root wz -o wz.tar >/dev/null
	python3 - wz.tar <<-PY
	import sys, tarfile
	with tarfile.open(sys.argv[1]) as t:
	    m = [m for m in t.getmembers() if m.name.endswith("zz.log")][0]
	with open(sys.argv[1], "r+b") as f:
	    f.seek(m.offset_data)
	    f.write(b"X")
	PY
	expect_code 4 lp verify wz.tar >/dev/null
	mkdir wzo
	expect_code 4 lp redact --key inc.key --map wzmap -o wzo wz.tar >/dev/null 2>wzerr
	contains wzerr "the source is not valid"
	test ! -e wzmap
'
t "a full output directory (ENOSPC) in the workers output stage and in the compressor: exit 3, a clear error, nothing left" '
	cd "$FX"
	mkdir -p f/etc f/var/log fz/etc fz/var/log small
	echo ID=debian >f/etc/os-release
	echo ID=debian >fz/etc/os-release
	python3 -c "
import random
random.seed(1)
for i in range(60000):
    print(\"Nov 27 10:00:00 web01 app[%d]: request %08x from 10.%d.%d.%d took %d ms\" % (i, random.getrandbits(32), random.randrange(256), random.randrange(256), random.randrange(256), random.randrange(9999)))
" >f/var/log/app.log
	gzip -c f/var/log/app.log >fz/var/log/app.log.1.gz
	lp -q collect --root f -o f.tar.zst >/dev/null
	lp -q collect --root fz -o fz.tar.zst >/dev/null
	for b in f fz; do
		for j in 1 2; do
			mount -t tmpfs -o size=1m tmpfs small
			set +e
			lp redact -j "$j" --key inc.key --map "fmap$b$j" -o small "$b.tar.zst" >fout 2>"ferr$b$j"
			rc=$?
			set -e
			left=$(ls -A small)
			umount small
			test "$rc" = 3
			test -z "$left"
			test ! -e "fmap$b$j"
			test "$(wc -l <"ferr$b$j")" = 1
		done
	done
	contains ferrf2 "small: temporary file: No space left on device"
	contains ferrf1 "small: temporary file: No space left on device"
	# gzip goes through ISA-L where it is built in, else through libarchive ("Write error").
	grep -Eq "small: temporary file: compressing: (Write error \()?No space left on device" ferrfz2
	grep -Eq "small: temporary file: compressing: (Write error \()?No space left on device" ferrfz1
	# The bundle itself fills the disk, on the thread that copies members into it: the same.
	mkdir -p fr/etc fr/var/log
	echo ID=debian >fr/etc/os-release
	head -c 6000000 /dev/urandom | base64 -w 100 >fr/var/log/app.log
	echo "Nov 27 10:00:00 web01 app: 10.1.2.3" >fr/var/log/b.log
	lp -q collect --root fr -o fr.tar.zst >/dev/null
	mount -t tmpfs -o size=9m tmpfs small
	set +e
	timeout 60 "$LOGPACK" redact -j 2 --key inc.key --map frmap -o small fr.tar.zst >/dev/null 2>frerr
	rc=$?
	set -e
	left=$(ls -A small)
	umount small
	test "$rc" = 3
	test -z "$left"
	test ! -e frmap
	test "$(wc -l <frerr)" = 1
	contains frerr "small/.logpack-redacted-"
	contains frerr ": No space left on device"
	test "$(grep -o "[.]tar[.]zst[.][A-Za-z0-9]*" frerr | wc -l)" = 1
'
t "a bundle cut short inside a compressed rotation is refused (exit 4), without a hang, nothing written" '
	cd "$FX"
	mkdir -p cut/etc cut/var/log
	echo ID=debian >cut/etc/os-release
	python3 -c "
import random
random.seed(2)
for i in range(40000):
    print(\"Nov 27 10:00:00 web01 app[%d]: %032x from 10.%d.%d.%d\" % (i, random.getrandbits(128), random.randrange(256), random.randrange(256), random.randrange(256)))
" | gzip -c >cut/var/log/app.log.1.gz
	echo "Nov 27 10:00:00 web01 app: after" >cut/var/log/zz.log
	lp -q collect -c none --root cut -o cut.tar >/dev/null
	# Cut the tar halfway through the rotation.
	at=$(python3 -c "
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = [m for m in t.getmembers() if m.name.endswith(\"app.log.1.gz\")][0]
    print(m.offset_data + m.size // 2)
" cut.tar)
	head -c "$at" cut.tar >cut-short.tar
	mkdir cuto
	set +e
	timeout 60 "$LOGPACK" redact -j 2 --key inc.key --map cutmap -o cuto cut-short.tar >cutout 2>cuterr
	rc=$?
	set -e
	test "$rc" = 4
	contains cuterr "app.log.1.gz"
	contains cuterr "not redacted"
	test -z "$(ls -A cuto)"
	test ! -e cutmap
	# Whole, the same bundle is redacted, its rotation with it.
	lp -q redact -j 2 --key inc.key --map cutmap2 -o cuto cut.tar >cutred
	tar -tf "$(cat cutred)" | grep -q "/data/var/log/app.log.1.gz$"
'
test_done
