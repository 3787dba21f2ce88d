/* SPDX-License-Identifier: MIT */
/*
 * zlib, loaded on first use (see lazy.h): only `bancada run` right after a
 * commit inflates anything itself (the new commit's loose object, to learn
 * its tree: core/gitfast.c). One thunk per zlib function core calls. When
 * zlib cannot be loaded, inflateInit_ returns Z_VERSION_ERROR and the caller
 * asks libgit2 instead.
 */
#include "config.h"
#include <zlib.h>
#include "lazy.h"

struct bc_lazy_lib bc_lazy_zlib = { ZLIB_SONAME, "zlib",
	"zlib (apt-get install zlib1g)", NULL, NULL, 0, "" };

#define FN(ret, name, params, args, fail) BC_LAZY_FN(bc_lazy_zlib, ret, name, params, args, fail)

FN(int, inflateInit_, (z_streamp strm, const char *version, int stream_size), (strm, version, stream_size),
	Z_VERSION_ERROR)
FN(int, inflate, (z_streamp strm, int flush), (strm, flush), Z_STREAM_ERROR)
FN(int, inflateEnd, (z_streamp strm), (strm), Z_STREAM_ERROR)
