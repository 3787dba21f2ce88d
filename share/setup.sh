#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The two README commands in one script:
#   share/setup.sh demo   install dependencies, build, open the demo project
#   share/setup.sh test   install dependencies, build, run the whole suite
#   share/setup.sh deps   only install dependencies (Debian 12, as root)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-demo}
dir=${2:-build}

PKGS="build-essential autoconf automake libtool pkg-config git libsqlite3-dev libgit2-dev
libarchive-dev libncurses-dev libjansson-dev libyaml-dev libssl-dev zlib1g-dev tmux sqlite3 python3 zstd
openssh-server openssh-client libarchive-tools xz-utils unzip zip bsdutils"
TEST_PKGS="python3-sklearn locales strace"

deps() {
	local missing=() p
	for p in $PKGS ${EXTRA_PKGS:-}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
		return 1
	fi
	echo "setup: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
	mkdir -p "$dir"
	# configure lists the shell tests, so an existing build dir is re-checked to pick up new ones
	( cd "$dir" && if [ -f Makefile ]; then ./config.status --recheck >/dev/null 2>&1 && ./config.status >/dev/null; \
		else ../configure -q 2>configure.err; rc=$?
			# configure's own clean-up tries `rm -f core` and trips over our core/ directory
			grep -v "cannot remove 'core'" configure.err >&2; [ $rc -eq 0 ]; fi && make -s -j"$(nproc)" >/dev/null )
}

case $what in
deps) EXTRA_PKGS=$TEST_PKGS deps ;;
demo) deps && build
	# the shipped plugins, straight from the build and source trees (no install needed)
	export BANCADA_PLUGIN_PATH="$PWD/$dir/plugins/.libs:$PWD/plugins${BANCADA_PLUGIN_PATH:+:$BANCADA_PLUGIN_PATH}"
	exec "$dir/bancada" demo ;;
test) EXTRA_PKGS=$TEST_PKGS deps && build && cd "$dir" && make -s -j"$(nproc)" check ;;
*) echo "usage: share/setup.sh demo|test|deps [BUILD_DIR]" >&2; exit 2 ;;
esac
