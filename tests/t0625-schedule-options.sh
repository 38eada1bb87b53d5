#!/bin/sh
# schedule install passes every snapshot option into the unit and the cron entry (paths made
# absolute), --incident and --upload with its options included, or refuses one with a reason.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
LP_ABS=$(realpath "$LOGPACK")
answers_en >"$TRASH/answers"
lp incident init --lang en "$TRASH/tmpl" 2>/dev/null
fill "$TRASH/tmpl" "$TRASH/answers" >"$TRASH/report.txt"
lp incident check "$TRASH/report.txt" >/dev/null

URL=https://drop.example.org/logs

t "install --dry-run: ExecStart= carries --incident and --upload with its options, paths absolute" '
	cp "$TRASH/report.txt" r.txt
	touch ca.pem creds
	"$LOGPACK" schedule install --systemd --unit-dir units --every 1h --state st -o out \
		--root "$T" --incident r.txt --upload "$URL" --cacert ca.pem --credentials creds \
		--retries 2 --dry-run >o
	grep "^ExecStart=" o >exec
	cat exec
	grep -q "^ExecStart=$LP_ABS --quiet snapshot --state $PWD/st --output $PWD/out --root $T --incident $PWD/r.txt --upload $URL --cacert $PWD/ca.pem --credentials $PWD/creds --retries 2$" exec
	test ! -e units && test ! -e st
'

t "the unit with --incident and --upload passes systemd-analyze verify; only an upload opens the network" '
	cp "$TRASH/report.txt" r.txt
	touch ca.pem creds
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out --root "$T" \
		--incident r.txt --upload "$URL" --cacert ca.pem --credentials creds >/dev/null 2>&1
	S=units/logpack-snapshot.service
	grep -q -- "--incident $PWD/r.txt --upload $URL --cacert $PWD/ca.pem" $S
	systemd-analyze verify $S units/logpack-snapshot.timer >v 2>&1
	cat v
	test ! -s v
	grep -qx "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" $S
	if grep -q "^PrivateNetwork=" $S; then exit 1; fi
	"$LOGPACK" schedule install --unit-dir units --name local --every 1h --state st -o out \
		--root "$T" --incident r.txt >/dev/null 2>&1
	L=units/logpack-snapshot-local.service
	grep -qx "RestrictAddressFamilies=AF_UNIX" $L
	grep -qx "PrivateNetwork=yes" $L
	systemd-analyze verify $L units/logpack-snapshot-local.timer >v 2>&1
	test ! -s v
'

t "cron: the entry carries --incident and --upload with its options" '
	cp "$TRASH/report.txt" r.txt
	touch ca.pem
	mkdir cron
	"$LOGPACK" schedule install --cron --cron-dir cron --every 15m --state st -o out --root "$T" \
		--incident r.txt --upload "$URL" --cacert ca.pem --limit-rate 500K >/dev/null 2>&1
	grep -q "^\*/15 \* \* \* \* root $LP_ABS --quiet snapshot --state $PWD/st --output $PWD/out --root $T --incident $PWD/r.txt --upload $URL --cacert $PWD/ca.pem --limit-rate 500K$" cron/logpack-snapshot
'

t "the installed command takes the snapshot with the incident report in it" '
	cp "$TRASH/report.txt" r.txt
	mkdir units
	"$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out --root "$T" \
		--incident r.txt >/dev/null 2>&1
	cd /
	cmd=$(sed -n "s/^ExecStart=//p" "$OLDPWD/units/logpack-snapshot.service")
	eval "$cmd"
	cd "$OLDPWD"
	bag=$(bag_of out/*.tar.zst x)
	lp incident show --json r.txt >want.json
	cmp want.json "$bag/logpack/incident.json"
'

# value_for NAME: a value for a snapshot or upload option in the tests below; unknown names
# fail, so that an option added to the table is added here too.
value_for() {
	case $1 in
	root) echo "$T" ;;
	profile) echo debian ;;
	compress) echo gzip ;;
	level | jobs | retries | retry-delay | connect-timeout) echo 3 ;;
	exclude) echo "*.gz" ;;
	category) echo auth ;;
	keep) echo 5 ;;
	keep-for) echo 7d ;;
	incident) echo r.txt ;;
	upload) echo "$URL" ;;
	config | cacert | credentials | identity | known-hosts | passphrase-file) echo file ;;
	sign-key | sign-cert | sign-chain) echo file ;;
	pin-pubkey) echo "sha256//AAAA" ;;
	host-key-sha256) echo AAAA ;;
	s3-endpoint) echo https://s3.example.org ;;
	s3-region) echo eu-north-1 ;;
	method) echo post ;;
	form-field) echo upload ;;
	part-size) echo 8M ;;
	limit-rate) echo 500K ;;
	since | until) echo 2024-01-01 ;;
	max-file-size) echo 1M ;;
	io-rate) echo 20M ;;
	gap | backwards) echo 1h ;;
	label-case) echo INC-1 ;;
	label-tlp) echo amber ;;
	encrypt-to) echo age14n3regq62q3299nzw37kx0awmvfz8uyw7wa7dtevdkzqyz6mhekskzw573 ;;
	*) echo "no test value for --$1" >&2; return 1 ;;
	esac
}

t "every snapshot option and every upload option is passed on, or refused with a reason" '
	cp "$TRASH/report.txt" r.txt
	touch file
	{ lp snapshot --help; lp upload --help; } |
		sed -n "s/^  \(-[a-z], \|    \)--\([a-z0-9-]*\)\( [A-Za-z|0-9]*\)\{0,1\} .*/\2 \3/p" |
		sort -u >opts
	test "$(wc -l <opts)" -gt 35
	passed=0
	while read -r name metavar; do
		case $name in help | json | state | output | to | test | verbose) continue ;; esac
		set -- "--$name"
		[ -z "$metavar" ] || set -- "$@" "$(value_for "$name")"
		case $name in
		sign-*) [ $name = sign-key ] || set -- "$@" --sign-key file
			[ $name = sign-cert ] || set -- "$@" --sign-cert file ;;
		keep-name | label) set -- "$@" --encrypt-to "$(value_for encrypt-to)" ;;
		label-*) set -- "$@" --label --encrypt-to "$(value_for encrypt-to)" ;;
		esac
		case $name in upload | incident) ;; *) set -- "$@" --upload "$URL" ;; esac
		rc=0
		"$LOGPACK" schedule install --systemd --unit-dir units --every 1h --state st -o out \
			--dry-run "$@" >o 2>e || rc=$?
		if [ $rc = 0 ]; then
			grep -q "^ExecStart=.* --$name\( \|$\)" o || { echo "--$name not passed on"; exit 1; }
			passed=$((passed + 1))
		else
			test $rc = 2 || { echo "--$name: exit $rc"; cat e; exit 1; }
			grep -q "logpack: --$name does not go with snapshots (..*)" e ||
				{ echo "--$name refused without a reason:"; cat e; exit 1; }
		fi
	done <opts
	echo "$passed passed on"
	test $passed -gt 30
'

t "refused with a reason, nothing written: --delete-after-upload, --since, secrets in the URL" '
	mkdir units
	for o in "--delete-after-upload" "--since 2024-01-01" "--skip-large"; do
		expect_code 2 "$LOGPACK" schedule install --unit-dir units --every 1h --state st \
			-o out --upload "$URL" $o 2>e
		contains e "logpack: ${o%% *} does not go with snapshots ("
	done
	expect_code 2 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--upload "https://s3.example.org/b/x?X-Amz-Signature=abc" 2>e
	contains e "pre-signed URL"
	expect_code 2 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--upload "https://user:secret@drop.example.org/logs" 2>e
	contains e "--credentials FILE"
	"$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--upload "sftp://user@drop.example.org/logs" --dry-run >o
	grep -q -- "--upload sftp://user@drop.example.org/logs" o
	test -z "$(ls units)"
	test ! -e st
'

t "values are checked at install, as snapshot checks them" '
	mkdir units
	expect_code 2 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--level 99 2>e
	contains e "--level: '"'"'99'"'"' is not a number from 0 to 22"
	expect_code 2 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--upload "$URL" --method get 2>e
	contains e "--method: '"'"'get'"'"' is not put or post"
	test -z "$(ls units)"
'

t "an incident report that fails its check stops the install (exit 3), nothing written" '
	printf "organisation: Example AB\n" >bad.txt
	mkdir units
	expect_code 3 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--incident bad.txt 2>e
	contains e "nothing installed"
	test -z "$(ls units)"
	test ! -e st
'
test_done
