#!/bin/sh
# Build the coverage parsers' libFuzzer target with clang (ASan + UBSan) and run it for a while
# on a seed corpus of logs of every format logpack recognises, a journal file when
# systemd-journal-remote is there, configuration files and a coverage.json.
#
#   tests/fuzz-coverage.sh [SECONDS]     (default 60; "make fuzz" runs this after fuzz.sh)
#
# Needs a configured build directory for config.h: BUILD_DIR (default: _build beside this
# script's tree). Crashes are written to $BUILD_DIR/fuzz-coverage/ as crash-*.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
seconds=${1:-60}
out=$build/fuzz-coverage
[ -f "$build/config.h" ] || { echo "fuzz-coverage.sh: no $build/config.h; configure first" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz-coverage.sh: clang is needed" >&2; exit 2; }
mkdir -p "$out/corpus"

# base/gunzip.c inflates with ISA-L when the build has it, and with zlib in any case.
isal_libs=
if grep -q '^#define HAVE_ISAL 1' "$build/config.h"; then
	isal_libs=$(pkg-config --libs libisal)
fi
# shellcheck disable=SC2046
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$top/include" \
	$(pkg-config --cflags jansson libzstd zlib) \
	"$top/tests/fuzz-coverage.c" "$top"/src/base/*.c "$top"/src/report/*.c \
	$(pkg-config --libs jansson libzstd zlib libcrypto) $isal_libs -o "$out/fuzz-coverage"

# Seeds: the first byte chooses the parser (see fuzz-coverage.c).
c=$out/corpus
if [ -z "$(ls -A "$c")" ]; then
	{ printf '\000'; printf 'Mar  3 00:00:01 host a: x\nMar  3 09:00:00 host a: y\n\000\000garbage\n'; } >"$c/rfc3164"
	{ printf '\000'; printf '<4>1 2026-03-03T10:00:00+01:00 h k - - - x\n2026-03-03T10:00:00.5Z h t: y\n'; } >"$c/5424"
	{ printf '\000'; printf 'type=LOGIN msg=audit(1772500000.1:2): x\n{"time":"2026-03-03T10:00:00Z"}\n{"ts":1772500000123}\n'; } >"$c/audit-json"
	{ printf '\000'; printf '1.2.3.4 - - [31/Dec/2025:23:50:00 +0000] "GET / HTTP/1.1" 200 1\n#Fields: date time\n2026-03-03 10:00:00 GET\n'; } >"$c/combined-w3c"
	{ printf '\002'; python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<hxxi32s4s32s256shhiii4i20x",7,1,b"p",b"i",b"u",b"h",0,0,0,1772500000,0,0,0,0,0)+bytes(384))'; } >"$c/wtmp"
	{ printf '\006'; printf 'Mar  3 00:00:01 host a: x\n' | gzip; } >"$c/gzip"
	{ printf '\002'; printf '*.* @@h:514\naction(type="omfwd" target="t" port="1" protocol="tcp")\n'; } >"$c/rsyslog"
	{ printf '\006'; printf 'destination d { network("h" port(1)); };\n'; } >"$c/syslog-ng"
	{ printf '\003'; printf '{"logs":[{"path":"/x","format":"rfc3164","gaps":{"count":1,"largest":[{"seconds":9}]}}],"rotation_sets":[{"base":"/x","missing_generations":[2]}]}'; } >"$c/doc"
	# An .evtx file: the header block, then one chunk of two records.
	{ printf '\000'; python3 -c '
import struct, sys
recs = b""
for rid in (1, 2):
    recs += b"**\0\0" + struct.pack("<IQQ", 32, rid, 134170000000000000 + rid) + b"\0" * 4 + struct.pack("<I", 32)
fh = bytearray(4096); fh[0:8] = b"ElfFile\0"; struct.pack_into("<QQQ", fh, 8, 0, 0, 3)
ch = bytearray(512); ch[0:8] = b"ElfChnk\0"; struct.pack_into("<I", ch, 48, 512 + len(recs))
sys.stdout.buffer.write(bytes(fh) + bytes(ch) + recs)'; } >"$c/evtx"
	jr=/lib/systemd/systemd-journal-remote
	if [ -x "$jr" ]; then
		tmp=$(mktemp -d)
		printf '__REALTIME_TIMESTAMP=1772500000000000\n__MONOTONIC_TIMESTAMP=1\n_BOOT_ID=0123456789abcdef0123456789abcdef\nMESSAGE=x\n\n' >"$tmp/e"
		"$jr" -o "$tmp/j.journal" "$tmp/e" 2>/dev/null
		# Only the used part: the arena after the tail object is empty.
		{ printf '\004'; head -c 65536 "$tmp/j.journal"; } >"$c/journal"
		rm -rf "$tmp"
	fi
fi

cd "$out"
exec ./fuzz-coverage -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=131072 \
	-print_final_stats=1 corpus
