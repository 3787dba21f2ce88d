/* SPDX-License-Identifier: MIT */
/*
 * libyaml, loaded on first use (see lazy.h): only params files, DVC files and
 * the importers read YAML, so `bancada run` and `ls` never map it. One thunk
 * per libyaml function core calls; a new call needs one line here. When
 * libyaml cannot be loaded, yaml_parser_initialize returns 0 and
 * bc_lazy_require(p, &bc_lazy_yaml, ...) puts the reason on the handle.
 */
#include "config.h"
#include <yaml.h>
#include "lazy.h"

struct bc_lazy_lib bc_lazy_yaml = { YAML_SONAME, "libyaml",
	"libyaml (apt-get install libyaml-0-2)", NULL, NULL, 0, "" };

#define FN(ret, name, params, args, fail) BC_LAZY_FN(bc_lazy_yaml, ret, name, params, args, fail)
#define VOID_FN(name, params, args) BC_LAZY_VOID(bc_lazy_yaml, name, params, args)

FN(int, yaml_parser_initialize, (yaml_parser_t *a0), (a0), 0)
VOID_FN(yaml_parser_delete, (yaml_parser_t *a0), (a0))
VOID_FN(yaml_parser_set_input_string, (yaml_parser_t *a0, const unsigned char *a1, size_t a2), (a0, a1, a2))
FN(int, yaml_parser_parse, (yaml_parser_t *a0, yaml_event_t *a1), (a0, a1), 0)
FN(int, yaml_parser_load, (yaml_parser_t *a0, yaml_document_t *a1), (a0, a1), 0)
VOID_FN(yaml_event_delete, (yaml_event_t *a0), (a0))
VOID_FN(yaml_document_delete, (yaml_document_t *a0), (a0))
FN(yaml_node_t *, yaml_document_get_node, (yaml_document_t *a0, int a1), (a0, a1), NULL)
FN(yaml_node_t *, yaml_document_get_root_node, (yaml_document_t *a0), (a0), NULL)
