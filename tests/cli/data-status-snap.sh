#!/bin/sh
# SPDX-License-Identifier: MIT
# `data status` of a tracked directory through its snapshot (.bancada/tmp/stat/):
# the second status of an unchanged directory needs neither the manifest nor
# the stat cache, and every change (content, new or deleted file, a new file
# in an empty subdirectory, an object gone from the cache, a damaged or stale
# snapshot, a symlink put in place of a directory) is still reported.
. "$top_srcdir/tests/lib/libtest.sh"

new_repo p
cd p || exit 99
mkdir -p data/a/deep data/b data/empty
for i in 1 2 3 4 5 6; do echo "file $i" > data/a/$i.txt; echo "b $i" > data/b/$i.txt; done
echo deep > data/a/deep/d.txt
sleep 0.1   # older than the racy window: the stat cache vouches for them
bc data add data >/dev/null
sleep 0.1
snaps() { ls .bancada/tmp/stat 2>/dev/null | grep -vc '\.tmp\.'; }

out=$(bc data status --stats)
like "$out" "data matches the pointers" "status after add: clean"
is "$(snaps)" 1 "the full status left one snapshot"
# without the stat cache, only the snapshot can tell the files are unchanged
sqlite3 .bancada/bancada.db "DELETE FROM data_stat" || exit 99
out=$(bc data status --stats)
like "$out" "data matches the pointers" "status from the snapshot: clean"
like "$out" "checked 13 files, hashed 0" "and reads no file (no stat cache needed)"

# a change of content under the same size and mtime: ctime and the stat give it away
printf 'FILE 2\n' > data/a/2.txt.new && touch -r data/a/2.txt data/a/2.txt.new && mv data/a/2.txt.new data/a/2.txt
sleep 0.1
is "$(bc data status -s)" "M data/a/2.txt" "a modified file is reported"
is "$(bc data status -s)" "M data/a/2.txt" "and again, from the rewritten snapshot"
out=$(bc data status --stats)
like "$out" "hashed 0" "the second time without reading it"

echo new > data/empty/new.txt
is "$(bc data status -s)" "M data/a/2.txt
? data/empty/new.txt" "a file in a subdirectory that was empty is reported as new"
is "$(bc data status -s)" "M data/a/2.txt
? data/empty/new.txt" "every time"
rm data/empty/new.txt data/b/3.txt
sleep 0.1
is "$(bc data status -s)" "M data/a/2.txt
D data/b/3.txt" "a deleted file is reported"
is "$(bc data status -s)" "M data/a/2.txt
D data/b/3.txt" "every time"
echo "b 3" > data/b/3.txt
printf 'file 2\n' > data/a/2.txt
sleep 0.1
like "$(bc data status)" "data matches the pointers" "restored files: clean again"
like "$(bc data status --stats)" "data matches the pointers" "and clean from the snapshot"

# an object that leaves the cache
h=$(sha256sum data/b/5.txt | cut -c1-64)
obj=.bancada/cache/$(echo "$h" | cut -c1-2)/$(echo "$h" | cut -c3-)
test -f "$obj" || exit 99
chmod u+w "$(dirname "$obj")" 2>/dev/null
mv "$obj" "$T_TMP/obj"
like "$(bc data status)" "not in cache +data/b/5.txt" "an object removed from the cache is reported"
like "$(bc data status)" "not in cache +data/b/5.txt" "every time"
mv "$T_TMP/obj" "$obj"
like "$(bc data status)" "data matches the pointers" "back in the cache: clean"

# a damaged snapshot is never trusted
s=.bancada/tmp/stat/$(ls .bancada/tmp/stat | grep -v '\.tmp\.' | head -n 1)
size=$(stat -c %s "$s")
echo changed >> data/b/6.txt
sleep 0.1
bc data status >/dev/null   # the snapshot now says 6.txt is modified
for off in 200 $((size / 2)) $((size - 400)) $((size - 3)); do
	cp "$s" "$T_TMP/snap"
	printf '\377' | dd of="$s" bs=1 seek="$off" conv=notrunc 2>/dev/null
	is "$(bc data status -s)" "M data/b/6.txt" "a byte flipped at $off of the snapshot: still right"
	cp "$T_TMP/snap" "$s"
done
# the state byte of the first file entry (header 6280 bytes, one chunk sum,
# 5 directories of 40 bytes, then 80-byte entries with the state at 44),
# turned from clean to modified: only the checksum can tell
cp "$s" "$T_TMP/snap"
printf '\002' | dd of="$s" bs=1 seek=$((6280 + 8 + 5 * 40 + 44)) conv=notrunc 2>/dev/null
cmp -s "$s" "$T_TMP/snap" && exit 99
is "$(bc data status -s)" "M data/b/6.txt" "an entry's state changed in the snapshot: still right"
cp "$T_TMP/snap" "$s"
head -c $((size / 3)) "$T_TMP/snap" > "$s"
is "$(bc data status -s)" "M data/b/6.txt" "a truncated snapshot: still right"

# a new version of the directory makes the snapshot stale
bc data add data >/dev/null
sleep 0.1
like "$(bc data status)" "data matches the pointers" "after a new add: clean"
echo more >> data/a/1.txt
is "$(bc data status -s)" "M data/a/1.txt" "and a change after it is seen"

# a symlink in place of a subdirectory: refused as the full walk refuses it
printf 'file 1\n' > data/a/1.txt
mv data/b "$T_TMP/b" && ln -s "$T_TMP/b" data/b
out=$(bc data status 2>&1); rc=$?
is "$rc" 1 "a symlinked subdirectory is an error"
like "$out" "data/b is a symlink" "naming it"
rm data/b && mv "$T_TMP/b" data/b

done_testing
