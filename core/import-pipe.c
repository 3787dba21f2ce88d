/* SPDX-License-Identifier: MIT */
/*
 * The importers' pipeline: reader threads open, stat and parse source runs
 * while the calling thread writes them into the store (SQLite wants one
 * writer; parsing metric files is the other half of the work). Items travel
 * through a ring of QUEUE slots and are stored in index order, so names,
 * warnings and counts come out exactly as a one-thread import gives them.
 * Readers claim BLOCK items at a time and signal once per block, so an
 * import that finds nothing changed is not a stream of futex calls; the
 * points waiting in the queue are bounded (MAX_QUEUED_POINTS).
 * Readers never touch the project handle: their warnings are deferred into
 * the item and replayed here.
 *
 * WAL checkpoints (copying committed pages into the database file, with two
 * fsyncs) run on a thread of their own with its own connection, so the
 * writer never waits for the disk; the writer lets the WAL restart from its
 * beginning once it is WAL_HIGH_FRAMES long (imp_wal_wait).
 */
#include "config.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "import-private.h"

#define BLOCK 8
#define QUEUE (8 * BLOCK)
#define MAX_READERS 4
#define MAX_QUEUED_POINTS (8u << 20)
#define WAL_CHECKPOINT_FRAMES 1000   /* as core/store.c without a checkpoint thread */
#define WAL_HIGH_FRAMES 16384        /* 256 MiB with 16 KiB pages */
#define CKPT_MIN_FRAMES 1024         /* fewer fsyncs: checkpoint 16 MiB or more at once */

struct slot {
	struct imp_item item;
	int ready;
};

struct pipe {
	const struct imp_reader *rd;
	size_t n;
	pthread_mutex_t lock;
	pthread_cond_t filled, freed;
	size_t next;             /* next index a reader claims */
	size_t consumed;         /* items stored so far */
	size_t queued_points;    /* metric points read and not yet stored */
	int stop;
	struct slot slots[QUEUE];
};

/* Empty a slot for its next item; its point buffers stay for reuse. */
static void
item_clear(struct imp_item *it)
{
	imp_run_recycle(&it->run);
	it->warnings.len = 0;
	it->kind = IMP_ITEM_NONE;
}

static void
item_free(struct imp_item *it)
{
	imp_run_clear(&it->run);
	bc_buf_free(&it->warnings);
}

static size_t
item_points(const struct imp_item *it)
{
	size_t n = 0;
	for (size_t k = 0; k < it->run.nseries; k++)
		n += it->run.series[k].n;
	return n;
}

static void *
reader_main(void *arg)
{
	struct pipe *pp = arg;
	void *state = pp->rd->thread_new ? pp->rd->thread_new(pp->rd->payload) : NULL;
	pthread_mutex_lock(&pp->lock);
	for (;;) {
		/* slots are free once the items QUEUE before them were stored */
		while (!pp->stop && pp->next < pp->n && (pp->next + BLOCK > pp->consumed + QUEUE ||
				pp->queued_points > MAX_QUEUED_POINTS))
			pthread_cond_wait(&pp->freed, &pp->lock);
		if (pp->stop || pp->next >= pp->n)
			break;
		size_t first = pp->next, end = first + BLOCK < pp->n ? first + BLOCK : pp->n;
		pp->next = end;
		pthread_mutex_unlock(&pp->lock);
		size_t points = 0;
		for (size_t i = first; i < end; i++) {
			struct slot *s = &pp->slots[i % QUEUE];
			imp_warn_defer(&s->item.warnings);
			pp->rd->read(state, i, &s->item);
			imp_warn_defer(NULL);
			/* the digest hashes every point: here, not on the writer */
			if (s->item.kind == IMP_ITEM_RUN)
				imp_run_digest(&s->item.run);
			points += item_points(&s->item);
		}
		pthread_mutex_lock(&pp->lock);
		for (size_t i = first; i < end; i++)
			pp->slots[i % QUEUE].ready = 1;
		pp->queued_points += points;
		pthread_cond_broadcast(&pp->filled);
	}
	pthread_mutex_unlock(&pp->lock);
	if (pp->rd->thread_free)
		pp->rd->thread_free(state);
	return NULL;
}

/* ---- checkpoints on their own thread ---- */

struct imp_ckpt {
	sqlite3 *db, *main;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t wake, idle;
	unsigned long req, done;  /* commits seen, commits checkpointed */
	int frames;               /* WAL length after the last commit */
	int copied;               /* WAL frames copied by the last checkpoint */
	int urgent;               /* the writer waits for a checkpoint */
	int stop;
};

/* the writer thread's checkpointer while imp_pipe runs */
static __thread struct imp_ckpt *active_ckpt;

/*
 * The store's WAL hook during and after an import: with a checkpoint thread
 * it only wakes that thread; without one it is core/store.c's own hook
 * (checkpoint a WAL of WAL_CHECKPOINT_FRAMES, remember its length for close).
 */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	bc_project *p = arg;
	struct imp_ckpt *k = active_ckpt;
	p->wal_frames = frames;
	if (k && k->main == db) {
		pthread_mutex_lock(&k->lock);
		k->req++;
		k->frames = frames;
		/* a restarted WAL counts from 0 again */
		if (frames < k->copied)
			k->copied = 0;
		if (frames - k->copied >= CKPT_MIN_FRAMES)
			pthread_cond_signal(&k->wake);
		pthread_mutex_unlock(&k->lock);
		return SQLITE_OK;
	}
	if (frames >= WAL_CHECKPOINT_FRAMES &&
	    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
		p->wal_frames = 0;
	return SQLITE_OK;
}

static void *
ckpt_main(void *arg)
{
	struct imp_ckpt *k = arg;
	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (!k->stop && (k->done == k->req ||
				(!k->urgent && k->frames - k->copied < CKPT_MIN_FRAMES)))
			pthread_cond_wait(&k->wake, &k->lock);
		if (k->stop)
			break;
		unsigned long upto = k->req;
		pthread_mutex_unlock(&k->lock);
		int log = -1, copied = -1;
		int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
		pthread_mutex_lock(&k->lock);
		k->done = upto;
		if (rc == SQLITE_OK && copied >= 0)
			k->copied = copied;
		pthread_cond_broadcast(&k->idle);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

/* A checkpoint thread for p's store, or NULL (the writer checkpoints itself). */
static struct imp_ckpt *
ckpt_start(bc_project *p)
{
	const char *path = sqlite3_db_filename(p->db, "main");
	struct imp_ckpt *k = calloc(1, sizeof *k);
	if (!k || !path || !*path)
		goto fail;
	if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(k->db, 5000);
	/* a first read opens the WAL (a checkpoint alone would not) */
	if (sqlite3_exec(k->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	k->main = p->db;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	pthread_cond_init(&k->idle, NULL);
	if (pthread_create(&k->tid, NULL, ckpt_main, k) != 0) {
		pthread_cond_destroy(&k->wake);
		pthread_cond_destroy(&k->idle);
		pthread_mutex_destroy(&k->lock);
		goto fail;
	}
	sqlite3_wal_hook(p->db, wal_hook, p);
	active_ckpt = k;
	return k;
fail:
	if (k)
		sqlite3_close_v2(k->db);
	free(k);
	return NULL;
}

void
imp_wal_finish(struct imp_ctx *c)
{
	struct imp_ckpt *k = c->ckpt;
	if (!k)
		return;
	c->ckpt = NULL;
	active_ckpt = NULL;
	pthread_mutex_lock(&k->lock);
	k->stop = 1;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->tid, NULL);
	/* the WAL grew up to WAL_HIGH_FRAMES: copy what is left and truncate
	 * it, never waiting for a reader (it is then truncated at close) */
	if (!c->batch) {
		sqlite3_busy_timeout(k->db, 0);
		if (sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK)
			c->p->wal_frames = 0;
	}
	pthread_cond_destroy(&k->wake);
	pthread_cond_destroy(&k->idle);
	pthread_mutex_destroy(&k->lock);
	sqlite3_close_v2(k->db);
	free(k);
}

void
imp_wal_wait(bc_project *p)
{
	struct imp_ckpt *k = active_ckpt;
	if (!k || k->main != p->db || p->wal_frames < WAL_HIGH_FRAMES)
		return;
	/* the next transaction restarts the WAL if every frame is copied when it begins */
	pthread_mutex_lock(&k->lock);
	k->urgent = 1;
	pthread_cond_signal(&k->wake);
	while (k->done != k->req && !k->stop)
		pthread_cond_wait(&k->idle, &k->lock);
	k->urgent = 0;
	pthread_mutex_unlock(&k->lock);
}

/* Store one item read from the source. */
static int
store_item(struct imp_ctx *c, struct imp_item *it)
{
	int rc = 0;
	imp_warn_replay(c, &it->warnings);
	switch (it->kind) {
	case IMP_ITEM_NONE:
		c->total--;
		break;
	case IMP_ITEM_UNCHANGED:
		imp_count_unchanged(c);
		break;
	case IMP_ITEM_SKIP:
		imp_skip(c);
		break;
	default:
		rc = imp_commit_run(c, &it->run);
		break;
	}
	item_clear(it);
	return rc;
}

/* Few runs or no threads: read and store one at a time here. */
static int
pipe_inline(struct imp_ctx *c, size_t n, const struct imp_reader *rd)
{
	struct imp_item it;
	memset(&it, 0, sizeof it);
	imp_run_init(&it.run);
	void *state = rd->thread_new ? rd->thread_new(rd->payload) : NULL;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		imp_warn_defer(&it.warnings);
		rd->read(state, i, &it);
		imp_warn_defer(NULL);
		rc = store_item(c, &it);
	}
	if (rd->thread_free)
		rd->thread_free(state);
	item_free(&it);
	return rc;
}

static int
nreaders(size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 4 || cpus < 2)
		return 0;
	/* the writer takes one CPU when there is something to write */
	return cpus - 1 > MAX_READERS ? MAX_READERS : cpus < 3 ? 2 : (int)cpus - 1;
}

int
imp_pipe(struct imp_ctx *c, size_t n, const struct imp_reader *rd)
{
	int want = nreaders(n);
	if (want == 0)
		return pipe_inline(c, n, rd);
	struct pipe *pp = calloc(1, sizeof *pp);
	pthread_t tid[MAX_READERS];
	int started = 0, rc = 0;
	if (!pp)
		return pipe_inline(c, n, rd);
	pp->rd = rd;
	pp->n = n;
	pthread_mutex_init(&pp->lock, NULL);
	pthread_cond_init(&pp->filled, NULL);
	pthread_cond_init(&pp->freed, NULL);
	for (int i = 0; i < QUEUE; i++)
		imp_run_init(&pp->slots[i].item.run);
	for (; started < want; started++)
		if (pthread_create(&tid[started], NULL, reader_main, pp) != 0)
			break;
	if (started == 0) {
		rc = pipe_inline(c, n, rd);
		goto done;
	}
	if (!c->ckpt)
		c->ckpt = ckpt_start(c->p);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct slot *s = &pp->slots[i % QUEUE];
		pthread_mutex_lock(&pp->lock);
		while (!s->ready)
			pthread_cond_wait(&pp->filled, &pp->lock);
		pthread_mutex_unlock(&pp->lock);
		size_t points = item_points(&s->item);
		rc = store_item(c, &s->item);
		pthread_mutex_lock(&pp->lock);
		s->ready = 0;
		pp->consumed++;
		pp->queued_points -= points;
		/* wake readers when a block of slots is free or the points drained */
		if (pp->consumed % BLOCK == 0 || pp->queued_points <= MAX_QUEUED_POINTS / 2)
			pthread_cond_broadcast(&pp->freed);
		pthread_mutex_unlock(&pp->lock);
	}
	pthread_mutex_lock(&pp->lock);
	pp->stop = 1;
	pthread_cond_broadcast(&pp->freed);
	pthread_mutex_unlock(&pp->lock);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
done:
	for (int i = 0; i < QUEUE; i++)
		item_free(&pp->slots[i].item);
	pthread_cond_destroy(&pp->filled);
	pthread_cond_destroy(&pp->freed);
	pthread_mutex_destroy(&pp->lock);
	free(pp);
	return rc;
}
