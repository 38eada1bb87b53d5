#!/bin/sh
# At many files the walk's list goes to disk: each batch of entries, sorted, as a run in an
# unlinked temporary file in the output directory, merged back in path order as the files are
# collected (gather/walk-runs.c). LOGPACK_TEST_WALK_RUN=N makes a batch N entries, so that a
# small tree makes many runs: the bundle must hold what it holds with the list in memory.
. "$TEST_SRCDIR/test-lib.sh"

# records BUNDLE: each file's record, whole but for its access time, sorted.
records() {
	tar -xOf "$1" --wildcards "*/logpack/files.jsonl" | jq -c "del(.atime)" | sort
}

t "setup: rules that overlap, links, a FIFO, excluded files and 400 logs" '
	cd "$TRASH"
	mkdir -p root/var/log/app root/var/log/sub/deep root/var/log/out
	i=0
	while [ $i -lt 400 ]; do
		echo "line $i" >root/var/log/app/f$i.log
		i=$((i + 1))
	done
	echo deep >root/var/log/sub/deep/d.log
	echo skip >root/var/log/sub/x.gz
	ln -s /etc/shadow root/var/log/sub/link
	mkfifo root/var/log/sub/fifo
	touch -d "2020-01-01 00:00:00" root/var/log/app/f1*.log
	mkdir -p root/etc root/home/alice root/home/bob
	echo "alice:x:1000:1000::/home/alice:/bin/sh" >root/etc/passwd
	echo "ls" >root/home/alice/.bash_history
	echo "id" >root/home/bob/.bash_history
	printf "name runs\ndescription overlapping rules\n\n[application]\n/var/log/app/*.log\n\n[web]\n/var/log/sub/**\n\n[shell]\n~/.bash_history\n\n[system]\n/var/log/**\n" >runs.profile
	test "$(ls root/var/log/app | wc -l)" -eq 400
'
t "runs of 7 entries make the same bundle as the list in memory" '
	cd "$TRASH"
	lp -q collect --root root -p runs.profile --exclude "*.gz" -o mem.tar.zst
	LOGPACK_TEST_WALK_RUN=7 lp -q collect --root root -p runs.profile --exclude "*.gz" \
		-o runs.tar.zst
	records mem.tar.zst >mem.rec
	records runs.tar.zst >runs.rec
	test "$(wc -l <mem.rec)" -eq 406
	cmp mem.rec runs.rec
	tar -xOf mem.tar.zst --wildcards "*/manifest-sha256.txt" >mem.man
	tar -xOf runs.tar.zst --wildcards "*/manifest-sha256.txt" >runs.man
	test "$(wc -l <runs.man)" -eq 403
	cmp mem.man runs.man
	grep "/home/bob/.bash_history\"" runs.rec >bob.rec
	contains bob.rec "\"status\":\"collected\""
	grep "/var/log/app/f7.log\"" runs.rec >f7.rec
	contains f7.rec "\"mode\":\"0644\""
	contains f7.rec "\"size\":7"
	expect_code 0 lp verify runs.tar.zst >verify.out
	contains verify.out "valid"
'
t "--since and --max-file-size decide the same with the list on disk" '
	cd "$TRASH"
	lp -q collect --root root -p runs.profile --since 2021-01-01 --max-file-size 5 \
		-o mem-since.tar.zst
	LOGPACK_TEST_WALK_RUN=5 lp -q collect --root root -p runs.profile --since 2021-01-01 \
		--max-file-size 5 -o runs-since.tar.zst
	records mem-since.tar.zst >mem.rec
	records runs-since.tar.zst >runs.rec
	cmp mem.rec runs.rec
	test "$(grep -c "modified before --since" runs.rec)" -eq 111
	test "$(grep -c "\"stored_size\":5," runs.rec)" -ge 280
'
t "a file named by two rules keeps the first rule, whichever run it is in" '
	cd "$TRASH"
	records runs.tar.zst >runs.rec
	test "$(grep -c "\"category\":\"application\"" runs.rec)" -eq 400
	test "$(grep -c "\"category\":\"web\"" runs.rec)" -eq 4
	lacks runs.rec "\"category\":\"system\""
	grep "/var/log/sub/fifo\"" runs.rec >fifo.rec
	contains fifo.rec "\"status\":\"skipped\""
	grep "/var/log/sub/x.gz\"" runs.rec >gz.rec
	contains gz.rec "excluded by --exclude"
	grep "/var/log/sub/link\"" runs.rec >link.rec
	contains link.rec "\"link_target\":\"/etc/shadow\""
'
t "the temporary file is gone after the run, and nothing is left in the output directory" '
	cd "$TRASH"
	mkdir out
	LOGPACK_TEST_WALK_RUN=3 lp -q collect --root root -p runs.profile -o out
	test "$(ls -A out | wc -l)" -eq 2
	ls out | grep -q "\.tar\.zst$"
	ls out | grep -q "\.tar\.zst\.sha256$"
'
t "a file met again does not mark another as logpack's own output" '
	cd "$TRASH"
	mkdir -p own/var/log/out
	echo old >own/var/log/out/.b.tar.zst.old
	echo keep >own/var/log/out/a.log
	printf "name own\ndescription own output named twice\n\n[application]\n/var/log/out/.b.tar.zst.old\n/var/log/out/a.log\n/var/log/out/.b.tar.zst.old\n" >own.profile
	lp -q collect --root own -p own.profile -o own/var/log/out/b.tar.zst
	records own/var/log/out/b.tar.zst >own.rec
	grep "/var/log/out/a.log\"" own.rec >a.rec
	contains a.rec "\"status\":\"collected\""
	grep "b.tar.zst.old\"" own.rec >s.rec
	contains s.rec "logpack'"'"'s own output"
'
t "a full output directory stops the walk with a clear error, and leaves no bundle" '
	cd "$TRASH"
	mkdir -p small
	mount -t tmpfs -o size=16k tmpfs small
	set +e
	LOGPACK_TEST_WALK_RUN=5 "$LOGPACK" -q collect --root root -p runs.profile \
		-o small/b.tar.zst 2>err
	rc=$?
	set -e
	ls -A small >left
	umount small
	cat err
	test "$rc" -eq 3
	contains err "temporary file for the file list in small: No space left on device"
	test "$(wc -l <err)" -eq 1
	test ! -s left
'

test_done
