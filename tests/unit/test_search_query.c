/* Unit tests of query files: the JSON and its errors, and whole queries run
 * over an in-memory table — scans with filter, limit and offset, kNN with
 * ties, NaN and null vectors, prefiltering, columns, list vectors, threads,
 * and the result lines themselves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/search_impl.h"
#include "test_view_util.h"

/* --------------------------------------------------------------- parsing */

static void parse_error_is(const char *json, const char *want)
{
	lfs_query *q = NULL;
	lfs_err err = { "" };
	int rc = lfs_query_parse(json, strlen(json), &q, &err);
	char name[200];
	snprintf(name, sizeof(name), "%s", json);
	for (char *p = name; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!tap_ok(rc == -22 && q == NULL && strstr(err.msg, want), "parse error: %s", name))
		tap_diag("rc %d, message: %s\n# want: %s", rc, err.msg, want);
	lfs_query_free(q);
}

static void test_parse(void)
{
	lfs_query *q;
	lfs_err err = { "" };
	uint64_t v = 0;
	const char *ok = "{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 2.5, -3e2], \"k\": 5, "
			 "\"metric\": \"cosine\", \"nprobes\": 20, \"refine\": 3}, \"filter\": \"a > 1\", "
			 "\"columns\": [\"a\", \"b\"], \"limit\": 4, \"offset\": 2, \"version\": 7}";
	int rc = lfs_query_parse(ok, strlen(ok), &q, &err);
	tap_ok(rc == 0, "a full query parses (%s)", err.msg);
	if (rc == 0) {
		tap_ok(q->has_nearest && strcmp(q->column, "vec") == 0 && q->dim == 3 && q->vector[1] == 2.5f &&
		       q->vector[2] == -300.0f && q->k == 5 && q->metric == LFS_METRIC_COSINE,
		       "nearest: column, vector, k, metric");
		tap_ok(q->filter && q->n_columns == 2 && q->has_limit && q->limit == 4 && q->offset == 2,
		       "filter, columns, limit, offset");
		tap_ok(lfs_query_version(q, &v) == 0 && v == 7 && lfs_query_tag(q) == NULL, "version 7, no tag");
		lfs_query_free(q);
	}
	rc = lfs_query_parse("{\"tag\": \"prod\"}", 15, &q, &err);
	tap_ok(rc == 0 && lfs_query_version(q, &v) == -2 && strcmp(lfs_query_tag(q), "prod") == 0 &&
	       !q->has_nearest && !q->filter, "a tag; no version; a scan without filter");
	lfs_query_free(q);
	const char *dflt = "{\"nearest\": {\"vector\": [0.1]}}";
	rc = lfs_query_parse(dflt, strlen(dflt), &q, &err);
	tap_ok(rc == 0 && q->k == 10 && q->metric == LFS_METRIC_L2 && q->column == NULL &&
	       q->vector[0] == 0.1f, "defaults: k 10, l2, the vector column found later");
	lfs_query_free(q);
	rc = lfs_query_parse("{}", 2, &q, &err);
	tap_ok(rc == 0, "{} is a scan of everything");
	lfs_query_free(q);
	const char *nul = "{\"filter\": null, \"nearest\": {\"vector\": [1], \"metric\": \"L2\"}}";
	rc = lfs_query_parse(nul, strlen(nul), &q, &err);
	tap_ok(rc == 0 && !q->filter, "filter null is no filter; metric names ignore case");
	lfs_query_free(q);
	/* not NUL-terminated: the length counts */
	char buf[16] = "{\"limit\": 3}xyz";
	rc = lfs_query_parse(buf, 12, &q, &err);
	tap_ok(rc == 0 && q->limit == 3, "the text need not end in NUL");
	lfs_query_free(q);

	parse_error_is("", "query: line 1, column 0: ");
	parse_error_is("{\"nearest\": }", "query: line 1, column 13: ");
	parse_error_is("{\n  \"limit\": 3,\n  \"filter\": \"a\" \"b\"\n}", "query: line 3, column 19: '}' expected near '\"b\"'");
	parse_error_is("{\"limit\": 1, \"limit\": 2}", "duplicate object key");
	parse_error_is("[1, 2]", "query: must be a JSON object, not an array");
	parse_error_is("{\"nearst\": {}}", "query: unknown key \"nearst\" (nearest, filter, columns, limit, offset, version, tag)");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"kk\": 3}}", "unknown key \"nearest.kk\"");
	parse_error_is("{\"nearest\": {\"k\": 3}}", "query: \"nearest\" has no \"vector\"");
	parse_error_is("{\"nearest\": [1, 2]}", "query: \"nearest\" must be an object, not an array");
	parse_error_is("{\"nearest\": {\"vector\": []}}", "query: \"nearest.vector\" is empty");
	parse_error_is("{\"nearest\": {\"vector\": \"1,2\"}}", "\"nearest.vector\" must be an array of numbers, not a string");
	parse_error_is("{\"nearest\": {\"vector\": [1, \"2\", 3]}}", "query: \"nearest.vector\"[1] is a string, not a number");
	parse_error_is("{\"nearest\": {\"vector\": [1, null]}}", "\"nearest.vector\"[1] is null, not a number");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"k\": 0}}", "query: \"nearest.k\" must be at least 1, not 0");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"k\": -5}}", "\"nearest.k\" must be at least 1, not -5");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"k\": 2.5}}", "\"nearest.k\" must be a whole number");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"k\": \"3\"}}", "\"nearest.k\" must be a whole number of at least 1, not a string");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"metric\": \"hamming\"}}", "query: unknown metric \"hamming\" in \"nearest.metric\" (l2, cosine or dot)");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"metric\": 2}}", "\"nearest.metric\" must be \"l2\", \"cosine\" or \"dot\"");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"column\": 3}}", "\"nearest.column\" must be a column name");
	parse_error_is("{\"nearest\": {\"vector\": [1], \"nprobes\": 0}}", "\"nearest.nprobes\" must be at least 1");
	parse_error_is("{\"filter\": 5}", "query: \"filter\" must be a string (an SQL condition), not an integer");
	parse_error_is("{\"filter\": \"a = \"}", "filter at character 5: expected a column, a value, NOT or '(', found the end of the filter");
	parse_error_is("{\"columns\": \"a\"}", "\"columns\" must be an array of column names, not a string");
	parse_error_is("{\"columns\": [\"a\", 1]}", "query: \"columns\"[1] is an integer, not a column name");
	parse_error_is("{\"columns\": [\"a\", \"a\"]}", "query: \"columns\" names 'a' twice");
	parse_error_is("{\"limit\": -1}", "\"limit\" must be at least 0, not -1");
	parse_error_is("{\"offset\": true}", "\"offset\" must be a whole number of at least 0, not true");
	parse_error_is("{\"version\": 0}", "\"version\" must be at least 1, not 0");
	parse_error_is("{\"version\": 3, \"tag\": \"x\"}", "query: give \"version\" or \"tag\", not both");
	parse_error_is("{\"tag\": \"\"}", "\"tag\" must be a tag name");
	parse_error_is("{\"filter\": \"a\\u0000b\"}", "query: line 1");
}

/* ------------------------------------------------------------------ runs */

#define N 12
static tsource *table;

/* _rowid runs backwards so that ties visibly go to the lower _rowid, not
 * the earlier row. */
static int backwards_rowids(void *ctx, uint64_t row, uint64_t count, uint64_t *out, lfs_err *err)
{
	(void)ctx;
	(void)err;
	for (uint64_t i = 0; i < count; i++)
		out[i] = 1000 - (row + i);
	return 0;
}

static void make_table(void)
{
	static const lfs_field *fields[5];
	lfs_column cols[5];
	int64_t id[N];
	const char *name[N] = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l" };
	/* 2-d vectors: row 3 is null, row 5 is NaN, rows 1, 7 and 10 tie */
	float v[2 * N] = { 0, 0, 1, 1, 2, 2, 0, 0, 3, 3, NAN, 0, 0.5f, 0.5f, 1, 1, -1, -1, 4, 4, 1, 1, 0, 0 };
	int vvalid[N] = { 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1 };
	double w[3 * N];
	uint64_t loff[N + 1];
	for (int i = 0; i < N; i++)
		id[i] = i * 10;
	for (int i = 0; i < 3 * N; i++)
		w[i] = (double)(i % 7) - 3;
	for (int i = 0; i <= N; i++)
		loff[i] = (uint64_t)(2 * i);
	float lv[2 * N];
	memcpy(lv, v, sizeof(lv));
	lv[11] = 0; /* no NaN in the list column */

	fields[0] = tf("id", "int64", 0, 0);
	fields[1] = tf("name", "string", 1, 0);
	fields[2] = tf("vec", "fixed_size_list:float:2", 1, 1, tf("item", "float", 1, 0));
	fields[3] = tf("wide", "fixed_size_list:double:3", 1, 1, tf("item", "double", 1, 0));
	fields[4] = tf("lvec", "list", 1, 1, tf("item", "float", 1, 0));
	cols[0] = tc_fixed("int64", N, id, NULL);
	cols[1] = tc_var("string", N, name, NULL);
	cols[2] = tc_fsl(2, N, vvalid, tc_fixed("float", 2 * N, v, NULL));
	cols[3] = tc_fsl(3, N, NULL, tc_fixed("double", 3 * N, w, NULL));
	cols[4] = tc_list("list", N, loff, NULL, tc_fixed("float", 2 * N, lv, NULL));
	table = ts_new(5, fields, cols, 5);
	table->rs.rowids = backwards_rowids;
}

static char *run(const char *json)
{
	lfs_query *q;
	lfs_err err = { "" };
	lfs_buf out;
	lfs_buf_init(&out);
	if (lfs_query_parse(json, strlen(json), &q, &err)) {
		char *e = malloc(600);
		snprintf(e, 600, "PARSE: %s", err.msg);
		return e;
	}
	lfs_buf_puts(&out, "");
	int rc = lfs_query_run(q, &table->rs, &out, &err);
	lfs_query_free(q);
	if (rc) {
		char *e = malloc(600);
		snprintf(e, 600, "ERR %d: %s", rc, err.msg);
		lfs_buf_free(&out);
		return e;
	}
	lfs_buf_putc(&out, 0);
	return (char *)out.data;
}

static void run_is(const char *json, const char *want)
{
	char *got = run(json);
	tap_is_str(got, want, json);
	free(got);
}

static void run_fails(const char *json, const char *want)
{
	char *got = run(json);
	if (!tap_ok(strncmp(got, "ERR -22: ", 9) == 0 && strstr(got, want), "fails: %s", json))
		tap_diag("got: %s\n# want: %s", got, want);
	free(got);
}

static void test_scan(void)
{
	run_is("{\"columns\": [\"id\", \"name\"], \"limit\": 3}",
	       "{\"id\": 0, \"name\": \"a\", \"_rowid\": 1000}\n"
	       "{\"id\": 10, \"name\": \"b\", \"_rowid\": 999}\n"
	       "{\"id\": 20, \"name\": \"c\", \"_rowid\": 998}\n");
	run_is("{\"columns\": [\"name\"], \"filter\": \"id >= 40 AND name <> 'f'\", \"offset\": 1, \"limit\": 2}",
	       "{\"name\": \"g\", \"_rowid\": 994}\n{\"name\": \"h\", \"_rowid\": 993}\n");
	run_is("{\"columns\": [], \"filter\": \"id IN (0, 110)\"}", "{\"_rowid\": 1000}\n{\"_rowid\": 989}\n");
	run_is("{\"columns\": [\"vec\", \"id\"], \"filter\": \"vec IS NULL OR id = 50\"}",
	       "{\"vec\": null, \"id\": 30, \"_rowid\": 997}\n{\"vec\": [\"NaN\", 0.0], \"id\": 50, \"_rowid\": 995}\n");
	run_is("{\"filter\": \"id = 20\"}",
	       "{\"id\": 20, \"name\": \"c\", \"vec\": [2.0, 2.0], \"wide\": [3.0, -3.0, -2.0], "
	       "\"lvec\": [2.0, 2.0], \"_rowid\": 998}\n");
	run_is("{\"columns\": [\"id\"], \"offset\": 10}", "{\"id\": 100, \"_rowid\": 990}\n{\"id\": 110, \"_rowid\": 989}\n");
	run_is("{\"columns\": [\"id\"], \"offset\": 12}", "");
	run_is("{\"columns\": [\"id\"], \"limit\": 0}", "");
	run_is("{\"columns\": [\"id\"], \"filter\": \"FALSE\"}", "");
	run_is("{\"columns\": [\"id\"], \"filter\": \"id > 95\", \"offset\": 1}", "{\"id\": 110, \"_rowid\": 989}\n");
	run_fails("{\"columns\": [\"id\", \"nope\"]}",
		  "query: \"columns\": no column named 'nope' (the table has: id, name, vec, wide, lvec)");
	run_fails("{\"filter\": \"name > 3\"}", "filter at character 6: cannot compare name (string) with a number");
	run_fails("{\"filter\": \"nope = 3\"}", "filter at character 1: no column named 'nope'");
}

static void test_knn(void)
{
	/* l2 from (1, 1): rows 1, 7, 10 at 0 (ties: _rowid 999, 993, 990 ->
	 * 990 first), row 6 at 0.5, rows 0, 2 and 11 at 2 ... row 5 (NaN) and
	 * row 3 (null) never */
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1], \"k\": 6}, \"columns\": [\"id\"]}",
	       "{\"id\": 100, \"_distance\": 0.0, \"_rowid\": 990}\n"
	       "{\"id\": 70, \"_distance\": 0.0, \"_rowid\": 993}\n"
	       "{\"id\": 10, \"_distance\": 0.0, \"_rowid\": 999}\n"
	       "{\"id\": 60, \"_distance\": 0.5, \"_rowid\": 994}\n"
	       "{\"id\": 110, \"_distance\": 2.0, \"_rowid\": 989}\n"
	       "{\"id\": 20, \"_distance\": 2.0, \"_rowid\": 998}\n");
	/* all rows: 12 minus the null and the NaN */
	char *all = run("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1], \"k\": 100}, \"columns\": []}");
	int lines = 0;
	for (char *p = all; *p; p++)
		lines += *p == '\n';
	tap_ok(lines == 10 && !strstr(all, "997") && !strstr(all, "995"),
	       "k beyond the table: every row but the null and the NaN vector");
	free(all);
	/* the filter comes first (prefilter): k rows even when the nearest fail it */
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1], \"k\": 2}, \"filter\": \"id >= 80\", \"columns\": [\"id\"]}",
	       "{\"id\": 100, \"_distance\": 0.0, \"_rowid\": 990}\n{\"id\": 110, \"_distance\": 2.0, \"_rowid\": 989}\n");
	/* offset and limit cut the ranking as LanceDB's offset/limit do */
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1], \"k\": 2}, \"offset\": 2, \"columns\": [\"id\"]}",
	       "{\"id\": 10, \"_distance\": 0.0, \"_rowid\": 999}\n{\"id\": 60, \"_distance\": 0.5, \"_rowid\": 994}\n");
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1], \"k\": 5}, \"limit\": 1, \"columns\": [\"id\"]}",
	       "{\"id\": 100, \"_distance\": 0.0, \"_rowid\": 990}\n");
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1], \"k\": 5}, \"limit\": 0}", "");
	/* without k, limit is k (as LanceDB's limit is) */
	char *many = run("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1]}, \"limit\": 11, \"columns\": []}");
	int nl = 0;
	for (char *p = many; *p; p++)
		nl += *p == '\n';
	tap_ok(nl == 10, "limit 11 without k: every one of the 10 rows with a distance (%d)", nl);
	free(many);
	many = run("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1]}, \"columns\": []}");
	nl = 0;
	for (char *p = many; *p; p++)
		nl += *p == '\n';
	tap_ok(nl == 10, "no k and no limit: 10 rows (%d)", nl);
	free(many);
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1]}, \"limit\": 2, \"offset\": 1, \"columns\": [\"id\"]}",
	       "{\"id\": 70, \"_distance\": 0.0, \"_rowid\": 993}\n{\"id\": 10, \"_distance\": 0.0, \"_rowid\": 999}\n");
	/* every column by default, in table order */
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [4, 4], \"k\": 1}}",
	       "{\"id\": 90, \"name\": \"j\", \"vec\": [4.0, 4.0], \"wide\": [3.0, -3.0, -2.0], \"lvec\": [4.0, 4.0], "
	       "\"_distance\": 0.0, \"_rowid\": 991}\n");
	/* cosine and dot */
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 0], \"k\": 2, \"metric\": \"dot\"}, \"columns\": [\"id\"]}",
	       "{\"id\": 90, \"_distance\": -3.0, \"_rowid\": 991}\n{\"id\": 40, \"_distance\": -2.0, \"_rowid\": 996}\n");
	run_is("{\"nearest\": {\"column\": \"vec\", \"vector\": [-2, -2], \"k\": 1, \"metric\": \"cosine\"}, \"columns\": [\"id\"]}",
	       "{\"id\": 80, \"_distance\": 0.0, \"_rowid\": 992}\n");
	/* float64 vectors, and the columns of the winners read from far apart */
	run_is("{\"nearest\": {\"column\": \"wide\", \"vector\": [-3, -2, -1], \"k\": 2}, \"columns\": [\"name\"]}",
	       "{\"name\": \"h\", \"_distance\": 0.0, \"_rowid\": 993}\n{\"name\": \"a\", \"_distance\": 0.0, \"_rowid\": 1000}\n");
	/* list<float> vectors */
	run_is("{\"nearest\": {\"column\": \"lvec\", \"vector\": [4, 4], \"k\": 1}, \"columns\": [\"id\"]}",
	       "{\"id\": 90, \"_distance\": 0.0, \"_rowid\": 991}\n");
	/* errors that need the table */
	run_fails("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 2, 3]}}",
		  "query: \"nearest.vector\" has 3 numbers, column 'vec' holds vectors of 2");
	run_fails("{\"nearest\": {\"column\": \"name\", \"vector\": [1, 2]}}",
		  "query: \"nearest.column\": column 'name' is string, not a vector column");
	run_fails("{\"nearest\": {\"column\": \"nope\", \"vector\": [1, 2]}}",
		  "query: \"nearest.column\": no column named 'nope'");
	run_fails("{\"nearest\": {\"vector\": [1, 2]}}",
		  "query: the table has 2 vector columns; say which in \"nearest.column\"");
	run_fails("{\"nearest\": {\"column\": \"lvec\", \"vector\": [1, 2, 3]}}",
		  "of column 'lvec' holds 2 numbers, \"nearest.vector\" 3");
	run_fails("{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 2]}, \"filter\": \"vec > 1\"}",
		  "filter at character 1: vec (fixed_size_list:float:2) cannot be compared");
}

/* The same answers whatever the threads and chunks. */
static void test_threads(void)
{
	const char *q = "{\"nearest\": {\"column\": \"vec\", \"vector\": [0.7, 0.9], \"k\": 8}, \"filter\": \"id <> 20\"}";
	lfs_search_set_threads(1);
	char *one = run(q);
	int same = 1;
	for (unsigned t = 2; t <= 8; t++) {
		for (uint64_t page = 1; page <= 13; page += 4) {
			lfs_search_set_threads(t);
			table->page = page;
			char *got = run(q);
			if (strcmp(got, one) != 0) {
				same = 0;
				tap_diag("threads %u, page %llu:\n%s", t, (unsigned long long)page, got);
			}
			free(got);
		}
	}
	tap_ok(same && strstr(one, "_rowid"), "1 to 8 threads, chunks of 1 to 13 rows: the same results");
	free(one);
	lfs_search_set_threads(0);
	table->page = 5;
}

/* A read error reaches the caller with its message; out is unchanged. */
static void test_read_errors(void)
{
	lfs_query *q;
	lfs_err err = { "" };
	lfs_buf out;
	const char *json = "{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1]}}";
	lfs_buf_init(&out);
	lfs_buf_puts(&out, "before");
	lfs_query_parse(json, strlen(json), &q, &err);
	table->fail_at_row = 7;
	int rc = lfs_query_run(q, &table->rs, &out, &err);
	tap_ok(rc == -5 && out.len == 6, "a failing read fails the query (%d: %s) and leaves out as it was", rc,
	       err.msg);
	lfs_query_free(q);
	json = "{\"filter\": \"id > 100\"}";
	lfs_query_parse(json, strlen(json), &q, &err);
	rc = lfs_query_run(q, &table->rs, &out, &err);
	tap_ok(rc == -5 && out.len == 6, "also in a scan (%d)", rc);
	lfs_query_free(q);
	table->fail_at_row = -1;
	lfs_buf_free(&out);
}

static void test_error_line(void)
{
	lfs_buf b;
	lfs_buf_init(&b);
	lfs_query_error_line(&b, "filter at character 3: cannot compare \"s\"\n with\ta number");
	lfs_buf_putc(&b, 0);
	tap_is_str((char *)b.data,
		   "{\"error\": \"filter at character 3: cannot compare \\\"s\\\"\\n with\\ta number\"}\n",
		   "error line: a JSON object on one line");
	lfs_buf_free(&b);
}

/* Valid queries with random bytes changed, dropped or repeated: each
 * parses and runs, or fails with -EINVAL and a message; nothing else. */
static void test_mutations(void)
{
	static const char *const seeds[] = {
		"{\"nearest\": {\"column\": \"vec\", \"vector\": [1, 1], \"k\": 3, \"metric\": \"cosine\"}, \"filter\": \"id > 20 AND name LIKE 'a%'\", \"columns\": [\"id\"]}",
		"{\"filter\": \"id IN (10, 20, NULL) OR name IS NULL\", \"columns\": [\"name\", \"wide\"], \"limit\": 4, \"offset\": 1}",
		"{\"nearest\": {\"column\": \"lvec\", \"vector\": [0.5, 2]}, \"limit\": 3}",
	};
	const char *chars = "{}[]\":,0123456789.-eE aAbkz'%_()=<>!\\\xc3\xa9";
	uint64_t x = 0x2545f4914f6cdd1dULL;
	int ran = 0, bad = 0;
	lfs_search_set_threads(2);
	for (int round = 0; round < 6000; round++) {
		char q[400];
		const char *seed = seeds[round % 3];
		size_t len = strlen(seed);
		memcpy(q, seed, len + 1);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int edits = 1 + (int)(x % 3);
		for (int k = 0; k < edits; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = (size_t)(x >> 8) % len;
			switch (x % 3) {
			case 0: q[at] = chars[(x >> 40) % strlen(chars)]; break;
			case 1: memmove(q + at, q + at + 1, len - at); len--; break;
			default:
				if (len + 1 < sizeof(q)) {
					memmove(q + at + 1, q + at, len - at + 1);
					len++;
				}
				break;
			}
		}
		lfs_query *qq = NULL;
		lfs_err err = { "" };
		int rc = lfs_query_parse(q, len, &qq, &err);
		if (rc) {
			if (rc != -22 || !err.msg[0]) {
				bad++;
				tap_diag("parse %d [%s]: %s", rc, q, err.msg);
			}
			continue;
		}
		lfs_buf out;
		lfs_buf_init(&out);
		rc = lfs_query_run(qq, &table->rs, &out, &err);
		if (rc && (rc != -22 || !err.msg[0])) {
			bad++;
			tap_diag("run %d [%s]: %s", rc, q, err.msg);
		}
		ran += rc == 0;
		lfs_buf_free(&out);
		lfs_query_free(qq);
	}
	lfs_search_set_threads(0);
	tap_ok(bad == 0 && ran > 100, "6000 mutated queries: %d run, %d misbehave", ran, bad);
}

int main(void)
{
	test_parse();
	make_table();
	test_scan();
	test_knn();
	test_threads();
	test_read_errors();
	test_error_line();
	test_mutations();
	ts_free(table);
	return tap_done();
}
