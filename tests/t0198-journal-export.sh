#!/bin/sh
# logpack journal export: a journal file written by systemd's own tools, turned into export
# text by logpack's reader, equals what journalctl -o export writes, byte for byte: text and
# binary fields, zstd-compressed fields, several boots, many entries (a chain of entry arrays),
# compact and regular files. Damaged and hostile files give one line and exit 4.
. "$TEST_SRCDIR/test-lib.sh"

JR=/lib/systemd/systemd-journal-remote
[ -x "$JR" ] || JR=/usr/lib/systemd/systemd-journal-remote

# export_text N: N entries of journald export text on stdout, with every kind of value.
export_text() {
	python3 - "$1" <<'EOF'
import struct, sys
n = int(sys.argv[1])
out = sys.stdout.buffer
def text(k, v):
    out.write(k.encode() + b"=" + v + b"\n")
def binary(k, v):
    out.write(k.encode() + b"\n" + struct.pack("<Q", len(v)) + v + b"\n")
for i in range(n):
    boot = "%032x" % (0x1111 if i < n // 2 else 0x2222)
    text("__REALTIME_TIMESTAMP", str(1700000000000000 + i * 1000003).encode())
    text("__MONOTONIC_TIMESTAMP", str(5000000 + i * 999).encode())
    text("_BOOT_ID", boot.encode())
    text("_HOSTNAME", b"web1")
    text("MESSAGE", ("entry %d: sshd accepted password for user%d from 10.0.%d.%d" % (i, i % 7, i % 256, i % 200)).encode())
    text("PRIORITY", str(i % 8).encode())
    text("SYSLOG_IDENTIFIER", b"sshd" if i % 2 else "kernel \u00e5\u00e4\u00f6 \t tab".encode())
    if i % 5 == 0:
        binary("MULTILINE", b"line one\nline two %d" % i)
    if i % 11 == 0:
        binary("RAW", bytes([0, 1, 2, 0xff, 0xfe, 0x80, i % 256]))
    if i % 13 == 0:
        binary("NONCHAR", "x\ufdd0y".encode())
    if i % 17 == 0:
        binary("C1", "a\u0085b".encode())
    if i % 9 == 0:
        text("BIG", (("%d " % i) * 400).encode())
    if i == 0:
        text("HUGE", b"A" * (1024 * 1024))
    out.write(b"\n")
EOF
}

t "setup: journal files from systemd-journal-remote, compact and regular" '
	test -x "$JR"
	export_text 3000 >in.export
	"$JR" -o "$TRASH/compact.journal" in.export 2>jr.err
	SYSTEMD_JOURNAL_COMPACT=0 "$JR" -o "$TRASH/regular.journal" in.export 2>>jr.err
	export_text 3 >small.export
	"$JR" -o "$TRASH/small.journal" small.export 2>>jr.err
	cp "$TRASH"/*.journal .
	for f in compact regular small; do
		journalctl --file $f.journal -o export >"$TRASH/$f.want"
		test -s "$TRASH/$f.want"
	done
	# What the files hold: the compact flag or not, and zstd-compressed fields.
	journalctl --file compact.journal --header >h1
	journalctl --file regular.journal --header >h2
	grep -q "Incompatible flags:.*COMPACT" h1
	if grep -q "Incompatible flags:.*COMPACT" h2; then exit 1; fi
	grep -q "COMPRESSED-ZSTD" h1
	grep -q "^Entry objects: 3000$" h1
	grep -q "^Entry array objects: [1-9][0-9]*$" h1
'

for f in compact regular small; do
	t "$f: the export text equals journalctl -o export, byte for byte" '
		lp journal export "$TRASH/'$f'.journal" >got
		cmp got "$TRASH/'$f'.want"
	'
done

t "binary values (newlines, control bytes, invalid UTF-8, noncharacters, C1) keep their form" '
	lp journal export "$TRASH/compact.journal" >got
	grep -c "^MULTILINE$" got >n
	test "$(cat n)" -eq 600
	grep -c "^RAW$" got >n
	test "$(cat n)" -eq 273
	grep -q "^NONCHAR$" got
	grep -q "^C1$" got
	grep -q "^SYSLOG_IDENTIFIER=kernel" got
	test "$(grep -c "^_BOOT_ID=00000000000000000000000000002222$" got)" -eq 1500
'

t "-o FILE: written whole, never over an existing file" '
	lp journal export -o out.txt "$TRASH/small.journal"
	cmp out.txt "$TRASH/small.want"
	expect_code 3 lp journal export -o out.txt "$TRASH/compact.journal" 2>err
	cmp out.txt "$TRASH/small.want"
	contains err "out.txt"
'

t "usage: no subcommand, an unknown one, no file, two files: exit 2" '
	expect_code 2 lp journal 2>err
	expect_code 2 lp journal list 2>err
	contains err "unknown subcommand"
	expect_code 2 lp journal export 2>err
	contains err "give one journal file"
	expect_code 2 lp journal export a b 2>err
	lp journal --help >out
	contains out "journalctl --file JOURNAL-FILE -o export"
'

t "not a journal, a directory, a missing file: one line each, nothing written" '
	printf "hello\n" >plain.txt
	expect_code 4 lp journal export -o o1 plain.txt 2>err
	contains err "plain.txt: not a journal file"
	test "$(wc -l <err)" -eq 1
	mkdir d
	expect_code 3 lp journal export d 2>err
	contains err "d: not a regular file"
	expect_code 3 lp journal export missing 2>err
	contains err "missing: No such file or directory"
	test ! -e o1
'

# patch FILE OFFSET HEX: overwrite bytes of FILE at OFFSET.
patch() {
	python3 -c "
import sys
f = open(sys.argv[1], \"r+b\")
f.seek(int(sys.argv[2]))
f.write(bytes.fromhex(sys.argv[3]))" "$@"
}

t "damaged files: exit 4 with the reason and the offset; -o keeps nothing" '
	# Cut short: the entry array chain points past the end.
	head -c 40000 "$TRASH/compact.journal" >cut.journal
	expect_code 4 lp journal export -o o2 cut.journal >/dev/null 2>err
	contains err "cut.journal: "
	contains err "past the end of the file"
	test ! -e o2
	# The first entry array points back at the header: refused, no loop.
	cp "$TRASH/compact.journal" loop.journal
	patch loop.journal 176 0800000000000000
	expect_code 4 lp journal export loop.journal >/dev/null 2>err
	contains err "an entry array at offset 8: not one"
	# A field object that is not a data object.
	cp "$TRASH/small.journal" bad.journal
	arr=$(od -An -tu8 -j176 -N8 bad.journal | tr -d " ")
	first=$(od -An -tu4 -j$((arr + 24)) -N4 bad.journal | tr -d " ")
	item=$(od -An -tu4 -j$((first + 64)) -N4 bad.journal | tr -d " ")
	patch bad.journal "$item" 07
	expect_code 4 lp journal export bad.journal >/dev/null 2>err
	contains err "a data object at offset $item: not one (type 7"
'

t "a hostile file whose entries all point at one large field stops at the size bound" '
	# Every item of every entry made to point at the field that decompresses largest (HUGE,
	# 1 MiB of one letter in a few bytes of zstd): the text would be about 24 GiB from an 8 MiB
	# file; the reader stops at its bound (64 times the file, plus one largest field).
	python3 - "$TRASH/compact.journal" bomb.journal <<EOF
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
def content_size(p):
    # A zstd frame header: magic, descriptor, window byte, dictionary ID, content size.
    if b[p:p + 4] != bytes([0x28, 0xb5, 0x2f, 0xfd]):
        return 0
    d = b[p + 4]
    fcs, single, dict_flag = d >> 6, (d >> 5) & 1, d & 3
    q = p + 5 + (0 if single else 1) + [0, 1, 2, 4][dict_flag]
    n = [1 if single else 0, 2, 4, 8][fcs]
    v = int.from_bytes(b[q:q + n], "little") if n else 0
    return v + 256 if n == 2 else v
off = (struct.unpack_from("<Q", b, 88)[0] + 7) & ~7
big, best, entries = None, 0, []
while off + 16 <= len(b):
    t, flags = b[off], b[off + 1]
    size = struct.unpack_from("<Q", b, off + 8)[0]
    if t == 0 or size < 16:
        break
    if t == 1 and flags & 4 and content_size(off + 72) > best:
        big, best = off, content_size(off + 72)
    if t == 3:
        entries.append((off, size))
    off = (off + size + 7) & ~7
assert best == 1024 * 1024 + 5, best
for off, size in entries:
    for p in range(off + 64, off + size - 3, 4):
        struct.pack_into("<I", b, p, big)
open(sys.argv[2], "wb").write(b)
EOF
	{ if lp journal export bomb.journal 2>err; then echo 0 >rc; else echo $? >rc; fi; } |
		wc -c >n
	test "$(cat rc)" -eq 4
	contains err "more than 64 times the file"
	size=$(wc -c <bomb.journal)
	test "$(cat n)" -le $((size * 64 + 64 * 1024 * 1024 + 2 * 1024 * 1024))
	test "$(cat n)" -ge $((size * 64))
'

test_done
