#!/bin/sh
# collect's options: dry run, size limits, time window, excludes, categories, JSON, output.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
seq 1 100000 >"$T/var/log/syslog.big"
touch -d '2020-01-01T00:00:00Z' "$T/var/log/syslog.1"
touch -d '2030-01-01T00:00:00Z' "$T/var/log/dpkg.log"

manifest_of() { # BUNDLE: the manifest's file names, one a line
	rm -rf "$TRASH/m" && bag=$(bag_of "$1" "$TRASH/m") && cut -c67- "$bag/manifest-sha256.txt"
}

t "--dry-run lists files with sizes and totals, and writes nothing" '
	mkdir out
	lp collect --root "$T" -o out --dry-run >plan
	contains plan "/var/log/auth.log"
	grep -q "^auth .* /var/log/auth.log$" plan
	grep -q "files, .* to collect" plan
	test -z "$(ls -A out)"
	# not even an output directory that does not exist yet
	lp collect --root "$T" -o new/deeper --dry-run >plan2
	contains plan2 "/var/log/auth.log"
	test ! -e new
'

t "--max-file-size keeps the last bytes of a larger file and marks it truncated" '
	mkdir out
	lp collect --root "$T" -o out --max-file-size 1K >bundle
	bag=$(bag_of "$(cat bundle)" x)
	tail -c 1024 "$T/var/log/syslog.big" | cmp - "$bag/data/var/log/syslog.big"
	grep "\"/var/log/syslog.big\"" "$bag/logpack/files.jsonl" | grep -q "\"truncated\":true,\"offset\":587871"
	grep -q "truncated /var/log/syslog.big: kept the last 1024 of 588895 bytes" "$bag/logpack/collection.log"
	cd "$bag" && sha256sum -c --quiet manifest-sha256.txt
'

t "--skip-large skips a larger file instead" '
	mkdir out
	lp collect --root "$T" -o out --max-file-size 1K --skip-large >bundle
	manifest_of "$(cat bundle)" >names
	lacks names "syslog.big"
	contains names "data/var/log/auth.log"
	grep "\"/var/log/syslog.big\"" "$TRASH/m"/*/logpack/files.jsonl | grep -q "\"status\":\"skipped\""
'

t "--since and --until select by modification time" '
	mkdir out
	lp collect --root "$T" -o out --since 2021-01-01 --until "2029-12-31T23:59:59Z" >bundle
	manifest_of "$(cat bundle)" >names
	lacks names "syslog.1"
	lacks names "dpkg.log"
	contains names "data/var/log/auth.log"
	grep "\"/var/log/syslog.1\"" "$TRASH/m"/*/logpack/files.jsonl | grep -q "modified before --since"
'

t "--exclude leaves out matching names and whole paths" '
	mkdir out
	lp collect --root "$T" -o out --exclude "*.gz" --exclude "/var/log/nginx/*" >bundle
	manifest_of "$(cat bundle)" >names
	lacks names "syslog.2.gz"
	lacks names "nginx/access.log"
	contains names "data/var/log/syslog"
'

t "--category takes only the named categories" '
	mkdir out
	lp collect --root "$T" -o out --category auth >bundle
	manifest_of "$(cat bundle)" >names
	contains names "data/var/log/auth.log"
	contains names "data/var/log/wtmp"
	lacks names "data/var/log/syslog"
'

t "--json prints a summary that names the bundle and its hash" '
	mkdir out
	lp collect --root "$T" -o out --json >summary.json
	python3 - summary.json <<"PY"
import hashlib, json, sys
s = json.load(open(sys.argv[1]))
assert s["profile"] == "debian" and s["host"] == "testhost", s
assert s["files_collected"] >= 10 and s["partial"] is False, s
assert hashlib.sha256(open(s["bundle"], "rb").read()).hexdigest() == s["sha256"]
PY
'

t "gzip, xz and no compression give bundles stock tar reads" '
	mkdir out
	for algo in gzip xz none; do
		lp collect --root "$T" -o out --compress $algo >bundle
		b=$(cat bundle)
		case $algo in gzip) test "${b%.tar.gz}" != "$b" ;; xz) test "${b%.tar.xz}" != "$b" ;; none) test "${b%.tar}" != "$b" ;; esac
		tar -tf "$b" | grep -q "/manifest-sha256.txt$"
		sleep 1 # bundle names carry the second
	done
'

t "-o FILE writes exactly that file and refuses to overwrite it" '
	lp collect --root "$T" -o "$TRASH/mine.tar.zst" >bundle
	test "$(cat bundle)" = "$TRASH/mine.tar.zst"
	test -s "$TRASH/mine.tar.zst"
	cp "$TRASH/mine.tar.zst" before
	expect_code 3 lp collect --root "$T" -o "$TRASH/mine.tar.zst" 2>err
	contains err "already exists"
	cmp before "$TRASH/mine.tar.zst"
'

t "a sidecar already at -o FILE.sha256: refused before anything is written" '
	echo "theirs" >"$TRASH/side.tar.zst.sha256"
	expect_code 3 lp collect --root "$T" -o "$TRASH/side.tar.zst" 2>err
	contains err "side.tar.zst.sha256 already exists"
	test ! -e "$TRASH/side.tar.zst"
	test "$(cat "$TRASH/side.tar.zst.sha256")" = theirs
	test -z "$(find "$TRASH" -maxdepth 1 -name ".side.tar.zst.*")"
'

t "an output directory inside the collected tree is collected, all but the bundle being written" '
	mkdir -p "$T/var/log/nginx/evidence"
	lp collect --root "$T" -o "$T/var/log/nginx/evidence" >first
	sleep 1
	lp collect --root "$T" -o "$T/var/log/nginx/evidence" >second
	manifest_of "$(cat second)" >names
	contains names "data/var/log/nginx/evidence/$(basename "$(cat first)")"
	lacks names "$(basename "$(cat second)")"
	rm -rf "$T/var/log/nginx/evidence"
'

t "the bundle name carries the host and the time, and the profile choice is explained" '
	mkdir out
	lp collect --root "$T" -o out >bundle 2>err
	contains err "with profile debian (os-release ID=debian"
	basename "$(cat bundle)" | grep -Eq "^logpack-testhost-[0-9]{8}T[0-9]{6}Z\.tar\.zst$"
'

t "an expected path that is absent is reported in the log and the summary" '
	mkdir -p T2
	cp -a "$T/etc" T2/
	mkdir -p T2/var/log
	echo x >T2/var/log/syslog
	mkdir out
	lp collect --root T2 -o out --json >s.json 2>err
	python3 -c "import json,sys; s=json.load(open(\"s.json\")); assert \"/var/log/auth.log*\" in s[\"expected_absent\"][\"auth\"], s" 
	bag=$(bag_of "$(python3 -c "import json; print(json.load(open(\"s.json\"))[\"bundle\"])")" x)
	grep -q "expected but absent \[auth\]: /var/log/auth.log\*" "$bag/logpack/collection.log"
'

t "--profile FILE uses a profile of one's own" '
	printf "[custom]\n/var/log/dpkg.log expected\n" >"$PWD/my.profile"
	mkdir out
	# --no-other: only what the profile names is stored (the rest of /var/log is listed).
	lp collect --root "$T" -o out --profile "$PWD/my.profile" --no-other >bundle
	manifest_of "$(cat bundle)" >names
	test "$(cat names)" = "data/var/log/dpkg.log"
'

t "no matching profile: a clear error that names --profile (exit 3)" '
	mkdir -p T3/etc
	echo "ID=plan9" >T3/etc/os-release
	mkdir out
	expect_code 3 lp collect --root T3 -o out 2>err
	contains err "--profile"
	test -z "$(ls -A out)"
'

t "bad options are usage errors (exit 2) naming the option" '
	expect_code 2 lp collect --compress lz77 2>err
	contains err "--compress"
	expect_code 2 lp collect --since yesterday 2>err
	contains err "--since"
	expect_code 2 lp collect --max-file-size lots 2>err
	contains err "--max-file-size"
	expect_code 2 lp collect --skip-large 2>err
	contains err "--max-file-size"
	expect_code 2 lp collect --bogus 2>err
	contains err "unknown option"
	expect_code 2 lp collect --root 2>err
	contains err "needs a value"
	expect_code 2 lp collect extra-arg 2>err
	contains err "unexpected argument"
	expect_code 2 lp collect --since 2025-01-02 --until 2025-01-01 2>err
'

t "collect --help and help collect print the options" '
	lp collect --help >h1
	contains h1 "--max-file-size"
	lp help collect >h2 && cmp h1 h2
'
test_done
