/* SPDX-License-Identifier: MIT */
/*
 * Key names, per-view keymaps and `bind`. A binding maps a key in a keymap
 * (a view name or "generic") to a request or to a `:command` line. Later
 * bindings win, so config files override share/bancadarc.
 */
#include "config.h"
#include <ctype.h>
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

#define REQ_ROW_(group, id, name, help) [REQ_##id] = { REQ_##id, #group, name, help },
const struct request_info request_table[REQ_COUNT] = {
	[REQ_NONE] = { REQ_NONE, "", "", "" },
	REQ_INFO(REQ_ROW_)
};
#undef REQ_ROW_

/* Look a request up by name; REQ_NONE if unknown. */
enum request
request_lookup(const char *name)
{
	for (int i = 1; i < REQ_COUNT; i++)
		if (!strcmp(request_table[i].name, name))
			return (enum request)i;
	return REQ_NONE;
}

/* Name of a request ("" for REQ_NONE). */
const char *
request_name(enum request req)
{
	return req > REQ_NONE && req < REQ_COUNT ? request_table[req].name : "";
}

struct binding {
	char *keymap;
	int key;
	enum request req;
	char *command;     /* ":..." action, or NULL */
};
static struct binding *bindings;
static size_t nbindings, capbindings;

static const struct { const char *name; int key; } key_names[] = {
	{ "Up", KEYF(KEY_UP) }, { "Down", KEYF(KEY_DOWN) }, { "Left", KEYF(KEY_LEFT) },
	{ "Right", KEYF(KEY_RIGHT) }, { "PgUp", KEYF(KEY_PPAGE) }, { "PageUp", KEYF(KEY_PPAGE) },
	{ "PgDown", KEYF(KEY_NPAGE) }, { "PageDown", KEYF(KEY_NPAGE) }, { "Home", KEYF(KEY_HOME) },
	{ "End", KEYF(KEY_END) }, { "Enter", '\r' }, { "Return", '\r' }, { "Space", ' ' },
	{ "Tab", '\t' }, { "BackTab", KEYF(KEY_BTAB) }, { "S-Tab", KEYF(KEY_BTAB) },
	{ "Esc", 27 }, { "Escape", 27 }, { "Backspace", KEYF(KEY_BACKSPACE) },
	{ "Delete", KEYF(KEY_DC) }, { "Del", KEYF(KEY_DC) }, { "Insert", KEYF(KEY_IC) },
	{ "Hash", '#' }, { "LessThan", '<' }, { "lt", '<' },
	/* bracketed paste markers, for scripts that test paste handling */
	{ "PasteBegin", KEY_PASTE_BEGIN }, { "PasteEnd", KEY_PASTE_END },
};

/* Parse a key name: "j", "<Down>", "<C-f>", "^F", "<F1>". -1 if unknown. */
int
keys_parse_name(const char *s)
{
	size_t len = strlen(s);
	if (len == 0)
		return -1;
	if (s[0] == '^' && len == 2)
		return toupper((unsigned char)s[1]) & 0x1f;
	if (s[0] == '<' && s[len - 1] == '>' && len > 2) {
		char name[32];
		if (len - 2 >= sizeof name)
			return -1;
		memcpy(name, s + 1, len - 2);
		name[len - 2] = 0;
		if ((name[0] == 'C' || name[0] == 'c') && name[1] == '-' && name[2] && !name[3])
			return toupper((unsigned char)name[2]) & 0x1f;
		if ((name[0] == 'F' || name[0] == 'f') && isdigit((unsigned char)name[1])) {
			int n = atoi(name + 1);
			return n >= 1 && n <= 24 ? KEYF(KEY_F(n)) : -1;
		}
		for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
			if (!strcasecmp(key_names[i].name, name))
				return key_names[i].key;
		return -1;
	}
	/* one UTF-8 character */
	wchar_t wc;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t n = mbrtowc(&wc, s, len, &st);
	if (n == len && wc > 0x20)
		return (int)wc;
	return -1;
}

/* Key name for display ("<Up>", "j", "<C-f>"). */
const char *
keys_name(int key, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof key_names / sizeof key_names[0]; i++)
		if (key_names[i].key == key && strcmp(key_names[i].name, "Return") &&
		    strcmp(key_names[i].name, "Escape") && strcmp(key_names[i].name, "PageUp") &&
		    strcmp(key_names[i].name, "PageDown") && strcmp(key_names[i].name, "S-Tab") &&
		    strcmp(key_names[i].name, "Del") && strcmp(key_names[i].name, "Hash") &&
		    strcmp(key_names[i].name, "lt") && strcmp(key_names[i].name, "LessThan")) {
			snprintf(buf, size, "<%s>", key_names[i].name);
			return buf;
		}
	if (key >= KEYF(KEY_F(1)) && key <= KEYF(KEY_F(24)))
		snprintf(buf, size, "<F%d>", key - KEYF(KEY_F(0)));
	else if (key > 0 && key < 0x20)
		snprintf(buf, size, "<C-%c>", 'a' + key - 1);
	else if (key > 0x20 && key < 0x110000) {
		mbstate_t st;
		memset(&st, 0, sizeof st);
		char mb[8];
		size_t n = wcrtomb(mb, (wchar_t)key, &st);
		if (n == (size_t)-1 || n >= size)
			snprintf(buf, size, "U+%04X", key);
		else {
			memcpy(buf, mb, n);
			buf[n] = 0;
		}
	} else
		snprintf(buf, size, "<%d>", key);
	return buf;
}

/* Bind keyname in keymap to a request name or a ":command". */
int
keys_bind(const char *keymap, const char *keyname, const char *action, char *err, size_t errsize)
{
	int key = keys_parse_name(keyname);
	if (key < 0) {
		snprintf(err, errsize, "unknown key '%s': use a character or a name like <Down> or <C-f>", keyname);
		return -1;
	}
	if (strcmp(keymap, "generic") && !view_find_ops(keymap)) {
		snprintf(err, errsize, "unknown keymap '%s': use generic or a view name", keymap);
		return -1;
	}
	enum request req = REQ_NONE;
	if (action[0] != ':') {
		req = request_lookup(action);
		if (req == REQ_NONE && strcmp(action, "none")) {
			snprintf(err, errsize, "unknown request '%s': see the help view (?)", action);
			return -1;
		}
	}
	if (nbindings == capbindings) {
		size_t cap = capbindings ? capbindings * 2 : 128;
		struct binding *nb = realloc(bindings, cap * sizeof *nb);
		if (!nb) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		bindings = nb;
		capbindings = cap;
	}
	/* replace an existing binding of the same key in place (keeps help order) */
	for (size_t i = 0; i < nbindings; i++)
		if (bindings[i].key == key && !strcmp(bindings[i].keymap, keymap)) {
			free(bindings[i].command);
			bindings[i].req = req;
			bindings[i].command = action[0] == ':' ? strdup(action + 1) : NULL;
			return 0;
		}
	struct binding *b = &bindings[nbindings++];
	b->keymap = strdup(keymap);
	b->key = key;
	b->req = req;
	b->command = action[0] == ':' ? strdup(action + 1) : NULL;
	return 0;
}

static struct binding *
find(const char *keymap, int key)
{
	for (size_t i = nbindings; i-- > 0;)
		if (bindings[i].key == key && !strcmp(bindings[i].keymap, keymap))
			return &bindings[i];
	return NULL;
}

/* Request for key in keymap, else in "generic". *command set for ":..." bindings. */
enum request
keys_lookup(const char *keymap, int key, const char **command)
{
	struct binding *b = keymap ? find(keymap, key) : NULL;
	if (!b)
		b = find("generic", key);
	*command = b ? b->command : NULL;
	return b ? b->req : REQ_NONE;
}

/* Visit the bindings of one keymap in definition order. */
void
keys_foreach(const char *keymap, void (*fn)(int key, enum request req, const char *cmd, void *data),
	void *data)
{
	for (size_t i = 0; i < nbindings; i++)
		if (!strcmp(bindings[i].keymap, keymap))
			fn(bindings[i].key, bindings[i].req, bindings[i].command, data);
}

void
keys_free(void)
{
	for (size_t i = 0; i < nbindings; i++) {
		free(bindings[i].keymap);
		free(bindings[i].command);
	}
	free(bindings);
	bindings = NULL;
	nbindings = capbindings = 0;
}
