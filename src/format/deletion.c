/*
 * format/deletion: deletion vectors and tags.
 *
 * A deletion file is either an Arrow IPC *file* holding one 32-bit integer
 * column of deleted row offsets (".arrow"), or a roaring bitmap in the
 * portable serialization (".bin").  The Arrow file is read through its
 * footer (LanceDB pads the start of the file, so the stream cannot be walked
 * from the front), with a minimal bounds-checked FlatBuffers reader that
 * knows just the tables needed: Footer, Block, Message and RecordBatch.
 */
#include "format/manifest.h"

#include <errno.h>
#include <jansson.h>
#include <lz4frame.h>
#include <roaring/roaring.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* ------------------------------------------------ a tiny FlatBuffers reader */

typedef struct fb {
	const uint8_t *base;
	size_t len;
} fb;

/* A table: its position in the buffer and its vtable's position/size. */
typedef struct fb_table {
	size_t pos, vt;
	uint16_t vt_len;
} fb_table;

static int fb_table_at(const fb *b, size_t pos, fb_table *t)
{
	int64_t vt;
	if (!lfs_range_ok(pos, 4, b->len))
		return -EIO;
	vt = (int64_t)pos - (int32_t)lfs_le32(b->base + pos);
	if (vt < 0 || !lfs_range_ok((uint64_t)vt, 4, b->len))
		return -EIO;
	t->pos = pos;
	t->vt = (size_t)vt;
	t->vt_len = lfs_le16(b->base + t->vt);
	if (t->vt_len < 4 || !lfs_range_ok(t->vt, t->vt_len, b->len))
		return -EIO;
	return 0;
}

/* Position of field i of a table, or 0 when the field is absent. */
static size_t fb_field(const fb *b, const fb_table *t, unsigned i, size_t size)
{
	size_t slot = 4 + 2 * (size_t)i;
	uint16_t off;
	if (slot + 2 > t->vt_len)
		return 0;
	off = lfs_le16(b->base + t->vt + slot);
	if (off == 0 || !lfs_range_ok(t->pos + off, size, b->len))
		return 0;
	return t->pos + off;
}

static int64_t fb_i64(const fb *b, const fb_table *t, unsigned i)
{
	size_t p = fb_field(b, t, i, 8);
	return p ? (int64_t)lfs_le64(b->base + p) : 0;
}

static uint8_t fb_u8(const fb *b, const fb_table *t, unsigned i)
{
	size_t p = fb_field(b, t, i, 1);
	return p ? b->base[p] : 0;
}

/* Follows an offset field to a sub-table. */
static int fb_sub(const fb *b, const fb_table *t, unsigned i, fb_table *out)
{
	size_t p = fb_field(b, t, i, 4);
	if (!p)
		return -ENOENT;
	return fb_table_at(b, p + lfs_le32(b->base + p), out);
}

/* A vector of structs of elem bytes: its first element and its length. */
static int fb_vector(const fb *b, const fb_table *t, unsigned i, size_t elem, size_t *start,
		     uint32_t *n)
{
	size_t p = fb_field(b, t, i, 4), v;
	if (!p) {
		*n = 0;
		return 0;
	}
	v = p + lfs_le32(b->base + p);
	if (!lfs_range_ok(v, 4, b->len))
		return -EIO;
	*n = lfs_le32(b->base + v);
	*start = v + 4;
	if ((uint64_t)*n * elem > b->len || !lfs_range_ok(*start, (uint64_t)*n * elem, b->len))
		return -EIO;
	return 0;
}

static int fb_root(const uint8_t *data, size_t len, fb *b, fb_table *root)
{
	b->base = data;
	b->len = len;
	if (len < 8)
		return -EIO;
	return fb_table_at(b, lfs_le32(data), root);
}

/* --------------------------------------------------------- Arrow IPC file */

enum { ARROW_HEADER_RECORD_BATCH = 3 };

/* Copies buffer `idx` of a record batch body into out (decompressing when
 * the batch says so); out_len is the buffer's logical length. */
static int arrow_buffer(const uint8_t *body, size_t body_len, const fb *mb, size_t buffers,
			uint32_t nbuf, uint32_t idx, int codec, uint8_t **out, size_t *out_len)
{
	uint64_t off, len;
	if (idx >= nbuf)
		return -EIO;
	off = lfs_le64(mb->base + buffers + 16 * (size_t)idx);
	len = lfs_le64(mb->base + buffers + 16 * (size_t)idx + 8);
	if (!lfs_range_ok(off, len, body_len))
		return -EIO;
	const uint8_t *src = body + off;
	if (codec < 0 || len == 0) {
		*out = malloc(len ? len : 1);
		if (!*out)
			return -ENOMEM;
		memcpy(*out, src, len);
		*out_len = len;
		return 0;
	}
	/* compressed buffers: int64 uncompressed length, then the frame;
	 * -1 means the bytes were left uncompressed */
	if (len < 8)
		return -EIO;
	int64_t raw = (int64_t)lfs_le64(src);
	src += 8;
	len -= 8;
	if (raw == -1) {
		*out = malloc(len ? len : 1);
		if (!*out)
			return -ENOMEM;
		memcpy(*out, src, len);
		*out_len = len;
		return 0;
	}
	if (raw < 0 || raw > (int64_t)(1u << 30))
		return -EIO;
	*out = malloc(raw ? (size_t)raw : 1);
	if (!*out)
		return -ENOMEM;
	*out_len = (size_t)raw;
	if (codec == 1) {
		size_t got = ZSTD_decompress(*out, (size_t)raw, src, len);
		if (ZSTD_isError(got) || got != (size_t)raw)
			goto bad;
		return 0;
	}
	LZ4F_dctx *dctx;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
		goto bad;
	size_t dst_size = (size_t)raw, src_size = len;
	size_t r = LZ4F_decompress(dctx, *out, &dst_size, src, &src_size, NULL);
	LZ4F_freeDecompressionContext(dctx);
	if (LZ4F_isError(r) || dst_size != (size_t)raw)
		goto bad;
	return 0;
bad:
	free(*out);
	*out = NULL;
	return -EIO;
}

static int push_offsets(const uint8_t *vals, size_t n_vals, const uint8_t *validity,
			uint32_t **offsets, size_t *n)
{
	uint32_t *p = realloc(*offsets, (*n + n_vals + 1) * sizeof(uint32_t));
	if (!p)
		return -ENOMEM;
	*offsets = p;
	for (size_t i = 0; i < n_vals; i++) {
		if (validity && !lfs_bit_get(validity, i))
			continue;
		int32_t v = (int32_t)lfs_le32(vals + 4 * i);
		if (v < 0)
			return -EIO;
		p[(*n)++] = (uint32_t)v;
	}
	return 0;
}

/* One record batch (Block at `block`) of an Arrow IPC file. */
static int arrow_batch(const uint8_t *file, size_t len, const uint8_t *block, uint32_t **offsets,
		       size_t *n, lfs_err *err)
{
	uint64_t off = lfs_le64(block), body_len = lfs_le64(block + 16);
	uint32_t meta_len = lfs_le32(block + 8);
	fb mb;
	fb_table msg, batch, comp;
	size_t nodes = 0, buffers = 0;
	uint32_t n_nodes, n_buffers;
	const uint8_t *meta;
	size_t meta_size;
	int codec = -1, rc;

	if (!lfs_range_ok(off, meta_len, len) || !lfs_range_ok(off + meta_len, body_len, len))
		return lfs_fail(err, -EIO, "record batch at %llu lies outside the file",
				(unsigned long long)off);
	meta = file + off;
	meta_size = meta_len;
	/* the metadata starts with an optional 0xFFFFFFFF continuation and a length */
	if (meta_size >= 8 && lfs_le32(meta) == 0xFFFFFFFFu) {
		meta += 8;
		meta_size -= 8;
	} else if (meta_size >= 4) {
		meta += 4;
		meta_size -= 4;
	}
	if (fb_root(meta, meta_size, &mb, &msg) ||
	    fb_u8(&mb, &msg, 1) != ARROW_HEADER_RECORD_BATCH ||
	    fb_sub(&mb, &msg, 2, &batch) ||
	    fb_vector(&mb, &batch, 1, 16, &nodes, &n_nodes) ||
	    fb_vector(&mb, &batch, 2, 16, &buffers, &n_buffers))
		return lfs_fail(err, -EIO, "damaged record batch message at offset %llu",
				(unsigned long long)off);
	if (fb_sub(&mb, &batch, 3, &comp) == 0)
		codec = fb_u8(&mb, &comp, 0); /* 0 LZ4_FRAME, 1 ZSTD */
	int64_t rows = fb_i64(&mb, &batch, 0);
	if (n_nodes != 1 || n_buffers < 2 || rows < 0 || rows > UINT32_MAX)
		return lfs_fail(err, -EIO, "record batch at %llu: expected one integer column",
				(unsigned long long)off);
	int64_t nulls = (int64_t)lfs_le64(mb.base + nodes + 8);
	uint8_t *validity = NULL, *values = NULL;
	size_t validity_len = 0, values_len = 0;
	const uint8_t *body = file + off + meta_len;
	rc = arrow_buffer(body, body_len, &mb, buffers, n_buffers, 1, codec, &values, &values_len);
	if (!rc && nulls > 0)
		rc = arrow_buffer(body, body_len, &mb, buffers, n_buffers, 0, codec, &validity,
				  &validity_len);
	if (!rc && (values_len < (uint64_t)rows * 4 ||
		    (validity && validity_len * 8 < (uint64_t)rows)))
		rc = -EIO;
	if (!rc)
		rc = push_offsets(values, (size_t)rows, validity, offsets, n);
	free(values);
	free(validity);
	if (rc)
		return lfs_fail(err, rc == -ENOMEM ? rc : -EIO,
				"record batch at %llu: damaged buffers", (unsigned long long)off);
	return 0;
}

static int arrow_deletions(const uint8_t *file, size_t len, uint32_t **offsets, size_t *n,
			   lfs_err *err)
{
	fb b;
	fb_table footer;
	size_t blocks = 0;
	uint32_t n_blocks, footer_len;
	int rc;

	if (len < 20 || memcmp(file, "ARROW1", 6) != 0 || memcmp(file + len - 6, "ARROW1", 6) != 0)
		return lfs_fail(err, -EIO, "not an Arrow IPC file (no ARROW1 magic)");
	footer_len = lfs_le32(file + len - 10);
	if (footer_len > len - 16)
		return lfs_fail(err, -EIO, "Arrow footer length %u is larger than the file", footer_len);
	if (fb_root(file + len - 10 - footer_len, footer_len, &b, &footer) ||
	    fb_vector(&b, &footer, 3, 24, &blocks, &n_blocks))
		return lfs_fail(err, -EIO, "damaged Arrow footer at offset %zu",
				(size_t)(len - 10 - footer_len));
	for (uint32_t i = 0; i < n_blocks; i++) {
		rc = arrow_batch(file, len, b.base + blocks + 24 * (size_t)i, offsets, n, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int roaring_deletions(const uint8_t *bytes, size_t len, uint32_t **offsets, size_t *n,
			     lfs_err *err)
{
	roaring_bitmap_t *r = roaring_bitmap_portable_deserialize_safe((const char *)bytes, len);
	if (!r)
		return lfs_fail(err, -EIO, "damaged roaring bitmap (%zu bytes)", len);
	uint64_t card = roaring_bitmap_get_cardinality(r);
	*offsets = malloc((card ? card : 1) * sizeof(uint32_t));
	if (!*offsets) {
		roaring_bitmap_free(r);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	roaring_bitmap_to_uint32_array(r, *offsets);
	*n = (size_t)card;
	roaring_bitmap_free(r);
	return 0;
}

int lfs_deletions_decode(enum lfs_deletion_type type, const uint8_t *bytes, size_t len,
			 uint32_t **offsets, size_t *n, lfs_err *err)
{
	int rc;
	*offsets = NULL;
	*n = 0;
	if (type == LFS_DEL_BITMAP)
		rc = roaring_deletions(bytes, len, offsets, n, err);
	else
		rc = arrow_deletions(bytes, len, offsets, n, err);
	if (rc) {
		free(*offsets);
		*offsets = NULL;
		*n = 0;
		return rc;
	}
	/* Arrow files list offsets in the order rows were deleted. */
	if (*n > 1)
		qsort(*offsets, *n, sizeof(uint32_t), cmp_u32);
	size_t w = 0;
	for (size_t i = 0; i < *n; i++)
		if (w == 0 || (*offsets)[w - 1] != (*offsets)[i])
			(*offsets)[w++] = (*offsets)[i];
	*n = w;
	return 0;
}

/* -------------------------------------------------------------------- tags */

int lfs_tag_decode(const uint8_t *bytes, size_t len, uint64_t *version, char **branch, lfs_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)bytes, len, 0, &jerr), *v, *b;
	*branch = NULL;
	if (!root)
		return lfs_fail(err, -EIO, "tag file is not JSON: %s at line %d", jerr.text, jerr.line);
	v = json_object_get(root, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		json_decref(root);
		return lfs_fail(err, -EIO, "tag file has no integer \"version\"");
	}
	*version = (uint64_t)json_integer_value(v);
	b = json_object_get(root, "branch");
	if (json_is_string(b) && !(*branch = strdup(json_string_value(b)))) {
		json_decref(root);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	json_decref(root);
	return 0;
}
