#!/bin/sh
# SPDX-License-Identifier: MIT
# Screen tests (tig style): the real binary, a script of keys and :commands,
# no display, screens dumped with :save-display and compared with
# tests/tui/screens/*.screen at 80x24, TZ=UTC, HOME in a temp dir.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"

tui_project "$T_TMP/proj" || { echo "Bail out! cannot make the project"; exit 1; }
S="$T_TMP/screens"
mkdir -p "$S"

cat > script <<EOF
:save-display $S/runs.screen
lll
S
:save-display $S/runs-sorted.screen
:set columns = name,status,params.lr,metrics.loss
:sort -metrics.loss
:save-display $S/runs-columns.screen
/params.lr > 0.1<Enter>
:save-display $S/runs-filter.screen
/<C-u>params.lr >> 3<Enter>
:save-display $S/filter-error.screen
<Esc>
:filter
gj<Space>j<Space>c
:save-display $S/compare.screen
]]
:save-display $S/compare-next.screen
=
:save-display $S/compare-all.screen
q
d
:save-display $S/diff.screen
]]]
:save-display $S/diff-jump.screen
q
p
:save-display $S/plot.screen
y
:save-display $S/plot-logy.screen
+
:save-display $S/plot-zoom.screen
q
u
Gk<Enter>
:save-display $S/run-overview.screen
3
:save-display $S/run-metrics.screen
4
:save-display $S/run-logs.screen
/loss<Enter>n
:save-display $S/run-logs-search.screen
5
:save-display $S/run-code.screen
q
?
:save-display $S/help.screen
q
:save-view best
:set columns =
:set filter = status = failed
:save-display $S/after-set.screen
:view best
:save-display $S/view-restored.screen
:nosuchcommand
:save-display $S/bad-command.screen
EOF
tui_script script
ok $? "workbench runs the script and exits 0"
for n in runs runs-sorted runs-columns runs-filter filter-error compare compare-next compare-all \
	diff diff-jump plot plot-logy plot-zoom run-overview run-metrics run-logs run-logs-search \
	run-code help after-set view-restored bad-command; do
	assert_screen "$n" "$S/$n.screen"
done

# saved views are small text files of commands that can be committed
like "$(cat .bancada/views/best)" 'set columns = "name,status,params.lr,metrics.loss"' "saved view has the columns"
like "$(cat .bancada/views/best)" 'set sort = "-metrics.loss"' "saved view has the sort"

# config = commands: user config binds a key, project config sets an option
mkdir -p "$HOME/.config/bancada"
echo 'bind runs x :set columns = name,params.opt' > "$HOME/.config/bancada/config"
echo 'set auto-columns = 1' > .bancada/config
printf 'x\n:save-display %s/config-bind.screen\n' "$S" > script2
tui_script script2
assert_screen config-bind "$S/config-bind.screen"

# a broken config line is reported, not fatal
echo 'bind runs <Nope> quit' > "$HOME/.config/bancada/config"
printf ':save-display %s/config-error.screen\n' "$S" > script3
tui_script script3
ok $? "a bad config line does not stop the workbench"
like "$(tail -1 "$S/config-error.screen")" "config:1: unknown key '<Nope>'" "the config error names file, line and key"

# delete needs a typed confirmation; a pasted "yes" does not count
rm -f "$HOME/.config/bancada/config" .bancada/config
printf 'D<PasteBegin>yes<Enter><PasteEnd><Enter>\n' > script4
tui_script script4
is "$("$BANCADA" ls | grep -c delta)" 1 "a pasted yes + Enter does not delete"
printf 'Dyes<Enter>\n' > script5
tui_script script5
is "$("$BANCADA" ls | grep -c delta)" 0 "typed yes + Enter deletes the run"
done_testing
