#!/bin/sh
# While a bag's files come in name order with the manifest after them (as logpack writes its
# bags), the reader keeps their names and digests in a temporary file, not in memory, and
# checks the manifest against it in one pass. Anything out of the way moves them into memory
# and the usual checks run: the verdict is the same either way, which each bag here checks by
# verifying it a second time with no temporary directory to write in.
. "$TEST_SRCDIR/test-lib.sh"

mkbag() {
	python3 "$TEST_SRCDIR/spill-bag.py" "$@"
}

# verdicts BAG [EXIT]: verify BAG with the spill and without it; both must give the same
# output and exit status (EXIT, 0 by default). The spill's report goes to spill.txt.
verdicts() {
	: >spill.txt
	: >without.err
	set +e
	LOGPACK_TEST_SPILL=$PWD/spill.txt "$LOGPACK" verify "$1" >with.out
	with=$?
	TMPDIR=/nonexistent LOGPACK_TEST_SPILL=$PWD/without.err "$LOGPACK" verify "$1" >without.out
	without=$?
	set -e
	cat with.out spill.txt
	test "$with" -eq "${2:-0}"
	test "$without" -eq "${2:-0}"
	cmp with.out without.out
	# Without a place for the file, nothing is spilled.
	lacks without.err "spill:"
}

t "logpack's own bundle: every file listed in order, nothing kept in memory" '
	make_debian_tree root
	for i in 1 2 3 4 5 6 7 8 9; do echo "line $i" >root/var/log/app$i.log; done
	lp collect --root root --profile debian -o b.tar.zst -q
	verdicts b.tar.zst
	contains with.out "valid"
	contains spill.txt "listed, settled"
	n=$(tar -tf b.tar.zst | grep -c "/data/")
	contains spill.txt "spill: $n files, $n listed, settled"
'
t "read from standard input too" '
	make_debian_tree root
	lp collect --root root --profile debian -o b.tar.zst -q
	: >spill.txt
	LOGPACK_TEST_SPILL=$PWD/spill.txt lp verify - <b.tar.zst >out
	contains out "valid"
	contains spill.txt "listed, settled"
'
t "a file and a file below it, next to each other or apart, is still found" '
	mkbag a.tar --members data/a,data/a/b
	verdicts a.tar 4
	contains with.out "data/a'"'"' is a file, and also the directory of another member"
	contains spill.txt "moved to the table"
	mkbag b.tar --members data/a,data/a-b,data/a.c,data/a/b,data/z
	verdicts b.tar 4
	contains with.out "data/a'"'"' is a file, and also the directory of another member"
'
t "a file and a directory below it is found too" '
	mkbag a.tar --members data/a,dir:data/a/sub,data/b
	verdicts a.tar 4
	contains with.out "data/a'"'"' is a file, and also the directory of another member"
	mkbag b.tar --members dir:data/a/sub,data/a,data/b --manifest data/a,data/b
	verdicts b.tar 4
	contains with.out "data/a'"'"' is a file, and also the directory of another member"
'
t "--max-members counts the files kept in the temporary file" '
	mkbag a.tar --members data/a,data/b,data/c,data/d,data/e,data/f \
		--manifest data/a,data/b,data/c,data/d,data/e,data/f,data/m1,data/m2,data/m3,data/m4,data/m5,data/m6,data/m7,data/m8,data/m9,data/n1,data/n2,data/n3,data/n4,data/n5
	: >spill.txt
	set +e
	LOGPACK_TEST_SPILL=$PWD/spill.txt "$LOGPACK" verify --max-members 10 a.tar >with.out
	with=$?
	TMPDIR=/nonexistent "$LOGPACK" verify --max-members 10 a.tar >without.out
	without=$?
	set -e
	cat with.out spill.txt
	test "$with" -eq 4
	test "$without" -eq 4
	cmp with.out without.out
	contains with.out "the manifests list more than 10 files: stopped"
'
t "a file named data beside the payload is still found" '
	mkbag a.tar --members data,data/x,data/y
	verdicts a.tar 4
	contains with.out "'"'"'data'"'"' is a file, and also the directory of another member"
'
t "a file that appears twice, as a file or as a directory, is still found" '
	mkbag a.tar --members data/a,data/x,data/x,data/z --manifest data/a,data/x,data/z
	verdicts a.tar 4
	contains with.out "data/x'"'"' appears twice in the bundle"
	mkbag b.tar --members data/a,data/x,dir:data/x,data/z --manifest data/a,data/x,data/z
	verdicts b.tar 4
	contains with.out "data/x'"'"' appears twice in the bundle"
'
t "a changed digest, a line listed twice, a file not listed, a file missing" '
	mkbag a.tar --members data/a,data/b,data/c --manifest data/a,bad:data/b,data/c
	verdicts a.tar 4
	contains with.out "data/b'"'"' does not match its SHA-256 checksum"
	mkbag b.tar --members data/a,data/b,data/c --manifest data/a,data/b,data/b,data/c
	verdicts b.tar 4
	contains with.out "lists '"'"'data/b'"'"' twice"
	mkbag c.tar --members data/a,data/b,data/c --manifest data/a,data/b
	verdicts c.tar 4
	contains with.out "data/c'"'"' is not listed in manifest-sha256.txt"
	mkbag d.tar --members data/a,data/b,data/c --manifest data/a,data/b,data/c,data/d --oxum 3
	verdicts d.tar 4
	contains with.out "data/d'"'"' is listed in manifest-sha256.txt but missing"
	contains spill.txt "3 files, 3 listed, settled"
	mkbag e.tar --members data/b,data/c --manifest data/a,data/b,data/c --oxum 2
	verdicts e.tar 4
	contains with.out "data/a'"'"' is listed in manifest-sha256.txt but missing"
'
t "a manifest in another order, or files in another order, is no problem" '
	mkbag a.tar --members data/a,data/b,data/c --manifest data/c,data/a,data/b
	verdicts a.tar
	contains with.out "valid"
	contains spill.txt "moved to the table"
	mkbag b.tar --members data/c,data/b,data/a --manifest data/a,data/b,data/c
	verdicts b.tar
	contains with.out "valid"
'
t "a second payload manifest and a wrong Payload-Oxum are still checked" '
	mkbag a.tar --members data/a,data/b --sha512
	verdicts a.tar
	contains spill.txt "moved to the table"
	mkbag c.tar --members data/a,data/b --empty-md5
	verdicts c.tar 4
	contains with.out "data/b'"'"' is not listed in manifest-md5.txt"
	mkbag b.tar --members data/a,data/b --manifest data/a,data/b --oxum 3
	verdicts b.tar 4
	contains with.out "Payload-Oxum in bag-info.txt says"
	contains spill.txt "2 files, 2 listed, settled"
'
t "a full temporary directory moves the files to memory, and the verdict stands" '
	if ! mount -t tmpfs -o size=64k tmpfs "$TRASH/t$test_count/small" 2>/dev/null; then
		mkdir -p small
		mount -t tmpfs -o size=64k tmpfs small
	fi
	python3 "$TEST_SRCDIR/manyfiles-bag.py" many.tar 3000
	: >spill.txt
	set +e
	TMPDIR=$PWD/small LOGPACK_TEST_SPILL=$PWD/spill.txt "$LOGPACK" verify many.tar >out
	rc=$?
	set -e
	umount small
	cat out spill.txt
	test "$rc" -eq 0
	contains out "many.tar: valid, unsigned"
	contains spill.txt "moved to the table"
'

test_done
