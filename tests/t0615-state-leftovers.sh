#!/bin/sh
# The state files are written through temporaries; the temporaries a killed run leaves in the
# state directory are removed by the next run, and nothing else there is touched.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

t "a run leaves state.json (0600) and no temporary beside it" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	test "$(stat -c %a st/state.json)" = 600
	python3 -c "import json, sys; json.load(open(sys.argv[1]))" st/state.json
	test -z "$(ls -A st | grep -v -x -e lock -e state.json)"
'

t "temporaries of a killed run are removed by the next run; other files stay" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	echo partial >st/.state.json.Ab12Cd
	echo partial >st/.pending.json.Zz9Yy8
	echo partial >st/.state.json.tmp
	echo mine >st/.state.json.notours
	echo mine >st/notes
	"$LOGPACK" snapshot --state st --root "$T" -o out >/dev/null
	test ! -e st/.state.json.Ab12Cd
	test ! -e st/.pending.json.Zz9Yy8
	test ! -e st/.state.json.tmp
	test "$(cat st/.state.json.notours)" = mine
	test "$(cat st/notes)" = mine
	test "$(ls out/*.tar.zst | wc -l)" = 2
'

test_done
