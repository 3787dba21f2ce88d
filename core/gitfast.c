/* SPDX-License-Identifier: MIT */
/*
 * The git state of a clean work tree without libgit2 (loading it and its 25
 * libraries, and parsing the index through it, costs more than the check).
 * HEAD and the branch come from .git/HEAD, refs/ and packed-refs; the index
 * (version 2 or 3) is read in place and every entry lstat()ed once against
 * the stat data git recorded, as git's own index does. Whether the index
 * matches HEAD's tree is known when the index's cache tree (kept valid by
 * `git commit`) names the tree of HEAD's loose commit object, and is
 * remembered: .bancada/tmp/git-clean holds HEAD's commit and the index's
 * checksum once that or libgit2 found them matching; while both are
 * unchanged, the index still matches. Anything unusual (a linked work tree, a split or sparse
 * index, SHA-256, GIT_DIR...) returns "unknown" and libgit2 decides.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "internal.h"
#include "gitfast.h"

#define CLEAN_FILE "tmp/git-clean"
#define SUFFIX_MEMO "tmp/index-suffix"

static ssize_t
read_small(int dirfd, const char *path, char *buf, size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* A cache under .bancada/, not a record: written to a temporary file and
 * renamed, without fsync (a torn or lost file only reads as unknown). */
static void
cache_write(bc_project *p, const char *name, const char *data, size_t n)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", p->dir, name) >= sizeof path)
		return;
	snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	int ok = write(fd, data, n) == (ssize_t)n;
	close(fd);
	if (!ok || rename(tmp, path) < 0)
		unlink(tmp);
}

static int
is_hex40(const char *s)
{
	return strspn(s, "0123456789abcdef") == 40 && (s[40] == '\0' || s[40] == '\n' || s[40] == ' ');
}

/* Walk up from dir to the directory holding a .git directory. */
static int
find_repo(const char *dir, char *wt, size_t size)
{
	static const char *const env[] = { "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
		"GIT_CEILING_DIRECTORIES", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", NULL };
	for (int i = 0; env[i]; i++)
		if (getenv(env[i]))
			return -1;
	if ((size_t)snprintf(wt, size, "%s", dir) >= size || wt[0] != '/')
		return -1;
	for (;;) {
		char cand[PATH_MAX + 8];
		struct stat st;
		snprintf(cand, sizeof cand, "%s/.git", strcmp(wt, "/") ? wt : "");
		if (lstat(cand, &st) == 0)
			return S_ISDIR(st.st_mode) ? 0 : -1;   /* a .git file: a linked work tree */
		char *slash = strrchr(wt, '/');
		if (!slash || slash == wt)
			return -1;
		*slash = '\0';
	}
}

/* HEAD's commit (40 hex) and branch ("" when detached). */
static int
read_head(int gitfd, char commit[41], char *branch, size_t bsize)
{
	char buf[512];
	if (read_small(gitfd, "HEAD", buf, sizeof buf) < 0)
		return -1;
	branch[0] = '\0';
	if (is_hex40(buf)) {
		memcpy(commit, buf, 40);
		commit[40] = '\0';
		return 0;
	}
	if (strncmp(buf, "ref: refs/heads/", 16))
		return -1;
	char *ref = buf + 5, *nl = strchr(ref, '\n');
	if (nl)
		*nl = '\0';
	if (strstr(ref, "..") || (size_t)snprintf(branch, bsize, "%s", ref + 11) >= bsize)
		return -1;
	char val[128];
	if (read_small(gitfd, ref, val, sizeof val) > 0) {
		if (!is_hex40(val))
			return -1;
		memcpy(commit, val, 40);
		commit[40] = '\0';
		return 0;
	}
	/* packed-refs: "<hex> <ref>" lines */
	int fd = openat(gitfd, "packed-refs", O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return -1;   /* an unborn branch: libgit2 says so */
	}
	char line[1024];
	size_t rlen = strlen(ref);
	int rc = -1;
	while (fgets(line, sizeof line, f)) {
		if (is_hex40(line) && line[40] == ' ' && !strncmp(line + 41, ref, rlen) &&
		    (line[41 + rlen] == '\n' || line[41 + rlen] == '\0')) {
			memcpy(commit, line, 40);
			commit[40] = '\0';
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

uint32_t
bc_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
#define be32 bc_be32

int
bc_ix_iter_init(struct bc_ix_iter *it, const unsigned char *ix, size_t len)
{
	memset(it, 0, sizeof *it);
	if (len < 12 + 20 || memcmp(ix, "DIRC", 4))
		return -1;
	it->ix = ix;
	it->len = len;
	it->ver = be32(ix + 4);
	it->n = be32(ix + 8);
	it->off = 12;
	if ((it->ver != 2 && it->ver != 3) || it->n > (len - 32) / 62)
		return -1;
	return 0;
}

int
bc_ix_next(struct bc_ix_iter *it, struct bc_ix_ent *e)
{
	if (it->i >= it->n)
		return 0;
	size_t off = it->off, len = it->len;
	const unsigned char *raw = it->ix + off;
	if (off + 62 > len - 20)
		return -1;
	uint16_t flags = (uint16_t)(raw[60] << 8 | raw[61]);
	size_t head = 62;
	e->ext = 0;
	if (flags & 0x4000) {                    /* extended flags: version 3 */
		if (it->ver < 3 || off + 64 > len - 20)
			return -1;
		head = 64;
		e->ext = raw[62];
	}
	const char *path = (const char *)raw + head;
	const char *end = memchr(path, '\0', len - 20 - off - head);
	if (!end || (size_t)(end - path) >= PATH_MAX)
		return -1;
	e->raw = raw;
	e->head = head;
	e->path = path;
	e->plen = (size_t)(end - path);
	e->flags = flags;
	e->mode = be32(raw + 24);
	it->off = off + ((head + e->plen + 8) & ~(size_t)7);
	it->i++;
	return 1;
}

/* One index entry to check: its offset in the index and its path's length. */
struct ix_entry {
	size_t off, head, plen;
};

struct stat_job {
	int wtfd;
	const unsigned char *ix;
	const struct stat *ist;
	const struct ix_entry *ents;
	size_t count;
	size_t *next;            /* the next entry no worker has taken yet */
	volatile int *stop;      /* set by the first worker that finds a change */
	int rc;
};

/* Entries a worker takes at a time: workers share the pass dynamically, so
 * one that shares its core with the caller's other work (the store opening
 * beside a prefetched read) does not leave the rest waiting at the end. */
#define STAT_CHUNK 256

/* lstat index entries, a chunk at a time, against their stat data: 0 all
 * match, 1 one may have changed (or is racy). Entries are sorted by path, so
 * each directory is opened once a chunk and its files looked up relative to it. */
static void *
stat_range(void *arg)
{
	struct stat_job *j = arg;
	int dfd = -1;
	char dir[PATH_MAX] = "";
	size_t dlen = 0, i = 0, hi = 0;
	j->rc = 0;
	for (; j->rc == 0; i++) {
		if (i >= hi) {
			if (*j->stop)
				break;
			i = __atomic_fetch_add(j->next, STAT_CHUNK, __ATOMIC_RELAXED);
			if (i >= j->count)
				break;
			hi = i + STAT_CHUNK < j->count ? i + STAT_CHUNK : j->count;
		}
		const unsigned char *e = j->ix + j->ents[i].off;
		const char *path = (const char *)e + j->ents[i].head;
		size_t plen = j->ents[i].plen;
		uint32_t mode = be32(e + 24);
		const char *base = memrchr(path, '/', plen);
		size_t nd = base ? (size_t)(base - path) : 0;
		if (nd != dlen || memcmp(dir, path, nd) || dfd < 0) {
			if (dfd >= 0 && dfd != j->wtfd)
				close(dfd);
			memcpy(dir, path, nd);
			dir[nd] = '\0';
			dlen = nd;
			dfd = nd ? openat(j->wtfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) : j->wtfd;
			if (dfd < 0) {
				j->rc = 1;          /* the directory went away */
				break;
			}
		}
		struct stat st;
		if (fstatat(dfd, base ? base + 1 : path, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !bc_git_stat_unchanged(&st, be32(e + 36), be32(e + 20), be32(e + 8), be32(e + 12), mode, j->ist))
			j->rc = 1;                  /* changed, or racy */
	}
	if (dfd >= 0 && dfd != j->wtfd)
		close(dfd);
	if (j->rc)
		*j->stop = 1;
	return NULL;
}

/* Workers for the lstat pass: a syscall costs microseconds on a VM, so a
 * large work tree is checked on every core (as git's preload-index does). */
#define STAT_WORKERS_MAX 8
#define STAT_PER_WORKER 2048

/*
 * Compare every index entry with the work tree: 0 when all match, 1 when a
 * file may have changed (or is racy), -1 when this index is not for us.
 * The index is parsed first; the lstat pass is then split across threads.
 */
static int
index_matches(int wtfd, const unsigned char *ix, size_t len, const struct stat *ist, char sum[41])
{
	struct bc_ix_iter it;
	if (bc_ix_iter_init(&it, ix, len) < 0)
		return -1;
	struct ix_entry *ents = malloc(((size_t)it.n + 1) * sizeof *ents);
	if (!ents)
		return -1;
	size_t count = 0;
	int rc = 0, more;
	struct bc_ix_ent e;
	while (rc == 0 && (more = bc_ix_next(&it, &e)) != 0) {
		if (more < 0)
			rc = -1;
		else if (e.ext & 0x60)              /* skip-worktree, intent-to-add */
			rc = 1;
		else if (e.flags & 0x3000)          /* a merge conflict */
			rc = 1;
		else if ((e.mode & 0170000) != 0160000)   /* submodules are ignored */
			ents[count++] = (struct ix_entry){ (size_t)(e.raw - ix), e.head, e.plen };
	}
	size_t off = it.off;
	if (rc == 0) {
		volatile int stop = 0;
		struct stat_job jobs[STAT_WORKERS_MAX];
		pthread_t th[STAT_WORKERS_MAX];
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		size_t nw = count / STAT_PER_WORKER + 1;
		if (nw > (size_t)(cpus > 0 ? cpus : 1))
			nw = (size_t)(cpus > 0 ? cpus : 1);
		if (nw > STAT_WORKERS_MAX)
			nw = STAT_WORKERS_MAX;
		size_t started = 0, next = 0;
		for (size_t w = 0; w < nw; w++) {
			jobs[w] = (struct stat_job){ wtfd, ix, ist, ents, count, &next, &stop, 0 };
			/* the calling thread takes the first range itself */
			if (w > 0 && pthread_create(&th[w], NULL, stat_range, &jobs[w]) != 0)
				break;
			started = w + 1;
		}
		stat_range(&jobs[0]);           /* takes whatever a missing thread would have */
		rc = jobs[0].rc;
		for (size_t w = 1; w < started; w++) {
			pthread_join(th[w], NULL);
			if (jobs[w].rc)
				rc = 1;
		}
	}
	free(ents);
	if (rc != 0)
		return rc;
	/* extensions we cannot follow: a split index, a sparse index */
	while (off + 8 <= len - 20) {
		if (!memcmp(ix + off, "link", 4) || !memcmp(ix + off, "sdir", 4))
			return -1;
		off += 8 + (size_t)be32(ix + off + 4);
	}
	bc_hex(ix + len - 20, 20, sum);
	return 0;
}

/* The tree a commit names, from its loose object (as right after `git
 * commit`); -1 when it is packed or unreadable (libgit2 reads it then). */
int
bc_git_index_sum(int fd, char sum[41])
{
	struct stat st;
	unsigned char t[20];
	sum[0] = '\0';
	if (fstat(fd, &st) < 0 || st.st_size < 32 || pread(fd, t, 20, st.st_size - 20) != 20)
		return -1;
	bc_hex(t, 20, sum);
	return 0;
}

static int
commit_tree(int gitfd, const char *commit, char tree[41])
{
	char rel[64];
	unsigned char in[1024], out[160];
	snprintf(rel, sizeof rel, "objects/%.2s/%s", commit, commit + 2);
	int fd = openat(gitfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, in, sizeof in);
	close(fd);
	if (n <= 0)
		return -1;
	z_stream zs;
	memset(&zs, 0, sizeof zs);
	if (inflateInit(&zs) != Z_OK)
		return -1;
	zs.next_in = in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = sizeof out - 1;
	int zr = inflate(&zs, Z_SYNC_FLUSH);
	size_t got = sizeof out - 1 - zs.avail_out;
	inflateEnd(&zs);
	if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
		return -1;
	/* "commit <size>\0tree <hex>\n..." */
	const unsigned char *nul = memchr(out, '\0', got);
	if (got < 7 || memcmp(out, "commit ", 7) || !nul)
		return -1;
	const char *t = (const char *)nul + 1;
	out[got] = '\0';
	if (strncmp(t, "tree ", 5) || !is_hex40(t + 5) || t[45] != '\n')
		return -1;
	memcpy(tree, t + 5, 40);
	tree[40] = '\0';
	return 0;
}

/* The tree git would write for the index as it is, from its cache tree (the
 * TREE extension) when that covers every entry; -1 when it is not there or
 * invalidated (by `git add` since the last commit, say). */
static int
index_root_tree(const unsigned char *ix, size_t len, char tree[41])
{
	struct bc_ix_iter it;
	struct bc_ix_ent e;
	int r;
	if (bc_ix_iter_init(&it, ix, len) < 0)
		return -1;
	while ((r = bc_ix_next(&it, &e)) > 0)
		;
	for (size_t off = it.off; r == 0 && off + 8 <= len - 20;) {
		size_t sz = be32(ix + off + 4);
		if (sz > len - 20 - off - 8)
			return -1;
		const unsigned char *p = ix + off + 8, *end = p + sz;
		off += 8 + sz;
		if (memcmp(p - 8, "TREE", 4))
			continue;
		/* the root entry first: an empty path, "<entries> <subtrees>\n", its id */
		char num[48];
		size_t k = 0;
		if (p >= end || *p++ != '\0')
			return -1;
		while (p < end && *p != '\n' && k < sizeof num - 1)
			num[k++] = (char)*p++;
		num[k] = '\0';
		long entries;
		int subtrees;
		if (p >= end || sscanf(num, "%ld %d", &entries, &subtrees) != 2 || entries != (long)it.n ||
		    end - ++p < 20)
			return -1;
		bc_hex(p, 20, tree);
		return 0;
	}
	return -1;
}

static void
clean_key(char *key, size_t size, const char *commit, const char *sum)
{
	snprintf(key, size, "%s %s\n", commit, sum);
}

int
bc_git_fast_state(bc_project *p, const char *dir, bc_git_state *out)
{
	char wt[PATH_MAX], commit[41], branch[256], sum[41];
	if (find_repo(dir, wt, sizeof wt) < 0)
		return -1;
	int wtfd = open(wt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int gitfd = wtfd >= 0 ? openat(wtfd, ".git", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int ixfd = gitfd >= 0 ? openat(gitfd, "index", O_RDONLY | O_CLOEXEC) : -1;
	int rc = -1;
	unsigned char *ix = NULL;
	size_t ixlen = 0;
	struct stat ist;
	if (ixfd < 0 || read_head(gitfd, commit, branch, sizeof branch) < 0 || fstat(ixfd, &ist) < 0 ||
	    ist.st_size < 32 || ist.st_size > (off_t)1 << 30)
		goto done;
	/* mapped, not read: faults in the page cache's pages, no copy */
	size_t len = (size_t)ist.st_size;
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, ixfd, 0);
	if (map == MAP_FAILED)
		goto done;
	ix = map;
	ixlen = len;
	/* the cheap half first: is this (commit, index) pair known to match? */
	bc_hex(ix + len - 20, 20, sum);
	char key[128], known[256];
	clean_key(key, sizeof key, commit, sum);
	size_t klen = strlen(key);
	char *cpath = bc_path_join(p->dir, CLEAN_FILE);
	ssize_t kl = cpath ? read_small(AT_FDCWD, cpath, known, sizeof known) : -1;
	free(cpath);
	/* A watcher of this work tree that has seen no change to a tracked path
	 * since a scan found them all matching (its line after the key) spares
	 * the scan. A scan bracketed by two equal answers earns that line.
	 * Asked first: when none answers, the caller may start one. */
	struct bc_watch_reply w1, w2;
	char wline[96] = "";
	if (!strcmp(wt, p->root) && bc_git_watch_ask(p, sum, &w1) == 0 && !strcmp(w1.sum, sum))
		snprintf(wline, sizeof wline, "w %s %llu\n", w1.inst, w1.gen);
	int key_ok = kl > 0 && !strncmp(key, known, klen);
	if (!key_ok) {
		/* a new index or a new HEAD: when the index's cache tree is the
		 * tree of HEAD's commit (as right after `git commit`), the index
		 * matches HEAD without libgit2 reading a tree */
		char t1[41], t2[41];
		if (index_root_tree(ix, len, t1) < 0 || commit_tree(gitfd, commit, t2) < 0 || strcmp(t1, t2))
			goto done;
	}
	if (!key_ok || !wline[0] || strcmp(known + klen, wline)) {
		if (index_matches(wtfd, ix, len, &ist, sum) != 0)
			goto done;
		int earned = wline[0] && bc_git_watch_ask(p, sum, &w2) == 0 && w2.gen == w1.gen &&
			!strcmp(w2.inst, w1.inst);
		if (earned || !key_ok) {
			char both[256];
			int n = snprintf(both, sizeof both, "%s%s", key, earned ? wline : "");
			if (n > 0 && (size_t)n < sizeof both)
				cache_write(p, CLEAN_FILE, both, (size_t)n);
		}
	}
	out->toplevel = bc_sprintf("%s/", wt);
	out->commit = bc_strdup(commit);
	out->branch = branch[0] ? bc_strdup(branch) : NULL;
	out->dirty = 0;
	rc = out->toplevel && out->commit ? 0 : -1;
	if (rc < 0)
		bc_git_state_clear(out);
done:
	if (ix)
		munmap(ix, ixlen);
	if (ixfd >= 0)
		close(ixfd);
	if (gitfd >= 0)
		close(gitfd);
	if (wtfd >= 0)
		close(wtfd);
	return rc;
}

void
bc_git_fast_remember_clean(bc_project *p, const char *toplevel, const char *commit)
{
	char gitdir[PATH_MAX], sum[41], key[128];
	if (!toplevel || !commit || strlen(commit) != 40 ||
	    (size_t)snprintf(gitdir, sizeof gitdir, "%s/.git", toplevel) >= sizeof gitdir)
		return;
	int gitfd = open(gitdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = gitfd >= 0 ? openat(gitfd, "index", O_RDONLY | O_CLOEXEC) : -1;
	if (fd >= 0 && bc_git_index_sum(fd, sum) == 0) {
		clean_key(key, sizeof key, commit, sum);
		char *cpath = bc_path_join(p->dir, CLEAN_FILE);
		char known[256];
		if (cpath && (read_small(AT_FDCWD, cpath, known, sizeof known) <= 0 ||
		    strncmp(key, known, strlen(key))))
			cache_write(p, CLEAN_FILE, key, strlen(key));
		free(cpath);
	}
	if (fd >= 0)
		close(fd);
	if (gitfd >= 0)
		close(gitfd);
}

/* The answer for an index whose checksum is `sum`, remembered in
 * .bancada/tmp/index-suffix: 0 or 1, or -1 when not known. */
static int
suffix_memo_get(bc_project *p, const char *sum, const char *suffix)
{
	char path[PATH_MAX], buf[256], want[256];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", p->dir, SUFFIX_MEMO) >= sizeof path ||
	    read_small(AT_FDCWD, path, buf, sizeof buf) <= 0)
		return -1;
	int n = snprintf(want, sizeof want, "%s %s ", sum, suffix);
	if (n <= 0 || (size_t)n >= sizeof want || strncmp(buf, want, (size_t)n) ||
	    (buf[n] != '0' && buf[n] != '1') || buf[n + 1] != '\n')
		return -1;
	return buf[n] - '0';
}

static void
suffix_memo_put(bc_project *p, const char *sum, const char *suffix, int has)
{
	char line[256];
	int n = snprintf(line, sizeof line, "%s %s %d\n", sum, suffix, has);
	if (n > 0 && (size_t)n < sizeof line)
		cache_write(p, SUFFIX_MEMO, line, (size_t)n);
}

int
bc_git_fast_index_has_suffix(bc_project *p, const char *toplevel, const char *suffix)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof path, "%s/.git/index", toplevel) >= sizeof path)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		/* a repository with nothing added yet has no index: no entries */
		int none = errno == ENOENT;
		path[strlen(path) - strlen("/index")] = '\0';
		return none && stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
	}
	unsigned char *ix = NULL;
	int rc = -1;
	if (fstat(fd, &st) < 0 || st.st_size < 32 || st.st_size > (off_t)1 << 30)
		goto done;
	size_t len = (size_t)st.st_size, sl = strlen(suffix);
	/* the index's trailing checksum names its content: asked before, known */
	char sum[41];
	if (bc_git_index_sum(fd, sum) < 0)
		goto done;
	if ((rc = suffix_memo_get(p, sum, suffix)) >= 0)
		goto done;
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto done;
	ix = map;
	struct bc_ix_iter it;
	struct bc_ix_ent e;
	if (bc_ix_iter_init(&it, ix, len) < 0)
		goto done;
	while ((rc = bc_ix_next(&it, &e)) > 0)
		if (e.plen > sl && !memcmp(e.path + e.plen - sl, suffix, sl))
			break;
	if (rc >= 0)
		suffix_memo_put(p, sum, suffix, rc);
done:
	if (ix)
		munmap(ix, (size_t)st.st_size);
	close(fd);
	return rc;
}
