#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark `bancada data` against reference tools on the same files, in the
# same run: one large file (warm page cache) vs `openssl dgst -sha256`,
# `sha256sum` and `cp`; many small files vs `cp -r` and `xargs -P2 sha256sum`;
# `data status` on the unchanged tree vs a `find -printf` stat walk.
# Every figure is the fastest of 3 runs: wall time and CPU time (user+sys).
#
# Destinations are fresh for every run (a new project, a new cp target) and
# nothing is deleted until the end: on ext4 without a journal, inodes freed in
# the last minute are skipped by the allocator (recently_deleted), which makes
# whoever creates files right after a big delete pay for it.
#
# usage: bench/data-hash.sh [BANCADA] [SIZE_MIB] [NFILES]
# (defaults: ./bancada, 1024 MiB, or less when the disk is short; 100000
# files, the issue's figure. SIZE_MIB 0 skips the large-file part.)
# TMPDIR picks the filesystem (e.g. a reflink-capable xfs mount).
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
SIZE_MIB=${2:-1024}
NFILES=${3:-100000}
W=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench.XXXXXX")
trap 'chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"' EXIT
avail=$(df -Pm "$W" | awk 'NR == 2 { print $4 }')
# the file and its copies (cache, checkout, cp: 3 runs each) must fit
while [ $((SIZE_MIB * 14)) -gt "$avail" ] && [ "$SIZE_MIB" -gt 64 ]; do SIZE_MIB=$((SIZE_MIB / 2)); done

ratio() { echo "scale=2; $1 / $2" | bc -l; }
mbps() { echo "scale=0; $1 / $2 / 1000000" | bc -l; }
# one CMD... -> "WALL CPU" seconds (CPU = user + sys of the command)
one() {
	/usr/bin/time -f "%e %U %S" -o "$W/.t" "$@" >/dev/null 2>&1 || true
	tail -n 1 "$W/.t" | awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }'
}
# best SETUP CMD...: run SETUP (untimed) then CMD, 3 times; the fastest
best() {
	setup=$1
	shift
	b=""
	for _ in 1 2 3; do
		$setup
		r=$(one "$@")
		if [ -z "$b" ] || [ "$(echo "${r% *} < ${b% *}" | bc -l)" = 1 ]; then b=$r; fi
	done
	echo "$b"
}
nop() { :; }
wall() { echo "${1% *}"; }
cpu() { echo "${1#* }"; }
row() { # row LABEL "WALL CPU" [EXTRA]
	printf '%-44s %7.3f s  cpu %7.3f s  %s\n' "$1" "$(wall "$2")" "$(cpu "$2")" "${3:-}"
}
fresh_project() { # a new project holding $1 (moved from the current one)
	d=$(mktemp -d "$W/p.XXXXXX")
	(cd "$d" && git init -q && "$BANCADA" init >/dev/null)
	mv "$W/cur/$1" "$d/$1"
	rm -f "$W/cur" && ln -s "${d##*/}" "$W/cur"
}

echo "filesystem: $(stat -f -c %T "$W"), $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir "$W/p0" && ln -s p0 "$W/cur"
cd "$W/p0" && git init -q && "$BANCADA" init >/dev/null

if [ "$SIZE_MIB" -gt 0 ]; then
echo "== one large file: $SIZE_MIB MiB, warm page cache"
head -c $((SIZE_MIB * 1048576)) /dev/urandom > big.bin
bytes=$((SIZE_MIB * 1048576))
cat big.bin > /dev/null
r_ossl=$(best nop openssl dgst -sha256 "$W/cur/big.bin")
r_sum=$(best nop sha256sum "$W/cur/big.bin")
# each copy to a new name: sh -c 'd=$(mktemp -u ...) && cp ... "$d"'
CPTO='d=$(mktemp -u "$2.XXXXXX") && cp $3 "$1" "$d"'
r_cpsync=$(best nop sh -c "$CPTO && sync \"\$d\"" sh "$W/cur/big.bin" "$W/cpsync" "")
new_big() { fresh_project big.bin; cd "$W/cur"; }
r_add=$(best new_big "$BANCADA" data add big.bin)
cd "$W/cur"
r_noop=$(best nop "$BANCADA" data add big.bin)
r_fsck=$(best nop "$BANCADA" data fsck)
row "openssl dgst -sha256" "$r_ossl" "$(mbps $bytes "$(wall "$r_ossl")") MB/s"
row "sha256sum (coreutils)" "$r_sum" "$(mbps $bytes "$(wall "$r_sum")") MB/s"
row "cp && sync" "$r_cpsync"
row "bancada data fsck (hash only)" "$r_fsck" "$(mbps $bytes "$(wall "$r_fsck")") MB/s"
row "bancada data add (hash+store+fsync)" "$r_add" "$(mbps $bytes "$(wall "$r_add")") MB/s"
row "bancada data add, unchanged (no-op)" "$r_noop"
echo "ratio hash only vs openssl dgst:        $(ratio "$(wall "$r_ossl")" "$(wall "$r_fsck")")x"
echo "ratio add vs openssl dgst:              $(ratio "$(wall "$r_ossl")" "$(wall "$r_add")")x wall, $(ratio "$(cpu "$r_ossl")" "$(cpu "$r_add")")x cpu"
echo "ratio add vs cp && sync:                $(ratio "$(wall "$r_cpsync")" "$(wall "$r_add")")x"
co_setup() { rm -f "$W/cur/big.bin"; }
want=$(openssl dgst -sha256 -r "$W/cur/big.bin" | cut -c1-64)
r_co=$(best co_setup "$BANCADA" data checkout big.bin)
got=$(openssl dgst -sha256 -r "$W/cur/big.bin" | cut -c1-64)
[ "$got" = "$want" ] || { echo "bench: the checked-out file differs from the one added" >&2; exit 1; }
r_cp=$(best nop sh -c "$CPTO" sh "$W/cur/big.bin" "$W/cp" "")
r_cpnr=$(best nop sh -c "$CPTO && sync \"\$d\"" sh "$W/cur/big.bin" "$W/cpnr" --reflink=never)
row "bancada data checkout (stamped: in-kernel copy)" "$r_co"
row "cp" "$r_cp"
row "cp --reflink=never && sync" "$r_cpnr"
echo "ratio checkout vs cp:                   $(ratio "$(wall "$r_cp")" "$(wall "$r_co")")x"
echo "ratio checkout vs cp --reflink=never && sync: $(ratio "$(wall "$r_cpnr")" "$(wall "$r_co")")x"
rm -f "$W"/cp.* "$W"/cpsync.* "$W"/cpnr.* "$W"/cur/big.bin
fi

echo "== many small files: $NFILES files of 1-16 KiB, warm"
cd "$W/cur"
python3 - "$NFILES" <<'PY'
import os, random, sys
n = int(sys.argv[1]); rnd = random.Random(7)
for i in range(n):
    d = "small/d%d" % (i % 100)
    os.makedirs(d, exist_ok=True)
    with open("%s/f%d" % (d, i), "wb") as f:
        f.write(os.urandom(rnd.randint(1024, 16384)))
PY
find small -type f -exec cat {} + > /dev/null
r_xargs=$(best nop sh -c "cd '$W/cur' && find small -type f -print0 | xargs -0 -P2 -n 2000 sha256sum")
r_cpr=$(best nop sh -c 'd=$(mktemp -u "$2.XXXXXX") && cp -r "$1" "$d"' sh "$W/cur/small" "$W/cpr")
# add makes its objects durable (one fsync per pack): the same for cp -r
r_cprs=$(best nop sh -c 'd=$(mktemp -u "$2.XXXXXX") && cp -r "$1" "$d" && sync -f "$d"' sh "$W/cur/small" "$W/cprs")
new_small() { fresh_project small; cd "$W/cur"; }
r_adds=$(best new_small "$BANCADA" data add small)
cd "$W/cur"
r_stat=$(best nop find small -printf '%s %T@ %i\n')
# the full status (stat cache, manifest, listing) writes the directory's
# snapshot (.bancada/tmp/stat/); later ones stat against the snapshot alone
forget_snap() { rm -rf "$W/cur/.bancada/tmp/stat"; }
r_status_full=$(best forget_snap "$BANCADA" data status small)
r_status=$(best nop "$BANCADA" data status small)
r_ver=$(best nop "$BANCADA" --version)
fps() { echo "$NFILES / $(wall "$1")" | bc; }
row "xargs -P2 sha256sum" "$r_xargs" "$(fps "$r_xargs") files/s"
row "cp -r" "$r_cpr" "$(fps "$r_cpr") files/s"
row "cp -r && sync -f (durable, as add is)" "$r_cprs" "$(fps "$r_cprs") files/s"
row "bancada data add (dir)" "$r_adds" "$(fps "$r_adds") files/s, $(ls "$W/cur/.bancada/cache/packs" 2>/dev/null | grep -c "\.pack$") pack(s)"
row "find -printf (stat walk)" "$r_stat"
row "bancada data status (full, writes snapshot)" "$r_status_full"
row "bancada data status (unchanged)" "$r_status"
row "bancada --version (start-up)" "$r_ver"
echo "ratio add vs cp -r:                     $(ratio "$(wall "$r_cpr")" "$(wall "$r_adds")")x wall, $(ratio "$(cpu "$r_cpr")" "$(cpu "$r_adds")")x cpu"
echo "ratio add vs cp -r && sync -f:          $(ratio "$(wall "$r_cprs")" "$(wall "$r_adds")")x wall, $(ratio "$(cpu "$r_cprs")" "$(cpu "$r_adds")")x cpu"
echo "ratio add vs xargs -P2 sha256sum:       $(ratio "$(wall "$r_xargs")" "$(wall "$r_adds")")x"
echo "add vs git annex add at 80 files/s (the issue's figure for Debian's git-annex): $(echo "scale=0; $(fps "$r_adds") / 80" | bc)x"
echo "ratio status vs find -printf stat walk: $(ratio "$(wall "$r_status")" "$(wall "$r_stat")")x wall, $(ratio "$(cpu "$r_status")" "$(cpu "$r_stat")")x cpu (lower is better)"
echo "ratio full status vs stat walk:         $(ratio "$(wall "$r_status_full")" "$(wall "$r_stat")")x wall, $(ratio "$(cpu "$r_status_full")" "$(cpu "$r_stat")")x cpu (lower is better)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
