#!/bin/sh
# The README's first command: install what is needed, build, and run the
# main job: the article's AJP-only setup through a real Apache, which shows
# why the proxied websocket closes with 1006.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc 2>/dev/null || echo 2)"
exec build/wssim run scenarios/ajp-only.scn
