/* SPDX-License-Identifier: MIT */
/*
 * `bancada plugin ls|info|trust|untrust|run`: list plugins, show one,
 * record trust in a project plugin, and run a plugin's view without the
 * TUI (printed as text, for SSH, scripts and tests).
 */
#include "config.h"
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <bancada/plughost.h>
#include "cmd.h"

extern const struct bc_cmd cmd_plugin;

static const char *
kind_name(bc_plugin_kind k)
{
	return k == BC_PLUGIN_KIND_C ? "c" : "external";
}

static const char *
input_name(int input)
{
	return input == BC_INPUT_FILTERED ? "filtered" : input == BC_INPUT_MARKED ? "marked" : "run";
}

static void
abi_text(const bc_plugin_info *pi, char *buf, size_t size)
{
	if (pi->kind == BC_PLUGIN_KIND_C && pi->abi_major)
		snprintf(buf, size, "%u.%u", pi->abi_major, pi->abi_minor);
	else
		snprintf(buf, size, "-");
}

static void
key_text(int key, char *buf, size_t size)
{
	if (key > ' ' && key < 0x7f)
		snprintf(buf, size, "%c", key);
	else
		snprintf(buf, size, "-");
}

static int
plugin_ls(struct bc_cmd_ctx *ctx, bc_plugin_set *set, int json)
{
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < set->n; i++) {
			const bc_plugin_info *pi = &set->v[i];
			char abi[32], key[8];
			abi_text(pi, abi, sizeof abi);
			key_text(pi->key, key, sizeof key);
			json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "name", pi->name,
				"kind", kind_name(pi->kind), "source", bc_plugin_source_name(pi->source),
				"trust", bc_trust_name(pi->trust), "path", pi->path, "shadowed",
				pi->shadowed, "input", input_name(pi->input), "sha256", pi->sha256);
			json_object_set_new(o, "abi", pi->abi_major ? json_string(abi) : json_null());
			json_object_set_new(o, "key", pi->key ? json_string(key) : json_null());
			json_object_set_new(o, "description", pi->description ?
				json_string(pi->description) : json_null());
			json_object_set_new(o, "problem", pi->why ? json_string(pi->why) : json_null());
			json_array_append_new(arr, o);
		}
		char *s = json_dumps(arr, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		json_decref(arr);
		if (s)
			puts(s);
		free(s);
		return EXIT_OK;
	}
	if (!set->n) {
		printf("no plugins (see `bancada help plugin` and share/plugins.md)\n");
		return EXIT_OK;
	}
	struct out_table *t = table_new(7);
	static const char *const head[] = { "NAME", "KIND", "SOURCE", "TRUST", "KEY", "ABI",
		"DESCRIPTION" };
	for (int c = 0; c < 7; c++)
		table_set_header(t, c, head[c], 0);
	for (size_t i = 0; i < set->n; i++) {
		const bc_plugin_info *pi = &set->v[i];
		char abi[32], key[8], trust[64];
		abi_text(pi, abi, sizeof abi);
		key_text(pi->key, key, sizeof key);
		snprintf(trust, sizeof trust, "%s%s", bc_trust_name(pi->trust),
			pi->shadowed ? " (shadowed)" : "");
		table_add(t, 0, pi->name);
		table_add(t, 1, kind_name(pi->kind));
		table_add(t, 2, bc_plugin_source_name(pi->source));
		table_add(t, 3, trust);
		table_add(t, 4, key);
		table_add(t, 5, abi);
		table_add(t, 6, pi->why && pi->trust != BC_TRUST_NO ? pi->why :
			pi->description ? pi->description : "");
		table_next_row(t);
	}
	table_print(t, ctx, stdout, out_width(ctx));
	table_free(t);
	return EXIT_OK;
}

static void
info_line(const char *label, const char *value)
{
	printf("%-12s ", label);
	out_text(stdout, value ? value : "-", 0);
	putchar('\n');
}

static int
plugin_info(const bc_plugin_info *pi)
{
	char buf[64];
	info_line("name", pi->name);
	info_line("kind", kind_name(pi->kind));
	info_line("source", bc_plugin_source_name(pi->source));
	info_line("path", pi->path);
	info_line("sha256", pi->sha256[0] ? pi->sha256 : NULL);
	info_line("trust", bc_trust_name(pi->trust));
	key_text(pi->key, buf, sizeof buf);
	info_line("key", buf);
	info_line("input", input_name(pi->input));
	if (pi->kind == BC_PLUGIN_KIND_C) {
		abi_text(pi, buf, sizeof buf);
		info_line("abi", buf);
	} else {
		printf("%-12s", "exec");
		for (size_t i = 0; i < pi->argc; i++) {
			printf(" [");
			out_text(stdout, pi->argv[i], 0);
			printf("]");
		}
		putchar('\n');
		snprintf(buf, sizeof buf, "%.1fs", pi->timeout_ms / 1000.0);
		info_line("timeout", buf);
		snprintf(buf, sizeof buf, "%zu bytes", pi->output_cap);
		info_line("output cap", buf);
	}
	info_line("description", pi->description);
	if (pi->shadowed)
		info_line("note", "shadowed by a plugin of the same name with higher precedence");
	if (pi->why)
		info_line("problem", pi->why);
	return EXIT_OK;
}

static int
plugin_trust(struct bc_cmd_ctx *ctx, const bc_plugin_info *pi, int trust)
{
	if (pi->source != BC_PLUGIN_PROJECT) {
		printf("%s is a %s plugin: trusted by installation, nothing to do\n", pi->name,
			bc_plugin_source_name(pi->source));
		return EXIT_OK;
	}
	if (bc_plugin_trust(ctx->p, pi, trust) < 0)
		return cmd_project_error(ctx->p);
	if (trust) {
		printf("trusted project plugin %s\n  ", pi->name);
		out_text(stdout, pi->path, 0);
		printf("\n  sha256 %s (trust lapses if it changes)\n", pi->sha256);
	} else {
		printf("untrusted project plugin %s\n", pi->name);
	}
	return EXIT_OK;
}

int plugin_run(struct bc_cmd_ctx *ctx, const bc_plugin_info *pi, int argc, char **argv);

static int
plugin_exec(struct bc_cmd_ctx *ctx, int argc, char **argv)
{
	if (argc < 2)
		return cmd_usage(&cmd_plugin, "missing subcommand");
	const char *sub = argv[1];
	int json = 0;
	if (!strcmp(sub, "ls") || !strcmp(sub, "list")) {
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--json"))
				json = 1;
			else
				return cmd_usage(&cmd_plugin, "ls takes only --json");
		}
	} else if (strcmp(sub, "info") && strcmp(sub, "trust") && strcmp(sub, "untrust") &&
	    strcmp(sub, "run")) {
		return cmd_usage(&cmd_plugin, "unknown subcommand");
	} else if (argc < 3 || argv[2][0] == '-') {
		return cmd_usage(&cmd_plugin, "missing plugin NAME");
	} else if (strcmp(sub, "run") && argc > 3) {
		return cmd_usage(&cmd_plugin, "too many arguments");
	}
	bc_plugin_set set;
	bc_plugins_discover(ctx->p, &set);
	if (!strcmp(sub, "ls") || !strcmp(sub, "list") || !strcmp(sub, "info"))
		bc_plugins_describe(ctx->p, &set);   /* loads trusted C plugins only */
	int rc;
	if (!strcmp(sub, "ls") || !strcmp(sub, "list")) {
		rc = plugin_ls(ctx, &set, json);
	} else {
		const bc_plugin_info *pi = bc_plugin_find(&set, argv[2]);
		if (!pi)
			rc = cmd_error("no plugin named '%s': see `bancada plugin ls`", argv[2]);
		else if (!strcmp(sub, "info"))
			rc = plugin_info(pi);
		else if (!strcmp(sub, "trust") || !strcmp(sub, "untrust"))
			rc = plugin_trust(ctx, pi, !strcmp(sub, "trust"));
		else
			rc = plugin_run(ctx, pi, argc - 3, argv + 3);
	}
	bc_plugin_set_clear(&set);
	return rc;
}

const struct bc_cmd cmd_plugin = {
	.name = "plugin",
	.usage = "ls [--json] | info NAME | trust NAME | untrust NAME |\n"
		"       run NAME [-o KEY=VALUE]... [--filter EXPR] [--size ROWSxCOLS] [--keys KEYS] [REF...]",
	.summary = "list, inspect, trust and run plugins (C and external views)",
	.flags = CMD_NEEDS_PROJECT | CMD_READ_ONLY,
	.exec = plugin_exec,
};
