/* SPDX-License-Identifier: MIT */
/** @file text.h  The one sanitizer every untrusted string passes before output. */
#ifndef BANCADA_CORE_TEXT_H
#define BANCADA_CORE_TEXT_H

#include "common.h"

BC_BEGIN_DECL

enum {
	BC_TEXT_MULTILINE = 1 << 0, /**< keep LF (and expand TAB to spaces) */
	BC_TEXT_ASCII = 1 << 1,     /**< escape every non-ASCII character (non-UTF-8 locale) */
};

/**
 * Make `len` bytes of untrusted text safe for a terminal. C0 controls (CR,
 * BS, TAB and LF too unless MULTILINE), DEL, C1, bidi overrides/isolates and
 * zero-width characters become visible escapes (`\x1b`, `\u202e`); invalid
 * UTF-8 becomes U+FFFD ("?" in ASCII mode). Returns a new NUL-terminated
 * string (malloc'd; never NULL except on OOM).
 */
BC_EXTERN(char *) bc_text_sanitize(const char *s, size_t len, unsigned flags);

/** Display width in columns of sanitized UTF-8 text (wcwidth). */
BC_EXTERN(int) bc_text_width(const char *s);

/**
 * Copy the longest prefix of sanitized `s` that fits `cols` columns into buf,
 * ending with an ellipsis ("…", or "~" in ASCII mode) when cut; never splits
 * a character. Returns columns used.
 */
BC_EXTERN(int) bc_text_fit(const char *s, int cols, int ascii, char *buf, size_t size);

/** True if `s` contains no byte that bc_text_sanitize would change (single-line). */
BC_EXTERN(int) bc_text_is_clean(const char *s, size_t len);

BC_END_DECL
#endif
