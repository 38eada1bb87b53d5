#!/bin/sh
# schedule install that cannot write its file fails (exit 3, the reason named) and leaves
# nothing behind; a rewrite replaces the file whole, with no temporary left beside it.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

t "a cron directory that does not exist: exit 3, the reason named" '
	expect_code 3 "$LOGPACK" schedule install --cron --cron-dir missing --every 1h \
		--state st -o out --root "$T" 2>e
	contains e "missing"
	test ! -e missing
'

t "a cron directory that is a file: exit 3, the file untouched" '
	echo keep >plain
	expect_code 3 "$LOGPACK" schedule install --cron --cron-dir plain --every 1h \
		--state st -o out --root "$T" 2>e
	contains e "plain"
	test "$(cat plain)" = keep
'

t "a directory where the cron file goes: exit 3, no temporary left" '
	mkdir -p cron/logpack-snapshot
	expect_code 3 "$LOGPACK" schedule install --cron --cron-dir cron --every 1h \
		--state st -o out --root "$T" 2>e
	test -d cron/logpack-snapshot
	test "$(ls -A cron)" = logpack-snapshot
'

t "installing twice replaces the file whole, mode 0644, nothing beside it" '
	mkdir cron2
	"$LOGPACK" schedule install --cron --cron-dir cron2 --every 1h --state st -o out \
		--root "$T" >/dev/null
	"$LOGPACK" schedule install --cron --cron-dir cron2 --every 2h --state st -o out \
		--root "$T" >/dev/null
	grep -q "^# logpack-schedule: every 2h" cron2/logpack-snapshot
	test "$(stat -c %a cron2/logpack-snapshot)" = 644
	test "$(ls -A cron2)" = logpack-snapshot
'

test_done
