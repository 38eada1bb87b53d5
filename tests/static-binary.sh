#!/bin/sh
# The static binary itself: statically linked, stripped, runs with an empty environment and
# PATH, opens nothing of the host outside the root it collects (no /etc/ssl, no OpenSSL
# config, no locale files, no installed profiles), and carries the stock profiles byte for byte.
. "$TEST_SRCDIR/test-lib.sh"

# The static build sets LOGPACK_STATIC_BINARY (Makefile.am); only a run by hand elsewhere
# skips. Set but missing is a failure: the build that should have made it did not.
BIN=${LOGPACK_STATIC_BINARY:-}
if [ -z "$BIN" ]; then
	echo "1..0 # SKIP no static binary (configure --enable-static-binary)"
	exit 0
fi
make_debian_tree "$TRASH/root"

t "the static binary is there" '
	test -x "$BIN"
'
t "file says statically linked, and stripped" '
	file -L "$BIN" >out
	contains out "statically linked"
	contains out ", stripped"
'
t "ldd says not a dynamic executable" '
	if ldd "$BIN" >out 2>&1; then cat out; exit 1; fi
	contains out "not a dynamic executable"
'
t "it runs with env -i and an empty PATH" '
	env -i PATH= "$BIN" --version --verbose >out
	contains out "logpack "
	contains out "x86_64-linux-musl"
	env -i PATH= "$BIN" collect --root "$TRASH/root" -o b.tar.zst >/dev/null 2>&1
	env -i PATH= "$BIN" verify b.tar.zst >out 2>&1
	contains out "valid, unsigned"
'
t "--version --verbose names every library with its Debian version" '
	"$BIN" --version --verbose >out
	for p in zlib libzstd xz-utils bzip2 libarchive jansson libyaml libisal openssl libssh2 curl musl; do
		grep -Eq "^  $p [0-9]" out || { echo "no version of $p" >&2; cat out >&2; exit 1; }
	done
'
t "the name carries the version and the architecture" '
	case $(basename "$BIN") in logpack-*-linux-x86_64) ;; *) exit 1 ;; esac
'
t "the compiled-in profiles are the files of profiles/, byte for byte" '
	for f in "$TOP_SRCDIR"/profiles/*; do
		case $f in *.md | *~) continue ;; esac
		n=$(basename "$f")
		env -i "$BIN" collect --root "$TRASH/root" --profile "$n" -o "p-$n.tar.zst" \
			>/dev/null 2>&1 || test $? -eq 1
		tar -xOf "p-$n.tar.zst" --wildcards "*/logpack/host.json" >host.json
		contains host.json "$(sha256sum <"$f" | cut -d" " -f1)"
	done
'
t "--profile FILE still reads the file" '
	printf "match id=debian\n[auth]\n/var/log/auth.log\n" >mine
	# --no-other: the unclaimed files under /var/log (syslog among them) are only listed.
	"$BIN" collect --root "$TRASH/root" --profile "$PWD/mine" --no-other -o m.tar.zst \
		>/dev/null 2>&1
	tar -tf m.tar.zst >list
	grep -q "data/var/log/auth.log$" list
	if grep -q "data/var/log/syslog$" list; then exit 1; fi
'
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
	t "a collect opens nothing of the host outside its root (strace)" '
		env -i PATH= OPENSSL_CONF=/etc/ssl/openssl.cnf "$(command -v strace)" -f -qq \
			-e trace=open,openat,openat2 -o "$PWD/trace" "$BIN" collect \
			--root "$TRASH/root" -o b.tar.zst >/dev/null 2>&1
		grep -v "execve\|^[0-9]* +++" trace | grep "open" >opens
		# Three exceptions, all optional: the local time zone (TZ, else /etc/localtime; UTC
		# without it), the name of the account logpack runs as (musl reads /etc/passwd
		# itself, no NSS; host.json records null without it), and the CPU quota of logpack itself
		# (/proc/self/cgroup and the cpu.max files of its cgroup), which sizes its threads.
		if grep -v "\"$TRASH/" opens | grep -v "\"/etc/localtime\"\|\"/etc/passwd\"" |
			grep -v "\"/proc/self/cgroup\"\|\"/sys/fs/cgroup/\([^\"]*/\)\{0,1\}cpu\.max\"" |
			grep -E "\"/(etc|usr|lib|lib64|var|run|proc|sys)/"; then
			echo "opened outside the root" >&2; exit 1
		fi
		# Files under the root are opened relative to its directory, by their last name.
		contains opens "\"auth.log\""
	'
else
	t "strace can trace here (needed to see what the binary opens)" 'false'
fi
if [ -x "$BIN" ]; then
	echo "# size of $(basename "$BIN"): $(wc -c <"$BIN") bytes"
fi
test_done
