#!/bin/sh
# Low-impact mode: --io-rate caps the rate at which sources are read, --nice gives the run
# nice 19 and the idle I/O class; host.json and collection.log say what was in force, and
# schedule passes both on to the snapshots it installs.
. "$TEST_SRCDIR/test-lib.sh"

T=$TRASH/root
make_debian_tree "$T"
BIG=$TRASH/big
mkdir -p "$BIG/var/log"
head -c 41943040 /dev/urandom >"$BIG/var/log/big.log"
printf 'name big\ndescription one large log\n\n[system]\n/var/log/*.log\n' >"$TRASH/big.profile"

# now_ms: milliseconds since the epoch (GNU date).
now_ms() {
	date +%s%3N
}

# bag_file BUNDLE NAME: a tag file of the bag (logpack/host.json) on stdout, by stock tar.
bag_file() {
	tar -xOf "$1" --wildcards "*/$2"
}

t "--io-rate 20M: a 40 MiB file takes at least 1.5 s, and is stored whole and unaltered" '
	mkdir out
	start=$(now_ms)
	"$LOGPACK" --quiet collect --root "$BIG" -p "$TRASH/big.profile" -o out/b.tar -c none \
		--io-rate 20M
	end=$(now_ms)
	echo "took $((end - start)) ms"
	test $((end - start)) -ge 1500
	d=$(bag_of out/b.tar x)
	test "$(sha256sum <"$d/data/var/log/big.log")" = "$(sha256sum <"$BIG/var/log/big.log")"
'

t "--io-rate 400K: a 1 MiB file takes at least 2 s (K suffix, 1024-based)" '
	mkdir -p r/var/log out
	head -c 1048576 /dev/urandom >r/var/log/one.log
	start=$(now_ms)
	"$LOGPACK" --quiet collect --root r -p "$TRASH/big.profile" -o out/b.tar -c none \
		--io-rate 400K
	end=$(now_ms)
	echo "took $((end - start)) ms"
	test $((end - start)) -ge 2000
'

t "--io-rate refuses what is not a rate of at least 1K a second, naming it (exit 2)" '
	for bad in abc 0 100 -5 20X ""; do
		expect_code 2 "$LOGPACK" collect --root "$T" --dry-run --io-rate "$bad" 2>err
		contains err "--io-rate: '\''$bad'\'' is not a rate"
	done
	expect_code 0 "$LOGPACK" collect --root "$T" --dry-run --io-rate 20M/s >/dev/null 2>&1
'

t "--nice: the running collect has nice 19 and the idle I/O class (read from /proc and ionice)" '
	mkdir out
	"$LOGPACK" --quiet collect --root "$BIG" -p "$TRASH/big.profile" -o out/b.tar -c none \
		--nice --io-rate 10M &
	pid=$!
	nice_seen= class_seen=
	for i in $(seq 1 50); do
		# Field 19 of /proc/PID/stat, counted after the command name (which may hold spaces).
		n=$(sed "s/^.*) //" /proc/$pid/stat 2>/dev/null | cut -d" " -f17) || n=
		c=$(ionice -p $pid 2>/dev/null) || c=
		if [ "$n" = 19 ] && [ "$c" = idle ]; then
			nice_seen=$n class_seen=$c
			break
		fi
		sleep 0.1
	done
	wait $pid
	echo "nice $nice_seen, class $class_seen"
	test "$nice_seen" = 19
	test "$class_seen" = idle
'

t "without --nice the run keeps the priority it was started with" '
	mkdir out
	"$LOGPACK" --quiet collect --root "$BIG" -p "$TRASH/big.profile" -o out/b.tar -c none \
		--io-rate 10M &
	pid=$!
	sleep 1
	n=$(sed "s/^.*) //" /proc/$pid/stat | cut -d" " -f17)
	c=$(ionice -p $pid)
	wait $pid
	echo "nice $n, class $c"
	test "$n" = "$(nice)"
	test "$c" != idle
'

t "host.json and collection.log record --nice and --io-rate as in force" '
	mkdir out
	"$LOGPACK" --quiet collect --root "$T" -o out/b.tar.zst --nice --io-rate 20M
	bag_file out/b.tar.zst logpack/host.json >host.json
	python3 - <<PY
import json
li = json.load(open("host.json"))["low_impact"]
print(li)
assert li == {"requested": True, "nice": 19, "io_class": "idle", "io_level": 0,
              "io_rate": 20971520}, li
PY
	bag_file out/b.tar.zst logpack/collection.log >log
	contains log "low-impact mode: nice 19, I/O class idle, read rate at most 20971520 bytes a second"
'

t "without the options host.json records the priority the run had, and no cap" '
	mkdir out
	nice -n 5 "$LOGPACK" --quiet collect --root "$T" -o out/b.tar.zst
	bag_file out/b.tar.zst logpack/host.json >host.json
	python3 - <<PY
import json
li = json.load(open("host.json"))["low_impact"]
print(li)
assert li["requested"] is False and li["io_rate"] is None, li
assert li["nice"] == min(19, $(nice) + 5), li
PY
	bag_file out/b.tar.zst logpack/collection.log >log
	contains log "priority: nice $(( $(nice) + 5 > 19 ? 19 : $(nice) + 5 )), I/O class"
	contains log "read rate not capped"
'

t "snapshot --nice --io-rate: the snapshot bundle records them too" '
	mkdir out
	"$LOGPACK" --quiet snapshot --state st -o out --root "$T" --nice --io-rate 5M
	b=$(ls out/*.tar.zst)
	bag_file "$b" logpack/host.json >host.json
	python3 -c "import json; li = json.load(open(\"host.json\"))[\"low_impact\"]; print(li); assert li[\"nice\"] == 19 and li[\"io_class\"] == \"idle\" and li[\"io_rate\"] == 5242880"
'

t "schedule install passes --nice and --io-rate on; the unit asks for Nice=19 and the idle class" '
	LP_ABS=$(realpath "$LOGPACK")
	"$LOGPACK" schedule install --systemd --unit-dir units --every 1h --state st -o out \
		--root "$T" --nice --io-rate 20M --dry-run >o
	grep "^ExecStart=" o >exec
	cat exec
	grep -q "^ExecStart=$LP_ABS --quiet snapshot --state $PWD/st --output $PWD/out --root $T --nice --io-rate 20M$" exec
	contains o "Nice=19"
	contains o "IOSchedulingClass=idle"
	lacks o "Nice=10"
'

t "without --nice the unit keeps Nice=10; the cron entry carries the options" '
	"$LOGPACK" schedule install --systemd --unit-dir units --every 1h --state st -o out \
		--root "$T" --dry-run >o
	contains o "Nice=10"
	lacks o "Nice=19"
	"$LOGPACK" schedule install --cron --cron-dir cron --every 1h --state st -o out \
		--root "$T" --nice --io-rate 20M --dry-run >c
	cat c
	contains c " --nice --io-rate 20M"
'

t "schedule refuses a bad --io-rate before anything is installed" '
	expect_code 2 "$LOGPACK" schedule install --unit-dir units --every 1h --state st -o out \
		--root "$T" --io-rate fast 2>err
	contains err "--io-rate: '\''fast'\'' is not a rate"
	test ! -e units
'

test_done
