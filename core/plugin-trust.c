/* SPDX-License-Identifier: MIT */
/*
 * Trust for project plugins: a record outside the project
 * ($XDG_STATE_HOME/bancada/trust, one "SHA256 PATH" line per plugin, mode
 * 0600) keyed by canonical path and content hash, so a plugin that changes
 * loses its trust. Also the file checks every plugin passes before it is
 * hashed, loaded or run: regular file, our own (or root's), not writable by
 * group or others, in a directory with the same properties.
 */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "internal.h"
#include "plugin-int.h"

/* "system", "user" or "project". */
const char *
bc_plugin_source_name(bc_plugin_source s)
{
	switch (s) {
	case BC_PLUGIN_SYSTEM: return "system";
	case BC_PLUGIN_USER: return "user";
	case BC_PLUGIN_PROJECT: return "project";
	}
	return "?";
}

/* "implicit", "trusted", "untrusted", "lapsed" or "unsafe". */
const char *
bc_trust_name(bc_trust_state t)
{
	switch (t) {
	case BC_TRUST_IMPLICIT: return "implicit";
	case BC_TRUST_YES: return "trusted";
	case BC_TRUST_NO: return "untrusted";
	case BC_TRUST_LAPSED: return "lapsed";
	case BC_TRUST_UNSAFE: return "unsafe";
	}
	return "?";
}

static int
owner_ok(const struct stat *st)
{
	return st->st_uid == geteuid() || st->st_uid == 0;
}

/* Open a plugin file after the owner and mode checks (see plugin-int.h). */
int
bc_plugin_open_safe(const char *path, struct stat *st, char **why)
{
	*why = NULL;
	char *dir = bc_strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (!slash) {
		free(dir);
		*why = bc_sprintf("%s: not an absolute path", path);
		return -1;
	}
	*slash = '\0';
	struct stat dst;
	if (stat(dir[0] ? dir : "/", &dst) < 0 || !owner_ok(&dst) ||
	    ((dst.st_mode & 022) && !(dst.st_mode & S_ISVTX))) {
		*why = bc_sprintf("%s: its directory is writable by other users or owned by "
			"another user; fix with `chmod go-w %s`", path, dir[0] ? dir : "/");
		free(dir);
		return -1;
	}
	free(dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*why = bc_sprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		*why = bc_sprintf("%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (!owner_ok(st)) {
		*why = bc_sprintf("%s: owned by another user (uid %ld): refused", path,
			(long)st->st_uid);
		close(fd);
		return -1;
	}
	if (st->st_mode & 022) {
		*why = bc_sprintf("%s: writable by group or others: refused; fix with "
			"`chmod go-w %s`", path, path);
		close(fd);
		return -1;
	}
	return fd;
}

/* SHA-256 of an open file as hex; -1 on a read error. */
int
bc_sha256_fd(int fd, char out[65])
{
	out[0] = '\0';
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	static char chunk[1 << 16];
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!rc && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1) {
		for (unsigned int i = 0; i < mdlen && i < 32; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	} else {
		rc = -1;
	}
	EVP_MD_CTX_free(ctx);
	lseek(fd, 0, SEEK_SET);
	return rc;
}

/* Path of the trust file ($XDG_STATE_HOME/bancada/trust); malloc'd. */
char *
bc_plugin_trust_path(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	if (state && state[0] == '/')
		return bc_sprintf("%s/bancada/trust", state);
	const char *home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	return bc_sprintf("%s/.local/state/bancada/trust", home);
}

/* Read the trust file; a missing file is empty. */
static int
trust_read(char **out)
{
	char *path = bc_plugin_trust_path();
	if (!path)
		return -1;
	int rc = bc_read_file(path, out, NULL);
	free(path);
	if (rc == -ENOENT) {
		*out = bc_strdup("");
		return *out ? 0 : -1;
	}
	return rc;
}

/* The trusted hash recorded for a canonical path ("" when none); -1 if unreadable. */
int
bc_trust_lookup(const char *path, char out[65])
{
	out[0] = '\0';
	char *text;
	if (trust_read(&text) < 0)
		return -1;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strlen(line) > 65 && line[64] == ' ' && !strcmp(line + 65, path)) {
			memcpy(out, line, 64);
			out[64] = '\0';
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return 0;
}

/* Record or remove trust in a plugin's current contents (atomic rewrite, 0600). */
int
bc_plugin_trust(bc_project *p, const bc_plugin_info *pi, int trust)
{
	if (strchr(pi->path, '\n'))
		return bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID,
			"plugin path contains a newline: refused");
	char hash[65];
	if (trust) {
		if (bc_plugin_hash(pi, hash, NULL) < 0 || !hash[0]) {
			char *why = NULL;
			bc_plugin_hash(pi, hash, &why);
			bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "cannot trust %s: %s", pi->name,
				why ? why : "unreadable");
			free(why);
			return BC_EINVALID;
		}
	}
	char *text;
	if (trust_read(&text) < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read the trust file: %s",
			strerror(errno));
	bc_buf b = BC_BUF_INIT;
	bc_buf_puts(&b, "");
	int found = 0;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strlen(line) > 65 && !strcmp(line + 65, pi->path))
			found = 1;
		else if (*line)
			bc_buf_printf(&b, "%s\n", line);
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	if (trust)
		bc_buf_printf(&b, "%s %s\n", hash, pi->path);
	char *path = bc_plugin_trust_path();
	char *dir = path ? bc_strdup(path) : NULL;
	int rc = -ENOMEM;
	if (dir) {
		*strrchr(dir, '/') = '\0';
		rc = bc_mkdir_p(dir, 0700);
		if (rc >= 0)
			rc = bc_write_file_atomic(path, b.data, b.len, 0600);
	}
	bc_buf_free(&b);
	if (rc < 0) {
		bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot write %s: %s", path ? path : "trust file",
			strerror(-rc));
		free(path);
		free(dir);
		return BC_ERROR;
	}
	free(path);
	free(dir);
	if (!trust && !found)
		return bc_error_set(p, BC_ERR_PLUGIN, BC_ENOTFOUND, "%s was not trusted", pi->name);
	return 0;
}

/* Hash one safe file into an open digest. */
static int
hash_file_into(EVP_MD_CTX *ctx, const char *path, char **why)
{
	struct stat st;
	int fd = bc_plugin_open_safe(path, &st, why);
	if (fd < 0)
		return -1;
	char one[65];
	int rc = bc_sha256_fd(fd, one);
	close(fd);
	if (rc < 0) {
		*why = bc_sprintf("%s: cannot read", path);
		return -1;
	}
	EVP_DigestUpdate(ctx, path, strlen(path) + 1);
	EVP_DigestUpdate(ctx, one, 64);
	return 0;
}

/* Content hash of a plugin; -1 with `why` when a file is unsafe or unreadable. */
int
bc_plugin_hash(const bc_plugin_info *pi, char out[65], char **why)
{
	char *ignored = NULL;
	char **w = why ? why : &ignored;
	*w = NULL;
	out[0] = '\0';
	if (pi->kind == BC_PLUGIN_KIND_C) {
		struct stat st;
		int fd = bc_plugin_open_safe(pi->path, &st, w);
		if (fd < 0) {
			free(ignored);
			return -1;
		}
		int rc = bc_sha256_fd(fd, out);
		close(fd);
		return rc;
	}
	/* external: the manifest plus the files its argv names */
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return -1;
	}
	int rc = hash_file_into(ctx, pi->path, w);
	size_t dl = strlen(pi->dir);
	for (size_t i = 0; !rc && i < pi->argc; i++) {
		char *a = bc_plugin_expand(pi->argv[i], pi->dir, "", "", "");
		struct stat st;
		/* files it runs: existing files among the arguments, and the command beside the manifest */
		int inside = a && !strncmp(a, pi->dir, dl) && a[dl] == '/';
		if (a && a[0] == '/' && (i > 0 || inside) && stat(a, &st) == 0 && S_ISREG(st.st_mode))
			rc = hash_file_into(ctx, a, w);
		free(a);
	}
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!rc && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1) {
		for (unsigned int i = 0; i < mdlen && i < 32; i++)
			snprintf(out + 2 * i, 3, "%02x", md[i]);
	} else {
		rc = -1;
	}
	EVP_MD_CTX_free(ctx);
	free(ignored);
	return rc;
}

/* 0 when a plugin may load or run now (fresh hash and trust check), else BC_EINVALID. */
int
bc_plugin_check(bc_project *p, const bc_plugin_info *pi)
{
	char hash[65], *why = NULL;
	if (pi->why && pi->trust != BC_TRUST_NO && pi->trust != BC_TRUST_LAPSED &&
	    pi->trust != BC_TRUST_UNSAFE)
		return bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "plugin %s: %s", pi->name, pi->why);
	if (bc_plugin_hash(pi, hash, &why) < 0) {
		bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "plugin %s refused: %s", pi->name,
			why ? why : "cannot read it");
		free(why);
		return BC_EINVALID;
	}
	return bc_plugin_check_hash(p, pi, hash);
}

/* Trust decision for a just-computed hash: 0, or BC_EINVALID with the reason. */
int
bc_plugin_check_hash(bc_project *p, const bc_plugin_info *pi, const char *hash)
{
	if (pi->source != BC_PLUGIN_PROJECT)
		return 0;
	char rec[65];
	if (bc_trust_lookup(pi->path, rec) < 0)
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "cannot read the trust file");
	if (!rec[0])
		return bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "project plugin %s is not "
			"trusted: review %s, then run `bancada plugin trust %s`", pi->name, pi->path,
			pi->name);
	if (strcmp(rec, hash))
		return bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "trust in project plugin %s "
			"lapsed: %s changed since it was trusted; review it, then run `bancada plugin "
			"trust %s`", pi->name, pi->path, pi->name);
	return 0;
}
