#!/bin/sh
# The command line: help, version, unknown commands and options.
. "$TEST_SRCDIR/test-lib.sh"

t "--version prints the version" '
	lp --version >out && grep -E "^logpack [0-9]+\.[0-9]+\.[0-9]+$" out
'
t "--help lists the commands and exits 0" '
	lp --help >out && contains out "usage: logpack" && contains out "Commands:"
'
t "no command is a usage error (exit 2)" '
	expect_code 2 lp 2>err && contains err "usage: logpack"
'
t "an unknown command exits 2 and names it" '
	expect_code 2 lp frobnicate 2>err && contains err "unknown command '"'"'frobnicate'"'"'"
'
t "an unknown global option exits 2" '
	expect_code 2 lp --bogus 2>err && contains err "usage"
'
test_done
