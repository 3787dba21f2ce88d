#!/bin/sh
# SPDX-License-Identifier: MIT
# `b` on a run makes a bundle of its outputs; the run's bundles tab lists it.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
new_repo proj
cd proj
bc run -q -n trained -- sh -c 'mkdir -p out && echo weights > out/model.bin' >/dev/null 2>&1
bc run -q -n untouched -- true >/dev/null 2>&1
id=$(bc ls --ids --filter 'name = trained')
sqlite3 .bancada/bancada.db "INSERT INTO run_io(run,is_output,path,hash) VALUES('$id',1,'out/model.bin',NULL)"
tm_start 100 24 env TERM=xterm-256color "$BANCADA"
tm_check "untouched" "the workbench opens"
tm send-keys -t main b
tm_check "declared no outputs" "b on a run without outputs says what to do"
tm send-keys -t main j b
tm_check "bundled 1 file into" "b on a run with outputs makes a bundle"
tm send-keys -t main Enter
sleep 0.5
tm send-keys -t main 7
tm_check "trained@" "the bundles tab lists it"
tm send-keys -t main Q
tm_stop
ls trained-*.tar.zst >/dev/null 2>&1; ok $? "the archive is in the current directory"
bc bundle verify trained-*.tar.zst >/dev/null 2>&1; ok $? "and verifies"
done_testing
