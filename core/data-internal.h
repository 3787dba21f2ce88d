/* SPDX-License-Identifier: MIT */
/* Private declarations shared by the core/data-*.c modules. Not installed. */
#ifndef BANCADA_CORE_DATA_INTERNAL_H
#define BANCADA_CORE_DATA_INTERNAL_H

#include <pthread.h>
#include <sys/stat.h>
#include "internal.h"
#include "bancada/data.h"

#define DATA_CHUNK (1024 * 1024)
/* Suffix of checkout temp files in the workspace (`.NAME.bctmp`). */
#define DATA_TMP_SUFFIX ".bctmp"

/* ---- hashing and the worker pool (data-hash.c) ---- */
void data_hex(const unsigned char *md, char hex[BC_DATA_HEX]);
int data_is_hex(const char *s);
/* Hash everything readable from fd; if out_fd >= 0, also write it there (a
 * writer thread overlaps the write with the hash). Returns 0 or -errno. */
int data_hash_copy(int fd, int out_fd, char hex[BC_DATA_HEX], int64_t *size);
/* Verified-object stamps (data-stamp.c): record on an object just hashed
 * as `hex` its size and mtime (nothing where the filesystem has no xattrs);
 * whether the stamp still matches the object as it is; copy in the kernel. */
void data_stamp_set(int fd, const char *hex);
int data_stamp_ok(int fd, const char *hex);
int data_copy_fd(int in, int out);
int data_hash_buf(const void *data, size_t len, char hex[BC_DATA_HEX]);
/* A reusable SHA-256 context (one per thread): no allocation per digest. */
typedef struct data_hasher data_hasher;
data_hasher *data_hasher_new(void);
int data_hasher_sum(data_hasher *h, const void *data, size_t len, unsigned char md[32]);
void data_hasher_free(data_hasher *h);
int data_threads(int wanted);
/* Run fn(i, arg) for i in [0, n) on `threads` threads; returns the first
 * non-zero result (every item still runs). */
int data_parallel(size_t n, int threads, int (*fn)(size_t i, void *arg), void *arg);

/* ---- walking a directory (data-walk.c) ---- */
/* A file found by data_walk_stat: its project-relative path (malloc'd),
 * `inner` the part below the walked directory, and its lstat. */
typedef struct data_wfile {
	char *rel;
	const char *inner;
	struct stat st;
} data_wfile;
/* data_walk_dir on `threads` threads, with each file's lstat taken relative
 * to its directory: sorted by path; the same refusals and messages. */
int data_walk_stat(bc_project *p, const char *rel, int threads, data_wfile **out, size_t *n);
void data_wfiles_free(data_wfile *v, size_t n);
/* A directory fd kept while consecutive paths (sorted) share it: files are
 * opened and stat'ed relative to it. Start as { .root = ROOT, .fd = -1 }. */
typedef struct data_dircur {
	const char *root;  /* the project root */
	int fd;
	const char *dir;   /* borrowed: a path starting with that directory */
	size_t len;
	int atime;         /* O_NOATIME was refused (not the owner) */
} data_dircur;
/* The fd of project-relative rel's directory, *base its last component. */
int data_dircur_at(data_dircur *c, const char *rel, const char **base);
/* Open rel read-only, not following a final symlink, without touching its
 * access time where allowed. -1 with errno. */
int data_dircur_open(data_dircur *c, const char *rel);
void data_dircur_close(data_dircur *c);

/* ---- the object store (data-cache.c) ---- */
char *cache_dir(bc_project *p);
char *cache_obj_path(bc_project *p, const char *hex);
int cache_has(bc_project *p, const char *hex, int64_t *size);
/* Copy fd into a temp object while hashing. When `sync`, fsync and link
 * into place; else leave the temp for cache_finalize() (after a syncfs).
 * `*tmp_out` (malloc'd) names the temp when !sync. Sets p's error only when
 * `p_err` (workers pass a private message buffer instead). */
int cache_insert_fd(bc_project *p, int fd, const struct stat *before, int sync,
	char hex[BC_DATA_HEX], int64_t *size, char **tmp_out, char *err, size_t errsz);
int cache_finalize(bc_project *p, const char *tmp, const char *hex, int sync_dir,
	char *err, size_t errsz);
int cache_insert_buf(bc_project *p, const void *data, size_t len, char hex[BC_DATA_HEX]);
int cache_read_obj(bc_project *p, const char *hex, char **out, size_t *len);
/* An fd reading object hex from its start (loose file, or a packed object's
 * bytes in an anonymous file); -1 with errno (ENOENT: not in the cache). */
int cache_open_obj(bc_project *p, const char *hex);
/* Re-hash an object: 0 ok, 1 corrupt (why set), <0 error. */
int cache_verify(bc_project *p, const char *hex, char *why, size_t whysz);
int cache_quarantine(bc_project *p, const char *hex);
/* Kernel-released lock on .bancada/cache/lock (flock), waiting up to 10 s. */
int cache_lock(bc_project *p, int exclusive, int *fd_out);
void cache_unlock(int fd);
/* Same for another lock file under .bancada/ (e.g. "tmp/checkout.lock"). */
int data_lock(bc_project *p, const char *name, int exclusive, int *fd_out);
/* Write object `hex` as dirfd/name atomically in link mode `mode`; verifies
 * copies. With `defer`, stop at the unsynced temp `.NAME.bctmp` (the caller
 * syncs and renames). Returns 0, 1 if the object is corrupt (quarantined),
 * <0 error. Thread-safe (no project error is set). */
int cache_put_out(bc_project *p, const char *hex, int dirfd, const char *name,
	int mode, int defer, char *err, size_t errsz);
void data_tmp_name(const char *name, char *buf, size_t size);

/* ---- pointers and manifests (data-pointer.c) ---- */
typedef struct data_ptr {
	char *path;        /* project-relative data path */
	char hash[BC_DATA_HEX];
	int is_dir;
	int64_t size;
	int64_t nfiles;
} data_ptr;
typedef struct data_ptrs {
	data_ptr *v;
	size_t n, cap;
} data_ptrs;
/* Parse pointer text; `rel_dir` is the pointer's project-relative directory. */
int data_ptr_parse(bc_project *p, const char *what, const char *text, size_t len,
	const char *rel_dir, data_ptr *out);
char *data_ptr_format(const data_ptr *d);
int data_ptr_write(bc_project *p, const data_ptr *d);
void data_ptr_clear(data_ptr *d);
void data_ptrs_clear(data_ptrs *l);
int data_ptrs_push(data_ptrs *l, data_ptr *d);
void data_ptrs_sort(data_ptrs *l);
const data_ptr *data_ptrs_find(const data_ptrs *l, const char *path);

typedef struct data_mentry {
	char *path;        /* relative to the tracked directory */
	char hash[BC_DATA_HEX];
	int64_t size;
	int exec;
} data_mentry;
typedef struct data_manifest {
	data_mentry *v;
	size_t n, cap;
} data_manifest;
char *data_manifest_format(data_manifest *m, size_t *len);
int data_manifest_parse(bc_project *p, const char *hex, data_manifest *out);
void data_manifest_clear(data_manifest *m);
int data_manifest_push(data_manifest *m, const char *path, const char *hex, int64_t size, int exec);

/* ---- stat cache (data-stat.c) ---- */
typedef struct data_stat data_stat;
int data_stat_load(bc_project *p, data_stat **out);
/* Hash of file `rel` if its stat still matches (never reads it): 1 hit, 0 miss. */
int data_stat_lookup(data_stat *sc, const char *rel, const struct stat *st, char hex[BC_DATA_HEX]);
void data_stat_put(data_stat *sc, const char *rel, const struct stat *st, const char *hex,
	int64_t recorded_ns);
/* Write changed entries (ignored on a read-only store). */
int data_stat_save(bc_project *p, data_stat *sc);
void data_stat_free(data_stat *sc);
int64_t data_now_ns(void);
/* Hash a workspace file: stat cache first, else read it. `hashed` is set to
 * 1 when read. 0 ok, BC_ENOTFOUND missing, <0 error (message set). */
int data_file_hash(bc_project *p, data_stat *sc, const char *rel, struct stat *st,
	char hex[BC_DATA_HEX], int *hashed);
/* The same with the lstat already taken (`st`, or its errno when non-zero). */
int data_file_hash_st(bc_project *p, data_stat *sc, const char *rel, struct stat *st,
	int lstat_errno, char hex[BC_DATA_HEX], int *hashed);

/* ---- workspace (data-ws.c) ---- */
/* Turn a user path (relative to cwd) into a clean project-relative path;
 * refuses paths outside the project, in .bancada/ or .git/, or through symlinks. */
int data_relpath(bc_project *p, const char *user_path, char **out);
/* Pointers in the workspace (under `only` when non-NULL), sorted by path. */
int data_ws_pointers(bc_project *p, data_ptrs *out);
/* Open the directory holding `rel` without following symlinks; create it if
 * `create`. Returns an fd or <0 (message set). */
int data_open_parent(bc_project *p, const char *rel, int create, const char **base);
/* The same walk with no message (safe in worker threads): the parent's fd, or
 * -1 with errno set and, in `fail`, where it stopped (0 = the root itself). */
struct data_walk_fail { size_t at; int mkdir; };
int data_walk_parent(const char *root, const char *rel, int create, const char **base,
	struct data_walk_fail *fail);
int data_ignore_add(bc_project *p, const char *rel);
int data_list_push(bc_data_list *l, const char *path, const char *inner, bc_data_state st);
/* Select pointers matching the user paths (all when n == 0). */
int data_select(bc_project *p, const data_ptrs *all, const char *const *paths, size_t n,
	data_ptrs *out);
/* Walk a data directory: regular files (relative names) sorted; refuses
 * symlinks and special files. */
int data_walk_dir(bc_project *p, const char *rel, char ***files, size_t *n);

/* ---- git (data-git.c) ---- */
/* Pointers at a revision (sorted). BC_ENOTFOUND if the revision is unknown. */
int data_git_pointers(bc_project *p, const char *rev, data_ptrs *out);
/* Every hash referenced by pointers in any commit reachable from a branch or
 * tag; calls fn per (hash, is_dir). Returns commits scanned or <0. */
int64_t data_git_all_hashes(bc_project *p, void (*fn)(const char *hex, int is_dir, void *arg),
	void *arg);

/* ---- config and remotes (data-remote.c) ---- */
int data_config_link(bc_project *p);
/* URL of the named (NULL: default) remote, malloc'd; NULL with message. */
char *data_remote_url(bc_project *p, const char *name);

/* ---- sets of hashes (data-transfer.c) ---- */
typedef struct data_hexset {
	char (*v)[BC_DATA_HEX];
	size_t n, cap;
	int sorted;
} data_hexset;
int data_hexset_add(data_hexset *s, const char *hex);
int data_hexset_has(data_hexset *s, const char *hex);
void data_hexset_free(data_hexset *s);

/* ---- packs of small objects (data-pack.c) ---- */
/* Objects below this size may be packed; a directory add packs when it
 * stores at least BANCADA_PACK_MIN (default 64) new objects. */
#define PACK_MAX_OBJ (64 * 1024)
/* Is hex packed? `check`: first reload the index table if the packs
 * directory changed since it was loaded. */
int pack_find(bc_project *p, const char *hex, int check, int64_t *size);
/* The packed bytes of hex, unverified (malloc'd): 0, BC_ENOTFOUND, <0. */
int pack_read(bc_project *p, const char *hex, char **out, size_t *len);
void pack_invalidate(void);
typedef struct pack_writer pack_writer;
int pack_writer_open(bc_project *p, pack_writer **out, char *err, size_t errsz);
/* Append one object (thread-safe; records are written with pwrite). */
int pack_writer_add(pack_writer *w, const char *hex, const void *data, size_t len);
/* A record: the 32-byte digest, the length (8 bytes, little-endian), the
 * bytes. Chunks written directly are aligned to PACK_ALIGN, zero-padded. */
#define PACK_REC_HEAD 40
#define PACK_ALIGN 4096
void pack_rec_head(unsigned char head[PACK_REC_HEAD], const unsigned char md[32], uint64_t len);
/* Write chunks with O_DIRECT from now on where the filesystem allows it (no
 * page-cache copy; the disk works during the add, not at the final fsync).
 * Returns the alignment of chunk buffers and lengths: PACK_ALIGN, or 1. */
size_t pack_writer_direct(pack_writer *w);
/* Append a chunk of len bytes of records whose entries e[0..n) have offsets
 * relative to buf (thread-safe). Not mixed with pack_writer_add. */
struct pack_ent;
int pack_writer_chunk(pack_writer *w, const void *buf, size_t len, const struct pack_ent *e, size_t n);
/* fsync the pack, then publish its index (temp, fsync, rename); frees w. */
int pack_writer_commit(pack_writer *w, char *err, size_t errsz);
void pack_writer_abort(pack_writer *w);
/* Every packed object once: fn(hex, size). */
int pack_each(bc_project *p, int (*fn)(const char *hex, int64_t size, void *arg), void *arg);
/* Drop the objects in `drop` from every index; with `rewrite`, rewrite
 * packs without their records (else only indexes). Adds dropped bytes. */
int pack_drop(bc_project *p, data_hexset *drop, int rewrite, int64_t *freed);
/* Copy a packed object to cache/quarantine/ and drop it from its index. */
int pack_quarantine(bc_project *p, const char *hex);
/* Remove packs left without an index (a killed add) and temp indexes;
 * only under the exclusive cache lock. Returns how many. */
int64_t pack_remove_orphans(bc_project *p, int dry);
/* An index file's entries (data-pack.c); the maintenance above (data-gc.c)
 * rewrites them. */
struct pack_ent {
	unsigned char md[32];
	uint32_t pack;
	uint64_t off, len;
};
/* Read and check one index file, appending to *v (each with `pack`). */
int pack_idx_read(const char *path, uint32_t pack, struct pack_ent **v, size_t *n, size_t *cap);
/* Write the sorted entries v[0..n) as dir/NAME.idx (temp, fsync, rename). */
int pack_idx_write(const char *dir, const char *name, struct pack_ent *v, size_t n);
/* 64 lowercase hex digits to the 32 bytes of a digest; -1 on anything else (data-pack.c). */
int data_unhex32(const char *hex, unsigned char md[32]);

/* A whole file in one allocation sized by fstat, NUL-terminated (data-hash.c). */
int data_read_whole(const char *path, char **out, size_t *len);

/* ---- presence of many objects without a stat each (data-cache.c) ---- */
typedef struct cache_view {
	bc_project *p;
	data_hexset loose;   /* one readdir per fan-out directory, on first need */
	int loaded;
} cache_view;
void cache_view_init(bc_project *p, cache_view *v);
/* Load the loose set now (then cache_view_has is safe from threads). */
void cache_view_load(cache_view *v);
int cache_view_has(cache_view *v, const char *hex);
void cache_view_free(cache_view *v);

/* ---- status snapshots of tracked directories (data-snap.c, data-snap-write.c) ---- */
/* Status of directory pointer d from its snapshot, with one lstat per file
 * and per directory and no manifest or stat cache: 1 done (items pushed),
 * 0 no usable snapshot or something changed (nothing pushed: take the full
 * path), <0 error. */
int data_snap_status(bc_project *p, const data_ptr *d, cache_view *cv, bc_data_list *out);
/* Record what a full status of d learned: per manifest entry its lstat, the
 * content hash the stat cache vouches for and whether it does (valid[i]).
 * Best effort (a read-only store keeps none); <0 only when out of memory. */
int data_snap_write(bc_project *p, const data_ptr *d, const data_manifest *m, const struct stat *st,
	const char (*cur)[BC_DATA_HEX], const unsigned char *valid);

#endif
