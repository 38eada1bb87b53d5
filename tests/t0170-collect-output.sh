#!/bin/sh
# collect -o: a .tar* name is the bundle file, anything else a directory (created when
# missing); only the bundle being written is left out of the collection.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

names_of() { # BUNDLE DIR: the payload names in its manifest, one a line
	bag=$(bag_of "$1" "$2") && cut -c67- "$bag/manifest-sha256.txt"
}

t "-o a missing directory creates it (0700) and writes the bundle inside" '
	lp collect --root "$T" -o "$TRASH/some/missing/dir" >bundle
	test -d "$TRASH/some/missing/dir"
	test "$(stat -c %a "$TRASH/some/missing/dir")" = 700
	test "$(dirname "$(cat bundle)")" = "$TRASH/some/missing/dir"
	basename "$(cat bundle)" | grep -Eq "^logpack-testhost-.*\.tar\.zst$"
	tar -tf "$(cat bundle)" >list
	contains list "/data/var/log/auth.log"
'

t "-o . inside /var/log still collects the other logs there" '
	(cd "$T/var/log" && "$LOGPACK" collect --root "$T" -o .) >bundle
	names_of "$T/var/log/$(cat bundle)" x >names
	contains names "data/var/log/auth.log"
	contains names "data/var/log/syslog"
	lacks names "$(basename "$(cat bundle)")"
	rm -f "$T/var/log/$(cat bundle)" "$T/var/log/$(cat bundle).sha256"
'

t "-o FILE.tar.zst inside /var/log still collects the other logs there" '
	lp collect --root "$T" -o "$T/var/log/x.tar.zst" >bundle
	names_of "$T/var/log/x.tar.zst" y >names
	contains names "data/var/log/auth.log"
	lacks names "x.tar.zst"
	rm -f "$T/var/log/x.tar.zst" "$T/var/log/x.tar.zst.sha256"
'

t "files named like bundles in the output directory are collected" '
	echo "hidden log lines" >"$T/var/log/nginx/logpack-x.tar.zst"
	echo "more" >"$T/var/log/nginx/logpack-x.tar.zst.sha256"
	lp collect --root "$T" -o "$T/var/log/nginx" >bundle
	names_of "$(cat bundle)" z >names
	contains names "data/var/log/nginx/logpack-x.tar.zst"
	contains names "data/var/log/nginx/logpack-x.tar.zst.sha256"
	lacks names "$(basename "$(cat bundle)")"
	rm -f "$T/var/log/nginx/logpack-x.tar.zst" "$T/var/log/nginx/logpack-x.tar.zst.sha256" \
		"$(cat bundle)" "$(cat bundle).sha256"
'

test_done
