#!/bin/sh
# verify and extract --require trusted|signed|valid: exit 0 when the bundle meets the level,
# 5 (NOT trusted), 6 (unsigned) or 4 (INVALID) when it does not; the default level.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

# verify_levels LEVEL|default WANT_TRUSTED WANT_UNTRUSTED WANT_UNSIGNED WANT_INVALID: the exit
# code of verify for each outcome, with --trust (good.crt trusts signed.tar.zst, other.crt not).
verify_levels() {
	if [ "$1" = default ]; then set -- "" "$2" "$3" "$4" "$5"; else set -- "--require=$1" "$2" "$3" "$4" "$5"; fi
	expect_code "$2" lp verify $1 --trust good.crt signed.tar.zst >out
	contains out "signed.tar.zst: valid, signed by /CN=Signer, trusted"
	expect_code "$3" lp verify $1 --trust other.crt signed.tar.zst >out
	contains out "signed.tar.zst: valid, signed by /CN=Signer, NOT trusted"
	expect_code "$4" lp verify $1 --trust good.crt unsigned.tar.zst >out
	contains out "unsigned.tar.zst: valid, unsigned"
	expect_code "$5" lp verify $1 --trust good.crt bad.tar.zst >out
	contains out "bad.tar.zst: INVALID"
}

# extract_one OPTIONS WANT BUNDLE: extract into a new directory; a valid bundle is written
# whatever the level, an INVALID one never.
extract_one() {
	rm -rf x
	expect_code "$2" lp extract $1 "$3" x >out
	if [ "$2" -eq 4 ]; then
		refute test -e x/logpack-*
	else
		test -f x/logpack-*/bagit.txt
	fi
}

# extract_levels LEVEL|default WANT_TRUSTED WANT_UNTRUSTED WANT_UNSIGNED WANT_INVALID
extract_levels() {
	if [ "$1" = default ]; then set -- "" "$2" "$3" "$4" "$5"; else set -- "--require=$1" "$2" "$3" "$4" "$5"; fi
	extract_one "$1 --trust good.crt" "$2" signed.tar.zst
	extract_one "$1 --trust other.crt" "$3" signed.tar.zst
	extract_one "$1 --trust good.crt" "$4" unsigned.tar.zst
	extract_one "$1 --trust good.crt" "$5" bad.tar.zst
}

t "setup: keys, a signed, an unsigned and an INVALID bundle" 'cd "$FX"
	make_root root
	make_key good "/CN=Signer"
	make_key other "/CN=Someone Else"
	collect_signed signed.tar.zst good
	lp -q collect --root root -o unsigned.tar.zst >/dev/null
	cp unsigned.tar.zst bad.tar.zst
	printf "garbage" | dd of=bad.tar.zst bs=1 seek=200 conv=notrunc 2>/dev/null
	test -s signed.tar.zst
'
t "verify --require trusted: 0 trusted, 5 NOT trusted, 6 unsigned, 4 INVALID" 'cd "$FX"
	verify_levels trusted 0 5 6 4
'
t "verify --require signed: 0 trusted, 0 NOT trusted, 6 unsigned, 4 INVALID" 'cd "$FX"
	verify_levels signed 0 0 6 4
'
t "verify --require valid: 0 trusted, 0 NOT trusted, 0 unsigned, 4 INVALID" 'cd "$FX"
	verify_levels valid 0 0 0 4
'
t "verify with --trust and no --require: trusted is required" 'cd "$FX"
	verify_levels default 0 5 6 4
'
t "verify without --trust: valid is required; --require trusted then fails every bundle" 'cd "$FX"
	expect_code 0 lp verify signed.tar.zst >out
	contains out "signed.tar.zst: valid, signed by /CN=Signer, NOT trusted"
	expect_code 0 lp verify unsigned.tar.zst
	expect_code 4 lp verify bad.tar.zst
	expect_code 5 lp verify --require trusted signed.tar.zst
	expect_code 6 lp verify --require trusted unsigned.tar.zst
	expect_code 0 lp verify --require signed signed.tar.zst
	expect_code 6 lp verify --require signed unsigned.tar.zst
'
t "verify: several bundles give the worst code under the level" 'cd "$FX"
	expect_code 0 lp verify signed.tar.zst unsigned.tar.zst
	expect_code 6 lp verify --require signed signed.tar.zst unsigned.tar.zst
	expect_code 4 lp verify signed.tar.zst unsigned.tar.zst bad.tar.zst
'
t "verify --json: each exit_code and the summary follow the level" 'cd "$FX"
	expect_code 0 lp verify --json signed.tar.zst unsigned.tar.zst >a.json
	jq -e ".bundles[0].exit_code == 0 and .bundles[1].exit_code == 0 and .exit_code == 0" a.json
	jq -e ".bundles[0].outcome == \"untrusted\" and .bundles[1].outcome == \"unsigned\"" a.json
	expect_code 6 lp verify --json --require signed signed.tar.zst unsigned.tar.zst >b.json
	jq -e ".bundles[0].exit_code == 0 and .bundles[1].exit_code == 6 and .exit_code == 6" b.json
	expect_code 5 lp verify --json --require trusted signed.tar.zst >c.json
	jq -e ".bundles[0].exit_code == 5 and .exit_code == 5" c.json
'
t "show --json: the exit_code is the one show exits with" 'cd "$FX"
	expect_code 0 lp show --json --trust good.crt unsigned.tar.zst >s.json
	jq -e ".exit_code == 0 and .outcome == \"unsigned\"" s.json
'
t "extract --require trusted: 0, 5, 6 once extracted; 4 and nothing for INVALID" 'cd "$FX"
	extract_levels trusted 0 5 6 4
'
t "extract --require signed: 0, 0, 6, 4" 'cd "$FX"
	extract_levels signed 0 0 6 4
'
t "extract --require valid: 0, 0, 0, 4" 'cd "$FX"
	extract_levels valid 0 0 0 4
'
t "extract with --trust and no --require: trusted is required" 'cd "$FX"
	extract_levels default 0 5 6 4
'
t "extract without --trust: a valid unsigned or untrusted bundle exits 0" 'cd "$FX"
	extract_one "" 0 unsigned.tar.zst
	extract_one "" 0 signed.tar.zst
	extract_one "" 4 bad.tar.zst
	extract_one "--require signed" 6 unsigned.tar.zst
	extract_one "--require trusted" 5 signed.tar.zst
'
t "verify --chain and extract --chain: unsigned snapshots under each level" 'cd "$FX"
	mkdir series
	lp -q snapshot --state st --root root -o series >/dev/null
	echo "Jan  1 00:00:02 host sshd[2]: Accepted password for root" >>root/var/log/auth.log
	lp -q snapshot --state st --root root -o series >/dev/null
	expect_code 0 lp verify --chain series >v
	contains v "valid, unsigned"
	expect_code 6 lp verify --chain --require signed series >/dev/null
	expect_code 6 lp verify --chain --trust good.crt series >/dev/null
	expect_code 0 lp extract --chain series rebuilt0 >/dev/null
	cmp rebuilt0/var/log/auth.log root/var/log/auth.log
	expect_code 6 lp extract --chain --require trusted series rebuilt6 >/dev/null
'
t "a bad --require value is a usage error (exit 2) naming the levels" 'cd "$FX"
	expect_code 2 lp verify --require yes unsigned.tar.zst 2>err
	contains err "trusted, signed or valid"
	expect_code 2 lp extract --require "" unsigned.tar.zst never 2>err
	contains err "trusted, signed or valid"
	refute test -e never
'
test_done
