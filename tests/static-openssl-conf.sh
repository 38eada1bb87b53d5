#!/bin/sh
# No OpenSSL configuration of the host gets in: with OPENSSL_CONF naming a config that loads a
# provider module, logpack (keygen, a signed collect, verify, an https upload attempt) never
# opens that config nor the module, in every build (the static binary must not depend on the
# host's /etc/ssl, and a normal build must not be steered by a hostile environment).
# Old kernels: OpenSSL's own seeding falls back to /dev/urandom when getrandom is missing.
. "$TEST_SRCDIR/test-lib.sh"

if ! command -v strace >/dev/null 2>&1; then
	echo "1..0 # SKIP strace is not installed"
	exit 0
fi
# strace must be able to trace (a container may forbid ptrace).
if ! strace -f -o /dev/null true 2>/dev/null; then
	echo "1..0 # SKIP strace cannot trace here"
	exit 0
fi

# Every check here runs logpack under strace, where LeakSanitizer cannot work (a sanitizer
# build would abort at exit): leak checking is off for this file.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

H=$TRASH/hostile
mkdir -p "$H"
cat >"$H/openssl.cnf" <<CNF
openssl_conf = lp_init
[lp_init]
providers = lp_providers
[lp_providers]
evil = evil_provider
default = default_provider
[evil_provider]
module = $H/evil-provider.so
activate = 1
[default_provider]
activate = 1
CNF
export OPENSSL_CONF="$H/openssl.cnf"
export OPENSSL_MODULES="$H"
export OPENSSL_ENGINES="$H"
: >"$H/evil-provider.so"

# traced LOG COMMAND...: run COMMAND under strace, recording every file it opens in LOG.
traced() {
	log=$1
	shift
	strace -f -qq -e trace=open,openat,openat2 -o "$log" "$@"
}

# untouched LOG: fail if the trace shows the hostile config or module being opened.
untouched() {
	if grep -E 'hostile/(openssl\.cnf|evil-provider)' "$1"; then
		echo "logpack opened the hostile OpenSSL configuration or module" >&2
		return 1
	fi
}

make_debian_tree "$TRASH/root"

t "the trace sees a config being read when a program does read it (the check can fail)" '
	if ! command -v openssl >/dev/null; then echo "no openssl tool" >&2; exit 1; fi
	strace -f -qq -e trace=open,openat,openat2 -o trace openssl version >/dev/null 2>&1 || :
	contains trace "hostile/openssl.cnf"
'
t "keygen opens no OpenSSL configuration or module of the host" '
	traced trace "$LOGPACK" keygen --out "$TRASH/k" --subject /CN=conf-test >out 2>&1 &&
	test -s "$TRASH/k.key" && untouched trace
'
t "a signed collect and its verify open neither" '
	traced trace1 "$LOGPACK" collect --root "$TRASH/root" -o "$TRASH/b.tar.zst" \
		--sign-key "$TRASH/k.key" --sign-cert "$TRASH/k.crt" >out 2>&1 &&
	untouched trace1 &&
	traced trace2 "$LOGPACK" verify --trust "$TRASH/k.crt" "$TRASH/b.tar.zst" >out 2>&1 &&
	untouched trace2
'
t "an https upload (libcurl initialises OpenSSL too) opens neither" '
	traced trace "$LOGPACK" upload --test --retries 0 --to https://127.0.0.1:1/drop/ >out 2>&1 || :
	grep -q "connect\|refused\|127.0.0.1" out && untouched trace
'
# OpenSSL reads /dev/urandom (after waiting for /dev/random to be readable) only when the
# kernel is older than 4.8 as well; a 2.6 personality makes uname say so.
t "without getrandom (a kernel before 3.17) keygen works, seeded from /dev/urandom" '
	setarch "$(uname -m)" --uname-2.6 strace -f -qq -e trace=open,openat,getrandom \
		-e inject=getrandom:error=ENOSYS -o trace \
		"$LOGPACK" keygen --out "$TRASH/k2" --subject /CN=old-kernel >out 2>&1 &&
	test -s "$TRASH/k2.key" && contains trace "(INJECTED)" && contains trace "/dev/urandom"
'
test_done
