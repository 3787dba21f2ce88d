#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs and lineage: --input/--output, the data state at start, diff of data.
. "$top_srcdir/tests/lib/libtest.sh"
new_repo proj
cd proj
mkdir data && echo "1,2" > data/train.csv
bc data add data/train.csv >/dev/null
bc run -q -n t1 --input data/train.csv --output model.bin --add-outputs -- sh -c 'echo w1 > model.bin'
is "$?" 0 "a run with declared inputs and outputs"
h1=$(sha256sum data/train.csv | cut -d' ' -f1)
like "$(bc show t1)" "input  data/train.csv  $h1" "show lists the input with its content hash"
like "$(bc show t1 --json)" "\"path\": \"model.bin\"" "the output is recorded"
[ -f model.bin.bcd ]; ok $? "--add-outputs puts the output under data versioning"
echo "3,4" > data/train.csv && bc data add data/train.csv >/dev/null
bc run -q -n t2 --input data/train.csv --output model.bin -- sh -c 'echo w2 > model.bin'
d=$(bc diff t1 t2)
like "$d" "input data/train.csv: ${h1%"${h1#????????????}"} -> " "diff shows the input's new version"
like "$d" "output model.bin: " "diff shows the changed output"
out=$(bc run -q -n t3 --output nowhere.bin -- true 2>&1)
like "$out" "output nowhere.bin was not written" "a missing output is reported, the run still counts"
like "$(bc show t3)" "finished" "and finishes"
done_testing
