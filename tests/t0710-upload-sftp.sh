#!/bin/sh
# upload over SFTP to a real OpenSSH sshd (internal-sftp, unprivileged) with an ed25519 key; the
# host key is always verified.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

sshd_start || exit 1
URL="sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$SSH_DROP"
KH="$SRV/known_hosts"
KEY="$SRV/client_key"
FPR=$(ssh-keygen -lf "$SRV/sshd/host_key.pub" | cut -d" " -f2)
B=logpack-db01-20240501T120000Z.tar.zst
make_bundle "$TRASH/$B" 300
auth_failures() {
	grep -c "Failed publickey" "$SRV/sshd/sshd.log" || true
}

t "the user must be named in the URL" '
	expect_code 3 lp upload --identity "$KEY" --known-hosts "$KH" \
		--to "sftp://127.0.0.1:$SSHD_PORT/x" "$TRASH/$B" 2>err &&
	contains err "name the user"
'
t "an unknown host key is refused (never trusted blindly), without retries" '
	: >empty_kh &&
	expect_code 3 lp upload --test --retry-delay 0.1 --identity "$KEY" --known-hosts empty_kh \
		--to "$URL" 2>err &&
	contains err "host key is not in empty_kh" && contains err "$FPR" && lacks err retrying
'
t "a host key that does not match known_hosts is refused" '
	ssh-keygen -q -t ed25519 -N "" -f other_host &&
	printf "[127.0.0.1]:%s %s\n" "$SSHD_PORT" "$(cut -d" " -f1,2 other_host.pub)" >wrong_kh &&
	expect_code 3 lp upload --test --identity "$KEY" --known-hosts wrong_kh --to "$URL" 2>err &&
	contains err "DOES NOT MATCH"
'
t "without --known-hosts or --host-key-sha256 and no ~/.ssh/known_hosts: refused" '
	HOME="$TRASH/nohome" expect_code 3 lp upload --test --identity "$KEY" --to "$URL" 2>err &&
	contains err "the host key must be known"
'
t "--test with --known-hosts passes and leaves no probe" '
	lp upload --test --identity "$KEY" --known-hosts "$KH" --to "$URL" >out 2>err &&
	contains out "identity verified, writable" && test -z "$(ls -A "$SSH_DROP")"
'
t "a hashed known_hosts (HashKnownHosts, the Debian default) works" '
	cp "$KH" hashed_kh && ssh-keygen -H -f hashed_kh 2>/dev/null && ! grep -q 127.0.0.1 hashed_kh &&
	lp upload --test --identity "$KEY" --known-hosts hashed_kh --to "$URL" >out 2>err
'
t "the default ~/.ssh/known_hosts is used" '
	mkdir -p home/.ssh && cp "$KH" home/.ssh/known_hosts &&
	HOME="$PWD/home" lp upload --test --identity "$KEY" --to "$URL" >out 2>err
'
t "--host-key-sha256: the right fingerprint passes, another is refused" '
	lp upload --test --identity "$KEY" --host-key-sha256 "$FPR" --to "$URL" >out 2>err &&
	other=$(ssh-keygen -lf other_host.pub | cut -d" " -f2) &&
	expect_code 3 lp upload --test --identity "$KEY" --host-key-sha256 "$other" \
		--to "$URL" 2>err && contains err "host key"
'
t "upload: remote bytes equal local, sidecar checks, no .part left" '
	lp upload --identity "$KEY" --known-hosts "$KH" --to "$URL" "$TRASH/$B" >out 2>err &&
	cmp "$TRASH/$B" "$SSH_DROP/$B" && cmp "$TRASH/$B.sha256" "$SSH_DROP/$B.sha256" &&
	(cd "$SSH_DROP" && sha256sum -c "$B.sha256") &&
	test ! -e "$SSH_DROP/$B.part" && contains out "$URL/$B"
'
t "a directory that does not exist: a clear error, no retries" '
	expect_code 3 lp upload --retry-delay 0.1 --identity "$KEY" --known-hosts "$KH" \
		--to "$URL/no/such/dir" "$TRASH/$B" 2>err &&
	contains err "does the directory exist?" && lacks err retrying
'
t "a key the server does not know: a clear error, no retries" '
	ssh-keygen -q -t ed25519 -N "" -f stranger && before=$(auth_failures) &&
	expect_code 3 lp upload --retries 5 --retry-delay 0.1 --identity stranger \
		--known-hosts "$KH" --to "$URL" "$TRASH/$B" 2>err &&
	contains err "the server refused the key" && lacks err retrying && test -f "$TRASH/$B" &&
	sleep 0.3 && test $(($(auth_failures) - before)) -le 1
'
t "an RSA key is refused with the reason" '
	ssh-keygen -q -t rsa -b 2048 -N "" -f rsakey &&
	expect_code 3 lp upload --identity rsakey --known-hosts "$KH" --to "$URL" "$TRASH/$B" \
		2>err &&
	contains err "use an ed25519 key"
'
t "a private key readable by others is refused" '
	cp "$KEY" loose && chmod 644 loose &&
	expect_code 3 lp upload --identity loose --known-hosts "$KH" --to "$URL" "$TRASH/$B" \
		2>err && contains err "group or others may read it"
'
t "TLS options are refused for sftp" '
	expect_code 3 lp upload --cacert x --identity "$KEY" --known-hosts "$KH" --to "$URL" \
		"$TRASH/$B" 2>err && contains err "SFTP verifies the host key"
'
t "a passphrase-protected key works with LOGPACK_SSH_PASSPHRASE" '
	cp "$KEY" pkey && chmod 600 pkey && ssh-keygen -q -p -P "" -N "open sesame" -f pkey &&
	LOGPACK_SSH_PASSPHRASE="open sesame" lp -v upload --identity pkey --known-hosts "$KH" \
		--to "$URL/" "$TRASH/$B" >out 2>err && lacks err "open sesame"
'
t "--json and --delete-after-upload" '
	make_bundle del.tar.zst 10 && cp del.tar.zst keep &&
	lp upload --json --delete-after-upload --identity "$KEY" --known-hosts "$KH" --to "$URL" \
		"$PWD/del.tar.zst" >out 2>err &&
	jq -e ".bundles[0].ok and .bundles[0].deleted" out && test ! -e del.tar.zst &&
	cmp keep "$SSH_DROP/del.tar.zst"
'
t "server killed mid-transfer without retries: a clean failure, nothing under the final name" '
	make_bundle cut.tar.zst 1000 &&
	lp upload --limit-rate 300K --retries 0 --identity "$KEY" --known-hosts "$KH" \
		--to "$URL" "$PWD/cut.tar.zst" >out 2>err &
	up=$!
	sleep 1.5 && sshd_stop && sshd_start &&
	expect_code 3 wait $up && contains err "not uploaded" && contains err "local bundle is kept" &&
	test ! -e "$SSH_DROP/cut.tar.zst" && test -f cut.tar.zst && lacks out cut.tar.zst
	st=$?
	sshd_stop
	exit $st
'
sshd_start || exit 1
t "SIGTERM mid-upload: exit 130, nothing under the final name" '
	make_bundle term.tar.zst 1000 &&
	"$LOGPACK" upload --limit-rate 200K --identity "$KEY" --known-hosts "$KH" --to "$URL" \
		"$PWD/term.tar.zst" >out 2>err &
	up=$!
	sleep 1.5 && kill -TERM $up && expect_code 130 wait $up && contains err "interrupted" &&
	test ! -e "$SSH_DROP/term.tar.zst" && test -f term.tar.zst
'
t "a later run resumes what an earlier one left, once checked byte for byte" '
	make_bundle again.tar.zst 1000 &&
	lp upload --limit-rate 300K --retries 0 --identity "$KEY" --known-hosts "$KH" \
		--to "$URL" "$PWD/again.tar.zst" >out 2>err &
	up=$!
	sleep 1.5 && sshd_stop && sshd_start && expect_code 3 wait $up &&
	left=$(stat -c %s "$SSH_DROP/again.tar.zst.part") && test "$left" -gt 0 &&
	lp upload --identity "$KEY" --known-hosts "$KH" --to "$URL" "$PWD/again.tar.zst" \
		>out 2>err &&
	contains err "resumed after the $left bytes" && cmp again.tar.zst "$SSH_DROP/again.tar.zst" &&
	test ! -e "$SSH_DROP/again.tar.zst.part"
	st=$?
	sshd_stop
	exit $st
'
sshd_start || exit 1
t "a left-over .part that differs from the bundle is not kept" '
	make_bundle other.tar.zst 200 &&
	head -c 50000 /dev/urandom >"$SSH_DROP/other.tar.zst.part" &&
	chown --reference="$SSH_DROP" "$SSH_DROP/other.tar.zst.part" &&
	lp upload --json --identity "$KEY" --known-hosts "$KH" --to "$URL" "$PWD/other.tar.zst" \
		>out 2>err &&
	lacks err "resumed" && jq -e ".bundles[0].resumed_from == 0" out &&
	cmp other.tar.zst "$SSH_DROP/other.tar.zst"
'
t "server killed mid-transfer and restarted: the upload resumes and completes" '
	make_bundle big.tar.zst 1500 &&
	lp upload --limit-rate 300K --retries 6 --retry-delay 1 --identity "$KEY" \
		--known-hosts "$KH" --to "$URL" "$PWD/big.tar.zst" >out 2>err &
	up=$!
	sleep 2.5 && sshd_stop && test -s "$SSH_DROP/big.tar.zst.part" &&
	test ! -e "$SSH_DROP/big.tar.zst" && sleep 0.5 && sshd_start && wait $up &&
	contains err "retrying" && cmp big.tar.zst "$SSH_DROP/big.tar.zst" &&
	test ! -e "$SSH_DROP/big.tar.zst.part"
	st=$?
	sshd_stop
	exit $st
'
sshd_start || exit 1
t "server down: retries, then a clear error, the local bundle kept" '
	sshd_stop &&
	expect_code 3 lp upload --retries 2 --retry-delay 0.1 --identity "$KEY" --known-hosts "$KH" \
		--to "$URL" "$TRASH/$B" 2>err &&
	contains err "attempt 2 of 3 failed" && contains err "gave up after 3 attempts" &&
	test -f "$TRASH/$B"
'
test_done
