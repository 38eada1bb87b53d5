#!/bin/sh
# Hashing and compressing on several threads (-j N): gzip bundles made of independent deflate
# blocks are read by gunzip, GNU tar, bsdtar, Python's tarfile and logpack verify; zstd and xz
# with workers; what was stored is what the manifest says, whatever -j; -j is checked, and is
# recorded in collection.log; an interrupt mid-run still removes the partial bundle.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
# Text larger than a hashing chunk (1 MiB) and many 128 KiB deflate blocks, and a small file.
seq 1 400000 | sed 's/^/Nov 28 10:00:00 web01 app[77]: request id /' >"$T/var/log/nginx/big.log"
head -c 3000000 /dev/urandom >"$T/var/log/nginx/noise.log"

# check_bag DIR: the extracted bag holds exactly the sources, and both manifests check.
check_bag() {
	(cd "$1"/logpack-* && sha256sum -c --quiet manifest-sha256.txt &&
		sha256sum -c --quiet tagmanifest-sha256.txt) || return 1
	cmp "$1"/logpack-*/data/var/log/nginx/big.log "$T/var/log/nginx/big.log"
	cmp "$1"/logpack-*/data/var/log/nginx/noise.log "$T/var/log/nginx/noise.log"
}

t "gzip on 3 threads: gunzip, GNU tar, bsdtar, Python's tarfile and logpack verify read it" '
	lp collect --root "$T" -c gzip -j 3 -o b.tar.gz >/dev/null 2>&1
	gzip -t b.tar.gz
	test "$(gzip -dc b.tar.gz | tar -tf - | grep -c "data/var/log/nginx/big.log")" = 1
	mkdir gnu bsd py
	tar -xzf b.tar.gz -C gnu
	check_bag gnu
	bsdtar -xf b.tar.gz -C bsd
	check_bag bsd
	python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" b.tar.gz py
	check_bag py
	expect_code 0 lp verify b.tar.gz >out
	contains out "b.tar.gz: valid, unsigned"
'

t "gzip with -j 1 (no thread) is read alike; the payload is the same as with -j 3" '
	lp collect --root "$T" -c gzip -j 1 -o one.tar.gz >/dev/null 2>&1
	lp collect --root "$T" -c gzip -j 3 -o three.tar.gz >/dev/null 2>&1
	mkdir one three
	tar -xzf one.tar.gz -C one
	tar -xzf three.tar.gz -C three
	check_bag one
	check_bag three
	cmp one/logpack-*/manifest-sha256.txt three/logpack-*/manifest-sha256.txt
	expect_code 0 lp verify one.tar.gz
'

t "zstd with -j 1 and -j 4, xz with -j 2: stock tools and verify read them" '
	lp collect --root "$T" -j 1 -o z1.tar.zst >/dev/null 2>&1
	lp collect --root "$T" -j 4 -o z4.tar.zst >/dev/null 2>&1
	lp collect --root "$T" -c xz --level 1 -j 2 -o x2.tar.xz >/dev/null 2>&1
	zstd -tq z1.tar.zst
	zstd -tq z4.tar.zst
	xz -t x2.tar.xz
	mkdir a b c
	tar -xf z1.tar.zst -C a
	tar -xf z4.tar.zst -C b
	tar -xJf x2.tar.xz -C c
	check_bag a
	check_bag b
	check_bag c
	for f in z1.tar.zst z4.tar.zst x2.tar.xz; do expect_code 0 lp verify "$f"; done
'

t "a payload byte changed in a gzip bundle made on threads is INVALID" '
	lp collect --root "$T" -c gzip -j 3 -o b.tar.gz >/dev/null 2>&1
	mkdir x
	tar -xzf b.tar.gz -C x
	B=$(echo x/logpack-*)
	printf X | dd of="$B/data/var/log/nginx/big.log" bs=1 seek=2000000 conv=notrunc 2>/dev/null
	tar -czf bad.tar.gz -C x "$(basename "$B")"
	expect_code 4 lp verify bad.tar.gz >out
	contains out "does not match its SHA-256 checksum"
'

t "collection.log says how many jobs ran, and why" '
	lp collect --root "$T" -j 3 -o j3.tar.zst >/dev/null 2>&1
	taskset -c 0 "$LOGPACK" collect --root "$T" -o one.tar.zst >/dev/null 2>&1
	mkdir a b
	tar -xf j3.tar.zst -C a
	tar -xf one.tar.zst -C b
	contains a/logpack-*/logpack/collection.log "compression zstd, level default; 3 jobs hashing and compressing (-j)"
	contains b/logpack-*/logpack/collection.log "1 job hashing and compressing (one per CPU this process may use)"
'

t "-j takes a number from 1 to 256" '
	for bad in 0 -1 x 3x 257 ""; do
		expect_code 2 lp collect --root "$T" -j "$bad" -o b.tar.zst 2>err
		contains err "--jobs: '"'"'$bad'"'"' is not a number from 1 to 256"
	done
	test -z "$(ls -A . | grep -v err)"
'

t "SIGTERM while gzip runs on 3 threads: exit 143, nothing left behind" '
	head -c 48M /dev/urandom >"$TRASH/big-noise"
	mkdir root2 out
	cp -r "$T/." root2/
	mv "$TRASH/big-noise" root2/var/log/nginx/noise2.log
	"$LOGPACK" collect --root root2 -c gzip --level 9 -j 3 --io-rate 16M -o out >/dev/null 2>err &
	pid=$!
	in_flight $pid out
	kill -TERM $pid
	expect_code 143 wait $pid
	test -z "$(ls -A out)"
	contains err "interrupted; the partial bundle was removed"
'

test_done
