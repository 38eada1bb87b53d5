#!/bin/sh
# The collection modules (src/gather/) never print, exit or install signal handlers: what a
# run has to say goes to its records or to the caller's observer, and src/cmd/ decides what
# reaches the terminal, the exit code and the signal policy.
. "$TEST_SRCDIR/test-lib.sh"

GATHER=$TOP_SRCDIR/src/gather

t "no terminal output from src/gather/ (log_*, progress meters, printf, stdout, stderr)" '
	if grep -nE "\<(log_(error|warn|info|verbose)|progress_(start|update|end)|printf|puts|putchar|perror)[[:space:]]*\(|\<(stdout|stderr)\>|STDERR_FILENO|STDOUT_FILENO" \
		"$GATHER"/*.c >found; then
		cat found
		false
	fi
'

t "no exit and no signal handlers in src/gather/" '
	if grep -nE "\<(exit|_exit|_Exit|abort|sigaction|signal)[[:space:]]*\(|\<SIG(INT|TERM|HUP)\>" \
		"$GATHER"/*.c >found; then
		cat found
		false
	fi
'

t "the signal policy lives in src/cmd/signals.c and both collecting commands install it" '
	grep -q "sigaction" "$TOP_SRCDIR/src/cmd/signals.c"
	grep -q "signals_install_bundle_cleanup()" "$TOP_SRCDIR/src/cmd/cmd-collect.c"
	grep -q "signals_install_bundle_cleanup()" "$TOP_SRCDIR/src/cmd/cmd-snapshot.c"
'

t "one signal policy: no handler is installed anywhere but src/cmd/signals.c" '
	if grep -lE "\<sigaction[[:space:]]*\(" "$TOP_SRCDIR"/src/*/*.c | grep -v "/src/cmd/signals.c$" >found; then
		cat found
		false
	fi
	grep -q "signals_install_upload_stop()" "$TOP_SRCDIR/src/cmd/upload-opts.c"
'
test_done
