# A small TAP library for the shell tests: source it, call t "description" 'commands', end with
# test_done. Each test runs in a subshell with set -e in a scratch directory; its output is
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
	(
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

lp() {
	"$LOGPACK" "$@"
}
