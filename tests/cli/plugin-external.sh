#!/bin/sh
# SPDX-License-Identifier: MIT
# External plugins that misbehave: crash, hang (with a child), endless
# output, escape sequences, non-zero exit, closed stdin; and what they get:
# argv without a shell, a scrubbed environment, no terminal, no DB fd.
. "$top_srcdir/tests/lib/libtest.sh"
unset BANCADA_PLUGIN_PATH
dir="$XDG_DATA_HOME/bancada/plugins"
mkdir -p "$dir"
plugin() { # plugin NAME SCRIPT [MANIFEST LINES...]
	name=$1 script=$2; shift 2
	printf '%s\n' "$script" > "$dir/$name.sh"
	{ echo "exec = sh %(plugindir)/$name.sh %(project) %(run)"; for l in "$@"; do echo "$l"; done; } > "$dir/$name.conf"
}
# a project whose path holds shell syntax: it must reach the plugin as one argument
proj="$T_TMP/p; touch $T_TMP/pwned #"
new_repo "$proj" && cd "$proj" || exit 1
bc run -q -n 'x; touch /tmp/pwned-bancada' -- true >/dev/null 2>&1

plugin crash 'echo partial; kill -SEGV $$'
out=$(bc plugin run crash 2>err); rc=$?
is "$rc" 1 "crash: exit 1"
is "$out" "partial" "crash: output so far is shown"
like "$(cat err)" "plugin crash was killed by signal 11" "crash: message"

plugin hang 'sleep 30 & echo $! > "$1/.child.pid"; sleep 30' "timeout = 1"
start=$(date +%s)
bc plugin run hang >/dev/null 2>err; rc=$?
took=$(( $(date +%s) - start ))
is "$rc" 1 "hang: exit 1"
ok $([ "$took" -le 4 ]; echo $?) "hang: stopped at the timeout (${took}s)"
like "$(cat err)" "timed out after 1.0s and was stopped" "hang: message"
child=$(cat "$proj/.child.pid" 2>/dev/null || echo 0)
# a killed process may need a moment to be scheduled and die on a loaded machine
for i in $(seq 1 200); do
	state=$(ps -o stat= -p "$child" 2>/dev/null | cut -c1)
	{ [ -z "$state" ] || [ "$state" = Z ]; } && break
	sleep 0.1
done
ok $([ "$child" != 0 ] && { [ -z "$state" ] || [ "$state" = Z ]; }; echo $?) "hang: its background child was killed too (${state:-gone})"

plugin flood 'yes 0123456789abcdef'
start=$(date +%s)
bytes=$(bc plugin run flood 2>err | wc -c); rc=$?
took=$(( $(date +%s) - start ))
ok $([ "$bytes" -le 1200000 ] && [ "$bytes" -ge 1000000 ]; echo $?) "flood: output capped at 1 MiB ($bytes bytes)"
ok $([ "$took" -le 4 ]; echo $?) "flood: stopped at once (${took}s)"
like "$(cat err)" "printed more than 1048576 bytes" "flood: message"

plugin esc 'printf "\033[2J\033]0;owned\007{red}red{/} \302\233 \342\200\256x\r\n"'
bc plugin run esc > out.txt 2>&1
ok $(no_raw_controls out.txt; echo $?) "escapes: no raw control bytes reach the terminal"
like "$(cat out.txt)" '\\x1b\[2J\\x1b\]0;owned\\x07red' "escapes: shown as visible escapes"

plugin nz 'echo out; echo "bad \033[31mthing" >&2; exit 3'
out=$(bc plugin run nz 2>err); rc=$?
is "$rc" 1 "non-zero: exit 1"
is "$out" "out" "non-zero: stdout shown"
like "$(cat err)" 'bancada: plugin nz: bad \\x1b\[31mthing' "non-zero: stderr as a sanitized message"
like "$(cat err)" "plugin nz exited with status 3" "non-zero: status"

plugin nostdin 'exec 0<&-; echo fine' "input = filtered"
is "$(bc plugin run nostdin 2>&1)" "fine" "a plugin that reads no stdin"

plugin stdin 'cat' "input = filtered"
like "$(bc plugin run stdin)" '"bancada_plugin":1.*"runs":\[\{' "the runs arrive as JSON on stdin"

export SECRET_TOKEN=hunter2
plugin envdump 'env'
out=$(bc plugin run envdump)
unlike "$out" "SECRET_TOKEN" "env: scrubbed"
like "$out" "BANCADA_PLUGIN=envdump" "env: plugin name given"
like "$out" "TERM=dumb" "env: TERM=dumb"

plugin args 'echo "argc=$#"; for a; do echo "[$a]"; done; set -- $(cat /proc/$$/stat); echo "pid=$1 sid=$6 tty=$7"; ls -l /proc/$$/fd | grep -c "\.bancada" || true'
out=$(bc plugin run args)
like "$out" "argc=2" "argv: the project path is one argument"
like "$out" "\[$T_TMP/p; touch $T_TMP/pwned #\]" "argv: passed verbatim"
ok $([ ! -e "$T_TMP/pwned" ] && [ ! -e /tmp/pwned-bancada ]; echo $?) "argv: nothing executed from names or paths"
pid=$(printf '%s\n' "$out" | sed -n 's/^pid=\([0-9]*\) .*/\1/p')
like "$out" "pid=$pid sid=$pid tty=0" "own session, no controlling terminal"
is "$(printf '%s\n' "$out" | tail -1)" 0 "no descriptor of the project's files is inherited"

printf 'exec = no-such-command-here %%(run)\n' > "$dir/nocmd.conf"
bc plugin run nocmd >/dev/null 2>err; is $? 1 "missing command: exit 1"
like "$(cat err)" "plugin nocmd: command 'no-such-command-here' not found" "missing command: message"
printf 'exec = sh\nfrobnicate = 1\n' > "$dir/broken.conf"
like "$(bc plugin ls)" "broken .*unknown key 'frob" "a broken manifest is listed with its problem"
bc plugin run broken >/dev/null 2>err; is $? 1 "and refused"
done_testing
