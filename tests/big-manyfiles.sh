#!/bin/sh
# A bag of a million tiny files (default) verifies with logpack's default limits, and its
# peak RSS stays under the default --max-memory (128M): the reader's per-file memory is small
# enough. Run once per CI run (.ci/run), not in every build: writing the bag takes about
# 30 s and 1.1 GB of disk, and verifying it some 20 s.
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
read -r base _ <one.rss
read -r kb secs <many.rss
echo "verify of $n files: peak RSS $((kb / 1024)) MiB ($(((kb - base) * 1024 / n)) bytes a file), $secs s" >&2
# The default budget counts what the reader keeps; the whole process stays under it too.
test "$kb" -lt $((128 * 1024)) || fail "peak RSS $kb KiB is over the default --max-memory (128M)"
