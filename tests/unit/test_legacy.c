/*
 * Legacy data files (footer 0.2) written by LanceDB 0.37.1 with
 * new_table_data_storage_version = "legacy": every column decodes to exactly
 * the values LanceDB read back (tests/unit/data/legacy/NAME.expected), slices at
 * odd offsets and across row groups equal the same rows of a whole read, and
 * misuse fails cleanly.
 */
#include "test_legacy_fixture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Slices to compare with the whole read; those past the end are skipped. */
static const uint64_t slices[][2] = {
	{ 0, 1 }, { 1, 2 }, { 3, 7 }, { 5, 0 }, { 13, 6 }, { 19, 1 },
	{ 1019, 11 }, { 1023, 1 }, { 1023, 2 }, { 1024, 1 }, { 1000, 1100 },
	{ 2047, 53 }, { 2047, 2 }, { 2099, 1 }, { 7, 2093 }, { 517, 1031 },
};

/* A legacy file's page starts are its row groups (1024 rows each). */
static void check_row_groups(const char *datadir)
{
	char *dir = lfs_strdup_printf("%s/batches.lance", datadir);
	fx_table t;
	lfs_err err = { { 0 } };
	lfs_lfile *lf = NULL;
	uint64_t *starts = NULL;
	size_t n = 0;
	int rc = fx_table_open(&t, dir, &err);
	const lfs_field *f = rc ? NULL : lfs_schema_top_by_name(&t.m->schema, "i");

	free(dir);
	rc = f ? fx_open_field_file(&t, f, &lf, &err) : -ENOENT;
	if (!rc)
		rc = lfs_lfile_page_starts(lf, f, &starts, &n, &err);
	fx_ok(rc == 0 && n == 3 && starts[0] == 0 && starts[1] == 1024 && starts[2] == 2048,
	      "batches: page starts are the row groups 0, 1024, 2048");
	free(starts);
	lfs_lfile_close(lf);
	fx_table_close(&t);
}

/* A field the file does not hold, and a read past its rows. */
static void check_misuse(const char *datadir)
{
	char *dir = lfs_strdup_printf("%s/batches.lance", datadir);
	fx_table t;
	lfs_err err = { { 0 } };
	lfs_lfile *lf = NULL;
	lfs_column c;
	lfs_field fake;
	int rc = fx_table_open(&t, dir, &err);

	free(dir);
	if (rc || !lfs_schema_top_by_name(&t.m->schema, "extra")) {
		fx_ok(0, "misuse: table opens (%s)", err.msg);
		fx_ok(0, "misuse: past the end");
		fx_table_close(&t);
		return;
	}
	const lfs_field *extra = lfs_schema_top_by_name(&t.m->schema, "extra");
	const lfs_field *i = lfs_schema_top_by_name(&t.m->schema, "i");
	rc = fx_open_field_file(&t, extra, &lf, &err);
	/* field "i" lives in the other data file: its id is outside this one's */
	lfs_column_init(&c, &i->type);
	rc = rc ? rc : lfs_lfile_read(lf, i, 0, 1, &c, &err);
	fx_ok(rc == -EIO && strstr(err.msg, "data/") && strstr(err.msg, "column i ") && strstr(err.msg, "not in this file"),
	      "misuse: a field of another data file fails: %s", err.msg);
	lfs_column_free(&c);

	fake = *extra;
	lfs_column_init(&c, &fake.type);
	rc = lf ? lfs_lfile_read(lf, &fake, 2000, 101, &c, &err) : -1;
	fx_ok(rc == -EINVAL, "misuse: rows past the end fail with EINVAL: %s", err.msg);
	lfs_column_free(&c);
	lfs_lfile_close(lf);
	fx_table_close(&t);
}

int main(void)
{
	const char *src = getenv("top_srcdir");
	char *datadir = lfs_strdup_printf("%s/tests/unit/data/legacy", src ? src : ".");

	fx_check_table(datadir, "types", 0, 2, slices, sizeof(slices) / sizeof(slices[0]));
	fx_check_table(datadir, "batches", 0, 2, slices, sizeof(slices) / sizeof(slices[0]));
	check_row_groups(datadir);
	check_misuse(datadir);
	free(datadir);
	return fx_done();
}
