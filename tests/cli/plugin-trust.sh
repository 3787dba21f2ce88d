#!/bin/sh
# SPDX-License-Identifier: MIT
# Project plugins (a cloned repository's .bancada/plugins) never run before
# `bancada plugin trust`; trust lapses when the file changes; unsafe modes
# are refused; the trust record lives outside the project.
. "$top_srcdir/tests/lib/libtest.sh"
unset BANCADA_PLUGIN_PATH
new_repo proj && cd proj || exit 1
bc run -q -- true >/dev/null 2>&1
pdir=.bancada/plugins/mark
mkdir -p "$pdir"
cat > "$pdir/plugin.conf" <<'CONF'
name = mark
key = M
exec = sh %(plugindir)/mark.sh
CONF
printf 'touch "%s/marker"\necho marked\n' "$T_TMP" > "$pdir/mark.sh"

like "$(bc plugin ls)" "mark +external +project +untrusted +M" "ls: untrusted project plugin"
bc plugin run mark >/dev/null 2>err; is $? 1 "run refused before trust"
like "$(cat err)" "project plugin mark is not trusted: review .*plugin.conf, then run .bancada plugin trust mark." "says how to trust"
ok $([ ! -e "$T_TMP/marker" ]; echo $?) "nothing was executed"

out=$(bc plugin trust mark); is $? 0 "trust"
like "$out" "sha256 [0-9a-f]{64}" "trust shows the hash"
ok $([ -f "$XDG_STATE_HOME/bancada/trust" ]; echo $?) "record under \$XDG_STATE_HOME/bancada/trust"
is "$(git status --porcelain --ignored . | grep -c trust)" 0 "nothing about trust inside the project"
is "$(bc plugin run mark)" "marked" "runs once trusted"
ok $([ -e "$T_TMP/marker" ]; echo $?) "and executed"
like "$(bc plugin ls)" "mark +external +project +trusted" "ls: trusted"

rm -f "$T_TMP/marker"
echo '# changed' >> "$pdir/mark.sh"
bc plugin run mark >/dev/null 2>err; is $? 1 "changed script: refused"
like "$(cat err)" "trust in project plugin mark lapsed: .* changed since it was trusted" "says trust lapsed"
like "$(bc plugin ls)" "mark +external +project +lapsed" "ls: lapsed"
ok $([ ! -e "$T_TMP/marker" ]; echo $?) "nothing was executed after the change"
bc plugin trust mark >/dev/null && is "$(bc plugin run mark)" "marked" "trusted again"

chmod g+w "$pdir/mark.sh"
bc plugin run mark >/dev/null 2>err; is $? 1 "group-writable script refused"
like "$(cat err)" "writable by group or others" "says why"
bc plugin trust mark >/dev/null 2>err; is $? 1 "and cannot be trusted"
chmod g-w "$pdir/mark.sh"

# a script outside the plugin directory is covered by the trust too
printf 'exec = sh %s/outside.sh\n' "$T_TMP" > .bancada/plugins/out.conf
echo 'echo outside' > "$T_TMP/outside.sh"
bc plugin trust out >/dev/null && is "$(bc plugin run out)" "outside" "trusted plugin running a script elsewhere"
echo 'echo changed' > "$T_TMP/outside.sh"
bc plugin run out >/dev/null 2>err; is $? 1 "that script changed: refused"
like "$(cat err)" "lapsed" "trust lapsed"
bc plugin untrust mark >/dev/null; is $? 0 "untrust"
bc plugin run mark >/dev/null 2>&1; is $? 1 "refused after untrust"
bc plugin untrust mark >/dev/null 2>err; is $? 1 "untrust twice is an error"

# a C plugin in the project with a constructor: ls, info and run never load it
if command -v "${CC:-cc}" >/dev/null 2>&1; then
	cat > evil.c <<CSRC
#include <stdio.h>
__attribute__((constructor)) static void ctor(void) { FILE *f = fopen("$T_TMP/evil-ran", "w"); if (f) fclose(f); }
CSRC
	"${CC:-cc}" -shared -fPIC -o .bancada/plugins/evil.so evil.c && chmod 644 .bancada/plugins/evil.so
	bc plugin ls >/dev/null 2>&1; bc plugin info evil >/dev/null 2>&1
	bc plugin run evil >/dev/null 2>err; is $? 1 "untrusted .so refused"
	ok $([ ! -e "$T_TMP/evil-ran" ]; echo $?) "its constructor never ran (ls, info, run)"
	bc plugin trust evil >/dev/null
	bc plugin run evil >/dev/null 2>err; is $? 1 "trusted but not a bancada plugin: refused"
	like "$(cat err)" "not a bancada plugin" "says it is not a plugin"
	ok $([ ! -e "$T_TMP/evil-ran" ]; echo $?) "refused from its ELF header, before dlopen"
fi
mkdir -p "$XDG_DATA_HOME/bancada/plugins"
cp "$pdir/plugin.conf" "$XDG_DATA_HOME/bancada/plugins/user.conf"
sed -i 's/name = mark/name = user/' "$XDG_DATA_HOME/bancada/plugins/user.conf"
like "$(bc plugin trust user)" "user plugin: trusted by installation" "user plugins need no trust"
done_testing
