#!/bin/sh
# SPDX-License-Identifier: MIT
# The Python helper (any Python 3) and a real scikit-learn training run.
. "$top_srcdir/tests/lib/libtest.sh"
export BANCADA_PYTHONPATH

new_repo proj
cd proj
PY=$(command -v python3 || echo /usr/bin/python3)
[ -x "$PY" ] || skip_all "no python3"

cat > helper.py <<'P'
import bancada, math
bancada.params({"opt": {"lr": 0.1, "betas": [0.9, 0.99]}, "name": "adam"})
bancada.param("seed", 3)
for s in range(5):
    bancada.log({"loss": 1.0 / (s + 1), "skip": "text", "nan": float("nan")}, step=s)
print("active", bancada.active(), bancada.run_id() is not None)
P
out=$(bc run -n helper -- "$PY" helper.py 2>&1)
is "$?" 0 "a script using the helper runs"
like "$out" "active True True" "the helper sees the run"
j=$(bc show helper --json)
like "$j" '"opt.lr": 0.1' "helper params, flattened"
like "$j" '"opt.betas.1": 0.99' "helper list params"
like "$j" '"seed": 3' "bancada.param"
is "$(bc metrics helper loss --csv | tail -1 | cut -d, -f2,3)" "4,0.2" "helper metrics with steps"
like "$(bc metrics helper nan --csv | tail -1)" ",nan," "NaN from Python kept"
is "$(bc show helper --json | grep -c '"skip"')" 0 "non-numeric values are not metrics"

# outside a run: warns once, does nothing, exit 0
out=$(cd "$T_TMP" && PYTHONPATH="$BANCADA_PYTHONPATH" "$PY" -c 'import bancada; bancada.log({"a": 1}); bancada.log({"a": 2}); print("done")' 2>&1)
like "$out" "done" "outside a run the helper does not fail"
is "$(printf '%s\n' "$out" | grep -c 'not running under')" 1 "it warns exactly once"

# a real training run: scikit-learn digits, with Debian's interpreter
if /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
	cp "$top_srcdir/share/examples/train_digits.py" .
	out=$(bc run -n digits -t sklearn -- /usr/bin/python3 train_digits.py --alpha 0.001 --epochs 8 2>&1)
	is "$?" 0 "sklearn training run finished"
	j=$(bc show digits --json)
	like "$j" '"alpha": 0.001' "--alpha flag became a param"
	like "$j" '"epochs": 8' "--epochs flag became a param"
	like "$j" '"model.kind": "sgd"' "helper params recorded"
	is "$(bc metrics digits val_acc --csv | tail -n +2 | wc -l | tr -d ' ')" 8 "val_acc from stdout: one point per epoch"
	is "$(bc metrics digits val_loss --csv | tail -n +2 | wc -l | tr -d ' ')" 8 "val_loss from the helper: one point per epoch"
	acc=$(bc ls --filter 'tag = sklearn' --columns metrics.val_acc.max --csv | tail -1)
	ok "$(awk -v a="$acc" 'BEGIN { exit !(a > 0.8) }'; echo $?)" "digits reaches val_acc > 0.8 (got $acc)"
	bc run -n digits2 -t sklearn -- /usr/bin/python3 train_digits.py --alpha 0.1 --epochs 8 >/dev/null 2>&1
	d=$(bc diff digits digits2)
	like "$d" "alpha: 0.001 -> 0.1" "diff of two sklearn runs shows the changed param"
	like "$d" "val_acc" "and the metric deltas"
	like "$(bc logs digits)" "epoch 7 step=7 val_acc" "logs of the real run"
else
	echo "ok $((T_N + 1)) # SKIP python3-sklearn is not installed for /usr/bin/python3"; T_N=$((T_N + 1))
fi
done_testing
