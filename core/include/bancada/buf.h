/* SPDX-License-Identifier: MIT */
/** @file buf.h  Growable byte buffers and formatting helpers. */
#ifndef BANCADA_CORE_BUF_H
#define BANCADA_CORE_BUF_H

#include "common.h"

BC_BEGIN_DECL

/** A growable, always NUL-terminated byte buffer. */
typedef struct bc_buf {
	char *data;
	size_t len, cap;
} bc_buf;
#define BC_BUF_INIT { NULL, 0, 0 }

BC_EXTERN(int) bc_buf_grow(bc_buf *b, size_t extra);
BC_EXTERN(int) bc_buf_put(bc_buf *b, const void *data, size_t len);
BC_EXTERN(int) bc_buf_puts(bc_buf *b, const char *s);
BC_EXTERN(int) bc_buf_putc(bc_buf *b, char c);
BC_EXTERN(int) bc_buf_printf(bc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** NUL-terminate and hand the data to the caller (the buffer is reset). */
BC_EXTERN(char *) bc_buf_detach(bc_buf *b);
BC_EXTERN(void) bc_buf_free(bc_buf *b);
/** malloc'd printf. */
BC_EXTERN(char *) bc_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

BC_END_DECL
#endif
