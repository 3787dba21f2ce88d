#!/bin/sh
# SPDX-License-Identifier: MIT
# Benchmark: `bancada import mlflow` of a generated mlruns/ file store against
# a straightforward Python reader of the same tree (standard library only:
# meta.yaml lines, one file per param/tag, metric lines parsed to floats),
# then a re-import with nothing changed.
#   bench/import-mlflow.sh [BANCADA_BINARY]
# Size: BENCH_RUNS (default 10000) x BENCH_METRICS (10) x BENCH_STEPS (1000),
# the import issue's tree (100 M points, about 3 GB of metric files); try
# BENCH_RUNS=1000 for a quick look. Goals: import >= 10x faster than the
# Python reader; re-import under 1 s. BENCH_TREE=DIR keeps the generated
# mlruns/ in DIR (generated there once, reused by later runs of the same size).
set -eu
BANCADA=${1:-${BANCADA:-./bancada}}
RUNS=${BENCH_RUNS:-10000}
METRICS=${BENCH_METRICS:-10}
STEPS=${BENCH_STEPS:-1000}
command -v python3 >/dev/null || { echo "bench: needs python3"; exit 77; }
PY=$(python3 -c "import sys; print(sys.executable)")
. "$(dirname "$0")/lib.sh"   # the real binary, not libtool's wrapper script
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/bc-bench-import.XXXXXX")
trap 'rm -rf "$dir"' EXIT
tree=${BENCH_TREE:-$dir/tree}
mkdir -p "$tree"
tree=$(cd "$tree" && pwd)
size="$RUNS $METRICS $STEPS"
cd "$dir"

if [ "$(cat "$tree/.size" 2>/dev/null)" != "$size" ]; then
echo "# generating mlruns/: $RUNS runs x $METRICS metrics x $STEPS steps in $tree"
rm -rf "$tree/mlruns" "$tree/.size"
"$PY" - "$RUNS" "$METRICS" "$STEPS" "$tree/mlruns" <<'EOF'
import os, sys
runs, metrics, steps = (int(a) for a in sys.argv[1:4])
root = os.path.join(sys.argv[4], "1")
os.makedirs(root)
with open(os.path.join(root, "meta.yaml"), "w") as f:
    f.write("artifact_location: file:./mlruns/1\nexperiment_id: '1'\nlifecycle_stage: active\nname: bench\n")
t0 = 1700000000000
for r in range(runs):
    rid = "%032x" % (r + 0xabc000)
    d = os.path.join(root, rid)
    for sub in ("params", "tags", "metrics", "artifacts"):
        os.makedirs(os.path.join(d, sub))
    with open(os.path.join(d, "meta.yaml"), "w") as f:
        f.write("artifact_uri: file:./mlruns/1/%s/artifacts\nend_time: %d\nentry_point_name: ''\n"
                "experiment_id: '1'\nlifecycle_stage: active\nrun_id: %s\nrun_name: run-%d\nrun_uuid: %s\n"
                "source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: %d\nstatus: 3\ntags: []\n"
                "user_id: bench\n" % (rid, t0 + r * 1000 + 900, rid, r, rid, t0 + r * 1000))
    for k, v in (("lr", "0.001"), ("batch_size", "64"), ("optimizer", "adam"), ("seed", str(r))):
        with open(os.path.join(d, "params", k), "w") as f:
            f.write(v)
    for k, v in (("mlflow.runName", "run-%d" % r), ("mlflow.user", "bench"), ("mlflow.source.git.commit", "%040x" % r)):
        with open(os.path.join(d, "tags", k), "w") as f:
            f.write(v)
    for m in range(metrics):
        lines = ["%d %r %d\n" % (t0 + s * 10, 1.0 / (s + m + 1), s) for s in range(steps)]
        with open(os.path.join(d, "metrics", "metric_%d" % m), "w") as f:
            f.write("".join(lines))
EOF
echo "$size" > "$tree/.size"
else
echo "# reusing $tree/mlruns: $RUNS runs x $METRICS metrics x $STEPS steps"
fi
du -sh "$tree/mlruns" | sed 's/^/# tree size: /'

cat > reader.py <<'EOF'
# A straightforward reader of an MLflow file store (what a Python script
# without MLflow would do): every run's meta, params, tags and full metric
# histories parsed into dicts.
import os, sys
def read_dir(path):
    out = {}
    if os.path.isdir(path):
        for base, _, files in os.walk(path):
            for name in files:
                with open(os.path.join(base, name)) as f:
                    out[os.path.relpath(os.path.join(base, name), path)] = f.read()
    return out
runs = points = 0
root = sys.argv[1]
for exp in os.listdir(root):
    ed = os.path.join(root, exp)
    if not os.path.isfile(os.path.join(ed, "meta.yaml")):
        continue
    for rid in os.listdir(ed):
        rd = os.path.join(ed, rid)
        if not os.path.isfile(os.path.join(rd, "meta.yaml")):
            continue
        meta = {}
        with open(os.path.join(rd, "meta.yaml")) as f:
            for line in f:
                k, _, v = line.partition(":")
                meta[k.strip()] = v.strip()
        params = read_dir(os.path.join(rd, "params"))
        tags = read_dir(os.path.join(rd, "tags"))
        series = {}
        for key, text in read_dir(os.path.join(rd, "metrics")).items():
            pts = []
            for line in text.splitlines():
                f = line.split()
                pts.append((int(f[0]), float(f[1]), int(f[2]) if len(f) > 2 else 0))
            series[key] = pts
            points += len(pts)
        runs += 1
print("python reader: %d runs, %d points" % (runs, points))
EOF

# time CMD...: "wall user sys" seconds into the file t
timed() { /usr/bin/time -f "%e %U %S" -o t "$@"; }
wall() { cut -d' ' -f1 t; }
cpu() { awk '{ printf "%.2f", $2 + $3 }' t; }
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
cat reader.py >/dev/null
sync
timed "$PY" reader.py "$tree/mlruns"
py_wall=$(wall); py_cpu=$(cpu)
mkdir proj && cd proj && "$BANCADA" init >/dev/null
timed "$BANCADA" import mlflow -q "$tree/mlruns"
bc_wall=$(wall); bc_cpu=$(cpu)
store_size=$(du -sh .bancada/bancada.db | cut -f1)
timed "$BANCADA" import mlflow "$tree/mlruns"
re_wall=$(wall); re_cpu=$(cpu)
printf '%-22s: %8s s wall %8s s cpu\n' "python reader" "$py_wall" "$py_cpu"
printf '%-22s: %8s s wall %8s s cpu (store: %s)\n' "bancada import" "$bc_wall" "$bc_cpu" "$store_size"
printf '%-22s: %8s s wall %8s s cpu (goal < 1 s)\n' "bancada re-import" "$re_wall" "$re_cpu"
echo "ratio python/bancada  : $(awk "BEGIN { printf \"%.1fx wall, %.1fx cpu\", $py_wall / ($bc_wall > 0 ? $bc_wall : 0.01), $py_cpu / ($bc_cpu > 0 ? $bc_cpu : 0.01) }") (goal >= 10x)"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
