#!/bin/sh
# Install every Debian 12 package that wssim's build, tests and benchmarks
# need. Idempotent; works as root without sudo (and uses sudo when run as
# another user and sudo exists). This is the only place that installs
# packages: the README's two commands and .ci/run all call it.
#
#   scripts/setup.sh          build + test dependencies and real peers
#   scripts/setup.sh --bench  also what only the benchmarks use (tomcat10,
#                             tshark)
#
# Daemons that Debian's packages would start on install (apache2, nginx,
# haproxy on port 80) are kept from starting: wssim starts its own copies
# on ephemeral loopback ports with private configs.
set -eu

bench=0
for a in "$@"; do
	case "$a" in
	--bench) bench=1 ;;
	-h | --help)
		sed -n '2,13p' "$0"
		exit 0
		;;
	*)
		echo "setup.sh: unknown option '$a'" >&2
		exit 2
		;;
	esac
done

SUDO=
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "setup.sh: run as root (no sudo found)" >&2
		exit 3
	fi
fi

# Build toolchain and libraries (DESIGN.md section 10).
pkgs="gcc make cmake pkg-config git ca-certificates
      libuv1-dev libssl-dev zlib1g-dev libpcap-dev check
      procps iproute2 psmisc"
# The libFuzzer pass (scripts/fuzz.sh, run by .ci/run): clang and its
# fuzzer/sanitizer runtimes (Debian 12: clang 14).
pkgs="$pkgs clang libclang-rt-14-dev"
# The formatting check of .ci/run (without it a fresh machine skips it).
pkgs="$pkgs clang-format"
# Real peers the tests drive.
pkgs="$pkgs apache2 nginx haproxy tcpdump
      python3 python3-websockets nodejs node-ws"
if [ "$bench" = 1 ]; then
	pkgs="$pkgs tomcat10 tomcat10-examples default-jre-headless tshark"
fi

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	echo "setup.sh: installing:$missing" >&2
	# Keep package scripts from starting daemons (see above).
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	rc=0
	$SUDO apt-get update -q || rc=$?
	if [ "$rc" = 0 ]; then
		# shellcheck disable=SC2086
		$SUDO apt-get install -y -q --no-install-recommends $missing || rc=$?
	fi
	if [ "$made_policy" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
	if [ "$rc" != 0 ]; then
		echo "setup.sh: apt-get failed (exit $rc)" >&2
		exit "$rc"
	fi
else
	echo "setup.sh: all packages present" >&2
fi

# Scenarios name the mock's HTTPS connector "localhost" (Apache checks a
# backend certificate against a host name, never an IP address), and
# Debian's installer writes /etc/hosts, but a minimal system (debootstrap
# --variant=minbase, some containers) has none: there Apache logs "DNS
# lookup failure for: localhost" and answers 500. Add the installer's
# loopback lines when localhost does not resolve.
if ! getent hosts localhost >/dev/null 2>&1; then
	echo "setup.sh: localhost does not resolve: adding it to /etc/hosts" >&2
	printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' |
		$SUDO tee -a /etc/hosts >/dev/null
fi

exit 0
