#!/usr/bin/env bash
# The mock Tomcat beside node `ws` and Python `websockets`, side by side in
# one go (DESIGN.md section 9): echo throughput and round-trip latency at
# 1, 100 and 1000 connections with 32-byte and 16 KiB messages, handshake
# cycles per second, RSS with 1,000 and 10,000 idle websocket connections,
# and the time from start until the HTTP connector answers. Each server
# runs pinned to CPU 0, the load client (bench/wsload, C on libuv) to CPU 1;
# the client's CPU use is shown beside each figure, so a client-bound
# figure is visible as such. Prints a table with ratios and the targets
# with PASS/MISS.
#
#   bench/run.sh                 build into $BUILD (default build/) and run
#
# Environment: BUILD (build dir), BENCH_DURATION (measured seconds per run,
# 3), BENCH_WARMUP (1), BENCH_REPEAT (runs per echo/handshake figure, the
# median is shown; 1), BENCH_BINARY=1 (binary messages instead of text),
# BENCH_SERVERS (default "mock node python"), BENCH_HS_PARALLEL (32),
# BENCH_RETRY (3) and BENCH_QUIET_PCT (15): a run during which other
# processes used more than that % of a core is repeated, up to BENCH_RETRY
# times, and the least disturbed one kept.
# Everything listens on 127.0.0.1 only; every server started is stopped on
# exit. Needs no root. Exit status: 0 all targets pass, 1 a target missed
# or a run failed, 2 a setup problem.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
DUR=${BENCH_DURATION:-3}
WARM=${BENCH_WARMUP:-1}
REPEAT=${BENCH_REPEAT:-1}
SERVERS=${BENCH_SERVERS:-mock node python}
HS_PAR=${BENCH_HS_PARALLEL:-32}
RETRY=${BENCH_RETRY:-3}
QUIET=${BENCH_QUIET_PCT:-15}
BINARY=()
KIND=text
if [ "${BENCH_BINARY:-0}" = 1 ]; then
	BINARY=(--binary)
	KIND=binary
fi
PY=/usr/bin/python3 # Debian's, which has python3-websockets
export NODE_PATH=/usr/share/nodejs

say() { printf '%s\n' "$*" >&2; }
die() {
	say "bench/run.sh: $*"
	exit 2
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wssim-bench.XXXXXX")
declare -A LIVE=() # processes started here and not yet reaped
cleanup() {
	local p
	for p in "${!LIVE[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	[ ${#LIVE[@]} -eq 0 ] || sleep 0.3
	for p in "${!LIVE[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build --------------------------------------------------------------
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		>"$TMP/build.log" 2>&1 || {
		tail -20 "$TMP/build.log" >&2
		die "cmake configure failed"
	}
fi
cmake --build "$BUILD" -j"$(nproc)" --target wssim wsload \
	>>"$TMP/build.log" 2>&1 || {
	tail -20 "$TMP/build.log" >&2
	die "build failed (cmake --build $BUILD --target wssim wsload)"
}
WSSIM=$BUILD/wssim
WSLOAD=$BUILD/bench/wsload
if ! [ -x "$WSSIM" ] || ! [ -x "$WSLOAD" ]; then
	die "no $WSSIM or $WSLOAD"
fi

# ---- peers, pinning, limits --------------------------------------------
declare -A MISSING=()
if ! command -v node >/dev/null || ! node -e "require('ws')" 2>/dev/null; then
	MISSING[node]="node or node-ws absent (apt-get install node-ws)"
fi
if ! [ -x "$PY" ] || ! "$PY" -c 'import websockets' 2>/dev/null; then
	MISSING[python]="python3-websockets absent (apt-get install python3-websockets)"
fi
PIN0=()
PIN1=()
PINNOTE="server pinned to CPU 0, load client to CPU 1"
TTFA_PIN=(--pin)
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	PIN0=(taskset -c 0)
	PIN1=(taskset -c 1)
else
	PINNOTE="UNPINNED (no taskset or fewer than 2 CPUs): figures are rougher"
	TTFA_PIN=()
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10100 ]; then
	die "open-file limit $(ulimit -n) is below the 10,100 the idle test needs"
fi

# server_cmd NAME PORT: the command line of a server
server_cmd() {
	case $1 in
	mock) echo "$WSSIM mock-tomcat --http $2 -q" ;;
	node) echo "node $HERE/echo_node.js $2" ;;
	python) echo "$PY $HERE/echo_python.py $2" ;;
	esac
}

# start_server NAME: start it pinned on a free port; sets SPID and SPORT.
start_server() {
	local out=$TMP/$1.out
	: >"$out"
	# shellcheck disable=SC2046
	"${PIN0[@]}" $(server_cmd "$1" 0) >"$out" 2>>"$TMP/$1.err" &
	SPID=$!
	LIVE[$SPID]=1
	for _ in $(seq 200); do
		SPORT=$(sed -n 's/^listening http 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$out")
		[ -n "$SPORT" ] && return 0
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	say "bench/run.sh: $1 did not start: $(tail -3 "$TMP/$1.err")"
	return 1
}

stop_server() {
	kill -TERM "$SPID" 2>/dev/null || true

	for _ in $(seq 40); do
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$SPID" 2>/dev/null || true
	wait "$SPID" 2>/dev/null || true
	unset "LIVE[$SPID]"
}

# kv LINE KEY: the value of KEY in a key=value line
kv() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

declare -A R=() # R[server/key] = value; KEY.ccpu, KEY.scpu: CPU %
declare -A OCPU=() # the largest CPU % of everything else, per server
NOTES=()

# load NAME KEY ARGS...: run wsload BENCH_REPEAT times, keep the run with
# the median rate; fills R[NAME/KEY], R[NAME/KEY.p50], R[NAME/KEY.p99].
load() {
	local name=$1 key=$2
	shift 2
	local lines=() line rc l best bo o
	for _ in $(seq "$REPEAT"); do
		best=""
		bo=
		for _ in $(seq "$RETRY"); do
			rc=0
			line=$("${PIN1[@]}" "$WSLOAD" "$@" -w "$WARM" -d "$DUR" \
				--server-pid "$SPID" "127.0.0.1:$SPORT" 2>>"$TMP/wsload.err") || rc=$?
			if [ -z "$line" ]; then
				NOTES+=("$name $key: wsload failed (exit $rc): $(tail -1 "$TMP/wsload.err")")
				R[$name/$key]=ERR
				return
			fi
			if [ "$(kv "$line" errors)" != 0 ]; then
				NOTES+=("$name $key: $(kv "$line" errors) errors: $(tail -1 "$TMP/wsload.err")")
			fi
			o=$(kv "$line" other_cpu_pct)
			[ "$o" = na ] && o=0
			if [ -z "$bo" ] || awk -v a="$o" -v b="$bo" 'BEGIN { exit !(a + 0 < b + 0) }'; then
				best=$line
				bo=$o
			fi
			awk -v a="$o" -v l="$QUIET" 'BEGIN { exit !(a + 0 <= l) }' && break
			say "  $name $key: other processes used $o % of a core; again"
		done
		lines+=("$best")
	done
	local rate=msgs_per_s
	[ "$1" = handshake ] && rate=cycles_per_s
	line=$(for l in "${lines[@]}"; do echo "$(kv "$l" $rate) $l"; done |
		sort -n | sed -n "$(((${#lines[@]} + 1) / 2))p" | cut -d' ' -f2-)
	R[$name/$key]=$(kv "$line" $rate)
	R[$name/$key.p50]=$(kv "$line" p50_us)
	R[$name/$key.p99]=$(kv "$line" p99_us)
	R[$name/$key.ccpu]=$(kv "$line" client_cpu_pct)
	R[$name/$key.scpu]=$(kv "$line" server_cpu_pct)
	local o
	OCPU[$name]=${OCPU[$name]:-0}
	for l in "${lines[@]}"; do
		o=$(kv "$l" other_cpu_pct)
		if awk -v a="$o" -v b="${OCPU[$name]:-0}" 'BEGIN { exit !(a + 0 > b + 0) }'; then
			OCPU[$name]=$o
		fi
	done
	say "  $name $key: $line"
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# idle_open N OUT: start wsload idle with N connections; waits for "ready".
IDLE_PIDS=()
idle_open() {
	local n=$1 out=$2
	"${PIN1[@]}" "$WSLOAD" idle -c "$n" -d 300 -t 20 "127.0.0.1:$SPORT" \
		</dev/null >"$out" 2>>"$TMP/wsload.err" &
	IDLE_PIDS+=($!)
	LIVE[$!]=1
	for _ in $(seq 1200); do
		if grep -q '^ready' "$out"; then
			[ "$(sed -n 's/^ready //p' "$out")" = "$n" ] && return 0
			break
		fi
		kill -0 "${IDLE_PIDS[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

idle_close() {
	local p
	for p in "${IDLE_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${IDLE_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
		unset "LIVE[$p]"
	done
	IDLE_PIDS=()
}

# ---- the runs -----------------------------------------------------------
say "wssim bench: $(nproc) CPUs, $PINNOTE; ${DUR}s measured after ${WARM}s"
say "warm-up per run, $KIND messages, no compression anywhere."
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average at start: $LOAD0"

SIZES=(32 16384)
CONNS=(1 100 1000)
for s in $SERVERS; do
	if [ -n "${MISSING[$s]:-}" ]; then
		say "== $s: skipped: ${MISSING[$s]}"
		continue
	fi
	say "== $s"
	start_server "$s" || {
		NOTES+=("$s: did not start")
		continue
	}
	for c in "${CONNS[@]}"; do
		for z in "${SIZES[@]}"; do
			load "$s" "echo.$c.$z" echo -c "$c" -s "$z" "${BINARY[@]}"
		done
	done
	load "$s" hs handshake -p "$HS_PAR"
	stop_server

	# RSS on a fresh server: idle connections only.
	start_server "$s" || continue
	sleep 0.3
	R[$s/rss0]=$(rss_kb "$SPID")
	if idle_open 1000 "$TMP/idle1.out"; then
		sleep 1
		R[$s/rss1k]=$(rss_kb "$SPID")
		if idle_open 9000 "$TMP/idle2.out"; then
			sleep 1
			R[$s/rss10k]=$(rss_kb "$SPID")
			R[$s/slope]=$(awk -v a="${R[$s/rss1k]}" -v b="${R[$s/rss10k]}" \
				'BEGIN { printf "%.2f", (b - a) / 9000 }')
		else
			NOTES+=("$s: 10,000 idle connections did not open: $(tail -1 "$TMP/wsload.err")")
		fi
	else
		NOTES+=("$s: 1,000 idle connections did not open: $(tail -1 "$TMP/wsload.err")")
	fi
	say "  $s rss: idle0=${R[$s/rss0]:-?} 1k=${R[$s/rss1k]:-?} 10k=${R[$s/rss10k]:-?} kB"
	idle_close
	stop_server

	# Start until the HTTP connector answers, on a port picked here.
	port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	# shellcheck disable=SC2046
	if line=$("$PY" "$HERE/ttfa.py" "${TTFA_PIN[@]}" "$port" -- \
		$(server_cmd "$s" "$port") 2>>"$TMP/ttfa.err"); then
		R[$s/ttfa]=$(kv "$line" ttfa_ms)
		say "  $s start: $line"
	else
		NOTES+=("$s: start-up timing failed: $(tail -1 "$TMP/ttfa.err")")
	fi
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ----------------------------------------------------------
# ratio A B: A/B with two decimals, or "-"
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || a == "ERR" || b == "ERR" || b + 0 == 0)
			print "-"; else printf "%.2fx", a / b }'
}
fmt() {
	local v=${1:-}
	[ -n "$v" ] || {
		echo "-"
		return
	}
	awk -v v="$v" 'BEGIN { if (v == "ERR") print v;
		else if (v + 0 >= 1000) printf "%.0f", v;
		else if (v + 0 >= 100) printf "%.0f", v;
		else printf "%.1f", v }'
}
cpus() { # CPU % of mock/node/python for KEY (ccpu or scpu)
	local out="" s
	for s in mock node python; do
		out+="${R[$s/$1]:--}/"
	done
	echo "${out%/}"
}
row() { # label key [cpu-key]
	printf '%-34s %10s %10s %10s %9s %9s  %s\n' "$1" \
		"$(fmt "${R[mock/$2]:-}")" "$(fmt "${R[node/$2]:-}")" \
		"$(fmt "${R[python/$2]:-}")" \
		"$(ratio "${R[mock/$2]:-}" "${R[node/$2]:-}")" \
		"$(ratio "${R[mock/$2]:-}" "${R[python/$2]:-}")" "${3:-}"
}

echo
echo "wssim mock vs node ws vs Python websockets: $(nproc) CPUs, $PINNOTE;"
echo "$KIND messages, no compression; ${DUR}s measured after ${WARM}s warm-up,"
echo "median of $REPEAT run(s). load average $LOAD0 at start, $LOAD1 at end."
echo "Ratios are mock/peer: above 1 is better for rates, below 1 for"
echo "latency, memory and time. CPU column: client% [server%] for"
echo "mock/node/python over the measured interval (100 = one core busy)."
echo
printf '%-34s %10s %10s %10s %9s %9s  %s\n' measurement mock "node ws" \
	"python ws" mock/node mock/py "client CPU % [server CPU %]"
for c in "${CONNS[@]}"; do
	for z in "${SIZES[@]}"; do
		k=echo.$c.$z
		zl="32 B"
		[ "$z" = 16384 ] && zl="16 KiB"
		row "echo msgs/s, $c conn x $zl" "$k" \
			"$(cpus "$k.ccpu") [$(cpus "$k.scpu")]"
		row "  p50 round trip (us)" "$k.p50"
		row "  p99 round trip (us)" "$k.p99"
	done
done
row "handshake cycles/s ($HS_PAR parallel)" hs \
	"$(cpus hs.ccpu) [$(cpus hs.scpu)]"
row "  p50 cycle (us)" hs.p50
row "  p99 cycle (us)" hs.p99
row "RSS at start (kB)" rss0
row "RSS, 1,000 idle ws conns (kB)" rss1k
row "RSS, 10,000 idle ws conns (kB)" rss10k
row "RSS per idle conn, 1k->10k (KiB)" slope
row "start until HTTP answers (ms)" ttfa
echo
noisy=$(for s in mock node python; do echo "${OCPU[$s]:-0}"; done |
	awk -v l="$QUIET" '$1 > l { n++ } END { print n + 0 }')
echo "other processes used at most ${OCPU[mock]:--}/${OCPU[node]:--}/${OCPU[python]:--} % of a core"
echo "during a measured interval (mock/node/python runs)."
if [ "$noisy" -gt 0 ]; then
	echo "WARNING: the machine was not quiet; figures disturbed by other load."
fi

# ---- targets ------------------------------------------------------------
echo
echo "targets:"
FAILED=0
# check LABEL VALUE OP LIMIT: PASS/MISS for VALUE OP LIMIT (numbers)
check() {
	local verdict
	if [ -z "$2" ] || [ "$2" = "-" ] || [ "$2" = ERR ]; then
		verdict="n/a "
		FAILED=1
	elif awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
		v = v + 0; exit !((op == ">=" && v >= l) || (op == "<" && v < l) ||
		(op == "<=" && v <= l)) }'; then
		verdict=PASS
	else
		verdict=MISS
		FAILED=1
	fi
	printf '  %s  %-46s %s (needs %s %s)\n' "$verdict" "$1" "${2:-n/a}" "$3" "$4"
}
r() { ratio "$1" "$2" | tr -d x; }
check "echo 100 conns x 32 B, mock/node" \
	"$(r "${R[mock/echo.100.32]:-}" "${R[node/echo.100.32]:-}")" ">=" 1.3
check "echo 100 conns x 16 KiB, mock/node" \
	"$(r "${R[mock/echo.100.16384]:-}" "${R[node/echo.100.16384]:-}")" ">=" 5
check "RSS per idle connection (KiB, 1k->10k slope)" "${R[mock/slope]:-}" "<" 2
check "handshake cycles/s, mock/node" \
	"$(r "${R[mock/hs]:-}" "${R[node/hs]:-}")" ">=" 1.5
check "start until the HTTP connector answers (ms)" "${R[mock/ttfa]:-}" "<=" 10

if [ ${#NOTES[@]} -gt 0 ]; then
	echo
	echo "notes:"
	for n in "${NOTES[@]}"; do
		echo "  - $n"
	done
	FAILED=1
fi
exit "$FAILED"
