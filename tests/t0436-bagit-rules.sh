#!/bin/sh
# BagIt rules beyond the happy path: '%' in names as bagit-python writes them, tag files no tag
# manifest lists, fetch.txt, BagIt 0.97 (leading "./", ISO-8859-1 and UTF-16 tag files, no
# percent-decoding), a manifest after its payload (a second pass for a file, "could not check"
# for a pipe), and logpack's own bags checked by bagit-python.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/trust-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

BAGIT_PY=${BAGIT_PY:-$TEST_SRCDIR/../../shared/tools/bagit-python/bagit.py}
[ -f "$BAGIT_PY" ] || BAGIT_PY=/work/shared/tools/bagit-python/bagit.py

# pctbag DIR: a bagit-python bag (BagIt 0.97) with a bare '%' and a '%41' in two names.
pctbag() {
	mkdir -p "$1"
	echo "full" >"$1/100%.log"
	echo "not an A" >"$1/a%41b.log"
	echo "plain" >"$1/plain.log"
	python3 "$BAGIT_PY" --quiet "$1"
}

# retag DIR [VERSION]: set BagIt-Version (when given) and rewrite every tag manifest.
retag() {
	if [ -n "${2:-}" ]; then
		sed -i "s/^BagIt-Version: .*/BagIt-Version: $2/" "$1/bagit.txt"
	fi
	python3 - "$1" "$BAGIT_PY" <<'PYEOF'
import glob, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[2])))
import bagit
os.chdir(sys.argv[1])
for t in glob.glob("tagmanifest-*.txt"):
    bagit._make_tagmanifest_file(t[len("tagmanifest-"):-len(".txt")], ".")
PYEOF
}

# payload_first DIR OUT.tar: GNU tar with the payload before every manifest.
payload_first() {
	tar --format=gnu -cf "$2" "$1"/data "$1"/bagit.txt "$1"/bag-info.txt "$1"/manifest-* \
		"$1"/tagmanifest-*
}

t "a BagIt 1.0 bag with names bagit-python did not percent-encode: valid, with a warning" '
	pctbag p
	retag p 1.0
	python3 "$BAGIT_PY" --quiet --validate p
	expect_code 0 lp verify p >out
	contains out "valid, unsigned"
	contains out "matched as written"
	contains out "bagit-python does not encode"
	tar --format=gnu -cf p.tar p
	expect_code 0 lp verify p.tar >out
	contains out "matched as written"
'
t "percent-encoding that names a file present is read decoded, with no warning" '
	mkdir q
	echo "x" >"q/50%.log"
	python3 "$BAGIT_PY" --quiet q
	sed -i "s|data/50%.log|data/50%25.log|" q/manifest-*.txt
	retag q 1.0
	expect_code 0 lp verify q >out
	lacks out "matched as written"
	lacks out "warning"
'
t "bagit-python bags (BagIt 0.97) are never percent-decoded: valid, no warning" '
	pctbag p
	echo "decoy" >p/data/aAb.log
	expect_code 4 lp verify p >out
	contains out "data/aAb.log"
	rm p/data/aAb.log
	expect_code 0 lp verify p >out
	lacks out "warning"
'

t "an unsigned bag with a tag file no tag manifest lists: valid, with a warning" '
	pctbag u
	echo "note" >u/extra-notes.txt
	expect_code 0 lp verify u >out
	contains out "valid, unsigned"
	contains out "warning: '"'"'extra-notes.txt'"'"' is a tag file no tag manifest lists"
'
t "a signed bundle with an incident report added outside the signature: named, and only a claim" '
	make_root root
	make_key good "/O=Good Org/CN=Good Signer"
	collect_signed b.tar.zst good
	T=$(unpack b.tar.zst x)
	answers_en >report.txt
	lp incident show --json report.txt >"$T/logpack/incident.json"
	pyrepack x added.tar
	expect_code 0 lp verify --trust good.crt added.tar >out
	contains out "warning: '"'"'logpack/incident.json'"'"' is not covered by the signature"
	expect_code 0 lp show --trust good.crt added.tar >show.out
	grep -q "^claims TLP:" show.out
	grep -q "^Signer: */O=Good Org/CN=Good Signer$" show.out
	expect_code 0 lp show --json --trust good.crt added.tar >show.json
	python3 -c "
import json
d = json.load(open(\"show.json\"))
assert d[\"incident\"] is None, d[\"incident\"]
assert d[\"claims\"][\"incident\"][\"tlp\"], d[\"claims\"]
assert d[\"host\"] is not None
"
'

# fetchbag DIR LINE...: a bag whose fetch.txt holds the LINEs; data/remote.log is listed in
# the manifests but not there.
fetchbag() {
	d=$1
	shift
	pctbag "$d"
	echo "remote content" >remote.log
	for alg in sha256 sha512; do
		printf "%s  data/remote.log\n" "$(${alg}sum <remote.log | cut -d" " -f1)" \
			>>"$d/manifest-$alg.txt"
	done
	: >"$d/fetch.txt"
	for line in "$@"; do
		echo "$line" >>"$d/fetch.txt"
	done
	retag "$d"
}

t "a bag with files still to fetch is incomplete (exit 8), never valid" '
	fetchbag f "https://example.org/remote.log 15 data/remote.log"
	expect_code 8 lp verify f >out
	contains out "incomplete (1 files to fetch"
	lacks out "valid"
	tar --format=gnu -cf f.tar f
	expect_code 8 lp verify f.tar >out
	contains out "incomplete (1 files to fetch"
	expect_code 8 lp extract f.tar dest 2>err
	test ! -e dest
	expect_code 8 lp show f.tar >show.out
	cp remote.log f/data/remote.log
	sed -i "s/^Payload-Oxum: .*/Payload-Oxum: 35.4/" f/bag-info.txt
	retag f
	expect_code 0 lp verify f >out
	contains out "valid, unsigned"
'
t "fetch.txt naming a path outside the payload is INVALID" '
	fetchbag f1 "https://example.org/remote.log 15 data/remote.log" \
		"https://example.org/x - ../../etc/cron.d/x"
	expect_code 4 lp verify f1 >out
	contains out "fetch.txt names '"'"'../../etc/cron.d/x'"'"', outside the payload"
	fetchbag f2 "https://example.org/x 1 bagit.txt"
	expect_code 4 lp verify f2 >out
	contains out "fetch.txt names '"'"'bagit.txt'"'"', outside the payload"
'

t "a fetch.txt line with a NUL byte in it: a clear problem, nothing read outside the line" '
	fetchbag f3 "https://example.org/remote.log 15 data/remote.log"
	printf "https://example.org/x 1 data/y\000abcdefghijklmnop\r\n" >>f3/fetch.txt
	retag f3
	set +e
	lp verify f3 >out 2>err
	rc=$?
	set -e
	test "$rc" = 4
	contains out "fetch.txt line 2: holds a NUL byte"
	test ! -s err
'

# oldbag DIR ENCODING: a BagIt 0.97 bag written by hand, its tag files in ENCODING (a Python
# codec name), its manifest naming "./data/café.log" and "data/a%41.log" as they are.
oldbag() {
	python3 - "$1" "$2" <<'PYEOF'
import hashlib, os, sys
d, enc = sys.argv[1], sys.argv[2]
os.makedirs(d + "/data")
files = {"data/café.log": b"accent\n", "data/a%41.log": b"literal percent\n"}
for name, body in files.items():
    open(os.path.join(d, name), "wb").write(body)
open(d + "/bagit.txt", "w", encoding="utf-8").write(
    "BagIt-Version: 0.97\nTag-File-Character-Encoding: %s\n" % enc.upper())
man = "".join("%s  ./%s\n" % (hashlib.sha256(b).hexdigest(), n) if "é" in n else
              "%s  %s\n" % (hashlib.sha256(b).hexdigest(), n) for n, b in files.items())
open(d + "/manifest-sha256.txt", "wb").write(man.encode(enc))
open(d + "/bag-info.txt", "wb").write(
    ("Source-Organization: Café\nPayload-Oxum: %d.%d\n" %
     (sum(len(b) for b in files.values()), len(files))).encode(enc))
tm = "".join("%s  %s\n" % (hashlib.sha256(open(os.path.join(d, t), "rb").read()).hexdigest(), t)
             for t in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt"))
open(d + "/tagmanifest-sha256.txt", "wb").write(tm.encode(enc))
PYEOF
}

t "BagIt 0.97 with ISO-8859-1 tag files, a leading ./ and a literal %41: valid" '
	oldbag o iso-8859-1
	expect_code 0 lp verify o >out
	contains out "valid, unsigned"
	lacks out "warning"
	tar --format=gnu -cf o.tar o/bagit.txt o/manifest-sha256.txt o/bag-info.txt \
		o/tagmanifest-sha256.txt o/data
	expect_code 0 lp verify o.tar >out
	contains out "valid, unsigned"
	expect_code 0 lp show o.tar >show.out
	contains show.out "Café"
'
t "BagIt 0.97 with UTF-16 tag files: valid" '
	oldbag o16 utf-16
	expect_code 0 lp verify o16 >out
	contains out "valid, unsigned"
	tar --format=gnu -cf o16.tar o16/manifest-sha256.txt o16/tagmanifest-sha256.txt o16/data \
		o16/bag-info.txt o16/bagit.txt
	expect_code 0 lp verify o16.tar >out
	contains out "valid, unsigned"
'
t "the same names in a bag that says BagIt 1.0: the leading ./ is INVALID" '
	oldbag n utf-8
	sed -i "s/0.97/1.0/" n/bagit.txt
	expect_code 4 lp verify n >out
	contains out "with a leading '"'"'./'"'"' as BagIt 0.97 wrote names"
'

t "a manifest after its payload in a tar file: checked in a second pass, valid" '
	mkdir m
	echo "payload" >m/late.log
	python3 "$BAGIT_PY" --quiet --md5 --sha512 m
	payload_first m m.tar
	expect_code 0 lp verify m.tar >out
	contains out "valid, unsigned"
	zstd -q m.tar -o m.tar.zst
	expect_code 0 lp verify m.tar.zst >out
	contains out "valid, unsigned"
	expect_code 0 lp extract m.tar.zst dest 2>err
	cmp m/data/late.log dest/m/data/late.log
	echo "tampered!" >m/data/late.log
	payload_first m bad.tar
	expect_code 4 lp verify bad.tar >out
	contains out "does not match its MD5 checksum"
'
t "the same from a pipe: could not check (exit 9), never INVALID, nothing extracted" '
	mkdir m
	echo "payload" >m/late.log
	python3 "$BAGIT_PY" --quiet --md5 m
	payload_first m m.tar
	mkfifo pipe
	(timeout 20 sh -c "cat m.tar >pipe" &)
	expect_code 9 lp verify pipe >out
	contains out "could not check 1 files"
	lacks out "INVALID"
	expect_code 9 sh -c "cat m.tar | \"\$LOGPACK\" extract - dest" 2>err
	test ! -e dest
	contains err "refusing to extract an unchecked or incomplete bundle"
'

# rewrite_between TAR CMD...: run CMD (a logpack verify or extract of TAR) with the test hook
# that pauses it between its two passes; meanwhile change "payload" to "Payload" in TAR in
# place. Prints CMD's exit code.
rewrite_between() {
	tarfile=$1
	shift
	rm -f flag
	LOGPACK_TEST_BETWEEN_PASSES=$PWD/flag "$@" >between.out 2>&1 &
	pid=$!
	i=0
	while [ ! -e flag ] && [ $i -lt 1000 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	python3 -c "
import sys
data = open(sys.argv[1], \"rb\").read()
at = data.index(b\"payload\\n\")
with open(sys.argv[1], \"r+b\") as f:
    f.seek(at)
    f.write(b\"P\")
" "$tarfile"
	rm -f flag
	set +e
	wait $pid
	code=$?
	set -e
	echo $code
}

t "the two passes are bound: a bundle rewritten between them is INVALID, nothing extracted" '
	mkdir m
	echo "payload" >m/late.log
	python3 "$BAGIT_PY" --quiet --md5 m
	payload_first m m.tar
	cp m.tar m2.tar
	test "$(rewrite_between m.tar "$LOGPACK" verify m.tar)" -eq 4
	contains between.out "the bundle changed between the two passes"
	test "$(rewrite_between m2.tar "$LOGPACK" extract m2.tar dest)" -eq 4
	test ! -e dest
'

t "a logpack bundle, extracted with tar, validates with bagit-python" '
	make_root root
	lp -q collect --root root -o b.tar.zst >/dev/null
	mkdir x
	tar -C x -xf b.tar.zst
	python3 "$BAGIT_PY" --quiet --validate x/logpack-*
	make_key k "/CN=Signer"
	collect_signed s.tar.zst k
	mkdir y
	tar -C y -xf s.tar.zst
	python3 "$BAGIT_PY" --quiet --validate y/logpack-*
'

test_done
