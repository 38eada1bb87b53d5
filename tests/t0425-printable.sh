#!/bin/sh
# Names and claims from a bundle reach the terminal escaped: C0 and DEL as \xHH, and C1 controls
# (U+009B is a one-byte CSI on many terminals) and bidirectional overrides as \u{HHHH}.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a bundle with an added member whose name holds a C1 CSI and a bidi override" '
	cd "$FX"
	make_root root
	lp -q collect --root root -o b.tar >/dev/null
	T=$(unpack b.tar x)
	pyrepack x hostile.tar "file:TOP/data/evil$(printf "\302\233")2J$(printf "\342\200\256")gpj.exe:x"
'
t "verify names the added member with C1 and bidi controls escaped" '
	cd "$FX"
	expect_code 4 lp verify hostile.tar >out
	contains out "data/evil\\u{009B}2J\\u{202E}gpj.exe"
	refute grep -q "$(printf "\302\233")" out
	refute grep -q "$(printf "\342\200\256")" out
'
t "show --files does not print the raw controls either" '
	cd "$FX"
	lp show --files hostile.tar >out 2>&1 || :
	refute grep -q "$(printf "\302\233")" out
	refute grep -q "$(printf "\342\200\256")" out
'
t "a bundle file name with terminal controls is shown escaped in the verify lines" '
	cd "$FX"
	name="b$(printf "\033")[2J$(printf "\302\233")x.tar"
	cp b.tar "$name"
	expect_code 0 lp verify "$name" >out
	contains out "b\\x1b[2J\\u{009B}x.tar: valid"
	refute grep -q "$(printf "\033")" out
	expect_code 3 lp verify "$name.missing" >out
	contains out "b\\x1b[2J\\u{009B}x.tar.missing: cannot read"
	refute grep -q "$(printf "\033")" out
'
test_done
