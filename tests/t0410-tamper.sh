#!/bin/sh
# verify: every kind of tampering makes a bundle INVALID, with the specific reason.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

# tampered NAME: repack the bag in x/ as NAME.tar and verify it against good.crt; exit 4.
tampered() {
	pyrepack x "$1.tar" &&
	expect_code 4 lp verify --trust good.crt "$1.tar" >out &&
	contains out "$1.tar: INVALID: "
}

t "setup: a signed bundle that verifies" 'cd "$FX" && 
	make_root root &&
	make_key good "/O=Good Org/CN=Good Signer" &&
	make_key evil "/O=Evil Org/CN=Mallory" &&
	collect_signed b.tar.zst good &&
	expect_code 0 lp verify --trust good.crt b.tar.zst
'
t "control: unpacked and repacked unchanged, it still verifies as trusted" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && pyrepack x same.tar &&
	expect_code 0 lp verify --trust good.crt same.tar >out && contains out ", trusted"
'
t "one byte of one log changed" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) &&
	printf X | dd of="$T/data/var/log/syslog" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	tampered byte &&
	contains out "'"'"'data/var/log/syslog'"'"' does not match its SHA-256 checksum in manifest-sha256.txt (changed)"
'
t "a payload file added" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && echo "planted" >"$T/data/var/log/planted.log" &&
	tampered added &&
	contains out "'"'"'data/var/log/planted.log'"'"' is not listed in manifest-sha256.txt (a file was added)"
'
t "a payload file removed" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && rm "$T/data/var/log/auth.log" &&
	tampered removed &&
	contains out "'"'"'data/var/log/auth.log'"'"' is listed in manifest-sha256.txt but missing" &&
	contains out "Payload-Oxum"
'
t "a payload file renamed" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && mv "$T/data/var/log/auth.log" "$T/data/var/log/auth.log.1" &&
	tampered renamed &&
	contains out "'"'"'data/var/log/auth.log'"'"' is listed in manifest-sha256.txt but missing" &&
	contains out "'"'"'data/var/log/auth.log.1'"'"' is not listed in manifest-sha256.txt"
'
t "a log changed and manifest-sha256.txt fixed to match, tagmanifest not fixed" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && echo "forged line" >>"$T/data/var/log/auth.log" &&
	rehash_line manifest-sha256.txt data/var/log/auth.log "$T" &&
	tampered manifest &&
	lacks out "data/var/log/auth.log" &&
	contains out "'"'"'manifest-sha256.txt'"'"' does not match its SHA-256 checksum in tagmanifest-sha256.txt"
'
t "the same with tagmanifest fixed too: the signature no longer matches" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && echo "forged line" >>"$T/data/var/log/auth.log" &&
	rehash_line manifest-sha256.txt data/var/log/auth.log "$T" &&
	rehash_line tagmanifest-sha256.txt manifest-sha256.txt "$T" &&
	tampered manifest2 &&
	lacks out "manifest-sha256.txt'"'"' does not match" &&
	contains out "signature: the signature does not match the tag manifest"
'
t "tagmanifest edited (lines reordered): the signature no longer matches" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && awk '"'"'NR == 1 { first = $0; next } { print } END { print first }'"'"' "$T/tagmanifest-sha256.txt" >tm &&
	refute cmp -s tm "$T/tagmanifest-sha256.txt" && cat tm >"$T/tagmanifest-sha256.txt" &&
	tampered tagmanifest &&
	contains out "signature: the signature does not match the tag manifest"
'
t "signature replaced by another key claiming the same signer (same subject and serial)" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) &&
	serial=$(openssl x509 -in good.crt -noout -serial | cut -d= -f2) &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout forger.key \
		-out forger.crt -subj "/O=Good Org/CN=Good Signer" -set_serial "0x$serial" -days 30 2>/dev/null &&
	openssl cms -sign -binary -outform DER -in "$T/tagmanifest-sha256.txt" -signer forger.crt \
		-inkey forger.key -nocerts -certfile good.crt -out "$T/tagmanifest-sha256.txt.p7s" &&
	tampered forged &&
	contains out "signature: the signature does not match the tag manifest" &&
	contains out "it claims to be by /O=Good Org/CN=Good Signer"
'
t "signature replaced by another signer outright: reported as that signer, NOT trusted" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) &&
	openssl cms -sign -binary -outform DER -in "$T/tagmanifest-sha256.txt" -signer evil.crt \
		-inkey evil.key -out "$T/tagmanifest-sha256.txt.p7s" &&
	pyrepack x resigned.tar &&
	expect_code 5 lp verify --trust good.crt resigned.tar >out &&
	contains out "valid, signed by /O=Evil Org/CN=Mallory, NOT trusted" && lacks out "Good Signer"
'
t "signature taken from another bundle of the same signer" 'cd "$FX" && 
	sleep 1 && collect_signed b2.tar.zst good && T2=$(unpack b2.tar.zst y) &&
	T=$(unpack b.tar.zst x) && cp "$T2/tagmanifest-sha256.txt.p7s" "$T/" &&
	tampered transplanted &&
	contains out "signature: the signature does not match the tag manifest"
'
t "signature that is not CMS at all" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && echo "trust me" >"$T/tagmanifest-sha256.txt.p7s" &&
	tampered notcms && contains out "signature: the signature file is not a DER CMS structure"
'
t "signature removed: no longer signed, so no longer trusted (exit 6)" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && rm "$T/tagmanifest-sha256.txt.p7s" && pyrepack x stripped.tar &&
	expect_code 6 lp verify --trust good.crt stripped.tar >out && contains out "valid, unsigned"
'
t "bag-info.txt edited (Payload-Oxum)" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && sed -i "s/^Payload-Oxum: .*/Payload-Oxum: 1.1/" "$T/bag-info.txt" &&
	tampered baginfo &&
	contains out "'"'"'bag-info.txt'"'"' does not match its SHA-256 checksum in tagmanifest-sha256.txt" &&
	contains out "Payload-Oxum in bag-info.txt says 1 bytes in 1 files"
'
t "a tag file added that no tag manifest lists: named as not covered by the signature" 'cd "$FX"
	T=$(unpack b.tar.zst x)
	echo "{}" >"$T/logpack/extra.json"
	pyrepack x tagadded.tar
	expect_code 0 lp verify --trust good.crt tagadded.tar >out
	contains out "warning: '"'"'logpack/extra.json'"'"' is not covered by the signature"
'
t "bag-info.txt left out of the signed tag manifest: INVALID" 'cd "$FX"
	T=$(unpack b.tar.zst x)
	grep -v " bag-info.txt\$" "$T/tagmanifest-sha256.txt" >tm
	cat tm >"$T/tagmanifest-sha256.txt"
	tampered infounlisted
	contains out "bag-info.txt"
'
t "bagit.txt removed" 'cd "$FX" && 
	T=$(unpack b.tar.zst x) && rm "$T/bagit.txt" &&
	tampered nobagit && contains out "bagit.txt is missing"
'
t "the compressed bundle truncated at several points (with and without its .sha256)" 'cd "$FX" && 
	size=$(stat -c %s b.tar.zst) &&
	for cut in 100 $((size / 10)) $((size / 2)) $((size * 9 / 10)) $((size - 64)) $((size - 1)); do
		head -c "$cut" b.tar.zst >cut.tar.zst &&
		expect_code 4 lp verify --trust good.crt cut.tar.zst >out &&
		contains out "INVALID: " && contains out "runcated" || exit 1
		cp b.tar.zst.sha256 cut.tar.zst.sha256 &&
		expect_code 4 lp verify --trust good.crt cut.tar.zst >out || exit 1
		rm cut.tar.zst.sha256
	done
'
t "an uncompressed bundle truncated in data, in the tag files, and in the trailing padding" 'cd "$FX" && 
	collect_signed plain.tar good -c none && size=$(stat -c %s plain.tar) &&
	for cut in $((size / 3)) $((size - 2600)); do
		head -c "$cut" plain.tar >cut.tar &&
		expect_code 4 lp verify --trust good.crt cut.tar >out &&
		contains out "the archive is truncated or corrupt" || exit 1
	done &&
	head -c $((size - 100)) plain.tar >cut.tar && cp plain.tar.sha256 cut.tar.sha256 &&
	expect_code 4 lp verify --trust good.crt cut.tar >out &&
	contains out "does not match cut.tar.sha256 beside it"
'
t "a bundle corrupted in the middle of the compressed stream" 'cd "$FX" && 
	cp b.tar.zst mid.tar.zst && size=$(stat -c %s mid.tar.zst) &&
	printf "\377\377\377\377" | dd of=mid.tar.zst bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null &&
	expect_code 4 lp verify --trust good.crt mid.tar.zst >out && contains out "INVALID: "
'
test_done
