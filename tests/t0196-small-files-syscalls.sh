#!/bin/sh
# Per-file overhead: a tree of many small files in a few directories is read with one open
# (relative to the parent directory, kept open for its siblings), one stat on the walk, one
# statx at open, and records written in batches, counted by strace. A control shows the count
# would see a path opened component by component. The first count takes the profile's own
# category only; the second shows that the sweep of the log directories for unclaimed files
# (category "other") does not walk again the directory the profile's rule took whole.
. "$TEST_SRCDIR/test-lib.sh"

N=400
T=$TRASH/root
mkdir -p "$T/var/log/app/a/deep" "$T/var/log/app/b"
i=0
while [ $i -lt $N ]; do
	d=a
	[ $((i % 3)) = 0 ] && d=b
	[ $((i % 7)) = 0 ] && d=a/deep
	echo "line $i" >"$T/var/log/app/$d/w$i.log"
	i=$((i + 1))
done
printf 'name app\ndescription small files\n\n[application]\n/var/log/app/**\n' >"$TRASH/app.profile"

# count TRACE CALL: the calls of CALL in an strace -f output file (successful or not).
count() {
	grep -c "^[0-9]* *$2(" "$1" || :
}

if strace -f -qq -o /dev/null true 2>/dev/null; then
	t "collect of $N small files: about one openat, one close and one fstatat on the walk per file" '
		mkdir out
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -e trace=openat,close,newfstatat,fstatat64,write,dup -o trace \
			"$LOGPACK" --quiet collect --root "$T" -p "$TRASH/app.profile" -o out/b.tar -c none \
			--category application
		test "$(tar -tf out/b.tar | grep -c "/data/var/log/app/.*\.log$")" = $N
		opens=$(count trace openat) closes=$(count trace close) dups=$(count trace dup)
		stats=$(( $(count trace newfstatat) + $(count trace fstatat64) ))
		writes=$(count trace write)
		echo "openat $opens, close $closes, dup $dups, fstatat $stats, write $writes for $N files"
		# Opening each path component by component took 5 openat and 6 close per file.
		# About one each per file; the rest is per run (a sanitizer build opens a few more).
		test $opens -le $((N + N / 2))
		test $closes -le $((N + N / 2))
		# dup is per walk and per rule, never per file.
		test $dups -le $((N / 4))
		# The walk stats each file once, the reader once at the end (to see growth); at
		# open one statx gives the type, the times and the birth time.
		test $stats -le $((2 * N + 150))
		# The records, the manifest and the coverage report leave in 64 KiB writes: with
		# the C library'"'"'s default buffers (4 KiB) this tree took 233 writes, now about 100.
		test $writes -le $((N / 3))
	'
	t "the sweep of the log directories does not walk again what a rule took whole" '
		# Batches of 50 entries on disk: the table of paths met is emptied at each, so only
		# not walking the directory again spares the sweep a second lstat of every file.
		mkdir out
		LOGPACK_TEST_WALK_RUN=50 ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			strace -f -qq -e trace=newfstatat,fstatat64 -o trace \
			"$LOGPACK" --quiet collect --root "$T" -p "$TRASH/app.profile" -o out/b.tar -c none
		test "$(tar -tf out/b.tar | grep -c "/data/var/log/app/.*\.log$")" = $N
		stats=$(( $(count trace newfstatat) + $(count trace fstatat64) ))
		echo "fstatat $stats for $N files"
		test $stats -le $((N + 150))
	'
	t "control: the counts above see a path opened component by component" '
		printf "%s\n" "1 openat(3, \"var\", O_RDONLY) = 4" "1 close(3) = 0" \
			"1 openat(4, \"log\", O_RDONLY) = 3" "1 close(4) = 0" >trace
		test "$(count trace openat)" = 2
		test "$(count trace close)" = 2
	'
	t "the one statx at open gives what fstat gave: inode, links, size, owner, mode, times, birth time" '
		mkdir out
		"$LOGPACK" --quiet collect --root "$T" -p "$TRASH/app.profile" -o out/b.tar -c none
		tar -xOf out/b.tar --wildcards "*/logpack/files.jsonl" >files.jsonl
		f=$T/var/log/app/b/w3.log
		python3 - "$f" <<"PY"
import json, os, sys, datetime, subprocess
path = sys.argv[1]
st = os.stat(path)
rec = [r for r in map(json.loads, open("files.jsonl")) if r["path"].endswith("/app/b/w3.log")][0]
print(rec)
def secs(t):
    return int(datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp())
assert rec["status"] == "collected", rec
assert rec["inode"] == st.st_ino and rec["links"] == st.st_nlink and rec["size"] == st.st_size
assert rec["uid"] == st.st_uid and rec["gid"] == st.st_gid and int(rec["mode"], 8) == st.st_mode & 0o7777
assert secs(rec["mtime"]) == int(st.st_mtime) and secs(rec["ctime"]) == int(st.st_ctime)
assert rec["mtime"][20:29] == "%09d" % (st.st_mtime_ns % 10**9), rec["mtime"]
birth = int(subprocess.check_output(["stat", "-c", "%W", path]))
if birth:
    assert secs(rec["btime"]) == birth, (rec.get("btime"), birth)
PY
	'
else
	t "strace is there (the README lists it among the test packages)" 'false'
fi

test_done
