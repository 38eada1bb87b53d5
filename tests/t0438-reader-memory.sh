#!/bin/sh
# The reader's memory: what it keeps per name is close to the name's length (the name once,
# in the verifier's table, which also finds duplicates for the source), and the whole read has
# one memory budget (--max-memory, 128M by default) that stops with a clear error.
. "$TEST_SRCDIR/test-lib.sh"

# longbag OUT.tar N: a bag of N payload files whose names are about 3000 bytes long.
longbag() {
	python3 - "$1" "$2" <<'PYEOF'
import hashlib, io, sys, tarfile
out, n = sys.argv[1], int(sys.argv[2])
dirs = "/".join(("d%02d" % i) + "x" * 246 for i in range(11))
lines, members = [], []
for i in range(n):
    name = "data/%s/file%06d.log" % (dirs, i)
    body = b"line %d\n" % i
    lines.append("%s  %s\n" % (hashlib.sha256(body).hexdigest(), name))
    members.append((name, body))
tags = [("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
        ("manifest-sha256.txt", "".join(lines).encode())]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    for name, body in tags + members:
        ti = tarfile.TarInfo("bag/" + name)
        ti.size = len(body)
        tf.addfile(ti, io.BytesIO(body))
PYEOF
}

t "setup: 3000 names of 3000 bytes (9 MB of names), and a bag of one" '
	cd "$TRASH"
	longbag long.tar 3000
	longbag one.tar 1
	expect_code 0 "$LOGPACK" verify long.tar >out
	contains out "valid, unsigned"
'
t "each name costs about its length: 9 MB of names verify within a 14M budget" '
	cd "$TRASH"
	expect_code 0 lp verify --max-memory 14M long.tar >out
	contains out "valid, unsigned"
	base=$(peak_rss_kb "$LOGPACK" verify one.tar)
	kb=$(peak_rss_kb "$LOGPACK" verify long.tar)
	echo "peak RSS: $kb KiB, for one name: $base KiB"
	test $((kb - base)) -lt 15000
'
t "past --max-memory the read stops, naming the option" '
	cd "$TRASH"
	expect_code 4 lp verify --max-memory 4M long.tar >out
	contains out "more than 4.0 MiB of memory for names and checksums: stopped (raise the limit with --max-memory)"
	expect_code 4 lp extract --max-memory 4M long.tar dest 2>err
	contains err "--max-memory"
	test ! -e dest
	expect_code 2 lp verify --max-memory nope long.tar 2>err
'

test_done
