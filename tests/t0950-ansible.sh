#!/bin/sh
# The Ansible role in contrib/ansible against three hosts on this machine: each host is an sshd
# on its own loopback port, in a mount namespace of its own where a private tmpfs holds
# everything the role writes on that host (its file system, as far as the role can tell), and
# each collects its own log root. ansible-playbook (Debian's ansible-core) runs the real role
# over real SSH, in check mode and for real.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/upload-lib.sh"
. "$TEST_SRCDIR/incident-lib.sh"

ANSIBLE_PLAYBOOK=$(command -v ansible-playbook) || {
	echo "ansible-playbook not found: install Debian's ansible-core (README, test packages)" >&2
	exit 1
}
LP_ABS=$(realpath "$LOGPACK")
ROLE_DIR="$TOP_SRCDIR/contrib/ansible"
CONTROL=$TRASH/control
HOSTFS=$TRASH/hostfs # a tmpfs of its own in each host's namespace
mkdir -p "$CONTROL" "$HOSTFS" "$TRASH/ssh"
ssh-keygen -q -t ed25519 -N "" -C "control node" -f "$TRASH/ssh/id"
cp "$TRASH/ssh/id.pub" "$TRASH/ssh/authorized_keys"
# sshd running as root wants its privilege separation directory.
[ -d /run/sshd ] || mkdir -p -m 0755 /run/sshd
touch "$TRASH/stamp"

# start_host N: hostN's log root, and its sshd in a mount namespace of its own.
start_host() {
	n=$1
	make_debian_tree "$TRASH/host$n/root"
	echo "host$n" >"$TRASH/host$n/root/etc/hostname"
	ssh-keygen -q -t ed25519 -N "" -C "host$n" -f "$TRASH/host$n/ssh_host_key"
	port=$(pick_port)
	cat >"$TRASH/host$n/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $TRASH/host$n/ssh_host_key
PidFile none
AuthorizedKeysFile $TRASH/ssh/authorized_keys
PermitRootLogin prohibit-password
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
	# The root user's shell start-up files of this machine are hidden on the hosts: each SSH
	# command runs them, and one that starts a language environment manager costs a second a
	# task, which made this test take minutes.
	unshare --mount --propagation private sh -c '
		mount -t tmpfs -o mode=0755 tmpfs "$1" && mkdir -p "$1/etc/cron.d" &&
		for rc in "$3/.bashrc" "$3/.profile" "$3/.bash_profile"; do
			if [ -f "$rc" ]; then mount --bind /dev/null "$rc" || exit 1; fi
		done &&
		exec /usr/sbin/sshd -D -e -f "$2"' sh "$HOSTFS" "$TRASH/host$n/sshd_config" \
		"$(getent passwd root | cut -d: -f6)" \
		2>"$TRASH/host$n/sshd.log" &
	pid=$!
	server_started "$pid"
	wait_listening "$port" "$pid" || {
		cat "$TRASH/host$n/sshd.log" >&2
		return 1
	}
	echo "$pid" >"$TRASH/host$n/pid"
	echo "$port" >"$TRASH/host$n/port"
}

# hostfs N: hostN's private file system, as seen from here.
hostfs() {
	echo "/proc/$(cat "$TRASH/host$1/pid")/root$HOSTFS"
}

for n in 1 2 3; do
	start_host "$n"
done

cat >"$CONTROL/inventory.yml" <<EOF
all:
  hosts:
    host1: {ansible_port: $(cat "$TRASH/host1/port"), logpack_root: "$TRASH/host1/root"}
    host2: {ansible_port: $(cat "$TRASH/host2/port"), logpack_root: "$TRASH/host2/root"}
    host3: {ansible_port: $(cat "$TRASH/host3/port"), logpack_root: "$TRASH/host3/root"}
  vars:
    ansible_host: 127.0.0.1
    ansible_user: root
    ansible_ssh_private_key_file: "$TRASH/ssh/id"
    ansible_python_interpreter: /usr/bin/python3
    ansible_remote_tmp: "$HOSTFS/.ansible/tmp"
    logpack_become: false
    logpack_binary: "$LP_ABS"
    logpack_bin: "$HOSTFS/usr/local/lib/logpack/logpack"
    logpack_key_dir: "$HOSTFS/etc/logpack/host-key"
    logpack_out_dir: "$HOSTFS/var/lib/logpack/out"
    logpack_input_dir: "$HOSTFS/var/lib/logpack/input"
    logpack_control_bin: "$LP_ABS"
    logpack_fetch_dir: "$CONTROL/bundles"
    logpack_trust_dir: "$CONTROL/trust"
    logpack_collect_options: ["--profile", "$TOP_SRCDIR/profiles/debian"]
    logpack_schedule_options: ["--profile", "$TOP_SRCDIR/profiles/debian"]
    logpack_schedule_state_dir: "$HOSTFS/var/lib/logpack/state"
    logpack_schedule_out_dir: "$HOSTFS/var/lib/logpack/snapshots"
    logpack_schedule_install_options: ["--cron", "--cron-dir", "$HOSTFS/etc/cron.d"]
EOF

# play PLAYBOOK [ARGS...]: ansible-playbook from the control node, its output in play.out.
play() {
	pb=$1
	shift
	HOME=$CONTROL ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_ROLES_PATH="$ROLE_DIR/roles" \
		ANSIBLE_LOCAL_TEMP="$CONTROL/.ansible-tmp" ANSIBLE_NOCOLOR=1 \
		ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_RETRY_FILES_ENABLED=False \
		ANSIBLE_PIPELINING=True ANSIBLE_SSH_CONTROL_PATH_DIR="$CONTROL/cp" \
		ANSIBLE_SSH_ARGS="-o UserKnownHostsFile=/dev/null -o ControlMaster=auto -o ControlPersist=30s" \
		"$ANSIBLE_PLAYBOOK" -i "$CONTROL/inventory.yml" "$ROLE_DIR/$pb" "$@" >play.out 2>&1
}

# recap_changed HOST: the changed= count of HOST in play.out's recap.
recap_changed() {
	sed -n "s/^$1 *: .*changed=\([0-9]*\).*/\1/p" play.out
}

# private_keys DIR...: every file under DIR that holds a private key, by content.
private_keys() {
	grep -rlE -- "-----BEGIN ([A-Z]+ )?PRIVATE KEY-----|-----BEGIN OPENSSH PRIVATE KEY-----|AGE-SECRET-KEY-1[0-9A-Z]{50}" \
		"$@" 2>/dev/null || :
}

t "check mode says what it would do and changes nothing on the hosts" '
	play playbook.yml --check || { cat play.out; exit 1; }
	grep -q "would run: .*/logpack collect --json .* --nice" play.out
	for n in 1 2 3; do
		test ! -e "$(hostfs $n)/usr/local/lib/logpack/logpack"
		test ! -e "$(hostfs $n)/etc/logpack"
		test ! -e "$(hostfs $n)/var/lib/logpack"
	done
	test ! -e "$CONTROL/bundles/host1"
'

t "a run puts logpack on each host, collects, and brings every bundle home" '
	play playbook.yml || { cat play.out; exit 1; }
	for n in 1 2 3; do
		set -- "$CONTROL"/bundles/host$n/*.tar.zst
		test $# = 1
		test -f "$1.sha256"
		(cd "$CONTROL/bundles/host$n" && sha256sum -c --quiet ./*.sha256)
		cmp "$LP_ABS" "$(hostfs $n)/usr/local/lib/logpack/logpack"
		# Fetched, then removed from the host.
		test -z "$(ls "$(hostfs $n)/var/lib/logpack/out")"
	done
	grep -q "^host1 *: ok=.* failed=0" play.out
	grep -q "^host3 *: ok=.* failed=0" play.out
'

t "each bundle verifies as signed by its own host, trusted; the summary says so" '
	for n in 1 2 3; do
		"$LOGPACK" verify --require trusted --trust "$CONTROL/trust/host$n.pem" \
			"$CONTROL"/bundles/host$n/*.tar.zst >v.out
		grep -q "valid, signed by /O=Example AB/CN=host$n, trusted" v.out
		other=$((n % 3 + 1))
		expect_code 5 "$LOGPACK" verify --require trusted --trust "$CONTROL/trust/host$other.pem" \
			"$CONTROL"/bundles/host$n/*.tar.zst >/dev/null
	done
	test "$(jq length "$CONTROL/bundles/summary.json")" = 3
	test "$(jq -r "[.[] | select(.verdict == \"trusted\")] | length" "$CONTROL/bundles/summary.json")" = 3
	test "$(jq -r ".[] | select(.host == \"host2\") | .signer" "$CONTROL/bundles/summary.json")" = \
		"/O=Example AB/CN=host2"
	test "$(jq -r ".[] | select(.host == \"host2\") | .sha256" "$CONTROL/bundles/summary.json")" = \
		"$(sha256sum "$CONTROL"/bundles/host2/*.tar.zst | cut -d" " -f1)"
	test "$(jq -r ".[] | select(.host == \"host3\") | .coverage.logs" \
		"$CONTROL/bundles/summary.json")" -ge 5
	test "$(jq -r ".[] | select(.host == \"host3\") | .coverage.time_zone.name" \
		"$CONTROL/bundles/summary.json")" = Europe/Stockholm
	ls "$CONTROL"/trust/host1.pem "$CONTROL"/trust/host2.pem "$CONTROL"/trust/host3.pem
'

t "no private key on any host but its own, and none brought home" '
	for n in 1 2 3; do
		fs=$(hostfs $n)
		private_keys "$fs" >keys
		test "$(cat keys)" = "$fs/etc/logpack/host-key/host.key"
		openssl pkey -in "$fs/etc/logpack/host-key/host.key" -pubout >key.pub
		openssl x509 -in "$CONTROL/trust/host$n.pem" -pubkey -noout >cert.pub
		cmp key.pub cert.pub
		test "$(stat -c %a "$fs/etc/logpack/host-key/host.key")" = 600
		if find "$fs" -name "*credentials*" -o -name "*.conf" -path "*logpack*" | grep -q .; then
			exit 1
		fi
	done
	# The role never brings a key home: nothing on the control node holds one; nor does
	# the log root of any host (on the host too, though not on its private tmpfs).
	test -z "$(private_keys "$CONTROL" "$TRASH"/host1/root "$TRASH"/host2/root \
		"$TRASH"/host3/root)"
'

t "a second run makes new bundles and keeps the enrolled keys" '
	before=$(sha256sum "$CONTROL/trust/host1.pem")
	sleep 1
	play playbook.yml || { cat play.out; exit 1; }
	test "$(ls "$CONTROL"/bundles/host1/*.tar.zst | wc -l)" = 2
	test "$(sha256sum "$CONTROL/trust/host1.pem")" = "$before"
'

t "a host whose signing key changed since enrolment fails, the others do not" '
	fs=$(hostfs 2)
	rm "$fs/etc/logpack/host-key/host.key" "$fs/etc/logpack/host-key/host.crt"
	"$LOGPACK" -q keygen --out "$fs/etc/logpack/host-key/host" --subject "/O=Example AB/CN=host2"
	if play playbook.yml; then cat play.out; exit 1; fi
	grep -q "host2 now has another signing certificate than the one it was enrolled" play.out
	grep -q "^host2 *: .*failed=1" play.out
	grep -q "^host1 *: .*failed=0" play.out
	grep -q "^host3 *: .*failed=0" play.out
	test "$(ls "$CONTROL"/bundles/host2/*.tar.zst | wc -l)" = 2
'

t "the schedule: check mode, install, a second install that changes nothing, remove" '
	play schedule.yml --check --limit host1,host3 || { cat play.out; exit 1; }
	test "$(recap_changed host1)" -ge 1
	test -z "$(ls "$(hostfs 1)/etc/cron.d")"
	play schedule.yml --limit host1,host3 || { cat play.out; exit 1; }
	test "$(recap_changed host1)" -ge 1
	for n in 1 3; do
		grep -q " snapshot --state $HOSTFS/var/lib/logpack/state " \
			"$(hostfs $n)/etc/cron.d/logpack-snapshot"
	done
	play schedule.yml --limit host1,host3 || { cat play.out; exit 1; }
	test "$(recap_changed host1)" = 0
	test "$(recap_changed host3)" = 0
	play schedule.yml --check --limit host1,host3 || { cat play.out; exit 1; }
	test "$(recap_changed host1)" = 0
	play schedule.yml --limit host1,host3 -e logpack_schedule=absent || { cat play.out; exit 1; }
	test "$(recap_changed host1)" -ge 1
	test -z "$(ls "$(hostfs 1)/etc/cron.d")"
	test -z "$(ls "$(hostfs 3)/etc/cron.d")"
	play schedule.yml --limit host1,host3 -e logpack_schedule=absent || { cat play.out; exit 1; }
	test "$(recap_changed host1)" = 0
'

t "a binary that is not the release it claims to be stops its host before anything runs" '
	before=$(ls "$CONTROL"/bundles/host3 | wc -l)
	if play playbook.yml --limit host3 -e logpack_binary_sha256=$(printf "%064d" 0); then
		cat play.out
		exit 1
	fi
	grep -q "SHA-256 $(sha256sum "$LP_ABS" | cut -c1-64), expected 0000000000" play.out
	grep -q "^host3 *: .*failed=1" play.out
	test "$(ls "$CONTROL"/bundles/host3 | wc -l)" = "$before"
	if grep -q "TASK \[logpack : Collect\]" play.out; then exit 1; fi
'

t "encrypted to age and X.509 recipients, with the incident report: fetched, opened, verified" '
	cd "$CONTROL"
	age-keygen -o age.id 2>/dev/null
	(umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout x.key -out x.crt -subj /CN=CERT -days 30 -addext keyUsage=keyAgreement \
		2>/dev/null)
	"$LOGPACK" incident init template.txt
	answers_en >answers.txt
	fill template.txt answers.txt >report.txt
	cat >enc.yml <<EOF
logpack_encrypt_to: ["$(grep -o "age1.*" age.id)", "$CONTROL/x.crt"]
logpack_decrypt_key: "$CONTROL/x.key"
logpack_incident_file: "$CONTROL/report.txt"
EOF
	play playbook.yml --limit host1 -e "@$CONTROL/enc.yml" || { cat play.out; exit 1; }
	set -- bundles/host1/*.age
	test $# = 1
	stem=${1%.age}
	(cd bundles/host1 && sha256sum -c --quiet "${stem##*/}.age.sha256" "${stem##*/}.enc.sha256")
	test -f "$stem.p7m"
	# The X.509 key opened the .enc (the .age, tried first, it cannot open); the age
	# identity gives the same bundle from the .age.
	age -d -i age.id -o bundles/opened-by-age "$stem.age"
	cmp "$stem.tar.zst" bundles/opened-by-age
	"$LOGPACK" verify --require trusted --trust trust/host1.pem "$stem.tar.zst" >v.out
	grep -q "signed by /O=Example AB/CN=host1, trusted" v.out
	test "$(jq -r ".[] | select(.host == \"host1\") | .verdict" bundles/summary.json)" = trusted
	"$LOGPACK" show "$stem.tar.zst" >show.out
	grep -q "TLP:AMBER  incident report from Example AB, case INC-2026-0042" show.out
	# Nothing of it stays on the host: no report, no recipient key, no bundle file.
	fs=$(hostfs 1)
	test ! -e "$fs/var/lib/logpack/input"
	test -z "$(ls "$fs/var/lib/logpack/out")"
	if grep -rq "Ransomware encrypted the file server" "$fs"; then exit 1; fi
	test "$(private_keys "$fs")" = "$fs/etc/logpack/host-key/host.key"
'

t "the control node uploads what arrived to an SFTP drop; its credential stays at home" '
	sshd_start || exit 1
	url="sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$SSH_DROP"
	cat >"$CONTROL/up.yml" <<EOF
logpack_upload_to: "$url"
logpack_upload_options: ["--identity", "$SRV/client_key", "--known-hosts", "$SRV/known_hosts"]
EOF
	play playbook.yml --limit host3 -e "@$CONTROL/up.yml" || { cat play.out; exit 1; }
	newest=$(ls -t "$CONTROL"/bundles/host3/*.tar.zst | head -n 1)
	name=${newest##*/}
	cmp "$newest" "$SSH_DROP/$name"
	(cd "$SSH_DROP" && sha256sum -c --quiet "$name.sha256")
	test "$(ls "$SSH_DROP" | wc -l)" = 2
	fs=$(hostfs 3)
	test "$(private_keys "$fs")" = "$fs/etc/logpack/host-key/host.key"
	if grep -rqF "$(sed -n 2p "$SRV/client_key")" "$fs"; then exit 1; fi
	sshd_stop
'

# The SSH sessions the control node kept open end with their hosts.
for n in 1 2 3; do
	for child in $(descendants "$(cat "$TRASH/host$n/pid")"); do
		kill -KILL "$child" 2>/dev/null
	done
done
test_done
