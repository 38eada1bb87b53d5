#!/bin/sh
# snapshot --encrypt-to: each bundle of the series is encrypted as it is written; the series'
# state and its crash recovery never need a key (what they need stays in the state directory);
# decrypted, the bundles verify as one chain. schedule passes the option on.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/snapshot-lib.sh"

T=$TRASH/root
L=$T/var/log
make_debian_tree "$T"
FX=$TRASH/fx
mkdir -p "$FX"
age-keygen -o "$FX/age.id" 2>/dev/null
AGE=$(grep -o "age1.*" "$FX/age.id")
(umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$FX/x.key" -out "$FX/x.crt" -subj /CN=x -days 30 -addext keyUsage=keyAgreement \
	2>/dev/null)
(cd "$FX" && "$LOGPACK" -q keygen --out sig --subject /CN=Sender >/dev/null)

state_sequence() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sequence"])' "$1/state.json"
}

# encrypted DIR: the main encrypted files in DIR (age), oldest first by name is meaningless:
# listed by modification time.
encrypted() {
	ls -tr "$1"/logpack-*.age
}

# decrypt_all SRC DST: every .age file of SRC decrypted by logpack into DST.
decrypt_all() {
	mkdir -p "$2"
	for f in "$1"/*.age; do
		"$LOGPACK" -q decrypt -k "$FX/age.id" -o "$2" "$f"
	done
}

t "a series of three encrypted snapshots: neutral names, nothing in clear; decrypted, one chain" '
	mkdir out
	for i in 1 2 3; do
		printf "Nov 30 append %s\n" $i >>"$L/syslog"
		"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" \
			--encrypt-to "$FX/x.crt" --sign-key "$FX/sig.key" --sign-cert "$FX/sig.crt" \
			>/dev/null 2>err
	done
	test "$(state_sequence st)" = 3
	test "$(ls out | grep -c "\.age$")" = 3
	test "$(ls out | grep -c "\.enc$")" = 3
	test "$(ls out | grep -c "\.p7m$")" = 3
	if ls out | grep -q -e testhost -e "\.tar"; then exit 1; fi
	for f in out/*.age; do
		case "$f" in out/logpack-????????????????.age) ;; *) echo "$f"; exit 1 ;; esac
	done
	(cd out && sha256sum --strict -c --quiet ./*.sha256)
	decrypt_all out dec
	expect_code 0 "$LOGPACK" verify --chain --trust "$FX/sig.crt" dec >v
	cat v
	contains v "snapshot 3 of series"
	lacks v "problem"
	# stock tools: age and openssl give the same bytes as logpack decrypt
	for f in out/*.age; do
		s=${f%.age}
		age -d -i "$FX/age.id" "$f" | sha256sum >a
		openssl cms -decrypt -inform DER -binary -in "$s.p7m" -content "$s.enc" \
			-inkey "$FX/x.key" -recip "$FX/x.crt" | sha256sum >b
		cmp a b
		sha256sum <"dec/$(basename "$s").tar.zst" | cmp - a
	done
	expect_code 0 "$LOGPACK" extract --chain dec rebuilt >/dev/null
	cmp rebuilt/var/log/syslog "$L/syslog"
'

t "killed after the rename: the next run adopts the encrypted bundle without any key" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" >/dev/null 2>&1
	printf "Nov 30 crash append\n" >>"$L/syslog"
	expect_code 137 env LOGPACK_TEST_CRASH_AT=after-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" >/dev/null 2>err
	test "$(state_sequence st)" = 1
	B2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"pending\"][\"bundle\"])" st/pending.json)
	test -s "$B2"
	contains st/pending.json "\"encrypted\": true"
	# the tag manifest the next snapshot chains to is in the state directory already
	tm=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"last_tagmanifest_sha256\"])" st/pending.json)
	rm "$B2.sha256"
	# no key anywhere near the run: it must not need one
	mv "$FX/age.id" "$FX/age.id.away"
	printf "Nov 30 after the crash\n" >>"$L/syslog"
	expect_code 0 "$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" \
		--json >j 2>err
	mv "$FX/age.id.away" "$FX/age.id"
	python3 -c "import json, sys; d = json.load(open(sys.argv[1])); assert d[\"recovered\"] == sys.argv[3] and d[\"sequence\"] == 3 and d[\"previous\"] == sys.argv[2], d" j "$tm" "$B2"
	test ! -e st/pending.json
	(cd out && sha256sum --strict -c --quiet ./*.sha256)
	decrypt_all out dec
	tm2=$(tar -xOf "dec/$(basename "${B2%.age}").tar.zst" --wildcards "*/tagmanifest-sha256.txt" | sha256sum | cut -d" " -f1)
	test "$tm2" = "$tm"
	expect_code 0 "$LOGPACK" verify --chain dec >v
	lacks v "problem"
	expect_code 0 "$LOGPACK" extract --chain dec rebuilt >/dev/null
	cmp rebuilt/var/log/syslog "$L/syslog"
'

t "an adopted encrypted bundle whose .sha256 does not match it is not adopted" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" >/dev/null 2>&1
	printf "Nov 30 mismatch\n" >>"$L/syslog"
	expect_code 137 env LOGPACK_TEST_CRASH_AT=after-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" >/dev/null 2>err
	B2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"pending\"][\"bundle\"])" st/pending.json)
	printf "x" >>"$B2"
	cp st/pending.json pending.before
	expect_code 3 "$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" >/dev/null 2>err
	contains err "does not match it"
	cmp st/pending.json pending.before
	test "$(state_sequence st)" = 1
'

t "killed before the rename (two kinds): temporaries and the other kind's file are removed" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" \
		--encrypt-to "$FX/x.crt" >/dev/null 2>&1
	printf "Nov 30 before rename\n" >>"$L/syslog"
	expect_code 137 env LOGPACK_TEST_CRASH_AT=before-bundle-rename \
		"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" \
		--encrypt-to "$FX/x.crt" >/dev/null 2>err
	test -n "$(ls -A out | grep "^\.")"
	# as if the kill had come between the .enc file'"'"'s commit and the .age file'"'"'s rename
	B2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"pending\"][\"bundle\"])" st/pending.json)
	echo orphan >"${B2%.age}.enc"
	expect_code 0 "$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" \
		--encrypt-to "$FX/x.crt" >/dev/null 2>err
	lacks err "adopted"
	test ! -e "${B2%.age}.enc"
	test -z "$(ls -A out | grep "^\.")"
	test "$(ls out | grep -c "\.age$")" = 2
	test "$(ls out | grep -c "\.enc$")" = 2
	decrypt_all out dec
	expect_code 0 "$LOGPACK" verify --chain dec >v
	lacks v "problem"
	expect_code 0 "$LOGPACK" extract --chain dec rebuilt >/dev/null
	cmp rebuilt/var/log/syslog "$L/syslog"
'

t "--keep 1 removes an old encrypted bundle with every file beside it" '
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" \
		--encrypt-to "$FX/x.crt" >/dev/null 2>&1
	printf "Nov 30 retention\n" >>"$L/syslog"
	"$LOGPACK" snapshot --state st --root "$T" -o out --encrypt-to "$AGE" \
		--encrypt-to "$FX/x.crt" --keep 1 >/dev/null 2>&1
	ls out >names
	cat names
	test "$(wc -l <names)" = 5
	test "$(sed "s/\..*//" names | sort -u | wc -l)" = 1
'

t "config file: a snapshot encrypts with encrypt-to from --config; --keep-name keeps the name" '
	printf "encrypt-to = %s\nkeep-name = yes\n" "$AGE" >lp.conf
	mkdir out
	"$LOGPACK" snapshot --state st --root "$T" -o out --config lp.conf >/dev/null 2>&1
	f=$(ls out/*.age)
	case "$f" in out/logpack-testhost-snapshot-*-000001-*.tar.zst.age) ;; *) echo "$f"; exit 1 ;; esac
	age -d -i "$FX/age.id" "$f" | tar -tf - --zstd >list
	contains list "bag-info.txt"
'

t "schedule install passes --encrypt-to on: a file made absolute, age1... as it is" '
	LP_ABS=$(realpath "$LOGPACK")
	cp "$FX/x.crt" x.crt
	"$LOGPACK" schedule install --systemd --unit-dir units --every 1h --state st -o out \
		--root "$T" --encrypt-to x.crt --encrypt-to "$AGE" --keep-name --dry-run >o
	grep "^ExecStart=" o >exec
	cat exec
	grep -q "^ExecStart=$LP_ABS --quiet snapshot --state $PWD/st --output $PWD/out --root $T --encrypt-to $PWD/x.crt --encrypt-to $AGE --keep-name$" exec
	expect_code 2 "$LOGPACK" schedule install --systemd --unit-dir units --every 1h --state st \
		-o out --root "$T" --encrypt-to nosuch.asc --dry-run >/dev/null 2>e
	contains e "nosuch.asc"
'

test_done
