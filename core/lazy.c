/* SPDX-License-Identifier: MIT */
/* Loading a library on first use: dlopen by SONAME, dlsym per function (see lazy.h). */
#include "config.h"
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include "lazy.h"

static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

int
bc_lazy_load(struct bc_lazy_lib *lib)
{
	if (__atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE))
		return 0;
	if (__atomic_load_n(&lib->failed, __ATOMIC_ACQUIRE))
		return -1;
	pthread_mutex_lock(&lazy_lock);
	int rc = 0;
	if (!lib->handle && !lib->failed) {
		void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
		if (h) {
			/* e.g. git_libgit2_init: every libgit2 call then finds it set up */
			int (*init)(void) = lib->init ? (int (*)(void))dlsym(h, lib->init) : NULL;
			if (init)
				init();
			__atomic_store_n(&lib->handle, h, __ATOMIC_RELEASE);
		} else {
			const char *e = dlerror();
			snprintf(lib->err, sizeof lib->err, "cannot load %s (%s): install %s",
				lib->what, e ? e : lib->soname, lib->package);
			__atomic_store_n(&lib->failed, 1, __ATOMIC_RELEASE);
		}
	}
	if (!lib->handle)
		rc = -1;
	pthread_mutex_unlock(&lazy_lock);
	return rc;
}

void *
bc_lazy_sym(struct bc_lazy_lib *lib, const char *name)
{
	if (bc_lazy_load(lib) < 0)
		return NULL;
	void *f = dlsym(lib->handle, name);
	if (!f) {
		pthread_mutex_lock(&lazy_lock);
		snprintf(lib->err, sizeof lib->err, "%s (%s) has no function %s: install a newer %s",
			lib->what, lib->soname, name, lib->package);
		pthread_mutex_unlock(&lazy_lock);
	}
	return f;
}

int
bc_lazy_require(bc_project *p, struct bc_lazy_lib *lib, bc_error_class cls)
{
	if (bc_lazy_load(lib) == 0)
		return 0;
	return bc_error_set(p, cls, BC_ERROR, "%s", lib->err);
}
