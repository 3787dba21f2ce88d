#!/bin/sh
# SPDX-License-Identifier: MIT
# bundle create/verify/inspect/ls/extract/diff on real runs: reproducible
# bytes whatever the umask, cwd, mtimes, TZ or locale; standard tools read
# every format; run outputs are the default payload.
. "$top_srcdir/tests/lib/libtest.sh"

new_repo p
cd p || exit 99
mkdir -p out/model
python3 -c "
import struct, random
random.seed(7)
with open('out/model/weights.bin', 'wb') as f:
    f.write(b''.join(struct.pack('<f', random.gauss(0, 0.02)) for _ in range(50000)))
" || exit 99
echo '{"layers": 2}' > out/model/config.json
printf '\200\004K\001.' > out/model.pkl
bc run -n base -p lr=0.01 -p epochs=3 -q -- sh -c 'echo "{\"loss\": 0.25}" >> "$BANCADA_METRICS"' || exit 99
bc run -n tuned -p lr=0.02 -p epochs=3 -q -- sh -c 'echo "{\"loss\": 0.125}" >> "$BANCADA_METRICS"' || exit 99

sha() { sha256sum "$1" | cut -c1-64; }

# the same run twice, under different umask, cwd, mtimes, TZ and locale
(umask 022; TZ=UTC LC_ALL=C.UTF-8 bc bundle create base out/model out/model.pkl -o ../a.tar.zst --threads 1 >/dev/null)
ok $? "bundle create writes a tar.zst"
touch -d '2001-02-03 04:05' out/model/weights.bin
(cd out && umask 077 && TZ=Asia/Tokyo LC_ALL=C bc bundle create base model model.pkl -o ../../b.tar.zst --threads 2 >/dev/null)
ok $? "bundle create from a subdirectory under LC_ALL=C"
is "$(sha ../a.tar.zst)" "$(sha ../b.tar.zst)" "same run, same files: byte-identical archives (umask, cwd, mtime, TZ, LC_ALL, threads)"
for f in tar.gz tar.xz zip; do
	(umask 022; TZ=UTC bc bundle create base out/model out/model.pkl --format $f -o ../a.$f >/dev/null)
	(cd out && umask 077 && TZ=America/New_York LC_ALL=C bc bundle create base model model.pkl --format $f -o ../../b.$f >/dev/null)
	is "$(sha ../a.$f)" "$(sha ../b.$f)" "$f: byte-identical across environments"
done

# standard tools read every format, MANIFEST.json first, owner 0/0
is "$(tar -tf ../a.tar.zst | head -1)" "MANIFEST.json" "tar -tf reads tar.zst; the manifest is the first entry"
is "$(tar -tf ../a.tar.zst | tr '\n' ' ')" "MANIFEST.json model.pkl model/config.json model/weights.bin " "entries sorted by path"
is "$(od -An -tx1 -N5 ../a.tar.zst | tr -d ' \n')" "28b52ffda0" "tar.zst starts with the stored manifest frame (share/bundle-format.md)"
is "$(zstd -dc ../a.tar.zst | tar -t | tr '\n' ' ')" "MANIFEST.json model.pkl model/config.json model/weights.bin " "zstd -dc | tar reads both frames as one archive"
like "$(head -c 4096 ../a.tar.zst | tr -d '\0')" '"format": "bancada-bundle/1"' "the manifest is readable in the archive's first bytes"
like "$(tar -tvf ../a.tar.gz)" "^-rw-r--r-- 0/0 " "tar.gz: mode 0644, uid/gid 0"
is "$(xz -dc ../a.tar.xz | tar -t | wc -l)" "4" "tar.xz readable by xz | tar"
like "$(unzip -l ../a.zip)" "model/weights.bin" "unzip -l reads the zip"
is "$(cd .. && unzip -p a.zip model/config.json)" '{"layers": 2}' "unzip extracts the payload"
manifest=$(tar -xOf ../a.tar.zst MANIFEST.json)
like "$manifest" '"format": "bancada-bundle/1"' "manifest format"
like "$manifest" '"lr": 0.01' "manifest provenance has params"
like "$manifest" '"commit": "[0-9a-f]{40}"' "manifest provenance has the git commit"
like "$manifest" '"executable_content": "pickle"' "pickle flagged as executable content"

# verify, inspect, ls
out=$(bc bundle verify ../a.tar.zst); ok $? "verify accepts an intact bundle"
like "$out" "^ok: 3 files" "verify reports the file count"
for f in tar.gz tar.xz zip; do bc bundle verify -q ../a.$f; ok $? "verify accepts $f"; done
out=$(bc bundle inspect ../a.tar.zst)
like "$out" "lr = 0.01" "inspect shows params"
like "$out" "model.pkl.*executable content: pickle" "inspect flags the pickle"
like "$out" "loss = 0.25" "inspect shows metric summaries"
bc bundle inspect --json ../a.tar.zst > insp.json
python3 -c "import json,sys; d=json.load(open('insp.json')); sys.exit(0 if d['manifest']['name']=='base' and d['executable_content'][0]['kind']=='pickle' else 1)"
ok $? "inspect --json is JSON with the manifest and executable content"
like "$(bc bundle ls)" "base .*a.tar.zst" "ls lists the registered bundle"
bc bundle ls --json | python3 -c "import json,sys; sys.exit(0 if len(json.load(sys.stdin)) >= 5 else 1)"
ok $? "ls --json lists every created bundle"

# extract: into a new dir, refused into a non-empty one
bc bundle extract ../a.tar.zst ../x >/dev/null; ok $? "extract into a new directory"
cmp -s ../x/model/weights.bin out/model/weights.bin; ok $? "extracted file equals the original"
is "$(stat -c %a ../x/model/weights.bin)" "644" "extracted file mode 0644"
is "$(ls -a .. | grep -c '\.bancada-')" "0" "no staging directory left behind"
mkdir ../full && echo keep > ../full/keep
out=$(bc bundle extract ../a.tar.zst ../full 2>&1); rc=$?
is "$rc" "1" "extract into a non-empty directory fails"
like "$out" "not empty" "and says why"
is "$(ls ../full)" "keep" "the non-empty directory is untouched"
mkdir ../empty && bc bundle extract -q ../a.zip ../empty; ok $? "extract into an empty directory (zip)"

# default payload: the run's declared outputs; name@version resolution
python3 -c "
import sqlite3
db = sqlite3.connect('.bancada/bancada.db')
db.execute(\"INSERT INTO run_io(run,is_output,path,hash) SELECT id,1,'out/model',NULL FROM runs WHERE name='tuned'\")
db.commit()" || exit 99
out=$(bc bundle create tuned --version 2 -o ../t.tar.zst --meta stage=prod); ok $? "create with the run's outputs by default"
is "$(tar -tf ../t.tar.zst | tr '\n' ' ')" "MANIFEST.json out/model/config.json out/model/weights.bin " "outputs keep their project-relative path"
bc bundle verify -q tuned@2; ok $? "verify NAME@VERSION resolves through the registry"
out=$(bc bundle diff ../a.tar.zst tuned@2)
like "$out" "params.lr: 0.01 -> 0.02" "diff shows the param change"
like "$out" "metrics.loss: 0.25 -> 0.125 \(-0.125\)" "diff shows the metric delta"
like "$out" "files.model.pkl" "diff shows payload differences"
like "$out" "meta.stage" "diff shows meta"

# non-ASCII names under a non-UTF-8 locale (LANG=C over SSH): bundles are always UTF-8
uname=$(printf 'intl/mod\303\250le-\346\250\241\345\236\213.bin')
mkdir -p intl && printf 'w' > "$uname"
out=$(LC_ALL=C LANG=C bc bundle create base intl -o ../i.tar.zst 2>&1); ok $? "create with UTF-8 names under LC_ALL=C"
out=$(LC_ALL=C LANG=C bc bundle verify ../i.tar.zst 2>&1); ok $? "verify under LC_ALL=C"
LC_ALL=C LANG=C bc bundle extract -q ../i.tar.zst ../ix; ok $? "extract under LC_ALL=C"
test -f "../ix/$uname"; ok $? "the UTF-8 name is extracted byte for byte"
is "$(tar -tf ../i.tar.zst | sed -n 2p)" "$uname" "tar sees the same UTF-8 name"

# a trained model, pickled by a tracked run, leaves as a bundle and loads elsewhere
# (scikit-learn when installed, else a pure-Python model with the same interface)
cat > line.py <<'PYEOF'
class Line:
    def fit(self, xs, ys):
        n = len(xs); mx = sum(x[0] for x in xs) / n; my = sum(ys) / n
        self.a = sum((x[0] - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x[0] - mx) ** 2 for x in xs)
        self.b = my - self.a * mx
        return self
    def predict(self, xs):
        return [self.a * x[0] + self.b for x in xs]
PYEOF
cat > fit.py <<'PYEOF'
import json, os, pickle
try:
    from sklearn.linear_model import LinearRegression as Model
except ImportError:
    from line import Line as Model
m = Model().fit([[0], [1], [2]], [1, 3, 5])
os.makedirs("trained", exist_ok=True)
pickle.dump(m, open("trained/model.pkl", "wb"))
print(json.dumps({"r2": 1.0}), file=open(os.environ["BANCADA_METRICS"], "a"))
PYEOF
bc run -n fit -q -- python3 fit.py; ok $? "a tracked run trains and pickles a model"
bc bundle create fit trained -o ../model.tar.zst >/dev/null; ok $? "bundle the pickled model"
bc bundle verify -q ../model.tar.zst; ok $? "verify the model bundle"
mkdir ../elsewhere && cp line.py ../elsewhere/ && bc bundle extract -q ../model.tar.zst ../elsewhere/m
ok $? "extract it elsewhere"
pred=$(cd ../elsewhere && python3 -c "
import pickle
print(round(float(pickle.load(open('m/trained/model.pkl', 'rb')).predict([[10]])[0]), 3))")
is "$pred" "21.0" "the framework loads the extracted model and predicts"

# refused inputs
ln -s out/model.pkl link.pkl
out=$(bc bundle create base link.pkl -o ../l.tar.zst 2>&1); rc=$?
is "$rc" "1" "a symlink input is refused"
like "$out" "symbolic link" "with a clear error"
mkfifo fifo
out=$(timeout 5 "$BANCADA" bundle create base fifo -o ../f.tar.zst 2>&1); rc=$?
is "$rc" "1" "a FIFO input is refused (no hang)"
test ! -e ../l.tar.zst && test ! -e ../f.tar.zst; ok $? "nothing written for refused inputs"
out=$(bc bundle create base out/model -o ../a.tar.zst 2>&1); rc=$?
is "$rc" "1" "an existing output is not overwritten without --force"
is "$(ls .. | grep -c '\.tmp\.')" "0" "no temp files left"

done_testing
