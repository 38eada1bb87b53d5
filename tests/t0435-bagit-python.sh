#!/bin/sh
# Bags made by the BagIt reference implementation (bagit-python, unchanged) verify, as
# directories and as tarballs made by GNU tar; logpack's bags validate with it.
. "$TEST_SRCDIR/test-lib.sh"

BAGIT_PY=${BAGIT_PY:-$TEST_SRCDIR/../../shared/tools/bagit-python/bagit.py}
[ -f "$BAGIT_PY" ] || BAGIT_PY=/work/shared/tools/bagit-python/bagit.py
FX=$TRASH/fx
mkdir -p "$FX"

# pybag DIR ALG-OPTIONS...: a bag of two log files made in place by bagit-python.
pybag() {
	dir=$1
	shift
	mkdir -p "$dir/sub"
	echo "first line" >"$dir/a.log"
	printf 'second\nfile\n' >"$dir/sub/b.log"
	python3 "$BAGIT_PY" --quiet "$@" "$dir"
}

# check_bag NAME ALG-OPTIONS...: bagit-python makes NAME; the directory and a GNU tar of it
# are valid, unsigned. The tar holds the tag files first (a manifest after its payload needs
# a second pass, which verify does not make yet), the tag manifests in either order.
check_bag() {
	name=$1
	shift
	pybag "$name" "$@"
	python3 "$BAGIT_PY" --quiet --validate "$name"
	expect_code 0 lp verify "$name" >dir.out
	contains dir.out "valid, unsigned"
	tar --format=gnu -cf "$name.tar" "$name"/bagit.txt "$name"/bag-info.txt \
		"$name"/manifest-* "$name"/tagmanifest-* "$name"/data
	expect_code 0 lp verify "$name.tar" >tar.out
	contains tar.out "valid, unsigned"
	tar --format=gnu -cf "$name-r.tar" "$name"/tagmanifest-* "$name"/bagit.txt \
		"$name"/bag-info.txt "$name"/manifest-* "$name"/data
	expect_code 0 lp verify "$name-r.tar" >tar-r.out
	contains tar-r.out "valid, unsigned"
}

t "bagit-python --sha256 --sha512 (two tag manifests side by side): valid" '
	check_bag b1 --sha256 --sha512
'
t "bagit-python --sha384 --sha224: valid" '
	check_bag b2 --sha384 --sha224
'
t "bagit-python --sha3_256 --blake2b --sha256: valid" '
	check_bag b3 --sha3_256 --blake2b --sha256
'
t "bagit-python --sha512 --sha3_512 --sha3_384 --sha3_224: valid" '
	check_bag b4 --sha512 --sha3_512 --sha3_384 --sha3_224
'
t "a changed payload file in a --sha384 bag is INVALID, named with its algorithm" '
	pybag b5 --sha384
	echo changed >>b5/data/a.log
	expect_code 4 lp verify b5 >out
	contains out "does not match its SHA-384 checksum in manifest-sha384.txt"
'
t "a tag file changed under tagmanifest-blake2b.txt is INVALID" '
	pybag b6 --blake2b
	echo "Extra: field" >>b6/bag-info.txt
	expect_code 4 lp verify b6 >out
	contains out "does not match its BLAKE2b checksum in tagmanifest-blake2b.txt"
'

t "an MD5-only bag is valid, with a weak checksums warning" '
	check_bag m5 --md5
	contains dir.out "warning: weak checksums: the payload is listed only with MD5"
	contains tar.out "warning: weak checksums"
	expect_code 0 lp verify --json m5 >json.out
	python3 -c "import json,sys; w=json.load(open(\"json.out\"))[\"bundles\"][0][\"warnings\"]; sys.exit(0 if any(\"weak checksums\" in x for x in w) else 1)"
'
t "a SHA-1-only bag is valid, with a weak checksums warning" '
	check_bag s1 --sha1
	contains dir.out "warning: weak checksums: the payload is listed only with SHA-1"
'
t "MD5 beside SHA-256: no weak checksums warning" '
	check_bag ms --md5 --sha256
	lacks dir.out "weak checksums"
'
t "a changed payload file in an MD5-only bag is INVALID" '
	pybag m6 --md5
	echo changed >>m6/data/a.log
	expect_code 4 lp verify m6 >out
	contains out "does not match its MD5 checksum in manifest-md5.txt"
'

test_done
