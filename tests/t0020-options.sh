#!/bin/sh
# Options every command shares: -v and -q after the command name, one message for an unknown
# option or a missing value; and the collection option table that collect, snapshot and
# schedule share (what snapshot refuses, and why; help made from the table).
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

t "-v, --verbose, -q and --quiet are taken after the command name, by every command" '
	for cmd in collect decrypt encrypt extract keygen receive redact schedule show snapshot \
		upload verify verify-receipt; do
		for g in -v --verbose -q --quiet; do
			lp $cmd $g --help >out 2>err || { echo "$cmd $g:"; cat err; exit 1; }
			grep -q "^usage: logpack $cmd" out
		done
	done
	for g in -v --verbose -q --quiet; do
		lp profiles list $g >out
		grep -q "^debian " out
		lp incident show $g --help >out
		grep -q "^usage: logpack incident" out
	done
'

t "collect -q says nothing on stderr; collect -v says more than a plain run" '
	lp collect --root "$T" -o plain.tar.zst >/dev/null 2>plain.err
	test -s plain.err
	lp collect -q --root "$T" -o quiet.tar.zst >/dev/null 2>quiet.err
	if [ -s quiet.err ]; then cat quiet.err; exit 1; fi
	lp collect --root "$T" -o loud.tar.zst -v >/dev/null 2>loud.err
	grep -q "profile debian" loud.err
	if grep -q "profile debian:" plain.err; then exit 1; fi
'

t "-v after the command name is the same as before it" '
	lp collect --root "$T" --dry-run -v >a 2>a.err
	lp -v collect --root "$T" --dry-run >b 2>b.err
	cmp a b
	cmp a.err b.err
'

t "upload keeps its own -v and takes -q too" '
	expect_code 2 lp upload -v 2>err
	contains err "--to URL is required"
	expect_code 2 lp upload -q 2>err
	contains err "--to URL is required"
'

t "an unknown option: one message naming it, with the usage, exit 2, for every command" '
	for cmd in collect decrypt encrypt extract keygen receive redact schedule show snapshot \
		upload verify verify-receipt; do
		expect_code 2 lp $cmd --no-such-option 2>err
		contains err "logpack: unknown option '"'"'--no-such-option'"'"'"
		contains err "usage: logpack $cmd"
		expect_code 2 lp $cmd -Z 2>err
		contains err "logpack: unknown option '"'"'-Z'"'"'"
	done
	expect_code 2 lp profiles list --no-such-option 2>err
	contains err "logpack: unknown option '"'"'--no-such-option'"'"'"
	expect_code 2 lp incident check --no-such-option 2>err
	contains err "logpack: unknown option '"'"'--no-such-option'"'"'"
'

t "an unknown global option gets the same message, with the main usage" '
	expect_code 2 lp --no-such-option collect 2>err
	contains err "logpack: unknown option '"'"'--no-such-option'"'"'"
	contains err "usage: logpack [--verbose|--quiet] COMMAND"
'

t "a missing value: one message naming the option, for every command" '
	for cmdopt in "collect --root" "snapshot --state" "schedule --every" "verify --trust" \
		"show --trust" "extract --trust" "keygen --out" "upload --to" "profiles detect --root"; do
		opt=${cmdopt##* }
		expect_code 2 lp $cmdopt 2>err
		contains err "logpack: option '"'"'$opt'"'"' needs a value"
	done
'

t "snapshot refuses the options that would cut files, with the reason" '
	for o in "--since 2024-01-01" "--until 2024-01-01" "--max-file-size 1M" "--skip-large"; do
		expect_code 2 lp snapshot --state st -o out --root "$T" $o 2>err
		contains err "logpack: ${o%% *} does not go with snapshots (a series must hold every byte of a file to prove that nothing was left out)"
	done
	expect_code 2 lp snapshot --state st -o out --root "$T" --dry-run 2>err
	contains err "--dry-run does not go with snapshots"
	test ! -e st
'

t "collect refuses the options of a series, with the reason" '
	for o in "--state st" "--keep 3" "--keep-for 7d"; do
		expect_code 2 lp collect --root "$T" $o 2>err
		contains err "logpack: ${o%% *} does not go with collect (it belongs to a series"
	done
	if ls ./*.tar.zst 2>/dev/null; then exit 1; fi
'

t "collect and snapshot print the same help line for every option they share" '
	lp collect --help >c
	lp snapshot --help >s
	for o in category compress config exclude force level passphrase-file profile root \
		sign-cert sign-chain; do
		line=$(grep -- "--$o " c)
		test -n "$line"
		grep -qxF -- "$line" s
	done
	for o in since until max-file-size skip-large dry-run; do
		grep -q -- "--$o" c
		if grep -q -- "--$o" s; then echo "snapshot lists --$o"; exit 1; fi
	done
	for o in state keep keep-for; do
		grep -q -- "--$o" s
		if grep -q -- "--$o " c; then echo "collect lists --$o"; exit 1; fi
	done
	lp help snapshot >s2
	cmp s s2
'

t "schedule --help names the snapshot options it passes on, from the same table" '
	lp schedule --help >h
	for o in state output root profile incident upload keep keep-for sign-key; do
		grep -q -- "--$o\\b" h
	done
	if grep -q -- "--since" h; then exit 1; fi
'

t "the help lines fit in 80 columns" '
	for cmd in collect snapshot schedule; do
		lp $cmd --help >h
		if awk "/^ / && length > 80" h | grep .; then exit 1; fi
	done
'
test_done
