#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile strings: 44 strings with escape sequences (CSI, OSC 0/8/52, DCS,
# APC, RIS), C1 controls, CR/BS, bidi overrides, zero-width and tag
# characters, invalid UTF-8, wide and combining characters, placed in every
# field the workbench displays (run name, params, tags, note, experiment,
# metric keys, host, branch, commit subject, data paths, environment, log
# lines). The raw bytes sent to the terminal (tmux pipe-pane) must contain
# no escape sequence that came from the data and no C1 control, and the
# table columns must stay aligned.
. "$top_srcdir/tests/lib/libtest.sh"
. "$top_srcdir/tests/tui/tuilib"
have_tmux || skip_all "tmux is not installed"
trap 'tm_stop; t_cleanup' EXIT

E=$'\033'
# JSON-safe strings (written with \u escapes into the import file)
J=(
	'\u001b[2J\u001b[HCLEARED1' '\u001b[31;1;4mRED2' '\u001b]0;TITLE3\u0007' '\u001b]2;TITLE4\u001b\\'
	'\u001b]8;;https://evil.example/5\u0007link\u001b]8;;\u0007' '\u001b]52;c;SGFja2VkNg==\u0007'
	'\u001bPqDCS7\u001b\\' '\u001b_APC8\u001b\\' '\u001b^PM9\u001b\\' '\u001bXSOS10\u001b\\' '\u001bc11RIS'
	'\u001b[6nQUERY12' '\u001b[21tQUERY13' '\u001bP$qm14\u001b\\' '\u001b[999;999HJUMP15' '\u001b[?1049lALT16'
	'\u009b31mC1CSI17' '\u009d0;C1OSC18\u009c' '\u0085NEL19' '\u008fSS320'
	'good\rEVIL21' 'ab\bX22' 'tab\there23' 'new\nline24' 'vt\u000bff\u000c25' 'del\u007f26' 'nul-free\u000127'
	'gpt\u202etxt.exe28' 'rlo\u202dlro\u202c29' 'iso\u2066late\u206930' 'zw\u200bsp\u200c\u200d31'
	'bom\ufeff32' 'lrm\u200erlm\u200f33' 'tag\udb40\udc41chars34' '漢字ワイド35' 'e\u0301\u0301combining36'
	'\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67family37' 'arabic\u061cmark38'
)
# raw-byte strings (invalid UTF-8 and raw C1), only possible outside JSON
R=( $'\xff\xfeinvalid39' $'\xc3\x28bad40' $'\xe2\x82trunc41' $'\xed\xa0\x80surrogate42' $'raw\x9bC1x43' $'\xc0\xafoverlong44' )

mkdir -p "$T_TMP/proj" && cd "$T_TMP/proj" || exit 99
git init -q && echo 'x = 1' > train.py && git add . &&
	git commit -qm "$(printf 'subject \033]0;COMMITTITLE\007 \033[2J end')" || exit 99
git checkout -qb "br-$(printf '\033[7m')rev" 2>/dev/null || true
"$BANCADA" init >/dev/null
C=$(git rev-parse HEAD)
t0=1767225600000
i=0
for s in "${J[@]}"; do
	i=$((i + 1))
	id=$(printf '0192%04x000000000000000000000000' $i)
	printf '{"schema":1,"id":"%s","name":"%s","status":"finished","started_ms":%s,"ended_ms":%s,' \
		"$id" "$s" $((t0 + i * 1000)) $((t0 + i * 1000 + 500))
	printf '"command":["python3","%s"],"cwd":"/w%s","host":"h%s","user":"u%s",' "$s" "$s" "$s" "$s"
	printf '"git":{"commit":"%s","branch":"%s","dirty":true,"patch":"diff --git a/%s b/%s\\n+%s\\n"},' \
		"$C" "$s" "$s" "$s" "$s"
	printf '"params":{"p":"%s","k%s":1},"tags":["%s"],"note":"%s","experiment":"%s",' "$s" "$s" "$s" "$s" "$s"
	printf '"env":{"E":"%s"},"inputs":[{"path":"data/%s","hash":"%s"}],' "$s" "$s" "$s"
	printf '"series":{"loss":[[0,1,%s],[1,0.5,%s]],"m%s":[[0,%s,%s]]}}\n' $t0 $t0 "$s" $i $t0
done > runs.jsonl
"$BANCADA" import runs.jsonl > import.out 2>&1
ok $? "imported ${#J[@]} runs with hostile JSON strings"
for s in "${R[@]}"; do
	"$BANCADA" run -q -n "$s" -t "$s" -m "$s" -p "p=$s" -p "k$s=1" -- printf '%s\n' "$s" > /dev/null 2>&1
done
n=$("$BANCADA" ls --ids | wc -l)
ok $([ "$n" -ge 44 ]; echo $?) "at least 44 runs hold hostile strings ($n)"
# logs of every run contain every string, raw
all=$( { for s in "${J[@]}"; do printf '%b\n' "${s//\\u/\\u}"; done; printf '%s\n' "${R[@]}"; } )
for d in .bancada/runs/*/; do printf '%s\n' "$all" >> "$d/stdout.log"; done
for id in $("$BANCADA" ls --ids | head -3); do
	mkdir -p ".bancada/runs/$id" && printf '%s\n' "$all" > ".bancada/runs/$id/stdout.log"
done

tm_start 100 30 -c "$PWD" "env -u LINES -u COLUMNS TERM=xterm-256color LC_ALL=C.UTF-8 $BANCADA"
tm pipe-pane -o -t main "cat >> '$T_TMP/raw'"
keys() { tm send-keys -t main "$@"; sleep 0.15; }
tm_check '\[runs\] [0-9]+ runs' "the workbench opens on hostile data"
keys : 'set columns = name,status,params.p,experiment,tags,note,host' Enter
for step in 1 2 3; do keys PageDown; done
keys g
for r in 1 2 3 4 5 6 7 8; do
	keys Enter 1 2 3 4 5 6 q j
done
keys G Enter 1 4 q
keys g Space j Space j Space c = q u g Space j Space d ']' ']' ']' PageDown PageDown q p m Enter Tab q
keys ? q C q
keys / "name = '$(printf 'x\033[31m')'" Enter Escape
sleep 0.5
tm pipe-pane -t main
raw="$T_TMP/raw"
ok $([ -s "$raw" ]; echo $?) "raw terminal output was captured ($(wc -c < "$raw") bytes)"

# no escape sequence from the data reached the terminal
bad=0
for tok in CLEARED1 RED2 TITLE3 TITLE4 evil.example/5 SGFja2VkNg DCS7 APC8 PM9 SOS10 11RIS QUERY12 QUERY13 \
	'm14' JUMP15 ALT16 COMMITTITLE; do
	# the token may appear (escaped, as text) but never right after ESC + introducer bytes
	if LC_ALL=C grep -aPq "\x1b[\[\]P_^X]?[0-9;?\$:]*[a-zA-Z]?[;]?${tok}" "$raw"; then
		echo "# raw ESC sequence from data: $tok"
		bad=$((bad + 1))
	fi
done
ok $bad "no ESC sequence from data in the raw byte stream"
LC_ALL=C grep -aPq '\x1b\]52;|\x1b\]8;;http|\x1bP[q$]|\x1bc|\x1b\[6n|\x1b\[21t|\x1b\[31;1;4m' "$raw"
ok $((! $?)) "no OSC 52 / OSC 8 / DCS / RIS / query sequences at all"
LC_ALL=C grep -aPq '\xc2[\x80-\x9f]' "$raw"
ok $((! $?)) "no C1 control (UTF-8 encoded) in the raw byte stream"
LC_ALL=C grep -aPq '(?<![\x80-\xff])[\x80-\x9f]' "$raw"
ok $((! $?)) "no raw C1 byte outside a UTF-8 sequence"
LC_ALL=C grep -aPq '\xe2\x80[\xae\xad\xaa\xab\xac\x8b\x8c\x8d\x8e\x8f]|\xe2\x81[\xa6-\xa9]|\xef\xbb\xbf' "$raw"
ok $((! $?)) "no bidi override, isolate, zero-width or BOM character reaches the terminal"
LC_ALL=C grep -aPq '\xff|\xfe|\xc0\xaf|\xed\xa0\x80' "$raw"
ok $((! $?)) "no invalid UTF-8 reaches the terminal"

# escapes are shown visibly, columns stay aligned
tm_stop
tm_start 100 30 -c "$PWD" "env -u LINES -u COLUMNS TERM=xterm-256color LC_ALL=C.UTF-8 $BANCADA"
tm_check '\[runs\]' "reopened"
keys : 'set columns = name,status,params.p' Enter
# wait for each screen (a loaded machine may take a while to draw it)
tm_wait '^  name +status' 20
screen=$(tm_screen; keys G; tm_wait ' ([0-9]+)/\1$' 20; tm_screen)
like "$screen" '\\x1b\[' "ESC is drawn as a visible \\x1b"
like "$screen" '\\u202e|\\u200b|\\u2066' "bidi/zero-width characters are drawn escaped"
cols=$(printf '%s\n' "$screen" | grep 'finished' | sed 's/finished.*//' | while IFS= read -r l; do
	printf '%s' "$l" | wc -L; done | sort -u | wc -l)
is "$cols" 1 "the status column starts at the same screen column on every row"
keys g Enter 4
tm_wait '^EVIL21' 20
screen=$(tm_screen)
like "$screen" 'EVIL21' "a log line with CR shows what a terminal shows after the CR"
unlike "$screen" 'EVIL21d' "no overwrite left over from the CR"
tm_stop
done_testing
