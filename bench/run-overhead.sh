#!/bin/sh
# SPDX-License-Identifier: MIT
# `bancada run -- true` overhead on a git repository of 10,000 files, against
# `git status --porcelain` (the reference: what any dirty check costs) and a bare
# `true`, measured in the same run. Goal: under 30 ms per recorded run.
#   BANCADA=path/to/bancada bench/run-overhead.sh [FILES] [REPEAT]
set -eu
BANCADA=${BANCADA:-./bancada}
case $BANCADA in /*) ;; *) BANCADA=$(pwd)/$BANCADA ;; esac
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
ms() { date +%s%N; }
time_n() { # time_n CMD...: mean ms over N runs
	t0=$(ms)
	k=0
	while [ $k -lt "$N" ]; do "$@" >/dev/null 2>&1; k=$((k + 1)); done
	echo $(( ($(ms) - t0) / N / 1000 ))
}
"$BANCADA" run -q --sample 0 -- true >/dev/null   # warm the caches
base=$(time_n true)
git_us=$(time_n git status --porcelain)
run_us=$(time_n "$BANCADA" run -q --sample 0 -- true)
echo "repo: $FILES files; mean of $N runs"
printf 'true:                 %6.1f ms\n' "$(echo "$base" | awk '{print $1/1000}')"
printf 'git status --porcelain: %4.1f ms (reference)\n' "$(echo "$git_us" | awk '{print $1/1000}')"
printf 'bancada run -- true:  %6.1f ms (goal < 30 ms)\n' "$(echo "$run_us" | awk '{print $1/1000}')"
echo "ratio: bancada run / git status = $(awk -v a="$run_us" -v b="$git_us" 'BEGIN { printf "%.2f", a / b }')x"
