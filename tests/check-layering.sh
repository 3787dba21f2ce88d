#!/bin/sh
# SPDX-License-Identifier: MIT
# core/ is a library with no curses: no curses header included in core/, no
# curses symbol needed by libbancada-core, and each public header compiles alone.
echo "1..3"
src=${top_srcdir:-.}
bld=${top_builddir:-.}
if grep -rlE '#include *[<"](n?curses|curses|ncursesw/)' "$src/core" >/dev/null 2>&1; then
	echo "not ok 1 - core/ includes a curses header: $(grep -rlE '#include *[<"](n?curses|ncursesw/)' "$src/core" | tr '\n' ' ')"
else
	echo "ok 1 - core/ includes no curses header"
fi
lib=$(ls "$bld"/.libs/libbancada-core.so* 2>/dev/null | head -1)
if [ -z "$lib" ]; then
	echo "not ok 2 - libbancada-core.so not built"
elif nm -D "$lib" | grep -qiE ' U (initscr|newterm|wrefresh|endwin|waddnstr)'; then
	echo "not ok 2 - libbancada-core needs curses symbols"
else
	echo "ok 2 - libbancada-core needs no curses symbol"
fi
fail=0
tmp=$(mktemp -d)
for h in "$src"/core/include/bancada/*.h; do
	printf '#include <bancada/%s>\nint main(void){return 0;}\n' "$(basename "$h")" > "$tmp/t.c"
	if ! ${CC:-cc} -std=c11 -Wall -Wextra -pedantic -Werror -I"$src/core/include" -c "$tmp/t.c" -o "$tmp/t.o" 2>"$tmp/err"; then
		echo "# $(basename "$h") does not compile alone:"; sed 's/^/#   /' "$tmp/err" | head -5
		fail=1
	fi
done
rm -rf "$tmp"
if [ $fail = 0 ]; then echo "ok 3 - every public header compiles alone"; else echo "not ok 3 - a public header does not compile alone"; fi
