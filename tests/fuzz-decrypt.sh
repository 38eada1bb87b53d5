#!/bin/sh
# Build the libFuzzer target for the parsers of encrypted input (tests/fuzz-decrypt.c: OpenPGP
# messages and keys, age files, CMS headers) with clang (ASan + UBSan), and run it for a while
# on seeds made by the stock tools with the target's own test keys.
#
#   tests/fuzz-decrypt.sh [SECONDS]        (default 60; "make fuzz" runs this too)
#
# Needs a configured build directory for config.h: BUILD_DIR (default: _build beside this
# script's tree). Crashes are written to $BUILD_DIR/fuzz-decrypt/ as crash-*; the exit status is
# libFuzzer's (0: nothing found).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
seconds=${1:-60}
out=$build/fuzz-decrypt
src=$top/tests/fuzz-decrypt.c
[ -f "$build/config.h" ] || { echo "fuzz-decrypt.sh: no $build/config.h; configure first" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz-decrypt.sh: clang is needed" >&2; exit 2; }
mkdir -p "$out/corpus"

# base/gunzip.c inflates with ISA-L when the build has it, and with zlib in any case.
isal_libs=
if grep -q '^#define HAVE_ISAL 1' "$build/config.h"; then
	isal_libs=$(pkg-config --libs libisal)
fi
# shellcheck disable=SC2046
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$top/include" $(pkg-config --cflags libcrypto zlib) \
	"$src" "$top"/src/base/*.c "$top"/src/trust/*.c \
	$(pkg-config --libs libarchive libcrypto zlib jansson libzstd) $isal_libs -lpthread \
	-o "$out/fuzz-decrypt"

# Seeds: what gpg, age and openssl write for the target's keys, each behind its selector byte.
if [ -z "$(ls -A "$out/corpus")" ]; then
	work=$(mktemp -d)
	trap 'GNUPGHOME="$work/g" gpgconf --kill gpg-agent 2>/dev/null; rm -rf "$work"' EXIT
	(
		cd "$work"
		umask 077
		mkdir g
		GNUPGHOME=$work/g
		export GNUPGHOME
		sed -n '/FUZZ-KEY-PGP-BEGIN/,/FUZZ-KEY-PGP-END/p' "$src" |
			sed -n 's/^[^"]*"\(.*\)\\n"[;]*$/\1/p' >pgp.asc
		sed -n 's/.*"\(AGE-SECRET-KEY-1[0-9A-Z]*\)".*/\1/p' "$src" >age.key
		gpg --batch -q --import pgp.asc 2>/dev/null
		gpg --batch --export >pgp.pub
		gpg --batch --export-secret-keys >pgp.sec
		seq 1 3000 >plain
		head -c 100 /dev/urandom >small
		n=0
		seed() { # SELECTOR FILE
			n=$((n + 1))
			{ printf "\\$(printf %03o "$1")"; cat "$2"; } >"$out/corpus/seed-$1-$n"
		}
		for opts in "" "-z 0" "--compress-algo zip"; do
			# shellcheck disable=SC2086
			gpg --batch -q --trust-model always -r fuzz@example.org $opts -o m.gpg \
				--encrypt plain
			seed 0 m.gpg
			rm m.gpg
		done
		gpg --batch -q --trust-model always -r fuzz@example.org -o s.gpg --encrypt small
		seed 0 s.gpg
		seed 1 pgp.sec
		seed 2 pgp.pub
		age -e -r "$(age-keygen -y age.key)" -o a.age plain
		seed 3 a.age
		age -e -r "$(age-keygen -y age.key)" -o b.age small
		seed 3 b.age
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout c.key \
			-out c.crt -subj /CN=fuzz -days 1 2>/dev/null
		openssl cms -encrypt -aes-256-gcm -binary -outform DER -in small -out c.p7m c.crt
		seed 4 c.p7m
	)
fi

cd "$out"
exec ./fuzz-decrypt -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 \
	-print_final_stats=1 corpus
