#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: the workbench on 100,000 runs (20 params, 10 metrics each, the
# foundation benchmark's database) in a real terminal (tmux 200x50).
# Measures first full paint from exec, then page down, sort by a metric and
# a filter (key to finished paint, from the BANCADA_TRACE log), and peak RSS.
# Reference: `bancada ls --limit 48` on the same file (a one-shot listing of
# one screen) is printed with the ratio. Goals: paint < 100 ms, page/sort/
# filter < 50 ms, RSS < 60 MB.
#   bench/tui-runs.sh [BANCADA_BINARY]   (BENCH_RUNS=N to change the size)
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
case $BANCADA in /*) ;; *) BANCADA=$(pwd)/$BANCADA ;; esac
RUNS=${BENCH_RUNS:-100000}
here=$(cd "$(dirname "$0")" && pwd)
command -v tmux >/dev/null || { echo "bench: needs tmux"; exit 77; }
command -v python3 >/dev/null || { echo "bench: needs python3"; exit 77; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-tui.XXXXXX")
sock=bc-bench-tui-$$
trap 'tmux -L $sock kill-server 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
"$BANCADA" init >/dev/null
# the generator of bench/filter-ls.sh (one database for every benchmark)
if [ -x "$here/gen-runs" ]; then
	"$here/gen-runs" "$dir/.bancada/bancada.db" "$RUNS"
else
	sed -n '/^python3 - "\$db" "\$RUNS" <<.PY.$/,/^PY$/p' "$here/filter-ls.sh" | sed '1d;$d' > gen.py
	python3 gen.py "$dir/.bancada/bancada.db" "$RUNS"
fi
ms() { date +%s%N; }
# warm up once (crash recovery of the generated "running" runs, page cache)
"$BANCADA" ls --limit 1 > /dev/null

cat > script <<'EOF'
<PgDown>
<PgDown>
<PgDown>
:sort -metrics.loss
:sort metrics.acc
/params.lr > 0.01<Enter>
:filter
G
:sort -started
EOF
t0=$(ms)
tmux -L $sock -f /dev/null new-session -d -s b -x 200 -y 50 \
	"env -u LINES -u COLUMNS TERM=xterm-256color LC_ALL=C.UTF-8 BANCADA_T0=$t0 BANCADA_TRACE=$dir/trace BANCADA_SCRIPT=$dir/script sh -c 'echo \$\$ > $dir/pid; exec $BANCADA'"
# first full screen as seen through tmux
i=0
while ! tmux -L $sock capture-pane -p -t b 2>/dev/null | grep -q "\[runs\] $RUNS runs"; do
	i=$((i + 1)); [ $i -gt 2000 ] && { echo "bench: no screen"; exit 1; }
	sleep 0.002
done
t1=$(ms)
sleep 2
pid=$(cat pid)
rss=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
tmux -L $sock kill-server
echo "workbench on $RUNS runs (tmux 200x50):"
sed 's/^/  /' trace
echo "  first screen seen in tmux: $(( (t1 - t0) / 1000000 )) ms after exec"
echo "  peak RSS: $((rss / 1024)) MB"
# reference: a one-shot listing of one screen of the same runs
r0=$(ms)
"$BANCADA" ls --limit 48 > /dev/null
r1=$(ms)
paint=$(awk '/first-paint/ {print $2}' trace)
echo "  reference: bancada ls --limit 48 takes $(( (r1 - r0) / 1000000 )) ms"
awk -v p="$paint" -v r="$(( (r1 - r0) / 1000 ))" 'BEGIN { printf "  ratio first paint / ls one screen: %.2f\n", p / (r / 1000) }'
