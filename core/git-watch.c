/* SPDX-License-Identifier: MIT */
/*
 * The work-tree watcher: a small background process per project that keeps
 * inotify watches on every directory holding a tracked file (and their
 * ancestors), so that `bancada run` can tell a clean work tree without one
 * lstat per tracked file, as git's fsmonitor does. It counts changes: every
 * event on a tracked path (or a directory leading to one) bumps a
 * generation number. A run that scanned the tree and found it clean, with
 * the same generation before and after its scan, remembers that generation
 * (.bancada/tmp/git-clean); while the watcher still reports it, nothing
 * tracked has changed, so the tree is still clean.
 *
 * It listens on an abstract unix socket named after the user and the work
 * tree's device and inode (no file in the project to copy or leave behind);
 * clients only trust a peer of their own uid. It watches local filesystems
 * only (changes on NFS and the like come from other hosts unseen), exits when
 * the work tree is removed or moved, when stopped, or after an idle time.
 * Changes it cannot see: writes through a shared mmap (Linux sends no event
 * for them) and through a hard link made after it read the index.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>
#include "internal.h"
#include "gitfast.h"

#define IO_TIMEOUT_MS 1000          /* past it (a stopped watcher, a huge index) the run scans */
#define DIR_EVENTS (IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | \
	IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK)
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_DONT_FOLLOW)

/* ---- the address ---- */

static int
watch_addr(const char *root, struct sockaddr_un *a, socklen_t *alen)
{
	struct stat st;
	if (stat(root, &st) < 0)
		return -1;
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	/* abstract: sun_path[0] is NUL and the name is not NUL-terminated */
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "bancada-watch:%lu:%llu:%llu",
		(unsigned long)geteuid(), (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	if (n <= 0 || (size_t)n >= sizeof a->sun_path - 1)
		return -1;
	*alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	return 0;
}

static void
set_timeouts(int fd, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int
peer_is_us(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof cr;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && cr.uid == geteuid();
}

/* Read one line (up to size-1 bytes) ending in '\n'; its length, or -1. */
static ssize_t
read_line(int fd, char *buf, size_t size)
{
	size_t got = 0;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = '\0';
	char *nl = strchr(buf, '\n');
	if (!nl)
		return -1;
	*nl = '\0';
	return nl - buf;
}

/* ---- the client ---- */

/* Send `req`, read the one-line reply. -1 (and *missing when nobody listens). */
static int
watch_request(const char *root, const char *req, char *reply, size_t size, int *missing)
{
	struct sockaddr_un a;
	socklen_t alen;
	*missing = 0;
	if (watch_addr(root, &a, &alen) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, alen) < 0) {
		*missing = errno == ECONNREFUSED || errno == ENOENT;
		close(fd);
		return -1;
	}
	set_timeouts(fd, IO_TIMEOUT_MS);
	size_t rl = strlen(req);
	int rc = peer_is_us(fd) && send(fd, req, rl, MSG_NOSIGNAL) == (ssize_t)rl &&
		read_line(fd, reply, size) >= 0 ? 0 : -1;
	close(fd);
	return rc;
}

static int
watch_enabled(void)
{
	const char *e = getenv("BANCADA_WATCH");
	return !(e && (!strcmp(e, "0") || !strcmp(e, "no") || !strcmp(e, "off")));
}

int
bc_git_watch_ask(bc_project *p, const char *sum, struct bc_watch_reply *out)
{
	if (!watch_enabled())
		return -1;
	char req[64], reply[256];
	int missing;
	snprintf(req, sizeof req, "Q %s\n", sum);
	if (watch_request(p->root, req, reply, sizeof reply, &missing) < 0) {
		if (missing)
			p->watch_missing = 1;
		return -1;
	}
	/* "W <instance> <generation> <index checksum>"; "E <why>" when it cannot watch */
	char inst[64], isum[64];
	unsigned long long gen;
	if (sscanf(reply, "W %63s %llu %63s", inst, &gen, isum) != 3 || strlen(inst) != 32 || strlen(isum) != 40)
		return -1;
	memcpy(out->inst, inst, 33);
	memcpy(out->sum, isum, 41);
	out->gen = gen;
	return 0;
}

int
bc_git_watch_missing(bc_project *p)
{
	return p && p->watch_missing && watch_enabled();
}

int
bc_git_watch_status(bc_project *p, bc_git_watch_info *out)
{
	char reply[512];
	int missing;
	memset(out, 0, sizeof *out);
	if (watch_request(p->root, "S\n", reply, sizeof reply, &missing) < 0)
		return bc_error_set(p, BC_ERR_GIT, BC_ENOTFOUND, "no watcher runs for %s", p->root);
	long long started;
	int state_at = 0;
	if (sscanf(reply, "S %ld %llu %llu %zu %zu %lld %n", &out->pid, &out->gen, &out->queries,
			&out->dirs, &out->files, &started, &state_at) != 6 || !state_at)
		return bc_error_set(p, BC_ERR_GIT, BC_ERROR, "the watcher of %s gave an answer this bancada cannot read",
			p->root);
	out->started_ms = started;
	snprintf(out->state, sizeof out->state, "%s", reply + state_at);
	return 0;
}

int
bc_git_watch_stop(bc_project *p)
{
	char reply[64];
	int missing;
	if (watch_request(p->root, "X\n", reply, sizeof reply, &missing) < 0)
		return bc_error_set(p, BC_ERR_GIT, BC_ENOTFOUND, "no watcher runs for %s", p->root);
	return 0;
}

/* ---- the watcher ---- */

struct watcher {
	const char *root;
	int ifd;                    /* inotify */
	char inst[33];
	unsigned long long gen, queries;
	char sum[41];               /* checksum of the index the watches follow */
	char **files, **dirs;       /* sorted paths relative to root; "" is the root */
	size_t nfiles, ndirs;
	int *wd_kind;               /* by watch descriptor: 0 none, 1 dir, 2 file, 3 .git */
	size_t *wd_idx;             /* ... and the index into dirs or files */
	size_t nwd;
	int stale;                  /* the set of watched paths must be read again */
	int new_index;              /* .git/index was replaced */
	int failed;                 /* cannot watch: why */
	int remote;                 /* not a local filesystem: never watched */
	char why[200];
	int64_t started_ms, last_ms;
	int quit;
};

static volatile sig_atomic_t watch_stop_signal;

static void
on_term(int sig)
{
	(void)sig;
	watch_stop_signal = 1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has_path(char **v, size_t n, const char *key)
{
	return n && bsearch(&key, v, n, sizeof *v, cmp_str) != NULL;
}

static void
free_paths(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
watcher_clear(struct watcher *w)
{
	if (w->ifd >= 0)
		close(w->ifd);
	w->ifd = -1;
	free_paths(w->files, w->nfiles);
	free_paths(w->dirs, w->ndirs);
	w->files = w->dirs = NULL;
	w->nfiles = w->ndirs = 0;
	free(w->wd_kind);
	free(w->wd_idx);
	w->wd_kind = NULL;
	w->wd_idx = NULL;
	w->nwd = 0;
}

static int
remember_wd(struct watcher *w, int wd, int kind, size_t idx)
{
	if (wd < 0)
		return -1;
	if ((size_t)wd >= w->nwd) {
		size_t n = (size_t)wd * 2 + 16;
		int *k = realloc(w->wd_kind, n * sizeof *k);
		if (k)
			w->wd_kind = k;
		size_t *x = realloc(w->wd_idx, n * sizeof *x);
		if (x)
			w->wd_idx = x;
		if (!k || !x)
			return -1;
		memset(w->wd_kind + w->nwd, 0, (n - w->nwd) * sizeof *k);
		w->nwd = n;
	}
	w->wd_kind[wd] = kind;
	w->wd_idx[wd] = idx;
	return 0;
}

static int
push_path(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		char **nv = realloc(*v, c * sizeof *nv);
		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	char *d = bc_strndup(s, len);
	if (!d)
		return -1;
	(*v)[(*n)++] = d;
	return 0;
}

static void
watch_fail(struct watcher *w, const char *what, int err)
{
	w->failed = 1;
	snprintf(w->why, sizeof w->why, "%s: %s", what, strerror(err));
}

/* The checksum of the index now on disk ("" when there is none). */
static void
index_sum(const char *root, char sum[41])
{
	char path[PATH_MAX];
	sum[0] = '\0';
	snprintf(path, sizeof path, "%s/.git/index", root);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	bc_git_index_sum(fd, sum);
	close(fd);
}

/*
 * Read the index and watch every directory holding a tracked file, their
 * ancestors and the root, plus each tracked file with more than one link
 * (a write through another link raises no event in its directory).
 */
static void
watcher_load(struct watcher *w)
{
	watcher_clear(w);
	w->failed = 0;
	w->stale = 0;
	w->sum[0] = '\0';
	w->gen++;                               /* whatever was known before is not now */
	char path[PATH_MAX + 8];
	snprintf(path, sizeof path, "%s/.git/index", w->root);
	char *ix = NULL;
	size_t len = 0;
	int e = bc_read_file(path, &ix, &len);
	struct bc_ix_iter it;
	if (e < 0 || bc_ix_iter_init(&it, (const unsigned char *)ix, len) < 0) {
		free(ix);
		watch_fail(w, "cannot read the git index", e < 0 ? -e : EINVAL);
		return;
	}
	bc_hex((const unsigned char *)ix + len - 20, 20, w->sum);
	size_t fcap = 0, dcap = 0;
	struct bc_ix_ent ent;
	int more, ok = push_path(&w->dirs, &w->ndirs, &dcap, "", 0) == 0;
	const char *prev = "";
	size_t prevlen = 0;
	while (ok && (more = bc_ix_next(&it, &ent)) > 0) {
		if ((ent.mode & 0170000) == 0160000)
			continue;                       /* submodules: not checked by the scan either */
		ok = push_path(&w->files, &w->nfiles, &fcap, ent.path, ent.plen) == 0;
		/* every directory prefix not shared with the previous entry */
		for (size_t k = 0; ok && k < ent.plen; k++) {
			if (ent.path[k] != '/')
				continue;
			if (k < prevlen && prev[k] == '/' && !memcmp(prev, ent.path, k))
				continue;
			ok = push_path(&w->dirs, &w->ndirs, &dcap, ent.path, k) == 0;
		}
		prev = ent.path;
		prevlen = ent.plen;
	}
	free(ix);
	if (!ok || more < 0) {
		watch_fail(w, "cannot read the git index", ok ? EINVAL : ENOMEM);
		return;
	}
	if (w->nfiles)
		qsort(w->files, w->nfiles, sizeof *w->files, cmp_str);
	qsort(w->dirs, w->ndirs, sizeof *w->dirs, cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < w->ndirs; i++) {
		if (u && !strcmp(w->dirs[u - 1], w->dirs[i]))
			free(w->dirs[i]);
		else
			w->dirs[u++] = w->dirs[i];
	}
	w->ndirs = u;
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd < 0) {
		watch_fail(w, "cannot start inotify", errno);
		return;
	}
	int rootfd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; i < w->ndirs; i++) {
		snprintf(path, sizeof path, "%s/%s", w->root, w->dirs[i]);
		int wd = inotify_add_watch(w->ifd, path, DIR_EVENTS);
		if (wd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue;   /* missing: its parent, watched, sees it come back (and asks for a reload) */
		if (remember_wd(w, wd, 1, i) < 0) {
			watch_fail(w, "cannot watch the work tree (raise fs.inotify.max_user_watches?)", errno);
			break;
		}
	}
	for (size_t i = 0; !w->failed && rootfd >= 0 && i < w->nfiles; i++) {
		struct stat st;
		if (fstatat(rootfd, w->files[i], &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_nlink < 2)
			continue;
		snprintf(path, sizeof path, "%s/%s", w->root, w->files[i]);
		int wd = inotify_add_watch(w->ifd, path, FILE_EVENTS);
		if (wd >= 0 && remember_wd(w, wd, 2, i) < 0)
			watch_fail(w, "cannot watch the work tree", errno);
	}
	if (rootfd >= 0)
		close(rootfd);
	/* git replaces the index by renaming index.lock: read it again then,
	 * before the next run asks, rather than while it waits */
	snprintf(path, sizeof path, "%s/.git", w->root);
	int gwd = inotify_add_watch(w->ifd, path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
	if (gwd >= 0)
		remember_wd(w, gwd, 3, 0);
	w->gen++;                               /* watching from here on */
}

/* Take every queued event: bump the generation for those on tracked paths. */
static void
watcher_drain(struct watcher *w)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	char rel[PATH_MAX * 2];
	while (w->ifd >= 0) {
		ssize_t n = read(w->ifd, buf, sizeof buf);
		if (n <= 0)
			break;
		for (char *q = buf; q < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)q;
			q += sizeof *ev + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				w->gen++;
				w->stale = 1;
				continue;
			}
			if (ev->wd < 0 || (size_t)ev->wd >= w->nwd || !w->wd_kind[ev->wd])
				continue;
			if (w->wd_kind[ev->wd] == 2) {
				w->gen++;               /* a multiply-linked tracked file */
				continue;
			}
			if (w->wd_kind[ev->wd] == 3) {
				if (ev->len && !strcmp(ev->name, "index"))
					w->new_index = 1;   /* .git/index replaced */
				continue;
			}
			const char *dir = w->dirs[w->wd_idx[ev->wd]];
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
				w->gen++;
				w->stale = 1;
				if (!dir[0] && (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)))
					w->quit = 1;        /* the work tree itself is gone */
				continue;
			}
			if (!ev->len)
				continue;
			snprintf(rel, sizeof rel, "%s%s%s", dir, dir[0] ? "/" : "", ev->name);
			if (has_path(w->files, w->nfiles, rel)) {
				w->gen++;
			} else if (has_path(w->dirs, w->ndirs, rel)) {
				w->gen++;               /* a directory leading to tracked files */
				w->stale = 1;
			}
		}
	}
}

static int
local_fs(const char *root)
{
	struct statfs sf;
	if (statfs(root, &sf) < 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case 0xEF53UL:       /* ext2/3/4 */
	case 0x58465342UL:   /* xfs */
	case 0x9123683EUL:   /* btrfs */
	case 0x01021994UL:   /* tmpfs */
	case 0x794C7630UL:   /* overlayfs */
	case 0xF2F52010UL:   /* f2fs */
	case 0x2FC12FC1UL:   /* zfs */
		return 1;
	default:
		return 0;
	}
}

static void
serve_one(struct watcher *w, int cfd)
{
	char req[128], reply[512];
	set_timeouts(cfd, 1000);
	if (!peer_is_us(cfd) || read_line(cfd, req, sizeof req) < 0)
		return;
	w->last_ms = bc_now_ms();
	watcher_drain(w);
	if (req[0] == 'Q' && req[1] == ' ') {
		w->queries++;
		char now[41];
		if (!w->remote) {
			index_sum(w->root, now);
			if (w->stale || strcmp(now, w->sum))
				watcher_load(w);        /* the index changed: other paths are tracked */
		}
		if (w->failed)
			snprintf(reply, sizeof reply, "E %s\n", w->why);
		else
			snprintf(reply, sizeof reply, "W %s %llu %s\n", w->inst, w->gen, w->sum);
	} else if (req[0] == 'S') {
		snprintf(reply, sizeof reply, "S %ld %llu %llu %zu %zu %lld %s\n", (long)getpid(), w->gen,
			w->queries, w->ndirs, w->nfiles, (long long)w->started_ms,
			w->failed ? w->why : w->stale ? "watching (will re-read the index)" : "watching");
	} else if (req[0] == 'X') {
		snprintf(reply, sizeof reply, "X\n");
		w->quit = 1;
	} else {
		return;
	}
	send(cfd, reply, strlen(reply), MSG_NOSIGNAL);
}

int
bc_git_watch_serve(bc_project *p, int idle_secs)
{
	struct sockaddr_un a;
	socklen_t alen;
	bc_store_close(p);                      /* a watcher holds no store connection */
	if (watch_addr(p->root, &a, &alen) < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot watch %s: %s", p->root, strerror(errno));
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot watch %s: %s", p->root, strerror(errno));
	if (bind(lfd, (struct sockaddr *)&a, alen) < 0 || listen(lfd, 16) < 0) {
		int e = errno;
		close(lfd);
		if (e == EADDRINUSE)
			return bc_error_set(p, BC_ERR_OS, BC_EEXISTS, "a watcher already runs for %s", p->root);
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot watch %s: %s", p->root, strerror(e));
	}
	struct watcher w = { 0 };
	w.root = p->root;
	w.ifd = -1;
	unsigned char r[16];
	if (getentropy(r, sizeof r) < 0) {
		int64_t t = bc_now_ms() ^ ((int64_t)getpid() << 32);
		memcpy(r, &t, sizeof t);
		memcpy(r + 8, &t, sizeof t);
	}
	bc_hex(r, 16, w.inst);
	w.started_ms = w.last_ms = bc_now_ms();
	struct sigaction sa = { 0 };
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (chdir("/") < 0) {
		/* nothing here is relative; staying is harmless */
	}
	if (!local_fs(p->root)) {
		w.failed = w.remote = 1;
		snprintf(w.why, sizeof w.why, "not a local filesystem: changes from other hosts are not seen");
	} else {
		watcher_load(&w);
	}
	int64_t idle_ms = (int64_t)(idle_secs > 0 ? idle_secs : 1) * 1000;
	while (!w.quit && !watch_stop_signal) {
		struct pollfd fds[2] = { { lfd, POLLIN, 0 }, { w.ifd, POLLIN, 0 } };
		int64_t left = w.last_ms + idle_ms - bc_now_ms();
		if (left <= 0)
			break;
		int pr = poll(fds, w.ifd >= 0 ? 2 : 1, left > 10000 ? 10000 : (int)left);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr > 0 && w.ifd >= 0 && (fds[1].revents & POLLIN))
			watcher_drain(&w);
		if (w.new_index && !w.remote) {
			char now[41];
			w.new_index = 0;
			index_sum(w.root, now);
			if (strcmp(now, w.sum))
				watcher_load(&w);
		}
		if (pr > 0 && (fds[0].revents & POLLIN)) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (cfd >= 0) {
				serve_one(&w, cfd);
				close(cfd);
			}
		}
	}
	close(lfd);
	watcher_clear(&w);
	return 0;
}
