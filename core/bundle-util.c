/* SPDX-License-Identifier: MIT */
/*
 * Bundle helpers: the entry-name policy, code-bearing format detection,
 * format names, the UTF-8 locale guard around libarchive, hashing and
 * time formats, and problem reports.
 */
#include "config.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "internal.h"
#include "bundle-private.h"

static const char *const format_names[] = {
	[BC_BUNDLE_TAR_ZST] = "tar.zst",
	[BC_BUNDLE_TAR_GZ] = "tar.gz",
	[BC_BUNDLE_TAR_XZ] = "tar.xz",
	[BC_BUNDLE_ZIP] = "zip",
};

const char *
bc_bundle_format_name(bc_bundle_format f)
{
	return (unsigned)f < 4 ? format_names[f] : "unknown";
}

int
bc_bundle_format_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, format_names[i]))
			return i;
	if (!strcmp(name, "tzst") || !strcmp(name, "zst") || !strcmp(name, "tar.zstd"))
		return BC_BUNDLE_TAR_ZST;
	if (!strcmp(name, "tgz"))
		return BC_BUNDLE_TAR_GZ;
	if (!strcmp(name, "txz"))
		return BC_BUNDLE_TAR_XZ;
	return -1;
}

void
bundle_locale_enter(bundle_locale *l)
{
	l->old = (locale_t)0;
	l->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!l->utf8)
		l->utf8 = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
	if (l->utf8)
		l->old = uselocale(l->utf8);
}

void
bundle_locale_leave(bundle_locale *l)
{
	if (l->utf8) {
		uselocale(l->old);
		freelocale(l->utf8);
		l->utf8 = (locale_t)0;
	}
}

int
bundle_sha256_final(EVP_MD_CTX *ctx, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
		return -1;
	bc_hex(md, 32, out);
	return 0;
}

void
bundle_sha256_mem(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int n = 32;
	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	bc_hex(md, 32, out);
}

void
bundle_iso_time(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[32];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)(ms % 1000));
}

int
bundle_parse_iso_time(const char *s, int64_t *ms)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	int frac = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			&tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	const char *p = s + n;
	if (*p == '.') {
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
				!isdigit((unsigned char)p[3]))
			return -1;
		frac = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
		p += 4;
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
			tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ms = (int64_t)timegm(&tm) * 1000 + frac;
	return 0;
}

const char *
bc_bundle_path_problem(const char *path, size_t len)
{
	if (len == 0)
		return "empty name";
	if (len > BC_BUNDLE_MAX_PATH)
		return "name longer than 1024 bytes";
	if (memchr(path, '\0', len))
		return "NUL byte in name";
	if (path[0] == '/')
		return "absolute path";
	if (memchr(path, '\\', len))
		return "backslash in name";
	if (!bc_text_is_clean(path, len))
		return "control characters or invalid UTF-8 in name";
	if (len >= 2 && isalpha((unsigned char)path[0]) && path[1] == ':')
		return "drive letter in name";
	int depth = 0;
	const char *s = path, *end = path + len;
	while (s < end) {
		const char *slash = memchr(s, '/', (size_t)(end - s));
		const char *ce = slash ? slash : end;
		size_t cl = (size_t)(ce - s);
		if (cl == 0)
			return "empty path component";
		if (cl == 1 && s[0] == '.')
			return "'.' component";
		if (cl == 2 && s[0] == '.' && s[1] == '.')
			return "'..' component";
		if (cl > BC_BUNDLE_MAX_COMPONENT)
			return "path component longer than 255 bytes";
		if (s[0] == '-')
			return "component starting with '-'";
		if (depth == 0 && ((cl >= 4 && !strncasecmp(s, ".git", 4)) ||
				(cl == 8 && !strncasecmp(s, ".bancada", 8))))
			return "name under .git or .bancada";
		if (++depth > BC_BUNDLE_MAX_DEPTH)
			return "more than 32 levels of directories";
		if (!slash)
			break;
		s = slash + 1;
		if (s == end)
			return "trailing slash";
	}
	return NULL;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && !strcasecmp(s + ls - lx, suffix);
}

const char *
bc_bundle_exec_kind(const char *path, const unsigned char *head, size_t head_len)
{
	static const struct { const char *ext, *kind; } exts[] = {
		{ ".pkl", "pickle" }, { ".pickle", "pickle" }, { ".pck", "pickle" },
		{ ".joblib", "joblib" }, { ".dill", "pickle" }, { ".cloudpickle", "pickle" },
		{ ".pt", "torch" }, { ".pth", "torch" }, { ".ckpt", "torch" }, { ".mar", "torch" },
		{ ".keras", "keras" }, { ".h5", "keras/hdf5" }, { ".hdf5", "keras/hdf5" },
		{ ".npy", "numpy (allow_pickle)" }, { ".npz", "numpy (allow_pickle)" },
	};
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
		if (ends_with(path, exts[i].ext))
			return exts[i].kind;
	if (head && head_len >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
		return "pickle";
	if (head && head_len >= 8 && !memcmp(head, "\x89HDF\r\n\x1a\n", 8))
		return "keras/hdf5";
	return NULL;
}

void
bundle_problem(bc_bundle_report *r, const char *path, const char *fmt, ...)
{
	bc_bundle_problem *np = realloc(r->problems, (r->nproblems + 1) * sizeof *np);
	if (!np)
		return;
	r->problems = np;
	va_list ap;
	va_start(ap, fmt);
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	np[r->nproblems].path = path ? bc_strdup(path) : NULL;
	np[r->nproblems].message = bc_strdup(msg);
	r->nproblems++;
}

void
bc_bundle_report_free(bc_bundle_report *r)
{
	if (!r)
		return;
	bc_manifest_free(r->manifest);
	for (size_t i = 0; i < r->nproblems; i++) {
		free(r->problems[i].path);
		free(r->problems[i].message);
	}
	free(r->problems);
	free(r);
}

void
bc_bundle_info_clear(bc_bundle_info *b)
{
	if (!b)
		return;
	free(b->path);
	free(b->name);
	free(b->version);
	free(b->run_id);
	memset(b, 0, sizeof *b);
}
