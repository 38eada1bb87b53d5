#!/bin/sh
# Hostile inputs found in review: source trees that try to lead collect astray, and bundles
# that try to pass verify.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

# files_of BUNDLE: the bundle's logpack/files.jsonl on stdout.
files_of() {
	tar -xOf "$1" --wildcards '*/logpack/files.jsonl'
}

t "a home directory with .. in the root's passwd does not lead the walk out of the root" '
	mkdir -p outside/escaped
	echo "not yours" >outside/escaped/.bash_history
	make_debian_tree host
	echo "evil:x:1001:1001::/../outside/escaped:/bin/sh" >>host/etc/passwd
	mkdir out
	lp -q collect --root host -o out/b.tar >/dev/null
	files_of out/b.tar >files
	lacks files "escaped"
	tar -tf out/b.tar >list && lacks list "escaped"
'

t "hostile file names reach collection.log and the terminal escaped" '
	make_debian_tree host
	esc=$(printf "\033")
	ln -s "$(printf "target\033]0;pwned\007")" "host/var/log/syslog.9$esc[2J"
	printf "x\n" >"host/var/log/syslog.8$(printf "\nfake line")"
	: >"host/var/log/syslog.7$esc]0;t$(printf "\007")"
	chmod 000 "host/var/log/syslog.7$esc]0;t$(printf "\007")"
	mkdir out
	expect_code 1 lp_nodac collect --root host -o out/b.tar --max-file-size 1 >/dev/null 2>err
	tar -xOf out/b.tar --wildcards "*/logpack/collection.log" >log
	refute grep -q "$esc" log
	refute grep -q "$esc" err
	refute grep -q "^fake line" log
	contains log "\\x1b[2J"
	contains log "\\x0afake line"
	iconv -f UTF-8 -t UTF-8 log >/dev/null
'

t "host facts and user names from a hostile root are escaped, and still recorded" '
	make_debian_tree host
	esc=$(printf "\033")
	printf "\377${esc}[31mevil\n" >host/etc/hostname
	printf "PRETTY_NAME=\"Deb${esc}[2J\"\nID=debian\n" >host/etc/os-release
	printf "root:x:0:0::/root:/bin/sh\nbob\377${esc}[1m:x:1000:1000::/home/bob:/bin/sh\n" \
		>host/etc/passwd
	chown 1000 host/var/log/auth.log
	mkdir out
	lp collect --root host -o out/b.tar >/dev/null 2>err
	refute grep -q "$esc" err
	tar -xOf out/b.tar --wildcards "*/logpack/host.json" >host.json
	tar -xOf out/b.tar --wildcards "*/bag-info.txt" >info
	files_of out/b.tar >files
	contains host.json "\"hostname\": \"\\\\xff\\\\x1b[31mevil\""
	contains info "LogPack-Host: \\xff\\x1b[31mevil"
	contains info "LogPack-OS: Deb\\x1b[2J"
	iconv -f UTF-8 -t UTF-8 info >/dev/null
	refute grep -q "$esc" info
	grep auth.log files | grep -qF "\"owner\":\"bob\\\\xff\\\\x1b[1m\""
'

t "a FIFO in place of etc/hostname is not opened (its writer stays blocked)" '
	make_debian_tree host
	rm host/etc/hostname
	mkfifo host/etc/hostname
	( echo evil >host/etc/hostname && echo opened >flag ) &
	writer=$!
	mkdir out
	lp -q collect --root host -o out/b.tar >/dev/null
	sleep 0.3
	opened=no
	if test -e flag; then opened=yes; fi
	kill $writer 2>/dev/null || :
	exec 3<>host/etc/hostname; exec 3<&-
	wait $writer 2>/dev/null || :
	test "$opened" = no
'

t "a passwd with 100000 home directories does not stall collect" '
	make_debian_tree host
	awk "BEGIN { for (i = 0; i < 100000; i++) printf \"u%d:x:%d:100::/home/u%d:/bin/sh\\n\", i, 2000 + i, i }" \
		>>host/etc/passwd
	test "$(wc -l <host/etc/passwd)" -gt 100000
	timeout 60 "$LOGPACK" collect --root host --dry-run >plan
	contains plan "auth.log"
'

t "setup: a signed bundle, unpacked" 'cd "$FX" &&
	make_root root && make_key good "/O=Good Org/CN=Good Signer" &&
	collect_signed b.tar.zst good && T=$(unpack b.tar.zst x) &&
	pyrepack x control.tar && expect_code 0 lp verify --trust good.crt control.tar
'

t "a tag file named like a tag manifest does not escape the signature: it is named as not covered" 'cd "$FX" &&
	pyrepack x extra.tar "file:TOP/tagmanifest-notes.txt:send the key to evil@example.com" &&
	expect_code 0 lp verify --trust good.crt extra.tar >out &&
	contains out "'"'"'tagmanifest-notes.txt'"'"' is not covered by the signature"
'

t "a payload file that is also a directory of another payload file is INVALID" 'cd "$FX" &&
	rm -rf y && cp -a x y && B=$(echo y/logpack-*) &&
	rm -f "$B/tagmanifest-sha256.txt.p7s" &&
	printf "inner\n" >inner &&
	echo "$(sha256_of inner)  data/var/log/syslog/inner" >>"$B/manifest-sha256.txt" &&
	sed -i "/^Payload-Oxum/d" "$B/bag-info.txt" &&
	rehash_line tagmanifest-sha256.txt manifest-sha256.txt "$B" &&
	rehash_line tagmanifest-sha256.txt bag-info.txt "$B" &&
	pyrepack y clash.tar "file:TOP/data/var/log/syslog/inner:inner
" &&
	expect_code 4 lp verify clash.tar >out &&
	contains out "data/var/log/syslog" &&
	contains out "is a file, and also the directory of another member"
'

t "a member that is skipped (bad name) still counts against --max-size and --max-ratio" 'cd "$FX" &&
	python3 -c "
import tarfile
with tarfile.open(\"skip.tar\", \"w\", format=tarfile.PAX_FORMAT) as tf:
    ti = tarfile.TarInfo(\"../bomb\")
    ti.size = 100 * 1024 * 1024
    with open(\"/dev/zero\", \"rb\") as zero:
        tf.addfile(ti, zero)
" &&
	zstd -q -f skip.tar -o skip.tar.zst &&
	expect_code 4 lp verify --ratio-after 64M skip.tar.zst >out &&
	contains out "compression ratio above 1000: stopped" &&
	expect_code 4 lp verify --max-size 1M skip.tar >out &&
	contains out "of content: stopped" &&
	rm -f skip.tar skip.tar.zst
'

t "a FIFO in place of <bundle>.sha256 does not hang verify" 'cd "$FX" &&
	mkdir -p fifo && cp b.tar.zst fifo/ && mkfifo fifo/b.tar.zst.sha256 &&
	expect_code 4 timeout 20 "$LOGPACK" verify fifo/b.tar.zst >out &&
	contains out "the .sha256 file beside the bundle is malformed"
'

t "a bag-info.txt of 340000 continuation lines does not stall verify" '
	mkdir -p bag/data
	echo hi >bag/data/f
	(cd bag && sha256sum data/f >manifest-sha256.txt)
	printf "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" >bag/bagit.txt
	python3 -c "import sys; sys.stdout.write(\"Note: v\\n\" + \" x\\n\" * 340000)" >bag/bag-info.txt
	test "$(wc -l <bag/bag-info.txt)" -gt 340000
	expect_code 0 timeout 60 "$LOGPACK" verify bag >out
	contains out "valid, unsigned"
'

t "extract prints a hostile bag directory name escaped" 'cd "$FX" &&
	rm -rf z && mkdir z && cp -a x/logpack-* "z/logpack-$(printf "\033")[2J" &&
	pyrepack z esc.tar && expect_code 0 lp verify --trust good.crt esc.tar >/dev/null &&
	rm -rf ex && expect_code 0 lp extract --trust good.crt esc.tar ex >out 2>err &&
	refute grep -q "$(printf "\033")" out && contains out "logpack-\x1b[2J"
'

t "verify of a bag directory prints a hostile name escaped when it is nested too deeply" '
	mkdir -p bag/data
	echo hi >bag/data/f
	(cd bag && sha256sum data/f >manifest-sha256.txt)
	d=bag/data
	for i in $(seq 1 70); do d="$d/$(printf "\033")x"; done
	mkdir -p "$d"
	expect_code 4 lp verify bag >out
	contains out "nested too deeply"
	refute grep -q "$(printf "\033")" out
'

t "show --files keeps at most a million records in memory" '
	mkdir -p bag/data bag/logpack
	echo hi >bag/data/f
	(cd bag && sha256sum data/f >manifest-sha256.txt)
	printf "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" >bag/bagit.txt
	python3 -c "import sys; sys.stdout.write(\"{}\\n\" * 1000005)" >bag/logpack/files.jsonl
	lp show --files bag >out
	contains out "... and 5 more records, not listed"
	test "$(grep -c "(none)" out)" -ge 1000000
'

t "a bag-info.txt whose last line ends in CR without LF does not hang verify" '
	mkdir -p bag/data
	echo hi >bag/data/f
	(cd bag && sha256sum data/f >manifest-sha256.txt)
	printf "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\r" >bag/bagit.txt
	printf "Payload-Oxum: 3.1\nNote: v\r" >bag/bag-info.txt
	expect_code 0 timeout 20 "$LOGPACK" verify bag >out
	contains out "valid, unsigned"
'

t "verify --json names a bag directory that is not UTF-8 (escaped)" 'cd "$FX" &&
	rm -rf z8 && mkdir z8 && cp -a x/logpack-* "z8/logpack-$(printf "\377")" &&
	pyrepack z8 nonutf8.tar &&
	expect_code 0 lp verify --json --trust good.crt nonutf8.tar >out &&
	contains out "\"bag\": \"logpack-\\\\xff\""
'

test_done
