# emptyroot_make DIR BINARY: an empty root for the static binary: /logpack, /scratch, /logs and
# the three devices it may need (/dev/null; /dev/random and /dev/urandom, which OpenSSL reads
# on a kernel without getrandom). Nothing else: no libc, no /etc, no /usr. Needs root.
# Sourced by the tests and by the release script's smoke test.
emptyroot_make() {
	mkdir -p "$1/dev" "$1/scratch" "$1/logs" || return 1
	cp "$2" "$1/logpack" && chmod 755 "$1/logpack" || return 1
	mknod -m 666 "$1/dev/null" c 1 3 &&
		mknod -m 444 "$1/dev/random" c 1 8 &&
		mknod -m 444 "$1/dev/urandom" c 1 9 || {
		echo "emptyroot: mknod failed (a file system mounted nodev?)" >&2
		return 1
	}
}
