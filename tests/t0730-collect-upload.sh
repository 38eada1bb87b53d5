#!/bin/sh
# collect --upload: the target is checked before collecting, and the bundle sent after.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

nginx_start || exit 1
sshd_start || exit 1
T=$TRASH/root
make_debian_tree "$T"
URL="https://127.0.0.1:$NGINX_PORT/drop/case-17"
DROP="$SRV/nginx/www/drop/case-17"
CA="$SRV/ca.pem"
export LOGPACK_UPLOAD_USER="$NGINX_USER"
export LOGPACK_UPLOAD_PASSWORD="$NGINX_PASSWORD"

t "a failing pre-flight stops collect before it collects anything" '
	mkdir out &&
	LOGPACK_UPLOAD_PASSWORD=wrong expect_code 3 lp collect --root "$T" -o "$PWD/out" \
		--upload "$URL" --cacert "$CA" 2>err &&
	contains err "pre-flight failed" && contains err "HTTP 401" &&
	contains err "nothing collected" && test -z "$(ls -A out)"
'
t "an untrusted server stops collect before it collects anything" '
	mkdir out && expect_code 3 lp collect --root "$T" -o "$PWD/out" --upload "$URL" 2>err &&
	contains err "not trusted" && test -z "$(ls -A out)"
'
t "collect --upload over HTTPS: the bundle and sidecar arrive intact" '
	mkdir out && lp collect --root "$T" -o "$PWD/out" --upload "$URL" --cacert "$CA" \
		>stdout 2>err &&
	bundle=$(cat stdout) && name=$(basename "$bundle") && test -f "$bundle" &&
	cmp "$bundle" "$DROP/$name" && cmp "$bundle.sha256" "$DROP/$name.sha256" &&
	(cd "$DROP" && sha256sum -c "$name.sha256") && contains err "uploaded $bundle to $URL/$name"
'
t "encrypted to two kinds, with a label: every file written arrives, each with its sidecar" '
	lp -q keygen --type x509-encryption -o recv >/dev/null
	age-keygen -o age.key 2>/dev/null
	lp -q keygen -o sig --subject /CN=Sender >/dev/null
	mkdir out
	lp collect --root "$T" -o "$PWD/out" --encrypt-to recv.crt \
		--encrypt-to "$(age-keygen -y age.key)" --label --sign-key sig.key \
		--sign-cert sig.crt --upload "$URL/enc" --cacert "$CA" >stdout 2>err
	ls out | grep -v "\.sha256$" | sort >written
	# .age, .enc, .p7m, .label.json, .label.json.p7s
	test "$(wc -l <written)" -eq 5
	for f in $(cat written); do
		cmp "out/$f" "$DROP/enc/$f"
		(cd "$DROP/enc" && sha256sum -c "$f.sha256" >/dev/null)
	done
	# The drop is enough for the receiver: each kind opens there.
	lp -q decrypt -k age.key -o by-age "$DROP/enc/$(grep "\.age$" written)" >/dev/null
	lp -q decrypt -k recv.key -o by-x509 "$DROP/enc/$(grep "\.p7m$" written)" >/dev/null
	cmp by-age by-x509
'
t "collect --upload --delete-after-upload over SFTP leaves no local copy" '
	mkdir out && lp collect --root "$T" -o "$PWD/out" --delete-after-upload \
		--upload "sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$SSH_DROP" --identity "$SRV/client_key" \
		--known-hosts "$SRV/known_hosts" >stdout 2>err &&
	name=$(basename "$(cat stdout)") && test -z "$(ls -A out)" &&
	(cd "$SSH_DROP" && sha256sum -c "$name.sha256") && tar -tf "$SSH_DROP/$name" >list &&
	contains list "/manifest-sha256.txt"
'
t "collect --json --upload reports the upload in the summary" '
	mkdir out && lp collect --json --root "$T" -o "$PWD/out" --upload "$URL/json" --cacert "$CA" \
		>stdout 2>err &&
	jq -e ".upload[0].ok and .upload[0].bytes == .bundle_bytes and .upload[0].sha256 == .sha256" \
		stdout &&
	name=$(basename "$(jq -r .bundle stdout)") && cmp "out/$name" "$DROP/json/$name"
'
t "collect --dry-run --upload only checks the target" '
	before=$(ls "$DROP" | wc -l) &&
	lp collect --root "$T" --dry-run --upload "$URL" --cacert "$CA" >out 2>err &&
	test "$(ls "$DROP" | wc -l)" -eq "$before"
'
t "an upload that fails after collecting keeps the bundle and exits 3" '
	mkdir out && lp collect --root "$T" -o "$PWD/out" --upload "$URL" --cacert "$CA" \
		--retries 1 --retry-delay 0.1 --limit-rate 4K >stdout 2>err &
	pid=$!
	# Stop the server once the pre-flight has passed and the upload is under way.
	for _ in $(seq 1 100); do
		if grep -q "PUT /drop/case-17/logpack-" "$SRV/nginx/access.log" 2>/dev/null; then break; fi
		if ls out/*.tar.zst >/dev/null 2>&1; then break; fi
		sleep 0.1
	done
	sleep 0.5
	nginx_stop
	expect_code 3 wait $pid && contains err "not uploaded" && contains err "local bundle is kept" &&
	test -f "$(cat stdout)"
'
t "SIGINT during the upload after collecting: exit 130, the bundle kept and named so" '
	nginx_start
	mkdir out
	"$LOGPACK" collect --root "$T" -o "$PWD/out" --upload "$URL/int" --cacert "$CA" \
		--limit-rate 2K >stdout 2>err &
	pid=$!
	for _ in $(seq 1 100); do
		if ls out/*.tar.zst >/dev/null 2>&1; then break; fi
		sleep 0.1
	done
	sleep 1 && kill -INT $pid && expect_code 130 wait $pid &&
	contains err "interrupted" && contains err "local bundle is kept" &&
	lacks err "partial bundle was removed" && test -f "$(cat stdout)"
	st=$?
	nginx_stop
	exit $st
'
t "--delete-after-upload without --upload is a usage error" '
	expect_code 2 lp collect --root "$T" --delete-after-upload 2>err &&
	contains err "needs --upload"
'
test_done
