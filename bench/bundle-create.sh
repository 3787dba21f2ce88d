#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: model bundles against the reference tools on the same file.
#   create  : bancada bundle create  vs  tar -I 'zstd -T0 -3' -cf (the goal's reference),
#             bsdtar --zstd (level 3, threads=ncpu) and zstd -3 -T<ncpu> (for information)
#   extract : bancada bundle extract vs  bsdtar -xf (same archive, same disk)
#   verify  : bancada bundle verify  vs  zstd -dc | openssl dgst -sha256
# Usage: BANCADA=/path/to/bancada bench/bundle-create.sh [SIZE_MIB]   (default 256; the goal says 2048)
# Prints medians of 3 runs and the ratios of the goals (G8, G9 in the performance anchors).
# bancada fsyncs the bundle before renaming it into place; the reference tools do not.
set -eu
SIZE=${1:-256}
BANCADA=${BANCADA:-bancada}
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
NCPU=$(nproc)
RUNS=${RUNS:-3}

if ! command -v bsdtar >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "# installing libarchive-tools for bsdtar" >&2
		apt-get install -y -qq libarchive-tools >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libarchive-tools >/dev/null; }
	else
		echo "bsdtar is missing: apt-get install libarchive-tools" >&2
		exit 1
	fi
fi
for t in zstd openssl python3 git; do
	command -v $t >/dev/null || { echo "$t is missing" >&2; exit 1; }
done

W=$(mktemp -d "${TMPDIR:-/var/tmp}/bc-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"
git init -q . && git -c user.name=b -c user.email=b@b commit -q --allow-empty -m init
"$BANCADA" init >/dev/null
mkdir model
# float32 weights ~ N(0, 0.02): exponent bytes skewed, mantissa bytes random (zstd saves ~8%)
python3 - "$SIZE" model/weights.bin <<'EOF'
import os, sys
size = int(sys.argv[1]) << 20
out = open(sys.argv[2], "wb")
try:
    import numpy as np
    rng = np.random.default_rng(1)
    left = size
    while left:
        n = min(left, 16 << 20)
        out.write(rng.normal(0, 0.02, n // 4).astype("<f4").tobytes())
        left -= n
except ImportError:
    # byte 3 of each little-endian float: sign | exponent >> 1, weighted like N(0, 0.02)
    table = bytes(([0x3c] * 70 + [0x3b] * 25 + [0x3d] * 20 + [0x3a] * 8 + [0x39] * 4 + [0x38]) * 1
                  + [0xbc] * 70 + [0xbb] * 25 + [0xbd] * 20 + [0xba] * 8 + [0xb9] * 3)
    table = (table * 2)[:256]
    left = size
    while left:
        n = min(left, 16 << 20)
        b = bytearray(os.urandom(n))
        b[3::4] = bytes(b[3::4]).translate(table)
        out.write(b)
        left -= n
out.close()
EOF
"$BANCADA" run -n bench -q -- true
cat model/weights.bin > /dev/null

# median "WALL CPU" seconds of RUNS runs of "$@" (PRE is run, untimed, before each);
# CPU (user + system, all threads and children) is the fairer figure on a loaded machine
median() {
	i=0; : > times
	while [ $i -lt "$RUNS" ]; do
		[ -n "${PRE:-}" ] && sh -c "$PRE"
		/usr/bin/time -f "%e %U %S" -o t1 "$@" >/dev/null 2>&1
		awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' t1 >> times
		i=$((i + 1))
	done
	sort -n times | sed -n "$(( (RUNS + 1) / 2 ))p"
}
mbs() { awk -v n="$SIZE" -v t="$1" 'BEGIN { printf "%.0f", n * 1.048576 / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }

PRE="rm -f b.tar.zst"
t_bc=$(median "$BANCADA" bundle create bench model -o b.tar.zst --force)
PRE="rm -f g.tar.zst"
t_tar=$(median tar -I 'zstd -T0 -3' -cf g.tar.zst model)
PRE="rm -f r.tar.zst"
t_bsd=$(median bsdtar --zstd --options "zstd:compression-level=3,zstd:threads=$NCPU" -cf r.tar.zst model)
PRE="rm -f r.zst"
t_zstd=$(median zstd -q -3 -T"$NCPU" model/weights.bin -o r.zst)
PRE=
"$BANCADA" bundle create bench model -o b.tar.zst --force >/dev/null
bsdtar --zstd --options "zstd:compression-level=3,zstd:threads=$NCPU" -cf r.tar.zst model
tar -I 'zstd -T0 -3' -cf g.tar.zst model
s_bc=$(stat -c %s b.tar.zst); s_tar=$(stat -c %s g.tar.zst); s_bsd=$(stat -c %s r.tar.zst); s_zstd=$(stat -c %s r.zst)

PRE="rm -rf x"
t_bcx=$(median "$BANCADA" bundle extract -q b.tar.zst x)
PRE="rm -rf y; mkdir y"
t_bsdx=$(median bsdtar -xf b.tar.zst -C y)
PRE=
t_bcv=$(median "$BANCADA" bundle verify -q b.tar.zst)
t_ref=$(median sh -c 'zstd -dc b.tar.zst | openssl dgst -sha256')

wall() { echo "${1% *}"; }
cpu() { echo "${1#* }"; }
row() { printf '%-44s %7s s wall %6s MB/s  %7s s cpu  %s\n' "$1" "$(wall "$2")" "$(mbs "$(wall "$2")")" "$(cpu "$2")" "${3:-}"; }
echo "# bundle benchmark: ${SIZE} MiB float32-like weights, $NCPU CPUs, median of $RUNS, load: $(cut -d' ' -f1-3 /proc/loadavg)"
row "bancada bundle create (tar.zst, level 3)" "$t_bc" "size $s_bc"
row "tar -I 'zstd -T0 -3' -cf" "$t_tar" "size $s_tar"
row "bsdtar --zstd level 3 threads=$NCPU" "$t_bsd" "size $s_bsd"
row "zstd -3 -T$NCPU (raw payload)" "$t_zstd" "size $s_zstd"
row "bancada bundle extract" "$t_bcx"
row "bsdtar -xf" "$t_bsdx"
row "bancada bundle verify" "$t_bcv"
row "zstd -dc | openssl dgst -sha256" "$t_ref"
r() { echo "wall $(ratio "$(wall "$1")" "$(wall "$2")")x, cpu $(ratio "$(cpu "$1")" "$(cpu "$2")")x"; }
echo "ratio create  vs tar -I zstd:   $(r "$t_bc" "$t_tar")   (goal >= 0.9)"
echo "size  create  vs tar -I zstd:   $(awk -v a="$s_bc" -v b="$s_tar" 'BEGIN { printf "%.4f", a / b }')   (goal within 1%)"
echo "ratio create  vs bsdtar:        $(r "$t_bc" "$t_bsd")   (information)"
echo "ratio create  vs zstd:          $(r "$t_bc" "$t_zstd")   (information)"
echo "ratio extract vs bsdtar:        $(r "$t_bcx" "$t_bsdx")   (fsyncs every file; bsdtar does not)"
echo "ratio verify  vs zstd|openssl:  $(r "$t_bcv" "$t_ref")   (goal >= 0.9)"
