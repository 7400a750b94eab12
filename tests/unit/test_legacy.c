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

/* Renders rows [start, start + count) of `whole` and of `part` and compares. */
static int same_rows(const lfs_column *whole, uint64_t start, const lfs_column *part, uint64_t count)
{
	lfs_buf a, b;
	int same = part->length == count;
	lfs_buf_init(&a);
	lfs_buf_init(&b);
	for (uint64_t i = 0; same && i < count; i++) {
		a.len = b.len = 0;
		if (fx_render(whole, start + i, &a) || fx_render(part, i, &b) ||
		    a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			same = 0;
	}
	lfs_buf_free(&a);
	lfs_buf_free(&b);
	return same;
}

/* Decodes every top-level column of one table and checks it; returns the
 * number of TAP lines printed. */
static int check_table(const char *datadir, const char *name, int expect_batches)
{
	char *dir = lfs_strdup_printf("%s/%s.lance", datadir, name);
	char *exp_path = lfs_strdup_printf("%s/%s.expected", datadir, name);
	fx_table t;
	fx_expected e;
	lfs_err err = { { 0 } };
	int lines = 0;
	int opened = fx_table_open(&t, dir, &err) == 0;
	int loaded = fx_expected_load(&e, exp_path) == 0 && e.n > 0;

	free(dir);
	free(exp_path);
	if (!fx_ok(opened, "%s: manifest opens", name)) {
		fx_diag("%s", err.msg);
		fx_expected_free(&e);
		fx_table_close(&t);
		return 1;
	}
	lines++;
	if (!fx_ok(loaded, "%s: expected values load", name)) {
		fx_expected_free(&e);
		fx_table_close(&t);
		return lines + 1;
	}
	lines++;

	for (size_t fi = 0; fi < t.m->schema.n_top; fi++) {
		const lfs_field *f = t.m->schema.top[fi];
		lfs_lfile *lf = NULL;
		lfs_column whole;
		uint64_t rows;
		uint32_t major = 9, minor = 9;
		size_t checked = 0, bad;
		int rc;

		lfs_column_init(&whole, &f->type);
		rc = fx_open_field_file(&t, f, &lf, &err);
		if (rc == 0) {
			lfs_lfile_version(lf, &major, &minor);
			rows = lfs_lfile_num_rows(lf);
			rc = lfs_lfile_read(lf, f, 0, rows, &whole, &err);
		}
		if (rc) {
			fx_ok(0, "%s.%s: decodes (%s)", name, f->name, err.msg);
			fx_ok(0, "%s.%s: slices", name, f->name);
			lines += 2;
			lfs_lfile_close(lf);
			continue;
		}
		bad = fx_compare_column(&e, f->name, &whole, &checked);
		fx_ok(bad == 0 && checked > 0 && major == 0 && minor == 2 &&
		      whole.length == t.m->fragments[0].physical_rows,
		      "%s.%s: %zu values equal what LanceDB read (file version %u.%u, %llu rows)", name,
		      f->name, checked, major, minor, (unsigned long long)whole.length);

		/* slices: the same rows as the whole read */
		int slices_ok = 1;
		for (size_t s = 0; s < sizeof(slices) / sizeof(slices[0]); s++) {
			uint64_t start = slices[s][0], count = slices[s][1];
			lfs_column part;
			if (start + count > rows)
				continue;
			lfs_column_init(&part, &f->type);
			rc = lfs_lfile_read(lf, f, start, count, &part, &err);
			if (rc || !same_rows(&whole, start, &part, count)) {
				if (slices_ok)
					fx_diag("%s.%s: slice %llu+%llu differs (%d %s)", name, f->name,
						(unsigned long long)start, (unsigned long long)count, rc,
						rc ? err.msg : "");
				slices_ok = 0;
			}
			lfs_column_free(&part);
		}
		fx_ok(slices_ok, "%s.%s: slices at odd offsets equal the whole read", name, f->name);
		lines += 2;

		if (expect_batches && fi == 0) {
			uint64_t *starts = NULL;
			size_t n = 0;
			rc = lfs_lfile_page_starts(lf, f, &starts, &n, &err);
			fx_ok(rc == 0 && n == 3 && starts[0] == 0 && starts[1] == 1024 && starts[2] == 2048,
			      "%s.%s: page starts are the row groups 0, 1024, 2048", name, f->name);
			free(starts);
			lines++;
		}
		lfs_column_free(&whole);
		lfs_lfile_close(lf);
	}
	fx_expected_free(&e);
	fx_table_close(&t);
	return lines;
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

	check_table(datadir, "types", 0);
	check_table(datadir, "batches", 1);
	check_misuse(datadir);
	free(datadir);
	return fx_done();
}
