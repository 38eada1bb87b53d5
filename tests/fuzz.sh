#!/bin/sh
# Build the bundle reader's libFuzzer target with clang (ASan + UBSan) and run it for a while
# on a seed corpus of real bundles, signed and unsigned, in every compression, a bag from
# another tool with a manifest after its payload and one with fetch.txt. The target reads each
# input with a trust store, under tight limits, and through `show`.
#
#   tests/fuzz.sh [SECONDS]        (default 60; "make fuzz" runs this)
#
# Needs a configured build directory for config.h and the logpack binary that makes the
# seeds: BUILD_DIR (default: _build beside this script's tree). Crashes are written to
# $BUILD_DIR/fuzz/ as crash-*; the exit status is libFuzzer's (0: nothing found).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
seconds=${1:-60}
out=$build/fuzz
[ -f "$build/config.h" ] || { echo "fuzz-reader.sh: no $build/config.h; configure first" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz-reader.sh: clang is needed" >&2; exit 2; }
mkdir -p "$out/corpus"

# base/gunzip.c inflates with ISA-L when the build has it, and with zlib in any case.
isal_libs=
if grep -q '^#define HAVE_ISAL 1' "$build/config.h"; then
	isal_libs=$(pkg-config --libs libisal)
fi
# shellcheck disable=SC2046
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$top/include" \
	$(pkg-config --cflags libarchive libcrypto jansson libzstd) \
	"$top/tests/fuzz-reader.c" "$top"/src/base/*.c "$top"/src/trust/*.c "$top"/src/bundle/*.c \
	"$top"/src/report/*.c "$top/src/cmd/cmd-show.c" "$top/src/cmd/command.c" \
	"$top/src/cmd/key-opts.c" \
	$(pkg-config --libs libarchive libcrypto zlib jansson libzstd) $isal_libs -lpthread -o "$out/fuzz-reader"

# Seeds: real bundles and a few hostile tars.
if [ -x "$build/src/logpack" ] && [ -z "$(ls -A "$out/corpus")" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	(
		cd "$work"
		mkdir -p root/etc root/var/log
		echo ID=debian >root/etc/os-release
		seq 1 200 >root/var/log/syslog
		echo "sshd: Accepted" >root/var/log/auth.log
		"$build/src/logpack" -q keygen --out k --subject /CN=Fuzz >/dev/null
		for c in none gzip zstd xz; do
			"$build/src/logpack" -q collect --root root -c "$c" -o "u-$c.tar" >/dev/null
			"$build/src/logpack" -q collect --root root -c "$c" -o "s-$c.tar" \
				--sign-key k.key --sign-cert k.crt >/dev/null
		done
		for f in u-*.tar s-*.tar; do cp "$f" "$out/corpus/$f"; done
		# The trust store the target loads: the seeds' signer, so trusted paths are taken.
		cp k.crt "$out/trust.pem"
		mkdir x && tar -C x -xf s-none.tar
		python3 - x "$out/corpus" <<'PYEOF'
import io, os, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
top = os.listdir(src)[0]
for name, kind in [("../x", "file"), ("/etc/x", "file"), (top + "/data/l", "sym"),
                   (top + "/data/h", "hard"), (top + "/bagit.txt", "file")]:
    with tarfile.open(os.path.join(dst, "hostile-" + kind + str(len(name)) + ".tar"), "w",
                      format=tarfile.PAX_FORMAT) as tf:
        tf.add(os.path.join(src, top), arcname=top)
        ti = tarfile.TarInfo(name)
        if kind == "sym":
            ti.type, ti.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tf.addfile(ti)
        elif kind == "hard":
            ti.type, ti.linkname = tarfile.LNKTYPE, top + "/bagit.txt"
            tf.addfile(ti)
        else:
            ti.size = 4
            tf.addfile(ti, io.BytesIO(b"boom"))
# A bag as other tools make it: an MD5 manifest after the payload (a second pass), and a
# fetch.txt naming a file that is not there.
import hashlib
files = []
for dirpath, dirs, names in os.walk(os.path.join(src, top, "data")):
    for n in names:
        p = os.path.join(dirpath, n)
        files.append((os.path.relpath(p, os.path.join(src, top)), open(p, "rb").read()))
md5 = "".join("%s  %s\n" % (hashlib.md5(b).hexdigest(), n) for n, b in files).encode()
fetch = b"https://example.org/x 1 data/x\n"
with tarfile.open(os.path.join(dst, "other-tool.tar"), "w", format=tarfile.PAX_FORMAT) as tf:
    for n, b in files:
        ti = tarfile.TarInfo(top + "/" + n)
        ti.size = len(b)
        tf.addfile(ti, io.BytesIO(b))
    for n, b in [("manifest-md5.txt", md5), ("fetch.txt", fetch),
                 ("bagit.txt", b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-8\n")]:
        ti = tarfile.TarInfo(top + "/" + n)
        ti.size = len(b)
        tf.addfile(ti, io.BytesIO(b))
PYEOF
	)
fi

cd "$out"
exec ./fuzz-reader -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=262144 \
	-print_final_stats=1 corpus
