/* SPDX-License-Identifier: MIT */
/* Data versions through the public API: add, status, ls, checkout, fsck, gc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bancada/bancada.h>
#include "tap.h"

static bc_project *
fresh(void)
{
	bc_project *p = NULL;
	int rc = bc_project_init(&p, ".");
	ok(rc == 0, "project created: %s", bc_errmsg(p));
	return p;
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(names)
{
	is_int(bc_data_link_parse("copy"), BC_DATA_LINK_COPY, "copy");
	is_int(bc_data_link_parse("reflink"), BC_DATA_LINK_REFLINK, "reflink");
	is_int(bc_data_link_parse("symlink"), BC_DATA_LINK_SYMLINK, "symlink");
	is_int(bc_data_link_parse("bogus"), -1, "unknown link mode");
	is_str(bc_data_link_name(BC_DATA_LINK_HARDLINK), "hardlink", "name of hardlink");
	is_str(bc_data_state_name(BC_DATA_MODIFIED), "modified", "state name");
	is_str(bc_data_state_name((bc_data_state)99), "?", "out-of-range state");
}

TEST(add_status_checkout)
{
	bc_project *p = fresh();
	put("a.txt", "abc");
	const char *paths[] = { "a.txt" };
	bc_data_list l = { 0 };
	is_int(bc_data_add(p, paths, 1, NULL, &l), 0, "add");
	is_int(l.n, 1, "one item");
	/* SHA-256("abc"), the FIPS 180-2 test vector */
	is_str(l.v[0].hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "hash");
	is_int(l.v[0].state, BC_DATA_ADDED, "state added");
	is_int(l.v[0].size, 3, "size");
	bc_data_list_clear(&l);
	ok(access(".bancada/cache/ba/7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", F_OK) == 0,
		"object in the cache");
	ok(access("a.txt.bcd", F_OK) == 0, "pointer written");

	is_int(bc_data_add(p, paths, 1, NULL, &l), 0, "add again");
	is_int(l.v[0].state, BC_DATA_UNCHANGED, "unchanged");
	bc_data_list_clear(&l);

	is_int(bc_data_status(p, NULL, 0, &l), 0, "status");
	is_int(l.n, 0, "clean");
	bc_data_list_clear(&l);

	put("a.txt", "abcd");
	is_int(bc_data_status(p, NULL, 0, &l), 0, "status after edit");
	is_int(l.n, 1, "one change");
	if (l.n)
		is_int(l.v[0].state, BC_DATA_MODIFIED, "modified");
	bc_data_list_clear(&l);

	/* the tree for the data view: pointers only, then checked */
	is_int(bc_data_tree(p, 0, &l), 0, "tree without check");
	is_int(l.n, 1, "tree: one row");
	if (l.n)
		is_int(l.v[0].state, BC_DATA_CLEAN, "tree: unchecked rows are clean");
	bc_data_list_clear(&l);
	is_int(bc_data_tree(p, 1, &l), 0, "tree with check");
	if (l.n) {
		is_int(l.v[0].state, BC_DATA_MODIFIED, "tree: the edited file is modified");
		is_int(l.v[0].size, 3, "tree: size from the pointer");
		is_int(l.v[0].old_size, 4, "tree: what the workspace holds");
	}
	bc_data_list_clear(&l);

	bc_data_options o = BC_DATA_OPTIONS_INIT;
	is_int(bc_data_checkout(p, NULL, NULL, 0, &o, &l), BC_EEXISTS, "checkout refuses modified data");
	bc_data_list_clear(&l);
	o.force = 1;
	is_int(bc_data_checkout(p, NULL, NULL, 0, &o, &l), 0, "forced checkout");
	bc_data_list_clear(&l);
	char buf[16] = "";
	FILE *f = fopen("a.txt", "r");
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
	}
	is_str(buf, "abc", "content restored");

	is_int(bc_data_ls(p, NULL, &l), 0, "ls");
	is_int(l.n, 1, "one tracked path");
	if (l.n)
		ok(l.v[0].in_cache, "in cache");
	bc_data_list_clear(&l);
	bc_project_free(p);
}

TEST(bad_input)
{
	bc_project *p = fresh();
	const char *outside[] = { "/etc/passwd" };
	bc_data_list l = { 0 };
	is_int(bc_data_add(p, outside, 1, NULL, &l), BC_EINVALID, "outside the project");
	ok(strstr(bc_errmsg(p), "outside the project") != NULL, "message: %s", bc_errmsg(p));
	const char *inside[] = { ".bancada/bancada.db" };
	is_int(bc_data_add(p, inside, 1, NULL, &l), BC_EINVALID, "inside .bancada");
	put("x.bcd", "format: bancada-data/1\npath: x\ntype: file\nsha256: 12\n");
	is_int(bc_data_status(p, NULL, 0, &l), BC_EINVALID, "garbage pointer");
	ok(strstr(bc_errmsg(p), "x.bcd") != NULL, "names the pointer: %s", bc_errmsg(p));
	bc_data_list_clear(&l);
	bc_project_free(p);
}

static void
count_bad(const char *hash, const char *why, void *payload)
{
	(void)hash;
	(void)why;
	(*(int *)payload)++;
}

TEST(fsck_and_gc)
{
	bc_project *p = fresh();
	put("k.txt", "keep me");
	put("d.txt", "drop me");
	const char *paths[] = { "k.txt", "d.txt" };
	bc_data_list l = { 0 };
	is_int(bc_data_add(p, paths, 2, NULL, &l), 0, "add two");
	bc_data_list_clear(&l);
	unlink("d.txt.bcd");
	bc_data_gc_report r;
	bc_data_options o = BC_DATA_OPTIONS_INIT;
	o.dry_run = 1;
	is_int(bc_data_gc(p, &o, NULL, 0, NULL, NULL, &r), 0, "gc dry run");
	is_int(r.freed_objects, 1, "one object would go");
	is_int(r.freed_bytes, 7, "its bytes");
	o.dry_run = 0;
	is_int(bc_data_gc(p, &o, NULL, 0, NULL, NULL, &r), 0, "gc");
	is_int(r.kept_objects, 1, "one kept");
	is_int(r.kept_by_workspace, 1, "by the workspace pointer");
	int bad = 0;
	int64_t checked = 0;
	is_int(bc_data_fsck(p, NULL, count_bad, &bad, &checked), 0, "fsck clean");
	is_int(checked, 1, "one object checked");
	is_int(tap_sh("f=$(find .bancada/cache -path '*/[0-9a-f][0-9a-f]/*' -type f); chmod u+w $f; printf X | "
		"dd of=$f bs=1 seek=0 conv=notrunc 2>/dev/null"), 0, "flip a byte");
	is_int(bc_data_fsck(p, NULL, count_bad, &bad, &checked), 1, "fsck finds one corrupt object");
	is_int(bad, 1, "callback called once");
	bc_project_free(p);
}

TEST(packed)
{
	bc_project *p = fresh();
	/* 70 small files: more than the packing threshold (64) */
	is_int(tap_sh("mkdir many && i=0; while [ $i -lt 70 ]; do "
		"head -c $((1000 + i * 37)) /dev/urandom > many/f$i; i=$((i + 1)); done"), 0, "70 small files");
	const char *paths[] = { "many" };
	bc_data_list l = { 0 };
	is_int(bc_data_add(p, paths, 1, NULL, &l), 0, "add the directory");
	is_int(l.v[0].nfiles, 70, "70 files");
	bc_data_list_clear(&l);
	is_int(tap_sh("test $(ls .bancada/cache/packs | grep -c 'pack$') = 1"), 0, "one pack");
	is_int(tap_sh("test $(find .bancada/cache -path '*/cache/[0-9a-f][0-9a-f]/*' -type f | wc -l) = 1"), 0,
		"only the manifest is loose");
	is_int(bc_data_status(p, NULL, 0, &l), 0, "status");
	is_int(l.n, 0, "clean");
	bc_data_list_clear(&l);
	is_int(tap_sh("sha256sum many/f7 > f7.sum && rm many/f7"), 0, "remove one file");
	is_int(bc_data_checkout(p, NULL, paths, 1, NULL, &l), 0, "checkout");
	bc_data_list_clear(&l);
	is_int(tap_sh("sha256sum -c --quiet f7.sum"), 0, "restored byte-identical from the pack");
	int bad = 0;
	int64_t checked = 0;
	is_int(bc_data_fsck(p, NULL, count_bad, &bad, &checked), 0, "fsck clean");
	is_int(checked, 71, "70 packed objects and the manifest checked");
	unlink("many.bcd");
	bc_data_gc_report r;
	bc_data_options o = BC_DATA_OPTIONS_INIT;
	is_int(bc_data_gc(p, &o, NULL, 0, NULL, NULL, &r), 0, "gc");
	is_int(r.freed_objects, 71, "every object freed");
	is_int(tap_sh("test $(ls .bancada/cache/packs | wc -l) = 0"), 0, "the pack is gone");
	is_int(bc_data_fsck(p, NULL, count_bad, &bad, &checked), 0, "fsck after gc");
	is_int(checked, 0, "nothing left");
	bc_project_free(p);
}

TAP_MAIN
