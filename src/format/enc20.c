/*
 * format/enc20: one page of a Lance 2.0 file, decoded from its
 * lance.encodings.ArrayEncoding for a range of rows.  See enc20.h.
 *
 * Each encoding node is decoded for rows [a, e) of the page into an
 * lfs_column of the target type; nodes that wrap others (nullable,
 * fixed-size list, binary, dictionary, FSST, fixed-size binary) decode
 * their children for the rows they need.  Byte ranges come from the page's,
 * the column's or the file's buffers and are read with lfs_f2_read, which
 * checks them against the file; every length and count from the file is
 * checked before it sizes an allocation.
 */
#include "format/enc20.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/enc21.h"
#include "format/pb.h"

/* Encodings nest a few levels deep; damaged bytes could nest forever. */
#define MAX_DEPTH 24
/* Rows that cost no bytes in the file (all-null, constant pages) and bytes
 * produced from few (dictionaries, FSST, blobs) are capped: beyond these a
 * page is taken to be damaged rather than allocated. */
#define MAX_FREE_ROWS (1ull << 26)
#define MAX_DECODED_BYTES (1ull << 30)

static const lfs_type u64_type = { .id = LFS_T_UINT64 };
static const lfs_type u8_type = { .id = LFS_T_UINT8 };
static const lfs_type bool_type = { .id = LFS_T_BOOL };

const char *e20_kind_name(uint32_t kind)
{
	static const char *names[] = {
		"?", "flat", "nullable", "fixed_size_list", "list", "struct", "binary",
		"dictionary", "fsst", "packed_struct", "bitpacked", "fixed_size_binary",
		"bitpacked_for_non_neg", "constant", "inline_bitpacking", "out_of_line_bitpacking",
		"variable", "packed_struct_fixed_width_mini_block", "block", "rle",
		"general_mini_block", "byte_stream_split",
	};
	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/* ------------------------------------------------------------ messages */

int e20_fail(const e20_page *pg, lfs_err *err, int code, uint64_t offset, const char *fmt, ...)
{
	char what[320], path[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	lfs_field_path(pg->field, path, sizeof(path));
	return lfs_fail(err, code, "%s: column %s (column %u), page %zu, at offset %llu: %s",
			lfs_f2_key(pg->file), path, pg->column, pg->index,
			(unsigned long long)offset, what);
}

static int oom(const e20_page *pg, lfs_err *err)
{
	return lfs_fail(err, -ENOMEM, "%s: out of memory", lfs_f2_key(pg->file));
}

/* Where failures without a better place are reported: the page's metadata. */
static uint64_t here(const e20_page *pg)
{
	return pg->page->meta_offset;
}

/* ------------------------------------------------------------ protobuf */

int e20_array_kind(const uint8_t *enc, size_t len, uint32_t *kind, const uint8_t **body,
		   size_t *body_len)
{
	lfs_pb pb;
	lfs_pb_field f;
	int rc, seen = 0;

	e20_pb_init(&pb, enc, len);
	while ((rc = lfs_pb_next(&pb, &f)) > 0) {
		if (f.wire != LFS_PB_LEN)
			return -EIO;
		*kind = f.number;
		*body = f.bytes;
		*body_len = f.len;
		seen = 1;
	}
	return rc < 0 || !seen ? -EIO : 0;
}

/* The last LEN field `number` of a message (1), none (0) or damage (-EIO). */
static int pb_get_len(const uint8_t *msg, size_t len, uint32_t number, const uint8_t **out,
		      size_t *out_len)
{
	lfs_pb pb;
	lfs_pb_field f;
	int rc, found = 0;

	e20_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &f)) > 0) {
		if (f.number != number)
			continue;
		if (f.wire != LFS_PB_LEN)
			return -EIO;
		*out = f.bytes;
		*out_len = f.len;
		found = 1;
	}
	return rc < 0 ? -EIO : found;
}

/* The last varint field `number` (0 when absent). */
static int pb_get_u64(const uint8_t *msg, size_t len, uint32_t number, uint64_t *out)
{
	lfs_pb pb;
	lfs_pb_field f;
	int rc;

	*out = 0;
	e20_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &f)) > 0) {
		if (f.number != number)
			continue;
		if (f.wire != LFS_PB_VARINT)
			return -EIO;
		*out = f.u64;
	}
	return rc < 0 ? -EIO : 0;
}

/* A Buffer message -> a byte range of the file. */
static int get_buffer(const e20_page *pg, const uint8_t *msg, size_t len, lfs_f2_buf *out,
		      lfs_err *err)
{
	uint64_t index, type;

	if (pb_get_u64(msg, len, 1, &index) || pb_get_u64(msg, len, 2, &type))
		return e20_fail(pg, err, -EIO, here(pg), "a Buffer message is damaged");
	switch (type) {
	case 0: /* page */
		if (index >= pg->page->n_bufs)
			return e20_fail(pg, err, -EIO, here(pg), "page buffer %llu of %zu",
					(unsigned long long)index, pg->page->n_bufs);
		*out = pg->page->bufs[index];
		return 0;
	case 1: /* column */
		if (index >= pg->col->n_bufs)
			return e20_fail(pg, err, -EIO, here(pg), "column buffer %llu of %zu",
					(unsigned long long)index, pg->col->n_bufs);
		*out = pg->col->bufs[index];
		return 0;
	case 2: /* file */
		if (index > UINT32_MAX || lfs_f2_global_buffer(pg->file, (uint32_t)index, out, err))
			return e20_fail(pg, err, -EIO, here(pg), "file buffer %llu does not exist",
					(unsigned long long)index);
		return 0;
	default:
		return e20_fail(pg, err, -EIO, here(pg), "unknown buffer type %llu",
				(unsigned long long)type);
	}
}

/* The buffer a message keeps in LEN field `number`. */
static int get_buffer_field(const e20_page *pg, const uint8_t *msg, size_t len, uint32_t number,
			    lfs_f2_buf *out, lfs_err *err)
{
	const uint8_t *b = NULL;
	size_t blen = 0;
	int rc = pb_get_len(msg, len, number, &b, &blen);
	if (rc <= 0)
		return e20_fail(pg, err, -EIO, here(pg), "an encoding without its buffer");
	return get_buffer(pg, b, blen, out, err);
}

/* ------------------------------------------------------------ helpers */

static int decode(const e20_page *pg, const uint8_t *enc, size_t len, const e20_target *t,
		  uint64_t a, uint64_t e, lfs_column *out, lfs_err *err, int depth);

static int alloc_or_oom(const e20_page *pg, lfs_column *c, uint64_t n, int validity, lfs_err *err)
{
	return lfs_column_alloc(c, n, validity) ? oom(pg, err) : 0;
}

/* The element field of a fixed-size list field. */
static const lfs_field *fsl_item(const lfs_field *f)
{
	return f && f->n_children == 1 ? f->children[0] : NULL;
}

/* A column of n null rows of the target's type (children included). */
static int make_null(const e20_page *pg, const e20_target *t, uint64_t n, lfs_column *out,
		     lfs_err *err)
{
	const lfs_type *type = t->ints ? &u64_type : t->type;
	int rc;

	lfs_column_init(out, type);
	if (n > MAX_FREE_ROWS)
		return e20_fail(pg, err, -EIO, here(pg), "%llu null rows is implausible",
				(unsigned long long)n);
	rc = alloc_or_oom(pg, out, n, 1, err);
	if (rc)
		return rc;
	out->null_count = n;
	if (type->id == LFS_T_FIXED_SIZE_LIST) {
		const lfs_field *item = fsl_item(t->field);
		uint64_t cn;
		if (!item || type->list_size <= 0)
			return e20_fail(pg, err, -ENOTSUP, here(pg), "fixed_size_list without an element type");
		if (lfs_mul_u64(n, (uint64_t)type->list_size, &cn))
			return e20_fail(pg, err, -EIO, here(pg), "too many list items");
		e20_target ct = { &item->type, item, 0 };
		if (lfs_column_alloc_children(out, 1))
			return oom(pg, err);
		return make_null(pg, &ct, cn, &out->children[0], err);
	}
	if (type->id == LFS_T_STRUCT && t->field) {
		if (t->field->n_children > UINT32_MAX ||
		    lfs_column_alloc_children(out, (uint32_t)t->field->n_children))
			return oom(pg, err);
		for (size_t i = 0; i < t->field->n_children; i++) {
			const lfs_field *c = t->field->children[i];
			e20_target ct = { &c->type, c, 0 };
			rc = make_null(pg, &ct, n, &out->children[i], err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Decodes an integer encoding (offsets, indices) to u64 values. */
static int decode_ints(const e20_page *pg, const uint8_t *enc, size_t len, uint64_t a, uint64_t e,
		       lfs_column *out, lfs_err *err, int depth)
{
	e20_target t = { &u64_type, NULL, 1 };
	return decode(pg, enc, len, &t, a, e, out, err, depth + 1);
}

static uint64_t u64_at(const lfs_column *c, uint64_t i)
{
	return lfs_le64(c->values + 8 * i);
}

/* ------------------------------------------------------------ flat */

/* Decompresses a whole buffer with Flat.compression's scheme. */
static int read_compressed(const e20_page *pg, const lfs_f2_buf *b, const uint8_t *comp,
			   size_t comp_len, uint8_t **out, size_t *out_len, lfs_err *err)
{
	const uint8_t *scheme = NULL;
	size_t scheme_len = 0;
	uint8_t *raw;
	int kind, rc;

	rc = pb_get_len(comp, comp_len, 1, &scheme, &scheme_len);
	if (rc < 0)
		return e20_fail(pg, err, -EIO, here(pg), "a Compression message is damaged");
	if (rc == 1 && scheme_len == 4 && memcmp(scheme, "zstd", 4) == 0)
		kind = E21_SCHEME_ZSTD;
	else if (rc == 1 && scheme_len == 3 && memcmp(scheme, "lz4", 3) == 0)
		kind = E21_SCHEME_LZ4;
	else if (rc == 0 || scheme_len == 0 || (scheme_len == 4 && memcmp(scheme, "none", 4) == 0))
		kind = E21_SCHEME_NONE;
	else
		return e20_fail(pg, err, -ENOTSUP, here(pg), "compression scheme \"%.*s\"",
				(int)(scheme_len > 40 ? 40 : scheme_len), (const char *)scheme);
	rc = lfs_f2_read_alloc(pg->file, pg->column, b->pos, b->size, &raw, err);
	if (rc)
		return rc;
	if (kind == E21_SCHEME_NONE) {
		*out = raw;
		*out_len = (size_t)b->size;
		return 0;
	}
	e21_where w = { lfs_f2_key(pg->file), pg->column, b->pos };
	rc = e21_general_decompress(kind, raw, (size_t)b->size, out, out_len, &w, err);
	free(raw);
	return rc;
}

static int decode_flat(const e20_page *pg, const uint8_t *body, size_t len, const e20_target *t,
		       uint64_t a, uint64_t e, lfs_column *out, lfs_err *err)
{
	uint64_t bits, n = e - a, width, need;
	const uint8_t *comp = NULL;
	size_t comp_len = 0;
	lfs_f2_buf b;
	uint8_t *whole = NULL, *part = NULL;
	size_t whole_len = 0;
	int rc, compressed;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (pb_get_u64(body, len, 1, &bits))
		return e20_fail(pg, err, -EIO, here(pg), "a Flat message is damaged");
	rc = get_buffer_field(pg, body, len, 2, &b, err);
	if (rc)
		return rc;
	compressed = pb_get_len(body, len, 3, &comp, &comp_len);
	if (compressed < 0)
		return e20_fail(pg, err, -EIO, here(pg), "a Flat message is damaged");

	if (bits == 1) {
		if (t->ints || t->type->id != LFS_T_BOOL)
			return e20_fail(pg, err, -EIO, b.pos, "1-bit values cannot hold %s",
					t->ints ? "integers" : lfs_type_name(t->type->id));
		need = e / 8 + (e % 8 != 0);
		if (need > b.size)
			return e20_fail(pg, err, -EIO, b.pos, "%llu bools need %llu bytes, the buffer has %llu",
					(unsigned long long)e, (unsigned long long)need,
					(unsigned long long)b.size);
		if (compressed) {
			rc = read_compressed(pg, &b, comp, comp_len, &whole, &whole_len, err);
			if (rc)
				return rc;
			if (need > whole_len) {
				free(whole);
				return e20_fail(pg, err, -EIO, b.pos, "decompressed bools are too short");
			}
			part = whole + a / 8;
		} else {
			rc = lfs_f2_read_alloc(pg->file, pg->column, b.pos + a / 8, need - a / 8, &whole,
					       err);
			if (rc)
				return rc;
			part = whole;
		}
		rc = alloc_or_oom(pg, out, n, 0, err);
		for (uint64_t i = 0; !rc && i < n; i++)
			lfs_bit_set(out->values, i, lfs_bit_get(part, a % 8 + i));
		free(whole);
		return rc;
	}
	if (bits == 0 || bits % 8 != 0 || bits > 8 * 1024 * 1024)
		return e20_fail(pg, err, -ENOTSUP, b.pos, "flat values of %llu bits",
				(unsigned long long)bits);
	width = bits / 8;
	if (t->ints) {
		if (width != 1 && width != 2 && width != 4 && width != 8)
			return e20_fail(pg, err, -EIO, b.pos, "%llu-byte values are not integers",
					(unsigned long long)width);
	} else if (lfs_type_width(t->type) != width) {
		return e20_fail(pg, err, -EIO, b.pos, "%llu-bit values cannot hold %s (%u bytes)",
				(unsigned long long)bits, lfs_type_name(t->type->id),
				lfs_type_width(t->type));
	}
	if (lfs_mul_u64(e, width, &need) || (!compressed && need > b.size))
		return e20_fail(pg, err, -EIO, b.pos, "%llu values of %llu bytes run past the buffer (%llu bytes)",
				(unsigned long long)e, (unsigned long long)width,
				(unsigned long long)b.size);
	if (compressed) {
		/* the whole buffer is decompressed first: its size bounds the rows */
		rc = read_compressed(pg, &b, comp, comp_len, &whole, &whole_len, err);
		if (rc)
			return rc;
		if (need > whole_len) {
			free(whole);
			return e20_fail(pg, err, -EIO, b.pos, "decompressed buffer holds %zu bytes, %llu needed",
					whole_len, (unsigned long long)need);
		}
		part = whole + a * width;
	}
	rc = alloc_or_oom(pg, out, n, 0, err);
	if (rc) {
		free(whole);
		return rc;
	}
	if (compressed) {
		/* part is set */
	} else if (t->ints && width != 8) {
		rc = lfs_f2_read_alloc(pg->file, pg->column, b.pos + a * width, n * width, &whole, err);
		if (rc)
			return rc;
		part = whole;
	} else {
		return lfs_f2_read(pg->file, pg->column, b.pos + a * width, n * width, out->values, err);
	}
	if (t->ints) {
		for (uint64_t i = 0; i < n; i++) {
			const uint8_t *p = part + i * width;
			uint64_t v = width == 1 ? p[0] : width == 2 ? lfs_le16(p)
				   : width == 4 ? lfs_le32(p) : lfs_le64(p);
			memcpy(out->values + 8 * i, &v, 8);
		}
	} else {
		memcpy(out->values, part, (size_t)(n * width));
	}
	free(whole);
	return 0;
}

/* ------------------------------------------------------------ nullable */

/* ANDs a validity bitmap of n bits into a column. */
static int apply_validity(const e20_page *pg, lfs_column *c, const uint8_t *bits, uint64_t n,
			  lfs_err *err)
{
	if (!c->validity) {
		c->validity = calloc(n / 8 + 1, 1);
		if (!c->validity)
			return oom(pg, err);
		for (uint64_t i = 0; i < n; i++)
			lfs_bit_set(c->validity, i, lfs_bit_get(bits, i));
	} else {
		for (uint64_t i = 0; i < n; i++)
			if (!lfs_bit_get(bits, i))
				lfs_bit_set(c->validity, i, 0);
	}
	lfs_column_finish_validity(c);
	return 0;
}

static int decode_nullable(const e20_page *pg, const uint8_t *body, size_t len,
			   const e20_target *t, uint64_t a, uint64_t e, lfs_column *out,
			   lfs_err *err, int depth)
{
	uint32_t which;
	const uint8_t *inner, *values = NULL, *validity = NULL;
	size_t inner_len, values_len = 0, validity_len = 0;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (e20_array_kind(body, len, &which, &inner, &inner_len))
		return e20_fail(pg, err, -EIO, here(pg), "a Nullable message is damaged");
	switch (which) {
	case 1: /* no nulls */
		if (pb_get_len(inner, inner_len, 1, &values, &values_len) != 1)
			return e20_fail(pg, err, -EIO, here(pg), "Nullable.NoNull without values");
		return decode(pg, values, values_len, t, a, e, out, err, depth + 1);
	case 2: { /* some nulls */
		e20_target vt = { &bool_type, NULL, 0 };
		lfs_column bits;
		if (pb_get_len(inner, inner_len, 1, &validity, &validity_len) != 1 ||
		    pb_get_len(inner, inner_len, 2, &values, &values_len) != 1)
			return e20_fail(pg, err, -EIO, here(pg), "Nullable.SomeNull without its parts");
		rc = decode(pg, validity, validity_len, &vt, a, e, &bits, err, depth + 1);
		if (!rc)
			rc = decode(pg, values, values_len, t, a, e, out, err, depth + 1);
		if (!rc && (bits.length != e - a || out->length != e - a))
			rc = e20_fail(pg, err, -EIO, here(pg), "validity and values disagree on rows");
		if (!rc)
			rc = apply_validity(pg, out, bits.values, e - a, err);
		lfs_column_free(&bits);
		return rc;
	}
	case 3: /* all nulls */
		return make_null(pg, t, e - a, out, err);
	default:
		return e20_fail(pg, err, -ENOTSUP, here(pg), "nullability kind %u", which);
	}
}

/* ------------------------------------------------------------ lists of fixed size */

static int decode_fsl(const e20_page *pg, const uint8_t *body, size_t len, const e20_target *t,
		      uint64_t a, uint64_t e, lfs_column *out, lfs_err *err, int depth)
{
	uint64_t dim, ca, ce;
	const uint8_t *items = NULL;
	size_t items_len = 0;
	const lfs_field *item = fsl_item(t->field);

	lfs_column_init(out, t->type);
	if (pb_get_u64(body, len, 1, &dim) || pb_get_len(body, len, 2, &items, &items_len) != 1)
		return e20_fail(pg, err, -EIO, here(pg), "a FixedSizeList message is damaged");
	if (t->ints || t->type->id != LFS_T_FIXED_SIZE_LIST || !item)
		return e20_fail(pg, err, -EIO, here(pg), "a fixed_size_list encoding for a %s column",
				t->ints ? "integer" : lfs_type_name(t->type->id));
	if (dim == 0 || dim != (uint64_t)t->type->list_size)
		return e20_fail(pg, err, -EIO, here(pg), "fixed_size_list of %llu items, the schema says %d",
				(unsigned long long)dim, t->type->list_size);
	if (lfs_mul_u64(a, dim, &ca) || lfs_mul_u64(e, dim, &ce))
		return e20_fail(pg, err, -EIO, here(pg), "too many list items");
	if (alloc_or_oom(pg, out, e - a, 0, err) || lfs_column_alloc_children(out, 1))
		return oom(pg, err);
	e20_target ct = { &item->type, item, 0 };
	int rc = decode(pg, items, items_len, &ct, ca, ce, &out->children[0], err, depth + 1);
	if (!rc && out->children[0].length != ce - ca)
		rc = e20_fail(pg, err, -EIO, here(pg), "list items decoded to the wrong length");
	return rc;
}

/* ------------------------------------------------------------ binary */

static int is_var(const e20_target *t)
{
	return !t->ints && lfs_type_is_var_width(t->type);
}

static int decode_binary(const e20_page *pg, const uint8_t *body, size_t len, const e20_target *t,
			 uint64_t a, uint64_t e, lfs_column *out, lfs_err *err, int depth)
{
	const uint8_t *ienc = NULL, *benc = NULL;
	size_t ilen = 0, blen = 0;
	uint64_t adj, n = e - a, first = a > 0 ? a - 1 : 0, base = 0, prev;
	lfs_column idx, bytes;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	lfs_column_init(&idx, &u64_type);
	lfs_column_init(&bytes, &u8_type);
	if (!is_var(t))
		return e20_fail(pg, err, -EIO, here(pg), "a binary encoding for a %s column",
				t->ints ? "integer" : lfs_type_name(t->type->id));
	if (pb_get_len(body, len, 1, &ienc, &ilen) != 1 || pb_get_len(body, len, 2, &benc, &blen) != 1 ||
	    pb_get_u64(body, len, 3, &adj))
		return e20_fail(pg, err, -EIO, here(pg), "a Binary message is damaged");
	if (adj == 0)
		return e20_fail(pg, err, -EIO, here(pg), "binary null adjustment of 0");
	rc = decode_ints(pg, ienc, ilen, first, e, &idx, err, depth);
	if (rc)
		goto out;
	if (idx.length != e - first) {
		rc = e20_fail(pg, err, -EIO, here(pg), "binary offsets decoded to the wrong length");
		goto out;
	}
	/* values are end offsets; a null's has the adjustment added */
	if (a > 0) {
		base = u64_at(&idx, 0);
		if (base >= adj)
			base -= adj;
	}
	rc = alloc_or_oom(pg, out, n, 1, err);
	if (rc)
		goto out;
	prev = base;
	out->offsets[0] = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = u64_at(&idx, i + (a > 0));
		int valid = v < adj;
		if (!valid)
			v -= adj;
		if (v < prev) {
			rc = e20_fail(pg, err, -EIO, here(pg), "binary offset %llu of row %llu is below %llu",
				      (unsigned long long)v, (unsigned long long)(a + i),
				      (unsigned long long)prev);
			goto out;
		}
		lfs_bit_set(out->validity, i, valid);
		out->offsets[i + 1] = v - base;
		prev = v;
	}
	e20_target bt = { &u8_type, NULL, 0 };
	rc = decode(pg, benc, blen, &bt, base, prev, &bytes, err, depth + 1);
	if (rc)
		goto out;
	if (bytes.length != prev - base) {
		rc = e20_fail(pg, err, -EIO, here(pg), "binary bytes decoded to the wrong length");
		goto out;
	}
	out->data = bytes.values;
	out->data_len = bytes.length;
	bytes.values = NULL;
	lfs_column_finish_validity(out);
out:
	lfs_column_free(&idx);
	lfs_column_free(&bytes);
	return rc;
}

/* Fixed-size binary: every value has byte_width bytes. */
static int decode_fsb(const e20_page *pg, const uint8_t *body, size_t len, const e20_target *t,
		      uint64_t a, uint64_t e, lfs_column *out, lfs_err *err, int depth)
{
	const uint8_t *benc = NULL;
	size_t blen = 0;
	uint64_t width, ba, be;
	lfs_column bytes;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (!is_var(t))
		return e20_fail(pg, err, -EIO, here(pg), "a fixed_size_binary encoding for a %s column",
				t->ints ? "integer" : lfs_type_name(t->type->id));
	if (pb_get_len(body, len, 1, &benc, &blen) != 1 || pb_get_u64(body, len, 2, &width))
		return e20_fail(pg, err, -EIO, here(pg), "a FixedSizeBinary message is damaged");
	if (width == 0 || lfs_mul_u64(a, width, &ba) || lfs_mul_u64(e, width, &be))
		return e20_fail(pg, err, -EIO, here(pg), "fixed_size_binary of width %llu",
				(unsigned long long)width);
	e20_target bt = { &u8_type, NULL, 0 };
	rc = decode(pg, benc, blen, &bt, ba, be, &bytes, err, depth + 1);
	if (!rc && bytes.length != be - ba)
		rc = e20_fail(pg, err, -EIO, here(pg), "fixed_size_binary bytes decoded to the wrong length");
	if (!rc)
		rc = alloc_or_oom(pg, out, e - a, 0, err);
	if (!rc) {
		for (uint64_t i = 0; i <= e - a; i++)
			out->offsets[i] = i * width;
		out->data = bytes.values;
		out->data_len = bytes.length;
		bytes.values = NULL;
	}
	lfs_column_free(&bytes);
	return rc;
}

/* ------------------------------------------------------------ dictionary */

/* out[i] = items[pick[i]] (or null where pick[i] is UINT64_MAX). */
static int gather(const e20_page *pg, const lfs_column *items, const uint64_t *pick, uint64_t n,
		  lfs_column *out, lfs_err *err)
{
	uint64_t bytes = 0;
	int rc;

	for (uint64_t i = 0; i < n; i++)
		if (pick[i] != UINT64_MAX && lfs_type_is_var_width(&items->type))
			bytes += items->offsets[pick[i] + 1] - items->offsets[pick[i]];
	if (bytes > MAX_DECODED_BYTES)
		return e20_fail(pg, err, -EIO, here(pg), "a dictionary page would decode to %llu bytes",
				(unsigned long long)bytes);
	rc = alloc_or_oom(pg, out, n, 1, err);
	if (rc)
		return rc;
	if (lfs_type_is_var_width(&items->type)) {
		out->data = malloc(bytes ? bytes : 1);
		if (!out->data)
			return oom(pg, err);
		out->data_len = bytes;
	}
	if (out->offsets)
		out->offsets[0] = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = pick[i];
		int valid = k != UINT64_MAX && lfs_column_is_valid(items, k);
		lfs_bit_set(out->validity, i, valid);
		if (lfs_type_is_var_width(&items->type)) {
			uint64_t len = k == UINT64_MAX ? 0 : items->offsets[k + 1] - items->offsets[k];
			if (len)
				memcpy(out->data + out->offsets[i], items->data + items->offsets[k], len);
			out->offsets[i + 1] = out->offsets[i] + len;
		} else if (items->type.id == LFS_T_BOOL) {
			lfs_bit_set(out->values, i, k != UINT64_MAX && lfs_bit_get(items->values, k));
		} else if (out->width && k != UINT64_MAX) {
			memcpy(out->values + i * out->width, items->values + k * items->width, out->width);
		}
	}
	lfs_column_finish_validity(out);
	return 0;
}

static int decode_dictionary(const e20_page *pg, const uint8_t *body, size_t len,
			     const e20_target *t, uint64_t a, uint64_t e, lfs_column *out,
			     lfs_err *err, int depth)
{
	const uint8_t *ienc = NULL, *venc = NULL;
	size_t ilen = 0, vlen = 0;
	uint64_t num_items, n = e - a, *pick = NULL;
	lfs_column idx, items;
	lfs_type vtype;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	lfs_column_init(&idx, &u64_type);
	if (t->ints || t->type->id == LFS_T_FIXED_SIZE_LIST || t->type->id == LFS_T_STRUCT)
		return e20_fail(pg, err, -EIO, here(pg), "a dictionary encoding for a %s column",
				t->ints ? "integer" : lfs_type_name(t->type->id));
	if (pb_get_len(body, len, 1, &ienc, &ilen) != 1 || pb_get_len(body, len, 2, &venc, &vlen) != 1 ||
	    pb_get_u64(body, len, 3, &num_items))
		return e20_fail(pg, err, -EIO, here(pg), "a Dictionary message is damaged");
	vtype = *t->type;
	vtype.is_dictionary = 0;
	lfs_column_init(&items, &vtype);
	e20_target vt = { &vtype, t->field, 0 };
	rc = decode(pg, venc, vlen, &vt, 0, num_items, &items, err, depth + 1);
	if (!rc && items.length != num_items)
		rc = e20_fail(pg, err, -EIO, here(pg), "dictionary items decoded to the wrong length");
	if (!rc)
		rc = decode_ints(pg, ienc, ilen, a, e, &idx, err, depth);
	if (!rc && idx.length != n)
		rc = e20_fail(pg, err, -EIO, here(pg), "dictionary indices decoded to the wrong length");
	if (!rc && !(pick = malloc((n ? n : 1) * sizeof(*pick))))
		rc = oom(pg, err);
	for (uint64_t i = 0; !rc && i < n; i++) {
		uint64_t k = u64_at(&idx, i);
		if (!lfs_column_is_valid(&idx, i)) {
			pick[i] = UINT64_MAX;
			continue;
		}
		/* Strings dictionary-encoded by the writer reserve index 0 for
		 * null; columns that were dictionaries in Arrow index directly. */
		if (!t->type->is_dictionary) {
			if (k == 0) {
				pick[i] = UINT64_MAX;
				continue;
			}
			k--;
		}
		if (k >= num_items) {
			rc = e20_fail(pg, err, -EIO, here(pg), "dictionary index %llu of %llu items at row %llu",
				      (unsigned long long)k, (unsigned long long)num_items,
				      (unsigned long long)(a + i));
			break;
		}
		pick[i] = k;
	}
	if (!rc)
		rc = gather(pg, &items, pick, n, out, err);
	free(pick);
	lfs_column_free(&idx);
	lfs_column_free(&items);
	return rc;
}

/* ------------------------------------------------------------ FSST */

static int decode_fsst(const e20_page *pg, const uint8_t *body, size_t len, const e20_target *t,
		       uint64_t a, uint64_t e, lfs_column *out, lfs_err *err, int depth)
{
	const uint8_t *inner = NULL, *table = NULL;
	size_t inner_len = 0, table_len = 0;
	lfs_column comp;
	e21_fsst fsst;
	uint64_t cap, pos = 0;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (!is_var(t))
		return e20_fail(pg, err, -EIO, here(pg), "an FSST encoding for a %s column",
				t->ints ? "integer" : lfs_type_name(t->type->id));
	if (pb_get_len(body, len, 1, &inner, &inner_len) != 1 ||
	    pb_get_len(body, len, 2, &table, &table_len) != 1)
		return e20_fail(pg, err, -EIO, here(pg), "an Fsst message is damaged");
	if (e21_fsst_init(&fsst, table, table_len))
		return e20_fail(pg, err, -EIO, here(pg), "the FSST symbol table is damaged");
	rc = decode(pg, inner, inner_len, t, a, e, &comp, err, depth + 1);
	if (rc) {
		lfs_column_free(&comp);
		return rc;
	}
	/* a symbol is at most 8 bytes; 8 bytes of slack let the decoder copy
	 * whole symbols */
	if (lfs_mul_u64(comp.data_len, 8, &cap) || cap + 8 > MAX_DECODED_BYTES) {
		lfs_column_free(&comp);
		return e20_fail(pg, err, -EIO, here(pg), "FSST data of %llu bytes is too large",
				(unsigned long long)comp.data_len);
	}
	cap += 8;
	*out = comp;
	out->data = malloc((size_t)cap);
	if (!out->data) {
		out->data = comp.data;
		return oom(pg, err);
	}
	for (uint64_t i = 0; i < comp.length; i++) {
		uint64_t s = comp.offsets[i], l = comp.offsets[i + 1] - s;
		int64_t got = e21_fsst_decode(&fsst, comp.data + s, (size_t)l, out->data + pos,
					      (size_t)(cap - pos));
		if (got < 0) {
			free(comp.data);
			return e20_fail(pg, err, -EIO, here(pg), "FSST string of row %llu is damaged",
					(unsigned long long)(a + i));
		}
		out->offsets[i] = pos;
		pos += (uint64_t)got;
	}
	out->offsets[comp.length] = pos;
	out->data_len = pos;
	free(comp.data);
	return 0;
}

/* ------------------------------------------------------------ packed structs and blobs */

/* Bytes a value of a packed child takes (0 when it cannot be packed). */
static uint64_t packed_width(const lfs_field *f)
{
	if (f->type.id == LFS_T_FIXED_SIZE_LIST) {
		const lfs_field *item = fsl_item(f);
		uint64_t w = item ? packed_width(item) : 0;
		return f->type.list_size > 0 ? w * (uint64_t)f->type.list_size : 0;
	}
	return lfs_type_width(&f->type);
}

/* Fills a packed child column (fixed width or fixed-size lists of it) with
 * n values of `width` bytes taken at `stride` from rows. */
static int unpack_child(const e20_page *pg, const lfs_field *f, const uint8_t *rows, uint64_t n,
			uint64_t stride, uint64_t width, lfs_column *out, lfs_err *err)
{
	lfs_column_init(out, &f->type);
	if (f->type.id == LFS_T_FIXED_SIZE_LIST) {
		const lfs_field *item = fsl_item(f);
		uint64_t dim = (uint64_t)f->type.list_size;
		if (alloc_or_oom(pg, out, n, 0, err) || lfs_column_alloc_children(out, 1))
			return oom(pg, err);
		lfs_column *c = &out->children[0];
		lfs_column_init(c, &item->type);
		if (item->type.id == LFS_T_FIXED_SIZE_LIST)
			return e20_fail(pg, err, -ENOTSUP, here(pg), "nested fixed_size_list in a packed struct");
		if (alloc_or_oom(pg, c, n * dim, 0, err))
			return -ENOMEM;
		for (uint64_t i = 0; i < n; i++)
			memcpy(c->values + i * width, rows + i * stride, (size_t)width);
		return 0;
	}
	if (alloc_or_oom(pg, out, n, 0, err))
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		memcpy(out->values + i * width, rows + i * stride, (size_t)width);
	return 0;
}

/* Blob columns keep (position, size) pairs; the bytes are elsewhere in the
 * file.  position 1 with size 0 marks a null. */
static int fetch_blobs(const e20_page *pg, const uint8_t *rows, uint64_t n, lfs_column *out,
		       lfs_err *err)
{
	uint64_t total = 0;
	int rc;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t pos = lfs_le64(rows + 16 * i), size = lfs_le64(rows + 16 * i + 8);
		if (pos == 1 && size == 0)
			continue;
		if (!lfs_range_ok(pos, size, lfs_f2_size(pg->file)) || lfs_add_u64(total, size, &total) ||
		    total > lfs_f2_size(pg->file))
			return e20_fail(pg, err, -EIO, pos, "blob of row %llu (%llu bytes) is outside the file",
					(unsigned long long)i, (unsigned long long)size);
	}
	rc = alloc_or_oom(pg, out, n, 1, err);
	if (rc)
		return rc;
	out->data = malloc(total ? total : 1);
	if (!out->data)
		return oom(pg, err);
	out->data_len = total;
	out->offsets[0] = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pos = lfs_le64(rows + 16 * i), size = lfs_le64(rows + 16 * i + 8);
		int valid = !(pos == 1 && size == 0);
		lfs_bit_set(out->validity, i, valid);
		if (valid && size) {
			rc = lfs_f2_read(pg->file, pg->column, pos, size, out->data + out->offsets[i], err);
			if (rc)
				return rc;
		}
		out->offsets[i + 1] = out->offsets[i] + (valid ? size : 0);
	}
	lfs_column_finish_validity(out);
	return 0;
}

static int decode_packed(const e20_page *pg, const uint8_t *body, size_t len, const e20_target *t,
			 uint64_t a, uint64_t e, lfs_column *out, lfs_err *err)
{
	lfs_pb pb;
	lfs_pb_field fld;
	size_t n_inner = 0;
	uint64_t row_width = 0, need, n = e - a;
	lfs_f2_buf b;
	uint8_t *rows = NULL;
	int blob = is_var(t), rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (!blob && (t->ints || t->type->id != LFS_T_STRUCT || !t->field))
		return e20_fail(pg, err, -EIO, here(pg), "a packed struct encoding for a %s column",
				t->ints ? "integer" : lfs_type_name(t->type->id));
	e20_pb_init(&pb, body, len);
	while ((rc = lfs_pb_next(&pb, &fld)) > 0)
		n_inner += fld.number == 1;
	if (rc < 0)
		return e20_fail(pg, err, -EIO, here(pg), "a PackedStruct message is damaged");
	rc = get_buffer_field(pg, body, len, 2, &b, err);
	if (rc)
		return rc;
	if (blob) {
		if (n_inner != 2)
			return e20_fail(pg, err, -EIO, here(pg), "a blob description with %zu fields", n_inner);
		row_width = 16;
	} else {
		if (n_inner != t->field->n_children)
			return e20_fail(pg, err, -EIO, here(pg), "a packed struct of %zu fields, the schema has %zu",
					n_inner, t->field->n_children);
		for (size_t i = 0; i < t->field->n_children; i++) {
			uint64_t w = packed_width(t->field->children[i]);
			if (w == 0)
				return e20_fail(pg, err, -ENOTSUP, here(pg), "packed field %s of type %s",
						t->field->children[i]->name,
						lfs_type_name(t->field->children[i]->type.id));
			row_width += w;
		}
	}
	if (row_width == 0 || lfs_mul_u64(e, row_width, &need) || need > b.size)
		return e20_fail(pg, err, -EIO, b.pos, "%llu packed rows of %llu bytes run past the buffer",
				(unsigned long long)e, (unsigned long long)row_width);
	rc = lfs_f2_read_alloc(pg->file, pg->column, b.pos + a * row_width, n * row_width, &rows, err);
	if (rc)
		return rc;
	if (blob) {
		rc = fetch_blobs(pg, rows, n, out, err);
		free(rows);
		return rc;
	}
	rc = alloc_or_oom(pg, out, n, 0, err);
	if (!rc && lfs_column_alloc_children(out, (uint32_t)t->field->n_children))
		rc = oom(pg, err);
	uint64_t at = 0;
	for (size_t i = 0; !rc && i < t->field->n_children; i++) {
		const lfs_field *c = t->field->children[i];
		uint64_t w = packed_width(c);
		rc = unpack_child(pg, c, rows + at, n, row_width, w, &out->children[i], err);
		at += w;
	}
	free(rows);
	return rc;
}

/* ------------------------------------------------------------ bit packing */

/* The integer output of a bit-packed encoding: u64 for `ints`, else the
 * target's own width, which must be the uncompressed width. */
static int packed_int_target(const e20_page *pg, const e20_target *t, uint64_t ubits, lfs_err *err)
{
	if (ubits != 8 && ubits != 16 && ubits != 32 && ubits != 64)
		return e20_fail(pg, err, -EIO, here(pg), "bit-packed %llu-bit values",
				(unsigned long long)ubits);
	if (!t->ints && lfs_type_width(t->type) * 8 != ubits)
		return e20_fail(pg, err, -EIO, here(pg), "bit-packed %llu-bit values cannot hold %s",
				(unsigned long long)ubits, lfs_type_name(t->type->id));
	return 0;
}

static void put_int(lfs_column *out, const e20_target *t, uint64_t i, uint64_t v, uint64_t ubits)
{
	if (t->ints) {
		memcpy(out->values + 8 * i, &v, 8);
		return;
	}
	for (uint64_t k = 0; k < ubits / 8; k++)
		out->values[i * (ubits / 8) + k] = (uint8_t)(v >> (8 * k));
}

/* Bitpacked: values of `bits` bits back to back, least significant bit
 * first; signed values are sign-extended. */
static int decode_bitpacked(const e20_page *pg, const uint8_t *body, size_t len,
			    const e20_target *t, uint64_t a, uint64_t e, lfs_column *out,
			    lfs_err *err)
{
	uint64_t bits, ubits, sign, first, last, need, n = e - a;
	lfs_f2_buf b;
	uint8_t *raw;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (pb_get_u64(body, len, 1, &bits) || pb_get_u64(body, len, 2, &ubits) ||
	    pb_get_u64(body, len, 4, &sign))
		return e20_fail(pg, err, -EIO, here(pg), "a Bitpacked message is damaged");
	rc = packed_int_target(pg, t, ubits, err);
	if (rc)
		return rc;
	if (bits == 0 || bits > ubits)
		return e20_fail(pg, err, -EIO, here(pg), "%llu-bit values packed to %llu bits",
				(unsigned long long)ubits, (unsigned long long)bits);
	rc = get_buffer_field(pg, body, len, 3, &b, err);
	if (rc)
		return rc;
	if (lfs_mul_u64(e, bits, &need) || need / 8 + (need % 8 != 0) > b.size)
		return e20_fail(pg, err, -EIO, b.pos, "%llu values of %llu bits run past the buffer",
				(unsigned long long)e, (unsigned long long)bits);
	first = a * bits / 8;
	last = need / 8 + (need % 8 != 0);
	rc = alloc_or_oom(pg, out, n, 0, err);
	if (!rc)
		rc = lfs_f2_read_alloc(pg->file, pg->column, b.pos + first, last - first, &raw, err);
	if (rc)
		return rc;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t bit = (a + i) * bits - first * 8, v = 0;
		for (uint64_t k = 0; k < bits; k++, bit++)
			v |= (uint64_t)((raw[bit >> 3] >> (bit & 7)) & 1) << k;
		if (sign && bits < 64 && (v >> (bits - 1)) & 1)
			v |= ~0ull << bits;
		if (ubits < 64)
			v &= (1ull << ubits) - 1;
		put_int(out, t, i, v, ubits);
	}
	free(raw);
	return 0;
}

/* BitpackedForNonNeg: FastLanes chunks of 1024 values, each packed to
 * `bits` bits (bits * 128 bytes a chunk). */
static int decode_bitpacked_nonneg(const e20_page *pg, const uint8_t *body, size_t len,
				   const e20_target *t, uint64_t a, uint64_t e, lfs_column *out,
				   lfs_err *err)
{
	uint64_t bits, ubits, n = e - a, chunk_bytes, c0, c1, need;
	lfs_f2_buf b;
	uint8_t *raw = NULL, *chunk = NULL;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (pb_get_u64(body, len, 1, &bits) || pb_get_u64(body, len, 2, &ubits))
		return e20_fail(pg, err, -EIO, here(pg), "a BitpackedForNonNeg message is damaged");
	rc = packed_int_target(pg, t, ubits, err);
	if (rc)
		return rc;
	if (bits > ubits)
		return e20_fail(pg, err, -EIO, here(pg), "%llu-bit values packed to %llu bits",
				(unsigned long long)ubits, (unsigned long long)bits);
	rc = get_buffer_field(pg, body, len, 3, &b, err);
	if (rc)
		return rc;
	rc = alloc_or_oom(pg, out, n, 0, err);
	if (rc || n == 0)
		return rc;
	chunk_bytes = bits * 128;
	c0 = a / 1024;
	c1 = (e - 1) / 1024 + 1;
	if (lfs_mul_u64(c1, chunk_bytes, &need) || need > b.size)
		return e20_fail(pg, err, -EIO, b.pos, "%llu chunks of %llu bytes run past the buffer",
				(unsigned long long)c1, (unsigned long long)chunk_bytes);
	if (chunk_bytes) {
		rc = lfs_f2_read_alloc(pg->file, pg->column, b.pos + c0 * chunk_bytes,
				       (c1 - c0) * chunk_bytes, &raw, err);
		if (rc)
			return rc;
	}
	chunk = malloc(1024 * 8);
	if (!chunk) {
		free(raw);
		return oom(pg, err);
	}
	uint64_t w = ubits / 8;
	for (uint64_t c = c0; c < c1; c++) {
		if (chunk_bytes)
			e21_unpack_fastlanes((uint32_t)ubits, (uint32_t)bits, raw + (c - c0) * chunk_bytes,
					     chunk);
		else
			memset(chunk, 0, 1024 * 8);
		uint64_t lo = c * 1024 > a ? c * 1024 : a, hi = (c + 1) * 1024 < e ? (c + 1) * 1024 : e;
		for (uint64_t r = lo; r < hi; r++) {
			const uint8_t *p = chunk + (r - c * 1024) * w;
			uint64_t v = w == 1 ? p[0] : w == 2 ? lfs_le16(p) : w == 4 ? lfs_le32(p) : lfs_le64(p);
			put_int(out, t, r - a, v, ubits);
		}
	}
	free(chunk);
	free(raw);
	return 0;
}

/* Constant: every row holds the same value bytes. */
static int decode_constant(const e20_page *pg, const uint8_t *body, size_t len,
			   const e20_target *t, uint64_t a, uint64_t e, lfs_column *out,
			   lfs_err *err)
{
	const uint8_t *v = NULL;
	size_t vlen = 0;
	uint64_t n = e - a, total;
	int rc;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (pb_get_len(body, len, 1, &v, &vlen) < 0)
		return e20_fail(pg, err, -EIO, here(pg), "a Constant message is damaged");
	if (n > MAX_FREE_ROWS)
		return e20_fail(pg, err, -EIO, here(pg), "%llu constant rows is implausible",
				(unsigned long long)n);
	if (is_var(t)) {
		if (lfs_mul_u64(n, vlen, &total) || total > MAX_DECODED_BYTES)
			return e20_fail(pg, err, -EIO, here(pg), "constant page would decode to too many bytes");
		rc = alloc_or_oom(pg, out, n, 0, err);
		if (rc)
			return rc;
		out->data = malloc(total ? total : 1);
		if (!out->data)
			return oom(pg, err);
		out->data_len = total;
		for (uint64_t i = 0; i < n; i++) {
			memcpy(out->data + i * vlen, v, vlen);
			out->offsets[i + 1] = (i + 1) * vlen;
		}
		return 0;
	}
	uint64_t w = t->ints ? 8 : lfs_type_width(t->type);
	if (w == 0 || (t->ints ? vlen > 8 : vlen != w))
		return e20_fail(pg, err, -ENOTSUP, here(pg), "a constant of %zu bytes for a %s column", vlen,
				t->ints ? "integer" : lfs_type_name(t->type->id));
	rc = alloc_or_oom(pg, out, n, 0, err);
	for (uint64_t i = 0; !rc && i < n; i++)
		memcpy(out->values + i * w, v, vlen);
	return rc;
}

/* ------------------------------------------------------------ dispatch */

static int decode(const e20_page *pg, const uint8_t *enc, size_t len, const e20_target *t,
		  uint64_t a, uint64_t e, lfs_column *out, lfs_err *err, int depth)
{
	uint32_t kind;
	const uint8_t *body = NULL;
	size_t body_len = 0;

	lfs_column_init(out, t->ints ? &u64_type : t->type);
	if (depth > MAX_DEPTH)
		return e20_fail(pg, err, -EIO, here(pg), "encodings nested too deeply");
	if (e > pg->page->num_rows && depth == 0)
		return e20_fail(pg, err, -EIO, here(pg), "rows up to %llu of a page of %llu",
				(unsigned long long)e, (unsigned long long)pg->page->num_rows);
	if (e20_array_kind(enc, len, &kind, &body, &body_len))
		return e20_fail(pg, err, -EIO, here(pg), "the page encoding is not an ArrayEncoding");
	switch (kind) {
	case E20_FLAT: return decode_flat(pg, body, body_len, t, a, e, out, err);
	case E20_NULLABLE: return decode_nullable(pg, body, body_len, t, a, e, out, err, depth);
	case E20_FSL: return decode_fsl(pg, body, body_len, t, a, e, out, err, depth);
	case E20_BINARY: return decode_binary(pg, body, body_len, t, a, e, out, err, depth);
	case E20_DICTIONARY: return decode_dictionary(pg, body, body_len, t, a, e, out, err, depth);
	case E20_FSST: return decode_fsst(pg, body, body_len, t, a, e, out, err, depth);
	case E20_PACKED_STRUCT: return decode_packed(pg, body, body_len, t, a, e, out, err);
	case E20_BITPACKED: return decode_bitpacked(pg, body, body_len, t, a, e, out, err);
	case E20_FIXED_SIZE_BINARY: return decode_fsb(pg, body, body_len, t, a, e, out, err, depth);
	case E20_BITPACKED_NON_NEG:
		return decode_bitpacked_nonneg(pg, body, body_len, t, a, e, out, err);
	case E20_CONSTANT: return decode_constant(pg, body, body_len, t, a, e, out, err);
	case E20_LIST:
	case E20_STRUCT:
		return e20_fail(pg, err, -EIO, here(pg), "a %s encoding inside a page's values",
				e20_kind_name(kind));
	default:
		return e20_fail(pg, err, -ENOTSUP, here(pg), "the %s encoding (%u) is not a 2.0 encoding",
				e20_kind_name(kind), kind);
	}
}

int e20_decode_array(const e20_page *pg, const uint8_t *enc, size_t len, const e20_target *t,
		     uint64_t a, uint64_t e, lfs_column *out, lfs_err *err)
{
	int rc;
	if (a > e)
		return e20_fail(pg, err, -EINVAL, here(pg), "rows %llu..%llu", (unsigned long long)a,
				(unsigned long long)e);
	rc = decode(pg, enc, len, t, a, e, out, err, 0);
	if (!rc && out->length != e - a)
		rc = e20_fail(pg, err, -EIO, here(pg), "the page decoded to %llu rows, not %llu",
			      (unsigned long long)out->length, (unsigned long long)(e - a));
	if (rc)
		lfs_column_free(out);
	return rc;
}
