/* SPDX-License-Identifier: MIT */
/* Samples a process tree through /proc: CPU % since the last sample and total RSS. */
#include "config.h"
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sysmon.h"

struct sysmon {
	pid_t root;
	unsigned long long last_ticks;
	double last_time;
	int have_gpu;
};

static double
mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	char *copy = strdup(path), *save = NULL;
	int found = 0;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char full[4096];
		snprintf(full, sizeof full, "%s/%s", d, prog);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	return found;
}

struct sysmon *
sysmon_new(pid_t root)
{
	struct sysmon *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->root = root;
	m->last_time = mono_now();
	m->have_gpu = in_path("nvidia-smi");
	return m;
}

/* Read ppid, utime+stime and rss pages of a pid. */
static int
read_stat(const char *pid, long *ppid, unsigned long long *ticks, long *rss)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	char state;
	unsigned long long ut, st;
	if (sscanf(p + 2, "%c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %ld",
			&state, ppid, &ut, &st, rss) != 5)
		return -1;
	*ticks = ut + st;
	return 0;
}

int
sysmon_sample(struct sysmon *m, int64_t step, char *line, size_t size)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	/* collect (pid, ppid) pairs, then sum over the descendants of root */
	size_t cap = 1024, n = 0;
	struct ent { long pid, ppid; unsigned long long ticks; long rss; } *e = malloc(cap * sizeof *e);
	struct dirent *de;
	while (e && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (n == cap) {
			cap *= 2;
			struct ent *ne = realloc(e, cap * sizeof *e);
			if (!ne)
				break;
			e = ne;
		}
		if (read_stat(de->d_name, &e[n].ppid, &e[n].ticks, &e[n].rss) == 0) {
			e[n].pid = atol(de->d_name);
			n++;
		}
	}
	closedir(d);
	if (!e)
		return 0;
	unsigned long long ticks = 0;
	long rss = 0;
	int found = 0;
	for (size_t i = 0; i < n; i++) {
		/* walk up the parent chain (bounded) */
		long p = e[i].pid;
		for (int depth = 0; depth < 64 && p > 1; depth++) {
			if (p == m->root) {
				ticks += e[i].ticks;
				rss += e[i].rss;
				found = 1;
				break;
			}
			long pp = -1;
			for (size_t k = 0; k < n; k++)
				if (e[k].pid == p) {
					pp = e[k].ppid;
					break;
				}
			p = pp;
		}
	}
	free(e);
	if (!found)
		return 0;
	double now = mono_now(), hz = (double)sysconf(_SC_CLK_TCK);
	double cpu = m->last_ticks && now > m->last_time
		? 100.0 * (double)(ticks - m->last_ticks) / hz / (now - m->last_time) : 0.0;
	m->last_ticks = ticks;
	m->last_time = now;
	double rss_mb = (double)rss * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
	int len = snprintf(line, size, "{\"step\": %lld, \"sys/cpu_percent\": %.1f, \"sys/rss_mb\": %.1f",
		(long long)step, cpu, rss_mb);
	if (m->have_gpu) {
		FILE *f = popen("nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits 2>/dev/null", "re");
		double util, mem;
		if (f && fscanf(f, "%lf, %lf", &util, &mem) == 2)
			len += snprintf(line + len, size - (size_t)len, ", \"sys/gpu_percent\": %.0f, \"sys/gpu_mem_mb\": %.0f", util, mem);
		if (f)
			pclose(f);
	}
	len += snprintf(line + len, size - (size_t)len, "}\n");
	return len;
}

void
sysmon_free(struct sysmon *m)
{
	free(m);
}
