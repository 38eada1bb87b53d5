#!/bin/sh
# schedule install twice with the same options changes nothing and says so ("unchanged"), so
# that configuration tools (the Ansible role in contrib/) can tell a change from none; other
# options rewrite the files.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"

t "cron: the same install twice writes once, then says unchanged and leaves the file alone" '
	mkdir cron
	lp schedule install --cron --cron-dir cron --every 1h --state st -o out --root "$T" >o1
	grep -qx "wrote cron/logpack-snapshot" o1
	cp cron/logpack-snapshot first
	touch -d 2000-01-01 cron/logpack-snapshot
	ino=$(stat -c %i cron/logpack-snapshot)
	lp schedule install --cron --cron-dir cron --every 1h --state st -o out --root "$T" >o2
	grep -qx "unchanged cron/logpack-snapshot" o2
	test "$(stat -c %i cron/logpack-snapshot)" = "$ino"
	test "$(stat -c %Y cron/logpack-snapshot)" = "$(date -d 2000-01-01 +%s)"
	cmp first cron/logpack-snapshot
	lp schedule install --cron --cron-dir cron --every 2h --state st -o out --root "$T" >o3
	grep -qx "wrote cron/logpack-snapshot" o3
	grep -q "^0 \*/2 \* \* \* root " cron/logpack-snapshot
'

t "systemd units: unchanged for the same options, each file judged on its own" '
	mkdir units
	lp schedule install --systemd --unit-dir units --every 15m --state st2 -o out2 --root "$T" >o1
	grep -qx "wrote units/logpack-snapshot.service" o1
	grep -qx "wrote units/logpack-snapshot.timer" o1
	lp schedule install --systemd --unit-dir units --every 15m --state st2 -o out2 --root "$T" >o2
	grep -qx "unchanged units/logpack-snapshot.service" o2
	grep -qx "unchanged units/logpack-snapshot.timer" o2
	lp schedule install --systemd --unit-dir units --every 15m --state st2 -o out2 --root "$T" \
		--profile debian >o3
	grep -qx "wrote units/logpack-snapshot.service" o3
	grep -qx "unchanged units/logpack-snapshot.timer" o3
	grep -q "^ExecStart=.* --profile debian" units/logpack-snapshot.service
'

t "a file logpack did not write is still never replaced, same text or not" '
	mkdir cron3
	lp schedule install --cron --cron-dir cron3 --every 1h --state st -o out --root "$T" --dry-run |
		sed 1d >cron3/logpack-snapshot
	sed -i 1d cron3/logpack-snapshot
	cp cron3/logpack-snapshot foreign
	expect_code 3 lp schedule install --cron --cron-dir cron3 --every 1h --state st -o out \
		--root "$T" 2>err
	contains err "was not written by logpack schedule"
	cmp foreign cron3/logpack-snapshot
'

t "--dry-run says on stderr whether install would write each file or leave it unchanged" '
	mkdir cron4
	lp schedule install --cron --cron-dir cron4 --every 1h --state st -o out --root "$T" \
		--dry-run >o 2>e
	grep -qx "logpack: would write cron4/logpack-snapshot" e
	test -z "$(ls cron4)"
	lp schedule install --cron --cron-dir cron4 --every 1h --state st -o out --root "$T" >/dev/null
	lp schedule install --cron --cron-dir cron4 --every 1h --state st -o out --root "$T" \
		--dry-run >o 2>e
	grep -qx "logpack: unchanged cron4/logpack-snapshot" e
	lp schedule install --cron --cron-dir cron4 --every 1d --state st -o out --root "$T" \
		--dry-run >o 2>e
	grep -qx "logpack: would write cron4/logpack-snapshot" e
'

test_done
