#!/bin/sh
# SPDX-License-Identifier: MIT
# `bancada run -- true` overhead on a git repository of 10,000 files, against
# `git status --porcelain` (the reference: what any dirty check costs) and a bare
# `true`, measured in the same run. Goal: under 30 ms per recorded run. The
# default path has the work-tree watcher answering (`bancada watch`, started by
# the first run); BANCADA_WATCH=0 shows the lstat pass it spares.
#   BANCADA=path/to/bancada bench/run-overhead.sh [FILES] [REPEAT]
set -eu
BANCADA=${BANCADA:-./bancada}
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
FILES=${1:-10000}
N=${2:-20}
dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-run.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
git init -q . && git config user.email b@b && git config user.name b
i=0
while [ $i -lt 100 ]; do mkdir -p "d$i"; i=$((i + 1)); done
awk -v n="$FILES" 'BEGIN { for (i = 0; i < n; i++) { f = sprintf("d%d/f%d.txt", i % 100, i); print i > f; close(f) } }'
git add -A >/dev/null && git commit -qm files
# let the index settle (files written in the same second as the index are "racy" and rehashed)
sleep 2 && git status --porcelain >/dev/null
"$BANCADA" init >/dev/null
"$BANCADA" run -q --sample 0 -- true >/dev/null   # warm the caches; starts the watcher
"$BANCADA" watch start >/dev/null                  # waits until it answers
"$BANCADA" run -q --sample 0 -- true >/dev/null    # one scan bracketed by its answers
set -- $(bench_stats "$N" true); t_w=$1 t_c=$3
set -- $(bench_stats "$N" git status --porcelain); g_w=$1 g_c=$3
set -- $(bench_stats "$N" "$BANCADA" run -q --sample 0 -- true); r_w=$1 r_c=$3
export BANCADA_WATCH=0   # no watcher asked: the lstat pass on every run
set -- $(bench_stats "$N" "$BANCADA" run -q --sample 0 -- true); s_w=$1 s_c=$3
unset BANCADA_WATCH
set -- $(bench_stats "$N" "$BANCADA" run -q --sample 0 --no-git -- true); n_w=$1 n_c=$3
echo "repo: $FILES files; median wall and mean CPU (user+sys) of $N runs; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %6s ms wall %6s ms cpu\n' "true" "$t_w" "$t_c"
printf '%-34s %6s ms wall %6s ms cpu  (reference)\n' "git status --porcelain" "$g_w" "$g_c"
printf '%-34s %6s ms wall %6s ms cpu  (goal < 30 ms)\n' "bancada run -- true" "$r_w" "$r_c"
printf '%-34s %6s ms wall %6s ms cpu  (no watcher: lstat of every tracked file)\n' "BANCADA_WATCH=0 bancada run" "$s_w" "$s_c"
printf '%-34s %6s ms wall %6s ms cpu\n' "bancada run --no-git -- true" "$n_w" "$n_c"
echo "ratio: bancada run / git status = $(awk -v a="$r_w" -v b="$g_w" 'BEGIN { printf "%.2f", a / b }')x wall" \
	"(without the watcher $(awk -v a="$s_w" -v b="$g_w" 'BEGIN { printf "%.2f", a / b }')x)," \
	"$(awk -v a="$r_c" -v b="$g_c" 'BEGIN { printf "%.2f", a / b }')x cpu"
