#!/bin/sh
# Secrets: a passphrase file others may read is refused; while a key is held the process
# writes no core file and cannot be attached to or read through /proc by its own user.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a root and keys" '
	cd "$FX"
	make_root root
	make_key k "/CN=Secrets"
'
t "a passphrase file that group or others may read is refused, by keygen and by collect" '
	cd "$FX"
	printf "correct horse battery\n" >pass
	chmod 644 pass
	expect_code 3 lp keygen --out pk --subject /CN=P --passphrase-file pass 2>err
	contains err "pass: permissions 0644 are too open: a passphrase file must not be accessible by group or others"
	test ! -e pk.key
	chmod 600 pass
	lp -q keygen --out pk --subject /CN=P --passphrase-file pass >/dev/null
	chmod 640 pass
	expect_code 3 lp collect --root root -o x.tar --sign-key pk.key --sign-cert pk.crt \
		--passphrase-file pass 2>err
	contains err "a passphrase file must not be accessible by group or others"
	test ! -e x.tar
'
t "once a key is read: no core file, and not dumpable (its /proc files owned by root)" '
	cd "$FX"
	# An unprivileged user runs it: a dumpable process owns its /proc files. The key is
	# encrypted and no passphrase is given, so logpack waits at its terminal prompt, holding
	# the key file'"'"'s contents. The core limit is raised first, so that 0 is logpack'"'"'s doing.
	ulimit -c unlimited
	printf "correct horse battery\n" >p
	chmod 600 p
	mkdir nb
	cp -r root nb/
	lp -q keygen --out nb/ek --subject /CN=E --passphrase-file p >/dev/null
	chown -R nobody nb
	chmod 755 . nb
	cd nb
	sleep 10 | script -qec "setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		$LOGPACK collect --root root -o held-key-$$.tar --sign-key ek.key --sign-cert ek.crt" \
		/dev/null >typescript 2>&1 &
	pid=""
	for _ in $(seq 1 100); do
		pid=$(pgrep -u nobody -f "held-key-$$" | head -n 1)
		if [ -n "$pid" ] && grep -q "Passphrase for" typescript; then break; fi
		sleep 0.05
	done
	test -n "$pid"
	owner=$(stat -c %u /proc/$pid/status)
	core=$(awk "/^Max core file size/ { print \$5 \" \" \$6 }" /proc/$pid/limits)
	kill $pid
	test "$owner" = 0
	test "$core" = "0 0"
'
test_done
