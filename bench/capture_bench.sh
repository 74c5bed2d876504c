#!/usr/bin/env bash
# The capture benchmark (issue 5, DESIGN.md section 9): how fast
# `wssim capture -r FILE` reads a pcap of websocket traffic, beside a bare
# libpcap read loop of our own (bench/pcap_loop.c: the limit) and
# `tshark -r FILE -q -z conv,tcp`, side by side in one run, as MB/s of
# pcap file and ratios. Two synthetic pcaps written by bench/mkpcap.c
# (websocket echo over loopback, 100 concurrent connections, 2,000
# messages each before a fresh connection takes the slot): one with
# 32-byte messages, one with 16 KiB messages, BENCH_MB MiB each. The bare
# loop runs a second time reading as wssim does (a 256 KiB page-aligned
# stdio buffer handed to pcap_fopen_offline), shown beside it.
# Measured: the summary (`wssim capture -r F > /dev/null`) and the JSON
# document (`wssim capture -r F --json > /dev/null`, summary on stderr to
# /dev/null). Each figure is the median of BENCH_RUNS runs with the file
# in the page cache (read once before); tshark runs once when one run
# takes longer than 10 s, else BENCH_RUNS times. Prints a table and the
# targets with PASS/MISS.
#
#   bench/capture_bench.sh       build into $BUILD (default build/) and run
#
# Environment: BUILD (build dir), BENCH_MB (size of each pcap in MiB; 300),
# BENCH_RUNS (3), BENCH_TIMEOUT (seconds allowed per command; 300),
# BENCH_CONNS (100). Writes its pcaps in a temp dir under TMPDIR (about
# 2 x BENCH_MB MiB), removed on exit. Exit status: 0 all targets pass, 1 a
# target missed or a run failed, 2 a setup problem.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
MB=${BENCH_MB:-300}
RUNS=${BENCH_RUNS:-3}
TMO=${BENCH_TIMEOUT:-300}
CONNS=${BENCH_CONNS:-100}

say() { printf '%s\n' "$*" >&2; }
die() {
	say "bench/capture_bench.sh: $*"
	exit 2
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wssim-capbench.XXXXXX")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { rm -rf "$TMP"; }
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
cmake --build "$BUILD" -j"$(nproc)" --target wssim mkpcap pcap_loop \
	>>"$TMP/build.log" 2>&1 || {
	tail -20 "$TMP/build.log" >&2
	die "build failed (cmake --build $BUILD --target wssim mkpcap pcap_loop)"
}
WSSIM=$BUILD/wssim
MKPCAP=$BUILD/bench/mkpcap
LOOP=$BUILD/bench/pcap_loop
for x in "$WSSIM" "$MKPCAP" "$LOOP"; do
	[ -x "$x" ] || die "no $x"
done
TSHARK=$(command -v tshark || true)
[ -n "$TSHARK" ] || say "tshark absent: its row and targets are skipped (sh scripts/setup.sh --bench installs it)"

# kv LINE KEY: the value of KEY in a key=value line
kv() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# secs CMD...: run CMD (stdout and stderr to /dev/null, bounded by
# BENCH_TIMEOUT) and print its wall time in seconds; fails with CMD.
secs() {
	local t0 t1
	t0=$EPOCHREALTIME
	timeout "$TMO" "$@" >/dev/null 2>"$TMP/cmd.err" || return 1
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}

# median of the numbers given
median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

# rate BYTES SECONDS: MB (10^6 bytes) per second
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }

declare -A R=() # R[kind/tool] = MB/s, or ERR
NOTES=()

# measure KIND TOOL N CMD...: the median MB/s of N runs of CMD on $FILE
measure() {
	local kind=$1 tool=$2 n=$3
	shift 3
	local ts=() t
	for _ in $(seq "$n"); do
		if ! t=$(secs "$@"); then
			R[$kind/$tool]=ERR
			NOTES+=("$kind $tool failed: $* ($(tail -1 "$TMP/cmd.err"))")
			return
		fi
		ts+=("$t")
	done
	t=$(median "${ts[@]}")
	R[$kind/$tool]=$(rate "$SIZE" "$t")
	say "  $tool: ${ts[*]} s -> ${R[$kind/$tool]} MB/s"
}

say "wssim capture bench: $(nproc) CPUs; two pcaps of $MB MiB; median of $RUNS"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "load average at start: $LOAD0"
declare -A INFO=()
for kind in small large; do
	msg=32
	[ $kind = large ] && msg=16384
	FILE=$TMP/$kind.pcap
	t0=$EPOCHREALTIME
	line=$("$MKPCAP" -o "$FILE" -s "$MB" -m "$msg" -c "$CONNS") ||
		die "mkpcap failed"
	gen=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	SIZE=$(stat -c %s "$FILE")
	INFO[$kind]="$(kv "$line" packets) packets, $(kv "$line" connections) connections, $(kv "$line" messages) messages"
	say "== $kind ($msg-byte messages): $line (written in ${gen}s)"
	cat "$FILE" >/dev/null # into the page cache

	# Once untimed: the output must account for every packet and
	# connection, or the rate means nothing.
	if timeout "$TMO" "$WSSIM" capture -r "$FILE" >"$TMP/summary" 2>&1; then
		want="$(kv "$line" packets) packets, $(kv "$line" packets) TCP segments, $(kv "$line" connections) connections"
		if ! tail -1 "$TMP/summary" | grep -q "^$want;"; then
			NOTES+=("$kind: summary does not say '$want': $(tail -1 "$TMP/summary")")
		fi
		nws=$(grep -c ' websocket "GET /echo" 101: websocket open, closed 1000' "$TMP/summary" || true)
		if [ "$nws" != "$(kv "$line" connections)" ]; then
			NOTES+=("$kind: $nws websocket connections closed with 1000 in the summary, not $(kv "$line" connections)")
		fi
	else
		NOTES+=("$kind: wssim capture failed: $(tail -1 "$TMP/summary")")
	fi
	rm -f "$TMP/summary"

	measure "$kind" loop "$RUNS" "$LOOP" "$FILE"
	measure "$kind" loopbuf "$RUNS" "$LOOP" --buffer 262144 "$FILE"
	measure "$kind" summary "$RUNS" "$WSSIM" capture -r "$FILE"
	measure "$kind" json "$RUNS" "$WSSIM" capture -r "$FILE" --json
	if [ -n "$TSHARK" ]; then
		measure "$kind" tshark 1 "$TSHARK" -r "$FILE" -q -z conv,tcp
		if [ "${R[$kind/tshark]}" != ERR ] && [ "$RUNS" -gt 1 ] &&
			awk -v r="${R[$kind/tshark]}" -v b="$SIZE" \
				'BEGIN { exit !(b / 1e6 / r < 10) }'; then
			measure "$kind" tshark "$RUNS" "$TSHARK" -r "$FILE" -q -z conv,tcp
		fi
	fi
	INFO[$kind.size]=$SIZE
	rm -f "$FILE"
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ----------------------------------------------------------
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || a == "ERR" || b == "ERR" || b + 0 == 0)
			print "-"; else printf "%.2f", a / b }'
}
cell() { # kind tool: "MB/s (x libpcap, x tshark)"
	local v=${R[$1/$2]:-}
	[ -n "$v" ] || {
		echo "-"
		return
	}
	[ "$2" = loop ] && {
		echo "$v"
		return
	}
	[ "$2" = loopbuf ] && {
		printf '%s (%sx)' "$v" "$(ratio "$v" "${R[$1/loop]:-}")"
		return
	}
	printf '%s (%sx, %sx)' "$v" "$(ratio "$v" "${R[$1/loop]:-}")" \
		"$(ratio "$v" "${R[$1/tshark]:-}")"
}

echo
echo "wssim capture -r: MB/s of pcap file (10^6 bytes/s), median of $RUNS,"
echo "file in the page cache; in brackets: x the bare libpcap loop, x tshark."
echo "$(nproc) CPUs, load average $LOAD0 at start, $LOAD1 at end."
echo "small: 32-byte messages, ${INFO[small]} ($(rate "${INFO[small.size]}" 1) MB)"
echo "large: 16 KiB messages, ${INFO[large]} ($(rate "${INFO[large.size]}" 1) MB)"
echo
printf '%-36s %-28s %-28s\n' "" "small (32 B)" "large (16 KiB)"
printf '%-36s %-28s %-28s\n' "bare libpcap loop (the limit)" \
	"$(cell small loop)" "$(cell large loop)"
printf '%-36s %-28s %-28s\n' "  same, 256 KiB buffer (as wssim)" \
	"$(cell small loopbuf)" "$(cell large loopbuf)"
printf '%-36s %-28s %-28s\n' "wssim capture -r F" \
	"$(cell small summary)" "$(cell large summary)"
printf '%-36s %-28s %-28s\n' "wssim capture -r F --json" \
	"$(cell small json)" "$(cell large json)"
printf '%-36s %-28s %-28s\n' "tshark -r F -q -z conv,tcp" \
	"$(cell small tshark)" "$(cell large tshark)"

# ---- targets ------------------------------------------------------------
echo
echo "targets:"
FAILED=0
check() { # LABEL VALUE LIMIT: PASS when VALUE >= LIMIT
	local verdict
	if [ -z "$2" ] || [ "$2" = "-" ]; then
		verdict="n/a "
	elif awk -v v="$2" -v l="$3" 'BEGIN { exit !(v + 0 >= l) }'; then
		verdict=PASS
	else
		verdict=MISS
		FAILED=1
	fi
	printf '  %s  %-44s %sx (needs >= %sx)\n' "$verdict" "$1" "${2:-n/a}" "$3"
}
for kind in small large; do
	check "$kind: summary / bare libpcap" \
		"$(ratio "${R[$kind/summary]:-}" "${R[$kind/loop]:-}")" 0.3
	if [ -n "$TSHARK" ]; then
		check "$kind: summary / tshark" \
			"$(ratio "${R[$kind/summary]:-}" "${R[$kind/tshark]:-}")" 10
		check "$kind: --json / tshark" \
			"$(ratio "${R[$kind/json]:-}" "${R[$kind/tshark]:-}")" 5
	fi
done
[ -n "$TSHARK" ] || echo "  (tshark absent: the targets against it were not measured)"
echo "  (for information, against the loop reading as wssim does: summary" \
	"$(ratio "${R[small/summary]:-}" "${R[small/loopbuf]:-}")x small," \
	"$(ratio "${R[large/summary]:-}" "${R[large/loopbuf]:-}")x large)"

if [ ${#NOTES[@]} -gt 0 ]; then
	echo
	echo "notes:"
	for n in "${NOTES[@]}"; do
		echo "  - $n"
	done
	FAILED=1
fi
exit "$FAILED"
