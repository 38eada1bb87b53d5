#!/bin/sh
# logpack decrypt of OpenPGP files: what stock gpg --encrypt writes with its default settings
# (compressed with ZLIB), and other forms, opened with a secret key that gpg exported (plain or
# protected by a passphrase); the MDC is checked at the very end, before the output takes its
# name; tampering, truncation and a wrong key leave nothing behind.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"
GNUPGHOME=$FX/gnupg
export GNUPGHOME
unset LOGPACK_KEY_PASSPHRASE

# only FILE...: fail unless the current directory holds exactly these names (no temporaries).
only() {
	want=$(printf "%s\n" "$@" | LC_ALL=C sort)
	got=$(ls -A | LC_ALL=C sort)
	if [ "$got" != "$want" ]; then
		echo "directory holds: $got" >&2
		return 1
	fi
}

# enc UID OUT [GPG OPTIONS...] < IN: stock gpg --encrypt to UID.
enc() {
	uid=$1
	out=$2
	shift 2
	gpg --batch -q --trust-model always -r "$uid" "$@" -o "$out" --encrypt
}

t "setup: an RSA key (gpg's default), a Curve25519 key, a passphrase key; their secret exports" '
	mkdir -p -m 700 "$GNUPGHOME"
	cd "$FX"
	gpg --batch -q --passphrase "" --quick-gen-key "Rsa <rsa@example.org>" default default never 2>/dev/null
	gpg --batch -q --passphrase "" --quick-gen-key "Cv <cv@example.org>" future-default default never 2>/dev/null
	gpg --batch -q --passphrase "s3cret pass" --quick-gen-key "Pw <pw@example.org>" rsa2048 sign,encr never 2>/dev/null
	umask 077
	gpg --batch --export-secret-keys "Rsa <rsa@example.org>" >rsa.key
	gpg --batch --export-secret-keys --armor "Cv <cv@example.org>" >cv.key
	gpg --batch --pinentry-mode loopback --passphrase "s3cret pass" \
		--export-secret-keys "Pw <pw@example.org>" >pw.key
	gpg --batch --export "Rsa <rsa@example.org>" >rsa.pub
	gpg --list-keys --with-colons "Rsa <rsa@example.org>" | awk -F: "/^fpr/ { print \$10; exit }" >rsa.fpr
	printf "%s\n" "s3cret pass" >pw.pass
	make_debian_tree root
	head -c 300000 /dev/urandom >root/var/log/syslog.3
	lp -q collect --root root -o "$FX/plain.tar.zst" >/dev/null
	seq 1 300000 >text
	gpg --list-packets pw.key 2>/dev/null >packets || :
	contains packets "iter+salt S2K"
'
t "gpg --encrypt with default settings (ZLIB-compressed) to the RSA key: decrypted, byte for byte" '
	cd "$FX"
	enc "Rsa <rsa@example.org>" text.gpg <text
	gpg --batch --list-packets text.gpg >packets 2>&1 || :
	contains packets "compressed packet: algo=2"
	mkdir out
	lp decrypt --key rsa.key -o out text.gpg >path 2>err
	test "$(cat path)" = out/text.tar
	cmp text out/text.tar
	test "$(stat -c %a out/text.tar)" = 600
	contains err "opened with the key $(cat rsa.fpr)"
	contains err "sha256 $(sha256sum <text | cut -c1-64)"
'
t "a bundle from gpg --encrypt: decrypted beside it without .gpg, and it verifies" '
	cd "$FX"
	mkdir b
	enc "Rsa <rsa@example.org>" b/bundle.tar.zst.gpg <plain.tar.zst
	lp -q decrypt -k rsa.key b/bundle.tar.zst.gpg >b.path
	test "$(cat b.path)" = b/bundle.tar.zst
	cmp plain.tar.zst b/bundle.tar.zst
	expect_code 0 lp verify b/bundle.tar.zst >b.out
	contains b.out "valid"
'
t "Curve25519 (an armored secret key), ZIP, no compression, signed and encrypted, two recipients" '
	cd "$FX"
	mkdir forms
	cd forms
	enc "Cv <cv@example.org>" cv.gpg <../text
	lp -q decrypt -k ../cv.key -o cv cv.gpg >/dev/null
	cmp ../text cv
	enc "Rsa <rsa@example.org>" zip.gpg --compress-algo zip <../text
	gpg --batch --list-packets zip.gpg 2>&1 | grep -q "compressed packet: algo=1"
	lp -q decrypt -k ../rsa.key -o zip zip.gpg >/dev/null
	cmp ../text zip
	enc "Rsa <rsa@example.org>" none.gpg -z 0 <../plain.tar.zst
	lp -q decrypt -k ../rsa.key -o none none.gpg >/dev/null
	cmp ../plain.tar.zst none
	gpg --batch -q --trust-model always -r "Rsa <rsa@example.org>" -u "Cv <cv@example.org>" \
		-o signed.gpg --sign --encrypt <../text
	lp -q decrypt -k ../rsa.key -o signed signed.gpg >/dev/null
	cmp ../text signed
	enc "Rsa <rsa@example.org>" two.gpg -r "Cv <cv@example.org>" <../plain.tar.zst
	lp -q decrypt -k ../cv.key -o two-cv two.gpg >/dev/null
	lp -q decrypt -k ../rsa.key -o two-rsa two.gpg >/dev/null
	cmp ../plain.tar.zst two-cv
	cmp ../plain.tar.zst two-rsa
'
t "sizes around the partial-length and MDC boundaries, from standard input" '
	cd "$FX"
	mkdir sizes
	cd sizes
	for n in 0 1 21 22 23 8191 8192 65536 65559 200001; do
		head -c $n /dev/urandom >p$n
		enc "Cv <cv@example.org>" p$n.gpg -z 0 <p$n
		lp -q decrypt -k ../cv.key -o d$n - <p$n.gpg >/dev/null
		cmp p$n d$n
	done
'
t "a key protected by a passphrase: from --passphrase-file or the environment; wrong or none: exit 3" '
	cd "$FX"
	mkdir pw
	enc "Pw <pw@example.org>" pw/x.gpg <text
	lp -q decrypt -k pw.key --passphrase-file pw.pass -o pw/a pw/x.gpg >/dev/null
	cmp text pw/a
	LOGPACK_KEY_PASSPHRASE="s3cret pass" lp -q decrypt -k pw.key -o pw/b pw/x.gpg >/dev/null
	cmp text pw/b
	printf "wrong\n" >pw/wrong
	chmod 600 pw/wrong
	expect_code 3 lp decrypt -k pw.key --passphrase-file pw/wrong -o pw/c pw/x.gpg 2>err
	contains err "the passphrase is wrong"
	expect_code 3 lp decrypt -k pw.key -o pw/c pw/x.gpg 2>err </dev/null
	contains err "no passphrase"
	cd pw
	only x.gpg a b wrong
'
t "what logpack collect --encrypt-to writes, logpack decrypt reads, equal to gpg -d" '
	cd "$FX"
	mkdir own
	lp -q collect --root root -o own --encrypt-to rsa.pub >own.path
	gpg --batch -q -d "$(cat own.path)" >own/by-gpg 2>/dev/null
	lp -q decrypt -k rsa.key "$(cat own.path)" >own.out
	cmp own/by-gpg "$(cat own.out)"
	expect_code 0 lp verify "$(cat own.out)" >/dev/null
'
t "gpg -d X.gpg | logpack verify -: a decrypted stream read from standard input" '
	cd "$FX"
	gpg --batch -q -d "$(cat own.path)" 2>/dev/null | lp verify - >v
	test "$(cat v)" = "-: valid, unsigned"
	gpg --batch -q -d "$(cat own.path)" 2>/dev/null | head -c 5000 | lp verify - >v2 || :
	lacks v2 "valid, unsigned"
'
# pkesk_size FILE: the size of the session key packet that starts FILE. gpg writes an RSA one
# with an old-format header of 3 bytes (tag byte 0x85: a two-byte length follows). Its size
# is not fixed: the RSA value is written without leading zero bytes, so about 1 file in 256
# has a packet a byte shorter.
pkesk_size() {
	set -- $(head -c 3 "$1" | od -An -tu1)
	[ "$1" = 133 ] || { echo "not an old-format session key packet: tag byte $1" >&2; return 1; }
	echo $((3 + $2 * 256 + $3))
}
for where in start middle end; do
t "a byte flipped at the $where: refused with the reason, exit 4, nothing left behind" '
	mkdir w
	cd w
	enc "Rsa <rsa@example.org>" x.gpg <"$FX/plain.tar.zst"
	size=$(wc -c <x.gpg)
	case '"$where"' in
	start) pos=20 ;;
	middle) pos=$((size / 2)) ;;
	end) pos=$((size - 1)) ;;
	esac
	flip_byte x.gpg $pos
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o x.tar.zst x.gpg 2>err
	case '"$where"' in
	start) contains err "no key of the key file opens any of its 1 session key packet" ;;
	middle) contains err "the file was altered" ;;
	end) contains err "the modification detection code does not match: the file was altered" ;;
	esac
	contains err "nothing written"
	only x.gpg err
'
done
t "truncation: the last 100 bytes cut, the encrypted packet missing: exit 4, nothing left" '
	enc "Rsa <rsa@example.org>" x.gpg -z 0 <"$FX/plain.tar.zst"
	size=$(wc -c <x.gpg)
	head -c $((size - 100)) x.gpg >cut.gpg
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out cut.gpg 2>err
	contains err "the file is truncated: it ends inside the encrypted data packet"
	head -c "$(pkesk_size x.gpg)" x.gpg >cut.gpg
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out cut.gpg 2>err
	contains err "the file is truncated: it ends before the encrypted data"
	only x.gpg cut.gpg err
'
t "the session key packet swapped for another file's (same key): refused, nothing left" '
	enc "Rsa <rsa@example.org>" a.gpg <"$FX/text"
	enc "Rsa <rsa@example.org>" b.gpg <"$FX/text"
	{ head -c "$(pkesk_size b.gpg)" b.gpg; tail -c +$(($(pkesk_size a.gpg) + 1)) a.gpg; } >swapped.gpg
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out swapped.gpg 2>err
	contains err "the file was altered"
	only a.gpg b.gpg swapped.gpg err
'
t "a wrong key, a public key, an open key file, BZip2, symmetric, armored: refused, nothing written" '
	enc "Rsa <rsa@example.org>" x.gpg <"$FX/text"
	expect_code 4 lp decrypt -k "$FX/cv.key" -o out x.gpg 2>err
	contains err "the file is not encrypted to this key"
	cp "$FX/rsa.pub" pub
	chmod 600 pub
	expect_code 3 lp decrypt -k pub -o out x.gpg 2>err
	contains err "a public key, not a secret key"
	cp "$FX/rsa.key" open
	chmod 644 open
	expect_code 3 lp decrypt -k open -o out x.gpg 2>err
	contains err "permissions 0644 are too open"
	enc "Rsa <rsa@example.org>" bz.gpg --compress-algo bzip2 <"$FX/text"
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out bz.gpg 2>err
	contains err "compressed with BZip2"
	gpg --batch -q --passphrase x -o sym.gpg --symmetric <"$FX/text"
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out sym.gpg 2>err
	contains err "encrypted with a passphrase (gpg --symmetric)"
	enc "Rsa <rsa@example.org>" arm.asc --armor <"$FX/text"
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out arm.asc 2>err
	contains err "gpg --dearmor"
	gpg --dearmor <arm.asc >dearmored.gpg
	lp -q decrypt -k "$FX/rsa.key" -o out dearmored.gpg >/dev/null
	cmp "$FX/text" out
	rm out
	# an empty session key packet (found by fuzzing: an empty body was read as a null pointer)
	printf "\301\000" >empty.gpg
	expect_code 4 lp decrypt -k "$FX/rsa.key" -o out empty.gpg 2>err
	contains err "a public-key encrypted session key packet that is not version 3"
	rm empty.gpg
	only x.gpg pub open bz.gpg sym.gpg arm.asc dearmored.gpg err
'
test_done
