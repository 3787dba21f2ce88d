#!/bin/sh
# SPDX-License-Identifier: MIT
# The shipped plugins through `bancada plugin ls|info|run`: hparams and
# sysmon (C), confusion (Python) and files (shell), on real recorded runs.
. "$top_srcdir/tests/lib/libtest.sh"
export BANCADA_PLUGIN_PATH="$top_builddir/plugins/.libs:$top_srcdir/plugins"
command -v python3 >/dev/null || skip_all "python3 not installed"

new_repo proj && cd proj || exit 1
for lr in 0.1 0.01 0.001; do
	opt=adam; [ "$lr" = 0.1 ] && opt=sgd
	bc run -q -n "lr-$lr" -p lr=$lr -p layers=3 -p opt=$opt -- sh -c '
		for s in 0 1 2 3 4 5; do
			loss=$(( 10 - s )); [ $s -eq 5 ] && loss=$1
			echo "{\"step\": $s, \"loss\": $loss, \"sys/cpu_percent\": $(( s * 15 )), \"sys/rss_mb\": $(( 100 + s ))}"
		done >> "$BANCADA_METRICS"
		echo "{\"labels\": [\"cat\", \"dog\"], \"matrix\": [[5, 1], [2, 7]]}" > "$BANCADA_PROJECT/.bancada/runs/$BANCADA_RUN_ID/confusion.json"
	' sh "$lr" >/dev/null 2>&1
done
is "$(bc ls --ids | wc -l | tr -d ' ')" 3 "three runs recorded"

out=$(bc plugin ls)
like "$out" "hparams +c +user +implicit +H +1\.0 +hyperparameters" "ls: hparams with kind, source, trust, key, ABI"
like "$out" "confusion +external +user +implicit +X" "ls: confusion is external"
like "$out" "files +external" "ls: the shell example"
json=$(bc plugin ls --json)
like "$json" '"name": "sysmon"' "ls --json names plugins"
like "$json" '"abi": "1.0"' "ls --json has the ABI"
out=$(bc plugin info confusion)
like "$out" "exec +\[python3\] \[.*/confusion.py\]" "info shows the argv"
like "$out" "input +marked" "info shows the input"

out=$(bc plugin run hparams --size 20x80)
like "$out" "^hparams: scatter \(3 runs\)" "hparams scatter title"
like "$out" "x: lr +y: loss.last" "the varying param is chosen"
like "$out" "best \(min\): lr-0.001 +lr=0.001" "best run named"
like "$out" "$(printf '\342\240')" "braille dots drawn"
out=$(bc plugin run hparams --size 24x80 --keys v -o metric=loss)
like "$out" "parallel coordinates" "v switches to parallel coordinates"
like "$out" "axis 1 +lr +0.001 \.\. 0.1" "axes with ranges"
out=$(bc plugin run hparams --size 20x80 -o param=opt)
like "$out" "x: opt \(0=adam 1=sgd\)" "a string param is plotted by category"
like "$out" "best \(min\): lr-0.001 +opt=adam" "and named in the best run line"
out=$(bc plugin run hparams --filter 'params.lr < 0.05' --size 20x80)
like "$out" "\(2 runs\)" "hparams follows --filter"

out=$(bc plugin run sysmon lr-0.01 --size 24x80)
like "$out" "^sysmon: lr-0.01" "sysmon names the run"
like "$out" "sys/cpu_percent +last 75 +mean 37.5 +max 75" "cpu chart with stats"
like "$out" "sys/rss_mb" "rss chart"

out=$(bc plugin run confusion lr-0.1)
like "$out" "^lr-0.1" "confusion names the run"
like "$out" "cat +5 +1" "matrix row"
like "$out" "dog +0.875 +0.778 +0.824 +9" "per-class precision, recall, f1, support"
like "$out" "accuracy 0.8000 +\(12 of 15\)" "accuracy"
mkdir -p preds && printf 'y_true,y_pred\na,a\na,b\nb,b\n' > preds/x.csv
id=$(bc ls --ids | head -1)
rm ".bancada/runs/$id/confusion.json"; cp preds/x.csv ".bancada/runs/$id/predictions.csv"
out=$(bc plugin run confusion "$id")
like "$out" "a +1.000 +0.500 +0.667 +2" "from a predictions CSV"

out=$(bc plugin run files lr-0.1)
like "$out" "KiB +confusion.json" "shell plugin lists run files"
no_color=$(bc plugin run files lr-0.1 | od -c | grep -c '033' || true)
is "$no_color" 0 "no escape sequences when not a terminal"

bc plugin run nosuch >/dev/null 2>err; is $? 1 "unknown plugin exits 1"
like "$(cat err)" "no plugin named 'nosuch': see .bancada plugin ls." "one-line error"
bc plugin run hparams --size x >/dev/null 2>&1; is $? 2 "bad --size is a usage error"
bc plugin frob >/dev/null 2>&1; is $? 2 "unknown subcommand is a usage error"
done_testing
