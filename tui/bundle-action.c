/* SPDX-License-Identifier: MIT */
/* `b` on a run: package its declared outputs into a bundle in the current directory. */
#include "config.h"
#include <string.h>
#include "tui.h"

int
tui_bundle_create(const char *run_id)
{
	bc_bundle_create_options o = BC_BUNDLE_CREATE_OPTIONS_INIT;
	bc_bundle_info info;
	memset(&info, 0, sizeof info);
	o.run_ref = run_id;
	tui_status("bundling %.12s...", run_id);
	if (bc_bundle_create(tui.p, &o, &info) < 0) {
		tui_error("bundle: %s", bc_errmsg(tui.p));
		return -1;
	}
	tui_status("bundled %zu file%s into %s (bancada bundle verify %s@%s)", info.nfiles,
		info.nfiles == 1 ? "" : "s", info.path ? info.path : "?", info.name ? info.name : "?",
		info.version ? info.version : "?");
	bc_bundle_info_clear(&info);
	return 0;
}
