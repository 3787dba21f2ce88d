/* SPDX-License-Identifier: MIT */
/*
 * libarchive, loaded on first use (see lazy.h): one thunk per libarchive
 * function that core calls. A new call to a libarchive function elsewhere in
 * core needs one line here, or the link fails with "undefined reference".
 * When libarchive cannot be loaded, archive_read_new/archive_write_new return
 * NULL and archive_error_string says why.
 */
#include "config.h"
#include <archive.h>
#include <archive_entry.h>
#include "lazy.h"

struct bc_lazy_lib bc_lazy_archive = { ARCHIVE_SONAME, "libarchive",
	"libarchive (apt-get install libarchive-dev)", NULL, NULL, 0, "" };

#define FN(ret, name, params, args, fail) BC_LAZY_FN(bc_lazy_archive, ret, name, params, args, fail)
#define VOID_FN(name, params, args) BC_LAZY_VOID(bc_lazy_archive, name, params, args)

FN(struct archive_entry *, archive_entry_clear, (struct archive_entry *a0), (a0), NULL)
VOID_FN(archive_entry_copy_pathname, (struct archive_entry *a0, const char *a1), (a0, a1))
FN(mode_t, archive_entry_filetype, (struct archive_entry *a0), (a0), 0)
VOID_FN(archive_entry_free, (struct archive_entry *a0), (a0))
FN(const char *, archive_entry_hardlink, (struct archive_entry *a0), (a0), NULL)
FN(int, archive_entry_is_encrypted, (struct archive_entry *a0), (a0), ARCHIVE_FATAL)
FN(struct archive_entry *, archive_entry_new, (void), (), NULL)
FN(const char *, archive_entry_pathname, (struct archive_entry *a0), (a0), NULL)
FN(mode_t, archive_entry_perm, (struct archive_entry *a0), (a0), 0)
VOID_FN(archive_entry_set_filetype, (struct archive_entry *a0, unsigned int a1), (a0, a1))
VOID_FN(archive_entry_set_gid, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
VOID_FN(archive_entry_set_mtime, (struct archive_entry *a0, time_t a1, long a2), (a0, a1, a2))
VOID_FN(archive_entry_set_perm, (struct archive_entry *a0, mode_t a1), (a0, a1))
VOID_FN(archive_entry_set_size, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
VOID_FN(archive_entry_set_uid, (struct archive_entry *a0, la_int64_t a1), (a0, a1))
FN(la_int64_t, archive_entry_size, (struct archive_entry *a0), (a0), 0)
FN(int, archive_entry_size_is_set, (struct archive_entry *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_entry_sparse_count, (struct archive_entry *a0), (a0), ARCHIVE_FATAL)
FN(const char *, archive_entry_symlink, (struct archive_entry *a0), (a0), NULL)
FN(const char *, archive_error_string, (struct archive *a0), (a0), bc_lazy_archive.err)
FN(la_ssize_t, archive_read_data, (struct archive *a0, void *a1, size_t a2), (a0, a1, a2), -1)
FN(int, archive_read_free, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(struct archive *, archive_read_new, (void), (), NULL)
FN(int, archive_read_next_header2, (struct archive *a0, struct archive_entry *a1), (a0, a1), ARCHIVE_FATAL)
FN(int, archive_read_open_fd, (struct archive *a0, int _fd, size_t _block_size),
	(a0, _fd, _block_size), ARCHIVE_FATAL)
FN(int, archive_read_support_filter_gzip, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_read_support_filter_xz, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_read_support_filter_zstd, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_read_support_format_tar, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_read_support_format_zip_seekable, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_write_add_filter_gzip, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_write_add_filter_xz, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_write_add_filter_zstd, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_write_close, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(la_ssize_t, archive_write_data, (struct archive *a0, const void *a1, size_t a2), (a0, a1, a2), -1)
FN(int, archive_write_free, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_write_header, (struct archive *a0, struct archive_entry *a1), (a0, a1), ARCHIVE_FATAL)
FN(struct archive *, archive_write_new, (void), (), NULL)
FN(int, archive_write_open2, (struct archive *a0, void *a1, archive_open_callback *a2, archive_write_callback *a3, archive_close_callback *a4, archive_free_callback *a5),
	(a0, a1, a2, a3, a4, a5), ARCHIVE_FATAL)
FN(int, archive_write_set_bytes_in_last_block, (struct archive *a0, int bytes_in_last_block),
	(a0, bytes_in_last_block), ARCHIVE_FATAL)
FN(int, archive_write_set_bytes_per_block, (struct archive *a0, int bytes_per_block),
	(a0, bytes_per_block), ARCHIVE_FATAL)
FN(int, archive_write_set_format_pax_restricted, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_write_set_format_zip, (struct archive *a0), (a0), ARCHIVE_FATAL)
FN(int, archive_write_set_options, (struct archive *_a, const char *opts), (_a, opts), ARCHIVE_FATAL)
