#!/bin/sh
# redact and verify --source against a bundle from a stranger: payload names that are not
# UTF-8 or hold terminal controls; an incident key file with more than one key; a reverse map
# given as a dangling symbolic link; a redaction.json of the wrong shape; lines of several MiB
# with planted values where the old 1 MiB pieces were cut, and runs of MiB with no break.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"

t "setup: an incident key, a bag maker for names collect never writes" '
	cd "$FX"
	lp -q keygen --incident -o inc.key >/dev/null
	# mkbag OUT NAME=CONTENT...: a valid, unsigned bundle; names and contents are Python
	# bytes literals, so that any byte can be given, or NAME=@FILE.
	cat >mkbag.py <<-PY
	import hashlib, io, sys, tarfile
	out = sys.argv[1]
	lit = lambda x: open(x[1:], "rb").read() if x[:1] == "@" else eval("b\"%s\"" % x)
	files = [tuple(lit(x) for x in a.split("=", 1)) for a in sys.argv[2:]]
	h = lambda b: hashlib.sha256(b).hexdigest().encode()
	man = b"".join(h(b) + b"  " + n + b"\n" for n, b in files if n.startswith(b"data/"))
	tags = [(n, b) for n, b in files if not n.startswith(b"data/")]
	files = [(n, b) for n, b in files if n.startswith(b"data/")]
	tags += [(b"manifest-sha256.txt", man),
	        (b"bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
	        (b"bag-info.txt", b"Payload-Oxum: %d.%d\n" % (sum(len(b) for _, b in files), len(files)))]
	tm = b"".join(h(b) + b"  " + n + b"\n" for n, b in tags)
	with tarfile.open(out, "w", format=tarfile.PAX_FORMAT, encoding="utf-8",
	                  errors="surrogateescape") as t:
	    for n, b in files + tags + [(b"tagmanifest-sha256.txt", tm)]:
	        ti = tarfile.TarInfo(("logpack-x/" + n.decode("utf-8", "surrogateescape")))
	        ti.size, ti.mtime, ti.mode = len(b), 1764547200, 0o644
	        t.addfile(ti, io.BytesIO(b))
	PY
'
t "a payload name that is not UTF-8 is carried under an escaped name, its link in redaction.json" '
	cd "$FX"
	python3 mkbag.py u.tar "data/var/log/a\\xffb.log=from 10.20.30.40\\n" \
		"data/var/log/ok.log=from 10.20.30.41\\n" "data/var/log/bin\\xfe.dat=\\x00\\x01"
	expect_code 0 lp verify u.tar >/dev/null
	mkdir uo ux
	expect_code 0 lp redact --key inc.key --map umap -o uo u.tar >ured 2>uerr
	tar -C ux -xf "$(cat ured)"
	test -s ux/logpack-redacted-*/data/var/log/a\\xffb.log
	lacks ux/logpack-redacted-*/data/var/log/a\\xffb.log "10.20.30.40"
	contains ux/logpack-redacted-*/logpack/redaction.json "data/var/log/bin\\\\xfe.dat"
	expect_code 0 lp verify --source u.tar --key inc.key "$(cat ured)" >uv
	contains uv "links: all 3 hold"
'
t "a member name with terminal controls is escaped on stderr" '
	cd "$FX"
	python3 mkbag.py e.tar "data/var/log/ok.log=x\\n" "data/var/log/b\\x1b[2J.dat=\\x00"
	mkdir eo
	expect_code 0 lp redact --key inc.key --map emap -o eo e.tar >/dev/null 2>eerr
	contains eerr "dropped (not plain text): data/var/log/b\\x1b[2J.dat"
	if grep -q "$(printf "\\033")" eerr; then echo "a raw escape on stderr"; false; fi
'
t "an incident key file with two key lines is refused (exit 3), nothing written" '
	cd "$FX"
	lp -q keygen --incident -o other.key >/dev/null
	cat inc.key other.key >two.key
	chmod 600 two.key
	python3 mkbag.py k.tar "data/var/log/ok.log=from 10.20.30.40\\n"
	mkdir ko
	expect_code 3 lp redact --key two.key --map kmap -o ko k.tar >kout 2>kerr
	contains kerr "two.key"
	contains kerr "more than one"
	test "$(wc -l <kerr)" = 1
	test -z "$(ls -A ko)"
	test ! -e kmap
'
t "a reverse map named by a dangling symbolic link is refused before anything is read" '
	cd "$FX"
	mkdir so
	ln -s "$PWD/so/inside.map" smap
	expect_code 3 lp redact --key inc.key --map smap -o so k.tar >sout 2>serr
	contains serr "--map smap: exists already"
	test -z "$(ls -A so)"
	test ! -e so/inside.map
'
t "redaction.json whose files is not an array: a reason is given (exit 4)" '
	cd "$FX"
	id=$(sed -n "s/^# key id: //p" inc.key)
	tm=$(tar -xOf k.tar logpack-x/tagmanifest-sha256.txt | sha256sum | cut -d" " -f1)
	printf "{\"files\": {}, \"key_id\": \"%s\", \"scheme\": \"logpack-redact-1\", \"source_tagmanifest_sha256\": \"%s\"}" \
		"$id" "$tm" >rj
	python3 mkbag.py d.tar "data/var/log/ok.log=x\\n" "logpack/redaction.json=@rj"
	expect_code 4 lp verify --source k.tar --key inc.key d.tar >dout 2>derr
	contains derr "logpack/redaction.json: files is not an array"
'
t "setup: lines of 3 MiB with values planted across the 1 MiB and 2 MiB marks, plain and .gz" '
	cd "$FX"
	# long.py OUT: lines of 3 MiB, one for each planted value and each kind of filler: text with
	# breaks (<, >, ;) and text of only letters and spaces. Each value stands across the 1 MiB
	# mark (after its first byte) and the 2 MiB mark (in its middle), and in the last 64 KiB
	# before each; one more line of each filler has a value beginning exactly at 1 MiB, one
	# exactly at 2 MiB, one ending at 1 MiB and one 64 KiB before it. Then runs of 5 MiB with
	# no break at all: base64 of text with the values, and the values themselves between
	# letters.
	cat >long.py <<-PY
	import base64, sys
	M = 1 << 20
	values = ["10.20.30.40", "karin.s@corp.example.com", "karin", "00:1A:2B:3C:4D:5E",
	          "for admin from"]
	fillers = ["lorem <ipsum> dolor; sit amet ", "the quick brown fox jumps over "]
	def line(filler, at):
	    b = bytearray((filler * (3 * M // len(filler) + 1)).encode()[:3 * M])
	    for pos, v in at:
	        w = (" " + v + " ").encode()
	        b[pos - 1:pos - 1 + len(w)] = w
	    return bytes(b) + b"\\n"
	with open(sys.argv[1], "wb") as f:
	    f.write(b"start 10.20.30.40\\n")
	    for filler in fillers:
	        for v in values:
	            f.write(line(filler, [(M - 1, v), (2 * M - len(v) // 2, v),
	                                  (M - 40000, v), (2 * M - 30000, v)]))
	            f.write(b"between\\n")
	        f.write(line(filler, [(M, values[0]), (2 * M, values[3]),
	                              (M - len(values[2]), values[2]), (M - 65536, values[1])]))
	    run = base64.b64encode(b"user karin from 10.20.30.40 mac 00:1A:2B:3C:4D:5E " * 110000)
	    f.write(b"head <x> " + run + b";tail 10.20.30.40\\n")
	    f.write(b"q" + b"xy10.20.30.40karin" * (5 * M // 18) + b"\\n")
	    f.write(b"end 10.20.30.40\\n")
	PY
	python3 long.py long.log
	test "$(wc -l <long.log)" = 26
	gzip -c long.log >long.log.1.gz
	printf "karin:x:1000:1000::/home/karin:/bin/bash\\nadmin:x:1001:1001::/home/admin:/bin/bash\\n" >passwd
	python3 mkbag.py long.tar "data/etc/passwd=@passwd" "data/var/log/long.log=@long.log" \
		"data/var/log/long.log.1.gz=@long.log.1.gz"
	expect_code 0 lp verify long.tar >/dev/null
'
t "no value planted across a 1 MiB or 2 MiB mark survives, plain or .gz; line counts stay" '
	cd "$FX"
	mkdir lo lx
	expect_code 0 lp redact --key inc.key --map lmap -o lo long.tar >lred 2>lerr
	tar -C lx -xf "$(cat lred)"
	d=$(echo lx/logpack-redacted-*/data/var/log)
	zcat "$d/long.log.1.gz" >unzipped
	cmp unzipped "$d/long.log"
	test "$(wc -l <"$d/long.log")" = 26
	# Every member of the derived bundle, decompressed, and the names in the tar.
	find lx -type f ! -name "*.gz" -exec cat {} + >all
	find lx -type f -name "*.gz" -exec zcat {} + >>all
	tar -tf "$(cat lred)" >>all
	for v in 10.20.30.40 karin 00:1A:2B:3C:4D:5E "for admin from"; do
		n=$(grep -aoF -- "$v" all | wc -l)
		if [ "$n" != 0 ]; then echo "survived $n times: $v"; false; fi
	done
	# The text around them is carried: no line was dropped for being long.
	test "$(grep -ac "ipsum> dolor; sit amet lorem <ipsum" "$d/long.log")" = 6
	test "$(grep -ac "fox jumps over the quick brown fox" "$d/long.log")" = 6
	test "$(grep -aoF "for user-" "$d/long.log" | wc -l)" = 8
	expect_code 0 lp verify --source long.tar --key inc.key "$(cat lred)" >lv
	contains lv "links: all 3 hold"
'
t "a run of MiB with no break is replaced whole; the line goes on after the next break" '
	cd "$FX"
	d=$(echo lx/logpack-redacted-*/data/var/log)
	# The run begins after the last place to cut, the ">": its space goes with it.
	test "$(grep -ac "^head <x>\[logpack: a run of 1 MiB or more without a break, removed\];tail 10\." "$d/long.log")" = 1
	test "$(grep -ac "^\[logpack: a run of 1 MiB or more without a break, removed\]$" "$d/long.log")" = 1
	# Nothing of the runs is left to decode: no line of the derived log is longer than 4 MiB.
	test "$(awk "length(\$0) > 4194304" "$d/long.log" | wc -l)" = 0
	python3 -c "
import base64, re, sys
t = open(sys.argv[1], \"rb\").read()
for m in re.findall(rb\"[A-Za-z0-9+/]{64,}=*\", t):
    d = base64.b64decode(m[:len(m) // 4 * 4])
    assert b\"10.20.30.40\" not in d and b\"karin\" not in d, \"a base64 run decodes to a value\"
" "$d/long.log"
'
t "gzip rotations: zeros after the last member are carried; a cut member or a wrong CRC-32 is dropped" '
	cd "$FX"
	printf "Dec  3 10:00:01 web01 sshd[1]: Accepted password for karin from 10.20.30.40 port 22\n" >gl
	gzip -c <gl >gz-whole
	# A crash left zeros after the member; a copy was cut inside its trailer; one bit of a
	# third, in the CRC-32 of its trailer, was flipped (gzip -t refuses it, libarchive not).
	{ cat gz-whole; head -c 4096 /dev/zero; } >gz-padded
	head -c $(($(wc -c <gz-whole) - 3)) gz-whole >gz-cut
	python3 -c "
import sys
b = bytearray(open(sys.argv[1], \"rb\").read()); b[-8] ^= 1
open(sys.argv[2], \"wb\").write(b)" gz-whole gz-crc
	if gzip -t gz-crc 2>/dev/null; then echo "gzip -t takes the flipped CRC"; false; fi
	python3 mkbag.py gz.tar "data/var/log/a.log.1.gz=@gz-padded" \
		"data/var/log/b.log.1.gz=@gz-cut" "data/var/log/c.log.1.gz=@gz-crc"
	expect_code 0 lp verify gz.tar >/dev/null
	mkdir gzo gzx
	expect_code 0 lp redact --key inc.key --map gzmap -o gzo gz.tar >gzred 2>gzerr
	tar -C gzx -xf "$(cat gzred)"
	d=$(echo gzx/logpack-redacted-*/data/var/log)
	zcat "$d/a.log.1.gz" >a-out
	test "$(wc -l <a-out)" = 1
	contains a-out "Accepted password for"
	lacks a-out "10.20.30.40"
	contains gzerr "dropped (not plain text): data/var/log/b.log.1.gz: gzip stream broken: truncated gzip input"
	contains gzerr "dropped (not plain text): data/var/log/c.log.1.gz: gzip stream broken: its CRC-32 or length does not match"
	test ! -e "$d/b.log.1.gz"
	test ! -e "$d/c.log.1.gz"
	expect_code 0 lp verify --source gz.tar --key inc.key "$(cat gzred)" >gzv
	contains gzv "links: all 3 hold"
'
test_done
