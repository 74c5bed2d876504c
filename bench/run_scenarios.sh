#!/usr/bin/env bash
# Scenario runs against the way they replace (issue 4, DESIGN.md section 9):
#
#   1. the wall time of `wssim run scenarios/ajp-only.scn` (mock Tomcat in
#      process, the real apache2), median of BENCH_RUNS runs;
#   2. the same checks done by hand with a real Tomcat 10.1 (Debian's
#      tomcat10 + tomcat10-examples): start Tomcat, start Apache, run the
#      three clients, stop both (bench/real_tomcat_ajp_only.py), median of
#      BENCH_TOMCAT_RUNS runs, and the ratio of the two;
#   3. the wall time of the whole bundled suite,
#      `wssim run -j 2 scenarios/*.scn`, median of BENCH_SUITE_RUNS runs.
#
# Prints a table with the targets and PASS/MISS: ajp-only under 0.2 s, at
# least 7x faster than the real-Tomcat way, the suite with -j 2 under 2 s.
#
#   bench/run_scenarios.sh        build wssim into $BUILD (default build/)
#                                 if needed, then measure
#
# Environment: BUILD (build dir), BENCH_RUNS (10), BENCH_TOMCAT_RUNS (3),
# BENCH_SUITE_RUNS (3), BENCH_JOBS (-j for the suite, 2), BENCH_WARMUP
# (untimed runs of each before measuring, 1).
# Without tomcat10 it says how to install it (sh scripts/setup.sh --bench)
# and measures the rest. Everything listens on 127.0.0.1; every process
# started here is stopped on exit. Exit status: 0 all targets pass, 1 a
# target missed or a run failed, 2 a setup problem.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD:-$ROOT/build}
RUNS=${BENCH_RUNS:-10}
TOMCAT_RUNS=${BENCH_TOMCAT_RUNS:-3}
SUITE_RUNS=${BENCH_SUITE_RUNS:-3}
JOBS=${BENCH_JOBS:-2}
WARMUP=${BENCH_WARMUP:-1}
PY=/usr/bin/python3 # Debian's, which has python3-websockets

say() { printf '%s\n' "$*" >&2; }
die() {
	say "bench/run_scenarios.sh: $*"
	exit 2
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/wssim-bench-scn.XXXXXX")
CUR= # the timed command running now, if any
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$CUR" ]; then
		# Both wssim and the real-Tomcat script stop their own children
		# on SIGTERM; give them the time to.
		kill -TERM "$CUR" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$CUR" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$CUR" 2>/dev/null || true
	fi
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
cmake --build "$BUILD" -j"$(nproc)" --target wssim >>"$TMP/build.log" 2>&1 || {
	tail -20 "$TMP/build.log" >&2
	die "build failed (cmake --build $BUILD --target wssim)"
}
WSSIM=$BUILD/wssim
[ -x "$WSSIM" ] || die "no $WSSIM after the build"

NOTES=()
HAVE_RUN=1
if ! "$WSSIM" run --help >/dev/null 2>&1; then
	HAVE_RUN=0
	NOTES+=("$WSSIM has no working 'run' command: the wssim half is
not measured")
fi
HAVE_TOMCAT=1
for f in /usr/share/tomcat10/bin/catalina.sh \
	/usr/share/tomcat10-examples/examples/websocket/echo.xhtml \
	/usr/lib/jvm/default-java/bin/java; do
	if ! [ -e "$f" ]; then
		HAVE_TOMCAT=0
	fi
done
if [ "$HAVE_TOMCAT" = 0 ]; then
	NOTES+=("tomcat10, tomcat10-examples or a JRE is not installed, so the
real-Tomcat half is not measured. Install them with:
  sh scripts/setup.sh --bench")
elif ! [ -x "$PY" ] || ! "$PY" -c 'import websockets' 2>/dev/null; then
	HAVE_TOMCAT=0
	NOTES+=("$PY has no websockets module, so the real-Tomcat half is
not measured (sh scripts/setup.sh installs python3-websockets)")
fi

cd "$ROOT"
mapfile -t SUITE < <(printf '%s\n' scenarios/*.scn)

# timed LOG CMD...: run CMD in the background (so that a signal reaches
# the trap at once), its output to LOG (emptied first); sets MS (wall
# time in ms, from bash's EPOCHREALTIME: no fork in the clock) and RC
# (its exit code).
timed() {
	local log=$1 t0 t1
	shift
	: >"$log"
	t0=$EPOCHREALTIME
	"$@" >"$log" 2>&1 &
	CUR=$!
	RC=0
	wait "$CUR" || RC=$?
	t1=$EPOCHREALTIME
	CUR=
	MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
}

# stats V...: "median min max" of the numbers given
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "- - -"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f\n", m, v[1], v[NR] }'
}

# kv LINE KEY: the value of KEY in a key=value line
kv() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# failures LOG: from a `wssim run` report, the failed clients under
# their scenario's title, its last line (the counts) and, for a run that
# ended without a report, its last lines.
failures() {
	awk '/^[^ ].*\.scn: / { title = $0; shown = 0; next }
		/^  FAIL / { if (!shown) print title; shown = 1; print; n++ }
		{ last = $0 }
		END { if (n) print last; else exit 1 }' "$1" || tail -15 "$1"
}

# measure LABEL N LOG CMD...: N timed runs after WARMUP untimed ones;
# fills TIMES (ms) and FAILS (runs that did not exit 0; the output of the
# last such run is kept in LOG.failed).
measure() {
	local label=$1 n=$2 log=$3 i
	shift 3
	TIMES=()
	FAILS=0
	for ((i = 0; i < WARMUP; i++)); do
		timed "$log" "$@"
	done
	for ((i = 1; i <= n; i++)); do
		timed "$log" "$@"
		TIMES+=("$MS")
		if [ "$RC" != 0 ]; then
			FAILS=$((FAILS + 1))
			cp "$log" "$log.failed"
			say "  $label run $i: $MS ms, exit $RC (see the notes)"
		else
			say "  $label run $i: $MS ms"
		fi
	done
}

declare -A R=() # R[key] = "median min max" in ms
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
say "wssim scenario bench: $(nproc) CPUs, load average $LOAD0"

# ---- 1. wssim run scenarios/ajp-only.scn ----------------------------------
if [ "$HAVE_RUN" = 1 ]; then
	say "== wssim run scenarios/ajp-only.scn ($RUNS runs)"
	measure ajp-only "$RUNS" "$TMP/ajp-only.log" \
		"$WSSIM" run scenarios/ajp-only.scn
	R[ajp]=$(stats "${TIMES[@]}")
	if [ "$FAILS" -gt 0 ]; then
		R[ajp.fail]=$FAILS
		NOTES+=("wssim run scenarios/ajp-only.scn failed $FAILS of $RUNS runs;
its last output:
$(failures "$TMP/ajp-only.log.failed")")
	fi
fi

# ---- 2. the same checks by hand with a real Tomcat ---------------------
if [ "$HAVE_TOMCAT" = 1 ]; then
	say "== real Tomcat 10 + apache2 by hand ($TOMCAT_RUNS runs)"
	TOTAL=()
	READY=()
	WALL=()
	TFAILS=0
	for ((i = 0; i < WARMUP; i++)); do
		timed "$TMP/real.log" "$PY" "$HERE/real_tomcat_ajp_only.py"
	done
	for ((i = 1; i <= TOMCAT_RUNS; i++)); do
		timed "$TMP/real.log" "$PY" "$HERE/real_tomcat_ajp_only.py"
		# its one line on stdout; its steps on stderr start "real-tomcat:"
		line=$(grep '^total_ms=' "$TMP/real.log" | tail -1 || true)
		say "  real-tomcat run $i: ${line:-no result} (exit $RC; the process:" \
			"$MS ms)"
		if [ "$RC" != 0 ] || [ -z "$line" ]; then
			TFAILS=$((TFAILS + 1))
			cp "$TMP/real.log" "$TMP/real.log.failed"
			continue
		fi
		TOTAL+=("$(kv "$line" total_ms)")
		READY+=("$(kv "$line" tomcat_ready_ms)")
		WALL+=("$MS")
	done
	if [ ${#TOTAL[@]} -gt 0 ]; then
		R[real]=$(stats "${TOTAL[@]}")
		R[ready]=$(stats "${READY[@]}")
		R[realwall]=$(stats "${WALL[@]}")
	fi
	if [ "$TFAILS" -gt 0 ]; then
		R[real.fail]=$TFAILS
		NOTES+=("bench/real_tomcat_ajp_only.py failed $TFAILS of $TOMCAT_RUNS
runs; its last output:
$(tail -15 "$TMP/real.log.failed")")
	fi
fi

# ---- 3. the bundled suite ----------------------------------------------
if [ "$HAVE_RUN" = 1 ]; then
	say "== wssim run -j $JOBS scenarios/*.scn (${#SUITE[@]} files," \
		"$SUITE_RUNS runs)"
	measure suite "$SUITE_RUNS" "$TMP/suite.log" \
		"$WSSIM" run -j "$JOBS" "${SUITE[@]}"
	R[suite]=$(stats "${TIMES[@]}")
	if [ "$FAILS" -gt 0 ]; then
		R[suite.fail]=$FAILS
		NOTES+=("wssim run -j $JOBS scenarios/*.scn failed $FAILS of
$SUITE_RUNS runs; its last output:
$(failures "$TMP/suite.log.failed")")
	fi
fi
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table ----------------------------------------------------------
med() { # med KEY: the median in seconds, or "-"
	local v=${R[$1]:-}
	[ -n "$v" ] || {
		echo "-"
		return
	}
	awk -v m="${v%% *}" 'BEGIN { printf "%.3f s", m / 1000 }'
}
span() { # span KEY: "min-max" in seconds, or ""
	local v=${R[$1]:-}
	[ -n "$v" ] || return 0
	read -r _ lo hi <<<"$v"
	awk -v a="$lo" -v b="$hi" 'BEGIN { printf "%.3f-%.3f", a / 1000, b / 1000 }'
}
RATIO=-
if [ -n "${R[ajp]:-}" ] && [ -n "${R[real]:-}" ]; then
	RATIO=$(awk -v a="${R[real]%% *}" -v b="${R[ajp]%% *}" \
		'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')
fi

echo
echo "wssim scenario runs vs the real-Tomcat way: $(nproc) CPUs; load average"
echo "$LOAD0 at start, $LOAD1 at end. Medians (min-max) of wall time,"
echo "after $WARMUP untimed warm-up run(s) of each."
echo
printf '%-52s %10s  %s\n' measurement median "min-max (s)"
row() { printf '%-52s %10s  %s\n' "$1" "$(med "$2")" "$(span "$2")"; }
row "wssim run scenarios/ajp-only.scn (${RUNS} runs)" ajp
row "real Tomcat 10 + apache2 by hand (${TOMCAT_RUNS} runs)" real
row "  of which: Tomcat start until HTTP answers" ready
row "  the script's process, with Python's start" realwall
printf '%-52s %10s\n' "ratio real-Tomcat way / wssim run" \
	"$([ "$RATIO" = - ] && echo - || echo "${RATIO}x")"
label="wssim run -j $JOBS scenarios/*.scn (${#SUITE[@]} files, $SUITE_RUNS"
row "$label runs)" suite

# ---- targets ------------------------------------------------------------
echo
echo "targets:"
FAILED=0
# check LABEL VALUE OP LIMIT FAILKEY: PASS/MISS for VALUE OP LIMIT; a
# measurement with failed runs is a FAIL whatever its time.
check() {
	local verdict
	if [ -n "${R[$5]:-}" ]; then
		verdict=FAIL
		FAILED=1
	elif [ -z "$2" ] || [ "$2" = "-" ]; then
		verdict="n/a "
		FAILED=1
	elif awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
		v = v + 0; exit !((op == ">=" && v >= l) || (op == "<" && v < l)) }'; then
		verdict=PASS
	else
		verdict=MISS
		FAILED=1
	fi
	printf '  %s  %-44s %s (needs %s %s)\n' "$verdict" "$1" "${2:-n/a}" "$3" "$4"
}
secs() { # secs KEY: the median in seconds as a bare number, or "-"
	local v=${R[$1]:-}
	if [ -n "$v" ]; then
		awk -v m="${v%% *}" 'BEGIN { printf "%.3f", m / 1000 }'
	else
		echo -
	fi
}
check "wssim run scenarios/ajp-only.scn (s)" "$(secs ajp)" "<" 0.2 ajp.fail
check "real-Tomcat way / wssim run (x)" "$RATIO" ">=" 7 real.fail
check "wssim run -j $JOBS scenarios/*.scn (s)" "$(secs suite)" "<" 2 suite.fail

if [ ${#NOTES[@]} -gt 0 ]; then
	echo
	echo "notes:"
	for n in "${NOTES[@]}"; do
		printf '%s\n' "$n" | sed '1s/^/  - /; 2,$s/^/      /'
	done
	FAILED=1
fi
exit "$FAILED"
