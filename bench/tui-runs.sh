#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: the workbench on 100,000 runs (20 params, 10 metrics each, the
# foundation benchmark's database) in a real terminal (tmux 200x50).
# Measures first full paint from exec, then page down, sort by a metric (last,
# min, max), a filter, and G (the last row) while sorted by a metric, before
# the full list is read (key to finished paint, from the BANCADA_TRACE log),
# peak RSS and the CPU time (user+sys) of the whole session.
# Reference: `bancada ls --limit 48` on the same file (a one-shot listing of
# one screen) is printed with the ratio. Goals: paint < 100 ms, page/sort/
# filter < 50 ms, RSS < 60 MB.
#   bench/tui-runs.sh [BANCADA_BINARY]   (BENCH_RUNS=N to change the size,
#   BENCH_PROJECT=DIR to keep the generated project and reuse it,
#   BENCH_WAIT=S seconds for the scripted keys, BENCH_SHOW=1 prints the screen)
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
RUNS=${BENCH_RUNS:-100000}
here=$(cd "$(dirname "$0")" && pwd)
command -v tmux >/dev/null || { echo "bench: needs tmux"; exit 77; }
command -v python3 >/dev/null || { echo "bench: needs python3"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench-tui.XXXXXX")
sock=bc-bench-tui-$$
trap 'tmux -L $sock kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
if [ -n "${BENCH_PROJECT:-}" ]; then
	dir=$BENCH_PROJECT
	mkdir -p "$dir"
else
	dir=$tmp/p
	mkdir -p "$dir"
fi
cd "$dir"
# the generator of bench/filter-ls.sh (one database for every benchmark)
if [ ! -f "$dir/.bancada/generated" ]; then
	"$BANCADA" init >/dev/null
	sed -n '/^python3 - "\$db" "\$RUNS" <<.PY.$/,/^PY$/p' "$here/filter-ls.sh" | sed '1d;$d' > "$tmp/gen.py"
	python3 "$tmp/gen.py" "$dir/.bancada/bancada.db" "$RUNS"
	touch "$dir/.bancada/generated"
fi
ms() { date +%s%N; }
# warm up once (crash recovery of the generated "running" runs, page cache)
"$BANCADA" ls --limit 1 > /dev/null

cat > "$tmp/script" <<'EOF2'
<PgDown>
<PgDown>
<PgDown>
:sort -metrics.loss
:sort metrics.acc
/params.lr > 0.01<Enter>
:filter
G
:sort -started
:sort -metrics.val_loss.min
G
g
:sort metrics.f1.max
G
EOF2
t0=$(ms)
tmux -L $sock -f /dev/null new-session -d -s b -x 200 -y 50 \
	"env -u LINES -u COLUMNS TERM=xterm-256color LC_ALL=C.UTF-8 BANCADA_TRACE=$tmp/trace BANCADA_SCRIPT=$tmp/script sh -c 'echo \$\$ > $tmp/pid; BANCADA_T0=\$(date +%s%N) exec $BANCADA'"
# first full screen as seen through tmux
i=0
while ! tmux -L $sock capture-pane -p -t b 2>/dev/null | grep -q "\[runs\] $RUNS runs"; do
	i=$((i + 1)); [ $i -gt 2000 ] && { echo "bench: no screen"; exit 1; }
	sleep 0.002
done
t1=$(ms)
sleep ${BENCH_WAIT:-3}
pid=$(cat "$tmp/pid")
rss=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
cpu=$(awk '{ print ($14 + $15) * 1000 / 100 }' /proc/"$pid"/stat)
[ -n "${BENCH_SHOW:-}" ] && tmux -L $sock capture-pane -p -t b | head -5
tmux -L $sock kill-server
echo "workbench on $RUNS runs (tmux 200x50), load average $(cut -d' ' -f1-3 /proc/loadavg):"
sed 's/^/  /' "$tmp/trace"
echo "  first screen seen in tmux: $(( (t1 - t0) / 1000000 )) ms after starting tmux (includes the tmux server and shell start)"
echo "  peak RSS: $((rss / 1024)) MB; CPU (user+sys) of the whole session: $cpu ms"
# reference: a one-shot listing of one screen of the same runs
r0=$(ms)
"$BANCADA" ls --limit 48 > /dev/null
r1=$(ms)
paint=$(awk '/first-paint/ {print $2}' "$tmp/trace")
echo "  reference: bancada ls --limit 48 takes $(( (r1 - r0) / 1000000 )) ms"
awk -v p="$paint" -v r="$(( (r1 - r0) / 1000 ))" 'BEGIN { printf "  ratio first paint / ls one screen: %.2f\n", p / (r / 1000) }'
