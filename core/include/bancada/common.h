/* SPDX-License-Identifier: MIT */
/** @file common.h  Return codes, export macros and value types shared by every module. */
#ifndef BANCADA_CORE_COMMON_H
#define BANCADA_CORE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define BC_BEGIN_DECL extern "C" {
#define BC_END_DECL }
#else
#define BC_BEGIN_DECL
#define BC_END_DECL
#endif

#define BC_EXTERN(type) extern __attribute__((visibility("default"))) type

BC_BEGIN_DECL

/** Return codes: 0 is success, expected failures are small negatives, -1 is generic. */
enum {
	BC_OK = 0,
	BC_ERROR = -1,
	BC_ENOTFOUND = -3,
	BC_EEXISTS = -4,
	BC_EINVALID = -5,
	BC_EAMBIGUOUS = -6,
	BC_EBUSY = -7,
	BC_EREADONLY = -8,
	BC_EINTERRUPTED = -9,
};

/** Error classes: which layer an error came from. */
typedef enum {
	BC_ERR_NONE = 0,
	BC_ERR_OS,
	BC_ERR_DB,
	BC_ERR_GIT,
	BC_ERR_ARCHIVE,
	BC_ERR_INPUT,
	BC_ERR_PROJECT,
	BC_ERR_PLUGIN,
} bc_error_class;

/** A typed parameter value. Strings are owned by the containing record. */
typedef enum {
	BC_VAL_NULL = 0,
	BC_VAL_INT,
	BC_VAL_FLOAT,
	BC_VAL_BOOL,
	BC_VAL_STRING,
} bc_val_type;

typedef struct bc_value {
	bc_val_type type;
	int64_t i;     /**< INT and BOOL */
	double f;      /**< FLOAT */
	char *s;       /**< STRING (NUL-terminated; may contain any other byte) */
	size_t slen;   /**< STRING length in bytes */
} bc_value;

/** Milliseconds since the Unix epoch, UTC. */
BC_EXTERN(int64_t) bc_now_ms(void);

BC_END_DECL
#endif
