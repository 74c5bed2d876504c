#!/usr/bin/env bash
# Replay timing fidelity (issue 5, DESIGN.md section 9): how close to the
# recorded send times `wssim replay` sends, measured from a tcpdump of the
# replay compared with a tcpdump of the recording (not from wssim's own
# clock), at 100 concurrent sessions. Everything on loopback.
#
#  1. starts `wssim mock-tomcat --http 0`;
#  2. the recording: bench/replay_timing.py runs BENCH_SESSIONS (100)
#     websocket clients against the mock's echo (python3-websockets):
#     staggered starts over about 1 s, BENCH_MSGS (10) text messages each
#     at irregular pauses of 20-200 ms, each echo awaited, close 1000;
#     tcpdump records it; `wssim capture -r rec.pcap -o rec.scn`;
#  3. the replay: `wssim replay rec.scn --target ws://127.0.0.1:PORT`
#     against the same mock while tcpdump records it;
#  4. `wssim capture -r X --json` of both pcaps; sessions matched by their
#     order of start, client->server messages by index within the session,
#     both timelines aligned at the first session's first packet (the
#     SYN: the replay's first act), every message counted; prints
#     p50/p90/p99/max of |replayed - recorded| send time, where lateness
#     comes from, and PASS/MISS for the target: p99 under 2 ms.
#
#   bench/replay_timing.sh       build into $BUILD (default build/) and run
#
# Needs tcpdump and the right to capture on lo (root or CAP_NET_RAW), and
# /usr/bin/python3 with python3-websockets. Environment: BUILD,
# BENCH_SESSIONS (100), BENCH_MSGS (10), BENCH_TARGET_MS (2), BENCH_KEEP
# (a directory: the pcaps, rec.scn and the JSON are copied there). Takes about
# 15 s. Exit status: 0 the target is met, 1 missed or a run failed, 2 a
# setup problem. Every process it starts is stopped on exit and its temp
# dir removed.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
SESSIONS=${BENCH_SESSIONS:-100}
MSGS=${BENCH_MSGS:-10}
TARGET_MS=${BENCH_TARGET_MS:-2}
PY=/usr/bin/python3

say() { printf '%s\n' "$*" >&2; }
die() {
	say "bench/replay_timing.sh: $*"
	exit 2
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wssim-replaytiming.XXXXXX")
MOCK_PID=
TD_PID=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ -z "$TD_PID" ] || kill -INT "$TD_PID" 2>/dev/null || true
	[ -z "$MOCK_PID" ] || kill "$MOCK_PID" 2>/dev/null || true
	[ -z "$TD_PID" ] || wait "$TD_PID" 2>/dev/null || true
	[ -z "$MOCK_PID" ] || wait "$MOCK_PID" 2>/dev/null || true
	if [ -n "${BENCH_KEEP:-}" ] && mkdir -p "$BENCH_KEEP"; then
		cp "$TMP"/*.pcap "$TMP"/*.scn "$TMP"/*.json "$BENCH_KEEP"/ 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v tcpdump >/dev/null || die "tcpdump is not installed (apt-get install tcpdump)"
"$PY" -c 'import websockets' 2>/dev/null ||
	die "$PY has no websockets module (apt-get install python3-websockets)"

# ---- build --------------------------------------------------------------
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		>"$TMP/build.log" 2>&1 || {
		tail -20 "$TMP/build.log" >&2
		die "cmake configure failed"
	}
fi
cmake --build "$BUILD" -j"$(nproc)" --target wssim >>"$TMP/build.log" 2>&1 || {
	tail -20 "$TMP/build.log" >&2
	die "build failed (cmake --build $BUILD --target wssim)"
}
WSSIM=$BUILD/wssim
[ -x "$WSSIM" ] || die "no $WSSIM"

# ---- the mock -----------------------------------------------------------
"$WSSIM" mock-tomcat --http 0 >"$TMP/mock.out" 2>"$TMP/mock.err" &
MOCK_PID=$!
PORT=
for _ in $(seq 50); do
	PORT=$(sed -n 's/^listening http 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/mock.out")
	[ -n "$PORT" ] && break
	sleep 0.1
done
[ -n "$PORT" ] || die "the mock did not say where it listens: $(cat "$TMP/mock.err")"

# tcpdump_start FILE: record port $PORT on lo into FILE; returns once
# tcpdump says it is listening. -B: a 64 MiB buffer, so that the kernel
# drops nothing at 100 sessions (with the default, a few packets go and
# the capture has gaps).
tcpdump_start() {
	# -Z root: Debian's tcpdump otherwise drops to its own user, which
	# cannot write into our private temp dir
	tcpdump --immediate-mode -Z root -i lo -U -s 0 -B 65536 -w "$1" \
		"tcp port $PORT" 2>"$1.err" &
	TD_PID=$!
	for _ in $(seq 50); do
		grep -q listening "$1.err" && return 0
		kill -0 "$TD_PID" 2>/dev/null || break
		sleep 0.1
	done
	die "tcpdump did not start: $(cat "$1.err") (capturing on lo needs root or CAP_NET_RAW)"
}
tcpdump_stop() {
	sleep 0.2
	kill -INT "$TD_PID"
	wait "$TD_PID" || true
	TD_PID=
	local dropped
	dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' "$1.err")
	say "  $(basename "$1"): $(sed -n 's/ packets captured//p' "$1.err") packets, ${dropped:-?} dropped by the kernel"
	[ "${dropped:-0}" = 0 ] || NOTES+=("$(basename "$1"): $dropped packets dropped by the kernel while capturing")
}

NOTES=()
FAILED=0
say "replay timing: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); mock on 127.0.0.1:$PORT"

# ---- the recording ------------------------------------------------------
say "recording: $SESSIONS websocket clients x $MSGS messages"
tcpdump_start "$TMP/rec.pcap"
if ! timeout 120 "$PY" "$HERE/replay_timing.py" record "$PORT" "$SESSIONS" "$MSGS" >"$TMP/record.out"; then
	NOTES+=("the recording clients failed: $(cat "$TMP/record.out")")
	FAILED=1
fi
tcpdump_stop "$TMP/rec.pcap"
timeout 120 "$WSSIM" capture -r "$TMP/rec.pcap" -o "$TMP/rec.scn" >"$TMP/rec.summary" 2>&1 ||
	die "wssim capture -o failed: $(tail -3 "$TMP/rec.summary")"
say "  $(tail -1 "$TMP/rec.summary")"

# ---- the replay ---------------------------------------------------------
say "replaying: wssim replay rec.scn --target ws://127.0.0.1:$PORT"
tcpdump_start "$TMP/rep.pcap"
t0=$EPOCHREALTIME
if ! timeout 120 "$WSSIM" replay "$TMP/rec.scn" --target "ws://127.0.0.1:$PORT" \
	>"$TMP/replay.out" 2>&1; then
	NOTES+=("wssim replay did not exit 0: $(grep -v '^  PASS' "$TMP/replay.out" | tail -5 | tr '\n' ' ')")
	FAILED=1
fi
wall=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
tcpdump_stop "$TMP/rep.pcap"
say "  replay took ${wall}s"

# ---- compare ------------------------------------------------------------
for x in rec rep; do
	timeout 120 "$WSSIM" capture -r "$TMP/$x.pcap" --json >"$TMP/$x.json" 2>/dev/null ||
		die "wssim capture --json $x.pcap failed"
done
echo
echo "wssim replay timing: $SESSIONS concurrent sessions x $MSGS messages,"
echo "send times from tcpdump of the recording and of the replay (loopback)."
echo "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at end."
"$PY" "$HERE/replay_timing.py" compare "$TMP/rec.json" "$TMP/rep.json" \
	"$TMP/rec.scn" >"$TMP/compare.out" || FAILED=1
grep -v '^matched=' "$TMP/compare.out"
line=$(grep '^matched=' "$TMP/compare.out" || true)
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$line"; }
p99=$(kv p99_ms)
unmatched=$(kv unmatched)
[ "${unmatched:-1}" = 0 ] || NOTES+=("${unmatched:-?} messages could not be matched")
[ "$(kv payload_diff)" = 0 ] || NOTES+=("$(kv payload_diff) matched messages carry another payload (sessions out of order)")

echo
echo "target:"
if [ -n "$p99" ] && awk -v v="$p99" -v l="$TARGET_MS" 'BEGIN { exit !(v < l) }'; then
	printf '  PASS  p99 |replayed - recorded| send time %s ms (needs < %s ms)\n' "$p99" "$TARGET_MS"
else
	printf '  MISS  p99 |replayed - recorded| send time %s ms (needs < %s ms)\n' "${p99:-n/a}" "$TARGET_MS"
	FAILED=1
fi
if [ ${#NOTES[@]} -gt 0 ]; then
	echo
	echo "notes:"
	for n in "${NOTES[@]}"; do
		echo "  - $n"
	done
	FAILED=1
fi
exit "$FAILED"
