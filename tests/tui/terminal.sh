#!/bin/sh
# SPDX-License-Identifier: MIT
# Terminal edge cases: stdout not a terminal (the `ls` fallback with a note),
# LANG=C (ASCII drawing), a fatal signal (terminal modes restored), SIGHUP
# (exit within a second), usage errors.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
trap 'tm_stop; t_cleanup' EXIT

tui_project "$T_TMP/proj" || { echo "Bail out! cannot make the project"; exit 1; }

"$BANCADA" > out 2> err
ok $? "no command and stdout not a terminal: exit 0"
like "$(cat err)" 'not a terminal; showing `bancada ls`' "a note says why the table is printed"
like "$(cat out)" 'delta +finished' "the runs are listed like bancada ls"
no_raw_controls out
ok $? "the fallback output has no escape sequences"
"$BANCADA" tui --bogus > /dev/null 2> err
is $? 2 "an unknown argument is a usage error (exit 2)"
like "$(cat err)" '^bancada: tui: unknown argument' "with a one-line message"

# LANG=C: ASCII only (plot markers, sparklines, separators)
printf 'gj<Space>j<Space>p\n:save-display %s/ascii-plot.screen\nq<Enter>3\n:save-display %s/ascii-metrics.screen\n' \
	"$T_TMP" "$T_TMP" > s1
LC_ALL=C LANG=C tui_script s1
ok $? "the workbench runs with LANG=C"
LC_ALL=C grep -q '[^ -~]' "$T_TMP/ascii-plot.screen"
ok $((! $?)) "LANG=C: the plot screen is pure ASCII"
like "$(cat "$T_TMP/ascii-plot.screen")" '\* [a-z]+ +\+ [a-z]+' "LANG=C: the legend uses ASCII markers"
LC_ALL=C grep -q '[^ -~]' "$T_TMP/ascii-metrics.screen"
ok $((! $?)) "LANG=C: sparklines are ASCII"

have_tmux || { done_testing; }
# a fatal signal restores the terminal modes (compare stty before and after)
tm_start 80 24 -c "$PWD" "sh -c 'stty -g > $T_TMP/stty.before; $BANCADA < /dev/tty & echo \$! > $T_TMP/pid; wait; stty -g > $T_TMP/stty.after; sleep 30'"
tm_check '\[runs\] 4 runs' "started in tmux"
kill -SEGV "$(cat "$T_TMP/pid")"
for i in $(seq 1 200); do [ -s "$T_TMP/stty.after" ] && break; sleep 0.1; done
is "$(cat "$T_TMP/stty.after" 2>/dev/null)" "$(cat "$T_TMP/stty.before")" "after SIGSEGV the terminal modes are restored"
tm_stop

# ncurses is loaded when the workbench opens: when it cannot be, a real
# terminal gets one line naming the library and what to install, then the table
mkdir -p "$T_TMP/badlib" && : > "$T_TMP/badlib/$(basename "$(ldconfig -p | awk '/libncursesw?\.so\.[0-9]/ { print $1; exit }')")"
tm_start 100 24 -c "$PWD" "sh -c 'LD_LIBRARY_PATH=$T_TMP/badlib $BANCADA; echo exit=\$?; sleep 30'"
tm_check 'exit=0' "ncurses unloadable: the command still ends, exit 0"
like "$(tm_screen)" 'cannot load ncurses .*: install' "ncurses unloadable: one line says which library and what to install"
like "$(tm_screen)" 'delta +finished' "ncurses unloadable: the runs are listed like bancada ls"
tm_stop
"$BANCADA" ls > /dev/null 2>&1 && LD_LIBRARY_PATH=$T_TMP/badlib "$BANCADA" ls > out 2> err
ok $? "ncurses unloadable: bancada ls does not need it"
is "$(cat err)" "" "ncurses unloadable: bancada ls says nothing about it"

# SIGHUP: exit within a second
tm_start 80 24 -c "$PWD" "sh -c 'echo \$\$ > $T_TMP/pid2; exec $BANCADA'"
tm_check '\[runs\] 4 runs' "started again"
pid=$(cat "$T_TMP/pid2")
kill -HUP "$pid"
gone=1
for i in $(seq 1 50); do alive "$pid" || { gone=0; break; }; sleep 0.1; done
ok $gone "SIGHUP: exits (within 5 s: about a second, more on a loaded machine)"
tm_stop

done_testing
