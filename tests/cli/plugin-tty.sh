#!/bin/sh
# SPDX-License-Identifier: MIT
# Plugins in a real terminal (tmux, private socket): an external plugin that
# writes escape sequences, tries /dev/tty and crashes, a hanging one, and a
# C plugin view; the terminal settings (stty -g) are the same afterwards.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
trap 'tm_stop; t_cleanup' EXIT
export BANCADA_PLUGIN_PATH="$top_builddir/plugins/.libs"
tui_project "$T_TMP/proj" >/dev/null 2>&1 || { echo "Bail out! cannot make the project"; exit 1; }
u="$XDG_DATA_HOME/bancada/plugins"
mkdir -p "$u"
printf 'key = Z\nexec = sh %%(plugindir)/bad.sh\n' > "$u/bad.conf"
cat > "$u/bad.sh" <<'EOF'
printf 'visible {red}text{/}\033[?1049l\033[2J\033c\n'
echo tty-write > /dev/tty 2>/dev/null && echo "wrote to the terminal"
stty raw -echo 2>/dev/null && echo "changed the terminal"
kill -SEGV $$
EOF
# (a timeout far beyond the test's waits: q must stop it, not the timeout)
printf 'key = W\nexec = sh %%(plugindir)/hang.sh\ntimeout = 60\n' > "$u/hang.conf"
printf 'sleep 120\n' > "$u/hang.sh"
tm_start 80 24 -c "$PWD" "env TERM=xterm-256color LC_ALL=C.UTF-8 sh -c 'stty -g > $T_TMP/before; $BANCADA; stty -g > $T_TMP/after; echo EXITED; sleep 30'"
keys() { tm send-keys -t main "$@"; }
tm_check '\[runs\] 4 runs' "the workbench is up"
keys Z
tm_check 'visible text' "external plugin output in a pager"
like "$(tm_screen)" 'killed by signal 11' "its crash is a status message"
unlike "$(tm_screen)" 'tty-write|wrote to the terminal|changed the terminal' "it had no terminal to write to"
keys q W
tm_check 'running plugin hang' "a hanging plugin runs in the background"
keys q
tm_check 'plugin hang stopped' "q stops it at once"
keys H
tm_check 'hparams: scatter \(4 runs\)' "C plugin view"
keys v
tm_check 'parallel coordinates' "its keys reach it"
keys q Q
tm_check 'EXITED' "bancada exits"
is "$(cat "$T_TMP/after" 2>/dev/null)" "$(cat "$T_TMP/before" 2>/dev/null)" "stty -g is the same before and after"
done_testing
