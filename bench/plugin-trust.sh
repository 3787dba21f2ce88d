#!/bin/sh
# SPDX-License-Identifier: MIT
# Cost of the trust check: `bancada plugin info` hashes a plugin (SHA-256 of
# the manifest and the files it names) on every discovery. Compared with
# `openssl dgst -sha256` on the same 256 MiB file; also the overhead of
# running an external plugin against running its script directly.
# usage: bench/plugin-trust.sh [path/to/bancada]
set -eu
BANCADA=${1:-${BANCADA:-bancada}}
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp/home" XDG_DATA_HOME="$tmp/home/data" XDG_STATE_HOME="$tmp/home/state"
unset BANCADA_PLUGIN_PATH
mkdir -p "$HOME" "$XDG_DATA_HOME/bancada/plugins/big" "$tmp/proj"
d="$XDG_DATA_HOME/bancada/plugins/big"
head -c $((256 * 1024 * 1024)) /dev/urandom > "$d/payload.bin"
printf 'exec = sh %%(plugindir)/run.sh %%(plugindir)/payload.bin\n' > "$d/plugin.conf"
printf 'echo ok\n' > "$d/run.sh"
cd "$tmp/proj" && git init -q && "$BANCADA" init >/dev/null
now() { date +%s.%N; }
best() { # best-of-3 wall time of a command
	b=999
	for i in 1 2 3; do
		s=$(now); "$@" >/dev/null 2>&1; e=$(now)
		b=$(echo "$e $s $b" | awk '{t = $1 - $2; print (t < $3) ? t : $3}')
	done
	echo "$b"
}
t_bc=$(best "$BANCADA" plugin info big)
t_ssl=$(best openssl dgst -sha256 "$d/payload.bin")
echo "trust hash, 256 MiB: bancada plugin info ${t_bc}s, openssl dgst ${t_ssl}s" \
	"ratio $(echo "$t_bc $t_ssl" | awk '{printf "%.2f", $1 / $2}')"
rm "$d/payload.bin"
printf 'exec = sh %%(plugindir)/run.sh\n' > "$d/plugin.conf"
t_run=$(best "$BANCADA" plugin run big)
t_ls=$(best "$BANCADA" plugin ls)
t_sh=$(best sh "$d/run.sh")
echo "external plugin run: bancada plugin run ${t_run}s = plugin ls ${t_ls}s + sh run.sh ${t_sh}s" \
	"+ $(echo "$t_run $t_ls $t_sh" | awk '{printf "%.1f ms", ($1 - $2 - $3) * 1000}') (fork, JSON input, pipes)"
