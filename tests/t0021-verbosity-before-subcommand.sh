#!/bin/sh
# The global -v and -q between a command and its subcommand ("logpack profiles -v list",
# "logpack incident -q check FILE") mean what they mean after it.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

t "profiles -v SUBCOMMAND is profiles SUBCOMMAND -v" '
	lp profiles -v detect --root "$T" >a 2>a.err
	lp profiles detect --root "$T" -v >b 2>b.err
	cmp a b
	cmp a.err b.err
	grep -q "^profile: debian" a
	lp profiles --verbose list >c
	grep -q "^debian " c
	lp profiles -vv list >d
	cmp c d
'

t "incident -q ACTION is incident ACTION -q" '
	lp incident init report.txt
	lp incident -q check report.txt >a 2>a.err || echo "rc=$?" >>a
	lp incident check -q report.txt >b 2>b.err || echo "rc=$?" >>b
	cmp a b
	cmp a.err b.err
	lp incident --quiet --help >h
	grep -q "^usage: logpack incident" h
'

t "anything else before the subcommand is still refused" '
	expect_code 2 lp profiles -x list 2>err
	contains err "unknown subcommand"
	expect_code 2 lp incident -vx check 2>err
	contains err "unknown action"
	expect_code 2 lp profiles -v 2>err
	contains err "profiles needs a subcommand"
'

test_done
