#!/bin/sh
# show --files: the records wait on disk until the verdict is printed, so memory stays flat
# whatever the size of files.jsonl (it once kept every record in memory: 150 MB for a million).
. "$TEST_SRCDIR/test-lib.sh"

t "setup: a bag whose files.jsonl holds a million records" '
	mkdir -p "$TRASH/bag/data" "$TRASH/bag/logpack"
	cd "$TRASH/bag"
	echo hi >data/f
	sha256sum data/f >manifest-sha256.txt
	printf "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" >bagit.txt
	python3 -c "import sys; sys.stdout.write(\"{\\\"path\\\": \\\"/var/log/some/long/enough/name.log\\\", \\\"category\\\": \\\"system\\\", \\\"status\\\": \\\"collected\\\"}\\n\" * 1000000)" >logpack/files.jsonl
	test "$(wc -l <logpack/files.jsonl)" -eq 1000000
'
t "show --files lists every record, in the order of files.jsonl, with flat memory" '
	lp show --files "$TRASH/bag" >out
	test "$(grep -c "^  collected    system .*/var/log/some/long/enough/name.log$" out)" -eq 1000000
	kb=$(peak_rss_kb "$LOGPACK" show --files "$TRASH/bag")
	echo "peak RSS: $kb KiB"
	test "$kb" -lt 65536
'
t "show --json --files: the same records, one JSON document, with flat memory" '
	lp show --json --files "$TRASH/bag" >out.json
	python3 -c "
import json
d = json.load(open(\"out.json\"))
assert len(d[\"files\"]) == 1000000 and d[\"files_unlisted\"] == 0
assert d[\"files\"][-1] == {\"path\": \"/var/log/some/long/enough/name.log\", \"category\": \"system\", \"status\": \"collected\", \"stored_size\": 0}, d[\"files\"][-1]
assert d[\"outcome\"] == \"unsigned\"
"
	kb=$(peak_rss_kb "$LOGPACK" show --json --files "$TRASH/bag")
	echo "peak RSS: $kb KiB"
	test "$kb" -lt 65536
'
test_done
