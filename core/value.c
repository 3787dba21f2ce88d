/* SPDX-License-Identifier: MIT */
/* Typed param values: parsing, formatting, SQLite binding, JSON/YAML flattening. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include <yaml.h>
#include "internal.h"
#include "lazy.h"

void
bc_value_clear(bc_value *v)
{
	if (v->type == BC_VAL_STRING)
		free(v->s);
	memset(v, 0, sizeof *v);
}

static void
set_string(bc_value *v, const char *text, size_t len)
{
	v->type = BC_VAL_STRING;
	v->s = bc_strndup(text, len);
	v->slen = len;
}

void
bc_value_parse(bc_value *v, const char *text)
{
	memset(v, 0, sizeof *v);
	size_t len = strlen(text);
	if (!strcmp(text, "true") || !strcmp(text, "True") || !strcmp(text, "TRUE")) {
		v->type = BC_VAL_BOOL;
		v->i = 1;
		return;
	}
	if (!strcmp(text, "false") || !strcmp(text, "False") || !strcmp(text, "FALSE")) {
		v->type = BC_VAL_BOOL;
		return;
	}
	if (len && len < 64) {
		char *end;
		errno = 0;
		long long i = strtoll(text, &end, 10);
		if (*end == '\0' && errno == 0 && text[0] != '+' && !(text[0] == '0' && len > 1 && text[1] != '.')) {
			v->type = BC_VAL_INT;
			v->i = i;
			return;
		}
		if (!strcasecmp(text, "nan") || !strcasecmp(text, "inf") || !strcasecmp(text, "-inf") ||
				!strcasecmp(text, "+inf") || !strcasecmp(text, "infinity") || !strcasecmp(text, "-infinity")) {
			v->type = BC_VAL_FLOAT;
			v->f = strtod(text, NULL);
			return;
		}
		errno = 0;
		double d = strtod(text, &end);
		int leading_zero = text[0] == '0' && len > 1 && isdigit((unsigned char)text[1]);
		if (*end == '\0' && end != text && !leading_zero && (isdigit((unsigned char)text[len - 1]) || text[len - 1] == '.')
				&& strpbrk(text, "0123456789")) {
			v->type = BC_VAL_FLOAT;
			v->f = d;
			return;
		}
	}
	set_string(v, text, len);
}

char *
bc_value_format(const bc_value *v, char *buf, size_t size)
{
	switch (v->type) {
	case BC_VAL_INT: snprintf(buf, size, "%lld", (long long)v->i); break;
	case BC_VAL_BOOL: snprintf(buf, size, "%s", v->i ? "true" : "false"); break;
	case BC_VAL_FLOAT:
		if (isnan(v->f))
			snprintf(buf, size, "nan");
		else if (isinf(v->f))
			snprintf(buf, size, v->f > 0 ? "inf" : "-inf");
		else
			snprintf(buf, size, "%.10g", v->f);
		break;
	case BC_VAL_STRING: snprintf(buf, size, "%s", v->s ? v->s : ""); break;
	default: snprintf(buf, size, "null"); break;
	}
	return buf;
}

int
bc_param_bind(sqlite3_stmt *st, int col_type, int col_value, const bc_value *v)
{
	sqlite3_bind_int(st, col_type, v->type);
	switch (v->type) {
	case BC_VAL_INT:
	case BC_VAL_BOOL:
		return sqlite3_bind_int64(st, col_value, v->i);
	case BC_VAL_FLOAT:
		if (isnan(v->f))
			return sqlite3_bind_null(st, col_value);  /* SQLite has no NaN */
		return sqlite3_bind_double(st, col_value, v->f);
	case BC_VAL_STRING:
		return sqlite3_bind_text(st, col_value, v->s, (int)v->slen, SQLITE_TRANSIENT);
	default:
		return sqlite3_bind_null(st, col_value);
	}
}

void
bc_param_column(sqlite3_stmt *st, int col_type, int col_value, bc_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = (bc_val_type)sqlite3_column_int(st, col_type);
	switch (v->type) {
	case BC_VAL_INT:
	case BC_VAL_BOOL:
		v->i = sqlite3_column_int64(st, col_value);
		break;
	case BC_VAL_FLOAT:
		v->f = sqlite3_column_type(st, col_value) == SQLITE_NULL ? NAN
			: sqlite3_column_double(st, col_value);
		break;
	case BC_VAL_STRING: {
		const char *t = (const char *)sqlite3_column_text(st, col_value);
		set_string(v, t ? t : "", (size_t)sqlite3_column_bytes(st, col_value));
		break;
	}
	default:
		break;
	}
}

/* ---- flattening documents into params ---- */

static int
put_param(bc_project *p, const char *id, const char *key, const bc_value *v)
{
	return bc_run_set_param(p, id, key, v);
}

static int
json_flatten(bc_project *p, const char *id, json_t *j, bc_buf *key)
{
	size_t keep = key->len;
	int rc = 0;
	bc_value v = { 0 };
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *val;
		json_object_foreach(j, k, val) {
			if (keep)
				bc_buf_putc(key, '.');
			bc_buf_puts(key, k);
			rc = json_flatten(p, id, val, key);
			key->len = keep;
			key->data[keep] = '\0';
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *val;
		json_array_foreach(j, i, val) {
			if (keep)
				bc_buf_putc(key, '.');
			bc_buf_printf(key, "%zu", i);
			rc = json_flatten(p, id, val, key);
			key->len = keep;
			key->data[keep] = '\0';
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	case JSON_STRING: set_string(&v, json_string_value(j), json_string_length(j)); break;
	case JSON_INTEGER: v.type = BC_VAL_INT; v.i = json_integer_value(j); break;
	case JSON_REAL: v.type = BC_VAL_FLOAT; v.f = json_real_value(j); break;
	case JSON_TRUE: v.type = BC_VAL_BOOL; v.i = 1; break;
	case JSON_FALSE: v.type = BC_VAL_BOOL; break;
	default: v.type = BC_VAL_NULL; break;
	}
	if (!keep)
		return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "params document is a bare value: use an object of key: value");
	rc = put_param(p, id, key->data, &v);
	bc_value_clear(&v);
	return rc;
}

int
bc_params_from_json(bc_project *p, const char *id, void *json_obj, const char *prefix)
{
	bc_buf key = BC_BUF_INIT;
	bc_buf_puts(&key, prefix ? prefix : "");
	int rc = json_flatten(p, id, json_obj, &key);
	bc_buf_free(&key);
	return rc;
}

/* YAML: walk events with a stack of (is_seq, index, key length). */
#define YAML_MAX_DEPTH 64
static int
yaml_flatten(bc_project *p, const char *id, const char *doc, size_t len, const char *what)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct { int seq; size_t index; size_t keylen; int want_key; } st[YAML_MAX_DEPTH];
	int depth = -1, rc = 0, done = 0;
	bc_buf key = BC_BUF_INIT;
	bc_buf_grow(&key, 64);
	key.data[0] = '\0';
	if (!yaml_parser_initialize(&parser))
		return bc_lazy_require(p, &bc_lazy_yaml, BC_ERR_OS) < 0 ? -1 :
			bc_error_set(p, BC_ERR_OS, BC_ERROR, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)doc, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s: not valid JSON or YAML (line %zu: %s): fix the file",
				what, parser.problem_mark.line + 1, parser.problem ? parser.problem : "syntax error");
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (depth + 1 >= YAML_MAX_DEPTH) {
				rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID, "%s: nested too deeply", what);
				break;
			}
			if (depth >= 0 && st[depth].seq) {
				if (key.len)
					bc_buf_putc(&key, '.');
				bc_buf_printf(&key, "%zu", st[depth].index++);
			}
			depth++;
			st[depth].seq = ev.type == YAML_SEQUENCE_START_EVENT;
			st[depth].index = 0;
			st[depth].keylen = key.len;
			st[depth].want_key = 1;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			if (depth >= 0) {
				/* restore the parent's key prefix */
				key.len = st[depth].keylen;
				key.data[key.len] = '\0';
				if (!st[depth].seq)
					st[depth].want_key = 1;
			}
			break;
		case YAML_SCALAR_EVENT: {
			const char *val = (const char *)ev.data.scalar.value;
			if (depth < 0) {
				rc = bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
					"%s: params document is a bare value: use key: value pairs", what);
				break;
			}
			if (!st[depth].seq && st[depth].want_key) {
				if (key.len)
					bc_buf_putc(&key, '.');
				bc_buf_puts(&key, val);
				st[depth].want_key = 0;
				break;
			}
			if (st[depth].seq) {
				if (key.len)
					bc_buf_putc(&key, '.');
				bc_buf_printf(&key, "%zu", st[depth].index++);
			}
			bc_value v;
			if (ev.data.scalar.quoted_implicit && !ev.data.scalar.plain_implicit)
				set_string(&v, val, ev.data.scalar.length);
			else if (!strcmp(val, "~") || !strcmp(val, "null") || (!*val && ev.data.scalar.plain_implicit))
				memset(&v, 0, sizeof v);
			else
				bc_value_parse(&v, val);
			rc = put_param(p, id, key.data, &v);
			bc_value_clear(&v);
			key.len = st[depth].keylen;
			key.data[key.len] = '\0';
			if (!st[depth].seq)
				st[depth].want_key = 1;
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	bc_buf_free(&key);
	return rc;
}

int
bc_run_set_params_doc(bc_project *p, const char *id, const char *doc, size_t len, const char *what)
{
	json_error_t jerr;
	size_t i = 0;
	while (i < len && (doc[i] == ' ' || doc[i] == '\n' || doc[i] == '\t' || doc[i] == '\r'))
		i++;
	if (i < len && (doc[i] == '{' || doc[i] == '[')) {
		json_t *j = json_loadb(doc, len, JSON_DECODE_ANY, &jerr);
		if (j) {
			int rc = bc_params_from_json(p, id, j, NULL);
			json_decref(j);
			return rc;
		}
		if (doc[i] == '[' || strstr(what, ".json"))
			return bc_error_set(p, BC_ERR_INPUT, BC_EINVALID,
				"%s: invalid JSON at line %d: %s", what, jerr.line, jerr.text);
	}
	return yaml_flatten(p, id, doc, len, what);
}
