#!/bin/sh
# SPDX-License-Identifier: MIT
# A locale that writes numbers with a comma (de_DE) changes nothing: bancada
# takes only the character set from the environment, so `loss: 0.25` on
# stdout, JSON-lines metrics, -p values and every number it prints keep a dot.
# The locale is compiled into the test's own directory (LOCPATH).
. "$top_srcdir/tests/lib/libtest.sh"

command -v localedef >/dev/null 2>&1 && [ -e /usr/share/i18n/locales/de_DE ] ||
	skip_all "no de_DE locale source to compile (apt-get install locales)"
mkdir -p "$T_TMP/loc"
localedef -i de_DE -f UTF-8 "$T_TMP/loc/de_DE.UTF-8" >/dev/null 2>&1 ||
	[ -e "$T_TMP/loc/de_DE.UTF-8/LC_NUMERIC" ] || skip_all "localedef could not compile de_DE.UTF-8"
# the locale really writes a comma (else this test could not fail)
comma=$(LOCPATH=$T_TMP/loc LC_ALL=de_DE.UTF-8 awk 'BEGIN { printf "%.2f", 0.5 }' 2>/dev/null)
[ "$comma" = "0,50" ] || skip_all "de_DE.UTF-8 does not write 0,50 here (got '$comma')"

new_repo proj
cd proj
# bancada under the comma locale (exported to it alone: the test's shell keeps its own)
de() { LOCPATH=$T_TMP/loc LC_ALL=de_DE.UTF-8 "$BANCADA" "$@"; }
de run -q -p lr=0.5 -- sh -c 'echo "loss: 0.25"; echo "{\"step\": 1, \"acc\": 0.75}" >> "$BANCADA_METRICS"'
ok $? "a run under LC_ALL=de_DE.UTF-8 is recorded"
out=$(de metrics @)
like "$out" '# loss \(1 points\)' "stdout 'loss: 0.25' became a metric"
like "$out" '0\.25' "its value is 0.25, written with a dot"
like "$out" '# acc \(1 points\)' "the JSON-lines metric came in"
like "$out" '0\.75' "its value is 0.75"
json=$(de ls --json -n 1)
like "$json" '"lr": *0\.5[,}]' "--json: the float param is the number 0.5"
like "$json" '"last": *0\.25' "--json: the metric summary is a JSON number with a dot"
unlike "$json" '[0-9],[0-9][0-9]*[,}]' "--json: no number with a decimal comma"
csv=$(de ls --csv -c name,params.lr,metrics.loss -n 1)
like "$csv" '0\.5,0\.25' "--csv: numbers with a dot, fields still split by commas"
show=$(de show @)
like "$show" 'lr +0\.5' "show: the param with a dot"
done_testing
