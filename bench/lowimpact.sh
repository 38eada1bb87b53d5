#!/bin/sh
# Many small files, memory at many files, and low-impact mode: sourced by bench/run (which
# calls bench_lowimpact_all), or run alone:
#
#   bench/lowimpact.sh [small-files|many-files|low-impact|big-input]...
#
# (default: the first three; big-input, the memory of collect and verify at BIG_INPUT of logs,
# only when named).
#
# Settings (environment): SMALL_FILES (100000), BIG_INPUT (10G), MANY_FILES (1000000; the
# memory is also measured at a tenth of it, to show how it grows), LOW_IMPACT_SECONDS (6, per
# measurement), LOW_IMPACT_RATE (20M), LOW_IMPACT_COMPETITORS (1: CPU-bound processes; with one
# per core, a process at nice 19 gets almost no CPU and cannot read at the cap), PAIRS (3).
# Needs a built src/logpack, /usr/bin/time, python3.

li_here=$(cd "$(dirname "$0")" && pwd)
li_top=$(dirname "$li_here")
: "${LOGPACK:=$li_top/src/logpack}"
: "${MAKE_CORPUS:=$li_top/../shared/bench/make-corpus}"
: "${SMALL_FILES:=100000}" "${MANY_FILES:=1000000}" "${PAIRS:=3}" "${BIG_INPUT:=10G}"
: "${LOW_IMPACT_SECONDS:=6}" "${LOW_IMPACT_RATE:=20M}" "${LOW_IMPACT_COMPETITORS:=1}"

# li_time NAME COMMAND...: "wall_seconds peak_rss_kib cpu_seconds" of COMMAND (its output
# discarded; CPU time is user + system).
li_time() {
	li_name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$li_work/$li_name.time" "$@" >/dev/null 2>"$li_work/$li_name.err" || {
		echo "bench: $li_name failed (exit $?)" >&2
		cat "$li_work/$li_name.err" >&2
		exit 1
	}
	awk '{ print $1, $2, $3 + $4 }' "$li_work/$li_name.time"
}

# li_median NUMBERS...: the median.
li_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# li_profile: a profile that takes every file under /var/log (the whole small-files tree).
li_profile() {
	printf 'name bench-all\ndescription every file under /var/log\n\n[application]\n/var/log/**\n' \
		>"$li_work/all.profile"
}

# Small files: collect of SMALL_FILES small files against tar --zstd -cf, paired runs, medians.
bench_small_files() {
	echo "small files: $SMALL_FILES files in $li_work/small"
	python3 "$MAKE_CORPUS" "$li_work/small" --size 1M --small-files "$SMALL_FILES" >/dev/null
	li_profile
	sync
	tars= lps= rss= cpus=
	i=0
	while [ $i -lt "$PAIRS" ]; do
		rm -rf "$li_work/out" && mkdir -p "$li_work/out"
		set -- $(li_time small-tar tar --zstd -cf "$li_work/out/t.tar.zst" -C "$li_work/small" .)
		tars="$tars $1"
		rm -rf "$li_work/out" && mkdir -p "$li_work/out"
		set -- $(li_time small-lp "$LOGPACK" --quiet collect --root "$li_work/small" \
			-p "$li_work/all.profile" -o "$li_work/out")
		lps="$lps $1" rss="$rss $2" cpus="$cpus $3"
		i=$((i + 1))
	done
	rm -rf "$li_work/out" "$li_work/small"
	t=$(li_median $tars) l=$(li_median $lps) r=$(li_median $rss) c=$(li_median $cpus)
	printf '%-44s %10s\n' "$SMALL_FILES small files (medians of $PAIRS)" "wall (s)"
	printf '%-44s %10.2f\n' "tar --zstd -cf (baseline)" "$t"
	printf '%-44s %10.2f   peak RSS %.1f MiB\n' "logpack collect" "$l" "$(echo "$r" | awk '{ print $1 / 1024 }')"
	awk -v a="$l" -v b="$t" 'BEGIN { printf "small files, collect / tar: %.2fx (goal: at most 1.5x)\n", a / b }'
	# The floor: logpack's CPU time spread over every CPU it may use (see bench/run).
	awk -v c="$c" -v b="$t" -v n="$(nproc)" 'BEGIN {
		f = c / n / b
		printf "floor: its %.2f s of CPU over %d CPUs is %.2fx of tar wall time%s\n\n", c, n, f,
			(f > 1.5 ? " (above the goal: not reachable by overlap alone)" : "")
	}'
}

# Memory at many files: peak RSS of collect and verify at MANY_FILES/10 and MANY_FILES files.
bench_many_files() {
	li_profile
	printf '%-12s %22s %22s\n' "files" "collect peak RSS" "verify peak RSS"
	for n in $((MANY_FILES / 10)) "$MANY_FILES"; do
		python3 "$MAKE_CORPUS" "$li_work/many" --size 1M --small-files "$n" >/dev/null
		rm -rf "$li_work/out" && mkdir -p "$li_work/out"
		set -- $(li_time many-collect "$LOGPACK" --quiet collect --root "$li_work/many" \
			-p "$li_work/all.profile" -o "$li_work/out")
		c_rss=$2
		set -- $(li_time many-verify "$LOGPACK" --quiet verify "$li_work"/out/*.tar.zst)
		v_rss=$2
		printf '%-12s %18.1f MiB %18.1f MiB\n' "$n" "$(echo "$c_rss" | awk '{ print $1 / 1024 }')" \
			"$(echo "$v_rss" | awk '{ print $1 / 1024 }')"
		rm -rf "$li_work/out" "$li_work/many"
	done
	echo "(goal: at most 64 MiB for both at $MANY_FILES files, and no growth with the count)"
	echo
}

# Memory at a large input: peak RSS of collect (zstd, then gzip) and verify of a BIG_INPUT
# make-corpus tree (default 10G). Only when asked for ("big-input"): the corpus alone takes
# about ten minutes to write.
bench_big_input() {
	echo "big input: a $BIG_INPUT corpus in $li_work/big"
	python3 "$MAKE_CORPUS" "$li_work/big" --size "$BIG_INPUT" >/dev/null
	du -sh "$li_work/big" | sed 's/^/  /'
	printf '%-22s %12s %16s\n' "" "wall (s)" "peak RSS"
	for c in zstd gzip; do
		ext=$([ "$c" = gzip ] && echo gz || echo zst)
		rm -rf "$li_work/out" && mkdir -p "$li_work/out"
		set -- $(li_time big-collect "$LOGPACK" --quiet collect -c "$c" --root "$li_work/big" \
			-o "$li_work/out")
		printf '%-22s %12.2f %12.1f MiB\n' "collect -c $c" "$1" "$(echo "$2" | awk '{ print $1 / 1024 }')"
		set -- $(li_time big-verify "$LOGPACK" --quiet verify "$li_work"/out/*.tar.$ext)
		printf '%-22s %12.2f %12.1f MiB\n' "verify ($c)" "$1" "$(echo "$2" | awk '{ print $1 / 1024 }')"
	done
	rm -rf "$li_work/out" "$li_work/big"
	echo "(goal: at most 64 MiB for each)"
	echo
}

# li_burn SECONDS: LOW_IMPACT_COMPETITORS CPU-bound processes for SECONDS; prints the loops
# they did.
li_burn() {
	n=$LOW_IMPACT_COMPETITORS
	rm -f "$li_work"/burn.*
	k=0
	while [ $k -lt "$n" ]; do
		python3 -c '
import sys, time
n, end = 0, time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    for _ in range(10000):
        pass
    n += 1
print(n)' "$1" >"$li_work/burn.$k" &
		k=$((k + 1))
	done
	wait
	cat "$li_work"/burn.* | awk '{ s += $1 } END { print s }'
}

# li_rchar PID: bytes the process has read so far (/proc/PID/io), or nothing once it is gone.
li_rchar() {
	sed -n 's/^rchar: //p' "/proc/$1/io" 2>/dev/null
}

# li_with_collect MODE: the competitor's loops while logpack collects (MODE "low": with
# --nice --io-rate, "rate": --io-rate alone, "plain": neither), and logpack's read rate in
# the middle of the window.
li_with_collect() {
	rm -rf "$li_work/out" && mkdir -p "$li_work/out"
	if [ "$1" = low ]; then
		"$LOGPACK" --quiet collect --root "$li_work/li" -o "$li_work/out" --nice \
			--io-rate "$LOW_IMPACT_RATE" >/dev/null 2>&1 &
	elif [ "$1" = rate ]; then
		"$LOGPACK" --quiet collect --root "$li_work/li" -o "$li_work/out" \
			--io-rate "$LOW_IMPACT_RATE" >/dev/null 2>&1 &
	else
		"$LOGPACK" --quiet collect --root "$li_work/li" -o "$li_work/out" >/dev/null 2>&1 &
	fi
	lp_pid=$!
	sleep 0.5
	li_burn "$LOW_IMPACT_SECONDS" >"$li_work/loops" &
	burn_pid=$!
	# The read rate over the middle of the window: past the start, before the tag files.
	sleep 1
	r1=$(li_rchar $lp_pid) t1=$(date +%s.%N)
	sleep $((LOW_IMPACT_SECONDS - 2))
	r2=$(li_rchar $lp_pid) t2=$(date +%s.%N)
	wait $burn_pid
	kill $lp_pid 2>/dev/null || :
	wait $lp_pid 2>/dev/null || :
	if [ -n "$r1" ] && [ -n "$r2" ]; then
		rate=$(awk -v a="$r1" -v b="$r2" -v s="$t1" -v e="$t2" 'BEGIN { printf "%.0f", (b - a) / (e - s) }')
	else
		rate=0 # logpack finished inside the window: the corpus is too small
	fi
	echo "$(cat "$li_work/loops") $rate"
}

# Low impact: how much of its throughput a CPU-bound competitor keeps
# while logpack collects with --nice --io-rate, and logpack's read rate against the cap.
bench_low_impact() {
	rate_bytes=$(echo "$LOW_IMPACT_RATE" | awk '{ v = $1 + 0; u = substr($1, length($1)); f = u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1; print v * f }')
	# Enough logs that a capped collect lasts beyond the window.
	size_mib=$(awk -v r="$rate_bytes" -v s="$LOW_IMPACT_SECONDS" 'BEGIN { printf "%d", r * (s + 4) * 1.3 / 1048576 }')
	echo "low impact: corpus of ${size_mib}M, competitor: $LOW_IMPACT_COMPETITORS CPU-bound process(es) on $(nproc) cores, ${LOW_IMPACT_SECONDS} s each"
	python3 "$MAKE_CORPUS" "$li_work/li" --size "${size_mib}M" >/dev/null
	sync
	alone= low= plain= rates=
	i=0
	while [ $i -lt "$PAIRS" ]; do
		alone="$alone $(li_burn "$LOW_IMPACT_SECONDS")"
		set -- $(li_with_collect low)
		low="$low $1" rates="$rates $2"
		i=$((i + 1))
	done
	set -- $(li_with_collect plain)
	plain=$1
	# The cap alone, at the ordinary priority: how closely the bucket holds the rate when
	# logpack gets the CPU it needs (at nice 19 on a busy machine it may not).
	set -- $(li_with_collect rate)
	rate_only=$2
	rm -rf "$li_work/out" "$li_work/li"
	a=$(li_median $alone) l=$(li_median $low) r=$(li_median $rates)
	printf 'competitor alone: %s loops (median of %s)\n' "$a" "$PAIRS"
	awk -v a="$a" -v l="$l" -v p="$plain" -v r="$r" -v ro="$rate_only" -v cap="$rate_bytes" -v c="$LOW_IMPACT_RATE" 'BEGIN {
		printf "competitor beside collect --nice --io-rate %s: %.1f%% of its throughput (goal: at least 90%%)\n", c, 100 * l / a
		printf "competitor beside a plain collect (one run): %.1f%%\n", 100 * p / a
		printf "read rate with --nice --io-rate %s: %.1f MiB/s: %+.1f%% of the cap (goal: within 10%%)\n", c, r / 1048576, 100 * (r - cap) / cap
		printf "read rate with --io-rate %s alone (one run): %.1f MiB/s: %+.1f%% of the cap\n\n", c, ro / 1048576, 100 * (ro - cap) / cap
	}'
}

bench_lowimpact_all() {
	bench_small_files
	bench_many_files
	bench_low_impact
}

# Run alone (not sourced by bench/run).
case $0 in
*lowimpact.sh)
	set -eu
	[ -x "$LOGPACK" ] || { echo "bench: build first ($LOGPACK not found)" >&2; exit 2; }
	li_work=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/logpack-bench.XXXXXX")}
	trap 'rm -rf "$li_work"' EXIT
	[ $# -gt 0 ] || set -- small-files many-files low-impact
	for what; do
		case $what in
		small-files) bench_small_files ;;
		many-files) bench_many_files ;;
		low-impact) bench_low_impact ;;
		big-input) bench_big_input ;;
		*) echo "bench: unknown section $what" >&2; exit 2 ;;
		esac
	done
	;;
esac
