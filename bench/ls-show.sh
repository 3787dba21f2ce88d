#!/bin/sh
# SPDX-License-Identifier: MIT
# `bancada ls` (the default table: newest 100 runs with varying columns) and
# `bancada show` over the 100,000-run database of bench/filter-ls.sh (which
# generates it), against `sqlite3` printing the same newest rows (reference).
# Goals: ls --filter under 150 ms (see filter-ls.sh), show under 20 ms.
#   BANCADA=path/to/bancada bench/ls-show.sh
set -eu
BANCADA=${BANCADA:-./bancada}
case $BANCADA in /*) ;; *) BANCADA=$(pwd)/$BANCADA ;; esac
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_PROJECT:-$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-ls.XXXXXX")}
[ -n "${BENCH_PROJECT:-}" ] || trap 'rm -rf "$dir"' EXIT
BENCH_PROJECT=$dir sh "$here/filter-ls.sh" "$BANCADA" >/dev/null
bin=$BANCADA
case $(head -c 2 "$BANCADA") in
'#!') [ -x "$(dirname "$BANCADA")/.libs/bancada" ] && bin=$(dirname "$BANCADA")/.libs/bancada &&
	export LD_LIBRARY_PATH="$(dirname "$BANCADA")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
esac
cd "$dir"
best() { # best CMD...: best wall ms of 5
	b=999999
	for _ in 1 2 3 4 5; do
		t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
		t=$(( (t1 - t0) / 1000 )); [ $t -lt $b ] && b=$t
	done
	awk -v u="$b" 'BEGIN { printf "%.1f", u / 1000 }'
}
ref=$(best sqlite3 .bancada/bancada.db "SELECT id, name, status, started_ms FROM runs ORDER BY started_ms DESC LIMIT 100")
ls=$(best "$bin" ls)
showl=$(best "$bin" show @)
id=$("$bin" ls --ids --limit 1 --sort started)
showp=$(best "$bin" show "$(echo "$id" | cut -c1-10)")
echo "100,000 runs x 20 params x 10 metrics; best of 5 wall times"
echo "sqlite3 shell, newest 100 rows (reference): $ref ms"
echo "bancada ls (newest 100, varying columns):  $ls ms  (ratio $(awk -v a="$ls" -v b="$ref" 'BEGIN{printf "%.2f", a/b}')x)"
echo "bancada show @:                            $showl ms (goal < 20 ms)"
echo "bancada show <id prefix>:                  $showp ms (goal < 20 ms)"
