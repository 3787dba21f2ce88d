#!/bin/sh
# SPDX-License-Identifier: MIT
# The bundles view (B, :bundles): lists the registered bundles, Enter inspects
# one (files, sizes, hashes, executable content), v verifies it with progress,
# a corrupted archive shows each problem, o opens the run; 80x24 in tmux.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
new_repo proj
cd proj || exit 99
bc run -q -n trained -- sh -c 'mkdir -p out && head -c 300000 /dev/urandom > out/model.bin && printf "\200\004K\001." > out/model.pkl' >/dev/null 2>&1
bc bundle create trained out -o first.tar.zst >/dev/null || exit 99
bc bundle create trained out --name second --version 2 --format tar.gz -o second.tar.gz >/dev/null || exit 99

tm_start 80 24 env TERM=xterm-256color "$BANCADA"
tm_check "trained" "the workbench opens"
tm send-keys -t main B
tm_check "\[bundles\] 2 registered" "B opens the bundles view"
tm_check "second +2 " "the list shows the newest bundle with its version"
tm_check "trained +[0-9a-f]{8} .*tar.zst" "and the first one, with run and format"
tm_check "VERIFIED" "the columns fit 80 columns"
tm send-keys -t main Enter
tm_check "Files: 2, 293.0 KiB" "Enter inspects: the file list with the total size"
tm_check "0644 +29[23].[0-9] KiB  [0-9a-f]{12}  out/model.bin" "the payload files are listed with mode, size and hash"
tm_check "executable content: pickle" "code-bearing files are flagged"
tm_check "not verified: press v" "the header says it is not verified yet"
tm send-keys -t main v
tm_check "verified OK" "v verifies the bundle"
tm send-keys -t main q
tm_check "\[bundles\] 2 registered" "q goes back to the list"
tm_check "second .* OK" "the list remembers the verified state"
tm send-keys -t main '?'
tm_check "bundle-verify" "? lists the bundles keys"
tm send-keys -t main q

# corrupt one byte in the middle of the first archive (the zstd payload)
python3 - <<'EOF'
import os
f = "first.tar.zst"
n = os.path.getsize(f)
with open(f, "r+b") as fp:
    fp.seek(n // 2)
    b = fp.read(1)
    fp.seek(n // 2)
    fp.write(bytes([b[0] ^ 0x55]))
EOF
tm send-keys -t main j v
tm_check "verification FAILED" "v on a corrupted bundle shows the failure" 10
tm_check "corrupt|differs" "and the problem found"
tm send-keys -t main q
tm_check "trained .* FAILED" "the list shows it failed"
tm send-keys -t main o
tm_check "\[run\] .* trained" "o opens the run the bundle came from"
tm send-keys -t main q
tm send-keys -t main :bundles Enter
tm_check "\[bundles\] 2 registered" ":bundles opens the view too"
tm send-keys -t main Q
tm_stop
done_testing
