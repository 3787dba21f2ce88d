/* SPDX-License-Identifier: MIT */
/* The on-disk layout of status snapshots, shared by data-snap.c (loading,
 * the fast path) and data-snap-write.c. Private to core; not installed.
 *
 * A snapshot file: the header, one checksum per SNAP_CHUNK file entries,
 * the directories, the file entries, the modified files' contents, then the
 * strings (the tracked path first). Native byte order (`endian` tells). */
#ifndef BANCADA_CORE_DATA_SNAP_H
#define BANCADA_CORE_DATA_SNAP_H

#include "data-internal.h"

#define SNAP_MAGIC "BCSNAP2\n"
#define SNAP_RACY_NS (20 * 1000000LL)
#define SNAP_CHUNK 2048

enum { SNAP_BAD = 0, SNAP_CLEAN = 1, SNAP_MODIFIED = 2 };

/* The stat of a directory of the cache; ino -1 never matches (it was racy). */
struct snap_fp {
	int64_t ino, mtime_ns, ctime_ns;
};

struct snap_head {
	char magic[8];
	uint32_t endian, nfiles, ndirs, nmods, strsz, pathlen;
	char manifest[64];
	uint64_t sum;         /* of the header (sum 0), chunk sums, dirs, mods, strings */
	/* where the objects are: while cache/packs and every cache/XX are as they
	 * were, each file's `present` still holds */
	struct snap_fp packs, fan[256];
	uint32_t fp_ok, pad;
};

struct snap_dir {
	int64_t dev, ino, mtime_ns, ctime_ns;
	uint32_t name;        /* offset of its path below the tracked directory */
	uint32_t valid;
};

struct snap_file {
	int64_t ino, size, mtime_ns, ctime_ns;
	uint32_t name;        /* offset of its base name */
	uint32_t dir;
	uint32_t midx;        /* its place in the manifest */
	uint8_t state, present, pad[2];
	unsigned char want[32];
};

/* The content of a file in state SNAP_MODIFIED (idx: its manifest index,
 * sorted). */
struct snap_mod {
	uint32_t idx;
	unsigned char cur[32];
};

/* A 64-bit checksum of data, chained from h (0 to start). */
uint64_t snap_checksum(uint64_t h, const void *data, size_t len);
/* A timespec in nanoseconds. */
int64_t snap_tsns(const struct timespec *ts);
/* .bancada/tmp/stat/<sha256 of rel> (malloc'd), or the directory itself
 * when `dir_only`; NULL when out of memory. */
char *snap_path(bc_project *p, const char *rel, int dir_only);
/* The stat of cache directory `name` (relative to cfd) into fp: all zero
 * when absent; ino -1 when t0 is given and it changed within the racy window
 * before t0 (such a stat never matches). */
void snap_fp_take(int cfd, const char *name, struct snap_fp *fp, int64_t t0);

#endif
