/* Helpers for the view tests; see test_view_util.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_view_util.h"

/* ------------------------------------------------------------------ TAP */

static int tap_n, tap_failed;

int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int tap_is_str(const char *got, const char *want, const char *name)
{
	int ok = got && strcmp(got, want) == 0;
	tap_ok(ok, "%s", name);
	if (!ok) {
		tap_diag("     got: [%s]", got ? got : "(null)");
		tap_diag("expected: [%s]", want);
	}
	return ok;
}

int tap_is_mem(const void *got, size_t got_len, const void *want, size_t want_len,
	       const char *name)
{
	int ok = got_len == want_len && (want_len == 0 || memcmp(got, want, want_len) == 0);
	tap_ok(ok, "%s", name);
	if (!ok) {
		size_t i = 0;
		while (i < got_len && i < want_len && ((const uint8_t *)got)[i] == ((const uint8_t *)want)[i])
			i++;
		tap_diag("lengths %zu vs %zu, first difference at %zu", got_len, want_len, i);
	}
	return ok;
}

int tap_done(void)
{
	printf("1..%d\n", tap_n);
	t_cleanup();
	return tap_failed ? 1 : 0;
}

/* --------------------------------------------------------------- fields */

static lfs_field **all_fields;
static size_t n_all_fields;

lfs_field *tf(const char *name, const char *logical, int nullable, size_t nch, ...)
{
	lfs_field *f = calloc(1, sizeof(*f));
	va_list ap;

	f->name = strdup(name);
	f->logical_type = strdup(logical);
	f->nullable = nullable;
	f->type = tt(logical);
	if (strcmp(logical, "lance.bfloat16") == 0)
		f->extension_name = strdup("lance.bfloat16");
	f->children = calloc(nch ? nch : 1, sizeof(*f->children));
	f->n_children = nch;
	va_start(ap, nch);
	for (size_t i = 0; i < nch; i++) {
		f->children[i] = va_arg(ap, lfs_field *);
		f->children[i]->parent = f;
	}
	va_end(ap);
	all_fields = realloc(all_fields, (n_all_fields + 1) * sizeof(*all_fields));
	all_fields[n_all_fields++] = f;
	return f;
}

void t_cleanup(void)
{
	for (size_t i = 0; i < n_all_fields; i++) {
		free(all_fields[i]->name);
		free(all_fields[i]->logical_type);
		free(all_fields[i]->extension_name);
		free(all_fields[i]->children);
		free(all_fields[i]);
	}
	free(all_fields);
	all_fields = NULL;
	n_all_fields = 0;
}

/* -------------------------------------------------------------- columns */

lfs_type tt(const char *logical)
{
	lfs_type t;
	if (strcmp(logical, "lance.bfloat16") == 0) {
		memset(&t, 0, sizeof(t));
		t.id = LFS_T_FIXED_SIZE_BINARY;
		t.byte_width = 2;
		return t;
	}
	if (lfs_parse_logical_type(logical, &t) != 0) {
		fprintf(stderr, "bad logical type %s\n", logical);
		abort();
	}
	return t;
}

static uint32_t width_of(const lfs_type *t)
{
	switch (t->id) {
	case LFS_T_INT8: case LFS_T_UINT8: return 1;
	case LFS_T_INT16: case LFS_T_UINT16: case LFS_T_FLOAT16: return 2;
	case LFS_T_INT32: case LFS_T_UINT32: case LFS_T_FLOAT32: case LFS_T_DATE32:
	case LFS_T_TIME32: return 4;
	case LFS_T_DECIMAL128: return 16;
	case LFS_T_DECIMAL256: return 32;
	case LFS_T_FIXED_SIZE_BINARY: return (uint32_t)t->byte_width;
	default: return 8;
	}
}

static uint8_t *make_validity(uint64_t n, const int *valid, uint64_t *nulls)
{
	*nulls = 0;
	if (!valid)
		return NULL;
	uint8_t *bits = calloc((n + 7) / 8 + 1, 1);
	for (uint64_t i = 0; i < n; i++) {
		if (valid[i])
			lfs_bit_set(bits, i, 1);
		else
			(*nulls)++;
	}
	return bits;
}

lfs_column tc_fixed(const char *logical, uint64_t n, const void *vals, const int *valid)
{
	lfs_column c;
	memset(&c, 0, sizeof(c));
	c.type = tt(logical);
	c.width = width_of(&c.type);
	c.length = n;
	c.values = calloc(n * c.width + 1, 1);
	if (vals)
		memcpy(c.values, vals, n * c.width);
	c.validity = make_validity(n, valid, &c.null_count);
	if (valid) /* null slots hold zero bytes */
		for (uint64_t i = 0; i < n; i++)
			if (!valid[i])
				memset(c.values + i * c.width, 0, c.width);
	return c;
}

lfs_column tc_bool(uint64_t n, const int *vals, const int *valid)
{
	lfs_column c;
	memset(&c, 0, sizeof(c));
	c.type = tt("bool");
	c.length = n;
	c.values = calloc((n + 7) / 8 + 1, 1);
	for (uint64_t i = 0; i < n; i++)
		if (vals[i] && (!valid || valid[i]))
			lfs_bit_set(c.values, i, 1);
	c.validity = make_validity(n, valid, &c.null_count);
	return c;
}

lfs_column tc_var(const char *logical, uint64_t n, const char *const *strs, const size_t *lens)
{
	lfs_column c;
	uint64_t total = 0;
	memset(&c, 0, sizeof(c));
	c.type = tt(logical);
	c.length = n;
	c.offsets = calloc(n + 1, sizeof(uint64_t));
	int *valid = calloc(n + 1, sizeof(int));
	int any_null = 0;
	for (uint64_t i = 0; i < n; i++) {
		size_t len = !strs[i] ? 0 : lens ? lens[i] : strlen(strs[i]);
		total += len;
		c.offsets[i + 1] = total;
		valid[i] = strs[i] != NULL;
		any_null |= !valid[i];
	}
	c.data = calloc(total + 1, 1);
	c.data_len = total;
	for (uint64_t i = 0; i < n; i++)
		if (strs[i])
			memcpy(c.data + c.offsets[i], strs[i], c.offsets[i + 1] - c.offsets[i]);
	c.validity = make_validity(n, any_null ? valid : NULL, &c.null_count);
	free(valid);
	return c;
}

lfs_column tc_list(const char *logical, uint64_t n, const uint64_t *offsets, const int *valid,
		   lfs_column child)
{
	lfs_column c;
	memset(&c, 0, sizeof(c));
	c.type = tt(logical);
	c.length = n;
	c.offsets = calloc(n + 1, sizeof(uint64_t));
	memcpy(c.offsets, offsets, (n + 1) * sizeof(uint64_t));
	c.validity = make_validity(n, valid, &c.null_count);
	c.n_children = 1;
	c.children = calloc(1, sizeof(lfs_column));
	c.children[0] = child;
	return c;
}

lfs_column tc_fsl(int32_t list_size, uint64_t n, const int *valid, lfs_column child)
{
	lfs_column c;
	memset(&c, 0, sizeof(c));
	c.type.id = LFS_T_FIXED_SIZE_LIST;
	c.type.list_size = list_size;
	c.length = n;
	c.validity = make_validity(n, valid, &c.null_count);
	c.n_children = 1;
	c.children = calloc(1, sizeof(lfs_column));
	c.children[0] = child;
	return c;
}

lfs_column tc_struct(uint64_t n, const int *valid, uint32_t nch, const lfs_column *children)
{
	lfs_column c;
	memset(&c, 0, sizeof(c));
	c.type.id = LFS_T_STRUCT;
	c.length = n;
	c.validity = make_validity(n, valid, &c.null_count);
	c.n_children = nch;
	c.children = calloc(nch ? nch : 1, sizeof(lfs_column));
	memcpy(c.children, children, nch * sizeof(lfs_column));
	return c;
}

static uint8_t *copy_bits(const uint8_t *bits, uint64_t start, uint64_t count)
{
	uint8_t *out = calloc((count + 7) / 8 + 1, 1);
	for (uint64_t i = 0; i < count; i++)
		if (lfs_bit_get(bits, start + i))
			lfs_bit_set(out, i, 1);
	return out;
}

int tc_slice(const lfs_column *src, uint64_t start, uint64_t count, lfs_column *out)
{
	memset(out, 0, sizeof(*out));
	out->type = src->type;
	out->width = src->width;
	out->length = count;
	if (src->validity) {
		out->validity = copy_bits(src->validity, start, count);
		for (uint64_t i = 0; i < count; i++)
			out->null_count += !lfs_bit_get(out->validity, i);
	}
	switch (src->type.id) {
	case LFS_T_NULL:
		return 0;
	case LFS_T_BOOL:
		out->values = copy_bits(src->values, start, count);
		return 0;
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8: case LFS_T_BINARY: case LFS_T_LARGE_BINARY: {
		uint64_t base = src->offsets[start], end = src->offsets[start + count];
		out->offsets = calloc(count + 1, sizeof(uint64_t));
		for (uint64_t i = 0; i <= count; i++)
			out->offsets[i] = src->offsets[start + i] - base;
		out->data_len = end - base;
		out->data = calloc(out->data_len + 1, 1);
		memcpy(out->data, src->data + base, out->data_len);
		return 0;
	}
	case LFS_T_LIST: case LFS_T_LARGE_LIST: case LFS_T_MAP: {
		uint64_t base = src->offsets[start], end = src->offsets[start + count];
		out->offsets = calloc(count + 1, sizeof(uint64_t));
		for (uint64_t i = 0; i <= count; i++)
			out->offsets[i] = src->offsets[start + i] - base;
		out->n_children = 1;
		out->children = calloc(1, sizeof(lfs_column));
		return tc_slice(&src->children[0], base, end - base, &out->children[0]);
	}
	case LFS_T_FIXED_SIZE_LIST: {
		uint64_t ls = (uint64_t)src->type.list_size;
		out->n_children = 1;
		out->children = calloc(1, sizeof(lfs_column));
		return tc_slice(&src->children[0], start * ls, count * ls, &out->children[0]);
	}
	case LFS_T_STRUCT:
		out->n_children = src->n_children;
		out->children = calloc(src->n_children ? src->n_children : 1, sizeof(lfs_column));
		for (uint32_t i = 0; i < src->n_children; i++)
			tc_slice(&src->children[i], start, count, &out->children[i]);
		return 0;
	default:
		out->values = calloc(count * src->width + 1, 1);
		memcpy(out->values, src->values + start * src->width, count * src->width);
		return 0;
	}
}

/* ---------------------------------------------------------------- source */

static int ts_read(void *ctx, size_t col, uint64_t row, uint64_t count, lfs_column *out,
		   lfs_err *err)
{
	tsource *s = ctx;
	__atomic_add_fetch(&s->reads, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->rows_read, count, __ATOMIC_RELAXED);
	if (col >= s->rs.ncols || row > s->rs.nrows || count > s->rs.nrows - row)
		return lfs_fail(err, -EINVAL, "test source: bad read %zu %" PRIu64 " %" PRIu64,
				col, row, count);
	if (s->fail_at_row >= 0 && (uint64_t)s->fail_at_row >= row &&
	    (uint64_t)s->fail_at_row < row + count)
		return lfs_fail(err, -EIO, "test source: page at row %d is damaged", s->fail_at_row);
	return tc_slice(&s->cols[col], row, count, out);
}

static uint64_t ts_hint(void *ctx, size_t col, uint64_t row)
{
	tsource *s = ctx;
	(void)col;
	if (!s->page || row >= s->rs.nrows)
		return 0;
	uint64_t end = (row / s->page + 1) * s->page;
	if (end > s->rs.nrows)
		end = s->rs.nrows;
	return end - row;
}

tsource *ts_new(size_t ncols, const lfs_field **fields, lfs_column *cols, uint64_t page)
{
	tsource *s = calloc(1, sizeof(*s));
	s->cols = calloc(ncols ? ncols : 1, sizeof(lfs_column));
	memcpy(s->cols, cols, ncols * sizeof(lfs_column));
	s->fields = calloc(ncols ? ncols : 1, sizeof(*s->fields));
	memcpy(s->fields, fields, ncols * sizeof(*fields));
	s->page = page;
	s->fail_at_row = -1;
	s->rs.ctx = s;
	s->rs.nrows = ncols ? cols[0].length : 0;
	s->rs.ncols = ncols;
	s->rs.fields = s->fields;
	s->rs.read = ts_read;
	s->rs.chunk_hint = page ? ts_hint : NULL;
	return s;
}

void ts_free(tsource *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->rs.ncols; i++)
		lfs_column_free(&s->cols[i]);
	free(s->cols);
	free(s->fields);
	free(s);
}

uint8_t *view_all(lfs_view *v, size_t *len)
{
	lfs_err err = { "" };
	uint64_t size;
	if (lfs_view_size(v, &size, &err) != 0) {
		tap_diag("size: %s", err.msg);
		return NULL;
	}
	uint8_t *buf = malloc(size + 1);
	size_t got = 0;
	if (lfs_view_read(v, 0, size + 100, buf, &got, &err) != 0) {
		tap_diag("read: %s", err.msg);
		free(buf);
		return NULL;
	}
	if (got != size)
		tap_diag("read %zu of %" PRIu64 " bytes", got, size);
	buf[got] = 0;
	*len = got;
	return buf;
}

char *render_view(enum lfs_view_kind kind, tsource *s, size_t col, size_t *len)
{
	lfs_view *v;
	lfs_err err = { "" };
	size_t n = 0;
	if (lfs_view_new(kind, &s->rs, col, &v, &err) != 0) {
		tap_diag("view_new: %s", err.msg);
		return NULL;
	}
	uint8_t *b = view_all(v, &n);
	lfs_view_free(v);
	if (len)
		*len = n;
	return (char *)b;
}

