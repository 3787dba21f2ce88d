/* SPDX-License-Identifier: MIT */
/* TAP output, test registry and per-test temp dirs for the unit tests. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "tap.h"

#define MAX_TESTS 256
static struct { const char *name; tap_fn fn; } tests[MAX_TESTS];
static int ntests, nchecks, nfailed;
static char tmpdir[PATH_MAX];
static const char *current;

void
tap_register(const char *name, tap_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if (*c == '\n' || *c == '#')
			*c = ' ';
	nchecks++;
	printf("%s %d - %s: %s\n", cond ? "ok" : "not ok", nchecks, current, msg);
	if (!cond) {
		nfailed++;
		printf("# failed at %s:%d (temp dir kept: %s)\n", file, line, tmpdir);
	}
	fflush(stdout);
}

const char *
tap_tmpdir(void)
{
	return tmpdir;
}

int
tap_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	fflush(stdout);
	int rc = system(cmd);
	return rc == -1 ? -1 : (rc >> 8) & 0xff;
}

int
tap_main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return 99;
	for (int i = 0; i < ntests; i++) {
		if (only && strcmp(only, tests[i].name))
			continue;
		current = tests[i].name;
		snprintf(tmpdir, sizeof tmpdir, "%s/bc-unit-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (!mkdtemp(tmpdir) || chdir(tmpdir) < 0) {
			printf("Bail out! cannot make a temp dir\n");
			return 99;
		}
		int before = nfailed;
		tests[i].fn();
		if (chdir(cwd) < 0)
			return 99;
		if (nfailed == before) {
			char rm[PATH_MAX + 16];
			snprintf(rm, sizeof rm, "rm -rf '%s'", tmpdir);
			if (system(rm) != 0)
				printf("# could not remove %s\n", tmpdir);
		}
	}
	printf("1..%d\n", nchecks);
	return nfailed ? 1 : 0;
}
