#!/bin/sh
# SPDX-License-Identifier: MIT
# bancada data: add/status/checkout/ls/diff/log across real git commits.
. "$top_srcdir/tests/lib/libtest.sh"

new_repo p
cd p || exit 99
mkdir -p data/imgs
head -c 300000 /dev/urandom > data/train.bin
for i in 1 2 3 4 5; do echo "image $i" > data/imgs/$i.txt; done
mkdir data/imgs/sub && echo deep > data/imgs/sub/d.txt
sum_v1=$(sha256sum data/train.bin | cut -c1-64)

out=$(bc data add data/train.bin data/imgs 2>&1); rc=$?
is "$rc" 0 "add a file and a directory"
like "$out" "added +data/train.bin .*300.0 kB" "add reports the file with its size"
like "$out" "added +data/imgs/ +\(6 files" "a directory becomes one manifest of its files"
like "$(cat data/train.bin.bcd)" "sha256: $sum_v1" "pointer records the SHA-256 of the content"
like "$(cat data/.gitignore)" "^/train.bin" "data path is ignored by git"
obj=".bancada/cache/$(echo "$sum_v1" | cut -c1-2)/$(echo "$sum_v1" | cut -c3-)"
ok "$(test -f "$obj"; echo $?)" "object stored under its hash"
is "$(stat -c %a "$obj")" 444 "cache objects are read-only"
is "$(git status --porcelain data | sort | tr '\n' ' ')" "?? data/ " "only pointers and .gitignore are new to git"
is "$(git status --porcelain -uall data | sort | tr '\n' ' ')" "?? data/.gitignore ?? data/imgs.bcd ?? data/train.bin.bcd " \
	"git sees pointers, not data"

out=$(bc data add data/train.bin data/imgs --stats)
like "$out" "unchanged data/train.bin" "adding unchanged data is a no-op"
like "$out" "hashed 0 files" "and reads nothing (stat cache)"

out=$(bc data status --stats)
like "$out" "data matches the pointers" "status clean after add"
like "$out" "checked 7 files, hashed 0" "status of unchanged files reads no content"

git add -A && git commit -qm "data v1"

# version 2
head -c 200000 /dev/urandom > data/train.bin
echo changed >> data/imgs/3.txt
rm data/imgs/1.txt
echo new > data/imgs/6.txt
out=$(bc data status -s)
is "$out" "D data/imgs/1.txt
M data/imgs/3.txt
? data/imgs/6.txt
M data/train.bin" "status lists modified, missing and new files inside directories"
out=$(bc data add data/train.bin data/imgs)
like "$out" "updated +data/train.bin" "add records a new version"
sum_v2=$(sha256sum data/train.bin | cut -c1-64)
git add -A && git commit -qm "data v2"

out=$(bc data diff HEAD~1 HEAD)
like "$out" "modified +data/train.bin +300.0 kB -> 200.0 kB" "diff between commits: modified file with sizes"
like "$out" "deleted +data/imgs/1.txt" "diff: deleted file in a directory"
like "$out" "added +data/imgs/6.txt" "diff: added file in a directory"
unlike "$out" "imgs/2.txt" "diff leaves unchanged files out"

out=$(bc data log data/train.bin)
is "$(echo "$out" | wc -l)" 3 "log: header and two versions"
like "$(echo "$out" | sed -n 2p)" "$(echo "$sum_v2" | cut -c1-12) +200.0 kB .*data v2" "log: newest version first"
like "$(echo "$out" | sed -n 3p)" "$(echo "$sum_v1" | cut -c1-12) +300.0 kB .*data v1" "log: first version"

# check out the older commit's data without touching git's checkout
head_before=$(git rev-parse HEAD)
out=$(bc data checkout HEAD~1 2>&1); rc=$?
is "$rc" 0 "checkout HEAD~1"
is "$(sha256sum data/train.bin | cut -c1-64)" "$sum_v1" "file is byte-identical to v1"
is "$(ls data/imgs | tr '\n' ' ')" "1.txt 2.txt 3.txt 4.txt 5.txt sub " "directory is as in v1"
is "$(cat data/imgs/3.txt)" "image 3" "directory member restored"
is "$(git rev-parse HEAD)" "$head_before" "git HEAD untouched"
like "$(git status --porcelain)" "M data/train.bin.bcd" "pointers follow the data (visible to git)"
is "$(bc data status)" "data matches the pointers" "status clean after checkout"
out=$(bc data checkout HEAD~1)
is "$out" "checked out 0 files at HEAD~1" "re-running checkout is a no-op"
bc data checkout HEAD >/dev/null
is "$(sha256sum data/train.bin | cut -c1-64)" "$sum_v2" "back to v2"
is "$(git status --porcelain)" "" "pointers back to HEAD's"

# modified data is not overwritten without --force
echo "my edit" >> data/train.bin
out=$(bc data checkout HEAD~1 2>&1); rc=$?
is "$rc" 1 "checkout refuses to overwrite modified data"
like "$out" "refused: data/train.bin" "names the refused path"
like "$(tail -c 8 data/train.bin)" "my edit" "modified file left alone"
bc data checkout --force HEAD~1 data/train.bin >/dev/null
is "$(sha256sum data/train.bin | cut -c1-64)" "$sum_v1" "--force overwrites"
bc data checkout HEAD >/dev/null

# ls
out=$(bc data ls)
like "$out" "data/imgs/ +.* 6 +[0-9a-f]{12} +yes" "ls: directory with file count and cache presence"
like "$(bc data ls HEAD~1)" "data/train.bin +300.0 kB" "ls at a revision"
out=$(bc data ls nosuchrev 2>&1); rc=$?
is "$rc" 1 "unknown revision fails"
like "$out" "^bancada: unknown revision 'nosuchrev'" "with a clear message"

# symlinks are never written through
mkdir ../outside && echo sentinel > ../outside/keep.txt
mv data/imgs data/imgs.real && ln -s ../../outside data/imgs
out=$(bc data checkout data/imgs 2>&1); rc=$?
is "$rc" 1 "checkout refuses a tracked directory that is a symlink"
is "$(ls ../outside)" "keep.txt" "nothing written outside the project"
rm data/imgs && mv data/imgs.real data/imgs

# bad input
out=$(bc data add ../outside/keep.txt 2>&1); rc=$?
is "$rc" 1 "path outside the project refused"
like "$out" "outside the project" "says why"
out=$(bc data add .git/config 2>&1)
like "$out" "inside .git/" "path inside .git refused"
out=$(bc data add .bancada/bancada.db 2>&1)
like "$out" "inside .bancada/" "path inside .bancada refused"
ln -s ../outside/keep.txt data/link.txt
out=$(bc data add data/link.txt 2>&1); rc=$?
is "$rc" 1 "a symlink is not added"
like "$out" "symlink" "says it is a symlink"
rm data/link.txt
out=$(bc data add data/nope 2>&1)
like "$out" "data/nope does not exist" "missing path"
cp data/train.bin.bcd /tmp/bcd.$$
echo "garbage: {" > data/train.bin.bcd
out=$(bc data status 2>&1); rc=$?
is "$rc" 1 "a garbage pointer fails status"
like "$out" "^bancada: pointer file data/train.bin.bcd is (not valid|incomplete)" "error names the pointer file"
printf 'format: bancada-data/1\npath: train.bin\ntype: file\nsha256: zz\n' > data/train.bin.bcd
like "$(bc data ls 2>&1)" "pointer file data/train.bin.bcd is not valid \(line 4\)" "a bad hash is reported with its line"
mv /tmp/bcd.$$ data/train.bin.bcd
out=$(bc data status data/unknown 2>&1)
like "$out" "not tracked" "status of an untracked path"
out=$(bc data frob 2>&1); rc=$?
is "$rc" 2 "unknown subcommand is a usage error"
if [ "$(id -u)" != 0 ]; then
	echo secret > data/locked.txt && chmod 000 data/locked.txt
	out=$(bc data add data/locked.txt 2>&1); rc=$?
	is "$rc" 1 "unreadable file fails"
	like "$out" "Permission denied" "with the reason"
	chmod 644 data/locked.txt
fi

# link modes: hardlink/symlink objects stay read-only; status understands both
bc data checkout --link=symlink -f HEAD data/train.bin >/dev/null
ok "$(test -L data/train.bin; echo $?)" "symlink mode makes a link to the object"
is "$(bc data status data/train.bin)" "data matches the pointers" "status clean in symlink mode"
bc data checkout --link=copy HEAD data/train.bin >/dev/null
ok "$(test ! -L data/train.bin && test -f data/train.bin; echo $?)" "copy mode replaces the link with a file"

done_testing
