#!/bin/sh
# SPDX-License-Identifier: MIT
# bancada data with packed small objects: a directory add of many small files
# stores them in one pack; checkout, status, ls, fsck (bit flip), gc, push and
# pull find them there; kill -9 during a packed add leaves nothing visible.
. "$top_srcdir/tests/lib/libtest.sh"

new_repo p
cd p || exit 99
# N files of 1-16 KiB in a few subdirectories
mkfiles() { # mkfiles DIR N SEED
	python3 - "$1" "$2" "$3" <<'PY'
import os, random, sys
d, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
for i in range(n):
    sub = "%s/s%d" % (d, i % 7)
    os.makedirs(sub, exist_ok=True)
    with open("%s/f%04d" % (sub, i), "wb") as f:
        f.write(rnd.randbytes(rnd.randint(1024, 16384)))
PY
}
loose() { find .bancada/cache -path '*/cache/??/*' -type f | wc -l | tr -d ' '; }
packs() { ls .bancada/cache/packs/ 2>/dev/null | grep -c '\.pack$'; }
idxs() { ls .bancada/cache/packs/ 2>/dev/null | grep -c '\.idx$'; }
sums() { (cd "$1" && find . -type f | sort | xargs sha256sum); }

mkfiles set 100 1
sums set > v1.sums
out=$(bc data add set); rc=$?
is "$rc" 0 "add a directory of 100 small files"
like "$out" "100 files" "all files counted"
is "$(packs)" 1 "its files went into one pack"
is "$(idxs)" 1 "with one index"
is "$(loose)" 1 "only the manifest is a loose object"
is "$(bc data status)" "data matches the pointers" "status clean with packed objects"
like "$(bc data ls)" "set/ .*yes" "ls: the directory's objects are in the cache"
git add -A && git commit -qm "set v1"

# checkout of packed objects: byte-identical
rm -rf set
out=$(bc data checkout 2>&1); rc=$?
is "$rc" 0 "checkout restores a directory from a pack"
is "$(sums set | diff - v1.sums && echo same)" "same" "byte-identical"
is "$(bc data status)" "data matches the pointers" "status clean after checkout"

# a second version: changed and new files in a second pack; old commit restorable
for f in set/s1/f0001 set/s2/f0002 set/s3/f0003; do printf 'v2' >> "$f"; done
mkfiles set/more 70 2
sums set > v2.sums
bc data add set >/dev/null
is "$(packs)" 2 "the second version's new files in a second pack"
git add -A && git commit -qm "set v2"
bc data checkout HEAD~1 >/dev/null 2>&1
bc data checkout --force HEAD~1 >/dev/null 2>&1
rm -rf set/more
is "$(sums set | diff - v1.sums && echo same)" "same" "checkout of the older commit from packs"
bc data checkout --force HEAD >/dev/null 2>&1
is "$(sums set | diff - v2.sums && echo same)" "same" "and back to the newer one"

# push to a directory remote: the remote keeps loose objects; pull in a clone
bc data remote add store "$T_TMP/store" >/dev/null
out=$(bc data push); rc=$?
is "$rc" 0 "push packed objects"
nobj=$(find "$T_TMP/store" -path '*/??/*' -type f | wc -l | tr -d ' ')
is "$nobj" "$(( $(find set -type f | wc -l) + 1 ))" "the remote holds every file and the manifest, as loose objects"
git add .bancada/data.conf && git commit -qm "remote"
git clone -q "$T_TMP/p" "$T_TMP/clone"
cd "$T_TMP/clone" || exit 99
bc init >/dev/null
out=$(bc data pull store); rc=$?
is "$rc" 0 "pull into a fresh clone"
is "$(sums set | diff - "$T_TMP/p/v2.sums" && echo same)" "same" "pulled data byte-identical"
is "$(bc data status)" "data matches the pointers" "clone clean"
cd "$T_TMP/p" || exit 99

# fsck finds a flipped byte inside a pack, quarantines the object
victim=set/s4/f0004
vsum=$(sha256sum "$victim" | cut -c1-64)
python3 - "$vsum" <<'PY'
import glob, os, struct, sys
want = bytes.fromhex(sys.argv[1])
for idx in glob.glob(".bancada/cache/packs/*.idx"):
    b = open(idx, "rb").read()
    n = struct.unpack("<Q", b[8:16])[0]
    for i in range(n):
        e = b[16 + 48 * i: 64 + 48 * i]
        if e[:32] == want:
            off = struct.unpack("<Q", e[32:40])[0]
            pack = idx[:-4] + ".pack"
            os.chmod(pack, 0o644)
            with open(pack, "r+b") as f:
                f.seek(off + 100)
                c = f.read(1)
                f.seek(off + 100)
                f.write(bytes([c[0] ^ 0x20]))
            sys.exit(0)
sys.exit(1)
PY
ok $? "flip one byte of a packed object"
out=$(bc data fsck 2>&1); rc=$?
is "$rc" 1 "fsck exits non-zero on a corrupt packed object"
like "$out" "corrupt $vsum" "and names it"
ok "$(ls .bancada/cache/quarantine | grep -q "$vsum"; echo $?)" "the corrupt object is quarantined"
like "$(bc data fsck 2>&1 | tail -1)" "all intact" "the next fsck is clean"
like "$(bc data status)" "not in cache.*s4/f0004|s4/f0004.*not in cache" "status: the dropped object is not in the cache"
bc data add set >/dev/null
is "$(bc data status)" "data matches the pointers" "re-adding stores it again"
like "$(bc data fsck 2>&1 | tail -1)" "all intact" "fsck clean after the re-add"

# gc drops packed objects nothing references any more
mkfiles tmpset 80 3
bc data add tmpset >/dev/null
before=$(du -sk .bancada/cache/packs | cut -f1)
rm -rf tmpset tmpset.bcd
out=$(bc data gc 2>&1); rc=$?
is "$rc" 0 "gc with unreferenced packed objects"
like "$out" "8[01] objects" "reports the dropped packed objects"
after=$(du -sk .bancada/cache/packs | cut -f1)
ok "$(test "$after" -lt "$before"; echo $?)" "the packs shrink ($before KiB -> $after KiB)"
like "$(bc data fsck 2>&1 | tail -1)" "all intact" "fsck clean after gc"
rm -rf set
bc data checkout >/dev/null 2>&1
is "$(sums set | diff - v2.sums && echo same)" "same" "referenced packed objects survive gc"

# kill -9 during a packed add: nothing half-visible, re-run converges
mkfiles big 3000 4
"$BANCADA" data add big >/dev/null 2>&1 &
pid=$!; sleep 0.15; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
out=$(bc data fsck 2>&1); rc=$?
is "$rc" 0 "fsck clean after kill -9 during a packed add"
out=$(bc data add big 2>&1); rc=$?
is "$rc" 0 "re-running the add converges"
is "$(bc data status big)" "data matches the pointers" "status clean"
git add -A >/dev/null && git commit -qm big
bc data gc >/dev/null
is "$(packs)" "$(idxs)" "gc leaves no pack without an index"
like "$(bc data fsck 2>&1 | tail -1)" "all intact" "fsck clean at the end"
rm -rf big
bc data checkout big >/dev/null 2>&1
is "$(bc data status big)" "data matches the pointers" "the re-added data checks out"

done_testing
