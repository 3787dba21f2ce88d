/* SPDX-License-Identifier: MIT */
/*
 * Loading a C plugin. Order matters: ownership and mode checks, hash, trust
 * decision and the ABI descriptor read from the file all come before
 * dlopen, because ELF constructors run at load time. The file is loaded
 * through the descriptor that was hashed (/proc/self/fd/N), with
 * RTLD_NOW|RTLD_LOCAL, so the bytes checked are the bytes loaded.
 */
#include "config.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "plugin-int.h"

struct bc_cplugin {
	void *dl;
	int fd;
	struct bc_plugin desc;
	char *name, *description;
};

static int
refuse(bc_project *p, const bc_plugin_info *pi, char *why)
{
	bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "plugin %s refused: %s", pi->name,
		why ? why : "unknown reason");
	free(why);
	return BC_EINVALID;
}

static char *
validate(const bc_plugin_info *pi, const struct bc_plugin *d)
{
	if (d->abi_major != BC_PLUGIN_ABI_MAJOR || d->abi_minor > BC_PLUGIN_ABI_MINOR ||
	    d->size != sizeof(struct bc_plugin))
		return bc_sprintf("its init filled a struct bc_plugin for ABI %u.%u size %u, "
			"expected %u.%u size %zu", d->abi_major, d->abi_minor, d->size,
			BC_PLUGIN_ABI_MAJOR, BC_PLUGIN_ABI_MINOR, sizeof(struct bc_plugin));
	if (!d->name || strnlen(d->name, 65) > 64 || strcmp(d->name, pi->name))
		return bc_sprintf("its name must be \"%s\" (the file name)", pi->name);
	if (!d->draw)
		return bc_strdup("it has no draw callback");
	if (d->input > BC_INPUT_FILTERED)
		return bc_sprintf("unknown input kind %u", d->input);
	if (d->key < 0 || (d->key && (d->key <= ' ' || d->key >= 0x7f)))
		return bc_sprintf("key %d is not a printable ASCII character", d->key);
	return NULL;
}

/* Check, then load a C plugin (see plughost.h); caller frees with bc_cplugin_free(). */
int
bc_cplugin_load(bc_cplugin **out, bc_project *p, const bc_plugin_info *pi)
{
	*out = NULL;
	if (pi->kind != BC_PLUGIN_KIND_C)
		return bc_error_set(p, BC_ERR_PLUGIN, BC_EINVALID, "%s is an external plugin",
			pi->name);
	struct stat st;
	char *why = NULL, hash[65];
	int fd = bc_plugin_open_safe(pi->path, &st, &why);
	if (fd < 0)
		return refuse(p, pi, why);
	if (bc_sha256_fd(fd, hash) < 0) {
		close(fd);
		return refuse(p, pi, bc_strdup("cannot read it"));
	}
	int rc = bc_plugin_check_hash(p, pi, hash);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	struct bc_plugin_abi abi;
	if (bc_plugin_elf_read(fd, &abi, &why) < 0 || bc_plugin_abi_check(&abi, &why) < 0) {
		close(fd);
		return refuse(p, pi, why);
	}
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	const char *load_path = access(self, R_OK) == 0 ? self : pi->path;
	dlerror();
	void *dl = dlopen(load_path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *e = dlerror();
		close(fd);
		return refuse(p, pi, bc_sprintf("cannot load it: %s", e ? e : "dlopen failed"));
	}
	const struct bc_plugin_abi *live = dlsym(dl, "bancada_plugin_abi");
	bc_plugin_init_fn *init = NULL;
	*(void **)&init = dlsym(dl, "bancada_plugin_init");
	if (!live || memcmp(live, &abi, sizeof abi) || !init) {
		dlclose(dl);
		close(fd);
		return refuse(p, pi, bc_strdup(!init ? "no bancada_plugin_init function" :
			"its loaded ABI descriptor differs from the file"));
	}
	struct bc_plugin desc = BC_PLUGIN_INIT;
	int irc = init(bc_host_api_get(), &desc);
	why = irc ? bc_sprintf("its init returned %d", irc) : validate(pi, &desc);
	if (why) {
		dlclose(dl);
		close(fd);
		return refuse(p, pi, why);
	}
	bc_cplugin *cp = calloc(1, sizeof *cp);
	if (!cp) {
		dlclose(dl);
		close(fd);
		return bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	}
	cp->dl = dl;
	cp->fd = fd;
	cp->desc = desc;
	cp->name = bc_strdup(desc.name);
	cp->description = desc.description ?
		bc_text_sanitize(desc.description, strnlen(desc.description, 256), 0) : bc_strdup("");
	cp->desc.name = cp->name;
	cp->desc.description = cp->description;
	if (!cp->desc.input)
		cp->desc.input = BC_INPUT_RUN;
	*out = cp;
	return 0;
}

/* The validated description of a loaded plugin (borrowed). */
const struct bc_plugin *
bc_cplugin_desc(const bc_cplugin *cp)
{
	return cp ? &cp->desc : NULL;
}

/* Unload a plugin (NULL is a no-op). */
void
bc_cplugin_free(bc_cplugin *cp)
{
	if (!cp)
		return;
	dlclose(cp->dl);
	close(cp->fd);
	free(cp->name);
	free(cp->description);
	free(cp);
}

/* Load trusted C plugins of a set to fill their description, key and input. */
void
bc_plugins_describe(bc_project *p, bc_plugin_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		bc_plugin_info *pi = &set->v[i];
		if (pi->kind != BC_PLUGIN_KIND_C || pi->why || pi->shadowed ||
		    (pi->trust != BC_TRUST_IMPLICIT && pi->trust != BC_TRUST_YES))
			continue;
		bc_cplugin *cp;
		if (bc_cplugin_load(&cp, p, pi) < 0) {
			pi->why = bc_strdup(bc_errmsg(p));
			continue;
		}
		free(pi->description);
		pi->description = bc_strdup(cp->description);
		pi->key = cp->desc.key;
		pi->input = (int)cp->desc.input;
		bc_cplugin_free(cp);
	}
	bc_error_clear(p);
}
