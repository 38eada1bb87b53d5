#!/bin/sh
# What follows a tar's end-of-archive marker: zero padding is honest (tar pads to its record
# size), any other byte is data that no manifest covers, and the bundle is INVALID.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: an uncompressed and a zstd bundle" 'cd "$FX"
	make_root root
	lp -q collect --root root -c none -o plain.tar >/dev/null
	lp -q collect --root root -o z.tar.zst >/dev/null
	expect_code 0 lp verify plain.tar z.tar.zst >/dev/null
'
t "zeros after the end of the archive are padding: still valid" 'cd "$FX"
	cp plain.tar pad.tar
	head -c 30000 /dev/zero >>pad.tar
	expect_code 0 lp verify pad.tar >out
	contains out "pad.tar: valid, unsigned"
	tar -tf pad.tar >/dev/null
'
t "text after the end of an uncompressed archive makes it INVALID" 'cd "$FX"
	cp plain.tar junk.tar
	echo "appended, covered by no manifest" >>junk.tar
	expect_code 4 lp verify junk.tar >out
	contains out "data follows the end of the archive"
'
t "a byte changed inside the end-of-archive padding makes it INVALID" 'cd "$FX"
	cp plain.tar poke.tar
	size=$(stat -c %s poke.tar)
	printf "X" | dd of=poke.tar bs=1 seek=$((size - 100)) conv=notrunc 2>/dev/null
	expect_code 4 lp verify poke.tar >out
	contains out "data follows the end of the archive"
'
t "data after the end inside a compressed stream makes it INVALID, for extract too" 'cd "$FX"
	zstd -q -d -c z.tar.zst >inner.tar
	echo "hidden payload" >>inner.tar
	zstd -q -f inner.tar -o hidden.tar.zst
	expect_code 4 lp verify hidden.tar.zst >out
	contains out "data follows the end of the archive"
	expect_code 4 lp extract hidden.tar.zst dest 2>err
	contains err "refusing to extract an INVALID bundle"
	test ! -e dest
'
test_done
