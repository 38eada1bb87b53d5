#!/bin/sh
# receive's reader: the process that parses a hostile bundle holds no key, has no descriptor
# but its socket (and /dev/null), runs as nobody with no capabilities, no new privileges and a
# seccomp filter, under limits; it is killed when its time is up. LOGPACK_TEST_READER_STOP=1
# (a test-only hook) makes the reader stop itself once confined, so that its state can be read
# from /proc before it reads a byte.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/receive-lib.sh"

receive_fixture
B=$(plain_bundle)
N=$(basename "$B")
S=${N%.tar.zst}
E=$(ls "$FX"/enc/*.age)
EN=$(basename "$E")

# stopped_reader PID: wait until the receive process PID has a stopped child; print its pid.
stopped_reader() {
	n=0
	while [ $n -lt 200 ]; do
		for c in $(pgrep -P "$1" || :); do
			if [ "$(awk "/^State:/ {print \$2}" /proc/$c/status)" = T ]; then
				echo "$c"
				return 0
			fi
		done
		sleep 0.05
		n=$((n + 1))
	done
	echo "no stopped reader under $1" >&2
	return 1
}

# asan: is this an AddressSanitizer build (where RLIMIT_AS is not set)?
asan() {
	ldd "$LOGPACK" 2>/dev/null | grep -q libasan || strings "$LOGPACK" | grep -q AddressSanitizer
}

# check_confined PID KEYFILE [same-user]: the reader PID is confined, and nothing of it reaches
# KEYFILE. With same-user (receive run by the key owner), only the seccomp filter and the
# missing descriptor keep the reader from the file, not its permissions.
check_confined() {
	st=/proc/$1/status
	grep -q "^Uid:[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534$" $st
	grep -q "^Gid:[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534[[:space:]]*65534$" $st
	grep -q "^Groups:[[:space:]]*$" $st
	grep -q "^CapEff:[[:space:]]*0000000000000000$" $st
	grep -q "^CapPrm:[[:space:]]*0000000000000000$" $st
	grep -q "^NoNewPrivs:[[:space:]]*1$" $st
	grep -q "^Seccomp:[[:space:]]*2$" $st
	# Descriptors: its socket as 0 and 1, /dev/null as 2, nothing else.
	test "$(ls /proc/$1/fd | sort | tr "\n" " ")" = "0 1 2 "
	case "$(readlink /proc/$1/fd/0)" in socket:*) ;; *) exit 1 ;; esac
	test "$(readlink /proc/$1/fd/0)" = "$(readlink /proc/$1/fd/1)"
	test "$(readlink /proc/$1/fd/2)" = /dev/null
	for fd in /proc/$1/fd/*; do test "$(readlink "$fd")" != "$2"; done
	# Its environment holds nothing of the parent's (no passphrase).
	refute grep -qa PASSPHRASE /proc/$1/environ
	# Limits: no file may grow, no core, few descriptors, bounded CPU time.
	grep -q "^Max file size[[:space:]]*0[[:space:]]*0[[:space:]]" /proc/$1/limits
	grep -q "^Max cpu time[[:space:]]*3600[[:space:]]*3600[[:space:]]" /proc/$1/limits
	grep -q "^Max open files[[:space:]]*16[[:space:]]*16[[:space:]]" /proc/$1/limits
	if ! asan; then
		grep -q "^Max address space[[:space:]]*2147483648[[:space:]]*2147483648[[:space:]]" \
			/proc/$1/limits
	fi
	if [ "${3:-}" = same-user ]; then
		return 0
	fi
	# nobody cannot read the key file (0600, another owner) without capabilities.
	refute setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all cat "$2" >/dev/null 2>&1
}

t "run as root (--allow-root): the reader of an encrypted bundle is nobody, confined, keyless" '
	new_inbox
	cp "$E" "$E.sha256" in/
	LOGPACK_KEY_PASSPHRASE=not-for-the-reader LOGPACK_TEST_READER_STOP=1 \
		"$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected rej --settle 0 \
		--key "$FX/ak" --trust "$FX/snd.crt" --reader-timeout 60 >out 2>err &
	pid=$!
	# A failing test must not leave it running.
	trap "kill $pid 2>/dev/null || :" EXIT
	c=$(stopped_reader $pid)
	check_confined "$c" "$FX/ak"
	kill -CONT "$c"
	expect_code 0 wait $pid
	contains out "$EN: accepted: valid, signed by /O=Sender Org/CN=sender, trusted"
'
t "run as an unprivileged user: the reader is confined the same way" '
	chmod 755 "$TRASH"
	new_inbox
	cp "$E" "$E.sha256" in/
	cp "$FX/ak" ak
	chown 65534:65534 in acc rej ak "in/$EN" "in/$EN.sha256"
	LOGPACK_TEST_READER_STOP=1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$LOGPACK" receive --inbox in --accepted acc --rejected rej \
		--settle 0 --key ak --trust "$FX/snd.crt" --reader-timeout 60 >out 2>err &
	pid=$!
	# A failing test must not leave it running.
	trap "kill $pid 2>/dev/null || :" EXIT
	c=$(stopped_reader $pid)
	check_confined "$c" "$PWD/ak" same-user
	kill -CONT "$c"
	expect_code 0 wait $pid
	contains out "$EN: accepted"
'
t "a bundle crafted to make the reader open the key file: refused, and no key byte leaks" '
	new_inbox
	mkdir x
	tar -C x -xf "$B"
	python3 - x "$S" "$FX/cert.key" "in/$N" <<PY
import os, sys, tarfile
src, top, key, out = sys.argv[1:]
with tarfile.open(out, "w:", format=tarfile.PAX_FORMAT) as tf:
    for dirpath, dirs, files in os.walk(os.path.join(src, top)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            tf.add(p, arcname=os.path.relpath(p, src), recursive=False)
    for kind, name in (("sym", top + "/data/etc/key"), ("hard", top + "/data/etc/key2")):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
        ti.linkname = key
        tf.addfile(ti)
    ti = tarfile.TarInfo(top + "/../../../../.." + key)
    ti.size = 0
    tf.addfile(ti)
PY
	(cd in && sha256sum "$N" >"$N.sha256")
	expect_code 4 receive >out 2>err
	contains out "$N: rejected: INVALID"
	contains "rej/$S/$N.verdict.txt" "symbolic link"
	grep -v "^-----" "$FX/cert.key" | head -n 1 >keyline
	for f in out err rej/$S/*; do refute grep -qF -f keyline "$f"; done
'
t "a reader that does not finish in time is killed, and the bundle rejected with the reason" '
	new_inbox
	cp "$B" "$B.sha256" in/
	start=$(date +%s)
	export LOGPACK_TEST_READER_STOP=1
	expect_code 4 receive --reader-timeout 2 >out 2>err
	test $(($(date +%s) - start)) -lt 30
	contains out "$N: rejected: the bundle reader did not finish in time"
	test -f "rej/$S/$N.sha256"
	# No reader is left: ours name this test trust file (readers of tests running beside
	# this one are not ours).
	test -z "$(pgrep -f -- "--reader-child .*--trust=$TRASH/" || :)"
'
t "the reader address-space limit holds: too little memory rejects the bundle, with the reason" '
	if asan; then
		echo "# an AddressSanitizer build: RLIMIT_AS is not set there"
		exit 0
	fi
	new_inbox
	cp "$B" "$B.sha256" in/
	expect_code 4 receive --reader-memory 30M >out 2>err
	contains out "$N: rejected: "
	cp "$B" "$B.sha256" in/
	expect_code 0 receive --reader-memory 200M >out 2>err
	contains out "$N: accepted"
'
test_done
