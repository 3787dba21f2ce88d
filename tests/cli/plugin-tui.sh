#!/bin/sh
# SPDX-License-Identifier: MIT
# Plugins in the workbench (scripted, no display): a plugin's key opens its
# view, C plugins get their keys, external output shows in a pager, a slow
# plugin does not block the TUI and dies with its view, `?` lists plugin
# keys, and an untrusted project plugin's key runs nothing.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
export BANCADA_PLUGIN_PATH="$top_builddir/plugins/.libs"
tui_project "$T_TMP/proj" >/dev/null 2>&1 || { echo "Bail out! cannot make the project"; exit 1; }
S="$T_TMP/screens"
mkdir -p "$S" "$XDG_DATA_HOME/bancada/plugins" .bancada/plugins
u="$XDG_DATA_HOME/bancada/plugins"
printf 'key = Z\nexec = sh %%(plugindir)/echo.sh\n' > "$u/echo.conf"
printf 'printf "{green}green{/} plain \\033[2J\\033]0;t\\007 end\\n"; echo second line; echo oops >&2\n' > "$u/echo.sh"
printf 'exec = sh %%(plugindir)/slow.sh\ntimeout = 30\n' > "$u/slow.conf"
printf 'echo $$ > "%s/slow.pid"; sleep 30\n' "$T_TMP" > "$u/slow.sh"
printf 'key = U\nexec = /bin/echo run=%%(run)\n' > "$u/which.conf"
printf 'key = K\nexec = sh %%(plugindir)/mark.sh\n' > .bancada/plugins/mark.conf
printf 'touch "%s/marker"\n' "$T_TMP" > .bancada/plugins/mark.sh

cat > script <<EOF
H
:save-display $S/scatter
v
:save-display $S/parallel
q
Z
:save-display $S/external
q
K
:save-display $S/untrusted
:plugin nosuch
:save-display $S/nosuch
?
/:plugin hparams<Enter>
:save-display $S/help
q
jU
:save-display $S/which-runs
q
G<Enter>U
:save-display $S/which-run
q
q
:plugin
:save-display $S/chooser
j<Enter>
:save-display $S/chosen
q
EOF
tui_script script >/dev/null 2>&1
like "$(cat "$S/scatter")" "hparams: scatter \(4 runs\)" "H opens hparams on the filtered runs"
like "$(cat "$S/scatter")" "x: batch +y: loss.last" "the first varying param against loss"
like "$(cat "$S/parallel")" "axis 2 +lr +0.05 \.\. 0.4" "v reaches the plugin: parallel coordinates"
like "$(cat "$S/external")" "green plain .*x1b\[2J.*x07 end" "external output in a pager"
like "$(cat "$S/external")" "oops" "its stderr below the output"
ok $(no_raw_controls "$S/external"; echo $?) "no raw control bytes on screen"
like "$(cat "$S/untrusted")" "project plugin mark is not trusted" "untrusted project plugin: message"
ok $([ ! -e "$T_TMP/marker" ]; echo $?) "and nothing ran"
like "$(cat "$S/nosuch")" "no plugin named 'nosuch'" ":plugin with an unknown name"
like "$(cat "$S/help")" "H +:plugin hparams" "? lists the plugin keys"
like "$(cat "$S/which-runs")" "run=0191c0000000000000000000000000cc" "from the runs view: the run under the cursor"
like "$(cat "$S/which-run")" "run=0191a0000000000000000000000000aa" "from a run view: that run"
like "$(cat "$S/chooser")" "H +hparams +c +implicit +hyperparameters" ":plugin lists every plugin"
like "$(cat "$S/chooser")" "K +mark +external +untrusted +not trusted" "with its trust"
like "$(cat "$S/chosen")" "hparams: scatter" "Enter opens the chosen plugin"

cat > script2 <<EOF
:plugin slow
:save-display $S/slow
q
:save-display $S/after
EOF
start=$(date +%s)
BANCADA_PLUGIN_ASYNC=1 tui_script script2 >/dev/null 2>&1
took=$(( $(date +%s) - start ))
like "$(cat "$S/slow")" "running plugin slow\.\.\. \(q stops it\)" "a slow plugin runs in the background"
like "$(cat "$S/after")" "plugin slow stopped" "q stops it"
ok $([ "$took" -le 10 ]; echo $?) "the TUI did not wait for it (${took}s)"
pid=$(cat "$T_TMP/slow.pid" 2>/dev/null || echo 0)
for i in $(seq 1 200); do   # a killed process may need a moment to die on a loaded machine
	state=$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)
	{ [ -z "$state" ] || [ "$state" = Z ]; } && break
	sleep 0.1
done
ok $([ "$pid" != 0 ] && { [ -z "$state" ] || [ "$state" = Z ]; }; echo $?) "and it was killed (${state:-gone})"
done_testing
