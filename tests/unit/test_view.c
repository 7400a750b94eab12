/*
 * Views as files: which exist, NPY headers and bodies, .bin = the .npy body,
 * whole renderings of small tables, range reads at random offsets equal to
 * slices of the whole, laziness (head and stat read little), the sparse
 * index (size exact after one pass), the chunk cache, errors from the
 * source, and several threads reading one view.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_view_util.h"
#include "view/view_impl.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const enum lfs_view_kind all_kinds[] = {
	LFS_VIEW_JSONL, LFS_VIEW_TXT, LFS_VIEW_NPY, LFS_VIEW_VALID_NPY, LFS_VIEW_BIN,
	LFS_VIEW_ROWS_JSONL, LFS_VIEW_ROWS_CSV,
};

/* ------------------------------------------------------------ applies */

static void test_applies(void)
{
	struct {
		lfs_field *f;
		const char *want; /* j t n v b for jsonl txt npy valid.npy bin */
	} cases[] = {
		{ tf("a", "int64", 0, 0), "jtn-b" },
		{ tf("a", "int64", 1, 0), "jtnvb" },
		{ tf("a", "string", 1, 0), "jt---" },
		{ tf("a", "binary", 1, 0), "jt---" },
		{ tf("a", "bool", 1, 0), "jtnvb" },
		{ tf("a", "halffloat", 0, 0), "jtn-b" },
		{ tf("a", "date32:day", 1, 0), "jtnvb" },
		{ tf("a", "time64:ns", 1, 0), "jtnvb" },
		{ tf("a", "timestamp:us:UTC", 1, 0), "jtnvb" },
		{ tf("a", "duration:s", 1, 0), "jtnvb" },
		{ tf("a", "decimal:128:10:2", 1, 0), "jt---" },
		{ tf("a", "fixed_size_binary:16", 1, 0), "jtnvb" },
		{ tf("a", "fixed_size_list:float:128", 1, 1, tf("item", "float", 1, 0)), "j-nvb" },
		{ tf("a", "fixed_size_list:string:2", 1, 1, tf("item", "string", 1, 0)), "j----" },
		{ tf("a", "list", 1, 1, tf("item", "int32", 1, 0)), "j----" },
		{ tf("a", "struct", 1, 1, tf("x", "int32", 1, 0)), "j----" },
		{ tf("a", "map", 1, 0), "j----" },
		{ tf("a", "dict:string:int16:false", 1, 0), "jt---" },
		{ tf("a", "null", 1, 0), "jt---" },
	};
	const enum lfs_view_kind kinds[] = { LFS_VIEW_JSONL, LFS_VIEW_TXT, LFS_VIEW_NPY,
					     LFS_VIEW_VALID_NPY, LFS_VIEW_BIN };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[6] = "-----";
		for (int k = 0; k < 5; k++)
			if (lfs_view_applies(kinds[k], cases[i].f))
				got[k] = "jtnvb"[k];
		char name[128];
		snprintf(name, sizeof(name), "views of %s%s", cases[i].f->logical_type,
			 cases[i].f->nullable ? " (nullable)" : "");
		tap_is_str(got, cases[i].want, name);
	}
	tap_ok(lfs_view_applies(LFS_VIEW_ROWS_CSV, cases[0].f) &&
	       !lfs_view_applies(LFS_VIEW_ROWS_CSV, cases[14].f) &&
	       lfs_view_applies(LFS_VIEW_ROWS_JSONL, cases[14].f),
	       "rows.csv takes scalar columns, rows.jsonl all");
	tap_is_str(lfs_view_suffix(LFS_VIEW_VALID_NPY), ".valid.npy", "suffix .valid.npy");
	tap_is_str(lfs_view_suffix(LFS_VIEW_ROWS_CSV), ".csv", "suffix .csv");
	tap_is_str(lfs_view_suffix(LFS_VIEW_BIN), ".bin", "suffix .bin");
}

/* ---------------------------------------------------------------- npy */

static void check_header(const char *logical, lfs_field *f, uint64_t n, const char *dict)
{
	lfs_npy_layout lay;
	lfs_buf b;
	lfs_buf_init(&b);
	if (!tap_ok(lfs_npy_layout_of(f, &lay) == 0, "layout of %s", logical))
		return;
	lfs_npy_header(&b, &lay, n);
	char name[160];
	snprintf(name, sizeof(name), "npy header of %s", logical);
	size_t dl = strlen(dict);
	int ok = b.len % 64 == 0 && memcmp(b.data, "\x93NUMPY\x01\x00", 8) == 0 &&
		 (size_t)(b.data[8] | b.data[9] << 8) == b.len - 10 && b.len >= 10 + dl + 1 &&
		 memcmp(b.data + 10, dict, dl) == 0 && b.data[b.len - 1] == '\n';
	for (size_t i = 10 + dl; ok && i < b.len - 1; i++)
		ok = b.data[i] == ' ';
	tap_ok(ok, "%s", name);
	if (!ok)
		tap_diag("header: %.*s", (int)(b.len - 10), b.data + 10);
	lfs_buf_free(&b);
}

static void test_npy_headers(void)
{
	check_header("float vector", tf("v", "fixed_size_list:float:128", 0, 1, tf("item", "float", 1, 0)),
		     1000000, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 128), }");
	check_header("int64", tf("a", "int64", 0, 0), 3,
		     "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }");
	check_header("int8", tf("a", "int8", 0, 0), 0,
		     "{'descr': '|i1', 'fortran_order': False, 'shape': (0,), }");
	check_header("bool", tf("a", "bool", 0, 0), 5,
		     "{'descr': '|b1', 'fortran_order': False, 'shape': (5,), }");
	check_header("halffloat", tf("a", "halffloat", 0, 0), 5,
		     "{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }");
	check_header("date32", tf("a", "date32:day", 0, 0), 5,
		     "{'descr': '<M8[D]', 'fortran_order': False, 'shape': (5,), }");
	check_header("date64", tf("a", "date64:ms", 0, 0), 5,
		     "{'descr': '<M8[ms]', 'fortran_order': False, 'shape': (5,), }");
	check_header("timestamp", tf("a", "timestamp:ns:UTC", 0, 0), 5,
		     "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (5,), }");
	check_header("duration", tf("a", "duration:us", 0, 0), 5,
		     "{'descr': '<m8[us]', 'fortran_order': False, 'shape': (5,), }");
	check_header("time32", tf("a", "time32:ms", 0, 0), 5,
		     "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }");
	check_header("uint64", tf("a", "uint64", 0, 0), 5,
		     "{'descr': '<u8', 'fortran_order': False, 'shape': (5,), }");
	check_header("fixed_size_binary", tf("a", "fixed_size_binary:16", 0, 0), 5,
		     "{'descr': '|u1', 'fortran_order': False, 'shape': (5, 16), }");
	check_header("nested fsl",
		     tf("a", "fixed_size_list:fixed_size_list:int16:3:2", 0, 1,
			tf("item", "fixed_size_list:int16:3", 1, 1, tf("item", "int16", 1, 0))),
		     7, "{'descr': '<i2', 'fortran_order': False, 'shape': (7, 2, 3), }");
	check_header("bfloat16 vector",
		     tf("a", "fixed_size_list:lance.bfloat16:4", 0, 1, tf("item", "lance.bfloat16", 1, 0)),
		     7, "{'descr': '<u2', 'fortran_order': False, 'shape': (7, 4), }");
	lfs_npy_layout lay;
	lfs_npy_layout_valid(&lay);
	lfs_buf b;
	lfs_buf_init(&b);
	lfs_npy_header(&b, &lay, 9);
	tap_ok(b.len == 128 && memcmp(b.data + 10, "{'descr': '|b1', 'fortran_order': False, 'shape': (9,), }", 57) == 0,
	       "valid.npy header");
	lfs_buf_free(&b);
}

/* The body of a binary view (header skipped). */
static uint8_t *body_of(enum lfs_view_kind kind, tsource *s, size_t col, size_t *len)
{
	size_t n;
	char *all = render_view(kind, s, col, &n);
	if (!all)
		return NULL;
	size_t skip = kind == LFS_VIEW_BIN ? 0 : (size_t)(((uint8_t)all[8]) | ((uint8_t)all[9]) << 8) + 10;
	*len = n - skip;
	uint8_t *b = malloc(*len + 1);
	memcpy(b, all + skip, *len);
	free(all);
	return b;
}

static void test_npy_bodies(void)
{
	int64_t i64[] = { 1, -2, 3, 4 };
	int v4[] = { 1, 1, 0, 1 };
	int bools[] = { 1, 0, 1, 1 };
	int32_t days[] = { 0, -1, 19000, 5 };
	float vec[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int vecv[] = { 1, 0, 1, 1 };
	uint8_t fsb[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const lfs_field *fields[] = {
		tf("i", "int64", 1, 0), tf("b", "bool", 1, 0), tf("d", "date32:day", 1, 0),
		tf("v", "fixed_size_list:float:2", 1, 1, tf("item", "float", 1, 0)),
		tf("x", "fixed_size_binary:2", 1, 0),
	};
	lfs_column cols[] = {
		tc_fixed("int64", 4, i64, v4), tc_bool(4, bools, v4), tc_fixed("date32:day", 4, days, v4),
		tc_fsl(2, 4, vecv, tc_fixed("float", 8, vec, NULL)), tc_fixed("fixed_size_binary:2", 4, fsb, v4),
	};
	/* the decoder zeroes null slots, but views must not rely on it below
	 * the top level: leave garbage in the vector's null row */
	tsource *s = ts_new(5, fields, cols, 0);
	size_t n;
	uint8_t *b;

	int64_t want_i[] = { 1, -2, 0, 4 };
	b = body_of(LFS_VIEW_NPY, s, 0, &n);
	tap_is_mem(b, n, want_i, sizeof(want_i), "int64 .npy body, null slot 0");
	free(b);
	b = body_of(LFS_VIEW_BIN, s, 0, &n);
	tap_is_mem(b, n, want_i, sizeof(want_i), ".bin is the .npy body");
	free(b);
	uint8_t want_valid[] = { 1, 1, 0, 1 };
	b = body_of(LFS_VIEW_VALID_NPY, s, 0, &n);
	tap_is_mem(b, n, want_valid, 4, ".valid.npy body");
	free(b);
	uint8_t want_b[] = { 1, 0, 0, 1 };
	b = body_of(LFS_VIEW_NPY, s, 1, &n);
	tap_is_mem(b, n, want_b, 4, "bool unpacked to bytes, null 0");
	free(b);
	int64_t want_d[] = { 0, -1, 0, 5 };
	b = body_of(LFS_VIEW_BIN, s, 2, &n);
	tap_is_mem(b, n, want_d, sizeof(want_d), "date32 widened to int64 days");
	free(b);
	float want_v[] = { 1, 2, 0, 0, 5, 6, 7, 8 };
	b = body_of(LFS_VIEW_NPY, s, 3, &n);
	tap_is_mem(b, n, want_v, sizeof(want_v), "fixed_size_list rows, null row zeroed");
	free(b);
	uint8_t want_x[] = { 1, 2, 3, 4, 0, 0, 7, 8 };
	b = body_of(LFS_VIEW_BIN, s, 4, &n);
	tap_is_mem(b, n, want_x, sizeof(want_x), "fixed_size_binary bytes, null zeroed");
	free(b);
	ts_free(s);

	/* a view over a column whose decoded type disagrees with the schema */
	int32_t wrong[] = { 1, 2 };
	const lfs_field *wf[] = { tf("w", "int64", 0, 0) };
	lfs_column wc[] = { tc_fixed("int32", 2, wrong, NULL) };
	s = ts_new(1, wf, wc, 0);
	lfs_view *v;
	lfs_err err = { "" };
	uint8_t buf[256];
	size_t got;
	lfs_view_new(LFS_VIEW_NPY, &s->rs, 0, &v, &err);
	int rc = lfs_view_read(v, 0, sizeof(buf), buf, &got, &err);
	tap_ok(rc == -EIO && strstr(err.msg, "w"), "decoded type mismatch -> -EIO (%s)", err.msg);
	lfs_view_free(v);
	tap_ok(lfs_view_new(LFS_VIEW_NPY, &s->rs, 5, &v, &err) == -EINVAL, "no column 5");
	ts_free(s);
}

/* ------------------------------------------------------- small tables */

static void test_small_table(void)
{
	int64_t ids[] = { 1, 2, 3 };
	const char *names[] = { "a,b", "", NULL };
	double score[] = { 0.5, NAN, 0 };
	int sv[] = { 1, 1, 0 };
	int32_t items[] = { 1, 2, 3 };
	uint64_t offs[] = { 0, 2, 3, 3 };
	const lfs_field *fields[] = {
		tf("id", "int64", 0, 0), tf("name", "string", 1, 0), tf("score", "double", 1, 0),
		tf("tags", "list", 1, 1, tf("item", "int32", 1, 0)), tf("we\"ird", "string", 1, 0),
	};
	const char *weird[] = { "x\ny", "tab\there", "back\\slash" };
	lfs_column cols[] = {
		tc_fixed("int64", 3, ids, NULL), tc_var("string", 3, names, NULL),
		tc_fixed("double", 3, score, sv), tc_list("list", 3, offs, NULL, tc_fixed("int32", 3, items, NULL)),
		tc_var("string", 3, weird, NULL),
	};
	tsource *s = ts_new(5, fields, cols, 0);
	char *t;

	t = render_view(LFS_VIEW_ROWS_JSONL, s, 0, NULL);
	tap_is_str(t,
		   "{\"id\": 1, \"name\": \"a,b\", \"score\": 0.5, \"tags\": [1, 2], \"we\\\"ird\": \"x\\ny\"}\n"
		   "{\"id\": 2, \"name\": \"\", \"score\": \"NaN\", \"tags\": [3], \"we\\\"ird\": \"tab\\there\"}\n"
		   "{\"id\": 3, \"name\": null, \"score\": null, \"tags\": [], \"we\\\"ird\": \"back\\\\slash\"}\n",
		   "rows.jsonl");
	free(t);
	t = render_view(LFS_VIEW_ROWS_CSV, s, 0, NULL);
	tap_is_str(t,
		   "id,name,score,\"we\"\"ird\"\n"
		   "1,\"a,b\",0.5,\"x\ny\"\n"
		   "2,\"\",NaN,tab\there\n"
		   "3,,,back\\slash\n",
		   "rows.csv: header, quoting, null vs empty string");
	free(t);
	t = render_view(LFS_VIEW_JSONL, s, 1, NULL);
	tap_is_str(t, "\"a,b\"\n\"\"\nnull\n", "name.jsonl");
	free(t);
	t = render_view(LFS_VIEW_TXT, s, 4, NULL);
	tap_is_str(t, "x\\ny\ntab\\there\nback\\\\slash\n", "weird.txt: COPY escapes");
	free(t);
	t = render_view(LFS_VIEW_TXT, s, 2, NULL);
	tap_is_str(t, "0.5\nNaN\n\\N\n", "score.txt");
	free(t);
	t = render_view(LFS_VIEW_JSONL, s, 3, NULL);
	tap_is_str(t, "[1, 2]\n[3]\n[]\n", "tags.jsonl");
	free(t);
	lfs_view *v;
	lfs_err err = { "" };
	tap_ok(lfs_view_new(LFS_VIEW_TXT, &s->rs, 3, &v, &err) == -ENOTSUP, "no tags.txt (%s)", err.msg);
	ts_free(s);

	/* no rows at all */
	const lfs_field *ef[] = { tf("id", "int64", 1, 0) };
	lfs_column ec[] = { tc_fixed("int64", 0, NULL, NULL) };
	s = ts_new(1, ef, ec, 0);
	size_t n;
	t = render_view(LFS_VIEW_JSONL, s, 0, &n);
	tap_ok(t && n == 0, "empty table: empty .jsonl");
	free(t);
	t = render_view(LFS_VIEW_ROWS_CSV, s, 0, &n);
	tap_is_str(t, "id\n", "empty table: rows.csv is its header");
	free(t);
	t = render_view(LFS_VIEW_NPY, s, 0, &n);
	tap_ok(t && n == 128 && memmem(t, n, "'shape': (0,)", 13), "empty table: .npy with shape (0,)");
	free(t);
	lfs_view_new(LFS_VIEW_JSONL, &s->rs, 0, &v, &err);
	tap_ok(lfs_view_size_is_cheap(v), "empty text view: size known at once");
	lfs_view_free(v);
	tap_ok(s->reads == 0, "empty table: nothing read");
	ts_free(s);
}

/* --------------------------------------------------------- big table */

#define BIG_ROWS 5000
#define DIM 8

static tsource *big_table(uint64_t page)
{
	static const lfs_field *fields[9];
	fields[0] = tf("id", "int64", 0, 0);
	fields[1] = tf("vec", "fixed_size_list:float:8", 1, 1, tf("item", "float", 1, 0));
	fields[2] = tf("name", "string", 1, 0);
	fields[3] = tf("flag", "bool", 1, 0);
	fields[4] = tf("day", "date32:day", 1, 0);
	fields[5] = tf("ts", "timestamp:us:UTC", 1, 0);
	fields[6] = tf("tags", "list", 1, 1, tf("item", "int32", 1, 0));
	fields[7] = tf("score", "double", 1, 0);
	fields[8] = tf("half", "halffloat", 1, 0);

	int64_t *ids = malloc(BIG_ROWS * 8);
	float *vec = malloc(BIG_ROWS * DIM * 4);
	int *vv = malloc(BIG_ROWS * sizeof(int)), *nv = malloc(BIG_ROWS * sizeof(int));
	char **names = malloc(BIG_ROWS * sizeof(char *));
	int *flags = malloc(BIG_ROWS * sizeof(int));
	int32_t *days = malloc(BIG_ROWS * 4);
	int64_t *ts = malloc(BIG_ROWS * 8);
	uint64_t *toff = malloc((BIG_ROWS + 1) * 8);
	int32_t *titems = malloc(BIG_ROWS * 3 * 4);
	double *score = malloc(BIG_ROWS * 8);
	uint16_t *half = malloc(BIG_ROWS * 2);
	toff[0] = 0;
	for (int i = 0; i < BIG_ROWS; i++) {
		ids[i] = (int64_t)i * 1000003 - 7;
		for (int j = 0; j < DIM; j++)
			vec[i * DIM + j] = (float)i * 0.1f + (float)j / 3.0f;
		vv[i] = i % 7 != 3;
		nv[i] = i % 5 != 0;
		char tmp[64];
		snprintf(tmp, sizeof(tmp), i % 11 == 0 ? "n\xc3\xa9\t\"%d\"\n" : "name-%d", i);
		names[i] = nv[i] ? strdup(tmp) : NULL;
		flags[i] = i % 3 == 0;
		days[i] = i * 37 - 100000;
		ts[i] = (int64_t)i * 123456789 - 5000000000LL;
		int nt = i % 4;
		for (int k = 0; k < nt; k++)
			titems[toff[i] + (uint64_t)k] = i + k;
		toff[i + 1] = toff[i] + (uint64_t)nt;
		score[i] = i % 13 == 0 ? NAN : i % 17 == 0 ? -0.0 : 1.0 / (i + 1);
		half[i] = (uint16_t)(0x3C00 + i);
	}
	lfs_column cols[9] = {
		tc_fixed("int64", BIG_ROWS, ids, NULL),
		tc_fsl(DIM, BIG_ROWS, vv, tc_fixed("float", BIG_ROWS * DIM, vec, NULL)),
		tc_var("string", BIG_ROWS, (const char *const *)names, NULL),
		tc_bool(BIG_ROWS, flags, nv),
		tc_fixed("date32:day", BIG_ROWS, days, vv),
		tc_fixed("timestamp:us:UTC", BIG_ROWS, ts, nv),
		tc_list("list", BIG_ROWS, toff, vv, tc_fixed("int32", toff[BIG_ROWS], titems, NULL)),
		tc_fixed("double", BIG_ROWS, score, NULL),
		tc_fixed("halffloat", BIG_ROWS, half, nv),
	};
	for (int i = 0; i < BIG_ROWS; i++)
		free(names[i]);
	free(ids); free(vec); free(vv); free(nv); free(names); free(flags); free(days); free(ts);
	free(toff); free(titems); free(score); free(half);
	return ts_new(9, fields, cols, page);
}

/* Reads [off, off + len) of a view into buf; returns bytes or -1. */
static long read_at(lfs_view *v, uint64_t off, size_t len, uint8_t *buf)
{
	lfs_err err = { "" };
	size_t got;
	if (lfs_view_read(v, off, len, buf, &got, &err) != 0) {
		tap_diag("read %llu+%zu: %s", (unsigned long long)off, len, err.msg);
		return -1;
	}
	return (long)got;
}

/* Random reads of a fresh view (and of one long-lived view) against the
 * whole rendering. */
static int check_ranges(enum lfs_view_kind kind, tsource *s, size_t col, const uint8_t *all,
			size_t n, int count)
{
	lfs_err err = { "" };
	lfs_view *shared;
	uint8_t *buf = malloc(n + 300000);
	int bad = 0;

	lfs_view_new(kind, &s->rs, col, &shared, &err);
	for (int i = 0; i < count && !bad; i++) {
		uint64_t off = next_rand() % (n + 10);
		size_t len = (size_t)(next_rand() % (i % 3 == 0 ? 200000 : 3000)) + 1;
		lfs_view *v = shared, *fresh = NULL;
		if (i % 4 == 0) {
			lfs_view_new(kind, &s->rs, col, &fresh, &err);
			v = fresh;
		}
		long got = read_at(v, off, len, buf);
		size_t want = off >= n ? 0 : (n - off < len ? n - off : len);
		if (got != (long)want || (want && memcmp(buf, all + off, want) != 0)) {
			tap_diag("%s of column %zu: read at %llu+%zu got %ld bytes, want %zu",
				 lfs_view_suffix(kind), col, (unsigned long long)off, len, got, want);
			bad++;
		}
		lfs_view_free(fresh);
	}
	lfs_view_free(shared);
	free(buf);
	return bad == 0;
}

/* Reads the whole file in pieces of `step` bytes. */
static uint8_t *read_in_steps(lfs_view *v, size_t step, size_t *n)
{
	size_t cap = 1 << 20, len = 0;
	uint8_t *out = malloc(cap);
	for (;;) {
		if (len + step > cap) {
			cap = (len + step) * 2;
			out = realloc(out, cap);
		}
		long got = read_at(v, len, step, out + len);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	*n = len;
	return out;
}

static void test_big(void)
{
	tsource *s = big_table(700);
	for (size_t col = 0; col < s->rs.ncols; col++) {
		for (size_t k = 0; k < sizeof(all_kinds) / sizeof(all_kinds[0]); k++) {
			enum lfs_view_kind kind = all_kinds[k];
			int rows_kind = kind == LFS_VIEW_ROWS_JSONL || kind == LFS_VIEW_ROWS_CSV;
			if (rows_kind && col > 0)
				continue;
			if (!rows_kind && !lfs_view_applies(kind, s->fields[col]))
				continue;
			size_t n;
			char *all = render_view(kind, s, col, &n);
			const char *name = rows_kind ? "rows" : s->fields[col]->name;
			if (!tap_ok(all != NULL, "%s%s renders", name, lfs_view_suffix(kind)))
				continue;
			/* reading in small steps gives the same bytes */
			lfs_view *v;
			lfs_err err = { "" };
			lfs_view_new(kind, &s->rs, col, &v, &err);
			size_t n2;
			uint8_t *steps = read_in_steps(v, 4093, &n2);
			tap_is_mem(steps, n2, all, n, "read in 4093-byte steps = one whole read");
			free(steps);
			lfs_view_free(v);
			tap_ok(check_ranges(kind, s, col, (uint8_t *)all, n, 120),
			       "%s%s: 120 random ranges equal slices of the whole (%zu bytes)", name,
			       lfs_view_suffix(kind), n);
			if (kind == LFS_VIEW_JSONL || kind == LFS_VIEW_TXT || kind == LFS_VIEW_ROWS_JSONL) {
				size_t lines = 0;
				for (size_t i = 0; i < n; i++)
					lines += all[i] == '\n';
				tap_ok(lines == BIG_ROWS,
				       "%s%s: one line per row", name, lfs_view_suffix(kind));
			}
			free(all);
		}
	}
	ts_free(s);
}

/* Text renderings of single values match the views' lines. */
static void test_lines_match_values(void)
{
	tsource *s = big_table(0);
	size_t n;
	char *all = render_view(LFS_VIEW_JSONL, s, 1, &n);
	char *line = all;
	int bad = 0;
	for (uint64_t r = 0; r < BIG_ROWS && !bad; r++) {
		char *nl = strchr(line, '\n');
		lfs_buf b;
		lfs_buf_init(&b);
		lfs_view_json_value(&b, s->fields[1], &s->cols[1], r);
		if (b.len != (size_t)(nl - line) || memcmp(b.data, line, b.len) != 0)
			bad++;
		lfs_buf_free(&b);
		line = nl + 1;
	}
	tap_ok(!bad, "each vec.jsonl line is lfs_view_json_value of its row");
	free(all);
	ts_free(s);
}

/* ----------------------------------------------------------- laziness */

static void test_lazy(void)
{
	tsource *s = big_table(500);
	lfs_view *v;
	lfs_err err = { "" };
	uint64_t size;
	uint8_t buf[300];

	/* binary: size without reading anything */
	lfs_view_new(LFS_VIEW_NPY, &s->rs, 1, &v, &err);
	tap_ok(lfs_view_size_is_cheap(v), ".npy size is cheap");
	lfs_view_size(v, &size, &err);
	tap_ok(size == 128 + (uint64_t)BIG_ROWS * DIM * 4 && s->reads == 0,
	       ".npy size from row count and width, no reads (%llu)", (unsigned long long)size);
	/* a read of a few rows decodes around them only */
	read_at(v, 128 + 4001 * 32, 64, buf);
	tap_ok(s->reads == 1 && s->rows_read <= 500, "a small .npy read decodes one page (%llu rows)",
	       (unsigned long long)s->rows_read);
	float want[DIM];
	for (int j = 0; j < DIM; j++)
		want[j] = (float)4001 * 0.1f + (float)j / 3.0f;
	tap_is_mem(buf, 32, want, 32, ".npy row 4001 holds its vector");
	read_at(v, 128 + 4002 * 32, 64, buf);
	tap_ok(s->reads == 1, "the next read is served from the cached page");
	lfs_view_free(v);

	/* sequential reads decode each page once */
	s->reads = s->rows_read = 0;
	lfs_view_new(LFS_VIEW_BIN, &s->rs, 1, &v, &err);
	size_t n;
	free(read_in_steps(v, 1000, &n));
	tap_ok(n == (size_t)BIG_ROWS * 32 && s->rows_read == BIG_ROWS,
	       "sequential .bin reads decode every row once (%llu reads, %llu rows)",
	       (unsigned long long)s->reads, (unsigned long long)s->rows_read);
	lfs_view_free(v);

	/* text: head is cheap */
	s->reads = s->rows_read = 0;
	lfs_view_new(LFS_VIEW_JSONL, &s->rs, 2, &v, &err);
	tap_ok(!lfs_view_size_is_cheap(v), ".jsonl size is not known before a pass");
	read_at(v, 0, 100, buf);
	tap_ok(s->rows_read <= 500, "head of .jsonl reads one page (%llu rows)",
	       (unsigned long long)s->rows_read);
	/* size costs one pass, then is exact and cheap */
	lfs_view_size(v, &size, &err);
	uint64_t after_pass = s->rows_read;
	tap_ok(lfs_view_size_is_cheap(v) && after_pass <= BIG_ROWS + 500,
	       "size after one pass (%llu rows read)", (unsigned long long)after_pass);
	char *all = render_view(LFS_VIEW_JSONL, s, 2, &n);
	tap_ok(size == n, "size is exact (%llu)", (unsigned long long)size);
	s->reads = s->rows_read = 0;
	long got = read_at(v, size - 50, 100, buf);
	tap_ok(got == 50 && memcmp(buf, all + n - 50, 50) == 0 && s->rows_read <= 500,
	       "tail read after the pass decodes one block (%llu rows)",
	       (unsigned long long)s->rows_read);
	tap_ok(read_at(v, size, 10, buf) == 0 && read_at(v, size + 1000, 10, buf) == 0,
	       "reads at and past the end return nothing");
	lfs_view_free(v);

	/* tail first on a fresh view: at most one pass */
	s->reads = s->rows_read = 0;
	lfs_view_new(LFS_VIEW_JSONL, &s->rs, 2, &v, &err);
	got = read_at(v, n - 10, 10, buf);
	tap_ok(got == 10 && memcmp(buf, all + n - 10, 10) == 0 && s->rows_read <= BIG_ROWS,
	       "tail of a fresh .jsonl costs one pass (%llu rows)", (unsigned long long)s->rows_read);
	tap_ok(lfs_view_size_is_cheap(v), "and then the size is known");
	lfs_view_drop_cache(v);
	got = read_at(v, n / 2, 10, buf);
	tap_ok(got == 10 && memcmp(buf, all + n / 2, 10) == 0, "reads after drop_cache still right");
	lfs_view_free(v);
	free(all);
	ts_free(s);
}

/* ------------------------------------------------------------- errors */

static void test_errors(void)
{
	tsource *s = big_table(500);
	lfs_view *v;
	lfs_err err = { "" };
	uint8_t buf[1000];
	size_t got;

	s->fail_at_row = 2600;
	lfs_view_new(LFS_VIEW_JSONL, &s->rs, 0, &v, &err);
	tap_ok(lfs_view_read(v, 0, 100, buf, &got, &err) == 0, "rows before the damage read fine");
	uint64_t size;
	int rc = lfs_view_size(v, &size, &err);
	tap_ok(rc == -EIO && strstr(err.msg, "damaged") && strstr(err.msg, "id"),
	       "a damaged page fails the pass with -EIO and says where: %s", err.msg);
	lfs_view_free(v);

	lfs_view_new(LFS_VIEW_NPY, &s->rs, 1, &v, &err);
	rc = lfs_view_read(v, 128 + 2600 * 32, 32, buf, &got, &err);
	tap_ok(rc == -EIO, "binary read of the damaged page -> -EIO: %s", err.msg);
	rc = lfs_view_read(v, 128, 32, buf, &got, &err);
	tap_ok(rc == 0 && got == 32, "other pages still read");
	lfs_view_free(v);
	ts_free(s);
}

/* -------------------------------------------------------- concurrency */

struct thread_arg {
	lfs_view *v;
	const uint8_t *all;
	size_t n;
	uint64_t seed;
	int bad;
};

static void *reader(void *p)
{
	struct thread_arg *a = p;
	uint8_t *buf = malloc(70000);
	uint64_t x = a->seed;
	for (int i = 0; i < 300; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t off = x % (a->n + 1);
		size_t len = (size_t)(x >> 40) % 70000 + 1;
		if (i % 10 == 0) /* sequential runs too */
			off = (uint64_t)i * 4096 % (a->n + 1);
		lfs_err err = { "" };
		size_t got;
		if (lfs_view_read(a->v, off, len, buf, &got, &err) != 0) {
			a->bad++;
			continue;
		}
		size_t want = a->n - off < len ? a->n - off : len;
		if (got != want || memcmp(buf, a->all + off, want) != 0)
			a->bad++;
	}
	free(buf);
	return NULL;
}

static void test_threads(void)
{
	tsource *s = big_table(300);
	const struct { enum lfs_view_kind kind; size_t col; } cases[] = {
		{ LFS_VIEW_JSONL, 2 }, { LFS_VIEW_NPY, 1 }, { LFS_VIEW_ROWS_JSONL, 0 },
		{ LFS_VIEW_ROWS_CSV, 0 }, { LFS_VIEW_TXT, 7 }, { LFS_VIEW_BIN, 4 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n;
		char *all = render_view(cases[c].kind, s, cases[c].col, &n);
		lfs_view *v;
		lfs_err err = { "" };
		lfs_view_new(cases[c].kind, &s->rs, cases[c].col, &v, &err);
		pthread_t th[8];
		struct thread_arg args[8];
		for (int i = 0; i < 8; i++) {
			args[i] = (struct thread_arg){ v, (uint8_t *)all, n, 0x1234567ull * (uint64_t)(i + 1) + c, 0 };
			pthread_create(&th[i], NULL, reader, &args[i]);
		}
		int bad = 0;
		for (int i = 0; i < 8; i++) {
			pthread_join(th[i], NULL);
			bad += args[i].bad;
		}
		tap_ok(bad == 0, "8 threads reading one %s view get the right bytes (%d bad)",
		       lfs_view_suffix(cases[c].kind), bad);
		lfs_view_free(v);
		free(all);
	}
	ts_free(s);
}

int main(void)
{
	test_applies();
	test_npy_headers();
	test_npy_bodies();
	test_small_table();
	test_big();
	test_lines_match_values();
	test_lazy();
	test_errors();
	test_threads();
	return tap_done();
}
