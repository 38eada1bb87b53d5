#!/bin/sh
# bagit-python bags with awkward names ('%', spaces, non-ASCII, a newline) verify as
# directories and as tarballs made by GNU tar and by bsdtar, in either member order (payload
# first needs the reader's second pass), plain and zstd-compressed.
. "$TEST_SRCDIR/test-lib.sh"

BAGIT_PY=${BAGIT_PY:-$TEST_SRCDIR/../../shared/tools/bagit-python/bagit.py}
[ -f "$BAGIT_PY" ] || BAGIT_PY=/work/shared/tools/bagit-python/bagit.py
command -v bsdtar >/dev/null || {
	echo "bsdtar not found: install libarchive-tools (README, test packages)" >&2
	exit 1
}

# The bag, made once: names bagit-python writes as they are (it does not encode '%').
mkdir -p "$TRASH/fx/odd/sub dir"
cd "$TRASH/fx" || exit 1
echo "percent" >"odd/100% done.log"
echo "space" >"odd/sub dir/a b.log"
echo "åäö" >"odd/räksmörgås.log"
echo "newline" >"odd/two
lines.log"
python3 "$BAGIT_PY" --quiet --sha256 --sha512 odd
python3 "$BAGIT_PY" --quiet --validate odd

t "the bag directory itself is valid" '
	expect_code 0 lp verify "$TRASH/fx/odd" >out
	contains out "valid, unsigned"
'

for maker in gnu bsd; do
	for order in tags-first payload-first; do
		t "$maker tar, $order: valid, plain and zstd-compressed" '
			cd "$TRASH/fx"
			if [ '"$order"' = tags-first ]; then
				set -- odd/bagit.txt odd/bag-info.txt odd/manifest-sha256.txt \
					odd/manifest-sha512.txt odd/tagmanifest-sha256.txt \
					odd/tagmanifest-sha512.txt odd/data
			else
				set -- odd/data odd/tagmanifest-sha512.txt odd/manifest-sha512.txt \
					odd/tagmanifest-sha256.txt odd/manifest-sha256.txt \
					odd/bag-info.txt odd/bagit.txt
			fi
			out=$OLDPWD/b.tar
			if [ '"$maker"' = gnu ]; then
				tar --format=pax -cf "$out" "$@"
			else
				bsdtar --format=pax -cf "$out" "$@"
			fi
			test "$(tar -tf "$out" | head -n 1 | cut -d/ -f2)" = \
				"$(echo "$1" | cut -d/ -f2)"
			cd "$OLDPWD"
			expect_code 0 lp verify b.tar >out
			contains out "valid, unsigned"
			zstd -q b.tar -o b.tar.zst
			expect_code 0 lp verify b.tar.zst >out
			contains out "valid, unsigned"
		'
	done
done

t "a changed byte in the '%' file of a bsdtar tarball is INVALID" '
	cp -r "$TRASH/fx/odd" odd
	echo "changed" >"odd/data/100% done.log"
	bsdtar --format=pax -cf b.tar odd
	expect_code 4 lp verify b.tar >out
	contains out "INVALID"
'

test_done
