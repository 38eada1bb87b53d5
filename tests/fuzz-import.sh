#!/bin/sh
# Build the ForensicArtifacts importer's libFuzzer target (tests/fuzz-import.c) with clang
# (ASan + UBSan) and run it for a while on seeds: real definitions from the shared copy when it
# is there, and small ones with groups, variables, templates and hostile YAML.
#
#   tests/fuzz-import.sh [SECONDS]     (default 60; "make fuzz" runs this with the others)
#
# Needs a configured build directory for config.h and the generated profile table: BUILD_DIR
# (default: _build beside this script's tree). Crashes are written to $BUILD_DIR/fuzz-import/
# as crash-*; the exit status is libFuzzer's (0: nothing found).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
seconds=${1:-60}
out=$build/fuzz-import
fa=${LOGPACK_FORENSIC_ARTIFACTS:-$top/../shared/forensic-artifacts/data}
[ -f "$build/config.h" ] || { echo "fuzz-import.sh: no $build/config.h; configure first" >&2; exit 2; }
[ -f "$build/src/gather/profiles-builtin.inc" ] || { echo "fuzz-import.sh: build first (profiles-builtin.inc)" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz-import.sh: clang is needed" >&2; exit 2; }
mkdir -p "$out/corpus"

# base/gunzip.c inflates with ISA-L when the build has it, and with zlib in any case.
isal_libs=
if grep -q '^#define HAVE_ISAL 1' "$build/config.h"; then
	isal_libs=$(pkg-config --libs libisal)
fi
# shellcheck disable=SC2046
clang -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$build/src/gather" -I"$top/include" $(pkg-config --cflags yaml-0.1) \
	-DLOGPACK_PKGDATA_DIR='"/nonexistent"' -DLOGPACK_SOURCE_DIR="\"$top\"" \
	-DLOGPACK_BUILD_DIR="\"$build\"" \
	"$top/tests/fuzz-import.c" "$top"/src/base/*.c "$top"/src/gather/profile-import*.c \
	"$top/src/gather/profile.c" "$top/src/gather/profile-builtin.c" \
	$(pkg-config --libs yaml-0.1 libcrypto jansson zlib) $isal_libs -lpthread -o "$out/fuzz-import"

c=$out/corpus
if [ -z "$(ls -A "$c")" ]; then
	for f in linux.yaml macos.yaml shell.yaml triage.yaml unix_common.yaml; do
		# The first 16 KiB of each: whole documents enough, and quick to mutate.
		if [ -f "$fa/$f" ]; then
			head -c 16384 "$fa/$f" >"$c/fa-$f"
		fi
	done
	printf 'name: A\nsources:\n- type: ARTIFACT_GROUP\n  attributes: {names: [B, A]}\n---\nname: B\nsources:\n- type: FILE\n  attributes: {paths: ["%%%%users.homedir%%%%/.x", "/a/**3/b", "C:\\\\y"], separator: "\\\\"}\n  supported_os: [Linux]\nsupported_os: [Linux, Darwin]\nurls: [u]\n' >"$c/groups"
	printf 'name: W\nsources:\n- type: FILE\n  attributes: {paths: ["%%%%environ_systemroot%%%%\\\\System32\\\\*.log", "%%%%users.sid%%%%"], separator: "\\\\"}\n- type: REGISTRY_KEY\n  attributes: {keys: [k]}\n' >"$c/windows"
	{ printf 'name: T\nsources:\n- type: DIRECTORY\n  attributes: {paths: [/etc/t]}\n'; printf '\000'; printf 'name x\n[a]\nartifact T\n/var/log/x\n'; } >"$c/template"
	printf 'a: &x [1]\nb: *x\n' >"$c/alias"
	printf -- '---\n---\nname: [\n---\n{paths:[x]}\n' >"$c/broken"
fi

cd "$out"
exec ./fuzz-import -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 \
	-print_final_stats=1 corpus
