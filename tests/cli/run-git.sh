#!/bin/sh
# SPDX-License-Identifier: MIT
# The git state of a run, through both paths: libgit2, and the fast path of
# core/gitfast.c (HEAD, refs and the index read in place, once libgit2 has
# found this commit and index clean). Each case asserts what `show --json`
# reports against what git itself says.
. "$top_srcdir/tests/lib/libtest.sh"

new_repo proj
cd proj
git add .gitignore && git commit -qm ignore
mkdir -p src && for i in 1 2 3 4 5; do echo "v$i" > src/f$i.txt; done
git add src && git commit -qm files
settle() { sleep 1.1; git status --porcelain >/dev/null; }   # no "racy" entries
field() { bc show @ --json | sed -n "s/^ *\"$1\": \"*\([^\",]*\)\"*,*\$/\1/p" | head -1; }
settle

bc run -q -- true
is "$(field commit)" "$(git rev-parse HEAD)" "clean tree: the commit (libgit2)"
is "$(field dirty)" false "clean tree: not dirty (libgit2)"
[ -s .bancada/tmp/git-clean ]; ok $? "the clean (commit, index) pair is remembered"
bc run -q -- true
is "$(field commit)" "$(git rev-parse HEAD)" "clean tree: the commit (fast path)"
is "$(field branch)" "$(git rev-parse --abbrev-ref HEAD)" "clean tree: the branch (fast path)"
is "$(field dirty)" false "clean tree: not dirty (fast path)"

# a changed file: dirty, with its patch
echo changed >> src/f3.txt
bc run -q -- true
is "$(field dirty)" true "a modified file makes the run dirty"
like "$(bc show @ --json)" "\\+changed" "and its patch is stored"
git checkout -q -- src/f3.txt && settle

# staged, and the work tree equal to the index: the index no longer matches HEAD
echo staged >> src/f1.txt && git add src/f1.txt && settle
bc run -q -- true
is "$(field dirty)" true "a staged change makes the run dirty"
git commit -qm staged && settle
bc run -q -- true
is "$(field commit)" "$(git rev-parse HEAD)" "after a commit: the new commit"
is "$(field dirty)" false "after a commit: clean"

# a deleted file, a new directory's file staged, a file replaced by a symlink
rm src/f2.txt
bc run -q -- true
is "$(field dirty)" true "a deleted file makes the run dirty"
git checkout -q -- src/f2.txt && settle
rm src/f4.txt && ln -s f5.txt src/f4.txt
bc run -q -- true
is "$(field dirty)" true "a file replaced by a symlink makes the run dirty"
git checkout -q -- src/f4.txt 2>/dev/null || { rm -f src/f4.txt && git checkout -q -- src/f4.txt; }
settle
bc run -q -- true
bc run -q -- true
is "$(field dirty)" false "restored: clean again"

# refs in packed-refs only, and a detached HEAD
git pack-refs --all
[ ! -e ".git/refs/heads/$(git rev-parse --abbrev-ref HEAD)" ]; ok $? "the branch lives in packed-refs only"
bc run -q -- true
is "$(field commit)" "$(git rev-parse HEAD)" "packed refs: the commit"
is "$(field branch)" "$(git rev-parse --abbrev-ref HEAD)" "packed refs: the branch"
git checkout -q --detach && settle
bc run -q -- true
bc run -q -- true
is "$(field commit)" "$(git rev-parse HEAD)" "detached HEAD: the commit"
unlike "$(bc show @ --json)" '"branch": "[^"]' "detached HEAD: no branch"

# run from a subdirectory: the same repository
(cd src && bc run -q -- true)
is "$(field commit)" "$(git rev-parse HEAD)" "from a subdirectory: the commit"

# a tree large enough for the lstat pass to be split across threads: a change
# in the last file (the last worker's range) and in the first are both seen
git checkout -q - 2>/dev/null || true
for d in $(seq -w 0 39); do mkdir -p many/d$d; done
awk 'BEGIN { for (i = 0; i < 6000; i++) { f = sprintf("many/d%02d/f%05d", i % 40, i); print i > f; close(f) } }'
git add many && git commit -qm many && settle
bc run -q -- true && bc run -q -- true
is "$(field dirty)" false "6,000 files, clean (fast path, several workers)"
last=$(git ls-files many | tail -1) first=$(git ls-files many | head -1)
echo more >> "$last"
bc run -q -- true
is "$(field dirty)" true "a change to the last of 6,000 files is seen"
git checkout -q -- "$last" && settle
bc run -q -- true && bc run -q -- true
is "$(field dirty)" false "clean again"
echo more >> "$first"
bc run -q -- true
is "$(field dirty)" true "a change to the first of 6,000 files is seen"
git checkout -q -- "$first" && settle

# right after a commit: the index's cache tree names the new commit's tree, so
# the first run knows the tree clean without libgit2 (LD_DEBUG lists what loads)
libgit2_loaded() { LD_DEBUG=libs "$BANCADA" run -q -- true 2>&1 | grep -c 'calling init: .*libgit2'; }
echo after > src/f5.txt && git commit -qam after && settle
is "$(libgit2_loaded)" 0 "after a commit: libgit2 not loaded"
is "$(field commit)" "$(git rev-parse HEAD)" "after a commit: the new commit (from the cache tree)"
is "$(field dirty)" false "after a commit: clean"
git reset -q --soft HEAD~1 && settle
[ "$(libgit2_loaded)" -ge 1 ]; ok $? "HEAD moved back, the index kept the new tree: libgit2 decides"
is "$(field commit)" "$(git rev-parse HEAD)" "the older commit"
is "$(field dirty)" true "its tree differs from the index: dirty"
like "$(bc show @ --json)" "\\+after" "and the staged change is the patch"
git commit -qm after-again && settle
echo staged-only >> src/f5.txt && git add src/f5.txt && settle
[ "$(libgit2_loaded)" -ge 1 ]; ok $? "a staged change (cache tree invalidated): libgit2 decides"
is "$(field dirty)" true "and finds it dirty"
done_testing
