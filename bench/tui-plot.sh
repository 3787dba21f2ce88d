#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: the plot view on 10 runs x 1,000,000 points (one spike each that
# must stay visible). Times from the key `p` to the finished paint, a zoom
# (re-read at full resolution for the new range), zoom reset, wall-time axis
# and EMA smoothing (BANCADA_TRACE log, 200x50, no display). Reference: the
# sqlite3 shell reading the same chunk bytes (the floor for any reader).
#   bench/tui-plot.sh [BANCADA_BINARY]   (BENCH_POINTS=N, BENCH_PLOT_RUNS=N,
#   BENCH_PLOT_DIR=DIR keeps the generated project in DIR and reuses it)
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
POINTS=${BENCH_POINTS:-1000000}
NRUNS=${BENCH_PLOT_RUNS:-10}
command -v python3 >/dev/null || { echo "bench: needs python3"; exit 77; }
if [ -n "${BENCH_PLOT_DIR:-}" ]; then
	dir=$BENCH_PLOT_DIR
	mkdir -p "$dir"
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-plot.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
fi
cd "$dir"
if [ -f .bancada/bancada.db ] && [ -f generated ]; then
	echo "reusing the project in $dir"
else
"$BANCADA" init >/dev/null
cat > gen.py <<'EOF'
import os, math, random
r = random.Random(int(os.environ["SEED"]))
n = int(os.environ["POINTS"])
with open(os.environ["BANCADA_METRICS"], "a") as f:
    w = f.write
    for s in range(n):
        v = 2.0 / math.sqrt(s + 1) + r.random() * 0.05
        if s == n // 3 + int(os.environ["SEED"]):
            v = 50.0  # a one-step spike: must stay visible
        w('{"step": %d, "loss": %.6f}\n' % (s, v))
EOF
i=0
while [ $i -lt "$NRUNS" ]; do
	i=$((i + 1))
	SEED=$i POINTS=$POINTS "$BANCADA" run -q -n "p$i" -- python3 gen.py
done
touch generated
fi
keys=""
i=0
while [ $i -lt "$NRUNS" ]; do keys="$keys<Space>"; i=$((i + 1)); done
printf '%s\np\n:save-display %s/plot.screen\n+\n+\n0\nx\nx\nS\n:quit\n' "$keys" "$dir" > script
rm -f trace
BANCADA_TRACE=$dir/trace BANCADA_NO_DISPLAY=1 BANCADA_SCRIPT=$dir/script TERM=dumb LINES=50 COLUMNS=200 \
	"$BANCADA" tui
echo "plot of $NRUNS runs x $POINTS points (200x50):"
sed -n '/key p /,$p' trace | sed 's/^key /  /'
grep -q '50 ' plot.screen && echo "  the spikes (value 50) are on screen" || echo "  WARNING: spike not visible"
# CPU time of the first paint (both threads): the whole program with `p`
# minus the same program without it, 3 runs each
printf '%s\n:quit\n' "$keys" > script0
printf '%s\np\n:quit\n' "$keys" > script1
export BANCADA_NO_DISPLAY=1 TERM=dumb LINES=50 COLUMNS=200
c0=$(BANCADA_SCRIPT=$dir/script0 bench_stats 3 "$BANCADA" tui)
c1=$(BANCADA_SCRIPT=$dir/script1 bench_stats 3 "$BANCADA" tui)
echo "$c0 $c1" | awk '{ printf "  first paint: %.0f ms CPU (user+sys, median wall of the program %.0f ms vs %.0f ms without the plot)\n", $6 - $3, $4, $1 }'
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v sqlite3 >/dev/null; then
	s=$(date +%s%N)
	# substr() loads every chunk's bytes (length() alone would not)
	sqlite3 .bancada/bancada.db 'SELECT max(substr(data, -8)) FROM metric_chunks;' > /dev/null
	e=$(date +%s%N)
	ref=$(( (e - s) / 1000000 ))
	p=$(awk '/^key p / {print $3}' trace)
	echo "  reference: sqlite3 reading every chunk: $ref ms"
	awk -v p="$p" -v r="$ref" 'BEGIN { if (r > 0) printf "  ratio plot paint / raw read: %.2f\n", p / r }'
fi
