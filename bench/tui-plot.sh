#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: the plot view on 10 runs x 1,000,000 points (one spike each that
# must stay visible). Times from the key `p` to the finished paint, a zoom
# (re-read at full resolution for the new range), zoom reset, wall-time axis
# and EMA smoothing (BANCADA_TRACE log, 200x50, no display). Reference: the
# sqlite3 shell reading the same chunk bytes (the floor for any reader).
#   bench/tui-plot.sh [BANCADA_BINARY]   (BENCH_POINTS=N, BENCH_PLOT_RUNS=N)
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
case $BANCADA in /*) ;; *) BANCADA=$(pwd)/$BANCADA ;; esac
POINTS=${BENCH_POINTS:-1000000}
NRUNS=${BENCH_PLOT_RUNS:-10}
command -v python3 >/dev/null || { echo "bench: needs python3"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-plot.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
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
keys=""
i=0
while [ $i -lt "$NRUNS" ]; do keys="$keys<Space>"; i=$((i + 1)); done
printf '%s\np\n:save-display %s/plot.screen\n+\n+\n0\nx\nx\nS\n:quit\n' "$keys" "$dir" > script
BANCADA_TRACE=$dir/trace BANCADA_NO_DISPLAY=1 BANCADA_SCRIPT=$dir/script TERM=dumb LINES=50 COLUMNS=200 \
	"$BANCADA" tui
echo "plot of $NRUNS runs x $POINTS points (200x50):"
sed -n '/key p /,$p' trace | sed 's/^key /  /'
grep -q '50 ' plot.screen && echo "  the spikes (value 50) are on screen" || echo "  WARNING: spike not visible"
if command -v sqlite3 >/dev/null; then
	s=$(date +%s%N)
	sqlite3 .bancada/bancada.db 'SELECT sum(length(data)) FROM metric_chunks;' > /dev/null
	e=$(date +%s%N)
	ref=$(( (e - s) / 1000000 ))
	p=$(awk '/^key p / {print $3}' trace)
	echo "  reference: sqlite3 reading every chunk: $ref ms"
	awk -v p="$p" -v r="$ref" 'BEGIN { if (r > 0) printf "  ratio plot paint / raw read: %.2f\n", p / r }'
fi
