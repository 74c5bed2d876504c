#!/bin/sh
# The README's first command: install, build, and show the main job.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"
if build/wssim run --help >/dev/null 2>&1; then
	exec build/wssim run scenarios/ajp-only.scn
fi
# Until `wssim run` lands, show the mock Tomcat answering instead.
exec /usr/bin/python3 scripts/demo_mock.py build/wssim
