#!/bin/sh
# SPDX-License-Identifier: MIT
# files: list a run directory, biggest first, using bancada's output markup.
# Arguments: RUN_ID RUN_DIR (from %(run) %(rundir) in plugin.conf).
# Markup: {b} bold, {dim}, {red}..{cyan} colours, {/} reset, {{ a literal brace.
set -u
run=${1:-}
dir=${2:-}
if [ -z "$run" ] || [ ! -d "$dir" ]; then
	echo "{yellow}no run selected, or its directory is missing{/}"
	exit 0
fi
printf '{b}run %s{/}  {dim}%s{/}\n\n' "$(printf %s "$run" | cut -c1-12)" "$dir"
cd "$dir" || exit 1
# sizes in KiB; names are data: escape '{' so they cannot inject markup
find . -type f -exec du -k {} + 2>/dev/null | sort -rn | head -n 200 |
while IFS="$(printf '\t')" read -r kib path; do
	name=$(printf %s "${path#./}" | sed 's/{/{{/g')
	if [ "$kib" -ge 10240 ]; then color=red; elif [ "$kib" -ge 1024 ]; then color=yellow; else color=green; fi
	printf '{%s}%8s KiB{/}  %s\n' "$color" "$kib" "$name"
done
total=$(du -sk . 2>/dev/null | cut -f1)
printf '\n{b}total{/} %s KiB\n' "${total:-0}"
