#!/bin/sh
# collect --upload and snapshot --upload send the SHA-256 the writer computed: the finished
# bundle is opened once, to send it, never read again to hash it. A bundle given to
# 'logpack upload' is still hashed and checked against its sidecar.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

if ! command -v strace >/dev/null 2>&1 || ! strace -qq -e trace=none true 2>/dev/null; then
	echo "1..0 # SKIP strace is missing or cannot trace here"
	exit 0
fi
nginx_start || exit 1
T=$TRASH/root
make_debian_tree "$T"
URL="https://127.0.0.1:$NGINX_PORT/drop/known-hash"
DROP="$SRV/nginx/www/drop/known-hash"
CA="$SRV/ca.pem"
export LOGPACK_UPLOAD_USER="$NGINX_USER"
export LOGPACK_UPLOAD_PASSWORD="$NGINX_PASSWORD"

# traced TRACE COMMAND...: run logpack under strace, its opens logged to TRACE. LeakSanitizer
# cannot run under ptrace, so a sanitizer build checks leaks in the other tests, not here.
traced() {
	out=$1
	shift
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -e trace=openat -o "$out" "$LOGPACK" "$@"
}

# opens TRACE FILE: how many times the traced processes opened FILE.
opens() {
	grep -cF "openat(AT_FDCWD, \"$2\", " "$1" || true
}

t "collect --upload opens the finished bundle once (to send it), not to hash it again" '
	mkdir out
	traced trace collect --root "$T" -o "$PWD/out" \
		--upload "$URL" --cacert "$CA" >stdout 2>err
	bundle=$(cat stdout)
	name=$(basename "$bundle")
	cmp "$bundle" "$DROP/$name"
	(cd "$DROP" && sha256sum -c "$name.sha256")
	n=$(opens trace "$bundle")
	if [ "$n" -ne 1 ]; then
		echo "the bundle was opened $n times:"
		grep -F "$bundle\"" trace || :
		exit 1
	fi
'

t "snapshot --upload opens the finished bundle once as well" '
	mkdir -m 0700 state
	mkdir out
	traced trace snapshot --state "$PWD/state" --root "$T" \
		-o "$PWD/out" --upload "$URL" --cacert "$CA" >stdout 2>err
	bundle=$(ls "$PWD"/out/*.tar.zst)
	name=$(basename "$bundle")
	cmp "$bundle" "$DROP/$name"
	n=$(opens trace "$bundle")
	if [ "$n" -ne 1 ]; then
		echo "the bundle was opened $n times:"
		grep -F "$bundle\"" trace || :
		exit 1
	fi
'

t "logpack upload of a given bundle still reads it to check it against its sidecar" '
	mkdir out
	lp collect --root "$T" -o "$PWD/out" >stdout 2>err
	bundle=$(cat stdout)
	traced trace upload --to "$URL/again" --cacert "$CA" \
		"$bundle" >out.txt 2>err
	n=$(opens trace "$bundle")
	if [ "$n" -ne 2 ]; then
		echo "the bundle was opened $n times, not twice (hash, send)" && exit 1
	fi
	# A sidecar that does not match stops that upload.
	printf "%064d  x\n" 0 >"$bundle.sha256"
	expect_code 3 lp upload --to "$URL/stale" --cacert "$CA" "$bundle" >out.txt 2>err
	contains err "does not match its sidecar"
	if [ -e "$DROP/stale/$(basename "$bundle")" ]; then
		echo "sent although its sidecar disagrees" && exit 1
	fi
'

t "collect --json --upload: the record and the sidecar sent carry the writer's hash" '
	mkdir out
	lp collect --json --root "$T" -o "$PWD/out" --upload "$URL/json" --cacert "$CA" >stdout 2>err
	jq -e ".upload[0].ok and .upload[0].sha256 == .sha256" stdout >/dev/null
	name=$(basename "$(jq -r .bundle stdout)")
	test "$(cut -d" " -f1 "$DROP/json/$name.sha256")" = "$(jq -r .sha256 stdout)"
'
test_done
