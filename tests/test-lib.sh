# A small TAP library for the shell tests: source it, call t "description" 'commands', end with
# test_done. Each test runs in a subshell with set -e in a scratch directory of its own; its output is
# shown (as TAP comments) only when it fails.
set -u
: "${LOGPACK:?LOGPACK must name the logpack binary (make check sets it)}"
: "${TEST_SRCDIR:?}"

test_count=0
test_failed=0
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/logpack-test.XXXXXX")
trap 'test_cleanup' EXIT
cd "$TRASH" || exit 1

test_cleanup() {
	# A test may leave read-only or unreadable trees behind.
	chmod -R u+rwX "$TRASH" 2>/dev/null
	rm -rf "$TRASH"
}

# t DESCRIPTION COMMANDS: one TAP test point.
t() {
	test_count=$((test_count + 1))
	mkdir -p "$TRASH/t$test_count"
	(
		# Each test starts in a scratch directory of its own.
		cd "$TRASH/t$test_count" || exit 1
		set -e
		eval "$2"
	) >"$TRASH/.out.$test_count" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		echo "#   exit status $rc; output:"
		sed 's/^/#   /' "$TRASH/.out.$test_count" | tail -n 40
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" -eq 0 ]
}

# expect_code N COMMAND...: run COMMAND, fail unless it exits with N.
expect_code() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "expected exit $want, got $got: $*" >&2
		return 1
	fi
}

# in_flight PID DIR: wait (up to 20 s) until the run PID has its temporary bundle in DIR, then
# a little more, so that what the caller does next comes mid-run; fail if the run ended first.
# Tests that act on a run in flight give it a read-rate cap (--io-rate) to make it last,
# rather than work that a fast machine finishes before the signal.
in_flight() {
	_n=0
	while [ -z "$(ls -A "$2")" ]; do
		kill -0 "$1" 2>/dev/null || { echo "the run ended before it was acted on" >&2; return 1; }
		_n=$((_n + 1))
		[ $_n -lt 200 ] || { echo "no temporary bundle in $2 after 20 s" >&2; return 1; }
		sleep 0.1
	done
	sleep 0.3
	kill -0 "$1" 2>/dev/null || { echo "the run ended before it was acted on" >&2; return 1; }
}

# contains FILE TEXT: fail unless FILE contains the fixed string TEXT.
contains() {
	if ! grep -qF -- "$2" "$1"; then
		echo "'$1' does not contain '$2'; it holds:" >&2
		head -n 30 "$1" >&2
		return 1
	fi
}

# lacks FILE TEXT: fail if FILE contains the fixed string TEXT.
lacks() {
	if grep -qF -- "$2" "$1"; then
		echo "'$1' unexpectedly contains '$2'" >&2
		return 1
	fi
}

# refute COMMAND...: fail if COMMAND succeeds. Unlike a line "! COMMAND", which set -e never
# stops on, this fails the test wherever it stands (tests/check-dead-asserts.py finds the other).
refute() {
	if "$@"; then
		echo "unexpectedly succeeded: $*" >&2
		return 1
	fi
}

# flip_byte FILE POS: invert every bit of the byte at offset POS. Writing a fixed byte instead
# changes nothing when the file already holds it (1 time in 256 for random data), and the test
# then fails by chance; an inverted byte always differs.
flip_byte() {
	_fb=$(od -An -tu1 -j "$2" -N1 "$1" 2>/dev/null | tr -d " ")
	[ -n "$_fb" ] || { echo "flip_byte: $1 has no byte at $2" >&2; return 1; }
	printf "$(printf '\\%03o' $((_fb ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

lp() {
	"$LOGPACK" "$@"
}

# peak_rss_kb COMMAND...: run COMMAND (output discarded, exit status ignored) and print its
# peak RSS in KiB. Under AddressSanitizer freed memory waits in a quarantine (hundreds of
# MiB), which is not the program's own use: the quarantine is off for the measurement (a
# normal build ignores the variable).
peak_rss_kb() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
		python3 -c "
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)" "$@"
}

# lp_nodac ARGS...: run logpack without the capabilities that let root read any file, so that
# a mode-000 file is unreadable even when the suite runs as root (as CI does).
lp_nodac() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --bounding-set=-dac_override,-dac_read_search \
			--inh-caps=-dac_override,-dac_read_search -- "$LOGPACK" "$@"
	else
		"$LOGPACK" "$@"
	fi
}

# make_debian_tree DIR: a small Debian-like host root with the usual logs.
make_debian_tree() {
	mkdir -p "$1/etc" "$1/var/log/apt" "$1/var/log/nginx" "$1/var/log/journal/abc" "$1/run"
	printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n' \
		>"$1/etc/os-release"
	echo testhost >"$1/etc/hostname"
	printf 'root:x:0:0:root:/root:/bin/bash\nsyslog:x:104:110::/home/syslog:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n' \
		>"$1/etc/passwd"
	printf 'root:x:0:\nadm:x:4:syslog\nalice:x:1000:\n' >"$1/etc/group"
	echo "Europe/Stockholm" >"$1/etc/timezone"
	for i in 1 2 3 4 5; do
		echo "Nov 27 10:0$i:00 testhost sshd[12$i]: Failed password for root from 203.0.113.$i port 22 ssh2"
	done >"$1/var/log/auth.log"
	seq 1 2000 | sed 's/^/Nov 26 syslog line /' >"$1/var/log/syslog"
	seq 1 500 | sed 's/^/Nov 25 rotated line /' >"$1/var/log/syslog.1"
	seq 1 500 | sed 's/^/Nov 24 older line /' | gzip -9 >"$1/var/log/syslog.2.gz"
	head -c 1152 /dev/urandom >"$1/var/log/wtmp"
	head -c 384 /dev/urandom >"$1/var/log/btmp"
	echo "2024-05-01 12:00:00 install openssh-server" >"$1/var/log/dpkg.log"
	echo "Start-Date: 2024-05-01" >"$1/var/log/apt/history.log"
	echo '203.0.113.9 - - [27/Nov/2026:10:00:00 +0000] "GET /.env HTTP/1.1" 404 153' \
		>"$1/var/log/nginx/access.log"
	head -c 4096 /dev/urandom >"$1/var/log/journal/abc/system.journal"
	chown 104:4 "$1/var/log/syslog" 2>/dev/null || :
}

# meta_tree DIR: a line per entry with size, mode, mtime and atime; reads no file content.
# (A symbolic link's atime is left out: reading a link's target sets it, and no flag avoids it.)
meta_tree() {
	(cd "$1" && find . \( -type l -printf '%p %y %s %m %T@\n' \) -o -printf '%p %y %s %m %T@ %A@\n' |
		LC_ALL=C sort)
}

# content_tree DIR: the SHA-256 of every regular file that can be read, paths of any length.
content_tree() {
	python3 - "$1" <<"PY"
import hashlib, os, sys
out = []
for top, dirs, files, fd in os.fwalk(os.fsencode(sys.argv[1])):
    for name in files:
        try:
            f = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        except OSError:
            continue
        try:
            h = hashlib.sha256()
            while True:
                chunk = os.read(f, 1 << 20)
                if not chunk:
                    break
                h.update(chunk)
            out.append((os.path.join(top, name), h.hexdigest()))
        except OSError:
            pass
        finally:
            os.close(f)
for path, digest in sorted(out):
    print(digest, path.decode("utf-8", "backslashreplace"))
PY
}

# bag_of BUNDLE DIR: extract BUNDLE with the stock tar into DIR; print the bag directory.
bag_of() {
	mkdir -p "$2"
	tar -xf "$1" -C "$2"
	echo "$2"/logpack-*
}
