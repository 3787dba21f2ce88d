/* SPDX-License-Identifier: MIT */
/* Errors live on the project handle (libarchive/sqlite style), never printed here. */
#include "config.h"
#include <stdio.h>
#include <string.h>
#include "internal.h"

const char *
bc_errmsg(const bc_project *p)
{
	return p ? p->errmsg : "out of memory";
}

bc_error_class
bc_errclass(const bc_project *p)
{
	return p ? p->errclass : BC_ERR_OS;
}

int
bc_error_set(bc_project *p, bc_error_class cls, int code, const char *fmt, ...)
{
	if (!p)
		return code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof p->errmsg, fmt, ap);
	va_end(ap);
	p->errclass = cls;
	return code;
}

void
bc_error_clear(bc_project *p)
{
	if (!p)
		return;
	p->errmsg[0] = '\0';
	p->errclass = BC_ERR_NONE;
}

int
bc_db_error(bc_project *p, const char *what)
{
	int ec = sqlite3_extended_errcode(p->db);
	int code = BC_ERROR;
	if ((ec & 0xff) == SQLITE_BUSY || (ec & 0xff) == SQLITE_LOCKED)
		code = BC_EBUSY;
	else if ((ec & 0xff) == SQLITE_READONLY)
		code = BC_EREADONLY;
	return bc_error_set(p, BC_ERR_DB, code, "%s: %s", what, sqlite3_errmsg(p->db));
}
