/* SPDX-License-Identifier: MIT */
/*
 * The whole tracked tree for browsing (the TUI data view): every tracked
 * path, then the files of each tracked directory, with the hash and size the
 * pointer records and, when asked, the state of each row computed through the
 * stat cache (an unchanged file is never read).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include "data-internal.h"

static bc_data_item *
push(bc_data_list *out, const char *path, const char *inner, bc_data_state st)
{
	return data_list_push(out, path, inner, st) == 0 ? &out->v[out->n - 1] : NULL;
}

/* State of one workspace file that should hold `want`; fills it->hash/size from disk. */
static bc_data_state
file_state(bc_project *p, data_stat *sc, const char *rel, const char *want, bc_data_list *out,
	char cur[BC_DATA_HEX], int64_t *cur_size)
{
	struct stat st;
	int hashed = 0;
	int rc = data_file_hash(p, sc, rel, &st, cur, &hashed);
	out->files_checked++;
	out->files_hashed += hashed;
	if (hashed)
		out->bytes_hashed += st.st_size;
	*cur_size = rc == 0 ? (int64_t)st.st_size : -1;
	if (rc != 0)
		cur[0] = '\0';
	if (rc == BC_ENOTFOUND)
		return BC_DATA_MISSING;
	if (rc == BC_EINVALID)
		return BC_DATA_MODIFIED;
	if (rc < 0) {
		bc_error_clear(p);
		return BC_DATA_UNREADABLE;
	}
	if (strcmp(cur, want))
		return BC_DATA_MODIFIED;
	return cache_has(p, want, NULL) ? BC_DATA_CLEAN : BC_DATA_NOT_CACHED;
}

/* Fill a row: the pointer's hash and size stay in hash/size, what the
 * workspace holds (when it differs) goes to old_hash/old_size. */
static void
fill(bc_data_item *it, bc_data_state s, const char *want, int64_t size, const char *cur,
	int64_t cur_size)
{
	it->state = s;
	memcpy(it->hash, want, BC_DATA_HEX);
	it->size = size;
	it->in_cache = s != BC_DATA_NOT_CACHED;
	if (s == BC_DATA_MODIFIED && cur[0]) {
		memcpy(it->old_hash, cur, BC_DATA_HEX);
		it->old_size = cur_size;
	}
}

static bc_data_state
worse(bc_data_state dir, bc_data_state file)
{
	if (file == BC_DATA_MODIFIED || file == BC_DATA_MISSING || file == BC_DATA_ADDED ||
			file == BC_DATA_UNREADABLE)
		return BC_DATA_MODIFIED;
	if (file == BC_DATA_NOT_CACHED && dir == BC_DATA_CLEAN)
		return BC_DATA_NOT_CACHED;
	return dir;
}

static int
tree_dir(bc_project *p, data_stat *sc, const data_ptr *d, int check, bc_data_list *out)
{
	size_t row = out->n;
	bc_data_item *it = push(out, d->path, NULL, BC_DATA_CLEAN);
	if (!it)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	it->is_dir = 1;
	it->nfiles = d->nfiles;
	memcpy(it->hash, d->hash, BC_DATA_HEX);
	it->size = d->size;
	it->in_cache = 1;
	data_manifest m;
	int rc = data_manifest_parse(p, d->hash, &m);
	if (rc == BC_ENOTFOUND) {
		bc_error_clear(p);
		it->state = BC_DATA_NOT_CACHED;
		it->in_cache = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	char **files = NULL;
	size_t nf = 0;
	bc_data_state whole = BC_DATA_CLEAN;  /* the directory cannot be walked */
	if (check && (rc = data_walk_dir(p, d->path, &files, &nf)) < 0) {
		whole = rc == BC_ENOTFOUND ? BC_DATA_MISSING : BC_DATA_UNREADABLE;
		bc_error_clear(p);
		rc = 0;
		out->v[row].state = whole == BC_DATA_MISSING ? BC_DATA_MISSING : BC_DATA_MODIFIED;
		check = 0;
	}
	bc_data_state agg = out->v[row].state;
	size_t i = 0, j = 0;
	while (rc == 0 && (i < m.n || (check && j < nf))) {
		int c = i >= m.n ? 1 : j >= nf ? -1 : strcmp(m.v[i].path, files[j]);
		if (!check)
			c = -1;
		if (c > 0) {
			/* in the workspace directory, not in its pointer */
			bc_data_item *a = push(out, d->path, files[j++], BC_DATA_ADDED);
			if (a)
				a->size = -1;
			agg = worse(agg, BC_DATA_ADDED);
			continue;
		}
		bc_data_item *f = push(out, d->path, m.v[i].path, BC_DATA_CLEAN);
		if (!f) {
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
			break;
		}
		if (whole != BC_DATA_CLEAN) {
			fill(f, whole, m.v[i].hash, m.v[i].size, "", -1);
		} else if (check) {
			char cur[BC_DATA_HEX], *rel = bc_sprintf("%s/%s", d->path, m.v[i].path);
			int64_t cs = -1;
			bc_data_state s = rel ? file_state(p, sc, rel, m.v[i].hash, out, cur, &cs) : BC_DATA_UNREADABLE;
			free(rel);
			f = &out->v[out->n - 1];
			fill(f, s, m.v[i].hash, m.v[i].size, cur, cs);
			agg = worse(agg, s);
		} else {
			memcpy(f->hash, m.v[i].hash, BC_DATA_HEX);
			f->size = m.v[i].size;
			f->in_cache = 1;
		}
		i++;
		if (c == 0)
			j++;
	}
	out->v[row].state = agg;
	out->v[row].in_cache = agg != BC_DATA_NOT_CACHED;
	for (size_t k = 0; k < nf; k++)
		free(files[k]);
	free(files);
	data_manifest_clear(&m);
	return rc;
}

int
bc_data_tree(bc_project *p, int check, bc_data_list *out)
{
	data_ptrs all;
	data_stat *sc = NULL;
	int rc = data_ws_pointers(p, &all);
	if (rc < 0)
		return rc;
	if (check && (rc = data_stat_load(p, &sc)) < 0) {
		data_ptrs_clear(&all);
		return rc;
	}
	for (size_t i = 0; i < all.n && rc == 0; i++) {
		const data_ptr *d = &all.v[i];
		if (d->is_dir) {
			rc = tree_dir(p, sc, d, check, out);
			continue;
		}
		bc_data_item *it = push(out, d->path, NULL, BC_DATA_CLEAN);
		if (!it) {
			rc = bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
			break;
		}
		if (!check) {
			memcpy(it->hash, d->hash, BC_DATA_HEX);
			it->size = d->size;
			it->in_cache = 1;
			continue;
		}
		char cur[BC_DATA_HEX];
		int64_t cs = -1;
		bc_data_state s = file_state(p, sc, d->path, d->hash, out, cur, &cs);
		fill(&out->v[out->n - 1], s, d->hash, d->size, cur, cs);
	}
	if (sc && data_stat_save(p, sc) < 0)
		bc_error_clear(p);  /* a read-only store just cannot remember */
	data_stat_free(sc);
	data_ptrs_clear(&all);
	return rc;
}
