#!/bin/sh
# Build the redaction tokeniser's libFuzzer target with clang (ASan + UBSan) and run it for a
# while on a seed corpus of log lines with the inputs that broke other tools: addresses with
# leading zeros, upper-case and bracketed IPv6, IPv6 followed by ':', addresses in host names,
# URLs and reverse names, e-mail, MACs, user names that are common words, a telephone number.
#
#   tests/fuzz-tokenise.sh [SECONDS]     (default 60; "make fuzz" runs this after the others)
#
# Needs a configured build directory for config.h: BUILD_DIR (default: _build beside this
# script's tree). Crashes are written to $BUILD_DIR/fuzz-tokenise/ as crash-*.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
seconds=${1:-60}
out=$build/fuzz-tokenise
[ -f "$build/config.h" ] || { echo "fuzz-tokenise.sh: no $build/config.h; configure first" >&2; exit 2; }
command -v clang >/dev/null || { echo "fuzz-tokenise.sh: clang is needed" >&2; exit 2; }
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
	"$top/tests/fuzz-tokenise.c" "$top"/src/base/*.c "$top"/src/trust/pseudo.c \
	"$top"/src/trust/cryptopan.c "$top"/src/trust/addrmap.c "$top"/src/trust/tokenise*.c \
	$(pkg-config --libs libcrypto zlib jansson) $isal_libs -lpthread -o "$out/fuzz-tokenise"

c=$out/corpus
if [ -z "$(ls -A "$c")" ]; then
	printf 'Mar  3 00:00:01 web01 sshd[1]: Failed password for admin from 192.030.0.6 port 22 ssh2\n' >"$c/sshd"
	printf 'peer FD12:3456::1: reset; [2a01:4f8::9]:443; ::ffff:10.1.2.3:80\n' >"$c/ipv6"
	printf 'GET http://10.1.2.3:8080/x host ip-172-31-3-150.ec2.internal dhcp-192-168-0-66\n' >"$c/hosts"
	printf 'PTR 150.3.31.172.in-addr.arpa. b.a.9.8.7.6.5.4.3.2.1.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa\n' >"$c/reverse"
	printf 'from=<karin.s@corp.example.com> lladdr 00:1A:2B:3C:4D:5E aabb.ccdd.eeff user@1000.service\n' >"$c/mail-mac"
	printf 'caller +46 (0)8 123 456 78, 08-123 456 78 2026-11-27, 0046812345678\n' >"$c/phone"
	printf 'sudo:    admin : TTY=pts/0 ; USER=root ; uid=0(admin) acct="karin" /home/karin\n' >"$c/accounts"
fi

cd "$out"
exec ./fuzz-tokenise -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 -timeout=10 \
	-print_final_stats=1 corpus
