#!/bin/sh
# snapshot --upload: the target is checked before the snapshot is taken, each snapshot bundle is
# sent after it, and the series keeps its local bundles.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

nginx_start || exit 1
T=$TRASH/root
make_debian_tree "$T"
URL="https://127.0.0.1:$NGINX_PORT/drop/series"
DROP="$SRV/nginx/www/drop/series"
CA="$SRV/ca.pem"
export LOGPACK_UPLOAD_USER="$NGINX_USER"
export LOGPACK_UPLOAD_PASSWORD="$NGINX_PASSWORD"
mkdir -m 0700 "$TRASH/state"
mkdir "$TRASH/out"

t "a failing pre-flight stops the snapshot before anything is taken" '
	LOGPACK_UPLOAD_PASSWORD=wrong expect_code 3 lp snapshot --state "$TRASH/state" --root "$T" \
		-o "$TRASH/out" --upload "$URL" --cacert "$CA" 2>err
	contains err "no snapshot taken"
	test -z "$(ls -A "$TRASH/out")"
'

t "two snapshots with --upload: each bundle and sidecar arrive intact, local copies kept" '
	lp snapshot --state "$TRASH/state" --root "$T" -o "$TRASH/out" --upload "$URL" --cacert "$CA" \
		>stdout 2>err
	echo "appended after the first snapshot" >>"$T/var/log/auth.log"
	lp snapshot --state "$TRASH/state" --root "$T" -o "$TRASH/out" --upload "$URL" --cacert "$CA" \
		>>stdout 2>>err
	test "$(ls "$TRASH"/out/*.tar.zst | wc -l)" = 2
	for b in "$TRASH"/out/*.tar.zst; do
		name=$(basename "$b")
		cmp "$b" "$DROP/$name"
		(cd "$DROP" && sha256sum -c "$name.sha256")
	done
'

t "--delete-after-upload is refused for snapshots (exit 2)" '
	expect_code 2 lp snapshot --state "$TRASH/state" --root "$T" -o "$TRASH/out" \
		--upload "$URL" --delete-after-upload 2>err
	contains err "--keep"
'
test_done
