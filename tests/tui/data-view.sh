#!/bin/sh
# SPDX-License-Identifier: MIT
# The data view (V, :data) at 80x24: tracked paths with status through the stat
# cache, directories expanded to their files, versions across two commits and
# the runs that used them, hostile file names sanitized, and the ASCII
# fallback under LANG=C.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
export GIT_AUTHOR_NAME="Ana Lee" GIT_AUTHOR_EMAIL=ana@example.org
export GIT_COMMITTER_NAME="Ana Lee" GIT_COMMITTER_EMAIL=ana@example.org
new_repo proj
cd proj
mkdir -p data/images
echo one > data/images/a.png
echo two > data/images/b.png
printf 'x,y\n1,2\n' > data/train.csv
bc data add data/images data/train.csv >/dev/null
git add -A && git commit -qm "data v1"
printf 'x,y\n1,2\n3,4\n' > data/train.csv
bc data add data/train.csv >/dev/null
git add -A && git commit -qm "data v2"
bc run -q -n reader --input data/train.csv -- true >/dev/null 2>&1
rid=$(bc ls --ids --filter 'name = reader')
echo changed > data/images/a.png
printf 'evil\033]0;pwned\007' > "data/images/$(printf 'e\033[31mvil')"

tm_start 80 24 env TERM=xterm-256color LANG=C.UTF-8 "$BANCADA"
tm_check "reader" "the workbench opens on the runs view"
tm send-keys -t main V
tm_check "^\[data\] 2 tracked paths" "V opens the data view"
tm_check "modified +[0-9.]+ B +[0-9a-f]{12} +. data/images/ +\(2 files\)" \
	"a directory with a modified file is modified, with size and short hash"
tm_check "ok +12 B +[0-9a-f]{12} +data/train.csv" "an unchanged file is ok"
tm send-keys -t main Enter
tm_check "modified +4 B +[0-9a-f]{12} +a.png" "Enter expands the directory: the modified file"
tm_check "ok +4 B +[0-9a-f]{12} +b.png" "and the unchanged one"
tm_check "new +- +- +e.*vil" "a file not in the pointer is new"
screen=$(tm_screen)
unlike "$screen" "pwned" "the hostile name's bytes do not reach the terminal as a title"
tm send-keys -t main : "save-display $T_TMP/data.txt" Enter
for i in $(seq 1 200); do [ -s "$T_TMP/data.txt" ] && break; sleep 0.1; done
[ -s "$T_TMP/data.txt" ] && no_raw_controls "$T_TMP/data.txt"; ok $? "no raw control bytes on the screen"
tm send-keys -t main G Enter
tm_check "versions of data/train.csv: 2" "Enter on a file shows its versions"
tm_check "data v2" "the newest version"
tm_check "[0-9a-f]{8} 20[0-9-]+ [0-9:]+ +Ana Lee +[0-9a-f]{10} +12 B +1 data v2" \
	"commit, date, author, hash, size and runs of a version"
tm_check "8 B +- data v1" "the first version, used by no run"
tm send-keys -t main Enter
tm_check "^\[run\] ${rid%"${rid#???????}"}.* reader" "Enter on a version opens the run that used it"
tm send-keys -t main q j
tm send-keys -t main Enter
tm_check "no recorded run used version" "a version no run used says so"
tm send-keys -t main q
tm_check "^\[data\] 2 tracked paths" "q goes back to the paths"
tm send-keys -t main '?'
tm_check "L +data-log" "? lists the data view's keys"
tm send-keys -t main q q
tm_check "reader" "q q is back in the runs view"
tm send-keys -t main : data Enter
tm_check "^\[data\] 2 tracked paths" ":data opens the data view"
tm send-keys -t main Q
tm_stop

# status of unchanged files comes from the stat cache: nothing is read again
bc data status >/dev/null 2>&1
tm_start 80 24 env TERM=xterm-256color LANG=C.UTF-8 "$BANCADA"
tm_check "reader" "the workbench opens again"
tm send-keys -t main V
tm_check "not clean \(0 files read\)" "the check reads no unchanged file"
tm send-keys -t main Q
tm_stop

tm_start 80 24 env TERM=xterm LANG=C LC_ALL=C "$BANCADA"
tm_check "reader" "LANG=C: the workbench opens"
tm send-keys -t main V
tm_check "modified +[0-9.]+ B +[0-9a-f]{12} \+ data/images/" "LANG=C: a closed directory is drawn with +"
tm send-keys -t main Enter
tm_check "modified +[0-9.]+ B +[0-9a-f]{12} - data/images/" "LANG=C: an open one with -"
tm send-keys -t main Q
tm_stop

# nothing tracked: the view says how to start
cd "$T_TMP" && new_repo empty && cd empty
tm_start 80 24 env TERM=xterm-256color LANG=C.UTF-8 "$BANCADA"
tm_check "No runs yet" "an empty project opens"
tm send-keys -t main V
tm_check "No tracked data: track some with +bancada data add PATH" "no tracked data: what to do"
tm send-keys -t main Q
tm_stop
done_testing
