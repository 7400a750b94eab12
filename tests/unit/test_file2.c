/* Tests for the Lance 2.1 / 2.2 data-file reader (format/file2.c,
 * format/enc21*.c) on real files written by LanceDB 0.37.1
 * (tests/unit/data/file2, made by make.mjs there):
 *   - every column of every file read whole and compared, value by value
 *     and bit for bit, with what LanceDB read back;
 *   - slices at odd offsets and of odd lengths compared with the same;
 *   - page starts, concurrent readers, a zero-row file;
 *   - partial reads fetch only part of a page;
 *   - damaged and unknown encodings fail cleanly. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/file2.h"
#include "format/lfile.h"
#include "test_file2_fixture.h"

static int n_test;
static int failed;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failed++;
}

static char data_dir[4096];

/* Compares rows [start, start + col->length) of a decoded column with the
 * expectations; returns the number of mismatches (prints the first). */
static size_t compare(const lfs_field *f, const lfs_column *col, const f2fx_col *ec, uint64_t start,
		      const char *what)
{
	size_t bad = 0;
	lfs_buf b;
	lfs_buf_init(&b);
	for (uint64_t r = 0; r < col->length; r++) {
		b.len = 0;
		f2fx_render(&b, f, col, r);
		lfs_buf_putc(&b, 0);
		const char *want = start + r < ec->n ? ec->rows[start + r] : "<no row>";
		if (strcmp((char *)b.data, want)) {
			if (!bad)
				printf("# %s: %s row %llu: got %.120s want %.120s\n", what, f->name,
				       (unsigned long long)(start + r), (char *)b.data, want);
			bad++;
		}
	}
	lfs_buf_free(&b);
	return bad;
}

/* A deterministic stream of numbers for the slices. */
static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

typedef struct thread_arg {
	lfs_lfile *file;
	const lfs_field *field;
	const f2fx_col *ec;
	uint64_t rows;
	int seed;
	size_t bad;
} thread_arg;

static void *reader_thread(void *p)
{
	thread_arg *a = p;
	uint64_t s = (uint64_t)a->seed;
	for (int i = 0; i < 20; i++) {
		uint64_t start = lcg(&s) % (a->rows + 1), count = lcg(&s) % (a->rows - start + 1);
		lfs_column col;
		lfs_err err;
		memset(&col, 0, sizeof(col));
		if (lfs_lfile_read(a->file, a->field, start, count, &col, &err) || col.length != count)
			a->bad++;
		else
			a->bad += compare(a->field, &col, a->ec, start, "thread");
		lfs_column_free(&col);
	}
	return NULL;
}

static void test_dataset(const char *name)
{
	char dir[4600], exp[4700];
	f2fx fx;
	f2fx_expected e;
	lfs_err err = { { 0 } };

	snprintf(dir, sizeof(dir), "%s/%s", data_dir, name);
	snprintf(exp, sizeof(exp), "%s/%s.expected.zst", data_dir, name);
	int rc = f2fx_open(dir, &fx, &err);
	ok(rc == 0, "%s: open (%s)", name, rc ? err.msg : "ok");
	if (rc)
		return;
	rc = f2fx_load_expected(exp, &e);
	ok(rc == 0, "%s: expectations loaded", name);
	if (rc) {
		f2fx_close(&fx);
		return;
	}
	uint64_t rows = lfs_lfile_num_rows(fx.file);
	ok(rows == e.rows, "%s: %llu rows (LanceDB read %llu)", name, (unsigned long long)rows,
	   (unsigned long long)e.rows);
	const lfs_schema *s = &fx.manifest->schema;
	for (size_t i = 0; i < s->n_top; i++) {
		const lfs_field *f = s->top[i];
		const f2fx_col *ec = f2fx_expected_col(&e, f->name);
		lfs_column col;
		memset(&col, 0, sizeof(col));
		if (!ec) {
			ok(0, "%s: no expectations for %s", name, f->name);
			continue;
		}
		/* the whole column */
		rc = lfs_lfile_read(fx.file, f, 0, rows, &col, &err);
		ok(rc == 0 && col.length == rows && col.type.id == f->type.id,
		   "%s.%s: read all %llu rows (%s)", name, f->name, (unsigned long long)rows,
		   rc ? err.msg : "ok");
		if (!rc)
			ok(compare(f, &col, ec, 0, name) == 0, "%s.%s: every value as LanceDB read it",
			   name, f->name);
		lfs_column_free(&col);

		/* slices: short ones at odd places, long ones, empty ones */
		uint64_t seed = 1234 + i;
		size_t bad = 0, fails = 0;
		for (int t = 0; t < 60 && rows > 0; t++) {
			uint64_t start = lcg(&seed) % rows, count;
			if (t % 3 == 0)
				count = lcg(&seed) % 5;
			else if (t % 3 == 1)
				count = lcg(&seed) % (rows - start + 1);
			else
				count = rows - start < 1100 ? rows - start : 1 + lcg(&seed) % 1100;
			if (count > rows - start)
				count = rows - start;
			memset(&col, 0, sizeof(col));
			rc = lfs_lfile_read(fx.file, f, start, count, &col, &err);
			if (rc || col.length != count) {
				if (!fails++)
					printf("# %s.%s [%llu, +%llu): %s\n", name, f->name,
					       (unsigned long long)start, (unsigned long long)count,
					       rc ? err.msg : "wrong length");
			} else {
				bad += compare(f, &col, ec, start, "slice");
			}
			lfs_column_free(&col);
		}
		ok(bad == 0 && fails == 0, "%s.%s: 60 slices agree (%zu values differ, %zu reads failed)",
		   name, f->name, bad, fails);

		/* page starts: 0 first, ascending, inside the file */
		uint64_t *starts = NULL;
		size_t ns = 0;
		rc = lfs_lfile_page_starts(fx.file, f, &starts, &ns, &err);
		int good = rc == 0 && ns >= 1 && starts[0] == 0;
		for (size_t k = 1; good && k < ns; k++)
			good = starts[k] > starts[k - 1] && starts[k] < rows;
		ok(good, "%s.%s: %zu page starts", name, f->name, ns);
		/* reading exactly one page at a time gives the same values */
		if (good && ns > 1) {
			size_t pbad = 0;
			for (size_t k = 0; k < ns; k++) {
				uint64_t a = starts[k], z = k + 1 < ns ? starts[k + 1] : rows;
				memset(&col, 0, sizeof(col));
				if (lfs_lfile_read(fx.file, f, a, z - a, &col, &err))
					pbad++;
				else
					pbad += compare(f, &col, ec, a, "page");
				lfs_column_free(&col);
			}
			ok(pbad == 0, "%s.%s: page by page", name, f->name);
		}
		free(starts);
	}
	/* concurrent readers of the same file */
	if (s->n_top > 0 && rows > 0) {
		pthread_t th[4];
		thread_arg args[4];
		for (int k = 0; k < 4; k++) {
			const lfs_field *f = s->top[(size_t)k % s->n_top];
			args[k] = (thread_arg){ fx.file, f, f2fx_expected_col(&e, f->name), rows, k + 1, 0 };
			if (!args[k].ec)
				args[k].ec = &e.cols[0];
			pthread_create(&th[k], NULL, reader_thread, &args[k]);
		}
		size_t bad = 0;
		for (int k = 0; k < 4; k++) {
			pthread_join(th[k], NULL);
			bad += args[k].bad;
		}
		ok(bad == 0, "%s: four threads reading at once agree", name);
	}
	f2fx_expected_free(&e);
	f2fx_close(&fx);
}

/* ------------------------------------------------------------ memory store */

typedef struct mem_obj {
	const uint8_t *data;
	size_t len;
	uint64_t bytes_read;
	uint64_t reads;
} mem_obj;

static int mem_read(void *impl, const char *key, uint64_t off, void *buf, size_t len, size_t *got,
		    lfs_err *err)
{
	mem_obj *m = impl;
	(void)key;
	(void)err;
	*got = 0;
	if (off >= m->len)
		return 0;
	size_t n = m->len - off < len ? m->len - off : len;
	memcpy(buf, m->data + off, n);
	*got = n;
	m->bytes_read += n;
	m->reads++;
	return 0;
}

static int mem_stat(void *impl, const char *key, lfs_object_info *out, lfs_err *err)
{
	mem_obj *m = impl;
	(void)key;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->size = m->len;
	return 0;
}

static int mem_list(void *impl, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err)
{
	(void)impl;
	(void)dir;
	(void)err;
	*out = NULL;
	*n = 0;
	return 0;
}

static void mem_close(void *impl) { (void)impl; }

static const lfs_store_ops mem_ops = { mem_read, mem_stat, mem_list, mem_close };

/* ------------------------------------------------------------ synthetic files */

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* A 2.1 file with one column and no pages: zero rows. */
static void test_zero_rows(void)
{
	uint8_t file[256];
	size_t n = 0;
	/* column metadata: an empty message */
	uint64_t cm = n;
	/* offset tables */
	uint64_t cmo = n;
	put64(file + n, cm);
	put64(file + n + 8, 0);
	n += 16;
	uint64_t gbo = n;
	put64(file + n, cmo);
	put64(file + n + 8, 16);
	n += 16;
	put64(file + n, cm);
	put64(file + n + 8, cmo);
	put64(file + n + 16, gbo);
	put32(file + n + 24, 1);
	put32(file + n + 28, 1);
	put16(file + n + 32, 2);
	put16(file + n + 34, 1);
	memcpy(file + n + 36, "LANC", 4);
	n += 40;

	mem_obj m = { file, n, 0, 0 };
	lfs_store *st = lfs_store_new(&mem_ops, &m, "memory");
	lfs_field f;
	memset(&f, 0, sizeof(f));
	f.name = "x";
	f.id = 0;
	f.parent_id = -1;
	f.type.id = LFS_T_INT32;
	f.nullable = 1;
	int32_t fields[] = { 0 }, cols[] = { 0 };
	lfs_data_file df = { .path = "zero.lance", .fields = fields, .n_fields = 1,
			     .column_indices = cols, .n_column_indices = 1, .major = 2, .minor = 1 };
	lfs_schema schema = { .fields = &f, .n_fields = 1 };
	lfs_lfile *lf = NULL;
	lfs_err err;
	int rc = lfs_lfile_open(st, "zero.lance", n, &df, &schema, &lf, &err);
	ok(rc == 0, "zero-row file opens (%s)", rc ? err.msg : "ok");
	if (!rc) {
		lfs_column col;
		memset(&col, 0, sizeof(col));
		ok(lfs_lfile_num_rows(lf) == 0, "zero-row file has no rows");
		rc = lfs_lfile_read(lf, &f, 0, 0, &col, &err);
		ok(rc == 0 && col.length == 0 && col.type.id == LFS_T_INT32,
		   "reading zero rows gives an empty int32 column (%s)", rc ? err.msg : "ok");
		lfs_column_free(&col);
		rc = lfs_lfile_read(lf, &f, 0, 1, &col, &err);
		ok(rc == -EINVAL, "reading past the end is refused");
		lfs_lfile_close(lf);
	}
	lfs_store_close(st);
}

/* Loads a dataset's data file into memory with its manifest. */
static int load_raw(const char *name, f2fx *fx, uint8_t **bytes, size_t *len)
{
	char dir[4600], path[9000];
	lfs_err err;
	snprintf(dir, sizeof(dir), "%s/%s", data_dir, name);
	if (f2fx_open(dir, fx, &err))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, fx->key);
	*bytes = f2fx_slurp(path, len);
	return *bytes ? 0 : -1;
}

/* Reading a few rows of a large mini-block page fetches a few chunks, not
 * the page; a few rows of a full-zip page fetch those rows. */
static void test_partial_reads(void)
{
	const char *cases[][2] = { { "prim_21", "i64" }, { "list_22", "lli" }, { "bigvec_21", "plain" },
				   { "biglist_21", "big" }, { "str_22", "s" } };
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		f2fx fx;
		uint8_t *bytes = NULL;
		size_t len = 0;
		lfs_err err;
		if (load_raw(cases[c][0], &fx, &bytes, &len)) {
			ok(0, "%s: load", cases[c][0]);
			continue;
		}
		const lfs_field *f = lfs_schema_top_by_name(&fx.manifest->schema, cases[c][1]);
		const lfs_data_file *df = &fx.manifest->fragments[0].files[0];
		mem_obj m = { bytes, len, 0, 0 };
		lfs_store *st = lfs_store_new(&mem_ops, &m, "memory");
		lfs_lfile *lf = NULL;
		int rc = lfs_lfile_open(st, "f.lance", len, df, &fx.manifest->schema, &lf, &err);
		if (rc || !f) {
			ok(0, "%s: open from memory", cases[c][0]);
		} else {
			uint64_t rows = lfs_lfile_num_rows(lf);
			lfs_column col;
			/* warm up: page metadata (chunk tables, dictionaries) */
			memset(&col, 0, sizeof(col));
			rc = lfs_lfile_read(lf, f, 0, 1, &col, &err);
			lfs_column_free(&col);
			uint64_t before = m.bytes_read;
			memset(&col, 0, sizeof(col));
			rc = rc ? rc : lfs_lfile_read(lf, f, rows / 2, 3 < rows / 2 ? 3 : 1, &col, &err);
			uint64_t used = m.bytes_read - before;
			lfs_column_free(&col);
			ok(rc == 0 && used < len / 4,
			   "%s.%s: 3 rows in the middle read %llu of %zu bytes", cases[c][0], cases[c][1],
			   (unsigned long long)used, len);
			lfs_lfile_close(lf);
		}
		lfs_store_close(st);
		free(bytes);
		f2fx_close(&fx);
	}
}

/* Finds needle in hay. */
static uint8_t *find(uint8_t *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return hay + i;
	return NULL;
}

/* An unknown page encoding is -ENOTSUP naming it; damaged metadata and
 * damaged pages are -EIO naming the file, column and offset. */
static void test_errors(void)
{
	f2fx fx;
	uint8_t *bytes = NULL;
	size_t len = 0;
	lfs_err err;
	if (load_raw("prim_21", &fx, &bytes, &len)) {
		ok(0, "prim_21: load");
		return;
	}
	const lfs_data_file *df = &fx.manifest->fragments[0].files[0];
	const lfs_field *f = lfs_schema_top_by_name(&fx.manifest->schema, "i32");
	/* 1. unknown type URL */
	{
		uint8_t *copy = malloc(len);
		memcpy(copy, bytes, len);
		uint8_t *u = find(copy, len, "lance.encodings21.PageLayout"), *v = u;
		while (v) { /* every page of every column */
			memcpy(v, "lance.encodings99", 17);
			v = find(v, len - (size_t)(v - copy), "lance.encodings21.PageLayout");
		}
		mem_obj m = { copy, len, 0, 0 };
		lfs_store *st = lfs_store_new(&mem_ops, &m, "memory");
		lfs_lfile *lf = NULL;
		lfs_column col;
		memset(&col, 0, sizeof(col));
		err.msg[0] = 0;
		int rc = lfs_lfile_open(st, "bad.lance", len, df, &fx.manifest->schema, &lf, &err);
		if (!rc) {
			rc = lfs_lfile_read(lf, f, 0, 10, &col, &err);
			lfs_lfile_close(lf);
		}
		ok(u && rc == -ENOTSUP && strstr(err.msg, "lance.encodings99.PageLayout") &&
			   strstr(err.msg, "bad.lance"),
		   "unknown page encoding: -ENOTSUP naming it (%s)", err.msg);
		lfs_column_free(&col);
		lfs_store_close(st);
		free(copy);
	}
	/* 2. a footer pointing outside the file */
	{
		uint8_t *copy = malloc(len);
		memcpy(copy, bytes, len);
		put64(copy + len - 32, (uint64_t)len * 3);
		mem_obj m = { copy, len, 0, 0 };
		lfs_store *st = lfs_store_new(&mem_ops, &m, "memory");
		lfs_lfile *lf = NULL;
		int rc = lfs_lfile_open(st, "bad.lance", len, df, &fx.manifest->schema, &lf, &err);
		ok(rc == -EIO && strstr(err.msg, "bad.lance") && strstr(err.msg, "offset"),
		   "bad offset table: -EIO naming file and offset (%s)", err.msg);
		lfs_lfile_close(lf);
		lfs_store_close(st);
		free(copy);
	}
	free(bytes);
	f2fx_close(&fx);
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	DIR *d;
	struct dirent *de;
	char *names[256];
	size_t n = 0;

	snprintf(data_dir, sizeof(data_dir), "%s/tests/unit/data/file2", top ? top : "..");
	d = opendir(data_dir);
	if (!d) {
		printf("1..1\nnot ok 1 - %s: %s\n", data_dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 13 && strcmp(de->d_name + l - 13, ".expected.zst") == 0)
			names[n++] = strndup(de->d_name, l - 13);
	}
	closedir(d);
	/* sorted, so the output reads the same every time */
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (size_t i = 0; i < n; i++) {
		test_dataset(names[i]);
		free(names[i]);
	}
	test_zero_rows();
	test_partial_reads();
	test_errors();
	printf("1..%d\n", n_test);
	return failed ? 1 : 0;
}
