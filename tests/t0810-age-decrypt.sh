#!/bin/sh
# logpack decrypt: age files (logpack's and stock age's) back to their plaintext, which takes its
# final name only after the last chunk authenticated; tampering and truncation leave nothing.
. "$TEST_SRCDIR/test-lib.sh"

FX=$TRASH/fx
mkdir -p "$FX"

# header_bytes FILE: the length of an age file's header (through its "---" line).
header_bytes() {
	head -n "$(grep -an -m1 "^---" "$1" | cut -d: -f1)" "$1" | wc -c
}

# only FILE...: fail unless the current directory holds exactly these names (no temporaries).
only() {
	want=$(printf "%s\n" "$@" | LC_ALL=C sort)
	got=$(ls -A | LC_ALL=C sort)
	if [ "$got" != "$want" ]; then
		echo "directory holds: $got" >&2
		return 1
	fi
}

t "setup: keys, a collected age bundle, and the stock tool's decryption of it" '
	cd "$FX"
	make_debian_tree root
	head -c 300000 /dev/urandom >root/var/log/syslog.3
	for k in k1 k2; do age-keygen -o $k 2>/dev/null; grep -o "age1.*" $k >$k.pub; done
	mkdir enc
	lp -q collect --root root -o "$FX/enc" --encrypt-to "$(cat k1.pub)" >enc.path
	age -d -i k1 -o stock.tar.zst "$(cat enc.path)"
'
t "decrypt writes the bundle beside the file, named for its compression, equal to age -d" '
	cd "$FX"
	f=$(cat enc.path)
	lp decrypt --key k1 "$f" >out 2>err
	test "$(cat out)" = "${f%.age}.tar.zst"
	cmp stock.tar.zst "$(cat out)"
	test "$(stat -c %a "$(cat out)")" = 600
	contains err "sha256 $(sha256sum <stock.tar.zst | cut -c1-64)"
	expect_code 0 lp verify "$(cat out)" >/dev/null
'
t "files written by stock age -e -r decrypt: sizes around the 64 KiB chunk, two recipients" '
	cd "$FX"
	mkdir stockfiles
	cd stockfiles
	for n in 0 1 65535 65536 65537 200000; do
		head -c $n /dev/urandom >p$n
		age -e -r "$(cat ../k1.pub)" -r "$(cat ../k2.pub)" -o p$n.age p$n
		lp -q decrypt -k ../k2 -o d$n p$n.age >/dev/null
		cmp p$n d$n
	done
'
t "standard input, and -o DIR" '
	cd "$FX"
	mkdir viastdin
	lp -q decrypt -k k1 -o viastdin - <"$(cat enc.path)" >out
	cmp stock.tar.zst "$(cat out)"
	case "$(cat out)" in viastdin/*.tar.zst) ;; *) exit 1 ;; esac
'
for where in start middle end; do
t "a byte flipped at the $where: refused with the reason, exit 4, nothing left behind" '
	mkdir w
	cd w
	cp "$(cat "$FX/enc.path")" x.age
	size=$(wc -c <x.age)
	case '"$where"' in
	start) pos=40 ;;
	middle) pos=$((size / 2)) ;;
	end) pos=$((size - 1)) ;;
	esac
	flip_byte x.age $pos
	expect_code 4 lp decrypt -k "$FX/k1" -o x.tar.zst x.age 2>err
	if [ '"$where"' = start ]; then contains err "age header"
	else contains err "fails authentication: the file was altered"; fi
	contains err "nothing written"
	only x.age err
'
done
t "truncation: the last 100 bytes cut, or cut at a chunk boundary: exit 4, nothing left" '
	cp "$(cat "$FX/enc.path")" x.age
	size=$(wc -c <x.age)
	head -c $((size - 100)) x.age >cut.age
	expect_code 4 lp decrypt -k "$FX/k1" cut.age 2>err
	contains err "the file was altered or truncated"
	head -c $(($(header_bytes x.age) + 16 + 2 * 65552)) x.age >cut.age
	expect_code 4 lp decrypt -k "$FX/k1" cut.age 2>err
	contains err "the file is truncated: it ends after payload chunk 1, which is not the last"
	head -c 30 x.age >cut.age
	expect_code 4 lp decrypt -k "$FX/k1" cut.age 2>err
	contains err "truncated: it ends in the age header"
	only x.age cut.age err
'
t "a key that is not a recipient, a key file others may read, not an age file: nothing written" '
	cp "$(cat "$FX/enc.path")" x.age
	expect_code 4 lp decrypt -k "$FX/k2" x.age 2>err
	contains err "not encrypted to this key"
	cp "$FX/k1" open
	chmod 644 open
	expect_code 3 lp decrypt -k open x.age 2>err
	contains err "permissions 0644 are too open"
	expect_code 4 lp decrypt -k "$FX/k1" "$FX/stock.tar.zst" -o y 2>err
	contains err "not an age file"
	echo "AGE-SECRET-KEY-1QQQQ" >badkey
	chmod 600 badkey
	expect_code 3 lp decrypt -k badkey x.age 2>err
	contains err "not an age secret key"
	only x.age err open badkey
'
t "an existing output file is not replaced" '
	echo keep >x.tar.zst
	cp "$(cat "$FX/enc.path")" x.age
	expect_code 3 lp decrypt -k "$FX/k1" x.age 2>err
	test "$(cat x.tar.zst)" = keep
	only x.age x.tar.zst err
'
t "usage: no key, no file" '
	expect_code 2 lp decrypt x.age 2>err
	contains err "--key KEY is needed"
	expect_code 2 lp decrypt -k k 2>err
	contains err "give one encrypted file"
'
test_done
