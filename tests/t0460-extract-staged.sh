#!/bin/sh
# extract in one pass: what is written is what was verified (a pipe works, a bundle fed twice
# cannot swap its bytes), staged in DIR and renamed into place only on a valid verdict; nothing
# already in DIR is followed, replaced or deleted.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"

t "setup: a signed bundle, and a tampered copy" 'cd "$FX"
	make_root root
	make_key good "/O=Good Org/CN=Good Signer"
	collect_signed b.tar.zst good
	T=$(unpack b.tar.zst x)
	basename "$T" >bagname
	echo "forged line" >>"$T/data/var/log/syslog"
	pyrepack x bad.tar
	expect_code 4 lp verify bad.tar >/dev/null
'
t "extract reads a bundle from standard input, and writes the bytes it verified" 'cd "$FX"
	expect_code 0 lp extract --trust good.crt - in <b.tar.zst >path 2>err
	contains err "trusted"
	B=$(cat path)
	test "$B" = "in/$(cat bagname)"
	(cd "$B" && sha256sum -c manifest-sha256.txt >/dev/null && sha256sum -c tagmanifest-sha256.txt >/dev/null)
	cmp "$B/data/var/log/syslog" root/var/log/syslog
	test "$(stat -c %a "$B")" = 700
	test "$(stat -c %a "$B/data/var/log/syslog")" = 600
	test "$(stat -c %Y "$B/data/var/log/syslog")" = "$(stat -c %Y root/var/log/syslog)"
'
# A two-pass extract (verify, then read again to copy) would verify the first stream and copy
# the second: the FIFO is fed a good bundle, and a tampered one once extract has finished (or
# after 5 s, to catch a reader that opens the FIFO a second time and waits there).
t "a FIFO fed a good bundle, then a tampered one: only the verified bytes are extracted" 'cd "$FX"
	rm -f pipe done
	mkfifo pipe
	(
		cat b.tar.zst >pipe
		n=0
		while [ ! -e done ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
		timeout 1 sh -c "cat bad.tar >pipe" 2>/dev/null || true
	) &
	feeder=$!
	expect_code 0 lp extract --trust good.crt pipe fifo >path 2>err
	touch done
	wait $feeder
	B=$(cat path)
	cmp "$B/data/var/log/syslog" root/var/log/syslog
	if grep -q "forged line" "$B/data/var/log/syslog"; then exit 1; fi
'
t "an INVALID bundle from a pipe: nothing lands in DIR, no staging directory is left" 'cd "$FX"
	mkdir -p keep
	expect_code 4 lp extract - keep <bad.tar 2>err
	contains err "refusing to extract an INVALID bundle"
	test -z "$(ls -A keep)"
	expect_code 4 lp extract - fresh <bad.tar 2>err
	test ! -e fresh
'
t "a symlink already in DIR where the bag goes is an error naming it, and is left alone" 'cd "$FX"
	mkdir -p trap elsewhere
	B=$(cat bagname)
	ln -s "$PWD/elsewhere" "trap/$B"
	expect_code 3 lp extract --trust good.crt b.tar.zst trap 2>err
	contains err "trap/$B: already exists (never overwritten)"
	test -L "trap/$B"
	test "$(readlink "trap/$B")" = "$PWD/elsewhere"
	test -z "$(ls -A elsewhere)"
	test "$(ls -A trap)" = "$B"
'
t "an empty directory already in DIR where the bag goes is not replaced" 'cd "$FX"
	B=$(cat bagname)
	mkdir -p empty/"$B"
	expect_code 3 lp extract --trust good.crt b.tar.zst empty 2>err
	contains err "already exists (never overwritten)"
	test -z "$(ls -A "empty/$B")"
	test "$(ls -A empty)" = "$B"
'
t "--force renames even an INVALID bag into place, and leaves no staging directory" 'cd "$FX"
	expect_code 4 lp extract --force bad.tar forced >path 2>err
	contains err "extracting anyway (--force)"
	B=$(cat path)
	grep -q "forged line" "$B/data/var/log/syslog"
	test "$(ls -A forced)" = "$(cat bagname)"
'
test_done
