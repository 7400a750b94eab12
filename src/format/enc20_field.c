/*
 * format/enc20_field: fields of a Lance 2.0 file, assembled from their
 * columns.  See enc20.h.
 *
 * Rows of a field are counted in the field's own column.  A struct's header
 * column only carries row counts: its children are read for the same rows
 * from their columns.  A list column holds pages of offsets: for each row the
 * end of its items relative to the page's first item, plus the page's
 * null_offset_adjustment for a null list; the items of page k start after
 * the num_items of pages 0..k-1 in the item field's column, whose pages are
 * cut independently.  Every other column is decoded page by page by enc20.c.
 */
#include "format/enc20.h"
#include "format/pb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_ENCODING_URL "lance.encodings.ArrayEncoding"

static const lfs_type u64_type = { .id = LFS_T_UINT64 };

#define NO_OFFSET UINT64_MAX

/* Fails naming the file, the field and (unless NO_OFFSET) the file offset. */
__attribute__((format(printf, 6, 7)))
static int field_fail(lfs_f2_file *f, const lfs_field *field, lfs_err *err, int code,
		      uint64_t offset, const char *fmt, ...)
{
	char what[320], path[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	lfs_field_path(field, path, sizeof(path));
	if (offset == NO_OFFSET)
		return lfs_fail(err, code, "%s: column %s (field id %d): %s", lfs_f2_key(f), path,
				field->id, what);
	return lfs_fail(err, code, "%s: column %s (field id %d) at offset %llu: %s", lfs_f2_key(f),
			path, field->id, (unsigned long long)offset, what);
}

/* The page's ArrayEncoding, checked to be one. */
static int page_encoding(const e20_page *pg, const uint8_t **enc, size_t *len, lfs_err *err)
{
	const char *url = pg->page->encoding.type_url;
	size_t ul = url ? strlen(url) : 0, want = strlen(ARRAY_ENCODING_URL);

	if (ul < want || strcmp(url + ul - want, ARRAY_ENCODING_URL) != 0 ||
	    (ul > want && url[ul - want - 1] != '/' && url[ul - want - 1] != '.'))
		return e20_fail(pg, err, -EIO, pg->page->meta_offset,
				"the page encoding is \"%s\", not a 2.0 ArrayEncoding", url ? url : "");
	*enc = pg->page->encoding.value;
	*len = pg->page->encoding.value_len;
	return 0;
}

/* The column of a field and its metadata. */
static int field_column(lfs_f2_file *f, const lfs_field *field, uint32_t *col,
			const lfs_f2_column **c, lfs_err *err)
{
	if (lfs_f2_field_column(f, field->id, col))
		return field_fail(f, field, err, -EIO, NO_OFFSET,
				  "the manifest maps this field to no column of the file");
	return lfs_f2_column_get(f, *col, c, err);
}

/* An empty column of the field's type with its children. */
static int empty_field(lfs_f2_file *f, const lfs_field *field, lfs_column *out, lfs_err *err)
{
	lfs_column_init(out, &field->type);
	if (lfs_column_alloc(out, 0, 0))
		return lfs_fail(err, -ENOMEM, "%s: out of memory", lfs_f2_key(f));
	if (!lfs_type_is_nested(&field->type))
		return 0;
	if (field->type.id != LFS_T_STRUCT && field->n_children != 1)
		return field_fail(f, field, err, -ENOTSUP, NO_OFFSET,
				  "a list field needs one child, it has %zu", field->n_children);
	if (field->n_children > UINT32_MAX || lfs_column_alloc_children(out, (uint32_t)field->n_children))
		return lfs_fail(err, -ENOMEM, "%s: out of memory", lfs_f2_key(f));
	for (size_t i = 0; i < field->n_children; i++) {
		int rc = empty_field(f, field->children[i], &out->children[i], err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Appends piece to out, or moves it there when out is still empty. */
static int join(lfs_f2_file *f, lfs_column *out, int *have, lfs_column *piece, lfs_err *err)
{
	if (!*have) {
		lfs_column_free(out);
		*out = *piece;
		lfs_column_init(piece, &out->type);
		*have = 1;
		return 0;
	}
	int rc = lfs_column_append(out, piece, 0, piece->length);
	lfs_column_free(piece);
	if (rc)
		return lfs_fail(err, rc, "%s: cannot join pages (%s)", lfs_f2_key(f), strerror(-rc));
	return 0;
}

static int read_field(lfs_f2_file *f, const lfs_field *field, uint64_t row0, uint64_t count,
		      lfs_column *out, lfs_err *err, int depth);

/* ------------------------------------------------------------ structs */

static int read_struct(lfs_f2_file *f, const lfs_field *field, const lfs_f2_column *c,
		       uint64_t row0, uint64_t count, lfs_column *out, lfs_err *err, int depth)
{
	lfs_column_init(out, &field->type);
	if (field->n_children > UINT32_MAX || lfs_column_alloc(out, count, 0) ||
	    lfs_column_alloc_children(out, (uint32_t)field->n_children))
		return lfs_fail(err, -ENOMEM, "%s: out of memory", lfs_f2_key(f));
	for (size_t i = 0; i < field->n_children; i++) {
		int rc = read_field(f, field->children[i], row0, count, &out->children[i], err, depth + 1);
		if (rc)
			return rc;
		if (out->children[i].length != count)
			return field_fail(f, field->children[i], err, -EIO, c->meta_offset,
					  "decoded %llu rows of a struct's %llu",
					  (unsigned long long)out->children[i].length,
					  (unsigned long long)count);
	}
	return 0;
}

/* ------------------------------------------------------------ lists */

typedef struct list_page {
	uint64_t items_start;        /* first item of the page in the items column */
	uint64_t num_items;
	uint64_t null_adj;
	const uint8_t *offsets_enc;
	size_t offsets_len;
} list_page;

typedef struct list_table {
	size_t n;
	list_page pages[];
} list_table;

typedef struct list_build_ctx {
	lfs_f2_file *f;
	uint32_t column;
	const lfs_f2_column *c;
	const lfs_field *field;
} list_build_ctx;

/* Parses every page's List message once per column: where each page's
 * items start. */
static int build_list_table(void *vctx, void **state, lfs_err *err)
{
	list_build_ctx *ctx = vctx;
	const lfs_f2_column *c = ctx->c;
	list_table *t;
	uint64_t at = 0;

	t = lfs_xcalloc(1, sizeof(*t) + c->n_pages * sizeof(list_page));
	if (!t)
		return lfs_fail(err, -ENOMEM, "%s: out of memory", lfs_f2_key(ctx->f));
	t->n = c->n_pages;
	for (size_t p = 0; p < c->n_pages; p++) {
		e20_page pg = { ctx->f, ctx->column, c, p, &c->pages[p], ctx->field };
		const uint8_t *enc = NULL, *body = NULL;
		size_t len = 0, body_len = 0;
		uint32_t kind;
		lfs_pb pb;
		lfs_pb_field fld;
		int rc = page_encoding(&pg, &enc, &len, err);
		list_page *lp = &t->pages[p];

		if (!rc && (e20_array_kind(enc, len, &kind, &body, &body_len) || kind != E20_LIST))
			rc = e20_fail(&pg, err, -EIO, pg.page->meta_offset,
				      "a page of a list column is not a List encoding");
		if (rc) {
			free(t);
			return rc;
		}
		e20_pb_init(&pb, body, body_len);
		while ((rc = lfs_pb_next(&pb, &fld)) > 0) {
			if (fld.number == 1 && fld.wire == LFS_PB_LEN) {
				lp->offsets_enc = fld.bytes;
				lp->offsets_len = fld.len;
			} else if (fld.number == 2 && fld.wire == LFS_PB_VARINT) {
				lp->null_adj = fld.u64;
			} else if (fld.number == 3 && fld.wire == LFS_PB_VARINT) {
				lp->num_items = fld.u64;
			}
		}
		if (rc < 0 || !lp->offsets_enc || lp->null_adj == 0) {
			free(t);
			return e20_fail(&pg, err, -EIO, pg.page->meta_offset,
					"a List message is damaged or has a null adjustment of 0");
		}
		lp->items_start = at;
		if (lfs_add_u64(at, lp->num_items, &at)) {
			free(t);
			return e20_fail(&pg, err, -EIO, pg.page->meta_offset, "list item counts overflow");
		}
	}
	*state = t;
	return 0;
}

/* An item range to read, in the items column. */
typedef struct item_range {
	uint64_t start, len;
} item_range;

static int read_list(lfs_f2_file *f, const lfs_field *field, uint32_t column,
		     const lfs_f2_column *c, uint64_t row0, uint64_t count, lfs_column *out,
		     lfs_err *err, int depth)
{
	list_build_ctx bctx = { f, column, c, field };
	list_table *table;
	item_range *ranges = NULL;
	size_t n_ranges = 0;
	uint64_t row = row0, end = row0 + count, done = 0, total = 0;
	int rc, have = 0;

	lfs_column_init(out, &field->type);
	if (field->n_children != 1)
		return field_fail(f, field, err, -ENOTSUP, NO_OFFSET,
				  "a list field needs one child, it has %zu", field->n_children);
	rc = lfs_f2_page_cache(f, c, 0, build_list_table, &bctx, free, (void **)&table, err);
	if (rc)
		return rc;
	if (lfs_column_alloc(out, count, 1) || lfs_column_alloc_children(out, 1))
		return lfs_fail(err, -ENOMEM, "%s: out of memory", lfs_f2_key(f));
	ranges = calloc(c->n_pages + 1, sizeof(*ranges));
	if (!ranges)
		return lfs_fail(err, -ENOMEM, "%s: out of memory", lfs_f2_key(f));
	out->offsets[0] = 0;
	while (!rc && row < end) {
		size_t p = lfs_f2_find_page(c, row);
		const lfs_f2_page *page = &c->pages[p];
		const list_page *lp = &table->pages[p];
		e20_page pg = { f, column, c, p, page, field };
		uint64_t in = row - page->first_row, n = page->num_rows - in, first, base = 0, prev;
		lfs_column offs;

		if (row < page->first_row || in >= page->num_rows) {
			rc = e20_fail(&pg, err, -EIO, page->meta_offset, "no page holds row %llu",
				      (unsigned long long)row);
			break;
		}
		if (n > end - row)
			n = end - row;
		/* the offset before the first row, unless the page starts there */
		first = in > 0 ? in - 1 : 0;
		e20_target t = { &u64_type, NULL, 1 };
		rc = e20_decode_array(&pg, lp->offsets_enc, lp->offsets_len, &t, first, in + n, &offs, err);
		if (rc)
			break;
		if (in > 0)
			base = lfs_le64(offs.values) % lp->null_adj;
		prev = base;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t v = lfs_le64(offs.values + 8 * (i + (in > 0)));
			uint64_t e = v % lp->null_adj;
			if (e < prev || e > lp->num_items) {
				rc = e20_fail(&pg, err, -EIO, page->meta_offset,
					      "list offset %llu of row %llu is outside %llu..%llu",
					      (unsigned long long)e, (unsigned long long)(row + i),
					      (unsigned long long)prev, (unsigned long long)lp->num_items);
				break;
			}
			lfs_bit_set(out->validity, done + i, v < lp->null_adj);
			total += e - prev;
			out->offsets[done + i + 1] = total;
			prev = e;
		}
		lfs_column_free(&offs);
		if (rc)
			break;
		if (prev > base) {
			uint64_t start = lp->items_start + base;
			if (n_ranges && ranges[n_ranges - 1].start + ranges[n_ranges - 1].len == start)
				ranges[n_ranges - 1].len += prev - base;
			else
				ranges[n_ranges++] = (item_range){ start, prev - base };
		}
		done += n;
		row += n;
	}
	lfs_column_finish_validity(out);
	/* the items, read from the child's own column */
	for (size_t i = 0; !rc && i < n_ranges; i++) {
		lfs_column piece;
		rc = read_field(f, field->children[0], ranges[i].start, ranges[i].len, &piece, err,
				depth + 1);
		if (!rc)
			rc = join(f, &out->children[0], &have, &piece, err);
		else
			lfs_column_free(&piece);
	}
	if (!rc && !have)
		rc = empty_field(f, field->children[0], &out->children[0], err);
	if (!rc && out->children[0].length != total)
		rc = field_fail(f, field, err, -EIO, c->meta_offset,
				"%llu list items were decoded, %llu expected",
				(unsigned long long)out->children[0].length, (unsigned long long)total);
	free(ranges);
	return rc;
}

/* ------------------------------------------------------------ fields */

static int read_pages(lfs_f2_file *f, const lfs_field *field, uint32_t column,
		      const lfs_f2_column *c, uint64_t row0, uint64_t count, lfs_column *out,
		      lfs_err *err)
{
	uint64_t row = row0, end = row0 + count;
	int rc = 0, have = 0;

	lfs_column_init(out, &field->type);
	while (!rc && row < end) {
		size_t p = lfs_f2_find_page(c, row);
		const lfs_f2_page *page = &c->pages[p];
		e20_page pg = { f, column, c, p, page, field };
		const uint8_t *enc = NULL;
		size_t len = 0;
		uint64_t in = row - page->first_row, n = page->num_rows - in;
		lfs_column piece;

		if (row < page->first_row || in >= page->num_rows)
			return e20_fail(&pg, err, -EIO, page->meta_offset, "no page holds row %llu",
					(unsigned long long)row);
		if (n > end - row)
			n = end - row;
		rc = page_encoding(&pg, &enc, &len, err);
		if (rc)
			break;
		e20_target t = { &field->type, field, 0 };
		rc = e20_decode_array(&pg, enc, len, &t, in, in + n, &piece, err);
		if (!rc)
			rc = join(f, out, &have, &piece, err);
		row += n;
	}
	return rc;
}

static int read_field(lfs_f2_file *f, const lfs_field *field, uint64_t row0, uint64_t count,
		      lfs_column *out, lfs_err *err, int depth)
{
	const lfs_f2_column *c;
	const uint8_t *enc = NULL, *body = NULL;
	size_t len = 0, body_len = 0;
	uint32_t column, kind;
	uint64_t end;
	int rc;

	lfs_column_init(out, &field->type);
	if (depth > 32)
		return field_fail(f, field, err, -ENOTSUP, NO_OFFSET, "fields nested too deeply");
	if (count == 0)
		return empty_field(f, field, out, err);
	rc = field_column(f, field, &column, &c, err);
	if (rc)
		return rc;
	if (lfs_add_u64(row0, count, &end) || end > c->num_rows || c->n_pages == 0)
		return field_fail(f, field, err, -EIO, c->meta_offset,
				  "rows %llu..%llu are wanted, column %u holds %llu",
				  (unsigned long long)row0, (unsigned long long)end, column,
				  (unsigned long long)c->num_rows);
	/* what the first page is tells a header, a list or values apart */
	size_t p = lfs_f2_find_page(c, row0);
	e20_page pg = { f, column, c, p, &c->pages[p], field };
	rc = page_encoding(&pg, &enc, &len, err);
	if (rc)
		return rc;
	if (e20_array_kind(enc, len, &kind, &body, &body_len))
		return e20_fail(&pg, err, -EIO, pg.page->meta_offset,
				"the page encoding is not an ArrayEncoding");
	switch (kind) {
	case E20_STRUCT:
		if (field->type.id != LFS_T_STRUCT)
			break;
		return read_struct(f, field, c, row0, count, out, err, depth);
	case E20_LIST:
		if (field->type.id != LFS_T_LIST && field->type.id != LFS_T_LARGE_LIST)
			break;
		return read_list(f, field, column, c, row0, count, out, err, depth);
	default:
		if (field->type.id == LFS_T_LIST || field->type.id == LFS_T_LARGE_LIST ||
		    field->type.id == LFS_T_MAP)
			break;
		return read_pages(f, field, column, c, row0, count, out, err);
	}
	return e20_fail(&pg, err, -EIO, pg.page->meta_offset, "a %s encoding for a %s field",
			e20_kind_name(kind), lfs_type_name(field->type.id));
}

int e20_read_field(lfs_f2_file *f, const lfs_field *field, uint64_t row0, uint64_t count,
		   lfs_column *out, lfs_err *err)
{
	int rc = read_field(f, field, row0, count, out, err, 0);
	if (rc)
		lfs_column_free(out);
	return rc;
}

int lfs_enc20_decode_page(const lfs_enc20_request *req, lfs_column *out, lfs_err *err)
{
	const lfs_f2_page *pg;

	if (req->page >= req->col->n_pages)
		return lfs_fail(err, -EINVAL, "%s: column %u has no page %zu", lfs_f2_key(req->file),
				req->column, req->page);
	pg = &req->col->pages[req->page];
	if (req->start > pg->num_rows || req->count > pg->num_rows - req->start)
		return lfs_fail(err, -EINVAL, "%s: column %u: rows %llu+%llu of a %llu-row page",
				lfs_f2_key(req->file), req->column, (unsigned long long)req->start,
				(unsigned long long)req->count, (unsigned long long)pg->num_rows);
	return e20_read_field(req->file, req->field, pg->first_row + req->start, req->count, out, err);
}
