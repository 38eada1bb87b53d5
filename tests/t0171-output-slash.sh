#!/bin/sh
# -o DIR/ names the directory DIR: the bundle's path has one slash before its name, in the
# summary, --json and the sidecar's neighbour.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

t "-o out/ and -o out// give out/logpack-... in --json" '
	lp collect --root "$T" -o out/ --json >a.json 2>/dev/null
	path=$(jq -r .bundle a.json)
	case $path in out/logpack-testhost-*.tar.zst) ;; *) echo "$path"; exit 1 ;; esac
	test -f "$path.sha256"
	sleep 1
	lp collect --root "$T" -o out// --json >b.json 2>/dev/null
	path=$(jq -r .bundle b.json)
	case $path in out/logpack-testhost-*.tar.zst) ;; *) echo "$path"; exit 1 ;; esac
'

test_done
