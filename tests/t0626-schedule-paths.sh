#!/bin/sh
# schedule install checks and quotes the final absolute paths it writes, the current directory
# and symbolic link targets included: no control character anywhere, systemd quoting in each
# setting (specifiers, variables), cron's %; a unit that systemd-analyze verify rejects is not
# installed.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
NL='
'
Q='"'
SQ="'"
BS='\'

t "a newline in the current directory is refused, and nothing is written" '
	mkdir units cron "a${NL}b"
	cd "a${NL}b"
	expect_code 2 "$LOGPACK" schedule install --unit-dir ../units --every 1h --state st \
		-o out --root "$T" 2>../e
	expect_code 2 "$LOGPACK" schedule install --cron --cron-dir ../cron --every 1h \
		--state "$TRASH/st" -o out --root "$T" 2>>../e
	cd ..
	contains e "--state: the absolute path of '"'"'st'"'"' holds control characters"
	contains e "--output: the absolute path of '"'"'out'"'"' holds control characters"
	test -z "$(ls -A units)$(ls -A cron)"
	test ! -e "a${NL}b/st"
'

t "a symbolic link whose target holds a newline is refused" '
	mkdir units "x${NL}* * * * * root touch pwned #"
	ln -s "x${NL}* * * * * root touch pwned #" link
	expect_code 2 "$LOGPACK" schedule install --cron --cron-dir units --every 1h --state link \
		-o out --root "$T" 2>e
	contains e "control characters"
	test -z "$(ls units)"
	expect_code 2 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--root "$T" --incident link 2>e
	contains e "--incident: the absolute path"
	test -z "$(ls units)"
'

t "\$ in a path: doubled in ExecStart=, kept single in ReadWritePaths=; systemd-analyze is silent" '
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --every 1h --state "st\$HOME" -o "out\$x" \
		--root "$T" >/dev/null 2>&1
	S=units/logpack-snapshot.service
	grep -q "^ExecStart=.* --state \"$PWD/st\\\$\\\$HOME\" --output \"$PWD/out\\\$\\\$x\"" $S
	grep -qxF "ReadWritePaths=\"$PWD/st\$HOME\" \"$PWD/out\$x\"" $S
	systemd-analyze verify $S units/logpack-snapshot.timer >v 2>&1
	cat v
	test ! -s v
	test -d "st\$HOME" && test -d "out\$x"
'

t "%, quotes and backslashes in a path: systemd quoting in every setting" '
	mkdir units r%o
	R="$PWD/r%o/it${SQ}s ${Q}q${Q} ${BS} dir"
	cp -a "$T" "$R"
	"$LOGPACK" schedule install --unit-dir units --every 1h --state "s%t" -o "o${BS}ut" \
		--root "$R" >/dev/null 2>&1
	S=units/logpack-snapshot.service
	cat $S
	grep -qxF "ReadOnlyPaths=${Q}$PWD/r%%o/it${SQ}s ${BS}${Q}q${BS}${Q} ${BS}${BS} dir${Q}" $S
	grep -qxF "ReadWritePaths=${Q}$PWD/s%%t${Q} ${Q}$PWD/o${BS}${BS}ut${Q}" $S
	systemd-analyze verify $S units/logpack-snapshot.timer >v 2>&1
	cat v
	test ! -s v
	# What systemd runs: specifiers and variables undone, then the words as sh reads them.
	sed -n "s/^ExecStart=//p" $S | sed "s/%%/%/g; s/[$][$]/$/g" >cmd
	sh cmd
	ls "o${BS}ut"/*.tar.zst >/dev/null
'

t "cron: % in a path is escaped, and the job still runs" '
	mkdir cron
	"$LOGPACK" schedule install --cron --cron-dir cron --every 1h --state "s%t" -o "o%ut" \
		--root "$T" >/dev/null
	grep -qF -- "--state ${SQ}$PWD/s${BS}%t${SQ} --output ${SQ}$PWD/o${BS}%ut${SQ}" \
		cron/logpack-snapshot
	if grep -v "^#" cron/logpack-snapshot | grep -q "[^\\\\]%"; then exit 1; fi
	cmd=$(grep "^0 \* " cron/logpack-snapshot | cut -d" " -f7- | sed "s/\\\\%/%/g")
	sh -c "$cmd"
	test -s "s%t/state.json"
'

# fake_analyze DIR CODE TEXT: a systemd-analyze that answers verify with TEXT and exit CODE.
fake_analyze() {
	mkdir -p "$1"
	cat >"$1/systemd-analyze" <<EOS
#!/bin/sh
if [ "\$1" = verify ]; then echo "\$2" >>"$PWD/analyzed"; echo "$3" >&2; exit $2; fi
exit 0
EOS
	chmod +x "$1/systemd-analyze"
}

t "a unit that systemd-analyze verify rejects, or warns about, is not installed (exit 3)" '
	mkdir units tmp
	# A private TMPDIR: the other schedule tests, run beside this one, check units too.
	export TMPDIR="$PWD/tmp"
	fake_analyze rejects 1 "logpack-snapshot.service: Command is not executable"
	PATH="$PWD/rejects:$PATH" expect_code 3 "$LOGPACK" schedule install --unit-dir units \
		--every 1h --state st -o out --root "$T" >o 2>e
	contains e "systemd-analyze verify rejects the units (exit 1); nothing installed"
	contains e "Command is not executable"
	test -z "$(ls units)"
	fake_analyze warns 0 "logpack-snapshot.service:20: Unknown key name, ignoring."
	PATH="$PWD/warns:$PATH" expect_code 3 "$LOGPACK" schedule install --unit-dir units \
		--every 1h --state st -o out --root "$T" >o 2>e
	contains e "systemd-analyze verify warns about the units"
	test -z "$(ls units)"
	# The units were checked inside TMPDIR, and nothing is left there.
	grep -q "^$PWD/tmp/logpack-verify\.[^/]*/logpack-snapshot\.service$" analyzed
	test -z "$(ls tmp)"
'

t "without systemd-analyze the units are written unchecked" '
	mkdir units empty
	PATH="$PWD/empty" "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--root "$T" >o 2>e
	test -s units/logpack-snapshot.service
	test -s units/logpack-snapshot.timer
'
test_done
