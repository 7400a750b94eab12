/* Test helpers for the data-file reader tests.  See test_legacy_fixture.h. */
#include "test_legacy_fixture.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ TAP */

static int tap_planned = -1, tap_run, tap_failed;

void fx_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

int fx_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_run++;
	if (!cond)
		tap_failed++;
	printf("%s %d - ", cond ? "ok" : "not ok", tap_run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

void fx_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int fx_done(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		fx_diag("planned %d tests but ran %d", tap_planned, tap_run);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_run) ? 1 : 0;
}

/* ------------------------------------------------------------ files */

int fx_read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	lfs_buf b;
	char chunk[65536];
	size_t got;

	*data = NULL;
	*len = 0;
	if (!fp)
		return -errno;
	lfs_buf_init(&b);
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (lfs_buf_append(&b, chunk, got)) {
			fclose(fp);
			lfs_buf_free(&b);
			return -ENOMEM;
		}
	}
	fclose(fp);
	if (lfs_buf_putc(&b, 0)) { /* keeps an empty file's buffer non-NULL */
		lfs_buf_free(&b);
		return -ENOMEM;
	}
	*data = lfs_buf_steal(&b, len);
	(*len)--;
	return 0;
}

/* ------------------------------------------------------------ memory store */

typedef struct mem_store {
	char *key;
	const uint8_t *data;
	size_t len;
} mem_store;

static int mem_read(void *impl, const char *key, uint64_t off, void *buf, size_t len, size_t *got,
		    lfs_err *err)
{
	mem_store *m = impl;
	*got = 0;
	if (strcmp(key, m->key) != 0)
		return lfs_fail(err, -ENOENT, "%s: no such object", key);
	if (off >= m->len)
		return 0;
	*got = m->len - off < len ? (size_t)(m->len - off) : len;
	memcpy(buf, m->data + off, *got);
	return 0;
}

static int mem_stat(void *impl, const char *key, lfs_object_info *out, lfs_err *err)
{
	mem_store *m = impl;
	if (strcmp(key, m->key) != 0)
		return lfs_fail(err, -ENOENT, "%s: no such object", key);
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

static void mem_close(void *impl)
{
	mem_store *m = impl;
	free(m->key);
	free(m);
}

static const lfs_store_ops mem_ops = { mem_read, mem_stat, mem_list, mem_close };

lfs_store *fx_mem_store(const char *key, const uint8_t *data, size_t len)
{
	mem_store *m = calloc(1, sizeof(*m));
	lfs_store *s;
	if (!m)
		return NULL;
	m->key = strdup(key);
	m->data = data;
	m->len = len;
	if (!m->key || !(s = lfs_store_new(&mem_ops, m, "memory"))) {
		free(m->key);
		free(m);
		return NULL;
	}
	return s;
}

/* ------------------------------------------------------------ datasets */

int fx_table_open(fx_table *t, const char *dir, lfs_err *err)
{
	lfs_store_entry *ents = NULL;
	size_t n = 0;
	uint64_t best = 0;
	const char *best_name = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	char *key;
	int rc;

	memset(t, 0, sizeof(*t));
	t->dir = strdup(dir);
	rc = lfs_store_open_local(dir, &t->store, err);
	if (rc)
		return rc;
	rc = lfs_store_list(t->store, "_versions", &ents, &n, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (!ents[i].is_dir && lfs_version_from_filename(ents[i].name, &v) == 0 &&
		    (!best_name || v > best)) {
			best = v;
			best_name = ents[i].name;
		}
	}
	if (!best_name) {
		lfs_store_entries_free(ents, n);
		return lfs_fail(err, -ENOENT, "%s: no manifest", dir);
	}
	key = lfs_key_join("_versions", best_name);
	lfs_store_entries_free(ents, n);
	if (!key)
		return -ENOMEM;
	rc = lfs_store_read_all(t->store, key, &bytes, &len, err);
	free(key);
	if (rc)
		return rc;
	rc = lfs_manifest_parse_file(bytes, len, &t->m, err);
	free(bytes);
	return rc;
}

void fx_table_close(fx_table *t)
{
	if (t->m)
		lfs_manifest_free(t->m);
	if (t->store)
		lfs_store_close(t->store);
	free(t->dir);
	memset(t, 0, sizeof(*t));
}

const lfs_data_file *fx_file_for(const fx_table *t, int32_t id)
{
	if (!t->m || t->m->n_fragments == 0)
		return NULL;
	const lfs_fragment *fr = &t->m->fragments[0];
	for (size_t i = 0; i < fr->n_files; i++)
		for (size_t k = 0; k < fr->files[i].n_fields; k++)
			if (fr->files[i].fields[k] == id)
				return &fr->files[i];
	return NULL;
}

int fx_open_field_file(const fx_table *t, const lfs_field *f, lfs_lfile **out, lfs_err *err)
{
	const lfs_data_file *df = fx_file_for(t, f->id);
	char *key;
	int rc;

	*out = NULL;
	if (!df)
		return lfs_fail(err, -ENOENT, "no data file holds field %s", f->name);
	key = lfs_key_join("data", df->path);
	if (!key)
		return -ENOMEM;
	rc = lfs_lfile_open(t->store, key, df->size_bytes, df, &t->m->schema, out, err);
	free(key);
	return rc;
}

/* ------------------------------------------------------------ rendering */

static int put_hex(lfs_buf *out, const uint8_t *p, uint64_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (uint64_t i = 0; i < n; i++) {
		if (lfs_buf_putc(out, digits[p[i] >> 4]) || lfs_buf_putc(out, digits[p[i] & 15]))
			return -ENOMEM;
	}
	return 0;
}

int fx_render(const lfs_column *c, uint64_t row, lfs_buf *out)
{
	int rc = 0;

	if (c->type.id == LFS_T_NULL || !lfs_column_is_valid(c, row))
		return lfs_buf_puts(out, "null");
	switch (c->type.id) {
	case LFS_T_BOOL:
		return lfs_buf_puts(out, lfs_column_bool(c, row) ? "true" : "false");
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8: case LFS_T_BINARY: case LFS_T_LARGE_BINARY:
		if (!c->offsets || c->offsets[row + 1] < c->offsets[row] || c->offsets[row + 1] > c->data_len)
			return lfs_buf_puts(out, "<bad offsets>");
		rc = lfs_buf_putc(out, '"');
		rc = rc ? rc : put_hex(out, c->data + c->offsets[row], c->offsets[row + 1] - c->offsets[row]);
		return rc ? rc : lfs_buf_putc(out, '"');
	case LFS_T_LIST: case LFS_T_LARGE_LIST: case LFS_T_MAP:
		if (c->n_children != 1)
			return lfs_buf_puts(out, "<no child>");
		rc = lfs_buf_putc(out, '[');
		for (uint64_t k = c->offsets[row]; !rc && k < c->offsets[row + 1]; k++) {
			if (k > c->offsets[row])
				rc = lfs_buf_putc(out, ',');
			rc = rc ? rc : fx_render(&c->children[0], k, out);
		}
		return rc ? rc : lfs_buf_putc(out, ']');
	case LFS_T_FIXED_SIZE_LIST: {
		uint64_t n = (uint64_t)c->type.list_size;
		if (c->n_children != 1)
			return lfs_buf_puts(out, "<no child>");
		rc = lfs_buf_putc(out, '[');
		for (uint64_t k = 0; !rc && k < n; k++) {
			if (k)
				rc = lfs_buf_putc(out, ',');
			rc = rc ? rc : fx_render(&c->children[0], row * n + k, out);
		}
		return rc ? rc : lfs_buf_putc(out, ']');
	}
	case LFS_T_STRUCT:
		rc = lfs_buf_putc(out, '{');
		for (uint32_t k = 0; !rc && k < c->n_children; k++) {
			if (k)
				rc = lfs_buf_putc(out, ',');
			rc = rc ? rc : fx_render(&c->children[k], row, out);
		}
		return rc ? rc : lfs_buf_putc(out, '}');
	default:
		if (!c->width || !c->values)
			return lfs_buf_puts(out, "<no values>");
		return put_hex(out, c->values + row * c->width, c->width);
	}
}

/* ------------------------------------------------------------ expected values */

int fx_expected_load(fx_expected *e, const char *path)
{
	uint8_t *data;
	size_t len, cap = 0;
	int rc = fx_read_file(path, &data, &len);

	memset(e, 0, sizeof(*e));
	if (rc)
		return rc;
	char *save = NULL;
	for (char *line = strtok_r((char *)data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t2)
			continue;
		*t1 = *t2 = 0;
		if (e->n == cap) {
			cap = cap ? cap * 2 : 256;
			fx_expected_row *p = realloc(e->rows, cap * sizeof(*p));
			if (!p) {
				free(data);
				return -ENOMEM;
			}
			e->rows = p;
		}
		e->rows[e->n].column = strdup(line);
		e->rows[e->n].row = strtoull(t1 + 1, NULL, 10);
		e->rows[e->n].value = strdup(t2 + 1);
		e->n++;
	}
	free(data);
	return 0;
}

void fx_expected_free(fx_expected *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->rows[i].column);
		free(e->rows[i].value);
	}
	free(e->rows);
	memset(e, 0, sizeof(*e));
}

size_t fx_compare_column(const fx_expected *e, const char *column, const lfs_column *c,
			 size_t *checked)
{
	size_t bad = 0;
	lfs_buf b;

	*checked = 0;
	lfs_buf_init(&b);
	for (size_t i = 0; i < e->n; i++) {
		const fx_expected_row *r = &e->rows[i];
		if (strcmp(r->column, column) != 0)
			continue;
		(*checked)++;
		b.len = 0;
		if (r->row >= c->length) {
			if (bad++ < 3)
				fx_diag("%s row %llu: past the decoded %llu rows", column,
					(unsigned long long)r->row, (unsigned long long)c->length);
			continue;
		}
		if (fx_render(c, r->row, &b) || lfs_buf_putc(&b, 0)) {
			bad++;
			continue;
		}
		if (strcmp((char *)b.data, r->value) != 0 && bad++ < 3)
			fx_diag("%s row %llu: got %s, LanceDB read %s", column, (unsigned long long)r->row,
				(char *)b.data, r->value);
	}
	lfs_buf_free(&b);
	return bad;
}

/* ------------------------------------------------------------ whole tables */

/* Renders rows [start, start + count) of `whole` and of `part` and compares. */
int fx_same_rows(const lfs_column *whole, uint64_t start, const lfs_column *part, uint64_t count)
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

void fx_check_table(const char *datadir, const char *name, uint32_t want_major, uint32_t want_minor,
		    const uint64_t (*slices)[2], size_t n_slices)
{
	char *dir = lfs_strdup_printf("%s/%s.lance", datadir, name);
	char *exp_path = lfs_strdup_printf("%s/%s.expected", datadir, name);
	fx_table t;
	fx_expected e;
	lfs_err err = { { 0 } };
	int opened = fx_table_open(&t, dir, &err) == 0;
	int loaded = fx_expected_load(&e, exp_path) == 0 && e.n > 0;

	free(dir);
	free(exp_path);
	if (!fx_ok(opened, "%s: manifest opens", name)) {
		fx_diag("%s", err.msg);
		fx_expected_free(&e);
		fx_table_close(&t);
		return;
	}
	if (!fx_ok(loaded, "%s: expected values load", name)) {
		fx_expected_free(&e);
		fx_table_close(&t);
		return;
	}

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
			lfs_lfile_close(lf);
			continue;
		}
		bad = fx_compare_column(&e, f->name, &whole, &checked);
		fx_ok(bad == 0 && checked > 0 && major == want_major && minor == want_minor &&
		      whole.length == t.m->fragments[0].physical_rows,
		      "%s.%s: %zu values equal what LanceDB read (file version %u.%u, %llu rows)", name,
		      f->name, checked, major, minor, (unsigned long long)whole.length);

		/* slices: the same rows as the whole read */
		int slices_ok = 1;
		for (size_t s = 0; s < n_slices; s++) {
			uint64_t start = slices[s][0], count = slices[s][1];
			lfs_column part;
			if (start + count > rows)
				continue;
			lfs_column_init(&part, &f->type);
			rc = lfs_lfile_read(lf, f, start, count, &part, &err);
			if (rc || !fx_same_rows(&whole, start, &part, count)) {
				if (slices_ok)
					fx_diag("%s.%s: slice %llu+%llu differs (%d %s)", name, f->name,
						(unsigned long long)start, (unsigned long long)count, rc,
						rc ? err.msg : "");
				slices_ok = 0;
			}
			lfs_column_free(&part);
		}
		fx_ok(slices_ok, "%s.%s: slices at odd offsets equal the whole read", name, f->name);

		uint64_t *starts = NULL;
		size_t n = 0, k;
		rc = lfs_lfile_page_starts(lf, f, &starts, &n, &err);
		for (k = 1; rc == 0 && k < n && starts[k] > starts[k - 1] && starts[k] < rows; k++)
			;
		if (rc || n == 0 || starts[0] != 0 || k != n)
			fx_ok(0, "%s.%s: page starts ascend from 0 (%d %s)", name, f->name, rc, err.msg);
		free(starts);
		lfs_column_free(&whole);
		lfs_lfile_close(lf);
	}
	fx_expected_free(&e);
	fx_table_close(&t);
}


/* ------------------------------------------------------------ fuzz checks */

#define FUZZ_KEY FX_FUZZ_KEY
#define WHOLE_READ_MAX 100000

/* Structural sanity of a decoded column: lengths and offsets agree. */
static int column_ok(const lfs_column *c, uint64_t length, char *why, size_t n)
{
	if (c->length != length) {
		snprintf(why, n, "column has %llu rows, %llu were asked for",
			 (unsigned long long)c->length, (unsigned long long)length);
		return 0;
	}
	/* an empty read may come back without offsets or children (file2.c's
	 * empty 2.0 reads do); consumers cope with a zero length */
	if (length == 0 && !c->offsets && c->n_children == 0)
		return 1;
	switch (c->type.id) {
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8: case LFS_T_BINARY: case LFS_T_LARGE_BINARY:
	case LFS_T_LIST: case LFS_T_LARGE_LIST:
		if (!c->offsets || c->offsets[0] != 0) {
			snprintf(why, n, "offsets missing or not starting at 0");
			return 0;
		}
		for (uint64_t i = 0; i < length; i++) {
			if (c->offsets[i + 1] < c->offsets[i]) {
				snprintf(why, n, "offsets go down at row %llu", (unsigned long long)i);
				return 0;
			}
		}
		if (c->type.id == LFS_T_LIST || c->type.id == LFS_T_LARGE_LIST) {
			if (c->n_children != 1) {
				snprintf(why, n, "list without a child");
				return 0;
			}
			return column_ok(&c->children[0], c->offsets[length], why, n);
		}
		if (c->offsets[length] != c->data_len || (c->data_len && !c->data)) {
			snprintf(why, n, "offsets end at %llu but there are %llu bytes",
				 (unsigned long long)c->offsets[length], (unsigned long long)c->data_len);
			return 0;
		}
		return 1;
	case LFS_T_FIXED_SIZE_LIST:
		if (c->n_children != 1) {
			snprintf(why, n, "fixed_size_list without a child");
			return 0;
		}
		return column_ok(&c->children[0], length * (uint64_t)c->type.list_size, why, n);
	case LFS_T_STRUCT:
		for (uint32_t k = 0; k < c->n_children; k++)
			if (!column_ok(&c->children[k], length, why, n))
				return 0;
		return 1;
	default:
		if (length && c->type.id != LFS_T_NULL && !c->values) {
			snprintf(why, n, "no values");
			return 0;
		}
		return 1;
	}
}

/* Checks one failure: the allowed codes, and a message naming the file; a
 * failed read also names its column and, for damage, the file offset. */
static int failure_ok(int rc, const lfs_err *err, const char *column, char *why, size_t n)
{
	char want[200];
	if (rc != -EIO && rc != -ENOTSUP) {
		snprintf(why, n, "error %d (%.300s) is neither EIO nor ENOTSUP", rc, err->msg);
		return 0;
	}
	if (!strstr(err->msg, FUZZ_KEY)) {
		snprintf(why, n, "message does not name the file: %.300s", err->msg);
		return 0;
	}
	if (!column)
		return 1;
	/* Decoders name the column by its field path, and give the offset of
	 * the damage.  The v2 container (format/file2.c) names columns by their
	 * index; its messages are held to naming the file and column only. */
	snprintf(want, sizeof(want), "column %s", column);
	const char *c = strstr(err->msg, "column ");
	int by_index = c && c[7] >= '0' && c[7] <= '9';
	char as_field[200];
	snprintf(as_field, sizeof(as_field), "field %s", column);
	by_index |= strstr(err->msg, as_field) != NULL;
	if (!strstr(err->msg, want) && !by_index) {
		snprintf(why, n, "message does not name column %.60s: %.300s", column, err->msg);
		return 0;
	}
	/* damage the manifest describes has no offset in the data file */
	if (rc == -EIO && !by_index && !strstr(err->msg, "offset") && !strstr(err->msg, "manifest")) {
		snprintf(why, n, "message names no offset: %.300s", err->msg);
		return 0;
	}
	return 1;
}

static int read_and_check(lfs_lfile *lf, const lfs_field *f, uint64_t start, uint64_t count,
			  fx_outcome *out)
{
	lfs_err err = { { 0 } };
	lfs_column c;
	char why[400];
	int ok;

	out->reads++;
	lfs_column_init(&c, &f->type);
	int rc = lfs_lfile_read(lf, f, start, count, &c, &err);
	if (rc) {
		out->read_failed++;
		snprintf(out->last_error, sizeof(out->last_error), "%s", err.msg);
		snprintf(out->last_read_error, sizeof(out->last_read_error), "%s", err.msg);
		ok = failure_ok(rc, &err, f->name, why, sizeof(why));
	} else {
		ok = column_ok(&c, count, why, sizeof(why));
	}
	lfs_column_free(&c);
	if (!ok)
		snprintf(out->why, sizeof(out->why), "column %s rows %llu+%llu: %s", f->name,
			 (unsigned long long)start, (unsigned long long)count, why);
	return ok;
}

static int field_in(const lfs_data_file *df, int32_t id)
{
	for (size_t i = 0; i < df->n_fields; i++)
		if (df->fields[i] == id)
			return 1;
	return 0;
}

int fx_fuzz_check(const uint8_t *data, size_t size, const lfs_schema *schema,
		      const lfs_data_file *df, fx_outcome *out)
{
	lfs_store *store = fx_mem_store(FUZZ_KEY, data, size);
	lfs_lfile *lf = NULL;
	lfs_err err = { { 0 } };
	int ok = 1, rc;

	out->why[0] = 0;
	if (!store)
		return 1; /* out of memory: nothing to judge */
	rc = lfs_lfile_open(store, FUZZ_KEY, size, df, schema, &lf, &err);
	if (rc) {
		out->open_failed++;
		snprintf(out->last_error, sizeof(out->last_error), "%s", err.msg);
		ok = failure_ok(rc, &err, NULL, out->why, sizeof(out->why));
		lfs_store_close(store);
		return ok;
	}
	out->opened++;
	uint64_t rows = lfs_lfile_num_rows(lf);
	for (size_t i = 0; ok && i < schema->n_top; i++) {
		const lfs_field *f = schema->top[i];
		uint64_t *starts = NULL;
		size_t n_starts = 0;
		if (!field_in(df, f->id))
			continue;
		if (rows <= WHOLE_READ_MAX) {
			ok = read_and_check(lf, f, 0, rows, out);
		} else {
			ok = read_and_check(lf, f, 0, 1000, out) &&
			     read_and_check(lf, f, rows - 1000, 1000, out);
		}
		if (ok && rows > 2)
			ok = read_and_check(lf, f, rows / 3, rows / 3 < 50 ? rows / 3 : 50, out);
		if (ok) {
			rc = lfs_lfile_page_starts(lf, f, &starts, &n_starts, &err);
			if (rc == 0 && (n_starts == 0 || starts[0] != 0)) {
				snprintf(out->why, sizeof(out->why), "page starts do not begin at row 0");
				ok = 0;
			}
			free(starts);
		}
	}
	lfs_lfile_close(lf);
	lfs_store_close(store);
	return ok;
}


/* ------------------------------------------------------------ mutations */

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure names a reproducible case */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

void fx_mutate_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

static uint64_t below(uint64_t n)
{
	return n ? rng() % n : 0;
}

/* Picks a byte position; half of them in the file's last quarter, where the
 * positions, the page tables and the metadata live. */
static size_t pick(size_t size)
{
	if (rng() & 1)
		return (size_t)below(size);
	return size - 1 - (size_t)below(size / 4 + 1);
}

size_t fx_mutate(const uint8_t *orig, size_t size, uint8_t *buf, unsigned kind, char *what,
		     size_t what_len)
{
	static const uint64_t extremes[] = {
		0, 1, 0xffffffffffffffffull, 0x7fffffff, 0x80000000ull, 0xffffffffull,
		0x7fffffffffffffffull, 0x8000000000000000ull, 1ull << 32, 1ull << 40,
	};
	memcpy(buf, orig, size);
	switch (kind % 4) {
	case 0: { /* flip 1..3 bits */
		unsigned n = 1 + (unsigned)below(3);
		size_t at = 0;
		for (unsigned i = 0; i < n; i++) {
			at = pick(size);
			buf[at] ^= (uint8_t)(1u << below(8));
		}
		snprintf(what, what_len, "%u bit flips, last at %zu", n, at);
		return size;
	}
	case 1: { /* an 8-byte word (or a 4-byte one) becomes an extreme value */
		size_t at = pick(size);
		uint64_t v = rng() & 3 ? extremes[below(sizeof(extremes) / sizeof(extremes[0]))]
				       : (uint64_t)size - below(64);
		size_t w = rng() & 1 ? 8 : 4;
		if (at + w > size)
			at = size - w;
		memcpy(buf + at, &v, w);
		snprintf(what, what_len, "%zu bytes at %zu set to %llu", w, at, (unsigned long long)v);
		return size;
	}
	case 2: { /* truncated */
		size_t n = (size_t)below(size);
		snprintf(what, what_len, "truncated to %zu bytes", n);
		return n;
	}
	default: { /* bytes cut out before the footer, which is kept */
		size_t at = (size_t)below(size - 16), n = 1 + (size_t)below(size - 16 - at);
		memmove(buf + at, orig + at + n, size - at - n);
		snprintf(what, what_len, "%zu bytes cut out at %zu", n, at);
		return size - n;
	}
	}
}

void fx_replay_table(const char *datadir, const char *name, unsigned mutations,
		     void (*entry)(const fx_table *t, const lfs_data_file *df, const uint8_t *data,
				   size_t size))
{
	char *dir = lfs_strdup_printf("%s/%s.lance", datadir, name);
	fx_table t;
	lfs_err err = { { 0 } };
	int rc = fx_table_open(&t, dir, &err);

	if (rc || t.m->n_fragments == 0) {
		fx_ok(0, "%s: table opens (%s)", name, err.msg);
		fx_table_close(&t);
		free(dir);
		return;
	}
	const lfs_fragment *fr = &t.m->fragments[0];
	for (size_t fi = 0; fi < fr->n_files; fi++) {
		const lfs_data_file *df = &fr->files[fi];
		char *path = lfs_strdup_printf("%s/data/%s", dir, df->path);
		uint8_t *orig = NULL, *buf = NULL;
		size_t size = 0;
		fx_outcome out;

		memset(&out, 0, sizeof(out));
		if (fx_read_file(path, &orig, &size) || size < 64 || !(buf = malloc(size))) {
			fx_ok(0, "%s: reads %s", name, path);
			free(orig);
			free(path);
			continue;
		}
		/* the original decodes without any failure */
		int ok = fx_fuzz_check(orig, size, &t.m->schema, df, &out);
		fx_ok(ok && out.open_failed == 0 && out.read_failed == 0 && out.reads > 0,
		      "%s file %zu: the original decodes cleanly (%u reads) %s", name, fi, out.reads, out.why);
		/* and through the libFuzzer entry point */
		if (entry)
			entry(&t, df, orig, size);

		memset(&out, 0, sizeof(out));
		fx_mutate_seed(0x9e3779b97f4a7c15ull ^ ((uint64_t)size << 20) ^ fi);
		unsigned bad = 0;
		char what[160], first_bad[900] = "";
		for (unsigned i = 0; i < mutations; i++) {
			size_t n = fx_mutate(orig, size, buf, i, what, sizeof(what));
			if (!fx_fuzz_check(buf, n, &t.m->schema, df, &out)) {
				if (!bad++) {
					snprintf(first_bad, sizeof(first_bad), "mutation %u (%s): %s", i, what,
						 out.why);
					/* FX_DUMP_BAD=FILE keeps the first bad input for a closer look */
					const char *dump = getenv("FX_DUMP_BAD");
					FILE *fp = dump ? fopen(dump, "wb") : NULL;
					if (fp) {
						fwrite(buf, 1, n, fp);
						fclose(fp);
					}
				}
			}
		}
		fx_ok(bad == 0, "%s file %zu: %u mutations decode or fail cleanly "
		      "(%u opens failed, %u of %u reads failed)", name, fi, mutations,
		      out.open_failed, out.read_failed, out.reads);
		if (bad)
			fx_diag("%u bad, first: %s", bad, first_bad);
		else
			fx_diag("a failed open: %s\n# a failed read: %s", out.last_error,
				out.last_read_error);
		free(buf);
		free(orig);
		free(path);
	}
	fx_table_close(&t);
	free(dir);
}

