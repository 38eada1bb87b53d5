#!/bin/sh
# What the reader keeps per file is small. A bag whose files come in name order with the
# manifest after them (as logpack writes its bags, and as manyfiles-bag.py does) keeps its names
# and digests in a temporary file (t0442): memory stays flat however many files. Without one
# (no temporary directory to write in, or files out of order) each file costs a 56-byte entry,
# the name once in large blocks, and 4-byte slots of a keyed table (no per-name allocation, no
# second copy of the names for duplicates), so 200,000 files verify within a 32M budget where
# about 280 bytes a file were charged before (53M). tests/big-manyfiles.sh does a million files
# at the default budget.
. "$TEST_SRCDIR/test-lib.sh"

t "setup: a bag of 200,000 tiny files, and one of a single file" '
	cd "$TRASH"
	python3 "$TEST_SRCDIR/manyfiles-bag.py" many.tar 200000
	python3 "$TEST_SRCDIR/manyfiles-bag.py" one.tar 1
	test "$(tar -tf many.tar | grep -c "^bag/data/")" -eq 200000
	expect_code 0 "$LOGPACK" verify one.tar >out
	contains out "valid, unsigned"
'
t "200,000 files verify within a 32M budget" '
	cd "$TRASH"
	expect_code 0 lp verify --max-memory 32M many.tar >out
	contains out "many.tar: valid, unsigned"
'
t "and take under 160 bytes of memory a file in memory (the names are 31 bytes)" '
	cd "$TRASH"
	base=$(TMPDIR=/nonexistent peak_rss_kb "$LOGPACK" verify one.tar)
	kb=$(TMPDIR=/nonexistent peak_rss_kb "$LOGPACK" verify many.tar)
	echo "peak RSS: $kb KiB, for one file: $base KiB: $(((kb - base) * 1024 / 200000)) bytes a file"
	test $(((kb - base) * 1024 / 200000)) -lt 160
'
t "and under 8 bytes a file with a temporary file (flat: one file at a time)" '
	cd "$TRASH"
	base=$(peak_rss_kb "$LOGPACK" verify one.tar)
	kb=$(peak_rss_kb "$LOGPACK" verify many.tar)
	echo "peak RSS: $kb KiB, for one file: $base KiB: $(((kb - base) * 1024 / 200000)) bytes a file"
	test $(((kb - base) * 1024 / 200000)) -lt 8
'
t "with a temporary file the same budget is enough" '
	cd "$TRASH"
	expect_code 0 lp verify --max-memory 8M many.tar >out
	contains out "many.tar: valid, unsigned"
'
t "on tmpfs the temporary file is memory, and counts as such" '
	cd "$TRASH"
	mkdir -p ram
	mount -t tmpfs -o size=64m tmpfs ram
	set +e
	TMPDIR=$TRASH/ram "$LOGPACK" verify --max-memory 8M many.tar >out
	rc=$?
	TMPDIR=$TRASH/ram "$LOGPACK" verify --max-memory 32M many.tar >out2
	rc2=$?
	set -e
	umount ram
	cat out out2
	test "$rc" -eq 4
	contains out "raise the limit with --max-memory"
	test "$rc2" -eq 0
	contains out2 "many.tar: valid, unsigned"
'
t "the temporary file counts against the budget too, at an eighth of its size" '
	cd "$TRASH"
	expect_code 4 lp verify --max-memory 1M many.tar >out
	contains out "raise the limit with --max-memory"
'

t "a changed file among them is still found" '
	cd "$TRASH"
	python3 - many.tar <<PYEOF
import sys
with open(sys.argv[1], "r+b") as f:
    data = f.read(1 << 20)
    i = data.index(b"line 777\n")
    f.seek(i)
    f.write(b"LINE")
PYEOF
	expect_code 4 lp verify --max-memory 32M many.tar >out
	contains out "data/var/log/d0000/f0000777.log"
	contains out "does not match its SHA-256 checksum"
'
t "below what the files need in memory, the read stops and names --max-memory" '
	cd "$TRASH"
	TMPDIR=/nonexistent expect_code 4 lp verify --max-memory 8M many.tar >out
	contains out "raise the limit with --max-memory"
'
test_done
