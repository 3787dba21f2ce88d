/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the bundle manifest parser, the entry-name policy,
 * code-bearing format detection and manifest diffs.
 */
#include "config.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bancada/bancada.h>
#include "tap.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A manifest with the given files array text and extra top-level members. */
static char *
mk(const char *files, const char *extra)
{
#define MANIFEST_FMT "{\"format\": \"bancada-bundle/1\", \"name\": \"m\", \"version\": \"1\"," \
	" \"created\": \"2026-11-27T10:00:00.250Z\", \"files\": [%s]%s%s}"
	size_t n = strlen(MANIFEST_FMT) + strlen(files) + (extra ? strlen(extra) : 0) + 8;
	char *s = malloc(n);
	snprintf(s, n, MANIFEST_FMT, files, extra ? ", " : "", extra ? extra : "");
	return s;
}

static int
parses(const char *files, const char *extra, char *why, size_t size)
{
	char *t = mk(files, extra);
	bc_manifest *m = NULL;
	int rc = bc_manifest_parse(t, strlen(t), &m, why, size);
	bc_manifest_free(m);
	free(t);
	return rc;
}

#define FILE_A(path) "{\"path\": \"" path "\", \"size\": 3, \"sha256\": \"" SHA_A "\", \"mode\": \"0644\"}"

TEST(parse_valid)
{
	char *t = mk(FILE_A("a.bin") ", " FILE_A("dir/b.pkl"),
		"\"provenance\": {\"run\": {\"id\": \"0123456789abcdef0123456789abcdef\", \"name\": \"r\","
		" \"params\": {\"lr\": 0.5, \"n\": 3, \"ok\": true, \"s\": \"x\"},"
		" \"metrics\": {\"loss\": {\"last\": \"nan\", \"min\": 0.1, \"max\": \"inf\", \"count\": 2}},"
		" \"exit_code\": 0}, \"git\": {\"commit\": \"abc\", \"dirty\": true}, \"data\": []},"
		" \"meta\": {\"k\": \"v\"}, \"signature\": {\"inputs\": []}");
	bc_manifest *m = NULL;
	char why[256];
	int rc = bc_manifest_parse(t, strlen(t), &m, why, sizeof why);
	is_int(rc, 0, why);
	if (m) {
		is_int(m->nfiles, 2, "two files");
		is_int(m->total_size, 6, "total size");
		is_int(m->created_ms % 1000, 250, "created milliseconds");
		is_str(m->files[1].exec_kind, "pickle", "pickle flagged by name");
		ok(m->files[0].exec_kind == NULL, "plain file not flagged");
		is_int(m->nparams, 4, "params");
		is_int(m->params[0].v.type, BC_VAL_FLOAT, "float param");
		ok(isnan(m->metrics[0].last) && isinf(m->metrics[0].max), "nan and inf metrics");
		ok(m->git_dirty && m->has_exit_code, "git dirty and exit code");
		is_str(m->meta[0].value, "v", "meta");
		ok(m->signature && strstr(m->signature, "inputs"), "signature kept");
	}
	bc_manifest_free(m);
	free(t);
}

TEST(parse_rejects)
{
	char why[256];
	static const struct { const char *files, *extra, *want; } bad[] = {
		{ FILE_A("../x"), NULL, "'..'" },
		{ FILE_A("/etc/x"), NULL, "absolute" },
		{ FILE_A("a\\\\b"), NULL, "backslash" },
		{ FILE_A("a/./b"), NULL, "'.'" },
		{ FILE_A("a//b"), NULL, "empty" },
		{ FILE_A("x\\u001b[31m"), NULL, "control" },
		{ FILE_A("x\\u202eevil"), NULL, "control" },
		{ FILE_A(".git/config"), NULL, ".git" },
		{ FILE_A(".bancada/x"), NULL, ".git or .bancada" },
		{ FILE_A("-rf"), NULL, "'-'" },
		{ FILE_A("MANIFEST.json"), NULL, "manifest" },
		{ FILE_A("b") ", " FILE_A("a"), NULL, "sorted" },
		{ FILE_A("a") ", " FILE_A("a"), NULL, "twice" },
		{ FILE_A("A") ", " FILE_A("a"), NULL, "case" },
		{ FILE_A("a") ", " FILE_A("a/b"), NULL, "file and as a directory" },
		{ "{\"path\": \"a\", \"size\": 3, \"sha256\": \"XYZ\", \"mode\": \"0644\"}", NULL, "hex" },
		{ "{\"path\": \"a\", \"size\": -1, \"sha256\": \"" SHA_A "\", \"mode\": \"0644\"}", NULL, "size" },
		{ "{\"path\": \"a\", \"size\": 99999999999999999, \"sha256\": \"" SHA_A "\", \"mode\": \"0644\"}", NULL, "too large" },
		{ "{\"path\": \"a\", \"size\": 1, \"sha256\": \"" SHA_A "\", \"mode\": \"4755\"}", NULL, "mode" },
		{ "{\"path\": \"a\", \"size\": 1, \"sha256\": \"" SHA_A "\", \"mode\": \"0644\", \"x\": 1}", NULL, "unknown key" },
		{ FILE_A("a"), "\"evil\": 1", "unknown key" },
		{ FILE_A("a"), "\"meta\": {\"k\": 1}", "strings" },
		{ FILE_A("a"), "\"meta\": {\"k\": \"v\", \"k\": \"w\"}", "duplicate" },
		{ FILE_A("a"), "\"signature\": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]", "deeper" },
		{ FILE_A("a"), "\"provenance\": {\"run\": {\"id\": \"zz\"}}", "32 hex" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = parses(bad[i].files, bad[i].extra, why, sizeof why);
		ok(rc == BC_EINVALID && strstr(why, bad[i].want), "rejects case %zu (want '%s', got '%s')",
			i, bad[i].want, why);
	}
	bc_manifest *m = NULL;
	const char *t = "{\"format\": \"bancada-bundle/2\"}";
	ok(bc_manifest_parse(t, strlen(t), &m, why, sizeof why) == BC_EINVALID &&
		strstr(why, "upgrade"), "a newer format version asks for an upgrade");
	t = "[1, 2]";
	ok(bc_manifest_parse(t, strlen(t), &m, why, sizeof why) == BC_EINVALID, "not an object");
	size_t big = BC_BUNDLE_MAX_MANIFEST + 1;
	char *huge = malloc(big);
	memset(huge, ' ', big);
	ok(bc_manifest_parse(huge, big, &m, why, sizeof why) == BC_EINVALID && strstr(why, "1 MiB"),
		"over 1 MiB refused before parsing");
	free(huge);
	ok(m == NULL, "no manifest on failure");
}

TEST(path_policy)
{
	ok(!bc_bundle_path_problem("model/weights.bin", 17), "plain path");
	ok(!bc_bundle_path_problem("mod\xc3\xa8le.bin", 10), "UTF-8 path");
	ok(bc_bundle_path_problem("bad\xff", 4) != NULL, "invalid UTF-8");
	ok(bc_bundle_path_problem("a\0b", 3) != NULL, "NUL byte");
	ok(bc_bundle_path_problem("C:x", 3) != NULL, "drive letter");
	ok(bc_bundle_path_problem("a/", 2) != NULL, "trailing slash");
	char deep[200] = "";
	for (int i = 0; i < 33; i++)
		strcat(deep, i ? "/d" : "d");
	ok(bc_bundle_path_problem(deep, strlen(deep)) != NULL, "33 levels refused");
	char longc[300];
	memset(longc, 'a', 256);
	longc[256] = '\0';
	ok(bc_bundle_path_problem(longc, 256) != NULL, "component over 255 bytes");
}

TEST(exec_kind)
{
	static const unsigned char pickle[] = { 0x80, 0x04, 0x95 };
	is_str(bc_bundle_exec_kind("m.joblib", NULL, 0), "joblib", "joblib");
	is_str(bc_bundle_exec_kind("m.PT", NULL, 0), "torch", "torch, any case");
	is_str(bc_bundle_exec_kind("m.keras", NULL, 0), "keras", "keras");
	is_str(bc_bundle_exec_kind("pytorch_model.bin", pickle, 3), "pickle", "pickle by content");
	ok(bc_bundle_exec_kind("m.safetensors", (const unsigned char *)"{\"", 2) == NULL, "safetensors is data");
}

TEST(diff)
{
	char why[256];
	char *ta = mk(FILE_A("a") ", " FILE_A("b"),
		"\"provenance\": {\"run\": {\"id\": \"0123456789abcdef0123456789abcdef\","
		" \"params\": {\"lr\": 0.1}, \"metrics\": {\"acc\": {\"last\": 0.5}}}}");
	char *tb = mk(FILE_A("a") ", {\"path\": \"c\", \"size\": 1, \"sha256\": \"" SHA_B "\", \"mode\": \"0755\"}",
		"\"provenance\": {\"run\": {\"id\": \"0123456789abcdef0123456789abcdef\","
		" \"params\": {\"lr\": 0.2}, \"metrics\": {\"acc\": {\"last\": 0.75}}}}");
	bc_manifest *a = NULL, *b = NULL;
	bc_manifest_parse(ta, strlen(ta), &a, why, sizeof why);
	bc_manifest_parse(tb, strlen(tb), &b, why, sizeof why);
	ok(a && b, "both parse");
	bc_bundle_change *c = NULL;
	size_t n = 0;
	if (a && b)
		bc_bundle_diff(a, b, &c, &n);
	int lr = 0, acc = 0, rm = 0, add = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(c[i].key, "lr") && c[i].has_delta && fabs(c[i].delta - 0.1) < 1e-9)
			lr = 1;
		if (!strcmp(c[i].key, "acc") && c[i].has_delta && fabs(c[i].delta - 0.25) < 1e-9)
			acc = 1;
		rm |= !strcmp(c[i].key, "b") && c[i].kind == BC_CHANGE_REMOVED;
		add |= !strcmp(c[i].key, "c") && c[i].kind == BC_CHANGE_ADDED;
	}
	ok(lr && acc, "param and metric deltas");
	ok(rm && add, "file removed and added");
	bc_bundle_changes_free(c, n);
	bc_bundle_diff(a, a, &c, &n);
	is_int(n, 0, "no differences with itself");
	bc_bundle_changes_free(c, n);
	bc_manifest_free(a);
	bc_manifest_free(b);
	free(ta);
	free(tb);
}

TAP_MAIN
