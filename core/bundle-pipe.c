/* SPDX-License-Identifier: MIT */
/*
 * A four-slot pipeline for payload bytes: the thread that decompresses
 * hands full buffers to a worker that hashes them (SHA-256, libcrypto) and
 * optionally writes them to a file. Decompression and hashing overlap on
 * two cores, as `zstd -dc | openssl dgst` does, with constant memory.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "bundle-pipe.h"

#define NSLOTS 4             /* slack for scheduling jitter on a loaded machine */

struct bundle_pipe {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, quit;
	struct { unsigned char *buf; size_t len; int full; } slot[NSLOTS];
	int prod, cons;          /* next slot to fill / to consume */
	EVP_MD_CTX *md;
	int fd;                  /* output file or -1 (owned by the caller) */
	int err;                 /* first write error (errno) */
	uint64_t written, flushed; /* bytes written to fd / handed to writeback */
};

/* Start writeback every 8 MiB so the final fsync has little left to wait for. */
#define WRITEBACK_STEP (8u << 20)

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *
worker(void *arg)
{
	struct bundle_pipe *bp = arg;
	pthread_mutex_lock(&bp->mu);
	for (;;) {
		while (!bp->slot[bp->cons].full && !bp->quit)
			pthread_cond_wait(&bp->cv, &bp->mu);
		if (!bp->slot[bp->cons].full && bp->quit)
			break;
		int i = bp->cons;
		EVP_MD_CTX *md = bp->md;
		int fd = bp->fd;
		pthread_mutex_unlock(&bp->mu);
		EVP_DigestUpdate(md, bp->slot[i].buf, bp->slot[i].len);
		int e = fd >= 0 ? write_all(fd, bp->slot[i].buf, bp->slot[i].len) : 0;
		if (fd >= 0 && !e) {
			bp->written += bp->slot[i].len;
			if (bp->written - bp->flushed >= WRITEBACK_STEP) {
				sync_file_range(fd, (off_t)bp->flushed, (off_t)(bp->written - bp->flushed),
					SYNC_FILE_RANGE_WRITE);
				bp->flushed = bp->written;
			}
		}
		pthread_mutex_lock(&bp->mu);
		if (e && !bp->err)
			bp->err = e;
		bp->slot[i].full = 0;
		bp->cons = (i + 1) % NSLOTS;
		pthread_cond_broadcast(&bp->cv);
	}
	pthread_mutex_unlock(&bp->mu);
	return NULL;
}

struct bundle_pipe *
bundle_pipe_new(void)
{
	struct bundle_pipe *bp = calloc(1, sizeof *bp);
	if (!bp)
		return NULL;
	pthread_mutex_init(&bp->mu, NULL);
	pthread_cond_init(&bp->cv, NULL);
	bp->fd = -1;
	bp->md = EVP_MD_CTX_new();
	for (int i = 0; i < NSLOTS; i++) {
		bp->slot[i].buf = malloc(BUNDLE_CHUNK);
		if (!bp->slot[i].buf)
			goto fail;
	}
	if (!bp->md)
		goto fail;
	if (pthread_create(&bp->th, NULL, worker, bp) != 0)
		goto fail;
	bp->started = 1;
	return bp;
fail:
	bundle_pipe_free(bp);
	return NULL;
}

/* Wait until the worker consumed every full slot. Called with mu held. */
static void
drain_locked(struct bundle_pipe *bp)
{
	for (int i = 0; i < NSLOTS; i++)
		while (bp->slot[i].full)
			pthread_cond_wait(&bp->cv, &bp->mu);
}

int
bundle_pipe_begin(struct bundle_pipe *bp, int fd)
{
	pthread_mutex_lock(&bp->mu);
	drain_locked(bp);
	bp->fd = fd;
	bp->err = 0;
	bp->written = bp->flushed = 0;
	int rc = EVP_DigestInit_ex(bp->md, EVP_sha256(), NULL) == 1 ? 0 : -1;
	pthread_mutex_unlock(&bp->mu);
	return rc;
}

unsigned char *
bundle_pipe_slot(struct bundle_pipe *bp)
{
	pthread_mutex_lock(&bp->mu);
	while (bp->slot[bp->prod].full)
		pthread_cond_wait(&bp->cv, &bp->mu);
	unsigned char *buf = bp->slot[bp->prod].buf;
	pthread_mutex_unlock(&bp->mu);
	return buf;
}

void
bundle_pipe_push(struct bundle_pipe *bp, size_t len)
{
	pthread_mutex_lock(&bp->mu);
	int i = bp->prod;
	bp->slot[i].len = len;
	bp->slot[i].full = 1;
	bp->prod = (i + 1) % NSLOTS;
	pthread_cond_broadcast(&bp->cv);
	pthread_mutex_unlock(&bp->mu);
}

int
bundle_pipe_end(struct bundle_pipe *bp, char out[65])
{
	pthread_mutex_lock(&bp->mu);
	drain_locked(bp);
	int err = bp->err;
	bp->fd = -1;
	pthread_mutex_unlock(&bp->mu);
	if (bundle_sha256_final(bp->md, out) < 0)
		return -EIO;
	return err ? -err : 0;
}

void
bundle_pipe_free(struct bundle_pipe *bp)
{
	if (!bp)
		return;
	if (bp->started) {
		pthread_mutex_lock(&bp->mu);
		drain_locked(bp);
		bp->quit = 1;
		pthread_cond_broadcast(&bp->cv);
		pthread_mutex_unlock(&bp->mu);
		pthread_join(bp->th, NULL);
	}
	for (int i = 0; i < NSLOTS; i++)
		free(bp->slot[i].buf);
	EVP_MD_CTX_free(bp->md);
	pthread_mutex_destroy(&bp->mu);
	pthread_cond_destroy(&bp->cv);
	free(bp);
}
