/* SPDX-License-Identifier: MIT */
/*
 * The project's bundle registry (table `bundles`): one row per archive
 * written by `bundle create`, keyed by its absolute path, so NAME@VERSION
 * can be resolved to a file and `bundle ls` can list what left the
 * workbench.
 */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "internal.h"
#include "bundle-private.h"

int
bundle_register(bc_project *p, const bc_bundle_info *b)
{
	sqlite3_stmt *st = NULL;
	int rc = bc_tx_begin(p);
	if (rc < 0)
		return rc;
	if ((rc = bc_prepare(p, &st, "INSERT OR REPLACE INTO bundles(path, name, version, run,"
			" format, size, sha256, files, payload_size, created_ms, bundled_ms)"
			" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")) < 0)
		goto fail;
	sqlite3_bind_text(st, 1, b->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, b->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, b->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, b->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, b->format, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)b->size);
	sqlite3_bind_text(st, 7, b->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)b->nfiles);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)b->payload_size);
	sqlite3_bind_int64(st, 10, b->created_ms);
	sqlite3_bind_int64(st, 11, b->bundled_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = bc_db_error(p, "cannot register the bundle");
		goto fail;
	}
	sqlite3_finalize(st);
	return bc_tx_commit(p);
fail:
	sqlite3_finalize(st);
	bc_tx_rollback(p);
	return rc;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? bc_strdup((const char *)s) : NULL;
}

int
bc_bundle_list(bc_project *p, bc_bundle_info **out, size_t *n)
{
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	int rc = bc_prepare(p, &st, "SELECT path, name, version, run, format, size, sha256,"
		" files, payload_size, created_ms, bundled_ms FROM bundles"
		" ORDER BY bundled_ms DESC, path");
	if (rc < 0)
		return rc;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			bc_bundle_info *v = realloc(*out, cap * sizeof *v);
			if (!v) {
				sqlite3_finalize(st);
				return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
			}
			*out = v;
		}
		bc_bundle_info *b = &(*out)[(*n)++];
		memset(b, 0, sizeof *b);
		b->path = col_dup(st, 0);
		b->name = col_dup(st, 1);
		b->version = col_dup(st, 2);
		b->run_id = col_dup(st, 3);
		snprintf(b->format, sizeof b->format, "%s", (const char *)sqlite3_column_text(st, 4));
		b->size = (uint64_t)sqlite3_column_int64(st, 5);
		snprintf(b->sha256, sizeof b->sha256, "%s", (const char *)sqlite3_column_text(st, 6));
		b->nfiles = (size_t)sqlite3_column_int64(st, 7);
		b->payload_size = (uint64_t)sqlite3_column_int64(st, 8);
		b->created_ms = sqlite3_column_int64(st, 9);
		b->bundled_ms = sqlite3_column_int64(st, 10);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : bc_db_error(p, "cannot list bundles");
}

void
bc_bundle_list_free(bc_bundle_info *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bc_bundle_info_clear(&list[i]);
	free(list);
}

int
bc_bundle_resolve(bc_project *p, const char *ref, char **path)
{
	struct stat st;
	*path = NULL;
	if (stat(ref, &st) == 0) {
		*path = bc_strdup(ref);
		return *path ? 0 : BC_ERROR;
	}
	if (!p)
		return bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND, "no bundle file %s", ref);
	const char *at = strrchr(ref, '@');
	char *name = at ? bc_strndup(ref, (size_t)(at - ref)) : bc_strdup(ref);
	const char *version = at ? at + 1 : NULL;
	sqlite3_stmt *s;
	int rc = bc_prepare(p, &s, "SELECT path FROM bundles WHERE name = ?1"
		" AND (?2 IS NULL OR version = ?2) ORDER BY bundled_ms DESC LIMIT 1");
	if (rc < 0) {
		free(name);
		return rc;
	}
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (version)
		sqlite3_bind_text(s, 2, version, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		*path = col_dup(s, 0);
	sqlite3_finalize(s);
	if (!*path) {
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"no bundle file or registered bundle '%s': see `bancada bundle ls`", ref);
	} else if (stat(*path, &st) < 0) {
		rc = bc_error_set(p, BC_ERR_INPUT, BC_ENOTFOUND,
			"bundle %s is registered at %s, which is gone: %s", ref, *path, strerror(errno));
		free(*path);
		*path = NULL;
	}
	free(name);
	return rc;
}
