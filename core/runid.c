/* SPDX-License-Identifier: MIT */
/* Run ids (time-ordered 128-bit), generated names and host facts. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "internal.h"

static void
random_bytes(unsigned char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* last resort: never fail to make an id */
			for (; got < n; got++)
				buf[got] = (unsigned char)(rand() ^ (getpid() << 3));
			return;
		}
		got += (size_t)r;
	}
}

/*
 * 48 bits of milliseconds, then 80 random bits (UUIDv7-like), as 32 hex
 * digits. Monotonic within a process (as UUIDv7's counter method): an id made
 * in the same millisecond as the previous one (or with the clock stepped
 * back) is the previous one plus one, so `@` is the run created last even
 * when two were created in one millisecond.
 */
void
bc_runid_new(char out[33])
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static unsigned char last[16];
	static uint64_t last_ms;
	unsigned char b[16];
	uint64_t ms = (uint64_t)bc_now_ms();
	pthread_mutex_lock(&lock);
	if (last_ms && ms <= last_ms) {
		memcpy(b, last, sizeof b);
		for (int i = 15; i >= 6 && ++b[i] == 0; i--)
			;                               /* carry through the random part */
	} else {
		for (int i = 0; i < 6; i++)
			b[i] = (unsigned char)(ms >> (8 * (5 - i)));
		random_bytes(b + 6, 10);
		b[6] &= 0x7f;                       /* room to count up within a millisecond */
		last_ms = ms;
	}
	memcpy(last, b, sizeof b);
	pthread_mutex_unlock(&lock);
	bc_hex(b, 16, out);
}

int
bc_runid_time_ms(const char *id, int64_t *out)
{
	int64_t v = 0;
	for (int i = 0; i < 12; i++) {
		char c = id[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	*out = v;
	return 0;
}

static const char *const adjectives[] = {
	"amber", "bold", "brisk", "calm", "clever", "cosmic", "crisp", "dapper", "eager", "fancy",
	"gentle", "glad", "golden", "happy", "hazy", "icy", "jolly", "keen", "lively", "lucky",
	"mellow", "misty", "nimble", "noble", "polar", "proud", "quiet", "rapid", "rosy", "rustic",
	"shiny", "silent", "sleek", "snowy", "solar", "sturdy", "sunny", "swift", "tidy", "vivid",
	"warm", "wild", "wise", "witty", "young", "zesty", "bright", "breezy", "cheery", "dusty",
};
static const char *const nouns[] = {
	"otter", "falcon", "maple", "river", "comet", "badger", "heron", "cedar", "ember", "fjord",
	"gecko", "harbor", "iris", "jaguar", "kelp", "lagoon", "meadow", "nebula", "orchid", "pebble",
	"quasar", "raven", "sparrow", "tundra", "umber", "valley", "walrus", "yak", "zephyr", "acorn",
	"bison", "canyon", "dune", "egret", "fern", "glacier", "hazel", "island", "juniper", "koala",
	"lynx", "mango", "nectar", "ocelot", "panda", "quill", "reef", "summit", "tiger", "willow",
};

void
bc_runname_new(char *buf, size_t size)
{
	unsigned char r[4];
	random_bytes(r, sizeof r);
	size_t na = sizeof adjectives / sizeof *adjectives, nn = sizeof nouns / sizeof *nouns;
	snprintf(buf, size, "%s-%s-%02d", adjectives[r[0] % na], nouns[r[1] % nn], (r[2] << 8 | r[3]) % 100);
}

const char *
bc_hostname(void)
{
	static char host[256];
	if (!host[0] && gethostname(host, sizeof host - 1) < 0)
		strcpy(host, "localhost");
	return host;
}

const char *
bc_username(void)
{
	static char user[256];
	if (!user[0]) {
		struct passwd *pw = getpwuid(getuid());
		const char *u = pw ? pw->pw_name : getenv("USER");
		snprintf(user, sizeof user, "%s", u ? u : "unknown");
	}
	return user;
}

const char *
bc_boot_id(void)
{
	static char boot[64];
	if (!boot[0]) {
		char *s = NULL;
		if (bc_read_file("/proc/sys/kernel/random/boot_id", &s, NULL) == 0) {
			snprintf(boot, sizeof boot, "%.36s", s);
			free(s);
		} else {
			strcpy(boot, "unknown");
		}
	}
	return boot;
}

long long
bc_proc_start_time(long pid)
{
	char path[64], *s = NULL;
	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if (bc_read_file(path, &s, NULL) < 0)
		return -1;
	/* field 22 (starttime), counted after the closing paren of comm */
	char *p = strrchr(s, ')');
	long long v = -1;
	if (p) {
		int field = 2;
		for (p++; *p && field < 22; p++)
			if (*p == ' ')
				field++;
		v = strtoll(p, NULL, 10);
	}
	free(s);
	return v;
}
