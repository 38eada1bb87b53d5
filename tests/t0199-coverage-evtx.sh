#!/bin/sh
# Event times of Windows .evtx files in logpack/coverage.json: each chunk's records walked
# (identifier and written time), first and last event, gaps; a damaged record or chunk is
# a finding; files cut short or with chunks still zero are read as far as they go.
. "$TEST_SRCDIR/test-lib.sh"

# evtx FILE SPEC: write an .evtx file. SPEC is python: a list of chunks, each a list of
# (record id, unix time) pairs; "bad" in place of a pair writes a record whose size is wrong.
evtx() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys, zlib
path, spec = sys.argv[1], eval(sys.argv[2])
def filetime(t):
    return int(t) * 10000000 + 116444736000000000
def record(rid, t):
    body = bytes([0x0f, 0x01, 0x01, 0x00]) + b"\x00" * 20  # a BinXML fragment header, stubbed
    size = 24 + len(body) + 4
    return b"**\x00\x00" + struct.pack("<IQQ", size, rid, filetime(t)) + body + struct.pack("<I", size)
chunks = []
next_id = 1
for spec_chunk in spec:
    recs = b""
    ids = []
    for r in spec_chunk:
        if r == "bad":
            recs += b"**\x00\x00" + struct.pack("<IQQ", 60000, 99, 0) + b"\x00" * 8
            continue
        recs += record(*r)
        ids.append(r[0])
        next_id = max(next_id, r[0] + 1)
    hdr = bytearray(512)
    hdr[0:8] = b"ElfChnk\x00"
    first, last = (ids[0], ids[-1]) if ids else (0, 0)
    struct.pack_into("<QQQQIII", hdr, 8, first, last, first, last, 128, 512, 512 + len(recs))
    chunk = bytes(hdr) + recs
    chunks.append(chunk + b"\x00" * (65536 - len(chunk)))
fh = bytearray(4096)
fh[0:8] = b"ElfFile\x00"
struct.pack_into("<QQQIHHHH", fh, 8, 0, len(chunks) - 1, next_id, 128, 1, 3, 4096, len(chunks))
struct.pack_into("<I", fh, 120, 0)
struct.pack_into("<I", fh, 124, zlib.crc32(bytes(fh[:120])))
open(path, "wb").write(bytes(fh) + b"".join(chunks))
EOF
}

# cov BUNDLE NAME PY-EXPR: PY-EXPR over the coverage record of the log NAME (l).
cov() {
	tar -xOf "$1" --wildcards '*/logpack/coverage.json' >cov.json
	python3 - "$2" "$3" <<'PY'
import json, sys
d = json.load(open("cov.json"))
l = [x for x in d["logs"] if x["path"].endswith("/" + sys.argv[1])][0]
v = eval(sys.argv[2])
print(json.dumps(v) if not isinstance(v, str) else v)
PY
}

R=$TRASH/root
L=$R/Windows/System32/winevt/Logs
mkdir -p "$L"
# 2026-03-03 10:00:00 UTC is 1772532000.
T0=1772532000
# Security: two chunks; a 3-hour silence between records 3 and 4.
evtx "$L/Security.evtx" "[[(1, $T0), (2, $T0 + 60), (3, $T0 + 120)],
	[(4, $T0 + 3 * 3600 + 120), (5, $T0 + 3 * 3600 + 180)]]"
# System: a record with a size that does not fit ends the walk of its chunk.
evtx "$L/System.evtx" "[[(1, $T0), (2, $T0 + 5), \"bad\", (3, $T0 + 9)], [(4, $T0 + 30)]]"
# Application: cut short inside its second chunk, after its first records.
evtx "$TRASH/app.evtx" "[[(1, $T0)], [(2, $T0 + 10), (3, $T0 + 20)]]"
head -c $((4096 + 65536 + 512 + 2 * 52)) "$TRASH/app.evtx" >"$L/Application.evtx"

t "collect: the records of each chunk give the event times and the gaps" '
	lp collect --root "$R" --profile windows -o b.tar.zst >/dev/null 2>&1 || test $? -eq 1
	test "$(cov b.tar.zst Security.evtx "l[\"format\"]")" = evtx
	test "$(cov b.tar.zst Security.evtx "l[\"events\"]")" = 5
	test "$(cov b.tar.zst Security.evtx "l[\"first_event\"]")" = "2026-03-03T10:00:00Z"
	test "$(cov b.tar.zst Security.evtx "l[\"last_event\"]")" = "2026-03-03T13:03:00Z"
	test "$(cov b.tar.zst Security.evtx "l[\"evtx\"][\"chunks_read\"]")" = 2
	test "$(cov b.tar.zst Security.evtx "l[\"evtx\"][\"records_read\"]")" = 5
	test "$(cov b.tar.zst Security.evtx "l[\"evtx\"][\"records\"]")" = 5
	test "$(cov b.tar.zst Security.evtx "l[\"gaps\"][\"largest\"][0][\"seconds\"]")" = 10800
	cov b.tar.zst Security.evtx "l[\"findings\"]" >f
	contains f gaps
	if grep -q evtx_damaged f; then exit 1; fi
'

t "a damaged record: the rest of its chunk is not read, the next chunk is; a finding" '
	lp collect --root "$R" --profile windows -o b.tar.zst >/dev/null 2>&1 || test $? -eq 1
	test "$(cov b.tar.zst System.evtx "l[\"events\"]")" = 3
	test "$(cov b.tar.zst System.evtx "l[\"evtx\"][\"damaged_records\"]")" = 1
	test "$(cov b.tar.zst System.evtx "l[\"last_event\"]")" = "2026-03-03T10:00:30Z"
	cov b.tar.zst System.evtx "l[\"findings\"]" >f
	contains f evtx_damaged
'

t "a file cut short inside a chunk: the records written before the cut are read" '
	lp collect --root "$R" --profile windows -o b.tar.zst >/dev/null 2>&1 || test $? -eq 1
	test "$(cov b.tar.zst Application.evtx "l[\"events\"]")" = 3
	test "$(cov b.tar.zst Application.evtx "l[\"last_event\"]")" = "2026-03-03T10:00:20Z"
'

t "show prints the time span of an .evtx file" '
	lp collect --root "$R" --profile windows -o b.tar.zst >/dev/null 2>&1 || test $? -eq 1
	lp show b.tar.zst >out
	contains out "Security.evtx"
	contains out "2026-03-03T10:00:00Z"
'

test_done
