/* SPDX-License-Identifier: MIT */
/*
 * Mutation tests of the bundle reader, with the libarchive write_disk
 * fuzzer's oracle: whatever the bytes, extract either succeeds with every
 * file matching the manifest or fails leaving nothing behind, and a
 * sentinel file outside the target never changes. Runs a fixed, seeded
 * set of mutations under `make check` (fast, and meaningful under ASan).
 *
 * Built with -DBANCADA_LIBFUZZER and clang -fsanitize=fuzzer it is also a
 * libFuzzer target (LLVMFuzzerTestOneInput) for the manifest parser and
 * the reader, with the same oracle. From a build directory:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DBANCADA_LIBFUZZER -I. \
 *     -I$SRC/core/include -I$SRC/core -I$SRC/tests $SRC/tests/unit/test-bundle-fuzz.c \
 *     $SRC/core/bundle-{read,parse,extract,util,pipe}.c .libs/libbancada-core.so \
 *     -Wl,-rpath,$PWD/.libs -larchive -ljansson -lcrypto -o fuzz-bundle
 *   ./fuzz-bundle -max_total_time=60 -max_len=65536 CORPUS_DIR
 * (seed CORPUS_DIR with bundles, e.g. the archives tests/cli/bundle-hostile.sh crafts).
 */
#include "config.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <archive.h>
#include <archive_entry.h>
#include <bancada/bancada.h>

#ifndef BANCADA_LIBFUZZER
#include "tap.h"
#endif

static const char manifest_fmt[] =
	"{\"format\": \"bancada-bundle/1\", \"name\": \"f\", \"version\": \"1\","
	" \"created\": \"2026-01-01T00:00:00.000Z\", \"files\": ["
	"{\"path\": \"a/x.bin\", \"size\": 64, \"sha256\": \"%s\", \"mode\": \"0644\"}]}";

/* sha256 of 64 bytes of 'x' */
#define SHA_X "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"

/* A valid small bundle (tar + gzip, or zip) in memory. */
static size_t
make_bundle(unsigned char *buf, size_t size, int zip)
{
	char man[1024];
	snprintf(man, sizeof man, manifest_fmt, SHA_X);
	unsigned char payload[64];
	memset(payload, 'x', sizeof payload);
	struct archive *a = archive_write_new();
	if (zip) {
		archive_write_set_format_zip(a);
	} else {
		archive_write_set_format_pax_restricted(a);
		archive_write_add_filter_gzip(a);
	}
	size_t used = 0;
	archive_write_open_memory(a, buf, size, &used);
	struct archive_entry *e = archive_entry_new();
	const char *names[2] = { "MANIFEST.json", "a/x.bin" };
	const void *data[2] = { man, payload };
	size_t lens[2] = { strlen(man), sizeof payload };
	for (int i = 0; i < 2; i++) {
		archive_entry_clear(e);
		archive_entry_copy_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)lens[i]);
		archive_write_header(a, e);
		archive_write_data(a, data[i], lens[i]);
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	return used;
}

static int
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static int
dir_entries(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/*
 * Extract `data` as a bundle under `work`; returns 0 when the oracle holds:
 * success (with `exact`: exactly the expected file; else only regular files
 * and directories), or failure with nothing left; the sentinel unchanged.
 */
static int
oracle(const char *work, const void *data, size_t len, int exact, int *extracted)
{
	char file[4096], dst[4096], area[2048], sentinel[4096];
	if (strlen(work) > 1024)
		return -1;
	snprintf(area, sizeof area, "%s/area", work);
	snprintf(file, sizeof file, "%s/b.bundle", work);
	snprintf(dst, sizeof dst, "%s/dst", area);
	snprintf(sentinel, sizeof sentinel, "%s/sentinel", area);
	mkdir(area, 0755);
	if (write_file(sentinel, "keep", 4) < 0 || write_file(file, data, len) < 0)
		return -1;
	bc_bundle_report *rep = NULL;
	int rc = bc_bundle_extract(file, dst, NULL, &rep);
	bc_bundle_report_free(rep);
	int good = 0;
	*extracted = rc == 0;
	if (rc == 0) {
		char path[4200], got[128];
		snprintf(path, sizeof path, "%s/a/x.bin", dst);
		int fd = open(path, O_RDONLY | O_NOFOLLOW);
		ssize_t n = fd >= 0 ? read(fd, got, sizeof got) : -1;
		if (fd >= 0)
			close(fd);
		if (exact)
			good = n == 64 && got[0] == 'x' && got[63] == 'x' && dir_entries(dst) == 2;
		else    /* any bundle: only regular files and directories came out */
			good = dir_entries(dst) >= 1;
		char rm[8400];
		snprintf(rm, sizeof rm, "test -z \"$(find '%s' ! -type f ! -type d)\" && rm -rf '%s'",
			dst, dst);
		if (system(rm) != 0)
			good = 0;
	} else {
		good = 1;
	}
	char buf[16] = "";
	int fd = open(sentinel, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	good = good && n == 4 && !memcmp(buf, "keep", 4);
	/* only the sentinel may remain in the area: no staging, no escaped file */
	good = good && dir_entries(area) == 1;
	return good ? 0 : -1;
}

#ifdef BANCADA_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char work[] = "/tmp/bc-fuzz.XXXXXX";
	static int ready;
	if (!ready && !mkdtemp(work))
		abort();
	ready = 1;
	bc_manifest *m = NULL;
	char why[256];
	bc_manifest_parse((const char *)data, size, &m, why, sizeof why);
	bc_manifest_free(m);
	int extracted;
	if (oracle(work, data, size, 0, &extracted) < 0)
		abort();
	return 0;
}
#else
static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

static void
mutate_run(int zip, int rounds)
{
	static unsigned char orig[65536], buf[65536];
	size_t len = make_bundle(orig, sizeof orig, zip);
	ok(len > 0, "built a %s bundle of %zu bytes", zip ? "zip" : "tar.gz", len);
	int extracted;
	ok(oracle(tap_tmpdir(), orig, len, 1, &extracted) == 0 && extracted,
		"the unmutated bundle extracts");
	int bad = 0, passed = 0;
	for (int i = 0; i < rounds; i++) {
		memcpy(buf, orig, len);
		size_t n = len;
		int kind = (int)(next_rand() % 4), flips = 1 + (int)(next_rand() % 4);
		for (int f = 0; f < flips; f++) {
			size_t at = next_rand() % len;
			if (kind == 0)
				buf[at] ^= (unsigned char)(1u << (next_rand() % 8));
			else if (kind == 1)
				buf[at] = (unsigned char)next_rand();
			else if (kind == 2)
				n = at + 1;               /* truncate */
			else
				buf[at] = 0xff;
		}
		if (oracle(tap_tmpdir(), buf, n, 1, &extracted) < 0) {
			bad++;
			if (bad < 3)
				ok(0, "oracle broken at round %d", i);
		}
		passed += extracted;
	}
	ok(bad == 0, "%d mutations: extract succeeded %d times (content intact) and otherwise left nothing; sentinel unchanged",
		rounds, passed);
}

/* BANCADA_FUZZ_ROUNDS=N runs more (or fewer) mutations per format. */
static int
rounds(void)
{
	const char *s = getenv("BANCADA_FUZZ_ROUNDS");
	return s && atoi(s) > 0 ? atoi(s) : 150;
}

TEST(mutations_tar_gz)
{
	mutate_run(0, rounds());
}

TEST(mutations_zip)
{
	mutate_run(1, rounds());
}

TAP_MAIN
#endif
