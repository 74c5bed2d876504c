#!/bin/sh
# The whole test suite, as the README's second command and .ci/run run it:
# install what is needed, build with warnings as errors, run every test
# (unit, fuzz seeds, integration with real peers) under ctest, then the
# same again in an AddressSanitizer + UBSan build.
#
#   scripts/test.sh            everything
#   scripts/test.sh --no-asan  skip the sanitizer pass (quicker locally)
set -eu
cd "$(dirname "$0")/.."

asan=1
for a in "$@"; do
	case "$a" in
	--no-asan) asan=0 ;;
	*) echo "test.sh: unknown option '$a'" >&2; exit 2 ;;
	esac
done

sh scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() { # build-dir cmake-options...
	dir=$1
	shift
	cmake -S . -B "$dir" -DWSSIM_WERROR=ON "$@" >/dev/null
	cmake --build "$dir" -j "$jobs"
	ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
}

echo "== build and test (warnings as errors)"
run_suite build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "$asan" = 1 ]; then
	echo "== build and test under ASan + UBSan"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DWSSIM_SANITIZE=ON
fi
