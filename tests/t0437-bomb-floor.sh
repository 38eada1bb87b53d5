#!/bin/sh
# The decompression-bomb defence cannot reject an honest bundle: the compression ratio is
# judged only past a large absolute amount (--ratio-after, 4G by default), so a bundle of
# zeros that compresses far beyond 1000:1 verifies, shows and extracts; --max-size bounds the
# total; sparse members (logpack never writes them) are refused, counted at their logical size.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a bundle holding 100 MiB of zeros, compressed more than 1000:1" 'cd "$FX"
	make_root root
	dd if=/dev/zero of=root/var/log/messages.1 bs=1M count=100 2>/dev/null
	lp -q collect --root root -o z.tar.zst >/dev/null
	tar -tf z.tar.zst >list
	grep -q "data/var/log/messages.1$" list
	size=$(stat -c %s z.tar.zst)
	test $((100 * 1024 * 1024 / size)) -gt 1000
'
t "logpack accepts its own bundle of zeros: verify, show and extract" 'cd "$FX"
	expect_code 0 lp verify z.tar.zst >out
	contains out "valid, unsigned"
	expect_code 0 lp show z.tar.zst >show.out
	expect_code 0 lp extract z.tar.zst dest 2>err
	cmp root/var/log/messages.1 dest/logpack-*/data/var/log/messages.1
'
t "the ratio still stops a bomb once past --ratio-after" 'cd "$FX"
	expect_code 4 lp verify --ratio-after 32M z.tar.zst >out
	contains out "compression ratio above 1000"
	expect_code 4 lp extract --ratio-after 32M z.tar.zst dest2 2>err
	test ! -e dest2
	expect_code 2 lp verify --ratio-after lots z.tar.zst 2>err
'
t "--max-size bounds the total" 'cd "$FX"
	expect_code 4 lp verify --max-size 50M z.tar.zst >out
	contains out "more than 50.0 MiB of content"
'
t "a pax sparse member is refused, and counted at its logical size, never expanded" 'cd "$FX"
	mkdir -p sp/bag/data
	printf "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" >sp/bag/bagit.txt
	echo start >sp/bag/data/holes
	truncate -s 3G sp/bag/data/holes
	tar -C sp --sparse --format=pax -cf sparse.tar bag
	test $(stat -c %s sparse.tar) -lt 1000000
	expect_code 4 lp verify sparse.tar >out
	contains out "is a sparse file (logpack never writes them)"
	expect_code 4 lp verify --max-size 1G sparse.tar >out
	contains out "more than 1.0 GiB of content"
'

test_done
