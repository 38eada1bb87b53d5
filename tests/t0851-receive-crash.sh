#!/bin/sh
# receive killed at every step of a move (LOGPACK_TEST_CRASH_AT, the test-only hook of
# src/series/recovery.c, makes it SIGKILL itself at a named place):
#   receive-staging   the first file of the group is in the staging directory, the rest not
#   receive-staged    all files are staged, nothing verified yet
#   receive-verdict   verdict.txt and the receipt are written, verdict.json (the decision) not
#   receive-decided   verdict.json is written; the directory is still staged
#   receive-moved     the directory is in accepted/, the directories not yet synced
# After each, the bundle and its companions are all in one place (the inbox and its staging
# directory, or accepted/), and the next run finishes the move: every file once, in accepted/.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/receive-lib.sh"

receive_fixture
B=$(plain_bundle)
N=$(basename "$B")
S=${N%.tar.zst}

# where FILE: "inbox", "staged", "accepted" or "rejected" for one of the group's files.
where() {
	if [ -f "in/$1" ]; then echo inbox; fi
	if [ -f "in/.logpack-receive/$S/$1" ]; then echo staged; fi
	if [ -f "acc/$S/$1" ]; then echo accepted; fi
	if [ -f "rej/$S/$1" ]; then echo rejected; fi
}

for point in receive-staging receive-staged receive-verdict receive-decided receive-moved; do
	t "killed at $point: nothing half-moved, and the next run finishes the move" '
		new_inbox
		cp "$B" "$B.sha256" in/
		echo "TLP:GREEN" >"in/$N.label"
		CRASH_AT='"$point"' expect_code 137 receive >out 2>err
		# Every file is somewhere exactly once; none is in accepted/ unless all are.
		places=""
		for f in "$N" "$N.sha256" "$N.label"; do
			w=$(where "$f")
			test "$(echo "$w" | wc -w)" = 1
			places="$places $w"
		done
		case "$places" in
		*accepted*) test "$places" = " accepted accepted accepted" ;;
		*) case "$places" in *rejected*) exit 1 ;; esac ;;
		esac
		case '"$point"' in
		receive-staging) test "$places" != " staged staged staged" ;;
		receive-moved) test "$places" = " accepted accepted accepted" ;;
		*) test "$places" = " staged staged staged" ;;
		esac
		# No reader is left behind by the killed run (readers of other tests running beside
		# this one are not ours: ours name the trust file of this one).
		test -z "$(pgrep -f -- "--reader-child .*--trust=$TRASH/" || :)"
		expect_code 0 receive >out 2>err
		if [ '"$point"' != receive-moved ]; then
			contains out "$N: accepted: valid, signed by /O=Sender Org/CN=sender, trusted"
		fi
		for f in "$N" "$N.sha256" "$N.label"; do test "$(where "$f")" = accepted; done
		cmp "$B" "acc/$S/$N"
		test "$(ls -A in)" = .logpack-receive
		test -z "$(ls -A in/.logpack-receive)"
		test -z "$(ls rej)"
		test "$(ls acc)" = "$S"
		test -z "$(ls -A "acc/$S" | grep "^\." || :)"
		contains "acc/$S/$N.verdict.json" "\"disposition\": \"accepted\""
		openssl cms -verify -binary -inform DER -in "acc/$S/$N.receipt.p7s" \
			-content "acc/$S/$N.receipt" -CAfile "$FX/cert.crt" -purpose any >/dev/null
	'
done
t "killed while staging a rejected bundle: it still ends whole in rejected/" '
	new_inbox
	cp "$B" "$B.sha256" in/
	printf x >>"in/$N"
	echo "TLP:GREEN" >"in/$N.label"
	CRASH_AT=receive-staging expect_code 137 receive >out 2>err
	expect_code 4 receive >out 2>err
	contains out "$N: rejected"
	for f in "$N" "$N.sha256" "$N.label"; do test "$(where "$f")" = rejected; done
	test -z "$(ls acc)"
'
t "killed while staging: a bundle whose name starts with the same stem keeps its own files" '
	new_inbox
	cp "$B" "$B.sha256" in/
	echo "TLP:GREEN" >"in/$N.label"
	cp "$B" "in/$S.x.tar.zst"
	(cd in && sha256sum "$S.x.tar.zst" >"$S.x.tar.zst.sha256")
	CRASH_AT=receive-staging expect_code 137 receive >out 2>err
	expect_code 0 receive >out 2>err
	contains out "$N: accepted"
	contains out "$S.x.tar.zst: accepted"
	test "$(ls "acc/$S" | grep -c -v -e verdict -e receipt)" = 3
	test "$(ls "acc/$S.x" | grep -c -v -e verdict -e receipt)" = 2
	test -f "acc/$S.x/$S.x.tar.zst.sha256"
'
test_done
