/* SPDX-License-Identifier: MIT */
/*
 * Zero-code-change metrics: `loss: 0.25`, `val_acc=0.91`, `step: 3` or
 * `step=3` tokens in output lines (ANSI colour sequences ignored).
 */
#include "config.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "record.h"

static int
key_char(int c)
{
	return isalnum(c) || c == '_' || c == '/' || c == '.' || c == '-';
}

/* Copy line without ANSI escape sequences into buf. */
static size_t
strip_ansi(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (s[i] == '\033') {
			i++;
			if (i < len && s[i] == '[') {
				while (i + 1 < len && !(s[i + 1] >= 0x40 && s[i + 1] <= 0x7e))
					i++;
				i++;
			}
			continue;
		}
		buf[o++] = s[i];
	}
	buf[o] = '\0';
	return o;
}

int
scalars_parse_line(const char *line, size_t len, int64_t *step,
	void (*emit)(void *ctx, const char *key, size_t klen, double v), void *ctx)
{
	char buf[4096];
	struct { const char *k; size_t kl; double v; } found[32];
	int n = 0;
	if (len >= sizeof buf)
		return 0;
	size_t l = strip_ansi(line, len, buf, sizeof buf);
	size_t i = 0;
	while (i < l) {
		/* a key starts at a letter not preceded by a key character */
		if (!(isalpha((unsigned char)buf[i]) || buf[i] == '_') || (i && key_char((unsigned char)buf[i - 1]))) {
			i++;
			continue;
		}
		size_t ks = i;
		while (i < l && key_char((unsigned char)buf[i]))
			i++;
		size_t ke = i;
		while (ke > ks && (buf[ke - 1] == '.' || buf[ke - 1] == '-'))
			ke--;
		size_t j = i;
		while (j < l && buf[j] == ' ')
			j++;
		if (j >= l || (buf[j] != ':' && buf[j] != '='))
			continue;
		j++;
		while (j < l && buf[j] == ' ')
			j++;
		char *end;
		double v = strtod(buf + j, &end);
		if (end == buf + j || (*end && !isspace((unsigned char)*end) && *end != ',' && *end != ';' &&
				*end != ')' && *end != '|' && *end != '%'))
			continue;
		if (!isfinite(v) && !(end - (buf + j) >= 3))
			continue;
		i = (size_t)(end - buf);
		size_t kl = ke - ks;
		if (kl == 4 && !strncasecmp(buf + ks, "step", 4)) {
			if (v == floor(v) && fabs(v) < 9e15)
				*step = (int64_t)v;
			continue;
		}
		if (n < 32) {
			found[n].k = buf + ks;
			found[n].kl = kl;
			found[n].v = v;
			n++;
		}
	}
	for (int k = 0; k < n; k++)
		emit(ctx, found[k].k, found[k].kl, found[k].v);
	return n;
}
