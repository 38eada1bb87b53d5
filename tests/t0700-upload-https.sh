#!/bin/sh
# upload over HTTPS to a real nginx WebDAV drop with TLS (a CA made here) and basic auth.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

nginx_start || exit 1
URL="https://127.0.0.1:$NGINX_PORT/drop/incoming"
DROP="$SRV/nginx/www/drop/incoming"
CA="$SRV/ca.pem"
export LOGPACK_UPLOAD_USER="$NGINX_USER"
export LOGPACK_UPLOAD_PASSWORD="$NGINX_PASSWORD"
B=logpack-web01-20240501T120000Z.tar.zst
make_bundle "$TRASH/$B" 300
# 401 answers in the access log so far: a retry storm would add many.
count_401() {
	awk '$9 == 401' "$SRV/nginx/access.log" | wc -l
}

t "--help describes the targets and exits 0" '
	lp upload --help >out && contains out "sftp://USER@HOST" && contains out "--cacert"
'
t "no --to is a usage error" '
	expect_code 2 lp upload "$TRASH/$B" 2>err && contains err "--to URL is required"
'
t "plain http is refused" '
	expect_code 3 lp upload --to "http://127.0.0.1:$NGINX_PORT/drop/" "$TRASH/$B" 2>err &&
	contains err "plain http is refused"
'
t "a password in the URL is refused and not echoed" '
	expect_code 3 lp upload --to "https://drop:hunter2@127.0.0.1:$NGINX_PORT/drop/" \
		"$TRASH/$B" 2>err &&
	contains err "would show in the process list" && lacks err hunter2
'
t "a server certificate from an unknown CA is refused, without retries" '
	expect_code 3 lp upload --test --retry-delay 0.1 --to "$URL" 2>err &&
	contains err "certificate is not trusted" && contains err "--cacert" &&
	lacks err "retrying"
'
t "a CA that did not sign the server certificate is refused too" '
	expect_code 3 lp upload --test --cacert "$SRV/other-ca.pem" --to "$URL" 2>err &&
	contains err "not trusted"
'
t "--test with --cacert passes and leaves no probe behind" '
	lp upload --test --cacert "$CA" --to "$URL" >out 2>err &&
	contains out "identity verified, writable" &&
	test -z "$(ls -A "$DROP")"
'
t "upload: the remote bundle and sidecar equal the local ones; sha256sum -c passes there" '
	lp upload --cacert "$CA" --to "$URL" "$TRASH/$B" >out 2>err &&
	cmp "$TRASH/$B" "$DROP/$B" && cmp "$TRASH/$B.sha256" "$DROP/$B.sha256" &&
	(cd "$DROP" && sha256sum -c "$B.sha256") &&
	contains out "$URL/$B" && test -f "$TRASH/$B"
'
t "a wrong password: a clear error, one attempt, the local bundle kept" '
	before=$(count_401)
	LOGPACK_UPLOAD_PASSWORD=wrong expect_code 3 lp upload --retries 5 --retry-delay 0.1 \
		--cacert "$CA" --to "$URL" "$TRASH/$B" 2>err &&
	contains err "authentication failed (HTTP 401)" && contains err "local bundle is kept" &&
	lacks err "retrying" && test "$(($(count_401) - before))" -le 2 && test -f "$TRASH/$B"
'
t "--test with a wrong password fails before anything is sent" '
	LOGPACK_UPLOAD_PASSWORD=wrong expect_code 3 lp upload --test --cacert "$CA" \
		--to "$URL" 2>err && contains err "pre-flight failed" && contains err "HTTP 401"
'
t "403 is not retried" '
	expect_code 3 lp upload --retry-delay 0.1 --cacert "$CA" \
		--to "https://127.0.0.1:$NGINX_PORT/ro/" "$TRASH/$B" 2>err &&
	contains err "permission denied (HTTP 403)" && lacks err "retrying"
'
t "5xx is retried with backoff, then a clear error" '
	expect_code 3 lp upload --retries 2 --retry-delay 0.1 --cacert "$CA" \
		--to "https://127.0.0.1:$NGINX_PORT/busy/" "$TRASH/$B" 2>err &&
	contains err "attempt 1 of 3 failed: HTTP 503" && contains err "attempt 2 of 3 failed" &&
	contains err "gave up after 3 attempts" && test -f "$TRASH/$B"
'
t "a server that acknowledges but holds fewer bytes: not reported as sent" '
	head -c 1000 "$TRASH/$B" >"$SRV/nginx/www/short/$B" &&
	expect_code 3 lp upload --delete-after-upload --cacert "$CA" \
		--to "https://127.0.0.1:$NGINX_PORT/liar" "$TRASH/$B" >out 2>err &&
	test -f "$SRV/nginx/www/liar/$B" && contains err "the server holds 1000 bytes" &&
	contains err "not complete" && contains err "local bundle is kept" && test -f "$TRASH/$B" &&
	lacks out "$B"
'
t "a bearer token from LOGPACK_UPLOAD_TOKEN; a wrong one fails once, clearly" '
	env -u LOGPACK_UPLOAD_USER -u LOGPACK_UPLOAD_PASSWORD LOGPACK_UPLOAD_TOKEN="$NGINX_TOKEN" \
		"$LOGPACK" -v upload --cacert "$CA" --to "https://127.0.0.1:$NGINX_PORT/bearer" \
		"$TRASH/$B" >out 2>err &&
	cmp "$TRASH/$B" "$SRV/nginx/www/bearer/$B" && contains err "Authorization: [redacted]" &&
	lacks err "$NGINX_TOKEN" &&
	env -u LOGPACK_UPLOAD_USER -u LOGPACK_UPLOAD_PASSWORD LOGPACK_UPLOAD_TOKEN=wrong \
		"$LOGPACK" upload --cacert "$CA" --to "https://127.0.0.1:$NGINX_PORT/bearer" \
		"$TRASH/$B" 2>err && exit 1
	contains err "HTTP 401" && lacks err retrying
'
t "--verbose traces the exchange with the Authorization header redacted" '
	lp -v upload --cacert "$CA" --to "$URL/v" "$TRASH/$B" >out 2>err &&
	contains err "> PUT /drop/incoming/v/$B" && contains err "Authorization: [redacted]" &&
	lacks err "$NGINX_PASSWORD" &&
	lacks err "$(printf "%s:%s" "$NGINX_USER" "$NGINX_PASSWORD" | base64)"
'
t "--json reports each bundle" '
	lp upload --json --cacert "$CA" --to "$URL/j" "$TRASH/$B" >out 2>err &&
	jq -e ".ok == true and .bundles[0].ok == true and .bundles[0].bytes == $(stat -c %s "$TRASH/$B")" \
		out && jq -e ".bundles[0].sha256 == \"$(cut -c1-64 "$TRASH/$B.sha256")\"" out
'
t "a sidecar that does not match the bundle stops the upload" '
	cp "$TRASH/$B" bad.tar.zst && echo "0000000000000000000000000000000000000000000000000000000000000000  bad.tar.zst" >bad.tar.zst.sha256 &&
	expect_code 3 lp upload --cacert "$CA" --to "$URL" "$PWD/bad.tar.zst" 2>err &&
	contains err "does not match its sidecar" && test ! -e "$DROP/bad.tar.zst"
'
t "a missing sidecar is made and sent" '
	make_bundle nosc.tar.zst 5 && mv nosc.tar.zst.sha256 expected && 
	lp upload --cacert "$CA" --to "$URL" "$PWD/nosc.tar.zst" >out 2>err &&
	cmp expected "$DROP/nosc.tar.zst.sha256"
'
t "--pin-pubkey: the right key passes, another is refused" '
	pin=$(openssl x509 -in "$SRV/srv.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64)
	lp upload --test --cacert "$CA" --pin-pubkey "sha256//$pin" --to "$URL" >out &&
	expect_code 3 lp upload --test --cacert "$CA" \
		--pin-pubkey "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" --to "$URL" 2>err &&
	contains err "does not match --pin-pubkey"
'
t "a --credentials file readable by others is refused; mode 600 works" '
	printf "user=%s\npassword=%s\n" "$NGINX_USER" "$NGINX_PASSWORD" >creds && chmod 644 creds &&
	env -u LOGPACK_UPLOAD_USER -u LOGPACK_UPLOAD_PASSWORD \
		"$LOGPACK" upload --test --cacert "$CA" --credentials creds --to "$URL" 2>err &&
	exit 1
	contains err "group or others may read it" && chmod 600 creds &&
	env -u LOGPACK_UPLOAD_USER -u LOGPACK_UPLOAD_PASSWORD \
		"$LOGPACK" upload --test --cacert "$CA" --credentials creds --to "$URL"
'
t "--delete-after-upload removes the local files only after a verified upload" '
	make_bundle del.tar.zst 20 && cp del.tar.zst keep &&
	LOGPACK_UPLOAD_PASSWORD=wrong expect_code 3 lp upload --delete-after-upload \
		--cacert "$CA" --to "$URL" "$PWD/del.tar.zst" 2>err &&
	test -f del.tar.zst && test -f del.tar.zst.sha256 &&
	lp upload --delete-after-upload --cacert "$CA" --to "$URL" "$PWD/del.tar.zst" 2>err &&
	test ! -e del.tar.zst && test ! -e del.tar.zst.sha256 && cmp keep "$DROP/del.tar.zst"
'
t "--limit-rate slows the transfer" '
	make_bundle slow.tar.zst 200 && start=$(date +%s%N) &&
	lp upload --limit-rate 100K --cacert "$CA" --to "$URL" "$PWD/slow.tar.zst" 2>err &&
	end=$(date +%s%N) && test $(((end - start) / 1000000)) -ge 1500 &&
	cmp slow.tar.zst "$DROP/slow.tar.zst"
'
t "server killed mid-transfer and restarted: the upload completes, bytes equal" '
	make_bundle big.tar.zst 1500 &&
	lp upload --limit-rate 300K --retries 6 --retry-delay 1 --cacert "$CA" --to "$URL/k" \
		"$PWD/big.tar.zst" >out 2>err &
	up=$!
	sleep 2 && nginx_stop && sleep 1 && nginx_start && wait $up &&
	contains err "failed" && contains err "retrying" &&
	cmp big.tar.zst "$DROP/k/big.tar.zst" && cmp big.tar.zst.sha256 "$DROP/k/big.tar.zst.sha256"
	st=$?
	nginx_stop
	exit $st
'
t "--method post sends each file as a multipart form" '
	form_start &&
	lp upload --json --method post --cacert "$CA" --to "https://127.0.0.1:$FORM_PORT/upload" \
		"$TRASH/$B" >out 2>err &&
	cmp "$TRASH/$B" "$FORM_DROP/$B" && cmp "$TRASH/$B.sha256" "$FORM_DROP/$B.sha256" &&
	jq -e ".bundles[0].ok" out &&
	LOGPACK_UPLOAD_PASSWORD=wrong expect_code 3 lp upload --method post --cacert "$CA" \
		--to "https://127.0.0.1:$FORM_PORT/upload" "$TRASH/$B" 2>err &&
	contains err "HTTP 401" && lacks err retrying &&
	expect_code 3 lp upload --method post --identity x \
		--to "sftp://u@127.0.0.1:$FORM_PORT/x" "$TRASH/$B" 2>err &&
	contains err "--method post is for https"
'
# The previous test stopped its own restart of the server: start it again for the rest.
nginx_start || exit 1
t "a pre-signed URL (with a query) is used as it is, and its query never shown" '
	lp -v upload --cacert "$CA" --to "$URL/presigned/one.tar.zst?X-Amz-Signature=feedface42" \
		"$TRASH/$B" >out 2>err &&
	cmp "$TRASH/$B" "$DROP/presigned/one.tar.zst" && test ! -e "$DROP/presigned/one.tar.zst.sha256" &&
	contains err "?[redacted]" && lacks err feedface42 && lacks out feedface42 &&
	contains err "sidecar was not sent" &&
	expect_code 2 lp upload --cacert "$CA" --to "$URL/p?sig=1" "$TRASH/$B" "$TRASH/$B" 2>err &&
	contains err "takes one bundle"
'
t "https_proxy is honoured, and no_proxy too" '
	dead=$(pick_port) &&
	https_proxy="http://127.0.0.1:$dead" expect_code 3 lp upload --test --retries 0 \
		--cacert "$CA" --to "$URL" 2>err &&
	contains err "port $dead" &&
	https_proxy="http://127.0.0.1:$dead" no_proxy=127.0.0.1 lp upload --test --cacert "$CA" \
		--to "$URL" >out
'
t "a progress line is drawn when stderr is a terminal" '
	make_bundle tty.tar.zst 600 &&
	script -qec "\"$LOGPACK\" upload --limit-rate 600K --cacert \"$CA\" --to \"$URL/tty\" \
		\"$PWD/tty.tar.zst\"" /dev/null >typescript &&
	contains typescript "tty.tar.zst: " && contains typescript "%)" &&
	cmp tty.tar.zst "$DROP/tty/tty.tar.zst"
'
t "server down: retries, then a clear error, the local bundle kept" '
	nginx_stop &&
	expect_code 3 lp upload --retries 2 --retry-delay 0.1 --cacert "$CA" --to "$URL" \
		"$TRASH/$B" 2>err &&
	contains err "attempt 2 of 3 failed" && contains err "gave up after 3 attempts" &&
	contains err "local bundle is kept" && test -f "$TRASH/$B"
'
test_done
