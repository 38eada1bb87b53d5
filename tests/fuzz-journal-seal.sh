#!/bin/sh
# Build the journald seal check's libFuzzer target with clang (ASan + UBSan) and run it for a
# while on a seed corpus of small journal files: a sealed header with a tag, an entry and
# another tag (whose HMACs do not match, so the walk goes on to its end), compact and regular.
#
#   tests/fuzz-journal-seal.sh [SECONDS]     (default 60; "make fuzz" runs this after the others)
#
# Needs a configured build directory for config.h: BUILD_DIR (default: _build beside this
# script's tree). Crashes are written to $BUILD_DIR/fuzz-journal-seal/ as crash-*.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
seconds=${1:-60}
out=$build/fuzz-journal-seal
[ -f "$build/config.h" ] || { echo "fuzz-journal-seal.sh: no $build/config.h; configure first" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz-journal-seal.sh: clang is needed" >&2; exit 2; }
mkdir -p "$out/corpus"

# base/gunzip.c inflates with ISA-L when the build has it, and with zlib in any case.
isal_libs=
if grep -q '^#define HAVE_ISAL 1' "$build/config.h"; then
	isal_libs=$(pkg-config --libs libisal)
fi
# shellcheck disable=SC2046
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$top/include" \
	$(pkg-config --cflags libcrypto jansson) \
	"$top/tests/fuzz-journal-seal.c" "$top"/src/base/*.c "$top"/src/report/journalfile.c \
	"$top"/src/report/journal-seal.c "$top"/src/report/journal-fsprg.c \
	$(pkg-config --libs libcrypto jansson zlib) $isal_libs -lpthread -o "$out/fuzz-journal-seal"

c=$out/corpus
if [ -z "$(ls -A "$c")" ]; then
	python3 - "$c" <<'PY'
import struct, sys
def obj(t, body):
    o = struct.pack("<BB6xQ", t, 0, 16 + len(body)) + body
    return o + b"\0" * (-len(o) % 8)
for name, compact in (("compact", 1), ("regular", 0)):
    hs = 272
    objs = [obj(5, b"\0" * 16 * 4), obj(4, b"\0" * 16 * 4), obj(7, struct.pack("<QQ", 1, 0) + b"\1" * 32)]
    entry = struct.pack("<QQQ16sQ", 1, 1700000000000000, 5, b"\x11" * 16, 0) + b"\0" * (4 if compact else 16)
    data_payload = b"MESSAGE=hello"
    pad = b"\0" * (56 if compact else 48)
    objs += [obj(1, struct.pack("<Q", 7) + pad + data_payload), obj(3, entry),
             obj(7, struct.pack("<QQ", 2, 0) + b"\2" * 32)]
    body = b"".join(objs)
    tail = hs + len(body) - len(objs[-1])
    h = bytearray(hs)
    h[0:8] = b"LPKSHHRH"
    struct.pack_into("<II", h, 8, 1, 16 if compact else 0)
    struct.pack_into("<QQ", h, 88, hs, len(body))
    struct.pack_into("<Q", h, 136, tail)
    open("%s/%s" % (sys.argv[1], name), "wb").write(bytes(h) + body)
PY
fi

cd "$out"
exec ./fuzz-journal-seal -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=131072 -timeout=10 \
	-print_final_stats=1 corpus
