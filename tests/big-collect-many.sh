#!/bin/sh
# A host with many small logs: collect keeps its file list on disk (gather/walk-runs.c) and its
# coverage facts too, so its peak RSS stays under 64 MiB and does not grow with the count.
# Collects FILES/10 files, then FILES, and fails when the larger peak is over 64 MiB or more
# than 8 MiB over the smaller (the list in memory cost some 290 bytes a file: 100 MiB at
# 400,000). Run once per CI run (.ci/run), not in every build: making the files and collecting
# them takes a minute or two.
#
#   tests/big-collect-many.sh LOGPACK [FILES]        (default 400000)
set -eu
lp=$1
n=${2:-400000}
work=$(mktemp -d "${TMPDIR:-/tmp}/logpack-collect-many.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fail() {
	echo "big-collect-many: $*" >&2
	exit 1
}

# tree DIR COUNT: COUNT one-line logs under DIR/var/log, 1,000 to a directory.
tree() {
	python3 - "$1" "$2" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = "%s/var/log/app/d%04d" % (root, i // 1000)
    if i % 1000 == 0:
        os.makedirs(d)
    with open("%s/f%06d.log" % (d, i), "w") as f:
        f.write("Dec  1 12:00:00 web01 app[1]: line %d\n" % i)
PY
}

printf 'name many\ndescription every file under /var/log\n\n[application]\n/var/log/**\n' >all.profile
small=$((n / 10))
tree few "$small"
tree many "$n"
for t in few many; do
	mkdir "out-$t"
	/usr/bin/time -f "%M %e" -o "$t.rss" "$lp" -q collect --root "$t" -p all.profile \
		-o "out-$t" >"$t.out" 2>"$t.err" || fail "$t: $(cat "$t.err")"
	"$lp" verify out-"$t"/*.tar.zst >"$t.verify" || fail "$t: $(cat "$t.verify")"
	rm -rf "out-$t"
done
read -r few_kb few_s <few.rss
read -r kb secs <many.rss
echo "collect of $small files: peak RSS $((few_kb / 1024)) MiB, $few_s s" >&2
echo "collect of $n files: peak RSS $((kb / 1024)) MiB, $secs s" >&2
test "$kb" -lt $((64 * 1024)) || fail "peak RSS $kb KiB at $n files is over 64 MiB"
test "$kb" -lt $((few_kb + 8 * 1024)) ||
	fail "peak RSS grows with the count: $few_kb KiB at $small files, $kb KiB at $n"
