/* SPDX-License-Identifier: MIT */
/*
 * Libraries loaded on first use (the systemd dlopen idiom). libgit2 and
 * libarchive pull in some 25 more shared objects (ICU, libxml2, libstdc++,
 * Kerberos, libssh2...) and libcrypto has 17,000 relocations; mapping them
 * costs most of a short command's time, so the core library does not link
 * them: core/lazy-git.c, lazy-archive.c and lazy-crypto.c define each
 * function core calls, with the library's own prototype, as a
 * thunk that dlopen()s the SONAME configure found and dlsym()s the real one.
 * Not installed.
 */
#ifndef BANCADA_CORE_LAZY_H
#define BANCADA_CORE_LAZY_H

#include "internal.h"

#define BC_LAZY_HIDDEN __attribute__((visibility("hidden")))

struct bc_lazy_lib {
	const char *soname;     /* e.g. "libgit2.so.1.5" (from configure) */
	const char *what;       /* "libgit2": for messages */
	const char *package;    /* what to install when it is missing */
	const char *init;       /* an `int f(void)` to call once loaded, or NULL */
	void *handle;           /* atomic: NULL until loaded */
	int failed;             /* atomic: the load failed (err says why) */
	char err[512];          /* "cannot load libgit2 (...): install ..." */
};

BC_LAZY_HIDDEN extern struct bc_lazy_lib bc_lazy_git;
BC_LAZY_HIDDEN extern struct bc_lazy_lib bc_lazy_archive;
BC_LAZY_HIDDEN extern struct bc_lazy_lib bc_lazy_crypto;
BC_LAZY_HIDDEN extern struct bc_lazy_lib bc_lazy_yaml;
BC_LAZY_HIDDEN extern struct bc_lazy_lib bc_lazy_zlib;

/* Load the library now (once; thread-safe). 0, or -1 with lib->err set. */
BC_LAZY_HIDDEN int bc_lazy_load(struct bc_lazy_lib *lib);
/* The address of `name` in the library (loading it first), or NULL. */
BC_LAZY_HIDDEN void *bc_lazy_sym(struct bc_lazy_lib *lib, const char *name);
/* Load the library, or put a one-line error on the handle (class `cls`). */
BC_LAZY_HIDDEN int bc_lazy_require(bc_project *p, struct bc_lazy_lib *lib, bc_error_class cls);

/*
 * A thunk: `ret name params` forwards `args` to the real function, resolved
 * once; returns `fail` when the library or the symbol cannot be loaded.
 * Defining it with the header's name makes the compiler check the prototype
 * (the name in parentheses, so a function-like macro of the same name, as
 * curses has, is not expanded).
 * The thunks keep the headers' default visibility (a redeclaration cannot
 * hide them); in a process that also links the library itself, whichever
 * definition is found first ends in the same real function.
 */
#define BC_LAZY_FN(lib, ret, name, params, args, fail) \
	ret (name) params \
	{ \
		static __typeof__(&name) fn; \
		__typeof__(&name) f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
		if (!f) { \
			if (!(f = (__typeof__(&name))bc_lazy_sym(&lib, #name))) \
				return fail; \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE); \
		} \
		return f args; \
	}
#define BC_LAZY_VOID(lib, name, params, args) \
	void (name) params \
	{ \
		static __typeof__(&name) fn; \
		__typeof__(&name) f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE); \
		if (!f) { \
			if (!(f = (__typeof__(&name))bc_lazy_sym(&lib, #name))) \
				return; \
			__atomic_store_n(&fn, f, __ATOMIC_RELEASE); \
		} \
		f args; \
	}

#endif
