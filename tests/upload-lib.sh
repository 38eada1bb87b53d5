# Servers for the upload tests, on 127.0.0.1 only: a CA made here, nginx with WebDAV over TLS,
# OpenSSH's sshd with internal-sftp, and an S3 server that checks SigV4 signatures. Source it
# after test-lib.sh. Every server started here is stopped by test_servers_stop (on exit too).

# Never send test traffic through a proxy the environment may name.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
# Nor pick up the user's own secrets.
unset LOGPACK_UPLOAD_USER LOGPACK_UPLOAD_PASSWORD LOGPACK_UPLOAD_TOKEN LOGPACK_SSH_PASSPHRASE
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION
export AWS_SHARED_CREDENTIALS_FILE="$TRASH/.no-aws-credentials"

SRV="$TRASH/srv"
mkdir -p "$SRV"
# The ids of the servers started, in a file: tests run in subshells and may restart one.
: >"$SRV/pids"

server_started() {
	echo "$1" >>"$SRV/pids"
}

# stop_pid PID [SIGNAL]: stop one server we started and wait until it is gone (at most 10 s).
stop_pid() {
	kill "-${2:-TERM}" "$1" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		# Reap it when it is our child; a zombie still answers kill -0.
		wait "$1" 2>/dev/null && break
		sleep 0.1
	done
}

test_servers_stop() {
	while read -r pid; do
		stop_pid "$pid"
	done <"$SRV/pids"
	: >"$SRV/pids"
}
trap 'test_servers_stop; test_cleanup' EXIT

# find_prog NAME PATH...: the first of PATH or NAME on $PATH that exists.
find_prog() {
	name=$1
	shift
	for p in "$@"; do
		[ -x "$p" ] && {
			echo "$p"
			return 0
		}
	done
	command -v "$name"
}

# port_listening PORT: is something listening on 127.0.0.1:PORT (IPv4)?
port_listening() {
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$2 ~ p"$" && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}

# pick_port: a port nothing listens on now.
pick_port() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		port_listening "$port" || {
			echo "$port"
			return 0
		}
	done
	return 1
}

# wait_listening PORT PID: until PORT listens (at most 15 s), or PID has died.
wait_listening() {
	for _ in $(seq 1 150); do
		port_listening "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# make_ca: ca.pem (+ ca.key) and a server certificate srv.pem/srv.key for 127.0.0.1 under $SRV;
# other-ca.pem is a second CA that signed nothing here.
make_ca() {
	(
		cd "$SRV"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-keyout ca.key -out ca.pem -subj "/CN=logpack test CA" 2>/dev/null
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-keyout other-ca.key -out other-ca.pem -subj "/CN=another CA" 2>/dev/null
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" 2>/dev/null
		printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >ext
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
			-extfile ext -out srv.pem 2>/dev/null
		chmod 644 srv.key
	)
}

# make_bundle NAME KIB: a bundle-like file of random bytes, with its sha256sum sidecar.
make_bundle() {
	head -c "$(($2 * 1024))" /dev/urandom >"$1"
	sha256sum "$1" | sed 's| .*|  '"$(basename "$1")"'|' >"$1.sha256"
}

# --- nginx with WebDAV over TLS and basic auth: https://127.0.0.1:$NGINX_PORT/drop/
NGINX=$(find_prog nginx /usr/sbin/nginx) || NGINX=""
NGINX_PID=""
NGINX_PORT=""
NGINX_USER=drop
NGINX_PASSWORD='s3cret-Pa55'
NGINX_TOKEN='tok.eyJhbGciOiJub25lIn0.c2VjcmV0'

nginx_start_once() {
	[ -n "$NGINX" ] || {
		echo "nginx not found (install the nginx package)" >&2
		return 1
	}
	[ -f "$SRV/ca.pem" ] || make_ca
	d="$SRV/nginx"
	mkdir -p "$d/www/drop" "$d/www/bearer" "$d/www/busy" "$d/www/ro" "$d/www/short" "$d/tmp"
	printf '%s:%s\n' "$NGINX_USER" "$(openssl passwd -apr1 "$NGINX_PASSWORD")" >"$d/htpasswd"
	user_line=""
	[ "$(id -u)" -eq 0 ] && user_line="user root root;"
	[ -n "$NGINX_PORT" ] || NGINX_PORT=$(pick_port)
	cat >"$d/nginx.conf" <<EOF
daemon off;
$user_line
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log info;
events { worker_connections 64; }
http {
	access_log $d/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	client_max_body_size 0;
	server {
		listen 127.0.0.1:$NGINX_PORT ssl;
		ssl_certificate $SRV/srv.pem;
		ssl_certificate_key $SRV/srv.key;
		root $d/www;
		location /drop/ {
			auth_basic "drop";
			auth_basic_user_file $d/htpasswd;
			dav_methods PUT DELETE;
			create_full_put_path on;
			dav_access user:rw;
		}
		# A server that acknowledges a PUT but then holds fewer bytes: HEAD is answered
		# from a tree the test fills with short copies.
		location /liar/ {
			auth_basic "drop";
			auth_basic_user_file $d/htpasswd;
			dav_methods PUT DELETE;
			create_full_put_path on;
			if (\$request_method = HEAD) {
				rewrite ^/liar/(.*)\$ /short/\$1 last;
			}
		}
		location /short/ {
			internal;
		}
		# A drop that takes a bearer token instead of basic authentication.
		location /bearer/ {
			if (\$http_authorization != "Bearer $NGINX_TOKEN") {
				return 401;
			}
			dav_methods PUT DELETE;
			create_full_put_path on;
		}
		location /busy/ {
			auth_basic "drop";
			auth_basic_user_file $d/htpasswd;
			return 503;
		}
		location /ro/ {
			auth_basic "drop";
			auth_basic_user_file $d/htpasswd;
			limit_except GET HEAD { deny all; }
		}
	}
}
EOF
	"$NGINX" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout.log" 2>&1 &
	NGINX_PID=$!
	server_started "$NGINX_PID"
	wait_listening "$NGINX_PORT" "$NGINX_PID" || {
		echo "nginx did not start:" >&2
		cat "$d/error.log" "$d/stdout.log" >&2
		return 1
	}
}

# nginx_stop: a fast shutdown (SIGTERM closes the open connections at once).
nginx_stop() {
	[ -n "$NGINX_PID" ] || return 0
	stop_pid "$NGINX_PID"
	NGINX_PID=""
	# The port must be free before a restart binds it again.
	for _ in $(seq 1 50); do
		port_listening "$NGINX_PORT" || return 0
		sleep 0.1
	done
}

# --- OpenSSH's sshd with internal-sftp, as an unprivileged user:
# sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$SSH_DROP with the key $SRV/client_key.
SSHD=$(find_prog sshd /usr/sbin/sshd) || SSHD=""
SSHD_PID=""
SSHD_PORT=""
SSH_USER=""
SSH_DROP=""

sshd_start_once() {
	[ -n "$SSHD" ] || {
		echo "sshd not found (install the openssh-server package)" >&2
		return 1
	}
	d="$SRV/sshd"
	run_as=""
	if [ "$(id -u)" -eq 0 ]; then
		# Root runs the tests (CI): the server runs as nobody, without capabilities.
		SSH_USER=$(id -un 65534 2>/dev/null || echo nobody)
		run_as="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all"
		chmod 755 "$TRASH" "$SRV"
	else
		SSH_USER=$(id -un)
	fi
	if [ ! -f "$d/host_key" ]; then
		mkdir -p "$d/drop"
		ssh-keygen -q -t ed25519 -N "" -C "test host" -f "$d/host_key"
		ssh-keygen -q -t ed25519 -N "" -C "test client" -f "$SRV/client_key"
		cp "$SRV/client_key.pub" "$d/authorized_keys"
		[ -z "$run_as" ] || chown -R 65534:65534 "$d"
	fi
	[ -n "$SSHD_PORT" ] || SSHD_PORT=$(pick_port)
	SSH_DROP="$d/drop"
	cat >"$d/sshd_config" <<EOF2
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile none
AuthorizedKeysFile $d/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
StrictModes no
AllowUsers $SSH_USER
Subsystem sftp internal-sftp
ForceCommand internal-sftp
LogLevel VERBOSE
EOF2
	$run_as "$SSHD" -D -e -f "$d/sshd_config" 2>>"$d/sshd.log" &
	SSHD_PID=$!
	server_started "$SSHD_PID"
	wait_listening "$SSHD_PORT" "$SSHD_PID" || {
		echo "sshd did not start:" >&2
		cat "$d/sshd.log" >&2
		return 1
	}
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1,2 "$d/host_key.pub")" \
		>"$SRV/known_hosts"
}

# descendants PID: the ids of PID's children, their children, and so on.
descendants() {
	for child in $(ps -o pid= --ppid "$1"); do
		echo "$child"
		descendants "$child"
	done
}

# sshd_stop: stop the server and every session it serves, as a crash would.
sshd_stop() {
	[ -n "$SSHD_PID" ] || return 0
	for child in $(descendants "$SSHD_PID"); do
		kill -KILL "$child" 2>/dev/null
	done
	stop_pid "$SSHD_PID"
	SSHD_PID=""
	for _ in $(seq 1 50); do
		port_listening "$SSHD_PORT" || return 0
		sleep 0.1
	done
}

# --- an S3 server that checks SigV4 (@20minutes/s3rver, installed by `npm ci` in tests/s3)
# over TLS: https://127.0.0.1:$S3_PORT, bucket "drop", key $S3_KEY_ID / $S3_SECRET.
NODE=$(find_prog node /usr/bin/node /usr/bin/nodejs) || NODE=""
S3_DIR="$TOP_SRCDIR/tests/s3"
S3_PID=""
S3_PORT=""
S3_KEY_ID=AKIDLOGPACKTEST0001
S3_SECRET='wJalrXUtnFEMI/K7MDENG+bPxRfiCYtestSECRET'
S3_DATA="$SRV/s3data"

s3_start_once() {
	[ -n "$NODE" ] || {
		echo "node not found (install nodejs)" >&2
		return 1
	}
	# The packages `npm ci` installed beside server.js, or (for a build from a release
	# tarball, whose tree has none) where LOGPACK_TEST_S3_MODULES says.
	s3_modules=""
	for m in "${LOGPACK_TEST_S3_MODULES:-}" "$S3_DIR/node_modules"; do
		if [ -n "$m" ] && [ -d "$m/@20minutes/s3rver" ]; then
			s3_modules=$m
			break
		fi
	done
	[ -n "$s3_modules" ] || {
		echo "the S3 server is not installed: run 'npm ci' in $S3_DIR" \
			"(or point LOGPACK_TEST_S3_MODULES at its node_modules)" >&2
		return 1
	}
	[ -f "$SRV/ca.pem" ] || make_ca
	mkdir -p "$S3_DATA"
	printf '%s\n' "$S3_SECRET" >"$SRV/s3secret"
	[ -n "$S3_PORT" ] || S3_PORT=$(pick_port)
	NODE_PATH="$s3_modules" "$NODE" "$S3_DIR/server.js" --port "$S3_PORT" --dir "$S3_DATA" --key "$SRV/srv.key" \
		--cert "$SRV/srv.pem" --bucket drop --access-key "$S3_KEY_ID" \
		--secret-file "$SRV/s3secret" >>"$SRV/s3.log" 2>&1 &
	S3_PID=$!
	server_started "$S3_PID"
	wait_listening "$S3_PORT" "$S3_PID" || {
		echo "the S3 server did not start:" >&2
		cat "$SRV/s3.log" >&2
		return 1
	}
}

s3_stop() {
	[ -n "$S3_PID" ] || return 0
	stop_pid "$S3_PID" KILL
	S3_PID=""
	for _ in $(seq 1 50); do
		port_listening "$S3_PORT" || return 0
		sleep 0.1
	done
}

# s3_object KEY: where the server keeps the bytes of object KEY of bucket "drop".
s3_object() {
	echo "$S3_DATA/drop/$1._S3rver_object"
}

# --- a form drop: a small Python HTTPS server taking multipart POSTs at /upload with basic auth
# (nginx stores no form uploads). Files land in $FORM_DROP.
PYTHON=$(find_prog python3 /usr/bin/python3) || PYTHON=""
FORM_PID=""
FORM_PORT=""
FORM_DROP="$SRV/form"

form_start_once() {
	[ -n "$PYTHON" ] || {
		echo "python3 not found" >&2
		return 1
	}
	[ -f "$SRV/ca.pem" ] || make_ca
	mkdir -p "$FORM_DROP"
	printf '%s:%s\n' "$NGINX_USER" "$NGINX_PASSWORD" >"$SRV/form-auth"
	[ -n "$FORM_PORT" ] || FORM_PORT=$(pick_port)
	"$PYTHON" "$TEST_SRCDIR/upload-form-server.py" "$FORM_PORT" "$FORM_DROP" "$SRV/srv.pem" \
		"$SRV/srv.key" "$SRV/form-auth" 2>>"$SRV/form.log" &
	FORM_PID=$!
	server_started "$FORM_PID"
	wait_listening "$FORM_PORT" "$FORM_PID" || {
		echo "the form server did not start:" >&2
		cat "$SRV/form.log" >&2
		return 1
	}
}

# start_retrying NAME PORTVAR: start a server; when its port was picked here and it did not come
# up (another process may have taken the port in between), try other ports, at most 3 times.
start_retrying() {
	eval "fixed=\${$2}"
	for _ in 1 2 3; do
		"$1_start_once" && return 0
		[ -z "$fixed" ] || return 1
		eval "$2="
	done
	return 1
}
nginx_start() { start_retrying nginx NGINX_PORT; }
sshd_start() { start_retrying sshd SSHD_PORT; }
s3_start() { start_retrying s3 S3_PORT; }
form_start() { start_retrying form FORM_PORT; }
