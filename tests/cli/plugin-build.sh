#!/bin/sh
# SPDX-License-Identifier: MIT
# A new C plugin written against the installed header alone, built outside
# the source tree with `pkg-config --cflags bancada-plugin`, then run.
. "$top_srcdir/tests/lib/libtest.sh"
unset BANCADA_PLUGIN_PATH
command -v pkg-config >/dev/null || skip_all "pkg-config not installed"
command -v "${CC:-cc}" >/dev/null || skip_all "no C compiler"
[ -f "$top_builddir/bancada-plugin.pc" ] || skip_all "bancada-plugin.pc not built"
mkdir -p inc/bancada && cp "$top_srcdir/core/include/bancada/plugin.h" inc/bancada/
cflags=$(PKG_CONFIG_PATH="$top_builddir" pkg-config --define-variable=includedir="$T_TMP/inc" --cflags bancada-plugin)
is "$(echo $cflags)" "-I$T_TMP/inc" "pkg-config gives the include dir"
cat > hello.c <<'CSRC'
#include <bancada/plugin.h>
BC_PLUGIN_DEFINE_ABI;
static void *
hello_open(const struct bc_host_api *api, bc_host *h)
{
	(void)api; (void)h;
	static int state;
	return &state;
}
static void
hello_draw(void *st, bc_host *h, bc_canvas *c)
{
	extern const struct bc_host_api *hello_api;
	const bc_prun *const *runs;
	size_t n = hello_api->query(h, NULL, &runs, &n) == 0 ? n : 0;
	char name[64] = "";
	if (n)
		hello_api->run_field(h, runs[0], "name", name, sizeof name);
	hello_api->printf(c, 0, 0, BC_ATTR_BOLD, "hello from a plugin: %zu runs, latest %s", n, name);
	const char *hash = "";
	int64_t size = -1;
	const char *path = hello_api->data_item(h, 0, &hash, &size);
	if (path)
		hello_api->printf(c, 1, 0, 0, "data %s %lld bytes %.8s", path, (long long)size, hash);
	(void)st;
}
const struct bc_host_api *hello_api;
int
bancada_plugin_init(const struct bc_host_api *api, struct bc_plugin *out)
{
	hello_api = api;
	out->name = "hello";
	out->description = "built out of tree";
	out->key = 'h';
	out->open = hello_open;
	out->draw = hello_draw;
	return 0;
}
CSRC
mkdir -p "$XDG_DATA_HOME/bancada/plugins"
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -shared -fPIC $cflags -o "$XDG_DATA_HOME/bancada/plugins/hello.so" hello.c
is $? 0 "compiles with -Wall -Wextra -Werror against plugin.h alone"
new_repo proj && cd proj || exit 1
bc run -q -n first -- true >/dev/null 2>&1
bc run -q -n second -- true >/dev/null 2>&1
like "$(bc plugin ls)" "hello +c +user +implicit +h +1\.0 +built out of tree" "listed with its ABI"
is "$(bc plugin run hello)" "hello from a plugin: 2 runs, latest second" "runs and queries runs"
printf 'a,b\n1,2\n' > data.csv
if bc data add data.csv >/dev/null 2>&1; then
	like "$(bc plugin run hello)" "data data.csv 8 bytes [0-9a-f]{8}" "reads tracked data through the host table"
fi
done_testing
