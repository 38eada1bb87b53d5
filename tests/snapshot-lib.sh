# Helpers for the snapshot tests (sourced after test-lib.sh).

# snap OUTFILE ARGS...: run a snapshot; its stdout in OUTFILE, its exit code in OUTFILE.rc.
snap() {
	out=$1
	shift
	set +e
	"$LOGPACK" snapshot "$@" >"$out" 2>"$out.err"
	echo $? >"$out.rc"
	set -e
	cat "$out.err" >&2
}

# newest_bundle DIR: the bundle with the highest sequence number in DIR.
newest_bundle() {
	ls "$1"/logpack-*-snapshot-*.tar.* | grep -v '\.sha256$' | sed 's/.*-snapshot-[0-9a-f]*-\([0-9]*\)-.*/\1 &/' |
		sort -n | tail -n 1 | cut -d" " -f2-
}

# bundle_seq DIR N: the bundle of sequence N.
bundle_seq() {
	ls "$1"/logpack-*-snapshot-*-$(printf %06d "$2")-*.tar.* | grep -v '\.sha256$'
}

# payload_list BAG: the payload files of an extracted bag, sorted.
payload_list() {
	(cd "$1" && find data -type f | LC_ALL=C sort)
}
