#!/bin/sh
# SPDX-License-Identifier: MIT
# `bancada ls` (the default table: newest 100 runs with varying columns),
# `bancada show` and `bancada --version` (the start-up floor) over the
# 100,000-run database of bench/filter-ls.sh (which generates it), against the
# sqlite3 shell printing the same newest rows (reference), in the same run.
# Goals: ls --filter under 150 ms (see filter-ls.sh), show under 20 ms.
#   BANCADA=path/to/bancada bench/ls-show.sh [REPEAT]
#   BENCH_PROJECT=DIR keeps the generated project in DIR and reuses it.
set -eu
BANCADA=${BANCADA:-./bancada}
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
N=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_PROJECT:-$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-ls.XXXXXX")}
[ -n "${BENCH_PROJECT:-}" ] || trap 'rm -rf "$dir"' EXIT
BENCH_PROJECT=$dir sh "$here/filter-ls.sh" "$BANCADA" >/dev/null
cd "$dir"
id=$("$BANCADA" ls --ids --limit 1 --sort started | cut -c1-10)
row() { # row LABEL CMD...
	label=$1
	shift
	set -- $(bench_stats "$N" "$@")
	printf '%-44s %6s ms wall %6s ms cpu' "$label" "$1" "$3"
	[ -z "${ref:-}" ] || printf '  (%sx)' "$(awk -v a="$1" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')"
	echo
	last=$1
}
echo "100,000 runs x 20 params x 10 metrics; median wall, mean CPU (user+sys) of $N;" \
	"load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ref=
row "sqlite3 shell, newest 100 rows (reference)" sqlite3 .bancada/bancada.db \
	"SELECT id, name, status, started_ms FROM runs ORDER BY started_ms DESC LIMIT 100"
ref=$last
row "bancada --version" "$BANCADA" --version
row "bancada ls (newest 100, varying columns)" "$BANCADA" ls
row "bancada ls --limit 1" "$BANCADA" ls --limit 1
row "bancada show @ (goal < 20 ms)" "$BANCADA" show @
row "bancada show <id prefix> (goal < 20 ms)" "$BANCADA" show "$id"
