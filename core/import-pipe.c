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

static void
item_clear(struct imp_item *it)
{
	imp_run_clear(&it->run);
	it->warnings.len = 0;
	it->kind = IMP_ITEM_NONE;
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
	item_clear(&it);
	bc_buf_free(&it.warnings);
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
	for (int i = 0; i < QUEUE; i++) {
		item_clear(&pp->slots[i].item);
		bc_buf_free(&pp->slots[i].item.warnings);
	}
	pthread_cond_destroy(&pp->filled);
	pthread_cond_destroy(&pp->freed);
	pthread_mutex_destroy(&pp->lock);
	free(pp);
	return rc;
}
