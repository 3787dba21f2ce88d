/* SPDX-License-Identifier: MIT */
/*
 * C plugin loading with real shared objects compiled here: trust before
 * dlopen (a constructor's marker file must not appear), ABI and struct size
 * refusals read from the file, lapsed trust, unsafe modes, SQLite imports.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bancada/bancada.h>
#include <bancada/plughost.h>
#include "tap.h"

static const char fixture[] =
	"#include <stdio.h>\n"
	"#include <bancada/plugin.h>\n"
	"__attribute__((constructor)) static void ctor(void) {\n"
	"	FILE *f = fopen(MARKER, \"a\"); if (f) { fputs(\"ran\\n\", f); fclose(f); } }\n"
	"__attribute__((visibility(\"default\"))) const struct bc_plugin_abi bancada_plugin_abi =\n"
	"	{ MAJOR, MINOR, PSIZE, ASIZE };\n"
	"#ifdef USE_SQLITE\n"
	"extern int sqlite3_open(const char *, void **);\n"
	"int (*keep)(const char *, void **) = sqlite3_open;\n"
	"#endif\n"
	"static void draw(void *s, bc_host *h, bc_canvas *c) { (void)s; (void)h; (void)c; }\n"
	"int bancada_plugin_init(const struct bc_host_api *api, struct bc_plugin *out) {\n"
	"	(void)api; out->name = NAME; out->description = \"fixture\\033[31m\";\n"
	"	out->key = 'X'; out->draw = draw; return 0; }\n";

static bc_project *
project(void)
{
	char home[4096];
	snprintf(home, sizeof home, "%s/home", tap_tmpdir());
	setenv("HOME", home, 1);
	setenv("XDG_STATE_HOME", home, 1);
	setenv("XDG_DATA_HOME", home, 1);
	unsetenv("BANCADA_PLUGIN_PATH");
	bc_project *p = NULL;
	char proj[4096];
	snprintf(proj, sizeof proj, "%s/proj", tap_tmpdir());
	mkdir(proj, 0755);
	if (chdir(proj) < 0)
		return NULL;
	bc_project_init(&p, proj);
	tap_sh("mkdir -p .bancada/plugins && chmod 755 .bancada .bancada/plugins . .. && cat > fixture.c <<'EOF'\n%sEOF", fixture);
	return p;
}

/* Build .bancada/plugins/NAME.so with the given ABI fields and extra flags. */
static void
build(const char *name, const char *abi, const char *extra)
{
	const char *src = getenv("top_srcdir") ? getenv("top_srcdir") : "../..";
	int rc = tap_sh("${CC:-cc} -shared -fPIC -I'%s/core/include' -DMARKER='\"%s/marker-%s\"' "
		"-DNAME='\"%s\"' %s %s -o .bancada/plugins/%s.so fixture.c && chmod 644 .bancada/plugins/%s.so",
		src, tap_tmpdir(), name, name, abi, extra, name, name);
	ok(rc == 0, "fixture %s compiles", name);
}

static int
marker(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/marker-%s", tap_tmpdir(), name);
	return access(path, F_OK) == 0;
}

/* Try to load NAME: returns the load code; the message goes to msg. */
static int
load(bc_project *p, const char *name, int trust, char *msg, size_t size)
{
	bc_plugin_set set;
	bc_plugins_discover(p, &set);
	const bc_plugin_info *pi = bc_plugin_find(&set, name);
	int rc = -100;
	msg[0] = '\0';
	if (pi) {
		if (trust)
			bc_plugin_trust(p, pi, 1);
		bc_cplugin *cp = NULL;
		rc = bc_cplugin_load(&cp, p, pi);
		snprintf(msg, size, "%s", rc < 0 ? bc_errmsg(p) : bc_cplugin_desc(cp)->description);
		bc_cplugin_free(cp);
	}
	bc_plugin_set_clear(&set);
	return rc;
}

#define OK_ABI "-DMAJOR=1 -DMINOR=0 -DPSIZE='sizeof(struct bc_plugin)' -DASIZE='sizeof(struct bc_host_api)'"

TEST(untrusted_constructor_never_runs)
{
	bc_project *p = project();
	char msg[1024];
	build("evil", OK_ABI, "");
	ok(load(p, "evil", 0, msg, sizeof msg) < 0, "untrusted project plugin refused");
	ok(strstr(msg, "not trusted") && strstr(msg, "bancada plugin trust evil"), "says how: %s", msg);
	ok(!marker("evil"), "its constructor did not run (no marker file)");
	ok(load(p, "evil", 1, msg, sizeof msg) == 0, "loads once trusted");
	ok(marker("evil"), "the fixture's constructor does run when loaded (test can fail)");
	ok(!strchr(msg, '\033'), "description sanitized: %s", msg);
	bc_project_free(p);
}

TEST(abi_versions_and_sizes_refused_before_load)
{
	bc_project *p = project();
	char msg[1024];
	static const struct { const char *name, *abi, *want; } cases[] = {
		{ "abi0", "-DMAJOR=0 -DMINOR=9 -DPSIZE=64 -DASIZE=64", "built for plugin ABI 0.9" },
		{ "abi2", "-DMAJOR=2 -DMINOR=0 -DPSIZE='sizeof(struct bc_plugin)' -DASIZE=64",
			"built for plugin ABI 2.0" },
		{ "abi11", "-DMAJOR=1 -DMINOR=1 -DPSIZE='sizeof(struct bc_plugin)' "
			"-DASIZE='sizeof(struct bc_host_api)'", "newer than this bancada" },
		{ "small", "-DMAJOR=1 -DMINOR=0 -DPSIZE=12 -DASIZE='sizeof(struct bc_host_api)'",
			"struct sizes 12/" },
		{ "big", "-DMAJOR=1 -DMINOR=0 -DPSIZE='sizeof(struct bc_plugin)' -DASIZE=100000",
			"rebuild it" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		build(cases[i].name, cases[i].abi, "");
		ok(load(p, cases[i].name, 1, msg, sizeof msg) < 0, "%s refused", cases[i].name);
		ok(strstr(msg, cases[i].want) != NULL, "%s: clear message: %s", cases[i].name, msg);
		ok(!marker(cases[i].name), "%s: nothing ran", cases[i].name);
	}
	build("nosym", "-DMAJOR=1 -DMINOR=0 -DPSIZE=1 -DASIZE=1 -Dbancada_plugin_abi=other",
		"");
	ok(load(p, "nosym", 1, msg, sizeof msg) < 0 && strstr(msg, "not a bancada plugin"),
		"no ABI symbol: %s", msg);
	build("sql", OK_ABI, "-DUSE_SQLITE");
	ok(load(p, "sql", 1, msg, sizeof msg) < 0 && strstr(msg, "sqlite3_open"),
		"SQLite user refused: %s", msg);
	ok(!marker("sql"), "sql: nothing ran");
	bc_project_free(p);
}

TEST(trust_lapses_and_unsafe_modes)
{
	bc_project *p = project();
	char msg[1024];
	build("good", OK_ABI, "");
	ok(load(p, "good", 1, msg, sizeof msg) == 0, "trusted plugin loads");
	tap_sh("printf x >> .bancada/plugins/good.so && rm -f '%s/marker-good'", tap_tmpdir());
	ok(load(p, "good", 0, msg, sizeof msg) < 0 && strstr(msg, "lapsed"), "changed: %s", msg);
	ok(!marker("good"), "lapsed plugin did not run");
	build("gw", OK_ABI, "");
	ok(load(p, "gw", 1, msg, sizeof msg) == 0, "gw loads when 644");
	tap_sh("rm -f '%s/marker-gw'", tap_tmpdir());
	chmod(".bancada/plugins/gw.so", 0664);
	ok(load(p, "gw", 0, msg, sizeof msg) < 0 && strstr(msg, "writable by group"),
		"group-writable refused: %s", msg);
	ok(!marker("gw"), "group-writable plugin did not run");
	build("Wrong", OK_ABI, "-UNAME -DNAME='\"other\"'");
	ok(load(p, "Wrong", 1, msg, sizeof msg) < 0 && strstr(msg, "name must be"),
		"name mismatch refused: %s", msg);
	bc_plugin_set set;
	bc_plugins_discover(p, &set);
	const bc_plugin_info *pi = bc_plugin_find(&set, "good");
	ok(pi && pi->trust == BC_TRUST_LAPSED, "discover reports the lapse");
	ok(pi && bc_plugin_trust(p, pi, 0) == 0, "untrust");
	bc_plugin_set_clear(&set);
	bc_plugins_discover(p, &set);
	pi = bc_plugin_find(&set, "good");
	ok(pi && pi->trust == BC_TRUST_NO, "untrusted after untrust");
	bc_plugin_set_clear(&set);
	char *tp = bc_plugin_trust_path();
	struct stat st;
	ok(tp && stat(tp, &st) == 0 && (st.st_mode & 077) == 0, "trust file is private (0600)");
	ok(tp && strncmp(tp, bc_project_root(p), strlen(bc_project_root(p))) != 0,
		"trust file lives outside the project: %s", tp ? tp : "(null)");
	free(tp);
	bc_project_free(p);
}

TAP_MAIN
