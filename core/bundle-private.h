/* SPDX-License-Identifier: MIT */
/* Private helpers shared by the core/bundle-*.c modules. Not installed. */
#ifndef BANCADA_CORE_BUNDLE_PRIVATE_H
#define BANCADA_CORE_BUNDLE_PRIVATE_H

#include <locale.h>
#include <stdint.h>
#include <openssl/evp.h>
#include "bancada/bundle.h"

/* Bytes per read/write; large enough for SHA-NI and zstd to stay busy. */
#define BUNDLE_CHUNK (1024 * 1024)

/* ---- locale: libarchive converts names through the current LC_CTYPE;
 * bundles are always UTF-8 whatever the user's locale (LANG=C over SSH). ---- */
typedef struct bundle_locale {
	locale_t utf8, old;
} bundle_locale;
void bundle_locale_enter(bundle_locale *l);
void bundle_locale_leave(bundle_locale *l);

/* ---- hashing ---- */
/* Finish an EVP SHA-256 context into 64 hex digits + NUL. */
int bundle_sha256_final(EVP_MD_CTX *ctx, char out[65]);
/* SHA-256 of a memory block as hex. */
void bundle_sha256_mem(const void *data, size_t len, char out[65]);

/* ---- time ---- */
/* ms since epoch -> "2026-11-27T10:17:46.123Z" */
void bundle_iso_time(int64_t ms, char *buf, size_t size);
/* Parse the form above (milliseconds optional); -1 if malformed. */
int bundle_parse_iso_time(const char *s, int64_t *ms);

/* ---- manifest building (bundle-manifest.c) ---- */
typedef struct bundle_input {
	char *name;              /* entry name in the bundle */
	char *src;               /* file on disk */
	uint64_t size;
	unsigned mode;           /* 0644 / 0755 */
	char sha256[65];
	const char *exec_kind;
	uint64_t dev, ino;       /* identity at collection time */
	int64_t mtime_ns, ctime_ns;
} bundle_input;

/*
 * Serialise a manifest for `r` and the hashed inputs (sorted by name).
 * `meta` is "K=V" strings; `signature` a JSON text or NULL. Returns the
 * malloc'd text or NULL with *why set.
 */
char *bundle_manifest_build(const bc_run *r, const bundle_input *in, size_t n,
	const char *name, const char *version, const char *const *meta,
	const char *signature, size_t *len, const char **why);

/* ---- registry (bundle-store.c) ---- */
int bundle_register(bc_project *p, const bc_bundle_info *b);

/* ---- problems ---- */
void bundle_problem(bc_bundle_report *r, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
