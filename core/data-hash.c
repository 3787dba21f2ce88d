/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 through OpenSSL's EVP interface (SHA-NI where the CPU has it), read
 * in 1 MiB chunks. When the data is also copied somewhere, a writer thread
 * writes chunk N while chunk N+1 is hashed, so the source is read once and the
 * copy overlaps the hash. A small worker pool spreads many files over cores.
 */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "data-internal.h"

#define NBUF 3

/* SHA-256 fetched once: OpenSSL 3 would otherwise look the algorithm up
 * again on every EVP_Digest and EVP_DigestInit_ex (a few % of a small-file add). */
static const EVP_MD *sha256_fetched;

static void
fetch_sha256(void)
{
	sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256_md(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, fetch_sha256);
	return sha256_fetched ? sha256_fetched : EVP_sha256();
}

void
data_hex(const unsigned char *md, char hex[BC_DATA_HEX])
{
	bc_hex(md, 32, hex);
}

int
data_is_hex(const char *s)
{
	if (!s || strlen(s) != 64)
		return 0;
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
data_hash_buf(const void *data, size_t len, char hex[BC_DATA_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, sha256_md(), NULL))
		return -EIO;
	data_hex(md, hex);
	return 0;
}

data_hasher *
data_hasher_new(void)
{
	return (data_hasher *)EVP_MD_CTX_new();
}

int
data_hasher_sum(data_hasher *h, const void *data, size_t len, unsigned char md[32])
{
	EVP_MD_CTX *ctx = (EVP_MD_CTX *)h;
	unsigned int mdlen = 0;
	if (!ctx || !EVP_DigestInit_ex(ctx, sha256_md(), NULL) || !EVP_DigestUpdate(ctx, data, len) ||
			!EVP_DigestFinal_ex(ctx, md, &mdlen))
		return -EIO;
	return 0;
}

void
data_hasher_free(data_hasher *h)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Ring of buffers between the hashing reader and the writer thread. */
struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *buf[NBUF];
	size_t len[NBUF];
	int full[NBUF];
	int eof, err, out_fd;
	off_t written;
};

static void *
writer_main(void *arg)
{
	struct ring *r = arg;
	for (int i = 0;; i = (i + 1) % NBUF) {
		pthread_mutex_lock(&r->mu);
		while (!r->full[i] && !r->eof)
			pthread_cond_wait(&r->cv, &r->mu);
		if (!r->full[i]) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		pthread_mutex_unlock(&r->mu);
		int e = r->err ? 0 : write_all(r->out_fd, r->buf[i], r->len[i]);
#ifdef SYNC_FILE_RANGE_WRITE
		/* start writeback now, so the final fsync has little left to do
		 * (fails harmlessly on pipes) */
		if (!e)
			sync_file_range(r->out_fd, r->written, (off_t)r->len[i], SYNC_FILE_RANGE_WRITE);
#endif
		r->written += (off_t)r->len[i];
		pthread_mutex_lock(&r->mu);
		if (e && !r->err)
			r->err = e;
		r->full[i] = 0;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static ssize_t
read_full(int fd, char *buf, size_t size)
{
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Small inputs (one chunk) skip the thread. */
int
data_hash_copy(int fd, int out_fd, char hex[BC_DATA_HEX], int64_t *size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, sha256_md(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	struct ring r;
	memset(&r, 0, sizeof r);
	r.out_fd = out_fd;
	int rc = 0, threaded = 0, nbuf = out_fd >= 0 ? NBUF : 1;
	pthread_t th;
	int64_t total = 0;
	/* the other buffers of the ring only when the input is larger than one */
	if (!(r.buf[0] = malloc(DATA_CHUNK))) {
		rc = -ENOMEM;
		goto done;
	}
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int i = 0;; i = (i + 1) % nbuf) {
		if (threaded) {
			pthread_mutex_lock(&r.mu);
			while (r.full[i])
				pthread_cond_wait(&r.cv, &r.mu);
			int e = r.err;
			pthread_mutex_unlock(&r.mu);
			if (e) {
				rc = e;
				break;
			}
		}
		ssize_t n = read_full(fd, r.buf[i], DATA_CHUNK);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0)
			break;
		total += n;
		if (!EVP_DigestUpdate(ctx, r.buf[i], (size_t)n)) {
			rc = -EIO;
			break;
		}
		if (out_fd < 0) {
			if (n < DATA_CHUNK)
				break;   /* read_full stops short only at the end */
			continue;
		}
		if (!threaded && n < DATA_CHUNK) {
			/* whole input fits one chunk (read_full saw the end): write it inline */
			rc = write_all(out_fd, r.buf[i], (size_t)n);
			break;
		}
		if (!threaded) {
			for (int k = 1; k < nbuf && !rc; k++)
				if (!(r.buf[k] = malloc(DATA_CHUNK)))
					rc = -ENOMEM;
			if (rc)
				break;
			if (pthread_create(&th, NULL, writer_main, &r) != 0) {
				rc = -EAGAIN;
				break;
			}
			threaded = 1;
		}
		pthread_mutex_lock(&r.mu);
		r.len[i] = (size_t)n;
		r.full[i] = 1;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
	}
	if (threaded) {
		pthread_mutex_lock(&r.mu);
		r.eof = 1;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
		pthread_join(th, NULL);
		if (!rc && r.err)
			rc = r.err;
	}
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	if (!rc) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		if (!EVP_DigestFinal_ex(ctx, md, &mdlen))
			rc = -EIO;
		else
			data_hex(md, hex);
	}
	if (size)
		*size = total;
done:
	for (int i = 0; i < NBUF; i++)
		free(r.buf[i]);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
data_read_whole(const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	/* one allocation of the size fstat gives (plus a NUL), one read */
	size_t size = (size_t)st.st_size, got = 0;
	char *buf = malloc(size + 1);
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0 && got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			size = got;   /* shrank meanwhile */
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

int
data_threads(int wanted)
{
	if (wanted > 0)
		return wanted > 64 ? 64 : wanted;
	const char *env = getenv("BANCADA_THREADS");
	if (env && atoi(env) > 0)
		return atoi(env) > 64 ? 64 : atoi(env);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	/* cold reads are latency-bound: a few more readers than cores help */
	n = n * 2;
	return n > 8 ? 8 : (int)n;
}

struct pool {
	pthread_mutex_t mu;
	size_t next, n;
	int first_err;
	int (*fn)(size_t, void *);
	void *arg;
};

static void *
pool_main(void *arg)
{
	struct pool *po = arg;
	for (;;) {
		pthread_mutex_lock(&po->mu);
		size_t i = po->next++;
		pthread_mutex_unlock(&po->mu);
		if (i >= po->n)
			break;
		int rc = po->fn(i, po->arg);
		if (rc) {
			pthread_mutex_lock(&po->mu);
			if (!po->first_err)
				po->first_err = rc;
			pthread_mutex_unlock(&po->mu);
		}
	}
	return NULL;
}

int
data_parallel(size_t n, int threads, int (*fn)(size_t i, void *arg), void *arg)
{
	struct pool po = { .next = 0, .n = n, .first_err = 0, .fn = fn, .arg = arg };
	if (threads < 1)
		threads = 1;
	if ((size_t)threads > n)
		threads = (int)n;
	if (threads <= 1) {
		int first = 0;
		for (size_t i = 0; i < n; i++) {
			int rc = fn(i, arg);
			if (rc && !first)
				first = rc;
		}
		return first;
	}
	pthread_mutex_init(&po.mu, NULL);
	pthread_t *th = calloc((size_t)threads, sizeof *th);
	int started = 0;
	for (int t = 0; th && t < threads; t++)
		if (pthread_create(&th[t], NULL, pool_main, &po) == 0)
			started++;
	if (!started)
		pool_main(&po);
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	free(th);
	pthread_mutex_destroy(&po.mu);
	return po.first_err;
}
