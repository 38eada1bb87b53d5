#!/bin/sh
# Sparse files: holes beyond the cap are never read, and files indexed by UID (lastlog,
# faillog, tallylog) keep the head and every non-empty record beyond the cap.
. "$TEST_SRCDIR/test-lib.sh"

R=$TRASH/root
mkdir -p "$R/etc" "$R/var/log"
printf 'ID=debian\n' >"$R/etc/os-release"
printf '[custom]\n/var/log/lastlog max-size=64K\n/var/log/faillog\n/var/log/syslog\n' >"$TRASH/uid.profile"

# put_record FILE SIZE UID TEXT: a record of SIZE bytes starting with TEXT at UID's slot.
put_record() {
	{ printf "%s" "$4"; head -c $(($2 - ${#4})) /dev/zero; } |
		dd of="$1" bs="$2" seek="$3" conv=notrunc status=none
}

# verified BUNDLE: verify says the bundle is valid (signed or not).
verified() {
	set +e
	"$LOGPACK" verify "$1" >verify.out
	set -e
	grep -q ": valid" verify.out
}

t "a 15T sparse file (ext4 stops short of 16T) with a cap is collected in bounded time, its holes never read" '
	truncate -s 15T "$R/var/log/syslog"
	mkdir out
	timeout 60 "$LOGPACK" collect --root "$R" --profile "$TRASH/uid.profile" -o out \
		--max-file-size 1M >bundle
	verified "$(cat bundle)"
	rm "$R/var/log/syslog"
'

t "lastlog: root and a high UID (10,000,000: 2.9 GB logical) both survive, and the bundle verifies" '
	put_record "$R/var/log/lastlog" 292 0 "ROOT-LOGIN-pts0"
	put_record "$R/var/log/lastlog" 292 100 "ALICE-LOGIN"
	put_record "$R/var/log/lastlog" 292 10000000 "AD-USER-LOGIN"
	test "$(stat -c %s "$R/var/log/lastlog")" = $((10000001 * 292))
	mkdir out
	timeout 120 "$LOGPACK" collect --root "$R" --profile "$TRASH/uid.profile" -o out >bundle
	verified "$(cat bundle)"
	bag=$(bag_of "$(cat bundle)" x)
	head -c 15 "$bag/data/var/log/lastlog" | grep -q "^ROOT-LOGIN-pts0$"
	test "$(stat -c %s "$bag/data/var/log/lastlog")" = $((65536 / 292 * 292))
	dd if="$bag/data/var/log/lastlog" bs=292 skip=100 count=1 status=none | grep -q "^ALICE-LOGIN"
	test "$(stat -c %s "$bag/data/var/log/lastlog.records")" = 292
	grep -q "^AD-USER-LOGIN" "$bag/data/var/log/lastlog.records"
	grep "\"/var/log/lastlog\"" "$bag/logpack/files.jsonl" >rec
	contains rec "\"offsets\":[$((10000000 * 292))]"
	cd "$bag" && sha256sum -c --quiet manifest-sha256.txt
'

t "faillog at UID 1,500,000,000 (48 GB logical) with --max-file-size: the record survives" '
	put_record "$R/var/log/faillog" 32 0 "ROOT-FAIL"
	put_record "$R/var/log/faillog" 32 1500000000 "AD-FAIL"
	mkdir out
	timeout 120 "$LOGPACK" collect --root "$R" --profile "$TRASH/uid.profile" -o out \
		--max-file-size 4K >bundle
	verified "$(cat bundle)"
	bag=$(bag_of "$(cat bundle)" x)
	head -c 9 "$bag/data/var/log/faillog" | grep -q "^ROOT-FAIL$"
	grep -q "^AD-FAIL" "$bag/data/var/log/faillog.records"
	grep "\"/var/log/faillog\"" "$bag/logpack/files.jsonl" >rec
	contains rec "\"offsets\":[48000000000]"
'

t "the stock-tool recipe of docs/bundle-format.md rebuilds lastlog byte for byte" '
	rm -f "$R/var/log/lastlog" "$R/var/log/faillog"
	put_record "$R/var/log/lastlog" 292 0 "ROOT-LOGIN"
	put_record "$R/var/log/lastlog" 292 250 "USER-250"
	put_record "$R/var/log/lastlog" 292 300000 "USER-300000"
	mkdir out
	lp collect --root "$R" --profile "$TRASH/uid.profile" -o out >bundle
	bag=$(bag_of "$(cat bundle)" x)
	sed -n "/^To rebuild the original layout/,/^\`\`\`$/p" "$TOP_SRCDIR/docs/bundle-format.md" |
		sed -n "/^\`\`\`sh$/,/^\`\`\`$/p" | sed "1d;\$d" >"$TRASH/rebuild.sh"
	test -s "$TRASH/rebuild.sh"
	(cd "$bag" && sh "$TRASH/rebuild.sh")
	cmp "$bag/lastlog" "$R/var/log/lastlog"
'

test_done
