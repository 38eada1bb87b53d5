#!/bin/sh
# Small files given by name (configuration, incident reports) are read only when they are
# regular files: a FIFO or a device fails at once, naming the path, instead of hanging.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

t "collect --config FIFO fails at once: the path and \"not a regular file\", nothing written" '
	mkfifo fifo
	mkdir out
	expect_code 3 timeout 10 "$LOGPACK" collect --root "$T" -o out --config fifo 2>err
	contains err "config fifo: not a regular file"
	test -z "$(ls out)"
'

t "collect --config /dev/null (a device) is refused the same way" '
	expect_code 3 timeout 10 "$LOGPACK" collect --root "$T" --dry-run --config /dev/null 2>err
	contains err "config /dev/null: not a regular file"
'

t "incident check FIFO fails at once instead of waiting for a writer" '
	mkfifo fifo
	expect_code 3 timeout 10 "$LOGPACK" incident check fifo 2>err
	contains err "fifo"
'

t "a regular file by the same route is still read (the check is on the type, not the name)" '
	printf "# no settings\n" >conf
	mkdir out
	expect_code 0 timeout 60 "$LOGPACK" collect --root "$T" -o out --dry-run --config conf
'

test_done
