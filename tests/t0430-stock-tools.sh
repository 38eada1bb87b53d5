#!/bin/sh
# A receiver without logpack: stock tar, sha256sum and openssl accept a signed bundle, and
# logpack verifies plain BagIt bags made by other tools (directories and tarballs).
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a signed bundle" 'cd "$FX" && 
	make_root root && make_key good "/O=Good Org/CN=Good Signer" &&
	make_key other "/CN=Other" && collect_signed b.tar.zst good
'
t "sha256sum -c checks the whole bundle against its .sha256" 'cd "$FX" && 
	sha256sum -c b.tar.zst.sha256
'
t "tar -xf, sha256sum -c on both manifests, openssl cms -verify: all accept" 'cd "$FX" && 
	mkdir x && tar -C x -xf b.tar.zst && cd x/logpack-* &&
	sha256sum -c manifest-sha256.txt >../../m.out && grep -q "data/var/log/syslog: OK" ../../m.out &&
	sha256sum -c tagmanifest-sha256.txt >../../t.out && grep -q "manifest-sha256.txt: OK" ../../t.out &&
	openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
		-content tagmanifest-sha256.txt -CAfile ../../good.crt -purpose any -out /dev/null 2>../../v.err &&
	grep -q "Verification successful" ../../v.err &&
	openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
		-content tagmanifest-sha256.txt -CAfile ../../good.crt -out /dev/null 2>/dev/null
'
t "stock openssl refuses the signature with the wrong CA and over a changed tagmanifest" 'cd "$FX" && 
	cd x/logpack-* &&
	refute openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
		-content tagmanifest-sha256.txt -CAfile ../../other.crt -purpose any -out /dev/null &&
	sort -r tagmanifest-sha256.txt >../../tm &&
	refute openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
		-content ../../tm -CAfile ../../good.crt -purpose any -out /dev/null
'
t "the extracted bag directory verifies as trusted too" 'cd "$FX" && 
	expect_code 0 lp verify --trust good.crt x/logpack-*/ >out && contains out ", trusted"
'
t "a tampered bag directory is INVALID" 'cd "$FX" && 
	cp -r x y && B=$(echo y/logpack-*) && echo tamper >>"$B/data/var/log/syslog" &&
	expect_code 4 lp verify --trust good.crt y/logpack-* >out &&
	contains out "'"'"'data/var/log/syslog'"'"' does not match its SHA-256 checksum"
'
t "a symbolic link inside a bag directory is INVALID" 'cd "$FX" && 
	cp -r x z && B=$(echo z/logpack-*) && ln -s /etc/passwd "$B/data/passwd" &&
	expect_code 4 lp verify z/logpack-* >out && contains out "'"'"'data/passwd'"'"' is a symbolic link"
'

# make_plain_bag DIR: a BagIt 1.0 bag made with mkdir, printf and sha256sum alone.
make_plain_bag() {
	mkdir -p "$1/data/sub"
	echo "first file" >"$1/data/a.txt"
	printf 'second\nfile\n' >"$1/data/sub/b.log"
	(
		cd "$1"
		printf "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" >bagit.txt
		find data -type f | sort | xargs sha256sum >manifest-sha256.txt
		bytes=$(cat data/a.txt data/sub/b.log | wc -c)
		printf "Source-Organization: Elsewhere\nPayload-Oxum: %s.2\n" "$bytes" >bag-info.txt
		sha256sum bagit.txt bag-info.txt manifest-sha256.txt >tagmanifest-sha256.txt
	)
}

t "a plain BagIt directory from other tools: valid, unsigned" 'cd "$FX" && 
	make_plain_bag plain &&
	expect_code 0 lp verify plain >out && contains out "plain: valid, unsigned"
'
t "the same as a tar.gz made by stock tar: valid, unsigned" 'cd "$FX" && 
	make_plain_bag plain && tar -czf plain.tar.gz plain &&
	expect_code 0 lp verify plain.tar.gz >out && contains out "valid, unsigned" &&
	tar -C plain -cf dotslash.tar . && expect_code 4 lp verify dotslash.tar >out2 &&
	contains out2 "more than one top directory"
'
t "a plain bag without a tag manifest, with sha512 and sha256 manifests" 'cd "$FX" && 
	make_plain_bag p512 && rm p512/tagmanifest-sha256.txt &&
	(cd p512 && find data -type f | sort | xargs sha512sum >manifest-sha512.txt) &&
	expect_code 0 lp verify p512 >out && contains out "valid, unsigned" &&
	echo x >>p512/data/a.txt && expect_code 4 lp verify p512 >out &&
	contains out "SHA-512 checksum in manifest-sha512.txt" && contains out "SHA-256 checksum in manifest-sha256.txt"
'
t "a plain bag signed with openssl cms -sign verifies as trusted" 'cd "$FX" && 
	make_plain_bag psig &&
	openssl cms -sign -binary -outform DER -in psig/tagmanifest-sha256.txt -signer good.crt \
		-inkey good.key -out psig/tagmanifest-sha256.txt.p7s &&
	expect_code 0 lp verify --trust good.crt psig >out && contains out "signed by /O=Good Org/CN=Good Signer, trusted" &&
	tar -cJf psig.tar.xz psig && expect_code 0 lp verify --trust good.crt psig.tar.xz
'
t "a plain bag with a payload file its manifest does not list" 'cd "$FX" && 
	make_plain_bag pextra && echo new >pextra/data/new.txt &&
	expect_code 4 lp verify pextra >out && contains out "'"'"'data/new.txt'"'"' is not listed in manifest-sha256.txt"
'
t "UTF-8 names in a pax tar verify and extract in the C locale" 'cd "$FX" &&
	make_plain_bag utf && name="K$(printf "\303\244")se.log" && echo "gruesse" >"utf/data/$name" &&
	rm utf/bag-info.txt &&
	(cd utf && find data -type f | sort | xargs sha256sum >manifest-sha256.txt &&
	 sha256sum bagit.txt manifest-sha256.txt >tagmanifest-sha256.txt) &&
	python3 -c "import tarfile; t = tarfile.open(\"utf.tar\", \"w\", format=tarfile.PAX_FORMAT); t.add(\"utf\"); t.close()" &&
	LC_ALL=C expect_code 0 lp verify utf.tar >out && contains out "utf.tar: valid, unsigned" &&
	LC_ALL=C expect_code 0 lp extract utf.tar utfx >/dev/null 2>&1 &&
	cmp "utfx/utf/data/$name" "utf/data/$name"
'
test_done
