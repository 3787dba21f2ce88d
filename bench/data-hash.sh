#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark `bancada data add` against reference hashers on the same files,
# in the same run: one large file (warm page cache) vs `openssl dgst -sha256`
# and `sha256sum`, and many small files vs `xargs -P2 sha256sum` and `cp -r`.
# Also `data status` on the unchanged tree vs a `find -printf` stat walk, and
# `data checkout` of the large file vs `cp`.
#
# usage: bench/data-hash.sh [BANCADA] [SIZE_MIB] [NFILES]
# (defaults: ./bancada, 1024 MiB, or less when the disk is short; 20000 files)
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
case $BANCADA in /*) ;; *) BANCADA=$(pwd)/$BANCADA ;; esac
SIZE_MIB=${2:-1024}
NFILES=${3:-20000}
W=$(mktemp -d "${TMPDIR:-/tmp}/bc-bench.XXXXXX")
trap 'chmod -R u+w "$W" 2>/dev/null; rm -rf "$W"' EXIT
avail=$(df -Pm "$W" | awk 'NR == 2 { print $4 }')
# the file, its cache copy and a checkout copy must fit, with room to spare
while [ $((SIZE_MIB * 4)) -gt "$avail" ] && [ "$SIZE_MIB" -gt 64 ]; do SIZE_MIB=$((SIZE_MIB / 2)); done

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
mbps() { echo "scale=0; $1 / $2 / 1000000" | bc -l; }
best() { # best CMD...: fastest of 3 runs, in seconds
	b=""
	for _ in 1 2 3; do
		t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
		t=$(secs "$t0" "$t1")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

cd "$W"
git init -q p && cd p && "$BANCADA" init >/dev/null
echo "== one large file: $SIZE_MIB MiB, warm page cache"
head -c $((SIZE_MIB * 1048576)) /dev/urandom > big.bin
bytes=$((SIZE_MIB * 1048576))
cat big.bin > /dev/null
t_ossl=$(best openssl dgst -sha256 big.bin)
t_sum=$(best sha256sum big.bin)
# add: hash + copy into the cache + fsync (clean cache each time)
add_big() { rm -f big.bin.bcd; chmod -R u+w ../p/.bancada/cache; rm -rf ../p/.bancada/cache/??; "$BANCADA" data add big.bin; }
t_add=$(best add_big)
# re-add of the unchanged file: stat cache, no read
t_noop=$(best "$BANCADA" data add big.bin)
# hash alone through the same code path: fsck re-hashes the one object
t_fsck=$(best "$BANCADA" data fsck)
printf '%-40s %8.3f s %6s MB/s\n' "openssl dgst -sha256" "$t_ossl" "$(mbps $bytes "$t_ossl")"
printf '%-40s %8.3f s %6s MB/s\n' "sha256sum (coreutils)" "$t_sum" "$(mbps $bytes "$t_sum")"
printf '%-40s %8.3f s %6s MB/s\n' "bancada data fsck (hash only)" "$t_fsck" "$(mbps $bytes "$t_fsck")"
printf '%-40s %8.3f s %6s MB/s\n' "bancada data add (hash+copy+fsync)" "$t_add" "$(mbps $bytes "$t_add")"
printf '%-40s %8.3f s\n' "bancada data add, unchanged (no-op)" "$t_noop"
echo "ratio hash-only throughput vs openssl dgst: $(ratio "$t_ossl" "$t_fsck")x"
t_hash=$(secs "$t_noop" "$t_fsck")
echo "  same, minus bancada's start-up (no-op add): $(ratio "$t_ossl" "$t_hash")x"
echo "ratio add throughput vs openssl dgst:       $(ratio "$t_ossl" "$t_add")x"
echo "ratio add throughput vs sha256sum:          $(ratio "$t_sum" "$t_add")x"
t_cpsync=$(best sh -c 'cp big.bin ../copy.bin && sync')
echo "ratio add vs cp && sync (one pass target): $(ratio "$t_cpsync" "$t_add")x"
co_big() { rm -f big.bin; "$BANCADA" data checkout big.bin; }
t_co=$(best co_big)
t_cp=$(best cp big.bin ../copy2.bin)
echo "ratio checkout vs cp (no sync):             $(ratio "$t_cp" "$t_co")x   (checkout verifies and fsyncs)"
echo "ratio checkout vs cp && sync:               $(ratio "$t_cpsync" "$t_co")x"
rm -f ../copy.bin ../copy2.bin

echo "== many small files: $NFILES files of 1-16 KiB, warm"
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
t_xargs=$(best sh -c 'find small -type f -print0 | xargs -0 -P2 -n 2000 sha256sum')
t_cpr=$(best sh -c 'rm -rf ../cpr && cp -r small ../cpr')
add_small() { rm -f small.bcd; chmod -R u+w ../p/.bancada/cache; rm -rf ../p/.bancada/cache/??; "$BANCADA" data add small; }
t_adds=$(best add_small)
t_stat=$(best sh -c "find small -printf '%s %T@ %i\n'")
t_status=$(best "$BANCADA" data status small)
printf '%-40s %8.3f s %8s files/s\n' "xargs -P2 sha256sum" "$t_xargs" "$(echo "$NFILES / $t_xargs" | bc)"
printf '%-40s %8.3f s %8s files/s\n' "cp -r" "$t_cpr" "$(echo "$NFILES / $t_cpr" | bc)"
printf '%-40s %8.3f s %8s files/s\n' "bancada data add (dir)" "$t_adds" "$(echo "$NFILES / $t_adds" | bc)"
printf '%-40s %8.3f s\n' "find -printf (stat walk)" "$t_stat"
printf '%-40s %8.3f s\n' "bancada data status (unchanged)" "$t_status"
echo "ratio add vs xargs -P2 sha256sum:           $(ratio "$t_xargs" "$t_adds")x"
echo "ratio add vs cp -r:                         $(ratio "$t_cpr" "$t_adds")x"
echo "ratio status vs find -printf stat walk:     $(ratio "$t_status" "$t_stat")x (lower is better; goal <= 1.5)"
