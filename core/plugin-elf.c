/* SPDX-License-Identifier: MIT */
/*
 * Reading a C plugin's ELF file without loading it: the exported
 * `bancada_plugin_abi` descriptor (so an ABI mismatch is refused before any
 * constructor could run) and the symbols it imports (a plugin that links
 * SQLite or curses is refused: plugins use the host table).
 */
#include "config.h"
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "internal.h"
#include "plugin-int.h"

#define SYM_MAX 200000

static int
pread_all(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off) == (ssize_t)n ? 0 : -1;
}

static int
banned(const char *name)
{
	static const char *const prefixes[] = { "sqlite3_", "initscr", "newterm", "wrefresh",
		"endwin", "tputs", "setupterm" };
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return 1;
	return 0;
}

/* Read the ABI descriptor from an ELF file without loading it; -1 with `why` (malloc'd). */
int
bc_plugin_elf_read(int fd, struct bc_plugin_abi *abi, char **why)
{
	*why = NULL;
	memset(abi, 0, sizeof *abi);
	Elf64_Ehdr eh;
	if (pread_all(fd, &eh, sizeof eh, 0) < 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		*why = bc_strdup("not an ELF shared object");
		return -1;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_type != ET_DYN || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
	    eh.e_shnum > 4096) {
		*why = bc_strdup("not a 64-bit little-endian shared object");
		return -1;
	}
	Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof *sh);
	if (!sh || pread_all(fd, sh, eh.e_shnum * sizeof *sh, (off_t)eh.e_shoff) < 0) {
		free(sh);
		*why = bc_strdup("truncated ELF section table");
		return -1;
	}
	int rc = -1, found = 0;
	Elf64_Sym *syms = NULL;
	char *strs = NULL;
	for (int i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh.e_shnum)
			continue;
		const Elf64_Shdr *st = &sh[sh[i].sh_link];
		size_t nsym = sh[i].sh_size / sizeof(Elf64_Sym);
		if (nsym > SYM_MAX || st->sh_size > 16u << 20)
			break;
		syms = malloc(nsym * sizeof *syms + 1);
		strs = malloc(st->sh_size + 1);
		if (!syms || !strs || pread_all(fd, syms, nsym * sizeof *syms, (off_t)sh[i].sh_offset) < 0 ||
		    pread_all(fd, strs, st->sh_size, (off_t)st->sh_offset) < 0)
			break;
		strs[st->sh_size] = '\0';
		rc = 0;
		for (size_t k = 0; k < nsym; k++) {
			if (syms[k].st_name >= st->sh_size)
				continue;
			const char *name = strs + syms[k].st_name;
			if (banned(name)) {
				*why = bc_sprintf("uses %s: plugins must not link SQLite or curses "
					"(use the host table of bancada/plugin.h)", name);
				rc = -1;
				break;
			}
			if (strcmp(name, "bancada_plugin_abi") || syms[k].st_shndx == SHN_UNDEF ||
			    syms[k].st_shndx >= eh.e_shnum || syms[k].st_size < sizeof *abi)
				continue;
			const Elf64_Shdr *ds = &sh[syms[k].st_shndx];
			if (syms[k].st_value < ds->sh_addr ||
			    syms[k].st_value - ds->sh_addr + sizeof *abi > ds->sh_size)
				continue;
			off_t off = (off_t)(ds->sh_offset + (syms[k].st_value - ds->sh_addr));
			if (ds->sh_type != SHT_NOBITS && pread_all(fd, abi, sizeof *abi, off) == 0)
				found = 1;
		}
		break;
	}
	free(sh);
	free(syms);
	free(strs);
	if (rc == 0 && !found) {
		*why = bc_strdup("no bancada_plugin_abi symbol: not a bancada plugin (see "
			"BC_PLUGIN_DEFINE_ABI in bancada/plugin.h)");
		rc = -1;
	} else if (rc < 0 && !*why) {
		*why = bc_strdup("cannot read its dynamic symbols");
	}
	return rc;
}

/* 0 when the ABI descriptor is acceptable, else -1 with `why` (malloc'd). */
int
bc_plugin_abi_check(const struct bc_plugin_abi *abi, char **why)
{
	*why = NULL;
	if (abi->abi_major != BC_PLUGIN_ABI_MAJOR)
		*why = bc_sprintf("built for plugin ABI %u.%u, this bancada speaks %u.%u: rebuild "
			"it against this bancada's bancada/plugin.h", abi->abi_major, abi->abi_minor,
			BC_PLUGIN_ABI_MAJOR, BC_PLUGIN_ABI_MINOR);
	else if (abi->abi_minor > BC_PLUGIN_ABI_MINOR)
		*why = bc_sprintf("needs plugin ABI %u.%u, newer than this bancada's %u.%u: "
			"upgrade bancada", abi->abi_major, abi->abi_minor, BC_PLUGIN_ABI_MAJOR,
			BC_PLUGIN_ABI_MINOR);
	else if (abi->plugin_size != sizeof(struct bc_plugin) ||
	    abi->api_size > sizeof(struct bc_host_api) ||
	    abi->api_size < offsetof(struct bc_host_api, bundle) + sizeof(void *))
		*why = bc_sprintf("plugin ABI %u.%u with struct sizes %u/%u, expected %zu/%zu: "
			"rebuild it against bancada/plugin.h", abi->abi_major, abi->abi_minor,
			abi->plugin_size, abi->api_size, sizeof(struct bc_plugin),
			sizeof(struct bc_host_api));
	return *why ? -1 : 0;
}

/* Fill the ABI version and any refusal reason of a C plugin from its file. */
void
bc_plugin_elf_inspect(bc_plugin_info *pi)
{
	struct stat st;
	char *why = NULL;
	int fd = bc_plugin_open_safe(pi->path, &st, &why);
	if (fd < 0) {
		free(why);
		return;
	}
	struct bc_plugin_abi abi;
	if (bc_plugin_elf_read(fd, &abi, &why) == 0) {
		pi->abi_major = abi.abi_major;
		pi->abi_minor = abi.abi_minor;
		bc_plugin_abi_check(&abi, &why);
	}
	close(fd);
	if (why) {
		free(pi->why);
		pi->why = why;
	}
}
