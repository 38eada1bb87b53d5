#!/bin/sh
# The static binary in an empty root: a chroot holding only the binary, a scratch directory,
# a test log tree and /dev/null, /dev/random, /dev/urandom; no libc, no /etc, no /usr. Every
# command works there, the results check out with stock tools outside, and uploads reach the
# servers of upload-lib.sh: nginx over TLS and the S3 server (--cacert), sshd over SFTP
# (--known-hosts). Needs root (chroot, mknod); CI runs it as root.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"

# The static build sets LOGPACK_STATIC_BINARY (Makefile.am); only a run by hand elsewhere
# skips. Set but missing is a failure.
BIN=${LOGPACK_STATIC_BINARY:-}
if [ -z "$BIN" ]; then
	echo "1..0 # SKIP no static binary (configure --enable-static-binary)"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root for chroot and mknod"
	exit 0
fi
if [ ! -x "$BIN" ]; then
	t "the static binary is there" 'echo "$BIN: not found" >&2; false'
	test_done
	exit 1
fi

R=$TRASH/emptyroot
# Found before the environment is emptied: env -i PATH= finds nothing by name.
CHROOT=$(command -v chroot) || CHROOT=/usr/sbin/chroot
# The bundles of another build, to compare with (CI points it at the normal build).
REF=${LOGPACK_REFERENCE:-$LOGPACK}
# shellcheck source=../build-aux/static/emptyroot.sh
. "$TOP_SRCDIR/build-aux/static/emptyroot.sh"
emptyroot_make "$R" "$BIN" || exit 1
make_debian_tree "$R/logs"

# inroot COMMAND...: run the binary inside the empty root, with an empty environment.
inroot() {
	env -i PATH= "$CHROOT" "$R" /logpack "$@"
}

t "the empty root holds no libc, no /etc and no /usr" '
	test ! -e "$R/etc"
	test ! -e "$R/usr"
	test ! -e "$R/lib"
	test ! -e "$R/lib64"
	test "$(ls "$R" | tr "\n" " ")" = "dev logpack logs scratch "
'
t "a dynamically linked program cannot run there (the root is really empty)" '
	cp "$(find_prog true /usr/bin/true /bin/true)" "$R/scratch/true"
	refute env -i PATH= "$CHROOT" "$R" /scratch/true
	rm "$R/scratch/true"
'
t "--version --verbose runs there and names the Debian source packages" '
	inroot --version --verbose >out
	contains out "static binary for x86_64-linux-musl"
	contains out "openssl "
	contains out "libarchive "
	contains out "curl "
'
t "profiles list gives the compiled-in profiles" '
	inroot profiles list >out
	contains out debian
	contains out rhel
	inroot profiles detect --root /logs >out
	contains out debian
'
t "keygen" '
	inroot keygen --out /scratch/k --subject /CN=emptyroot 2>err
	openssl x509 -in "$R/scratch/k.crt" -noout -subject >subject
	contains subject emptyroot
'
t "collect, signed; the bundle checks out with tar, sha256sum and openssl outside" '
	inroot collect --root /logs -o /scratch/b.tar.zst \
		--sign-key /scratch/k.key --sign-cert /scratch/k.crt >out 2>err
	(cd "$R/scratch" && sha256sum -c b.tar.zst.sha256)
	mkdir x
	tar -xf "$R/scratch/b.tar.zst" -C x
	cd x/logpack-*
	sha256sum -c --quiet manifest-sha256.txt
	sha256sum -c --quiet tagmanifest-sha256.txt
	cmp data/var/log/auth.log "$R/logs/var/log/auth.log"
	openssl cms -verify -binary -inform DER -in tagmanifest-sha256.txt.p7s \
		-content tagmanifest-sha256.txt -CAfile "$R/scratch/k.crt" -purpose any \
		-out /dev/null 2>/dev/null
'
t "its tar entries are those another build writes for the same tree" '
	"$REF" collect --root "$R/logs" -o ref.tar.zst >/dev/null 2>&1
	tar -tf ref.tar.zst | sed "s|^[^/]*/||" | grep -v "^$" | sort >want
	inroot collect --root /logs -o /scratch/u.tar.zst >/dev/null 2>&1
	tar -tf "$R/scratch/u.tar.zst" | sed "s|^[^/]*/||" | grep -v "^$" | sort >got
	cmp want got
	grep -q "^data/var/log/syslog$" got
'
t "verify, show and extract" '
	inroot verify --trust /scratch/k.crt /scratch/b.tar.zst >out
	contains out "valid, signed by /CN=emptyroot, trusted"
	inroot show --files /scratch/b.tar.zst >out
	contains out "var/log/auth.log"
	inroot extract --trust /scratch/k.crt /scratch/b.tar.zst /scratch/x >out 2>&1
	cmp "$R/scratch/x/"logpack-*/data/var/log/syslog "$R/logs/var/log/syslog"
'
t "a tampered bundle is refused there too" '
	cp "$R/scratch/b.tar.zst" "$R/scratch/bad.tar.zst"
	flip_byte "$R/scratch/bad.tar.zst" 200
	refute inroot verify --trust /scratch/k.crt /scratch/bad.tar.zst
'
t "snapshot, twice, signed and chained" '
	sign="--sign-key /scratch/k.key --sign-cert /scratch/k.crt"
	mkdir "$R/scratch/snaps"
	inroot snapshot --state /scratch/st --root /logs -o /scratch/snaps $sign >out 2>&1
	echo "Nov 28 new line" >>"$R/logs/var/log/syslog"
	inroot snapshot --state /scratch/st --root /logs -o /scratch/snaps $sign >out 2>&1
	test "$(ls "$R/scratch/snaps" | grep -c "\.tar\.zst$")" -eq 2
	inroot verify --chain --trust /scratch/k.crt /scratch/snaps >out 2>&1
'
t "incident check" '
	answers_en >"$R/scratch/report.txt"
	inroot incident check /scratch/report.txt >out 2>&1
	printf "organisation: x\n" >"$R/scratch/short.txt"
	refute inroot incident check /scratch/short.txt
'
if nginx_start 2>"$TRASH/nginx.err"; then
	cp "$SRV/ca.pem" "$R/scratch/ca.pem"
	t "upload over https to nginx with --cacert, from the empty root" '
		env -i PATH= LOGPACK_UPLOAD_USER="$NGINX_USER" LOGPACK_UPLOAD_PASSWORD="$NGINX_PASSWORD" \
			"$CHROOT" "$R" /logpack upload --cacert /scratch/ca.pem \
			--to "https://127.0.0.1:$NGINX_PORT/drop/incoming" /scratch/b.tar.zst >out 2>&1
		cmp "$R/scratch/b.tar.zst" "$SRV/nginx/www/drop/incoming/b.tar.zst"
	'
	t "without --cacert no CA is trusted: no host store is looked for" '
		expect_code 3 env -i PATH= LOGPACK_UPLOAD_USER="$NGINX_USER" \
			LOGPACK_UPLOAD_PASSWORD="$NGINX_PASSWORD" "$CHROOT" "$R" /logpack upload --test \
			--to "https://127.0.0.1:$NGINX_PORT/drop/incoming" >out 2>&1
		contains out "certificate"
	'
else
	t "nginx for the upload test" 'cat "$TRASH/nginx.err"; false'
fi
if sshd_start 2>"$TRASH/sshd.err"; then
	cp "$SRV/client_key" "$R/scratch/id"
	cp "$SRV/known_hosts" "$R/scratch/known_hosts"
	t "upload over sftp to sshd with --known-hosts, from the empty root" '
		inroot upload --identity /scratch/id --known-hosts /scratch/known_hosts \
			--to "sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$SSH_DROP" /scratch/b.tar.zst >out 2>&1
		cmp "$R/scratch/b.tar.zst" "$SSH_DROP/b.tar.zst"
	'
else
	t "sshd for the upload test" 'cat "$TRASH/sshd.err"; false'
fi
if s3_start 2>"$TRASH/s3.err"; then
	t "upload to S3 (SigV4) with --cacert, from the empty root" '
		env -i PATH= AWS_ACCESS_KEY_ID="$S3_KEY_ID" AWS_SECRET_ACCESS_KEY="$S3_SECRET" \
			"$CHROOT" "$R" /logpack upload --s3-endpoint "https://127.0.0.1:$S3_PORT" \
			--cacert /scratch/ca.pem --to s3://drop/in /scratch/b.tar.zst >out 2>&1
		cmp "$R/scratch/b.tar.zst" "$(s3_object in/b.tar.zst)"
	'
else
	t "the S3 server for the upload test" 'cat "$TRASH/s3.err"; false'
fi
test_done
