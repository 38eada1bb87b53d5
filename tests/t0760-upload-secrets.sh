#!/bin/sh
# The --verbose trace of an S3 upload names no part of the credentials: not the secret, not
# the session token, and not the access key ID (libcurl names the user it signs as).
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

s3_start || exit 1
EP="https://127.0.0.1:$S3_PORT"
CA="$SRV/ca.pem"
export AWS_ACCESS_KEY_ID="$S3_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET"
B=logpack-mail01-20240502T120000Z.tar.zst
make_bundle "$TRASH/$B" 50

t "upload -v does not print the access key ID from the environment" '
	lp -v upload --s3-endpoint "$EP" --cacert "$CA" --to s3://drop/akid "$TRASH/$B" \
		>out 2>err
	cmp "$TRASH/$B" "$(s3_object "akid/$B")"
	contains err "Authorization: [redacted]"
	lacks err "$S3_KEY_ID"
	lacks out "$S3_KEY_ID"
	lacks err "$S3_SECRET"
'

t "upload --test -v does not print the access key ID from the credentials file" '
	mkdir -p home/.aws
	printf "[drop]\naws_access_key_id = %s\naws_secret_access_key = %s\n" \
		"$S3_KEY_ID" "$S3_SECRET" >home/.aws/credentials
	chmod 600 home/.aws/credentials
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SHARED_CREDENTIALS_FILE \
		HOME="$PWD/home" AWS_PROFILE=drop "$LOGPACK" -v upload --test --s3-endpoint "$EP" \
		--cacert "$CA" --to s3://drop/akid2 >out 2>err
	contains out "writable"
	contains err "[redacted]"
	lacks err "$S3_KEY_ID"
'

t "an AWS credentials file readable by group is refused" '
	mkdir -p home/.aws
	printf "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" \
		"$S3_KEY_ID" "$S3_SECRET" >home/.aws/credentials
	chmod 640 home/.aws/credentials
	expect_code 3 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		-u AWS_SHARED_CREDENTIALS_FILE HOME="$PWD/home" "$LOGPACK" upload --test \
		--s3-endpoint "$EP" --cacert "$CA" --to s3://drop/akid3 >out 2>err
	contains err "group or others may read it"
'

t "a --credentials file readable by group only is refused too" '
	printf "user=someone\npassword=secret\n" >creds
	chmod 640 creds
	expect_code 3 lp upload --test --credentials creds --cacert "$CA" \
		--to "https://127.0.0.1:$S3_PORT/x" >out 2>err
	contains err "group or others may read it"
'
test_done
