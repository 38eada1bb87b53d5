#!/bin/sh
# redact and verify --source against a bundle from a stranger: payload names that are not
# UTF-8 or hold terminal controls; an incident key file with more than one key; a reverse map
# given as a dangling symbolic link; a redaction.json of the wrong shape.
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
test_done
