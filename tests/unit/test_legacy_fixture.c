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

