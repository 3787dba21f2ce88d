#!/bin/sh
# SPDX-License-Identifier: MIT
# Over SSH: a throwaway sshd on 127.0.0.1 at a high port (host key and
# authorized key made here), `ssh -tt` inside tmux with TERM=xterm-256color
# and with TERM=vt100 LANG=C (ASCII drawing), exit within a second when the
# connection drops, and `ssh host bancada diff @~1 @` as plain text.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root to run a throwaway sshd"
SSHD=$(command -v sshd || echo /usr/sbin/sshd)
if [ ! -x "$SSHD" ] || ! command -v ssh >/dev/null 2>&1; then
	if [ -n "${CI:-}" ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server openssh-client >/dev/null 2>&1
	fi
	SSHD=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$SSHD" ] && command -v ssh >/dev/null 2>&1 || skip_all "openssh-server is not installed"
fi
trap 'tm_stop; [ -f "$T_TMP/sshd.pid" ] && kill "$(cat "$T_TMP/sshd.pid")" 2>/dev/null; t_cleanup' EXIT

tui_project "$T_TMP/proj" || { echo "Bail out! cannot make the project"; exit 1; }
K="$T_TMP/keys"
mkdir -p "$K" /run/sshd && chmod 700 "$K"
ssh-keygen -q -t ed25519 -N '' -f "$K/host" && ssh-keygen -q -t ed25519 -N '' -f "$K/user" || skip_all "ssh-keygen failed"
cp "$K/user.pub" "$K/authorized_keys"
port=$((20000 + $$ % 20000))
cat > "$K/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $K/host
PidFile $T_TMP/sshd.pid
AuthorizedKeysFile $K/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin yes
PrintMotd no
UseDNS no
EOF
"$SSHD" -f "$K/sshd_config" -E "$T_TMP/sshd.log" || skip_all "sshd does not start: $(tail -1 "$T_TMP/sshd.log")"
SSH="ssh -q -i $K/user -p $port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=5 root@127.0.0.1"
for i in 1 2 3 4 5 6 7 8 9 10; do $SSH true 2>/dev/null && break; sleep 0.3; done
$SSH true 2>/dev/null || skip_all "cannot log in to the throwaway sshd"
P="$T_TMP/proj"

# TERM=xterm-256color, UTF-8
tm_start 100 30 "env TERM=xterm-256color $SSH -tt \"cd $P && echo \\\$\\\$ > $T_TMP/rpid && LC_ALL=C.UTF-8 exec $BANCADA\""
tm_check '\[runs\] 4 runs' "over ssh -tt (xterm-256color): the runs view opens"
tm send-keys -t main g Enter
tm_check '\[run\] 0191d00 delta' "over ssh: Enter opens the run"
tm send-keys -t main q p
tm_check '⠑|⠢|⠤|⠒|⡀|⢄|⣀' "over ssh: the plot draws braille in UTF-8"
# the connection drops: the remote workbench must exit within a second
rpid=$(cat "$T_TMP/rpid")
alive "$rpid"
ok $? "the remote workbench runs (pid $rpid)"
tm kill-server
gone=1
for i in $(seq 1 50); do
	if ! alive "$rpid"; then gone=0; break; fi
	sleep 0.1
done
ok $gone "it exits when the ssh client goes away (within 5 s)"

# TERM=vt100 LANG=C: ASCII only, no colours
tm_start 100 30 "env TERM=vt100 $SSH -tt \"cd $P && LANG=C LC_ALL=C exec $BANCADA\""
tm_check '\[runs\] 4 runs' "over ssh -tt (vt100, LANG=C): the runs view opens"
tm send-keys -t main g Space j Space p
tm_check '\* delta|\* gamma' "LANG=C: the plot uses ASCII markers"
screen=$(tm_screen)
printf '%s' "$screen" | LC_ALL=C grep -q '[^ -~]'
ok $((! $?)) "LANG=C: the screen is pure ASCII"
tm send-keys -t main q q
tm_stop

# plain text over ssh: no terminal, no escapes
out=$($SSH "cd $P && $BANCADA diff @~1 @" 2>&1)
ok $? "ssh host bancada diff @~1 @ succeeds"
like "$out" 'gamma|delta' "the diff names the runs"
printf '%s' "$out" > diff.out
no_raw_controls diff.out
ok $? "plain-text diff has no escape or control bytes"
done_testing
