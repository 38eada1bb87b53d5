#!/bin/sh
# `logpack incident ask` on a real pseudo-terminal (script(1) from util-linux): typing the answers
# gives the same file as filling in the template with an editor, in both languages.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

# on_terminal INPUT COMMAND: run COMMAND on a new pseudo-terminal, typing INPUT into it.
on_terminal() {
	input=$1
	shift
	# script runs the command in a shell: quote every argument for it.
	cmd=
	for arg in "$@"; do
		cmd="$cmd '$arg'"
	done
	script -qec "$cmd" /dev/null <"$input" >typescript
}

for lang in en sv; do
	t "ask ($lang) writes the same file as the template filled in by hand" "
		answers_$lang >answers &&
		lp incident init --lang $lang tmpl 2>/dev/null && fill tmpl answers >by-hand.txt &&
		typed answers >keys &&
		on_terminal keys \"\$LOGPACK\" incident ask --lang $lang asked.txt &&
		cmp by-hand.txt asked.txt &&
		test \"\$(stat -c %a asked.txt)\" = 600 &&
		lp incident check asked.txt
	"
done

t "ask takes its defaults from an existing file, and its language" '
	answers_sv >answers &&
	lp incident init --lang sv tmpl 2>/dev/null && fill tmpl answers >r.txt &&
	cp r.txt before.txt &&
	: >keys && i=0 && while [ $i -lt 30 ]; do echo >>keys; i=$((i + 1)); done &&
	on_terminal keys "$LOGPACK" incident ask r.txt &&
	contains typescript "Vad har hänt? (obligatorisk)" &&
	contains typescript "[Exempel AB]" &&
	cmp before.txt r.txt
'

t "ask asks again until the answer passes its check" '
	answers_en >answers &&
	lp incident init tmpl 2>/dev/null && fill tmpl answers >by-hand.txt &&
	typed answers | awk "/^anna@example.se\$/ { print \"anna.example.se\" } /^TLP:AMBER\$/ { print \"TLP:WHITE\" } { print }" >keys &&
	on_terminal keys "$LOGPACK" incident ask asked.txt &&
	contains typescript "'"'anna.example.se'"' is not a plausible email address" &&
	contains typescript "TLP:WHITE is TLP 1.0" &&
	cmp by-hand.txt asked.txt
'

t "ask writes nothing when the input ends early" '
	printf "Example AB\nAnna\n" >keys &&
	on_terminal keys "$LOGPACK" incident ask asked.txt || true &&
	contains typescript "nothing written to asked.txt" &&
	test ! -e asked.txt
'
test_done
