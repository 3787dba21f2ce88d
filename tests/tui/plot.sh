#!/bin/sh
# SPDX-License-Identifier: MIT
# The plot view on a 1,000,000-point series with a one-step spike (it must
# reach the screen at 80x24, in the script and in tmux), and every plot key:
# wall-time x, log-y, the EMA levels, zoom in/out/reset and :zoom, the
# metric chooser, the legend's markers, and LANG=C.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
trap 'tm_stop; t_cleanup' EXIT
command -v python3 >/dev/null || skip_all "needs python3"

tui_project "$T_TMP/proj" || { echo "Bail out! cannot make the project"; exit 1; }
cat > gen.py <<'EOF'
import os
with open(os.environ["BANCADA_METRICS"], "a") as f:
    f.write("".join('{"step": %d, "loss": %s}\n' % (s, "50" if s == 654321 else "1") for s in range(1000000)))
EOF
"$BANCADA" run -q -n big -- python3 gen.py
is "$("$BANCADA" metrics big 2>&1 | grep -c loss)" 1 "a 1M-point series with a spike at step 654321"

S=$T_TMP
# the newest run (big) is on the first row; p plots it alone
cat > s1 <<EOF
p
:save-display $S/big.screen
y
:save-display $S/big-logy.screen
y
:zoom 654300 654340
:save-display $S/big-zoom.screen
+
:save-display $S/big-zoom2.screen
-
:save-display $S/big-back.screen
-
:save-display $S/big-out.screen
x
:save-display $S/big-wall.screen
xS
:save-display $S/ema1.screen
S
:save-display $S/ema2.screen
S
:save-display $S/ema3.screen
S
:save-display $S/ema0.screen
EOF
tui_script s1
ok $? "the plot script runs"
scr=$(cat "$S/big.screen")
like "$scr" '^\[plot\] loss vs step' "p plots the current run"
# the spike: the top row (labelled 50) has a dot at about 654321/1e6 of the width
top=$(grep '^ *50 ' "$S/big.screen")
like "$top" '^ +50 │ {40,50}[^ ]' "the one-step spike of 1,000,000 points reaches the top at 80x24"
like "$(cat "$S/big.screen")" '│⣀{40,}' "the flat line runs along the bottom"
like "$(cat "$S/big-logy.screen")" 'log-y' "y: log scale in the title"
like "$(head -1 "$S/big-zoom.screen")" 'steps 654300\.\.654340' ":zoom LO HI zooms to a step range"
like "$(cat "$S/big-zoom.screen")" '654320' "the zoomed axis is labelled in steps of the range"
grep -Eq '^ *50 │ *[^ ]' "$S/big-zoom.screen"
ok $? "zoomed in at full resolution, the spike is still there"
like "$(head -1 "$S/big-zoom2.screen")" 'steps 654310\.\.654330' "+ zooms in again (the middle half)"
like "$(head -1 "$S/big-back.screen")" 'steps 654300\.\.654340' "- goes back to the previous range"
unlike "$(head -1 "$S/big-out.screen")" 'steps' "- again: the whole series"
cmp -s "$S/big.screen" "$S/big-out.screen"
ok $? "and the same screen as before zooming"
like "$(head -1 "$S/big-wall.screen")" 'loss vs time' "x: wall time on the x axis"
like "$(head -1 "$S/ema1.screen")" 'EMA 0\.6' "S: EMA 0.6"
like "$(head -1 "$S/ema2.screen")" 'EMA 0\.9' "S again: EMA 0.9"
like "$(head -1 "$S/ema3.screen")" 'EMA 0\.99' "S again: EMA 0.99"
unlike "$(head -1 "$S/ema0.screen")" 'EMA' "S again: smoothing off"
# smoothing lowers the spike: 0.99 keeps 1% of it
unlike "$(cat "$S/ema3.screen")" '^ +50 ' "EMA 0.99 flattens the spike (no tick at 50)"

# three marked runs (space marks and moves down): a distinct marker and colour
# each, and the metric chooser (loss, then acc)
cat > s2 <<EOF
gj<Space><Space><Space>p
:save-display $S/three.screen
M
:save-display $S/three-markers.screen
Mm
:save-display $S/chooser.screen
gj<Enter>
:save-display $S/acc.screen
EOF
tui_script s2
legend=$(sed -n 2p "$S/three.screen")
like "$legend" '● [a-z]+ +■ [a-z]+ +▲ [a-z]+' "the legend: a distinct marker per run"
like "$(cat "$S/three-markers.screen")" '[●].*[■]|[■].*[●]' "M: one marker per run in the plot"
like "$(cat "$S/chooser.screen")" '\[metrics\]' "m opens the metric chooser"
like "$(cat "$S/chooser.screen")" 'acc' "listing the metrics of the marked runs"
like "$(head -1 "$S/acc.screen")" '\[plot\] acc vs step' "Enter plots the chosen metric"

# LANG=C: ASCII markers, and the spike still drawn
printf 'p\n:save-display %s/ascii.screen\n' "$S" > s3
LC_ALL=C LANG=C tui_script s3
LC_ALL=C grep -q '[^ -~]' "$S/ascii.screen"
ok $((! $?)) "LANG=C: the plot is pure ASCII"
grep -Eq '^ *50 \| {40,50}\*' "$S/ascii.screen"
ok $? "LANG=C: the spike reaches the top"

# the real terminal: tmux at 80x24
if have_tmux; then
	tm_start 80 24 "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 $BANCADA"
	tm_wait 'big'
	tm send-keys -t main p
	tm_check '\[plot\] loss vs step' "tmux 80x24: p opens the plot"
	like "$(tm_screen | grep '^ *50 ')" '^ +50 │ {40,50}[^ ]' "tmux 80x24: the spike is on screen"
	tm send-keys -t main q q
	tm_stop
else
	ok 0 "# SKIP no tmux"
	ok 0 "# SKIP no tmux"
fi
done_testing
