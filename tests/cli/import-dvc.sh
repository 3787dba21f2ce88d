#!/bin/sh
# SPDX-License-Identifier: MIT
# `bancada import dvc`: experiments under refs/exps made with git plumbing
# (a generated repo, always), bad input, and repos rebuilt from the DVC
# fixtures in $BANCADA_FIXTURES checked against the files.
. "$top_srcdir/tests/lib/libtest.sh"
command -v python3 >/dev/null || skip_all "python3 is needed to read exports"
# the real interpreter: version-manager shims cost a second per call
PY=$(python3 -c "import sys; print(sys.executable)")

# snap REPO DIR PARENT MSG [OVERLAY]: commit DIR's files (over PARENT's tree if OVERLAY)
snap() {
	idx=$T_TMP/index.tmp; rm -f "$idx"
	if [ -n "${5:-}" ]; then GIT_INDEX_FILE=$idx git --git-dir="$1/.git" read-tree "$3"; fi
	GIT_INDEX_FILE=$idx git --git-dir="$1/.git" --work-tree="$2" add -f --ignore-removal . -- ':!SOURCE.md'
	tree=$(GIT_INDEX_FILE=$idx git --git-dir="$1/.git" write-tree)
	rm -f "$idx"
	git --git-dir="$1/.git" commit-tree "$tree" ${3:+-p "$3"} -m "$4"
}
# expref REPO BASELINE COMMIT NAME: what `dvc exp run` leaves behind
expref() {
	git --git-dir="$1/.git" update-ref "refs/exps/$(echo "$2" | cut -c1-2)/$(echo "$2" | cut -c3-)/$4" "$3"
}
refresh() { bc export 2>/dev/null > "$T_TMP/cur.jsonl"; }
field() { # field NAME|COMMIT PYTHON-EXPR: evaluate on the last export's record `r`
	"$PY" -c "import json, sys
for l in open(sys.argv[2]):
    r = json.loads(l)
    if sys.argv[1] in (r['name'], r['git']['commit']): print($2)" "$1" "$T_TMP/cur.jsonl"
}

# ---- a generated project: the repo is the bancada project itself ----
mkdir proj && cd proj && git init -q && mkdir -p dvclive/plots/metrics/train data || exit 99
printf 'train:\n  lr: 0.1\n  layers: [8, 4]\n' > params.yaml
printf 'schema: "2.0"\nstages:\n  train:\n    cmd: python train.py\n    deps:\n    - path: data/raw\n      hash: md5\n      md5: 00aa.dir\n    outs:\n    - path: model.pkl\n      hash: md5\n      md5: 11bb\n' > dvc.lock
printf 'outs:\n- md5: 00aa.dir\n  path: raw\n  hash: md5\n' > data/raw.dvc
printf '{"train": {"loss": 0.25}, "acc": 0.75, "step": 2}' > dvclive/metrics.json
printf 'step\tloss\n0\t1.0\n1\t0.5\n2\t0.25\n' > dvclive/plots/metrics/train/loss.tsv
git add -A && git commit -qm baseline && base=$(git rev-parse HEAD)
bc init >/dev/null
G=$PWD/gen; mkdir -p "$G"
printf 'train:\n  lr: 0.01\n  layers: [8, 4]\n' > "$G/params.yaml"
e1=$(snap "$PWD" "$G" "$base" "dvc: commit experiment" 1); expref "$PWD" "$base" "$e1" tidy-lynx
git update-ref refs/exps/stash "$e1"
out=$(bc import dvc 2>&1); rc=$?
refresh
is "$rc" 0 "import dvc with no REPO uses the project's repository"
like "$out" '^dvc: 2 added, 0 updated, 0 unchanged, 0 skipped$' "experiment and baseline added, stash ignored"
is "$(field tidy-lynx "r['params']['train.lr']")" 0.01 "experiment params from its commit"
is "$(field main "r['params']['train.lr']")" 0.1 "baseline run named after its branch"
is "$(bc metrics tidy-lynx train.loss --csv | tail -1 | cut -d, -f1-3)" 'train.loss,2,0.25' "DVCLive TSV series"
is "$(field tidy-lynx "[i['path'] + ' ' + i['hash'] for i in r['inputs']]")" "['data/raw md5:00aa.dir']" "inputs with DVC's md5"
is "$(field tidy-lynx "[i['path'] + ' ' + i['hash'] for i in r['outputs']]")" "['model.pkl md5:11bb']" "outputs from dvc.lock"
is "$(field tidy-lynx "r['source']['tool'] + ' ' + r['git']['commit']")" "dvc $e1" "source and commit recorded"
is "$(bc ls --ids --filter 'experiment = "main"' | wc -l)" 2 "experiment = baseline branch"
like "$(bc import dvc 2>&1)" '^dvc: 0 added, 0 updated, 2 unchanged' "second import changes nothing"
# the experiment is run again under the same name, and a new one appears
printf 'train:\n  lr: 0.001\n' > "$G/params.yaml"
printf 'step\tloss\n0\t1.0\nbad\tline\n' > "$G/loss.tsv"
mkdir -p "$G/dvclive/plots/metrics/train" && mv "$G/loss.tsv" "$G/dvclive/plots/metrics/train/loss.tsv"
printf 'train: [unclosed\n' > "$G/broken.yaml"
printf 'params:\n- broken.yaml\n' > "$G/dvc.yaml"
e2=$(snap "$PWD" "$G" "$base" "dvc: commit experiment" 1); expref "$PWD" "$base" "$e2" tidy-lynx
e3=$(snap "$PWD" "$G" "$base" "dvc: commit experiment" 1); expref "$PWD" "$base" "$e1" bold-otter
bc import dvc > out.txt 2> err.txt; rc=$?
refresh
is "$rc" 0 "re-run experiment imports"
like "$(cat out.txt)" '^dvc: 1 added, 1 updated, 1 unchanged, 0 skipped, 1 bad metric lines skipped' "one new, one updated"
like "$(cat err.txt)" "broken.yaml: line [0-9]+" "a broken params file is named with its line"
like "$(cat err.txt)" "loss.tsv:3: malformed line skipped" "a bad TSV line is named"
is "$(field tidy-lynx "r['params']['train.lr']")" 0.001 "updated experiment has the new params"
is "$(bc ls --ids --all | wc -l)" 3 "no duplicate runs"
out=$(bc import dvc /nonexistent 2>&1); rc=$?
is "$rc" 1 "a missing repository fails"
like "$out" '^bancada: /nonexistent is not inside a git repository' "with a one-line error"

# ---- repositories rebuilt from the fixtures ----
fx=${BANCADA_FIXTURES:-}
if [ -z "$fx" ] || [ ! -d "$fx/dvc-example-get-started" ]; then
	echo "ok $((T_N + 1)) # SKIP fixtures not found (\$BANCADA_FIXTURES)"; T_N=$((T_N + 1))
	done_testing
fi
cd "$T_TMP" && git init -q gs && git init -q gse && mkdir fxp && cd fxp && bc init >/dev/null
F=$fx/dvc-example-get-started R=$T_TMP/gs
c1=$(snap "$R" "$F/v1-2020-05-3df98ae" "" v1); c2=$(snap "$R" "$F/v2-2021-06-bee447d" "$c1" v2)
c3=$(snap "$R" "$F/v3-2023-07-a00dcb4" "$c2" v3); c4=$(snap "$R" "$F/v4-main-06ea489" "$c3" v4)
git -C "$R" update-ref refs/heads/main "$c4"; git -C "$R" tag v1 "$c1"
e=$(snap "$R" "$F/exp-messy-tire" "$c4" "dvc: commit experiment" 1); expref "$R" "$c4" "$e" messy-tire
e=$(snap "$R" "$F/exp-minor-coos" "$c4" "dvc: commit experiment" 1); expref "$R" "$c4" "$e" minor-coos
e=$(snap "$R" "$F/v2-2021-06-bee447d" "$c1" "dvc: commit experiment"); expref "$R" "$c1" "$e" old-format
F2=$fx/dvc-example-get-started-experiments R2=$T_TMP/gse
d1=$(snap "$R2" "$F2/v1-notebook-dvclive-fa9e4f4" "" v1); d2=$(snap "$R2" "$F2/v2-main-pipeline-afdf89b" "$d1" v2)
d3=$(snap "$R2" "$F2/v3-best-exp-ba3a1ae" "$d2" v3 1)
git -C "$R2" update-ref refs/heads/main "$d2"; git -C "$R2" update-ref refs/heads/best-exp "$d3"
expref "$R2" "$d2" "$d3" crumb-hobo
d4=$(snap "$R2" "$F2/exp-dutch-heck" "$d1" "dvc: commit experiment" 1); expref "$R2" "$d1" "$d4" dutch-heck
out=$(bc import dvc "$R" "$R2" 2>&1); rc=$?
refresh
is "$rc" 0 "both fixture repositories import"
like "$out" "dvc $R: 5 added" "get-started: 3 experiments + main + v1 (tag) baselines"
like "$out" "dvc $R2: 4 added" "get-started-experiments: 2 experiments + 2 baselines"
is "$(field messy-tire "r['params']['train.n_est'], r['params']['train.min_split']")" \
	"$(grep -E '^  (n_est|min_split):' "$F/exp-messy-tire/params.yaml" | awk '{print $2}' | paste -sd' ')" \
	"messy-tire params as in its params.yaml"
is "$(field v1 "r['metrics']['auc']['last']")" "$(cat "$F/v1-2020-05-3df98ae/auc.metric")" "2020 bare-number metric file"
is "$(field old-format "r['metrics']['roc_auc']['last']")" \
	"$("$PY" -c "import json; print(json.load(open('$F/v2-2021-06-bee447d/scores.json'))['roc_auc'])")" "scores.json metric"
for k in dice_multi train/loss eval/loss; do
	tsv=$F2/exp-dutch-heck/results/train/plots/metrics/$k.tsv
	key=$(echo "$k" | tr / .)
	is "$(field dutch-heck "len(r['series']['$key']), r['series']['$key'][-1][1]")" \
		"$(($(wc -l < "$tsv") - 1)) $(tail -1 "$tsv" | cut -f2)" "dutch-heck series $key: length and last value from the TSV"
done
is "$(field dutch-heck "r['metrics']['evaluate.dice_multi']['last']")" \
	"$("$PY" -c "import json; print(json.load(open('$F2/exp-dutch-heck/results/evaluate/metrics.json'))['dice_multi'])")" \
	"a second metrics file's clashing key gets its directory as prefix"
is "$(field "$d2" "[i['path'] + ' ' + i['hash'] for i in r['outputs'] if i['path'] == 'models/model.pkl'][0]")" \
	"models/model.pkl md5:$(grep -A2 'path: models/model.pkl' "$F2/v2-main-pipeline-afdf89b/dvc.lock" | grep md5: | head -1 | awk '{print $2}')" \
	"dvc.lock outs with their md5"
like "$(field dutch-heck "[i['path'] + ' ' + i['hash'] for i in r['inputs']]")" \
	"data/pool_data md5:$(grep md5: "$F2/v1-notebook-dvclive-fa9e4f4/data/pool_data.dvc" | awk '{print $3}')" ".dvc file outs as inputs"
is "$(field crumb-hobo "r['params']['train.arch']")" "$(grep '  arch:' "$F2/v3-best-exp-ba3a1ae/params.yaml" | awk '{print $2}')" "crumb-hobo params"
out=$(bc import dvc "$R" "$R2" 2>&1)
like "$out" "dvc $R: 0 added, 0 updated, 5 unchanged" "re-import of get-started changes nothing"
like "$out" "dvc $R2: 0 added, 0 updated, 4 unchanged" "re-import of get-started-experiments changes nothing"
bc export 2>/dev/null > e2.jsonl
cmp -s "$T_TMP/cur.jsonl" e2.jsonl; ok $? "export identical after re-import"
done_testing
