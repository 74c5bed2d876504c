#!/bin/sh
# A bounded fuzz pass: build the libFuzzer binaries of tests/fuzz with
# clang (every library instrumented, ASan + UBSan), run each target for
# FUZZ_SECONDS from its seed corpus and its crash regression inputs, two
# targets at a time, and fail when one finds something: the input is
# saved into tests/fuzz/regress/TARGET/ (commit it with the fix: ctest
# replays that folder on every build) and its log is printed.
#
#   scripts/fuzz.sh                 every target, 20 s each (CI, ~3 min)
#   scripts/fuzz.sh scn proxy_nginx only these targets
#   FUZZ_SECONDS=3600 FUZZ_JOBS=1 FUZZ_WORK=/scratch/fuzz scripts/fuzz.sh
#                                   a soak run: an hour per target on one
#                                   core, corpora and logs kept in FUZZ_WORK
#
# Environment: FUZZ_SECONDS (20) per target; FUZZ_JOBS (2) targets at
# once; FUZZ_BUILD (build-fuzz) the build dir; FUZZ_WORK where the
# growing corpora, logs and scratch files go (default: a temp dir removed
# at the end; never inside the repo: only tests/fuzz/regress/ is written
# there); FUZZ_TMP where the targets write their scratch files (default
# /dev/shm when writable, else FUZZ_WORK); FUZZ_RSS_MB (2048) and FUZZ_TIMEOUT (10 s per input) libFuzzer's
# limits. Exit 0 when nothing was found, 1 when something was, 3 when
# clang or its libFuzzer runtime is missing (scripts/setup.sh installs
# them).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

secs=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}
build=${FUZZ_BUILD:-build-fuzz}
rss=${FUZZ_RSS_MB:-2048}
tmo=${FUZZ_TIMEOUT:-10}

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz.sh: clang is missing (sh scripts/setup.sh installs it)" >&2
	exit 3
fi

all=$(sed -n 's/^wssim_fuzz_target(\([a-z0-9_]*\).*/\1/p' tests/fuzz/targets.cmake)
if [ $# -gt 0 ]; then
	for t in "$@"; do
		echo "$all" | grep -qx "$t" || {
			echo "fuzz.sh: no target '$t' (targets: $(echo $all))" >&2
			exit 2
		}
	done
	targets="$*"
else
	targets=$all
fi

if [ -n "${FUZZ_WORK:-}" ]; then
	work=$FUZZ_WORK
	mkdir -p "$work"
	keep=1
else
	work=$(mktemp -d "${TMPDIR:-/tmp}/wssim-fuzz.XXXXXX")
	keep=0
fi
# The targets' own scratch files (the generator targets write a config
# per input): on a tmpfs when there is one, ten times faster than a disk.
if [ -z "${FUZZ_TMP:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	tmp=$(mktemp -d /dev/shm/wssim-fuzz.XXXXXX)
else
	tmp=$(mktemp -d "${FUZZ_TMP:-$work}/wssim-fuzz-tmp.XXXXXX")
fi
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
case "$(cd "$work" && pwd)/" in
"$root"/*)
	echo "fuzz.sh: FUZZ_WORK must be outside the repo" >&2
	exit 2
	;;
esac

echo "== fuzz: building libFuzzer targets in $build (clang, ASan + UBSan)"
CC=clang cmake -S . -B "$build" -DWSSIM_FUZZ=ON -DWSSIM_SANITIZE=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/cmake.log" 2>&1 || {
	cat "$work/cmake.log" >&2
	echo "fuzz.sh: configuring failed (is libclang-rt-14-dev installed?)" >&2
	exit 3
}
bins=
for t in $targets; do bins="$bins fuzz_$t"; done
# shellcheck disable=SC2086
cmake --build "$build" -j 2 --target $bins >"$work/build.log" 2>&1 || {
	tail -50 "$work/build.log" >&2
	echo "fuzz.sh: building failed" >&2
	exit 3
}

# One target: its corpus grows in $work/corpus/T (the checked-in seeds
# and regression inputs are read, never written), a finding lands in
# $work/found/T and is copied into tests/fuzz/regress/T.
run_one() {
	t=$1
	mkdir -p "$work/corpus/$t" "$work/found/$t" "$tmp/$t"
	dirs="$work/corpus/$t $root/tests/fuzz/corpus/$t"
	[ -d "$root/tests/fuzz/regress/$t" ] && dirs="$dirs $root/tests/fuzz/regress/$t"
	start=$(date +%s)
	rc=0
	# shellcheck disable=SC2086
	TMPDIR="$tmp/$t" \
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$build/tests/fuzz_$t" -max_total_time="$secs" \
		-rss_limit_mb="$rss" -timeout="$tmo" -print_final_stats=1 \
		-artifact_prefix="$work/found/$t/" $dirs \
		>"$work/$t.log" 2>&1 || rc=$?
	end=$(date +%s)
	rm -rf "${tmp:?}/$t"
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
	echo "$t $((end - start)) ${runs:-0} $rc" >>"$work/summary"
	found=$(ls "$work/found/$t" 2>/dev/null || true)
	if [ "$rc" != 0 ] || [ -n "$found" ]; then
		mkdir -p "$root/tests/fuzz/regress/$t"
		for f in $found; do
			cp "$work/found/$t/$f" "$root/tests/fuzz/regress/$t/$f"
		done
		echo "$t" >>"$work/failed"
		echo "== fuzz: $t FOUND something (exit $rc): saved to tests/fuzz/regress/$t/:" $found
		tail -60 "$work/$t.log"
	else
		echo "== fuzz: $t: $((end - start)) s, ${runs:-?} inputs, nothing found"
	fi
}

lane() { # lane-index: the targets whose position modulo $jobs is it
	i=0
	for t in $targets; do
		if [ $((i % jobs)) = "$1" ]; then run_one "$t"; fi
		i=$((i + 1))
	done
}

rm -f "$work/failed" "$work/summary"
echo "== fuzz: $(echo $targets | wc -w) targets, ${secs} s each, $jobs at a time (work: $work)"
pids=
l=0
while [ "$l" -lt "$jobs" ]; do
	lane "$l" &
	pids="$pids $!"
	l=$((l + 1))
done
for p in $pids; do wait "$p"; done

echo "== fuzz: seconds and inputs per target"
sort "$work/summary" | awk '{ printf "   %-16s %6d s %12d inputs%s\n", $1, $2, $3, $4 == 0 ? "" : "  FOUND (exit " $4 ")" }'
nrun=$(wc -l <"$work/summary")
nbad=0
[ -s "$work/failed" ] && nbad=$(wc -l <"$work/failed")
status=0
echo "fuzz: $((nrun - nbad)) passed, $nbad failed"
if [ -s "$work/failed" ]; then
	echo "fuzz.sh: findings in: $(sort "$work/failed" | tr '\n' ' ')(inputs in tests/fuzz/regress/; logs in $work)" >&2
	status=1
	keep=1
fi
if [ "$keep" = 0 ]; then rm -rf "$work"; else echo "== fuzz: corpora and logs kept in $work"; fi
exit "$status"
