#!/bin/sh
# redact, first version: plain-text payload files redacted line by line and by path, the rest
# dropped and listed; no planted value survives in any member's name or content; kept
# addresses stay; line counts stay; the same value gets the same pseudonym in two bundles; the
# result verifies with stock tools and logpack; the reverse map is 0600, outside the output
# directory, never over a file; an INVALID source is refused.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"

# whole VALUE: an extended regular expression for VALUE as a whole, not as the start or the end
# of a longer number. A pseudonym may share a prefix with its original (Crypto-PAn keeps a
# network's third octet in about one key of fifteen), so 192.168.7.12 may well stand for
# 192.168.7.1 and must not count as the original surviving.
whole() {
	printf "(^|[^0-9])%s([^0-9]|\$)" "$(printf "%s" "$1" | sed "s/[.]/\\\\./g")"
}

t "setup: a tree with planted names, addresses, e-mail and a MAC; a bundle; a key" '
	cd "$FX"
	mkdir -p root/etc root/var/log/karin
	echo ID=debian >root/etc/os-release
	cat >root/var/log/auth.log <<-EOF
	Nov 27 10:00:00 web01 sshd[1]: Accepted password for karin from 10.20.30.40 port 22 ssh2
	Nov 27 10:00:01 web01 sshd[2]: Failed password for admin from 45.77.1.2 port 22 ssh2
	Nov 27 10:00:02 web01 postfix[3]: to=<karin.s@corp.example.com>, relay=mail.corp.example.com[192.168.7.7]:25
	Nov 27 10:00:03 web01 dhclient: bound to 172.31.3.150 host ip-172-31-3-150.ec2.internal lladdr 00:1A:2B:3C:4D:5E
	Nov 27 10:00:04 web01 kernel: the admin panel and /usr/bin/ls are words
	Nov 27 10:00:05 web01 nginx: GET /login?user=karin%40corp.example.com&from=10%2E20%2E30%2E40 200
	Nov 27 10:00:06 web01 app: Authorization: Basic a2FyaW46c2VjcmV0 cookie=d2ViMDEvMTkyLjE2OC43Ljc=
	EOF
	echo "karin was here from 10.20.30.40" >root/var/log/karin/notes.log
	printf "x\000y 10.20.30.40" >root/var/log/binary.dat
	lp -q collect --root root -o . >path
	lp -q keygen --incident -o inc.key >/dev/null
	printf "karin\nweb01\ncorp.example.com\n" >words
'
t "redact: a bundle, a 0600 map outside the output, the non-text member dropped and listed" '
	cd "$FX"
	mkdir out
	lp redact --key inc.key --map map.txt --keep 45.77.1.2 --words words -o out "$(cat path)" \
		>red 2>err
	test "$(wc -l <red)" = 1
	case "$(cat red)" in out/logpack-redacted-*.tar.zst) ;; *) false ;; esac
	test "$(stat -c %a map.txt)" = 600
	contains err "dropped (not plain text): data/var/log/binary.dat"
	lacks err "bagit.txt"
	contains map.txt "10.20.30.40"
'
t "stock tools verify it; so does logpack" '
	cd "$FX"
	mkdir x
	tar -C x -xf "$(cat red)"
	(cd x/logpack-redacted-* && sha256sum -c --quiet manifest-sha256.txt &&
		sha256sum -c --quiet tagmanifest-sha256.txt)
	(cd out && sha256sum -c --quiet ./*.sha256)
	expect_code 0 lp verify "$(cat red)" >v
	contains v "valid"
'
t "no planted value survives in any name or content; kept values and words stay" '
	cd "$FX"
	for v in karin 10.20.30.40 web01 corp.example.com 192.168.7.7 172.31.3.150 \
		172-31-3-150 00:1A:2B:3C:4D:5E; do
		if grep -rqE -- "$(whole "$v")" x; then echo "survived: $v"; false; fi
		if find x | grep -qE -- "$(whole "$v")"; then echo "survived in a name: $v"; false; fi
		if tar -tf "$(cat red)" | grep -qE -- "$(whole "$v")"; then echo "in the tar: $v"; false; fi
	done
	if grep -rqa "x.y 10" x; then echo "the binary came along"; false; fi
	a=$(find x -name auth.log)
	# The percent-encoded and base64 forms, decoded: nothing planted in them either.
	python3 -c "
import base64, re, sys, urllib.parse
t = open(sys.argv[1]).read()
print(urllib.parse.unquote(t))
for m in re.findall(\"[A-Za-z0-9+/_-]{8,}=*\", t):
    b = m.rstrip(\"=\").replace(\"-\", \"+\").replace(\"_\", \"/\")
    try:
        print(base64.b64decode(b + \"=\" * (-len(b) % 4)).decode(\"ascii\"))
    except Exception:
        pass
" "$a" >decoded
	grep -q "Basic [A-Za-z0-9+/]*=* cookie=" "$a"
	grep -q "login?user=mail-[a-z2-7]\{10\}@word-[a-z2-7]\{10\}&from=10\." decoded
	grep -q "^word-[a-z2-7]\{10\}:secret$" decoded
	for v in karin 10.20.30.40 web01 corp.example.com 192.168.7.7; do
		if grep -qE -- "$(whole "$v")" decoded; then echo "survived encoded: $v"; false; fi
	done
	contains "$a" "from 45.77.1.2 port"
	contains "$a" "the admin panel and /usr/bin/ls are words"
	test "$(wc -l <"$a")" = "$(wc -l <root/var/log/auth.log)"
	grep -q "Accepted password for word-[a-z2-7]\{10\} from 10\." "$a"
	grep -q "relay=mail.word-[a-z2-7]\{10\}\[192\.168\." "$a"
	grep -q "host ip-172-" "$a"
	find x -path "*/data/var/log/word-*/notes.log" | grep -q .
'
t "redaction.json: key id, the source tag manifest, a keyed link per file, no plain hash" '
	cd "$FX"
	j=$(find x -name redaction.json)
	id=$(sed -n "s/^# key id: //p" inc.key)
	contains "$j" "\"key_id\": \"$id\""
	mkdir src
	tar -C src -xf "$(cat path)"
	tm=$(sha256sum src/*/tagmanifest-sha256.txt | cut -d" " -f1)
	contains "$j" "\"source_tagmanifest_sha256\": \"$tm\""
	contains "$j" "\"action\": \"dropped\""
	test "$(grep -c "\"link\": \"[0-9a-f]\{64\}\"" "$j")" = "$(cat src/*/manifest-sha256.txt | wc -l)"
	for h in $(cut -d" " -f1 src/*/manifest-sha256.txt); do lacks "$j" "$h"; done
'
t "the same key gives the same pseudonyms in a second bundle" '
	cd "$FX"
	mkdir out2
	lp -q redact --key inc.key --map map2.txt --keep 45.77.1.2 --words words -o out2 \
		"$(cat path)" >red2
	mkdir y
	tar -C y -xf "$(cat red2)"
	cmp "$(find x -name auth.log)" "$(find y -name auth.log)"
'
t "the map inside the output directory, or over a file, is refused; nothing is written" '
	cd "$FX"
	mkdir o3
	expect_code 3 lp redact --key inc.key --map o3/map --words words -o o3 "$(cat path)" 2>e1
	contains e1 "must not be inside the output directory"
	expect_code 3 lp redact --key inc.key --map map.txt -o o3 "$(cat path)" 2>e2
	contains e2 "exists already"
	test -z "$(ls o3)"
	expect_code 3 lp redact --key inc.key --map m6 -o nonexistent "$(cat path)" 2>e3
	contains e3 "nonexistent"
	lacks e3 "inside"
	test ! -e m6
'
t "an INVALID source is refused with exit 4; a key others can read is refused" '
	cd "$FX"
	mkdir bad o4
	tar -C bad -xf "$(cat path)"
	b=$(ls -d bad/*)
	echo tampered >>"$b/data/var/log/auth.log"
	expect_code 4 lp redact --key inc.key --map m4 -o o4 "$b" 2>e
	contains e "not valid"
	test ! -e m4
	test -z "$(ls o4)"
	cp inc.key open.key
	chmod 644 open.key
	expect_code 3 lp redact --key open.key --map m5 -o o4 "$(cat path)" 2>e5
	contains e5 "too open"
'
t "usage: a bundle, --key and --map are needed" '
	cd "$FX"
	expect_code 2 lp redact --key inc.key "$(cat path)" 2>e
	contains e "--key and --map are needed"
	expect_code 2 lp redact --key inc.key --map m 2>e
	contains e "one BUNDLE"
'
t "host.json and accounts.json name what to replace, without --words" '
	cd "$FX"
	mkdir -p hr/etc hr/var/log
	echo ID=debian >hr/etc/os-release
	echo gw07.branch.example.net >hr/etc/hostname
	printf "root:x:0:0::/root:/bin/bash\nman:x:6:12::/var/cache/man:/usr/sbin/nologin\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nolga:x:1000:1000::/home/olga:/bin/bash\n" \
		>hr/etc/passwd
	printf "root:\$6\$a\$b:19000:0:99999:7:::\nman:*:19000:0:99999:7:::\nsshd:!:19000::::::\nolga:\$6\$c\$d:19000:0:99999:7:::\n" \
		>hr/etc/shadow
	chmod 600 hr/etc/shadow
	cat >hr/var/log/auth.log <<-EOF
	Nov 27 10:00:00 gw07 sshd[1]: Accepted password for olga from 10.1.2.3 port 22 ssh2
	Nov 27 10:00:01 gw07 sshd[2]: session opened for user man(uid=6) by (uid=0)
	Nov 27 10:00:02 gw07 cron[3]: olga read the man page on gw07.branch.example.net
	Nov 27 10:00:03 gw07 sshd[4]: Failed password for invalid user sshd from 45.1.2.3 port 22 ssh2
	EOF
	lp -q collect --root hr -o . >hpath
	mkdir ho
	lp -q redact --key inc.key --map hmap -o ho "$(cat hpath)" >hred 2>/dev/null
	mkdir hx
	tar -C hx -xf "$(cat hred)"
	a=$(find hx -name auth.log)
	for v in olga gw07 branch.example.net; do
		if grep -rqiF -- "$v" hx; then echo "survived: $v"; false; fi
	done
	contains "$a" "read the man page on host-"
	grep -q "^Nov 27 10:00:00 host-[a-z2-7]\{10\} sshd\[1\]: Accepted password for user-" "$a"
	grep -q "session opened for user user-[a-z2-7]\{10\}(uid=6)" "$a"
	grep -q "invalid user user-[a-z2-7]\{10\} from" "$a"
	test "$(grep -c "sshd\[" "$a")" = 3
'
t "signed only by the key given to redact; the source signer is not named; verify says whence" '
	cd "$FX"
	lp -q keygen --out src-signer --subject "/O=Victim AB/CN=signer-web01" >/dev/null
	lp -q keygen --out redactor --subject "/O=CERT/CN=redactor" >/dev/null
	lp -q collect --root root -o signed.tar.zst --sign-key src-signer.key \
		--sign-cert src-signer.crt >/dev/null
	mkdir so
	lp redact --key inc.key --map smap --words words --sign-key redactor.key \
		--sign-cert redactor.crt -o so signed.tar.zst >sred 2>err
	contains err "signed by /O=CERT/CN=redactor"
	mkdir sx
	tar -C sx -xf "$(cat sred)"
	d=$(echo sx/logpack-redacted-*)
	openssl cms -verify -binary -inform DER -in "$d/tagmanifest-sha256.txt.p7s" \
		-content "$d/tagmanifest-sha256.txt" -CAfile redactor.crt -purpose any \
		-out /dev/null 2>/dev/null
	if grep -rqaF -e signer-web01 -e "Victim AB" sx; then echo "names the source signer"; false; fi
	expect_code 0 lp verify --trust redactor.crt "$(cat sred)" >v
	mkdir sb
	tar -C sb -xf signed.tar.zst
	tm=$(sha256sum sb/*/tagmanifest-sha256.txt | cut -d" " -f1)
	contains v "signed by /O=CERT/CN=redactor, trusted; derived by redaction from $tm"
	expect_code 5 lp verify --trust src-signer.crt "$(cat sred)" >/dev/null
	expect_code 2 lp redact --key inc.key --map smap2 --sign-key redactor.key signed.tar.zst \
		2>e
	contains e "--sign-key and --sign-cert go together"
	test ! -e smap2
'
t "verify --source --key: every link holds; another source, another key, a changed link: exit 4" '
	cd "$FX"
	expect_code 0 lp verify --source signed.tar.zst --key inc.key "$(cat sred)" >v
	n=$(tar -tf signed.tar.zst | grep -c "/data/.*[^/]$")
	contains v "links: all $n hold: derived from signed.tar.zst"
	lp verify --json --source signed.tar.zst --key inc.key "$(cat sred)" >v.json
	test "$(jq -r .links.hold v.json)" = true
	test "$(jq -r .links.matched v.json)" = "$n"
	# Another source: the same tree collected again (another tag manifest, same files).
	tm=$(sha256sum sb/*/tagmanifest-sha256.txt | cut -d" " -f1)
	expect_code 4 lp verify --source "$(cat path)" --key inc.key "$(cat sred)" >v2
	contains v2 "DO NOT HOLD"
	contains v2 "derived from the bundle with tag manifest $tm"
	# Another incident key.
	lp -q keygen --incident -o other.key >/dev/null
	expect_code 4 lp verify --source signed.tar.zst --key other.key "$(cat sred)" >v3
	contains v3 "made with another incident key"
	# A changed link, in a bag rebuilt so that it is valid again (unsigned).
	mkdir cx
	tar -C cx -xf "$(cat sred)"
	d=$(echo cx/logpack-redacted-*)
	j="$d/logpack/redaction.json"
	old=$(grep -o "\"link\": \"[0-9a-f]*\"" "$j" | head -n 1 | cut -d\" -f4)
	new=$(printf "%s" "$old" | tr 0-9a-f 1-9a-f0)
	sed -i "s/$old/$new/" "$j"
	rm "$d/tagmanifest-sha256.txt.p7s"
	(cd "$d" && sha256sum bagit.txt bag-info.txt manifest-sha256.txt logpack/* \
		>tagmanifest-sha256.txt)
	(cd cx && tar --zstd -cf ../changed.tar.zst "${d#cx/}")
	expect_code 0 lp verify changed.tar.zst >v4
	contains v4 "valid, unsigned"
	expect_code 4 lp verify --source signed.tar.zst --key inc.key changed.tar.zst >v5
	contains v5 "its link matches no file of the source"
	contains v5 "of the source is not accounted for"
	# A source cut inside one of its files: not valid, said as such (exit 4).
	zstd -q -dc signed.tar.zst >whole.tar
	at=$(python3 -c "
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = [m for m in t.getmembers() if \"/data/\" in m.name and m.isfile() and m.size > 20][0]
    print(m.offset_data + m.size // 2)
" whole.tar)
	head -c "$at" whole.tar >cut.tar
	expect_code 4 lp verify --source cut.tar --key inc.key "$(cat sred)" >v6 2>&1
	contains v6 "cut.tar is not valid"
	# Usage: --source needs the key, and one bundle.
	expect_code 2 lp verify --source signed.tar.zst "$(cat sred)" 2>e
	contains e "--source needs the incident key"
	expect_code 2 lp verify --source signed.tar.zst --key redactor.key "$(cat sred)" 2>e
	contains e "with --source, --key is the incident key"
	# A glob that takes the sidecar too: the message names both and says which to give.
	expect_code 2 lp verify --source signed.tar.zst --key inc.key "$(cat sred)" "$(cat sred).sha256" 2>e
	contains e "got 2 ($(cat sred) $(cat sred).sha256): give the bundle, not its .sha256 sidecar"
'
t "redact --reveal: a replacement original from the map, with the map key only" '
	cd "$FX"
	tok=$(grep -o "Accepted password for word-[a-z2-7]*" "$(find x -name auth.log)" | cut -d" " -f4)
	lp redact --reveal "$tok" --key inc.key --map map.txt >r
	test "$(cat r)" = "$(printf "words\tkarin")"
	expect_code 1 lp redact --reveal word-aaaaaaaaaa --key inc.key --map map.txt 2>e
	contains e "holds no such replacement"
	expect_code 3 lp redact --reveal "$tok" --key other.key --map map.txt 2>e
	contains e "written under another incident key"
	expect_code 2 lp redact --reveal "$tok" --key inc.key 2>e
	contains e "--reveal needs --key and --map"
	expect_code 3 lp redact --reveal "$tok" --key inc.key --map words 2>e
	contains e "--map words: not a reverse map of logpack redact"
	test "$(wc -l <e)" = 1
'
t "bag-info: the source TLP by default or --tlp; contacts and source signer only when asked" '
	cd "$FX"
	lp incident init template.txt 2>/dev/null
	answers_en >answers.txt
	fill template.txt answers.txt >report.txt
	lp -q collect --root root -o inc.tar.zst --incident report.txt --sign-key src-signer.key \
		--sign-cert src-signer.crt >/dev/null
	mkdir io1 io2
	lp -q redact --key inc.key --map imap1 -o io1 inc.tar.zst >ired1 2>/dev/null
	tar -xOf "$(cat ired1)" --wildcards "*/bag-info.txt" >info1
	contains info1 "LogPack-TLP: TLP:AMBER"
	for v in "Example AB" "Anna Andersson" "anna@example.se" "+46 8 123" signer-web01 \
		INC-2026-0042 Source-Organization Contact- LogPack-Source-Signer; do
		if tar -xOf "$(cat ired1)" | grep -qaF -- "$v"; then echo "carried: $v"; false; fi
		if tar -tf "$(cat ired1)" | grep -qF -- "$v"; then echo "in a name: $v"; false; fi
	done
	lp -q redact --key inc.key --map imap2 -o io2 --tlp green --keep-contacts \
		--name-source-signer inc.tar.zst >ired2 2>/dev/null
	tar -xOf "$(cat ired2)" --wildcards "*/bag-info.txt" >info2
	contains info2 "LogPack-TLP: TLP:GREEN"
	lacks info2 "TLP:AMBER"
	contains info2 "Source-Organization: Example AB"
	contains info2 "Contact-Name: Anna Andersson"
	contains info2 "Contact-Email: anna@example.se"
	contains info2 "LogPack-Source-Signer: /O=Victim AB/CN=signer-web01"
	expect_code 0 lp verify "$(cat ired2)" >v
	contains v "TLP:GREEN"
	expect_code 2 lp redact --key inc.key --map imap3 --tlp beige inc.tar.zst 2>e
	contains e "beige"
	contains e "is not CLEAR, GREEN, AMBER, AMBER+STRICT or RED"
	test ! -e imap3
'
t "compressed rotations: decompressed, redacted and compressed again in their own format" '
	cd "$FX"
	mkdir -p zr/etc zr/var/log
	echo ID=debian >zr/etc/os-release
	for i in 1 2 3 4 5 6; do
		echo "Nov 27 10:00:0$i web01 sshd[$i]: Accepted password for karin from 10.20.30.4$i port 22"
		echo "Nov 27 10:00:0$i web01 postfix[$i]: to=<karin.s@corp.example.com> relay 192.168.7.$i"
	done >lines
	cp lines zr/var/log/auth.log
	gzip -c lines >zr/var/log/auth.log.2.gz
	xz -c lines >zr/var/log/auth.log.3.xz
	zstd -q -c lines >zr/var/log/auth.log.4.zst
	bzip2 -c lines >zr/var/log/auth.log.5.bz2
	printf "not gzip at all 10.20.30.41\n" >zr/var/log/broken.log.1.gz
	printf "a\000b 10.20.30.41\n" | gzip -c >zr/var/log/nul.log.1.gz
	lp -q collect --root zr -o z.tar.zst >/dev/null
	mkdir zo
	lp redact --key inc.key --map zmap --words words -o zo z.tar.zst >zred 2>zerr
	mkdir zx
	tar -C zx -xf "$(cat zred)"
	d=$(echo zx/logpack-redacted-*/data/var/log)
	gzip -t "$d/auth.log.2.gz"
	xz -t "$d/auth.log.3.xz"
	zstd -q -t "$d/auth.log.4.zst"
	bzip2 -t "$d/auth.log.5.bz2"
	zcat "$d/auth.log.2.gz" >g
	cmp g "$d/auth.log"
	xzcat "$d/auth.log.3.xz" | cmp - g
	zstdcat -q "$d/auth.log.4.zst" | cmp - g
	bzcat "$d/auth.log.5.bz2" | cmp - g
	test "$(wc -l <g)" = 12
	grep -q "Accepted password for word-[a-z2-7]\{10\} from 10\." g
	for v in karin 10.20.30.41 web01 corp.example.com 192.168.7.1; do
		if grep -qE -- "$(whole "$v")" g; then echo "survived: $v"; false; fi
	done
	contains zerr "dropped (not plain text): data/var/log/broken.log.1.gz: not gzip"
	contains zerr "dropped (not plain text): data/var/log/nul.log.1.gz"
	test ! -e "$d/broken.log.1.gz"
	test ! -e "$d/nul.log.1.gz"
	expect_code 0 lp verify --source z.tar.zst --key inc.key "$(cat zred)" >zv
	contains zv "links: all 7 hold"
'
t "login records: wtmp, btmp, utmp and lastlog rewritten in place, read by last, lastb and utmpdump" '
	cd "$FX"
	mkdir -p lr/etc lr/var/log lr/run
	echo ID=debian >lr/etc/os-release
	python3 - lr <<-PY
	import socket, struct, sys
	def ut(t, pid, line, user, host, addr, sec):
	    a = b""
	    if addr:
	        a = socket.inet_pton(socket.AF_INET6 if ":" in addr else socket.AF_INET, addr)
	    return struct.pack("<hxxi32s4s32s256shhiii16s20s", t, pid, line.encode(), b"ts/0",
	                       user.encode(), host.encode(), 0, 0, 0, sec, 0, a.ljust(16, b"\0"), b"")
	r = sys.argv[1]
	open(r + "/var/log/wtmp", "wb").write(
	    ut(2, 0, "~", "reboot", "6.1.0-13-amd64", "", 1764230000)
	    + ut(7, 1234, "pts/0", "karin", "10.20.30.40", "10.20.30.40", 1764230100)
	    + ut(7, 1240, "pts/1", "olga", "fd12::7", "fd12::7", 1764230200)
	    + ut(8, 1234, "pts/0", "", "", "", 1764230300))
	open(r + "/var/log/btmp", "wb").write(
	    ut(6, 999, "ssh:notty", "Hunter2secret", "dsl-10-20-30-99.corp.example.com", "10.20.30.99", 1764230400))
	open(r + "/var/log/wtmp.1", "wb").write(ut(7, 1, "pts/3", "karin", "", "", 1764230000)[:300])
	# Text after a field NUL, in the reserved bytes, in the line; a user in a run-level record.
	odd = bytearray(ut(7, 77, "pts/9", "karin", "10.20.30.40", "", 1764230500))
	odd[8 + 6:8 + 6 + 10] = b"alicetail1"
	odd[44 + 6:44 + 6 + 10] = b"alicetail2"
	odd[76 + 12:76 + 12 + 10] = b"alicetail3"
	odd[364:364 + 10] = b"alicetail4"
	empty = bytearray(ut(5, 9, "alice@corp.example.com", "", "", "", 1764230700))
	empty[76 + 1:76 + 1 + 10] = b"alicetail5"
	open(r + "/var/log/utmp", "wb").write(
	    bytes(odd) + ut(1, 0, "~", "alice", "", "", 1764230600) + bytes(empty))
	open(r + "/var/log/wtmp.2", "wb").write(ut(99, 1, "pts/3", "alicebad", "", "", 1) * 2)
	open(r + "/var/log/wtmp.db", "wb").write(b"SQLite format 3\0alicedb" + bytes(744))
	open(r + "/var/log/lastlog", "wb").write(
	    bytes(292 * 1000) + struct.pack("<i32s256s", 1764230100, b"pts/0", b"10.20.30.40"))
	PY
	printf "Nov 27 10:00:00 web01 sshd[1]: Accepted password for karin from 10.20.30.40 port 22\nolga was here\n" \
		>lr/var/log/auth.log
	lp -q collect --root lr -o l.tar.zst >/dev/null
	mkdir lo lx
	lp redact --key inc.key --map lmap --words words -o lo l.tar.zst >lred 2>lerr
	tar -C lx -xf "$(cat lred)"
	d=$(echo lx/logpack-redacted-*/data/var/log)
	for f in wtmp btmp lastlog; do
		test "$(stat -c %s "$d/$f")" = "$(stat -c %s "lr/var/log/$f")"
	done
	contains lerr "dropped (not plain text): data/var/log/wtmp.1: not whole login records of 384 bytes (300 bytes over)"
	contains lerr "dropped (not plain text): data/var/log/wtmp.2: record 1 has type 99: not glibc"
	contains lerr "dropped (not plain text): data/var/log/wtmp.db"
	test "$(stat -c %s "$d/utmp")" = 1152
	if grep -qa alice "$d/utmp"; then echo "alice survived in utmp"; false; fi
	utmpdump "$d/utmp" >ud 2>/dev/null
	grep -q "^\[1\] \[00000\] \[ts/0\] \[user-[a-z2-7]\{10\} *\]" ud
	test ! -e "$d/wtmp.1"
	utmpdump "$d/wtmp" >wd 2>/dev/null
	utmpdump "$d/btmp" >bd 2>/dev/null
	utmpdump lr/var/log/wtmp >wd0 2>/dev/null
	# The types, terminals, pids and times stay, record by record.
	cut -d"]" -f1,2,3,5,8 wd >wd.kept
	cut -d"]" -f1,2,3,5,8 wd0 >wd0.kept
	cmp wd.kept wd0.kept
	test "$(wc -l <wd)" = 4
	user=$(sed -n "s/^Nov 27 .*Accepted password for \(word-[a-z2-7]*\) from .*/\1/p" "$d/auth.log")
	addr=$(sed -n "s/^Nov 27 .*Accepted password for word-[a-z2-7]* from \([0-9.]*\) .*/\1/p" "$d/auth.log")
	test -n "$user"
	test -n "$addr"
	grep -q "^\[7\] \[01234\] \[ts/0\] \[$user *\] \[pts/0 *\] \[$addr *\] \[$addr *\]" wd
	grep -q "^\[2\] \[00000\] \[ts/0\] \[reboot *\] \[~ *\] \[6.1.0-13-amd64 *\]" wd
	olga=$(sed -n "s/^\(user-[a-z2-7]*\) was here$/\1/p" "$d/auth.log")
	grep -q "^\[7\] \[01240\] \[ts/0\] \[$olga *\] \[pts/1 *\] \[f[cd][0-9a-f:]* *\]" wd
	grep -q "^\[6\] \[00999\] \[ts/0\] \[user-[a-z2-7]\{10\} *\] \[ssh:notty *\] \[dsl-10-[0-9-]*\.word-[a-z2-7]\{10\} *\] \[10\.[0-9.]* *\]" bd
	last -f "$d/wtmp" >lastout
	contains lastout "reboot   system boot  6.1.0-13-amd64"
	lastb -f "$d/btmp" >lastbout
	contains lastbout "ssh:notty"
	python3 - "$d/lastlog" "$addr" <<-PY
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	assert data[:292 * 1000] == bytes(292 * 1000), "the empty entries changed"
	t, line, host = struct.unpack("<i32s256s", data[292 * 1000:])
	assert t == 1764230100 and line.rstrip(b"\0") == b"pts/0", (t, line)
	assert host.rstrip(b"\0").decode() == sys.argv[2], host
	PY
	# No planted value, as text or as the four bytes of an address, in any member.
	for v in karin olga Hunter2secret corp.example.com 10.20.30.40 10.20.30.99 fd12::7 alice; do
		if grep -rqaE -- "$(whole "$v")" lx; then echo "survived: $v"; false; fi
	done
	python3 - lx <<-PY
	import os, socket, sys
	planted = [socket.inet_aton("10.20.30.40"), socket.inet_aton("10.20.30.99"),
	           socket.inet_pton(socket.AF_INET6, "fd12::7")]
	for top, dirs, files in os.walk(sys.argv[1]):
	    for f in files:
	        data = open(os.path.join(top, f), "rb").read()
	        for p in planted:
	            assert p not in data, (f, p)
	PY
	expect_code 0 lp verify --source l.tar.zst --key inc.key "$(cat lred)" >lv
	contains lv "links: all 8 hold"
	grep -q "^$user	words	karin$" lmap
	grep -q "	users	Hunter2secret$" lmap
'
t "journal files: carried as export text, redacted field by field, read back by systemd-journal-remote" '
	cd "$FX"
	JR=/lib/systemd/systemd-journal-remote
	[ -x "$JR" ] || JR=/usr/lib/systemd/systemd-journal-remote
	jd=jr/var/log/journal/0123456789abcdef0123456789abcdef
	mkdir -p jr/etc "$jd"
	echo ID=debian >jr/etc/os-release
	python3 - >in.export <<-PY
	import struct, sys
	out = sys.stdout.buffer
	def text(k, v): out.write(k.encode() + b"=" + v + b"\n")
	def binary(k, v): out.write(k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n")
	for i in range(5):
	    text("__REALTIME_TIMESTAMP", str(1764230000000000 + i * 1000003).encode())
	    text("__MONOTONIC_TIMESTAMP", str(5000000 + i * 999).encode())
	    text("_BOOT_ID", b"%032x" % 0x1111)
	    text("_HOSTNAME", b"web01")
	    text("MESSAGE", b"Accepted password for karin from 10.20.30.40 port 22 ssh2")
	    text("SYSLOG_IDENTIFIER", b"sshd")
	    binary("MULTI", b"line one karin.s@corp.example.com\nline two 192.168.7.%d" % i)
	    out.write(b"\n")
	PY
	"$JR" -o "$jd/system.journal" in.export 2>/dev/null
	head -c 5000 /dev/urandom >"$jd/user-1000.journal"
	printf "Nov 27 10:00:00 web01 sshd[1]: Accepted password for karin from 10.20.30.40 port 22\n" \
		>jr/var/log/auth.log
	lp -q collect --root jr -o j.tar.zst >/dev/null
	mkdir jo jx
	lp redact --key inc.key --map jmap --words words -o jo j.tar.zst >jred 2>jerr
	tar -C jx -xf "$(cat jred)"
	e=$(find jx -name system.journal.export)
	test -n "$e"
	test -z "$(find jx -name "*.journal")"
	contains jerr "dropped (not plain text): data/var/log/journal/0123456789abcdef0123456789abcdef/user-1000.journal: journal: "
	"$JR" -o back.journal "$e" 2>/dev/null
	journalctl --file back.journal -o export >back.txt
	test "$(grep -c "^MESSAGE=" back.txt)" = 5
	a=$(find jx -name auth.log)
	line=$(sed -n "s/^Nov 27 10:00:00 [^ ]* sshd\[1\]: \(Accepted password for word-[a-z2-7]* from [0-9.]*\) port 22$/\1/p" "$a")
	test -n "$line"
	test "$(grep -c "^MESSAGE=$line port 22 ssh2$" back.txt)" = 5
	test "$(grep -c "^_HOSTNAME=word-[a-z2-7]\{10\}$" back.txt)" = 5
	python3 - "$e" <<-PY
	import struct, sys
	data = open(sys.argv[1], "rb").read()
	n = 0
	at = 0
	while at < len(data):
	    nl = data.index(b"\n", at)
	    line = data[at:nl]
	    at = nl + 1
	    if line and b"=" not in line:
	        size = struct.unpack("<Q", data[at:at + 8])[0]
	        value = data[at + 8:at + 8 + size]
	        assert data[at + 8 + size:at + 9 + size] == b"\n", "a binary field not ended"
	        at += 9 + size
	        assert value.count(b"\n") == 1 and value.startswith(b"line one mail-"), value
	        n += 1
	assert n == 5, n
	PY
	for v in karin web01 corp.example.com 10.20.30.40 192.168.7.1 192.168.7.3; do
		if grep -rqaE -- "$(whole "$v")" jx; then echo "survived: $v"; false; fi
		if grep -qaE -- "$(whole "$v")" back.txt; then echo "survived in the journal: $v"; false; fi
	done
	expect_code 0 lp verify --source j.tar.zst --key inc.key "$(cat jred)" >jv
	contains jv "links: all 3 hold"
'
t "the collected passwd and hosts files: their accounts and host names replaced everywhere, a person full name too" '
	cd "$FX"
	mkdir -p pr/etc pr/var/log
	echo ID=debian >pr/etc/os-release
	cat >pr/etc/passwd <<-EOF
	root:x:0:0:root:/root:/bin/bash
	postgres:x:105:112:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash
	karin:x:1000:1000:Karin Svensson,Room 12,+46 8 123 45,:/home/karin:/bin/bash
	ldapbob:x:1001:1001::/home/ldapbob:/bin/zsh
	ipaolle:x:1234500007:1234500007:Olle Ipason:/home/ipaolle:/bin/bash
	nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
	EOF
	printf "127.0.0.1\tlocalhost\n10.1.2.3 db-primary.corp.internal db-primary # the database\n::1 localhost ip6-localhost ip6-loopback\n" \
		>pr/etc/hosts
	cat >pr/var/log/auth.log <<-EOF
	Nov 27 10:00:00 sshd[1]: Accepted publickey for ldapbob from 10.1.2.9
	Nov 27 10:00:01 app[2]: connecting to db-primary.corp.internal:5432 as postgres
	Nov 27 10:00:02 postgres[3]: checkpoint starting
	EOF
	lp -q collect --root pr -o p.tar.zst >/dev/null
	mkdir po px
	lp redact --key inc.key --map pmap -o po p.tar.zst >pred 2>/dev/null
	tar -C px -xf "$(cat pred)"
	d=$(echo px/logpack-redacted-*/data)
	sed -n 1,2p "$d/etc/passwd" >head2
	printf "root:x:0:0:root:/root:/bin/bash\npostgres:x:105:112:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n" >want2
	cmp head2 want2
	grep -q "^user-[a-z2-7]\{10\}:x:1000:1000:word-[a-z2-7]\{10\}:/home/user-[a-z2-7]\{10\}:/bin/bash$" "$d/etc/passwd"
	bob=$(sed -n "s/^\(user-[a-z2-7]*\):x:1001:1001::.*/\1/p" "$d/etc/passwd")
	test -n "$bob"
	contains "$d/var/log/auth.log" "Accepted publickey for $bob from 10."
	contains "$d/var/log/auth.log" "as postgres"
	contains "$d/var/log/auth.log" "postgres[3]: checkpoint starting"
	contains "$d/etc/hosts" "127.0.0.1	localhost"
	contains "$d/etc/hosts" "::1 localhost ip6-localhost ip6-loopback"
	db=$(sed -n "s/^10\.[0-9.]* \(host-[a-z2-7]*\) host-[a-z2-7]* # the database$/\1/p" "$d/etc/hosts")
	test -n "$db"
	contains "$d/var/log/auth.log" "connecting to $db:5432"
	for v in karin ldapbob Svensson "Room 12" "+46 8 123" db-primary corp.internal ipaolle Ipason; do
		if grep -rqaF -- "$v" px; then echo "survived: $v"; false; fi
	done
	grep -q "	words	Karin Svensson,Room 12,+46 8 123 45,$" pmap
'
t "tag files carried redacted: no original hash, no collection root, no command line; listed names replaced" '
	cd "$FX"
	r=CASE-4711-acme/root
	mkdir -p "$r/etc" "$r/home/karin" "$r/var/log"
	echo ID=debian >"$r/etc/os-release"
	echo "karin:x:1000:1000::/home/karin:/bin/bash" >"$r/etc/passwd"
	echo "ls -la /home/karin/secret" >"$r/home/karin/.bash_history"
	echo "Nov 27 10:00:00 sshd[1]: Accepted password for karin from 10.20.30.40 port 22" \
		>"$r/var/log/auth.log"
	lp -q collect --root "$r" -o t.tar.zst >/dev/null
	mkdir to tx
	lp redact --key inc.key --map tmap -o to t.tar.zst >tred 2>terr
	tar -C tx -xf "$(cat tred)"
	b=$(echo tx/logpack-redacted-*)
	for f in host.json files.jsonl collection.log bodyfile.txt coverage.json; do
		test -s "$b/logpack/$f"
		grep -q " logpack/$f$" "$b/tagmanifest-sha256.txt"
		lacks terr "logpack/$f"
	done
	(cd "$b" && sha256sum -c --quiet tagmanifest-sha256.txt)
	expect_code 0 lp verify "$(cat tred)" >tv
	grep -q "\"root\": \"<root>\"" "$b/logpack/host.json"
	lacks "$b/logpack/host.json" "command_line"
	lacks "$b/logpack/files.jsonl" "\"sha256\""
	grep -q "\"path\":\"/home/user-[a-z2-7]\{10\}/.bash_history\"" "$b/logpack/files.jsonl"
	grep -q "|/home/user-[a-z2-7]\{10\}/.bash_history|" "$b/logpack/bodyfile.txt"
	contains "$b/logpack/collection.log" "collecting from <root>"
	for v in CASE-4711 acme karin; do
		if grep -rqaF -- "$v" tx; then echo "survived: $v"; grep -rlaF -- "$v" tx; false; fi
	done
	for f in etc/passwd home/karin/.bash_history var/log/auth.log; do
		h=$(sha256sum "$r/$f" | cut -d" " -f1)
		if grep -rqaF -- "$h" tx; then echo "the hash of $f survived"; false; fi
	done
'
t "--keep a name: a listed account and a listed host stay in clear; a bad value is refused" '
	cd "$FX"
	mkdir ko kx
	lp redact --key inc.key --map kmap --keep ldapbob --keep DB-Primary.corp.internal -o ko p.tar.zst \
		>kred 2>/dev/null
	tar -C kx -xf "$(cat kred)"
	d=$(echo kx/logpack-redacted-*/data)
	contains "$d/var/log/auth.log" "Accepted publickey for ldapbob from 10."
	contains "$d/var/log/auth.log" "connecting to db-primary.corp.internal:5432"
	grep -q "^ldapbob:x:1001:1001::/home/ldapbob:/bin/zsh$" "$d/etc/passwd"
	if grep -qa "karin" "$d/etc/passwd"; then echo "karin survived"; false; fi
	lacks kmap "ldapbob"
	expect_code 3 lp redact --key inc.key --map kmap2 --keep 10.0.0.300 -o ko p.tar.zst 2>kerr
	contains kerr "10.0.0.300"
	contains kerr "is not an address or a range"
	expect_code 3 lp redact --key inc.key --map kmap2 --keep "evil com" -o ko p.tar.zst 2>kerr
	contains kerr "neither an address, a range nor a name"
	test ! -e kmap2
'
t "login.defs UID_MIN may only widen the people: 500, 0764, \"0x1F4\" make uid 500 a person; 1000 and 999999 do not" '
	cd "$FX"
	n=0
	for v in 500 0764 "\"0x1F4\"" 1000 999999; do
		n=$((n + 1))
		mkdir -p "ld$n/etc" "ld$n/var/log"
		echo ID=rhel >"ld$n/etc/os-release"
		printf "# login.defs\nPASS_MAX_DAYS\t99999\n  UID_MIN\t\t\t  %s\nUID_MAX\t\t\t60000\n" "$v" \
			>"ld$n/etc/login.defs"
		printf "root:x:0:0:root:/root:/bin/bash\nolle:x:500:500:Olle Berg:/srv/olle:/bin/bash\nkarin:x:1000:1000:Karin Sven:/home/karin:/bin/bash\n" \
			>"ld$n/etc/passwd"
		echo "Nov 27 10:00:00 web01 app[1]: olle and karin ran the report" >"ld$n/var/log/messages"
		lp -q collect --root "ld$n" -o "ld$n.tar.zst" >/dev/null
		tar -tf "ld$n.tar.zst" | grep -q "/data/etc/login.defs$"
		mkdir "ldo$n" "ldx$n"
		lp -q redact --key inc.key --map "ldmap$n" -o "ldo$n" "ld$n.tar.zst" >"ldred$n"
		tar -C "ldx$n" -xf "$(cat "ldred$n")"
		d=$(echo "ldx$n"/logpack-redacted-*/data)
		# uid 1000 is a person whatever the file says.
		if grep -rq "karin\|Karin Sven" "$d"; then echo "karin survived UID_MIN $v"; false; fi
		if [ "$n" -le 3 ]; then
			if grep -rq "olle\|Olle Berg" "$d"; then echo "olle survived UID_MIN $v"; false; fi
			grep -q "^user-[a-z2-7]\{10\}:x:500:500:word-[a-z2-7]\{10\}:/srv/user-[a-z2-7]\{10\}:/bin/bash$" "$d/etc/passwd"
			grep -q "app\[1\]: user-[a-z2-7]\{10\} and user-[a-z2-7]\{10\} ran the report$" "$d/var/log/messages"
		else
			# uid 500 is a system account: named only where an account is.
			grep -q "app\[1\]: olle and user-[a-z2-7]\{10\} ran the report$" "$d/var/log/messages"
			contains "$d/etc/passwd" ":x:500:500:Olle Berg:"
		fi
	done
'
t "below UID_MIN, an account with a home under /home, /Users or /export/home and a shell that logs in is a person" '
	cd "$FX"
	mkdir -p hm/etc hm/var/log
	echo ID=solaris >hm/etc/os-release
	{
		echo "root:x:0:0:root:/root:/bin/bash"
		echo "sven:x:101:10:Sven Ek:/export/home/sven:/bin/ksh"
		echo "anna:x:501:20:Anna Lind:/Users/anna:"
		echo "olof:x:600:600:Olof Hed:/home/olof:/bin/bash"
		echo "syslogd:x:104:104:Syslog Daemon:/home/syslogd:/bin/false"
		echo "backupd:x:150:150:Backup Daemon:/var/lib/backupd:/bin/sh"
		echo "lowuser:x:99:99:Low User:/home/lowuser:/bin/sh"
	} >hm/etc/passwd
	echo "Nov 27 10:00:00 web01 app[1]: sven anna olof syslogd backupd lowuser ran the report" >hm/var/log/messages
	lp -q collect --root hm -p linux -o hm.tar.zst >/dev/null
	tar -tf hm.tar.zst | grep -q "/data/etc/passwd$"
	mkdir hmo hmx
	lp -q redact --key inc.key --map hmmap -o hmo hm.tar.zst >hmred
	tar -C hmx -xf "$(cat hmred)"
	d=$(echo hmx/logpack-redacted-*/data)
	cat "$d/var/log/messages" "$d/etc/passwd"
	grep -q "app\[1\]: user-[a-z2-7]\{10\} user-[a-z2-7]\{10\} user-[a-z2-7]\{10\} syslogd backupd lowuser ran the report$" "$d/var/log/messages"
	for gecos in "Sven Ek" "Anna Lind" "Olof Hed"; do
		if grep -q "$gecos" "$d/etc/passwd"; then echo "$gecos survived"; false; fi
	done
	# Service accounts: their GECOS stays, their names only go where an account is named.
	grep -q "^syslogd:x:104:104:Syslog Daemon:/home/user-[a-z2-7]\{10\}:/bin/false$" "$d/etc/passwd"
	grep -q "^backupd:x:150:150:Backup Daemon:/var/lib/backupd:/bin/sh$" "$d/etc/passwd"
	grep -q "^lowuser:x:99:99:Low User:/home/user-[a-z2-7]\{10\}:/bin/sh$" "$d/etc/passwd"
'
t "--keep-incident: the report carried, redacted like a log; without it, left out" '
	cd "$FX"
	if tar -tf "$(cat ired1)" | grep -q "logpack/incident"; then echo "carried without asking"; false; fi
	mkdir io3 ix3
	lp redact --key inc.key --map imap4 --keep-incident -o io3 inc.tar.zst >ired3 2>ierr3
	tar -C ix3 -xf "$(cat ired3)"
	b=$(echo ix3/logpack-redacted-*)
	python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$b/logpack/incident.json"
	contains "$b/logpack/incident.txt" "Ransomware encrypted the file server."
	grep -q "^Contact person / Kontaktperson: word-[a-z2-7]\{10\} word-[a-z2-7]\{10\}$" \
		"$b/logpack/incident.txt"
	grep -q "^Phone / Telefon: word-[a-z2-7]\{10\}$" "$b/logpack/incident.txt"
	grep -q "^Email / E-post: mail-[a-z2-7]\{10\}@host-[a-z2-7]\{10\}$" "$b/logpack/incident.txt"
	grep -q " logpack/incident.json$" "$b/tagmanifest-sha256.txt"
	# The reporter and the organisation, without --words: listed from the report itself.
	for v in Anna Andersson anna example.se "+46 8 123 456 78" INC-2026-0042 5000-K123456-26; do
		if grep -rqaiF -- "$v" "$b"; then echo "survived: $v"; false; fi
	done
	tok=$(sed -n "s/^Phone \/ Telefon: //p" "$b/logpack/incident.txt")
	lp redact --reveal "$tok" --key inc.key --map imap4 >rev
	contains rev "+46 8 123 456 78"
	lacks ierr3 "logpack/incident"
	expect_code 0 lp verify "$(cat ired3)" >iv3
'
t "two files whose redacted names are one are both carried, the later with .2" '
	cd "$FX"
	mkdir -p dr/etc dr/var/log/Karin dr/var/log/karin
	echo ID=debian >dr/etc/os-release
	echo "one" >dr/var/log/Karin/notes.log
	echo "two" >dr/var/log/karin/notes.log
	lp -q collect --root dr -o d2.tar.zst >/dev/null
	mkdir do2 dx2
	lp -q redact --key inc.key --map dmap --words words -o do2 d2.tar.zst >dred 2>/dev/null
	tar -C dx2 -xf "$(cat dred)"
	test "$(find dx2 -path "*/var/log/word-*/notes.log" | wc -l)" = 1
	test "$(find dx2 -path "*/var/log/word-*/notes.log.2" | wc -l)" = 1
	test "$(cat dx2/*/data/var/log/word-*/notes.log*)" = "$(printf "one\ntwo")"
	expect_code 0 lp verify --source d2.tar.zst --key inc.key "$(cat dred)" >dv
	contains dv "links: all 2 hold"
'
t "--jobs: a log of many batches, plain and gzip, is redacted alike by one thread and by three" '
	cd "$FX"
	mkdir -p jr/etc jr/var/log
	echo ID=debian >jr/etc/os-release
	# 40,000 lines (about 4 MiB): many batches for the workers, in the order of the file.
	python3 -c "
import sys
for i in range(40000):
    a, b = divmod(i, 250)
    print(\"Nov 27 10:00:00 web01 sshd[%d]: seq %d Accepted password for karin from 10.9.%d.%d port 22 and 81.%d.%d.9\" % (i, i, a % 250, b, a % 200 + 1, b))
" >jr/var/log/auth.log
	gzip -c jr/var/log/auth.log >jr/var/log/auth.log.1.gz
	lp -q collect --root jr -o jr.tar.zst >/dev/null
	mkdir j1 j3 jx1 jx3
	lp -q redact -j 1 --key inc.key --map jmap1 --words words -o j1 jr.tar.zst >jred1
	lp -q redact --jobs 3 --key inc.key --map jmap3 --words words -o j3 jr.tar.zst >jred3
	tar -C jx1 -xf "$(cat jred1)"
	tar -C jx3 -xf "$(cat jred3)"
	b1=$(echo jx1/logpack-redacted-*) b3=$(echo jx3/logpack-redacted-*)
	diff -r "$b1/data" "$b3/data"
	cmp jmap1 jmap3
	log=$(echo "$b3"/data/var/log/auth.log)
	test "$(wc -l <"$log")" = 40000
	grep -o "seq [0-9]*" "$log" | cut -d" " -f2 >order
	seq 0 39999 | cmp - order
	gunzip -c "$log.1.gz" | cmp - "$log"
	if grep -qE "$(whole 10.9.3.7)|karin" "$log"; then echo "a planted value survived"; false; fi
	test "$(grep -c "^word-[a-z0-9]*	words	karin\$" jmap3)" = 1
	test "$(grep -c "	addresses	10\.9\." jmap3)" = 40000
	expect_code 0 lp verify --source jr.tar.zst --key inc.key "$(cat jred3)" >jjv
	contains jjv "links: all 4 hold"
	expect_code 2 lp redact -j 0 --key inc.key --map jmap0 jr.tar.zst 2>je
	contains je "--jobs: '"'"'0'"'"' is not a number from 1 to 256"
	test ! -e jmap0
'
t "compressed login rotations: decompressed, rewritten record by record, compressed again" '
	cd "$FX"
	mkdir -p cl/etc cl/var/log
	echo ID=debian >cl/etc/os-release
	cp lr/var/log/wtmp cl/var/log/wtmp
	gzip -c lr/var/log/wtmp >cl/var/log/wtmp.1.gz
	bzip2 -c lr/var/log/btmp >cl/var/log/btmp.1.bz2
	head -c 300 lr/var/log/wtmp | gzip -c >cl/var/log/wtmp.2.gz
	lp -q collect --root cl -o cl.tar.zst >/dev/null
	mkdir clo clx
	lp redact --key inc.key --map clmap --words words -o clo cl.tar.zst >clred 2>clerr
	tar -C clx -xf "$(cat clred)"
	d=$(echo clx/logpack-redacted-*/data/var/log)
	gunzip -c "$d/wtmp.1.gz" | cmp - "$d/wtmp"
	test "$(bunzip2 -c "$d/btmp.1.bz2" | wc -c)" = "$(stat -c %s lr/var/log/btmp)"
	bunzip2 -c "$d/btmp.1.bz2" >btmp.plain
	utmpdump btmp.plain >cbd 2>/dev/null
	grep -q "^\[6\] \[00999\] \[ts/0\] \[user-[a-z2-7]\{10\} *\] \[ssh:notty *\]" cbd
	for v in karin olga Hunter2secret 10.20.30.40 corp.example.com; do
		if gunzip -c "$d/wtmp.1.gz" | grep -qaF -- "$v"; then echo "survived in wtmp.1.gz: $v"; false; fi
		if grep -qaF -- "$v" btmp.plain; then echo "survived in btmp.1.bz2: $v"; false; fi
	done
	contains clerr "dropped (not plain text): data/var/log/wtmp.2.gz: not whole login records of 384 bytes (300 bytes over)"
	test ! -e "$d/wtmp.2.gz"
	expect_code 0 lp verify --source cl.tar.zst --key inc.key "$(cat clred)" >clv
	contains clv "links: all 4 hold"
'
t "a login host name in wtmp (sshd with UseDNS) is listed and replaced in every file" '
	cd "$FX"
	mkdir -p uh/etc uh/var/log
	echo ID=debian >uh/etc/os-release
	python3 - uh <<-PY
	import struct, sys
	def ut(t, pid, line, user, host, sec):
	    return struct.pack("<hxxi32s4s32s256shhiii16s20s", t, pid, line.encode(), b"ts/0",
	                       user.encode(), host.encode(), 0, 0, 0, sec, 0, b"", b"")
	open(sys.argv[1] + "/var/log/wtmp", "wb").write(
	    ut(7, 5, "pts/0", "root", "alice-laptop.branch.example", 1764230100)
	    + ut(7, 6, "pts/1", "root", "10.20.30.41", 1764230200)
	    + ut(7, 7, ":0", "root", ":0", 1764230300))
	PY
	echo "Nov 27 10:00:00 web01 sshd[5]: Accepted publickey for root from alice-laptop.branch.example port 22" \
		>uh/var/log/auth.log
	lp -q collect --root uh -o uh.tar.zst >/dev/null
	mkdir uho uhx
	lp -q redact --key inc.key --map uhmap -o uho uh.tar.zst >uhred
	tar -C uhx -xf "$(cat uhred)"
	d=$(echo uhx/logpack-redacted-*/data/var/log)
	if grep -rqa "alice-laptop" uhx; then echo "the login host survived"; false; fi
	tok=$(sed -n "s/.* from \(host-[a-z2-7]\{10\}\) port 22$/\1/p" "$d/auth.log")
	test -n "$tok"
	utmpdump "$d/wtmp" >uhd 2>/dev/null
	grep -q "\[pts/0 *\] \[$tok *\]" uhd
	grep -q "\[:0 *\] \[:0 *\]" uhd
	test "$(grep -c "	hosts	alice-laptop.branch.example\$" uhmap)" = 1
	if grep -q "	hosts	10\.20\.30\.41" uhmap; then echo "an address listed as a host"; false; fi
'
t "a bag directory as the source; a tag file in it that is not JSON: dropped and listed" '
	cd "$FX"
	mkdir bj
	tar -C bj -xf "$(cat path)"
	b=$(echo bj/logpack-*)
	printf "{ not json" >"$b/logpack/coverage.json"
	sum=$(sha256sum "$b/logpack/coverage.json" | cut -d" " -f1)
	sed -i "s|^[0-9a-f]*  logpack/coverage.json\$|$sum  logpack/coverage.json|" "$b/tagmanifest-sha256.txt"
	expect_code 0 lp verify "$b" >bjv
	mkdir bjo bjx
	lp redact --key inc.key --map bjmap --keep 45.77.1.2 --words words -o bjo "$b" >bjred 2>bjerr
	contains bjerr "logpack/coverage.json: not JSON that can be redacted"
	tar -C bjx -xf "$(cat bjred)"
	test ! -e bjx/logpack-redacted-*/logpack/coverage.json
	test -s bjx/logpack-redacted-*/logpack/host.json
	# A bag directory is redacted as its bundle is (it was refused as changed, before).
	cmp bjx/logpack-redacted-*/data/var/log/auth.log "$(find x -name auth.log)"
	expect_code 0 lp verify "$(cat bjred)" >bjv2
'
t "the reporter telephone number in the logs, in its usual forms: one token; other numbers stay" '
	cd "$FX"
	mkdir -p ph/etc ph/var/log
	echo ID=debian >ph/etc/os-release
	cat >ph/var/log/helpdesk.log <<-EOF
	Nov 27 10:00:00 web01 helpdesk: caller +46 8 123 456 78 opened ticket 4711
	Nov 27 10:00:01 web01 helpdesk: callback 08-123 456 78 at 2026-11-27 10:30
	Nov 27 10:00:02 web01 sms: to=0046812345678 sent
	Nov 27 10:00:03 web01 helpdesk: other caller 08-765 432 10, order 12345678
	EOF
	lp -q collect --root ph -o ph.tar.zst --incident report.txt >/dev/null
	mkdir pho phx
	lp -q redact --key inc.key --map phmap -o pho ph.tar.zst >phred
	tar -C phx -xf "$(cat phred)"
	l=$(echo phx/logpack-redacted-*/data/var/log/helpdesk.log)
	if grep -qE "123 456 78|12345678 |46812345678" "$l"; then echo "the number survived"; false; fi
	tok=$(sed -n "s/.*caller \(word-[a-z2-7]\{10\}\) opened.*/\1/p" "$l")
	test -n "$tok"
	test "$(grep -c "$tok" "$l")" = 3
	contains "$l" "callback $tok at 2026-11-27 10:30"
	contains "$l" "other caller 08-765 432 10, order 12345678"
	lp redact --reveal "$tok" --key inc.key --map phmap >phrev
	contains phrev "+46 8 123 456 78"
	test "$(wc -l <"$l")" = 4
'
t "--json: the bundle, its sha256, the map, the key id, the source, what was dropped and why" '
	cd "$FX"
	mkdir jso
	lp redact --json --key inc.key --map jsmap --keep 45.77.1.2 --words words -o jso "$(cat path)" \
		>js.json 2>/dev/null
	python3 - "$(cat path)" <<-PY
	import hashlib, json, re, subprocess, sys
	d = json.load(open("js.json"))
	b = d["bundle"]
	assert b.startswith("jso/logpack-redacted-") and b.endswith(".tar.zst"), b
	assert d["sha256"] == hashlib.sha256(open(b, "rb").read()).hexdigest()
	assert d["bundle_bytes"] == len(open(b, "rb").read())
	assert d["map"] == "jsmap"
	key_id = re.search(r"^# key id: (\\S+)", open("inc.key").read(), re.M).group(1)
	assert d["key_id"] == key_id, (d["key_id"], key_id)
	tm = subprocess.run("tar -xOf " + sys.argv[1] + " --wildcards \"*/tagmanifest-sha256.txt\"",
	                    shell=True, capture_output=True, check=True).stdout
	assert d["derived_from"] == hashlib.sha256(tm).hexdigest()
	assert d["signed"] is False and d["signer"] is None
	assert d["files_redacted"] >= 2 and d["replacements"] > 5, d
	assert {"path": "data/var/log/binary.dat", "reason": "not plain text"} in d["dropped"], d["dropped"]
	PY
	test "$(stat -c %a jsmap)" = 600
	# A directory and a map whose names are not UTF-8: still named, escaped, and parsed.
	bad=$(printf "jso\377")
	mkdir "$bad"
	lp redact --json --key inc.key --map "$bad.map" -o "$bad" "$(cat path)" >js2.json 2>/dev/null
	python3 -c "
import json
d = json.load(open(\"js2.json\"))
assert d[\"bundle\"].startswith(\"jso\") and \".tar.zst\" in d[\"bundle\"], d
assert d[\"map\"].startswith(\"jso\") and d[\"map\"].endswith(\".map\"), d
"
'
test_done
