#!/bin/sh
# A bag of a million tiny files (default) verifies with logpack's default limits. Its files come
# in name order with the manifest after them, as in logpack's own bags, so the reader keeps
# their names and digests in a temporary file: the peak RSS must stay under 64 MiB and flat.
# Without a temporary directory the names are kept in memory, and the peak must still stay under
# the default --max-memory (128M). Run once per CI run (.ci/run), not in every build: writing
# the bag takes about 30 s and 1.1 GB of disk, and each verify some 20 s.
#
#   tests/big-manyfiles.sh LOGPACK [FILES]        (default 1000000)
set -eu
lp=$1
n=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/logpack-many.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() {
	echo "big-manyfiles: $*" >&2
	exit 1
}

python3 "$here/manyfiles-bag.py" many.tar "$n"
python3 "$here/manyfiles-bag.py" one.tar 1
/usr/bin/time -f "%M %e" -o one.rss "$lp" verify one.tar >one.out || fail "one file: $(cat one.out)"
/usr/bin/time -f "%M %e" -o many.rss "$lp" verify many.tar >many.out ||
	fail "$n files, default limits: $(cat many.out)"
grep -q "many.tar: valid, unsigned" many.out || fail "$n files: $(cat many.out)"
TMPDIR=/nonexistent /usr/bin/time -f "%M %e" -o table.rss "$lp" verify many.tar >table.out ||
	fail "$n files in memory, default limits: $(cat table.out)"
grep -q "many.tar: valid, unsigned" table.out || fail "$n files in memory: $(cat table.out)"
read -r base _ <one.rss
read -r kb secs <many.rss
read -r tkb tsecs <table.rss
echo "verify of $n files: peak RSS $((kb / 1024)) MiB ($(((kb - base) * 1024 / n)) bytes a file), $secs s" >&2
echo "verify of $n files in memory: peak RSS $((tkb / 1024)) MiB ($(((tkb - base) * 1024 / n)) bytes a file), $tsecs s" >&2
test "$kb" -lt $((64 * 1024)) || fail "peak RSS $kb KiB is over 64 MiB"
# The default budget counts what the reader keeps; the whole process stays under it too.
test "$tkb" -lt $((128 * 1024)) || fail "peak RSS in memory $tkb KiB is over the default --max-memory (128M)"
