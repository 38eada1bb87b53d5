#!/bin/sh
# logpack receive: complete arrivals are verified and moved with every companion file into a
# directory of their own under accepted/ or rejected/, with the verdict beside them; files
# still being written are left alone; root is refused unless asked for.
. "$TEST_SRCDIR/test-lib.sh"
. "$TEST_SRCDIR/receive-lib.sh"

receive_fixture
B=$(plain_bundle)
N=$(basename "$B")
S=${N%.tar.zst}

t "as root without --allow-root: refused, with the reason, and nothing moves" '
	new_inbox
	cp "$B" "$B.sha256" in/
	expect_code 2 "$LOGPACK" receive --inbox in --accepted acc --rejected rej --settle 0 2>err
	contains err "refusing to run as root"
	test -f "in/$N"
	test -z "$(ls acc)$(ls rej)"
'
t "a valid bundle goes to accepted/ with its sidecar and label, and its verdict in text and JSON" '
	new_inbox
	cp "$B" "$B.sha256" in/
	echo "TLP:AMBER" >"in/$N.label"
	expect_code 0 receive >out 2>err
	contains out "$N: accepted: valid, signed by /O=Sender Org/CN=sender, trusted -> acc/$S"
	test "$(ls -A in)" = .logpack-receive
	test -z "$(ls -A in/.logpack-receive)"
	test -z "$(ls rej)"
	cmp "$B" "acc/$S/$N"
	cmp "$B.sha256" "acc/$S/$N.sha256"
	test "$(cat "acc/$S/$N.label")" = "TLP:AMBER"
	contains "acc/$S/$N.verdict.txt" "$N: accepted: valid, signed by /O=Sender Org/CN=sender, trusted"
	contains "acc/$S/$N.verdict.txt" "sha256 $(sha256sum <"$B" | cut -c1-64)"
	python3 - "acc/$S/$N.verdict.json" "$N" <<PY
import json, sys
v = json.load(open(sys.argv[1]))
n = sys.argv[2]
assert v["disposition"] == "accepted", v
assert v["bundle"] == n
assert sorted(v["files"]) == sorted([n, n + ".label", n + ".sha256"]), v["files"]
assert v["verdict"]["outcome"] == "trusted", v["verdict"]
assert v["receiver"] == "/O=CERT/CN=inbox"
assert v["receipt"] == n + ".receipt"
PY
'
t "an altered bundle (its sidecar made to match) is rejected with the verifier reason" '
	new_inbox
	mkdir x
	tar -C x -xf "$B"
	echo "one more line" >>x/$S/data/var/log/syslog
	tar -C x -cf "in/$N" --zstd "$S"
	(cd in && sha256sum "$N" >"$N.sha256")
	expect_code 4 receive >out 2>err
	contains out "$N: rejected: INVALID"
	contains out "-> rej/$S"
	contains "rej/$S/$N.verdict.txt" "rejected: INVALID"
	contains "rej/$S/$N.verdict.txt" "data/var/log/syslog"
	test -f "rej/$S/$N.sha256"
	test -z "$(ls acc)"
'
t "a bundle that does not match its sidecar is rejected as altered or cut short" '
	new_inbox
	cp "$B" "$B.sha256" in/
	printf x >>"in/$N"
	expect_code 4 receive >out 2>err
	contains out "does not match its .sha256 file"
	test -f "rej/$S/$N"
	test -f "rej/$S/$N.sha256"
'
t "an age-encrypted bundle is decrypted with --key and verified; without the key it is rejected" '
	new_inbox
	E=$(ls "$FX"/enc/*.age)
	EN=$(basename "$E")
	cp "$E" "$E.sha256" in/
	expect_code 0 receive --key "$FX/ak" >out 2>err
	contains out "$EN: accepted: valid, signed by /O=Sender Org/CN=sender, trusted"
	cmp "$E" "acc/${EN%.age}/$EN"
	test -f "acc/${EN%.age}/$EN.sha256"
	cp "$E" "$E.sha256" in/
	expect_code 4 receive >out 2>err
	contains out "$EN: rejected: cannot decrypt: an age-encrypted bundle, and no age key"
	test -f "rej/${EN%.age}/$EN"
	age-keygen -o wrong 2>/dev/null
	chmod 600 wrong
	cp "$E" "$E.sha256" in/
	expect_code 4 receive --key wrong >out 2>err
	contains out "$EN: rejected: cannot decrypt"
	test -f "rej/${EN%.age}.2/$EN"
'
t "a valid bundle below --require is rejected, with the level it missed" '
	new_inbox
	cp "$B" "$B.sha256" in/
	expect_code 4 "$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected rej \
		--settle 0 --trust "$FX/other.crt" >out 2>err
	contains out "$N: rejected: valid, signed by /O=Sender Org/CN=sender, NOT trusted"
	contains out "(below --require trusted) -> rej/$S"
	cp "$B" "$B.sha256" in/
	expect_code 0 "$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected rej \
		--settle 0 --trust "$FX/other.crt" --require signed >out 2>err
	contains out "$N: accepted: valid, signed by /O=Sender Org/CN=sender, NOT trusted"
'
t "a second receiver on the same inbox is refused while the first runs" '
	new_inbox
	"$LOGPACK" receive --allow-root --watch --inbox in --accepted acc --rejected rej >out 2>err &
	pid=$!
	# A failing test must not leave it running.
	trap "kill $pid 2>/dev/null || :" EXIT
	n=0
	while [ ! -d in/.logpack-receive ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	sleep 0.3
	expect_code 3 "$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected rej \
		2>err2
	contains err2 "another logpack receive is using it"
	kill -TERM $pid
	wait $pid
'
t "a file still being written is not taken: no sidecar yet, or changed within --settle" '
	new_inbox
	head -c 20000 "$B" >"in/$N"
	expect_code 0 receive >out 2>err
	test ! -s out
	contains err "1 bundle not complete yet"
	test -f "in/$N"
	cat "$B" >"in/$N"
	cp "$B.sha256" in/
	expect_code 0 receive --settle 30 >out 2>err
	test ! -s out
	test -f "in/$N"
	expect_code 0 receive >out 2>err
	contains out "$N: accepted"
'
t "--watch: a bundle copied slowly in pieces is taken once, only when complete" '
	new_inbox
	"$LOGPACK" receive --allow-root --watch --inbox in --accepted acc --rejected rej --settle 4 \
		--trust "$FX/snd.crt" >out 2>err &
	pid=$!
	# A failing test must not leave it running.
	trap "kill $pid 2>/dev/null || :" EXIT
	sz=$(stat -c %s "$B")
	piece=$((sz / 4 + 1))
	: >"in/$N"
	cp "$B.sha256" in/
	for i in 0 1 2 3; do
		dd if="$B" bs=$piece skip=$i count=1 2>/dev/null >>"in/$N"
		sleep 1
		test -f "in/$N"
		test -z "$(ls acc)$(ls rej)"
	done
	n=0
	while [ -z "$(ls acc)" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	kill -TERM $pid
	wait $pid
	contains out "$N: accepted"
	test "$(wc -l <out)" = 1
	cmp "$B" "acc/$S/$N"
	test -z "$(ls rej)"
'
t "--watch takes what is already there at start, and stops cleanly on SIGTERM" '
	new_inbox
	cp "$B" "$B.sha256" in/
	"$LOGPACK" receive --allow-root --watch --inbox in --accepted acc --rejected rej --settle 0 \
		>out 2>err &
	pid=$!
	# A failing test must not leave it running.
	trap "kill $pid 2>/dev/null || :" EXIT
	n=0
	while [ -z "$(ls acc)" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	kill -TERM $pid
	expect_code 0 wait $pid
	contains out "$N: accepted: valid, signed by /O=Sender Org/CN=sender, NOT trusted"
'
t "--json: one JSON line per bundle; a name taken before gets .2" '
	new_inbox
	cp "$B" "$B.sha256" in/
	receive >/dev/null
	cp "$B" "$B.sha256" in/
	expect_code 0 receive --json >out
	python3 - out "$N" <<PY
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
v = json.loads(lines[0])
assert v["disposition"] == "accepted" and v["bundle"] == sys.argv[2], v
PY
	test -f "acc/$S.2/$N"
'
t "dot-names, links and lone companion files stay in the inbox" '
	new_inbox
	cp "$B" "in/.$N"
	cp "$B.sha256" "in/.$N.sha256"
	ln -s "$B" "in/$N"
	echo note >in/readme.txt
	expect_code 0 receive >out 2>err
	test ! -s out
	test -f "in/.$N"
	test -L "in/$N"
	test -f in/readme.txt
'
t "inbox, accepted and rejected on different file systems, or the same directory: refused" '
	new_inbox
	expect_code 3 "$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected /dev/shm \
		2>err
	contains err "is not on the file system of the inbox"
	expect_code 3 "$LOGPACK" receive --allow-root --inbox in --accepted acc --rejected acc 2>err
	contains err "must differ"
	expect_code 2 "$LOGPACK" receive --allow-root --inbox in 2>err
	contains err "--inbox, --accepted and --rejected are all needed"
'
t "--print-unit: a service for --watch with the sandboxing of the snapshot units" '
	new_inbox
	"$LOGPACK" receive --inbox in --accepted acc --rejected rej --trust "$FX/snd.crt" \
		--print-unit >unit
	contains unit "ExecStart=\""
	# The service runs in /: every path is made absolute.
	contains unit "\" receive --watch --inbox \"$PWD/in\" --accepted \"$PWD/acc\" --rejected \"$PWD/rej\" --trust \"$FX/snd.crt\" --settle \"30s\""
	for opt in NoNewPrivileges=yes ProtectSystem=strict PrivateNetwork=yes PrivateTmp=yes \
		RestrictAddressFamilies=AF_UNIX SystemCallArchitectures=native \
		"ReadWritePaths=\"$PWD/in\" \"$PWD/acc\" \"$PWD/rej\""; do
		contains unit "$opt"
	done
	lacks unit "print-unit"
	if command -v systemd-analyze >/dev/null; then
		cp unit logpack-receive.service
		systemd-analyze verify ./logpack-receive.service 2>verr || :
		lacks verr "Unknown key"
		lacks verr "nknown section"
	fi
'
test_done
