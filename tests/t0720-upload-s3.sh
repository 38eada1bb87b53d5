#!/bin/sh
# upload to S3 (SigV4 through libcurl) against a real S3 server that checks signatures, over TLS.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

s3_start || exit 1
EP="https://127.0.0.1:$S3_PORT"
CA="$SRV/ca.pem"
export AWS_ACCESS_KEY_ID="$S3_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET"
B=logpack-mail01-20240501T120000Z.tar.zst
make_bundle "$TRASH/$B" 300
s3() {
	lp upload --s3-endpoint "$EP" --cacert "$CA" "$@"
}

t "no credentials: a clear error before any request" '
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$LOGPACK" upload --test \
		--s3-endpoint "$EP" --cacert "$CA" --to s3://drop/in 2>err &&
	exit 1
	contains err "no S3 credentials"
'
t "a plain http endpoint is refused" '
	expect_code 3 lp upload --test --s3-endpoint "http://127.0.0.1:$S3_PORT" \
		--to s3://drop/in 2>err && contains err "only https"
'
t "an unknown CA is refused; --cacert is accepted" '
	expect_code 3 lp upload --test --s3-endpoint "$EP" --to s3://drop/in 2>err &&
	contains err "not trusted" &&
	s3 --test --to s3://drop/in >out && contains out "writable" &&
	test -z "$(find "$S3_DATA" -name "*probe*")"
'
t "upload: the object equals the bundle, the server confirms the hash" '
	s3 --json --to s3://drop/in "$TRASH/$B" >out 2>err &&
	cmp "$TRASH/$B" "$(s3_object "in/$B")" && cmp "$TRASH/$B.sha256" "$(s3_object "in/$B.sha256")" &&
	jq -e ".bundles[0].ok and .bundles[0].hash_checked and .bundles[0].parts == 0" out &&
	jq -e ".bundles[0].remote == \"$EP/drop/in/$B\"" out
'
t "a wrong secret: the signature is rejected, no retries" '
	AWS_SECRET_ACCESS_KEY=wrong expect_code 3 s3 --retries 5 --retry-delay 0.1 \
		--to s3://drop/in "$TRASH/$B" 2>err &&
	contains err "SignatureDoesNotMatch" && lacks err retrying && test -f "$TRASH/$B"
'
t "an unknown access key is named as such" '
	AWS_ACCESS_KEY_ID=AKIDNOBODY expect_code 3 s3 --test --to s3://drop/in 2>err &&
	contains err "InvalidAccessKeyId"
'
t "a missing bucket: 404, not retried" '
	expect_code 3 s3 --retry-delay 0.1 --to s3://nosuchbucket "$TRASH/$B" 2>err &&
	contains err "HTTP 404" && lacks err retrying
'
t "credentials from the shared credentials file and AWS_PROFILE" '
	mkdir -p home/.aws &&
	printf "[default]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n[drop]\naws_access_key_id = %s\naws_secret_access_key = %s\n" \
		"$S3_KEY_ID" "$S3_SECRET" >home/.aws/credentials &&
	chmod 600 home/.aws/credentials &&
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SHARED_CREDENTIALS_FILE \
		HOME="$PWD/home" AWS_PROFILE=drop "$LOGPACK" upload --s3-endpoint "$EP" \
		--cacert "$CA" --to s3://drop/profile "$TRASH/$B" >out 2>err &&
	cmp "$TRASH/$B" "$(s3_object "profile/$B")"
'
t "--verbose: the trace shows the signed request, never the secret" '
	lp -v upload --s3-endpoint "$EP" --cacert "$CA" --to s3://drop/v "$TRASH/$B" >out 2>err &&
	contains err "Authorization: [redacted]" && contains err "x-amz-content-sha256" &&
	lacks err "$S3_SECRET" && lacks err "AWS4-HMAC-SHA256 Credential"
'
t "a session token is sent, signed and redacted from the trace" '
	AWS_SESSION_TOKEN=tok-abc-123 lp -v upload --s3-endpoint "$EP" --cacert "$CA" \
		--to s3://drop/tok "$TRASH/$B" >out 2>err &&
	contains err "x-amz-security-token: [redacted]" && lacks err tok-abc-123 &&
	cmp "$TRASH/$B" "$(s3_object "tok/$B")"
'
t "multipart with a small part size: every part sent, the object equal" '
	make_bundle multi.tar.zst 300 &&
	s3 --json --part-size 64K --to s3://drop/mp "$PWD/multi.tar.zst" >out 2>err &&
	jq -e ".bundles[0].parts == 5 and .bundles[0].hash_checked" out &&
	cmp multi.tar.zst "$(s3_object mp/multi.tar.zst)"
'
t "SIGINT mid-upload: stops at once, exit 130, the bundle kept, no object made" '
	make_bundle int.tar.zst 1000 &&
	"$LOGPACK" upload --s3-endpoint "$EP" --cacert "$CA" --part-size 256K --limit-rate 200K \
		--to s3://drop/int "$PWD/int.tar.zst" >out 2>err &
	up=$!
	sleep 1.5 && kill -INT $up && expect_code 130 wait $up &&
	contains err "interrupted" && contains err "local bundle is kept" && test -f int.tar.zst &&
	test ! -e "$(s3_object int/int.tar.zst)"
'
t "server killed mid-transfer and restarted: parts are retried alone, the object equal" '
	make_bundle big.tar.zst 1500 &&
	s3 --json --part-size 256K --limit-rate 300K --retries 6 --retry-delay 1 \
		--to s3://drop/k "$PWD/big.tar.zst" >out 2>err &
	up=$!
	sleep 2 && s3_stop && sleep 0.5 && s3_start && wait $up &&
	contains err "retrying" && jq -e ".bundles[0].parts == 6" out &&
	cmp big.tar.zst "$(s3_object k/big.tar.zst)"
	st=$?
	s3_stop
	exit $st
'
s3_start || exit 1
t "server down: retries, then a clear error, the local bundle kept" '
	s3_stop &&
	expect_code 3 s3 --retries 2 --retry-delay 0.1 --to s3://drop/in "$TRASH/$B" 2>err &&
	contains err "gave up after 3 attempts" && contains err "local bundle is kept" &&
	test -f "$TRASH/$B"
'
test_done
