/* SPDX-License-Identifier: MIT */
/* Typed values: parsing, formatting, and flattening JSON/YAML params. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <bancada/bancada.h>
#include "tap.h"

TEST(parse_types)
{
	bc_value v;
	bc_value_parse(&v, "42");
	is_int(v.type, BC_VAL_INT, "42 is an int");
	is_int(v.i, 42, "value 42");
	bc_value_parse(&v, "-3");
	is_int(v.type, BC_VAL_INT, "-3 is an int");
	bc_value_parse(&v, "0.01");
	ok(v.type == BC_VAL_FLOAT && v.f == 0.01, "0.01 is a float");
	bc_value_parse(&v, "1e-4");
	ok(v.type == BC_VAL_FLOAT && v.f == 1e-4, "1e-4 is a float");
	bc_value_parse(&v, "nan");
	ok(v.type == BC_VAL_FLOAT && isnan(v.f), "nan is a float");
	bc_value_parse(&v, "true");
	ok(v.type == BC_VAL_BOOL && v.i == 1, "true is a bool");
	bc_value_parse(&v, "007");
	is_int(v.type, BC_VAL_STRING, "007 stays a string (leading zero)");
	bc_value_clear(&v);
	bc_value_parse(&v, "adam");
	is_int(v.type, BC_VAL_STRING, "adam is a string");
	char buf[64];
	is_str(bc_value_format(&v, buf, sizeof buf), "adam", "format string");
	bc_value_clear(&v);
	bc_value_parse(&v, "1.5");
	is_str(bc_value_format(&v, buf, sizeof buf), "1.5", "format float");
}

static bc_project *
project(void)
{
	bc_project *p = NULL;
	int rc = bc_project_init(&p, tap_tmpdir());
	ok(rc == 0, "project created: %s", bc_errmsg(p));
	return p;
}

TEST(flatten_docs)
{
	bc_project *p = project();
	char id[33];
	bc_run_new nr = BC_RUN_NEW_INIT;
	nr.capture_git = 0;
	ok(bc_run_create(p, &nr, id) == 0, "run created");
	const char *json = "{\"opt\": {\"lr\": 0.1, \"betas\": [0.9, 0.99]}, \"name\": \"x\", \"on\": false}";
	ok(bc_run_set_params_doc(p, id, json, strlen(json), "p.json") == 0, "JSON params: %s", bc_errmsg(p));
	const char *yaml = "model:\n  depth: 4\n  'quoted': '12'\nlist:\n  - a\n  - {k: 1}\n";
	ok(bc_run_set_params_doc(p, id, yaml, strlen(yaml), "p.yaml") == 0, "YAML params: %s", bc_errmsg(p));
	bc_run *r;
	ok(bc_run_load(&r, p, id) == 0, "run loaded");
	const bc_param *pr = bc_run_param(r, "opt.betas.1");
	ok(pr && pr->v.type == BC_VAL_FLOAT && pr->v.f == 0.99, "opt.betas.1 = 0.99");
	pr = bc_run_param(r, "model.depth");
	ok(pr && pr->v.type == BC_VAL_INT && pr->v.i == 4, "model.depth = 4");
	pr = bc_run_param(r, "model.quoted");
	ok(pr && pr->v.type == BC_VAL_STRING && !strcmp(pr->v.s, "12"), "quoted YAML scalar stays a string");
	pr = bc_run_param(r, "list.1.k");
	ok(pr && pr->v.type == BC_VAL_INT && pr->v.i == 1, "mapping inside a list: list.1.k");
	pr = bc_run_param(r, "on");
	ok(pr && pr->v.type == BC_VAL_BOOL && pr->v.i == 0, "JSON false is a bool");
	bc_run_free(r);
	const char *bad = "{\"a\": ";
	ok(bc_run_set_params_doc(p, id, bad, strlen(bad), "bad.json") == BC_EINVALID, "truncated JSON rejected");
	ok(strstr(bc_errmsg(p), "bad.json") != NULL, "error names the file: %s", bc_errmsg(p));
	const char *bady = "a: [1, 2\n";
	ok(bc_run_set_params_doc(p, id, bady, strlen(bady), "bad.yaml") == BC_EINVALID, "broken YAML rejected");
	/* 1 MB param value round-trips */
	char *big = malloc(1 << 20);
	memset(big, 'x', (1 << 20) - 1);
	big[(1 << 20) - 1] = '\0';
	bc_value v;
	bc_value_parse(&v, big);
	ok(bc_run_set_param(p, id, "big", &v) == 0, "1 MB param stored");
	bc_value_clear(&v);
	ok(bc_run_load(&r, p, id) == 0, "reloaded");
	pr = bc_run_param(r, "big");
	ok(pr && pr->v.slen == (1 << 20) - 1, "1 MB param read back whole");
	bc_run_free(r);
	free(big);
	bc_project_free(p);
}

TAP_MAIN
