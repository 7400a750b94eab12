/*
 * format/legacy: Lance's first data-file format (footer version 0.1 / 0.2,
 * LanceDB storage version "legacy").
 *
 * Layout, as read here (see doc/format-legacy.md):
 *   - the last 16 bytes: i64 position of the file metadata, u16 major,
 *     u16 minor, "LANC";
 *   - at that position a u32 length and a lance.file.Metadata protobuf:
 *     batch_offsets (cumulative rows of each row group, starting at 0), the
 *     position of the page table and the position of an embedded manifest
 *     (the file's own schema, which holds the dictionaries' positions);
 *   - the page table: for every field id from the DataFile's first field id
 *     to its largest, for every batch, an (i64 position, i64 length) pair.
 *     The length counts values (rows of that field in that batch), not bytes.
 * Pages, by logical type:
 *   - fixed width (ints, floats, dates, times, decimals, fixed-size binary,
 *     fixed-size lists of those): the values back to back; bools as an
 *     LSB-first bitmap.  No validity is stored: null slots read back as the
 *     bytes that were under them (zeros, as Arrow writers leave them).
 *   - strings and binaries: the page position points at length + 1 i64
 *     absolute file positions; value i is the bytes between positions i and
 *     i + 1 (the bytes themselves precede the positions).  In a nullable
 *     field an empty value reads back as null.
 *   - dictionary: the keys as a plain page; the values are kept once per
 *     file, at the position the embedded schema's Field.dictionary gives.
 *   - list / large_list: an i32 / i64 offsets page (length + 1 values,
 *     starting at 0 in each batch) and the child field's own pages.
 *   - struct: no page of its own; each child has its own.
 *   - null: no bytes; the page length is the row count.
 *
 * Only the batches that hold the requested rows are touched, and inside them
 * only the byte ranges of those rows.
 */
#include "format/lfile_impl.h"
#include "format/pb.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* A nested null-typed child may claim any number of rows without a byte
 * behind them; beyond this many we call the file damaged. */
#define LEGACY_MAX_NULL_ROWS (1ull << 26)

typedef struct legacy_dict {
	int32_t field_id;
	lfs_column values;
} legacy_dict;

typedef struct legacy_file {
	lfs_store *store;
	char *key;
	uint64_t size;
	uint32_t n_batches;
	uint64_t *batch_offsets;     /* n_batches + 1 cumulative row counts */
	int32_t min_id, max_id;      /* the page table's field id range */
	uint64_t *pages;             /* (max_id - min_id + 1) x n_batches x (pos, len) */
	uint64_t manifest_pos;       /* embedded schema, 0 when there is none */

	pthread_mutex_t lock;        /* guards dicts */
	legacy_dict *dicts;
	size_t n_dicts;
} legacy_file;

/* A page as the page table gives it. */
typedef struct legacy_page {
	uint64_t pos;
	uint64_t len;   /* values, not bytes */
	uint32_t batch;
} legacy_page;

/* ------------------------------------------------------------ errors, I/O */

/* Fails with `code`, naming the file, the column and the file offset. */
__attribute__((format(printf, 6, 7)))
static int damaged(lfs_err *err, int code, const legacy_file *lf, const lfs_field *f, uint64_t off,
		   const char *fmt, ...)
{
	char what[320], path[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (f) {
		lfs_field_path(f, path, sizeof(path));
		return lfs_fail(err, code, "%s: column %s (field id %d) at offset %llu: %s", lf->key,
				path, f->id, (unsigned long long)off, what);
	}
	return lfs_fail(err, code, "%s: at offset %llu: %s", lf->key, (unsigned long long)off, what);
}

/* The same for failures that have no file offset (unsupported types). */
__attribute__((format(printf, 5, 6)))
static int unsupported(lfs_err *err, int code, const legacy_file *lf, const lfs_field *f,
		       const char *fmt, ...)
{
	char what[320], path[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	lfs_field_path(f, path, sizeof(path));
	return lfs_fail(err, code, "%s: column %s (field id %d): %s", lf->key, path, f->id, what);
}

static int oom(lfs_err *err, const legacy_file *lf)
{
	return lfs_fail(err, -ENOMEM, "%s: out of memory", lf->key);
}

/* Reads [off, off + len) of the file, which must lie inside it. */
static int fetch(const legacy_file *lf, const lfs_field *f, uint64_t off, uint64_t len, void *buf,
		 lfs_err *err)
{
	if (!lfs_range_ok(off, len, lf->size))
		return damaged(err, -EIO, lf, f, off, "%llu bytes would run past the end of the file (%llu bytes)",
			       (unsigned long long)len, (unsigned long long)lf->size);
	if (len == 0)
		return 0;
	if (len > SIZE_MAX)
		return oom(err, lf);
	return lfs_store_read_exact(lf->store, lf->key, off, buf, (size_t)len, err);
}

/* Allocates and fetches a byte range; caller frees *out. */
static int fetch_alloc(const legacy_file *lf, const lfs_field *f, uint64_t off, uint64_t len,
		       uint8_t **out, lfs_err *err)
{
	*out = NULL;
	if (!lfs_range_ok(off, len, lf->size))
		return damaged(err, -EIO, lf, f, off, "%llu bytes would run past the end of the file (%llu bytes)",
			       (unsigned long long)len, (unsigned long long)lf->size);
	uint8_t *buf = malloc(len ? (size_t)len : 1);
	if (!buf)
		return oom(err, lf);
	int rc = fetch(lf, f, off, len, buf, err);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

/* ------------------------------------------------------------ metadata */

typedef struct offsets_acc {
	uint64_t *v;
	size_t n, cap;
} offsets_acc;

static int acc_offset(void *ctx, uint64_t raw)
{
	offsets_acc *a = ctx;
	/* an int32 on the wire: negative ones arrive sign-extended to 64 bits */
	if (raw > INT32_MAX) {
		return -EIO;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		uint64_t *p = realloc(a->v, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		a->v = p;
		a->cap = cap;
	}
	a->v[a->n++] = raw;
	return 0;
}

/* Decodes lance.file.Metadata: batch offsets, page table and manifest positions. */
static int parse_metadata(legacy_file *lf, const uint8_t *msg, size_t len, uint64_t msg_pos,
			  uint64_t *page_table_pos, lfs_err *err)
{
	offsets_acc acc = { 0 };
	lfs_pb pb;
	lfs_pb_field fld;
	int rc;

	*page_table_pos = 0;
	lfs_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &fld)) > 0) {
		switch (fld.number) {
		case 1: /* manifest_position */
			if (fld.wire != LFS_PB_VARINT)
				goto bad;
			lf->manifest_pos = fld.u64;
			break;
		case 2: /* batch_offsets, packed or not */
			rc = lfs_pb_packed_varints(&fld, acc_offset, &acc);
			if (rc == -ENOMEM) {
				free(acc.v);
				return oom(err, lf);
			}
			if (rc) {
				free(acc.v);
				return damaged(err, -EIO, lf, NULL, msg_pos,
					       "file metadata: a batch offset is negative or not an int32");
			}
			break;
		case 3: /* page_table_position */
			if (fld.wire != LFS_PB_VARINT)
				goto bad;
			*page_table_pos = fld.u64;
			break;
		default: /* statistics and anything newer: not needed to read data */
			break;
		}
	}
	if (rc < 0)
		goto bad;

	if (acc.n > UINT32_MAX) {
		free(acc.v);
		goto bad;
	}
	lf->n_batches = acc.n ? (uint32_t)(acc.n - 1) : 0;
	if (acc.n == 0) {
		acc.v = calloc(1, sizeof(uint64_t));
		if (!acc.v)
			return oom(err, lf);
	} else if (acc.v[0] != 0) {
		free(acc.v);
		return damaged(err, -EIO, lf, NULL, msg_pos, "file metadata: batch offsets do not start at 0");
	}
	for (size_t i = 1; i < acc.n; i++) {
		if (acc.v[i] < acc.v[i - 1]) {
			int rc2 = damaged(err, -EIO, lf, NULL, msg_pos,
					  "file metadata: batch offset %zu (%llu) is below the one before",
					  i, (unsigned long long)acc.v[i]);
			free(acc.v);
			return rc2;
		}
	}
	lf->batch_offsets = acc.v;
	return 0;
bad:
	free(acc.v);
	return damaged(err, -EIO, lf, NULL, msg_pos, "file metadata (lance.file.Metadata) is not valid protobuf");
}

/* The page table covers field ids from the DataFile's first field id to its
 * largest one (that is how the writer sized it). */
static int field_id_range(legacy_file *lf, const lfs_data_file *df, lfs_err *err)
{
	if (!df || df->n_fields == 0)
		return lfs_fail(err, -EIO, "%s: the manifest lists no fields for this data file", lf->key);
	lf->min_id = df->fields[0];
	lf->max_id = df->fields[0];
	for (size_t i = 1; i < df->n_fields; i++)
		if (df->fields[i] > lf->max_id)
			lf->max_id = df->fields[i];
	if (lf->min_id < 0)
		return lfs_fail(err, -EIO, "%s: the manifest gives this data file a negative field id (%d)",
				lf->key, lf->min_id);
	return 0;
}

static int load_page_table(legacy_file *lf, uint64_t pos, lfs_err *err)
{
	uint64_t n_ids = (uint64_t)((int64_t)lf->max_id - lf->min_id + 1), cells, bytes;
	uint8_t *raw;
	int rc;

	if (lf->n_batches == 0)
		return 0;
	if (lfs_mul_u64(n_ids, lf->n_batches, &cells) || lfs_mul_u64(cells, 16, &bytes) ||
	    !lfs_range_ok(pos, bytes, lf->size))
		return damaged(err, -EIO, lf, NULL, pos,
			       "the page table (%llu fields x %u batches) runs past the end of the file",
			       (unsigned long long)n_ids, lf->n_batches);
	rc = fetch_alloc(lf, NULL, pos, bytes, &raw, err);
	if (rc)
		return rc;
	lf->pages = malloc((size_t)bytes);
	if (!lf->pages) {
		free(raw);
		return oom(err, lf);
	}
	for (uint64_t i = 0; i < cells * 2; i++)
		lf->pages[i] = lfs_le64(raw + 8 * i);
	free(raw);
	return 0;
}

static int get_page(const legacy_file *lf, const lfs_field *f, uint32_t batch, legacy_page *out,
		    lfs_err *err)
{
	if (f->id < lf->min_id || f->id > lf->max_id)
		return unsupported(err, -EIO, lf, f, "not in this file (it holds field ids %d..%d)",
				   lf->min_id, lf->max_id);
	uint64_t cell = (uint64_t)(f->id - lf->min_id) * lf->n_batches + batch;
	out->pos = lf->pages[2 * cell];
	out->len = lf->pages[2 * cell + 1];
	out->batch = batch;
	if ((int64_t)out->pos < 0 || (int64_t)out->len < 0 || out->pos > lf->size)
		return damaged(err, -EIO, lf, f, out->pos,
			       "batch %u: the page table gives position %lld, length %lld", batch,
			       (long long)out->pos, (long long)out->len);
	return 0;
}

/* ------------------------------------------------------------ pages */

static int read_field(legacy_file *lf, const lfs_field *f, uint32_t batch, uint64_t a, uint64_t e,
		      lfs_column *out, lfs_err *err);

static int need_rows(const legacy_file *lf, const lfs_field *f, const legacy_page *pg, uint64_t e,
		     lfs_err *err)
{
	if (e > pg->len)
		return damaged(err, -EIO, lf, f, pg->pos,
			       "batch %u: rows up to %llu are wanted but the page holds %llu", pg->batch,
			       (unsigned long long)e, (unsigned long long)pg->len);
	return 0;
}

/* Values [a, e) of a plain page of `type` holding `rows` values at pos.
 * Fixed-size lists recurse into their element with rows scaled. */
static int read_plain(legacy_file *lf, const lfs_field *f, const lfs_type *type, uint64_t pos,
		      uint64_t rows, uint32_t batch, uint64_t a, uint64_t e, lfs_column *out,
		      lfs_err *err)
{
	uint64_t n = e - a, bytes, first, total;
	int rc;

	lfs_column_init(out, type);
	if (e > rows)
		return damaged(err, -EIO, lf, f, pos,
			       "batch %u: rows up to %llu are wanted but the page holds %llu", batch,
			       (unsigned long long)e, (unsigned long long)rows);
	if (type->id == LFS_T_FIXED_SIZE_LIST) {
		uint64_t size = type->list_size > 0 ? (uint64_t)type->list_size : 0, ca, ce, crows;
		const lfs_field *item = f->n_children == 1 ? f->children[0] : NULL;
		if (!item || size == 0)
			return unsupported(err, -ENOTSUP, lf, f, "fixed_size_list without an element type");
		if (lfs_mul_u64(a, size, &ca) || lfs_mul_u64(e, size, &ce) || lfs_mul_u64(rows, size, &crows))
			return damaged(err, -EIO, lf, f, pos, "batch %u: %llu rows of %llu values overflow",
				       batch, (unsigned long long)rows, (unsigned long long)size);
		rc = lfs_column_alloc(out, n, 0);
		if (!rc)
			rc = lfs_column_alloc_children(out, 1);
		if (rc)
			return oom(err, lf);
		return read_plain(lf, item, &item->type, pos, crows, batch, ca, ce, &out->children[0], err);
	}
	if (type->id == LFS_T_BOOL) {
		/* the page is a bitmap: bytes [a / 8, ceil(e / 8)) hold our bits */
		if (!lfs_range_ok(pos, rows / 8 + (rows % 8 != 0), lf->size))
			return damaged(err, -EIO, lf, f, pos, "batch %u: %llu bools run past the end of the file",
				       batch, (unsigned long long)rows);
		if (lfs_column_alloc(out, n, 0))
			return oom(err, lf);
		if (n == 0)
			return 0;
		first = a / 8;
		uint8_t *bits;
		rc = fetch_alloc(lf, f, pos + first, (e + 7) / 8 - first, &bits, err);
		if (rc)
			return rc;
		for (uint64_t i = 0; i < n; i++)
			lfs_bit_set(out->values, i, lfs_bit_get(bits, a - first * 8 + i));
		free(bits);
		return 0;
	}
	uint32_t width = lfs_type_width(type);
	if (width == 0)
		return unsupported(err, -ENOTSUP, lf, f, "type %s has no plain layout",
				   lfs_type_name(type->id));
	if (lfs_mul_u64(rows, width, &total) || !lfs_range_ok(pos, total, lf->size))
		return damaged(err, -EIO, lf, f, pos, "batch %u: %llu values of %u bytes run past the end of the file",
			       batch, (unsigned long long)rows, width);
	bytes = n * width;
	if (lfs_column_alloc(out, n, 0))
		return oom(err, lf);
	return fetch(lf, f, pos + a * width, bytes, out->values, err);
}

/* Strings and binaries: positions page + bytes.  `nullable` turns empty
 * values into nulls, which is how these files stored a null. */
static int read_varbinary(legacy_file *lf, const lfs_field *f, const lfs_type *type, uint64_t pos,
			  uint64_t rows, uint32_t batch, uint64_t a, uint64_t e, int nullable,
			  lfs_column *out, lfs_err *err)
{
	uint64_t n = e - a, total;
	uint8_t *raw;
	int rc;

	lfs_column_init(out, type);
	if (e > rows)
		return damaged(err, -EIO, lf, f, pos,
			       "batch %u: rows up to %llu are wanted but the page holds %llu", batch,
			       (unsigned long long)e, (unsigned long long)rows);
	if (lfs_add_u64(rows, 1, &total) || lfs_mul_u64(total, 8, &total) ||
	    !lfs_range_ok(pos, total, lf->size))
		return damaged(err, -EIO, lf, f, pos, "batch %u: %llu value positions run past the end of the file",
			       batch, (unsigned long long)rows);
	rc = fetch_alloc(lf, f, pos + a * 8, (n + 1) * 8, &raw, err);
	if (rc)
		return rc;
	uint64_t start = lfs_le64(raw), prev = start;
	for (uint64_t i = 1; i <= n && !rc; i++) {
		uint64_t p = lfs_le64(raw + 8 * i);
		if (p < prev)
			rc = damaged(err, -EIO, lf, f, pos + (a + i) * 8,
				     "batch %u: value position %llu is below the one before (%llu)", batch,
				     (unsigned long long)p, (unsigned long long)prev);
		prev = p;
	}
	if (!rc && (int64_t)start < 0)
		rc = damaged(err, -EIO, lf, f, pos + a * 8, "batch %u: negative value position", batch);
	if (!rc && !lfs_range_ok(start, prev - start, lf->size))
		rc = damaged(err, -EIO, lf, f, start, "batch %u: %llu value bytes run past the end of the file",
			     batch, (unsigned long long)(prev - start));
	if (!rc && lfs_column_alloc(out, n, nullable))
		rc = oom(err, lf);
	if (!rc)
		rc = fetch_alloc(lf, f, start, prev - start, &out->data, err);
	if (rc) {
		free(raw);
		return rc;
	}
	out->data_len = prev - start;
	for (uint64_t i = 0; i <= n; i++)
		out->offsets[i] = lfs_le64(raw + 8 * i) - start;
	free(raw);
	if (nullable) {
		for (uint64_t i = 0; i < n; i++)
			lfs_bit_set(out->validity, i, out->offsets[i + 1] != out->offsets[i]);
		lfs_column_finish_validity(out);
	}
	return 0;
}

/* ------------------------------------------------------------ dictionaries */

/* The key type of "dict:VALUE:KEY:ORDERED". */
static int dict_key_type(const char *logical, lfs_type *key)
{
	static const struct { const char *name; enum lfs_type_id id; } keys[] = {
		{ "int8", LFS_T_INT8 }, { "int16", LFS_T_INT16 }, { "int32", LFS_T_INT32 },
		{ "int64", LFS_T_INT64 }, { "uint8", LFS_T_UINT8 }, { "uint16", LFS_T_UINT16 },
		{ "uint32", LFS_T_UINT32 }, { "uint64", LFS_T_UINT64 },
	};
	const char *last, *k;
	size_t len;

	memset(key, 0, sizeof(*key));
	if (!logical || strncmp(logical, "dict:", 5) != 0)
		return -ENOTSUP;
	last = strrchr(logical, ':');
	if (!last || last < logical + 5)
		return -ENOTSUP;
	k = last;
	while (k > logical + 5 && k[-1] != ':')
		k--;
	if (k <= logical + 5)
		return -ENOTSUP;
	len = (size_t)(last - k);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].name) == len && strncmp(k, keys[i].name, len) == 0) {
			key->id = keys[i].id;
			return 0;
		}
	}
	return -ENOTSUP;
}

/* Finds Field.dictionary (offset, length) of field `id` in the file's
 * embedded manifest (a lance.table.Manifest whose field 1 is the schema). */
static int find_dictionary(legacy_file *lf, const lfs_field *f, uint64_t *off, uint64_t *len,
			   lfs_err *err)
{
	uint8_t lenbuf[4], *msg;
	uint64_t mlen;
	lfs_pb pb, fpb, dpb;
	lfs_pb_field x, y, z;
	int rc, found = 0;

	if (lf->manifest_pos == 0)
		return unsupported(err, -ENOTSUP, lf, f,
				   "the dictionary is not kept in this file (no embedded schema)");
	rc = fetch(lf, f, lf->manifest_pos, 4, lenbuf, err);
	if (rc)
		return rc;
	mlen = lfs_le32(lenbuf);
	rc = fetch_alloc(lf, f, lf->manifest_pos + 4, mlen, &msg, err);
	if (rc)
		return rc;
	lfs_pb_init(&pb, msg, (size_t)mlen);
	while (!found && (rc = lfs_pb_next(&pb, &x)) > 0) {
		int32_t id = 0;
		int has_dict = 0;
		uint64_t doff = 0, dlen = 0;
		if (x.number != 1 || x.wire != LFS_PB_LEN)
			continue;
		lfs_pb_sub(&x, &fpb);
		while ((rc = lfs_pb_next(&fpb, &y)) > 0) {
			if (y.number == 3 && y.wire == LFS_PB_VARINT) {
				id = (int32_t)y.u64;
			} else if (y.number == 8 && y.wire == LFS_PB_LEN) {
				has_dict = 1;
				lfs_pb_sub(&y, &dpb);
				while ((rc = lfs_pb_next(&dpb, &z)) > 0) {
					if (z.number == 1 && z.wire == LFS_PB_VARINT)
						doff = z.u64;
					else if (z.number == 2 && z.wire == LFS_PB_VARINT)
						dlen = z.u64;
				}
				if (rc < 0)
					break;
			}
		}
		if (rc < 0)
			break;
		if (id == f->id && has_dict) {
			found = 1;
			*off = doff;
			*len = dlen;
		}
	}
	free(msg);
	if (rc < 0)
		return damaged(err, -EIO, lf, f, lf->manifest_pos, "the embedded schema is not valid protobuf");
	if (!found)
		return damaged(err, -EIO, lf, f, lf->manifest_pos,
			       "the embedded schema has no dictionary for this field");
	if ((int64_t)*off < 0 || (int64_t)*len < 0)
		return damaged(err, -EIO, lf, f, lf->manifest_pos,
			       "the embedded schema gives a negative dictionary position or length");
	return 0;
}

/* The dictionary values of field f, loaded once per file. */
static int get_dictionary(legacy_file *lf, const lfs_field *f, const lfs_column **out, lfs_err *err)
{
	lfs_type vtype = f->type;
	uint64_t off = 0, len = 0;
	int rc = 0;

	vtype.is_dictionary = 0;
	pthread_mutex_lock(&lf->lock);
	for (size_t i = 0; i < lf->n_dicts; i++) {
		/* the value type is part of the key: a damaged schema may give two
		 * fields one id */
		if (lf->dicts[i].field_id == f->id && lf->dicts[i].values.type.id == vtype.id) {
			*out = &lf->dicts[i].values;
			pthread_mutex_unlock(&lf->lock);
			return 0;
		}
	}
	legacy_dict *grown = realloc(lf->dicts, (lf->n_dicts + 1) * sizeof(*grown));
	if (!grown) {
		rc = oom(err, lf);
		goto out;
	}
	lf->dicts = grown;
	legacy_dict *d = &lf->dicts[lf->n_dicts];
	d->field_id = f->id;
	lfs_column_init(&d->values, &vtype);
	rc = find_dictionary(lf, f, &off, &len, err);
	if (rc)
		goto out;
	if (lfs_type_is_var_width(&vtype)) {
		/* as LanceDB loads them: empty dictionary values are null */
		rc = read_varbinary(lf, f, &vtype, off, len, 0, 0, len, 1, &d->values, err);
	} else if (vtype.id >= LFS_T_INT8 && vtype.id <= LFS_T_UINT64) {
		rc = read_plain(lf, f, &vtype, off, len, 0, 0, len, &d->values, err);
	} else {
		rc = unsupported(err, -ENOTSUP, lf, f, "dictionaries of %s values are not supported",
				 lfs_type_name(vtype.id));
	}
	if (rc) {
		lfs_column_free(&d->values);
		goto out;
	}
	lf->n_dicts++;
	*out = &d->values;
out:
	pthread_mutex_unlock(&lf->lock);
	return rc;
}

static int64_t key_at(const lfs_column *keys, uint64_t i)
{
	const uint8_t *p = keys->values + i * keys->width;
	switch (keys->type.id) {
	case LFS_T_INT8: return (int8_t)p[0];
	case LFS_T_UINT8: return p[0];
	case LFS_T_INT16: return (int16_t)lfs_le16(p);
	case LFS_T_UINT16: return lfs_le16(p);
	case LFS_T_INT32: return (int32_t)lfs_le32(p);
	case LFS_T_UINT32: return lfs_le32(p);
	case LFS_T_INT64: return (int64_t)lfs_le64(p);
	default: { /* uint64: keys past INT64_MAX are out of range anyway */
		uint64_t v = lfs_le64(p);
		return v > INT64_MAX ? -1 : (int64_t)v;
	}
	}
}

/* Keys page + dictionary -> the values, typed as the field (is_dictionary set). */
static int read_dict(legacy_file *lf, const lfs_field *f, const legacy_page *pg, uint64_t a,
		     uint64_t e, lfs_column *out, lfs_err *err)
{
	lfs_type ktype;
	lfs_column keys;
	const lfs_column *dict = NULL;
	uint64_t n = e - a, bytes = 0;
	int rc;

	lfs_column_init(out, &f->type);
	if (dict_key_type(f->logical_type, &ktype))
		return unsupported(err, -ENOTSUP, lf, f, "cannot read the key type of \"%s\"",
				   f->logical_type ? f->logical_type : "");
	rc = get_dictionary(lf, f, &dict, err);
	if (rc)
		return rc;
	rc = read_plain(lf, f, &ktype, pg->pos, pg->len, pg->batch, a, e, &keys, err);
	if (rc) {
		lfs_column_free(&keys);
		return rc;
	}
	for (uint64_t i = 0; i < n; i++) {
		int64_t k = key_at(&keys, i);
		if (k < 0 || (uint64_t)k >= dict->length) {
			rc = damaged(err, -EIO, lf, f, pg->pos + (a + i) * keys.width,
				     "batch %u: dictionary key %lld is outside the %llu values", pg->batch,
				     (long long)k, (unsigned long long)dict->length);
			goto out;
		}
		if (lfs_type_is_var_width(&dict->type))
			bytes += dict->offsets[k + 1] - dict->offsets[k];
	}
	if (lfs_column_alloc(out, n, dict->validity != NULL)) {
		rc = oom(err, lf);
		goto out;
	}
	if (lfs_type_is_var_width(&dict->type)) {
		out->data = malloc(bytes ? bytes : 1);
		if (!out->data) {
			rc = oom(err, lf);
			goto out;
		}
		out->data_len = bytes;
		out->offsets[0] = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t k = (uint64_t)key_at(&keys, i);
			uint64_t len = dict->offsets[k + 1] - dict->offsets[k];
			memcpy(out->data + out->offsets[i], dict->data + dict->offsets[k], len);
			out->offsets[i + 1] = out->offsets[i] + len;
		}
	} else {
		for (uint64_t i = 0; i < n; i++) {
			uint64_t k = (uint64_t)key_at(&keys, i);
			memcpy(out->values + i * out->width, dict->values + k * dict->width, dict->width);
		}
	}
	if (dict->validity) {
		for (uint64_t i = 0; i < n; i++)
			lfs_bit_set(out->validity, i, lfs_column_is_valid(dict, (uint64_t)key_at(&keys, i)));
		lfs_column_finish_validity(out);
	}
out:
	lfs_column_free(&keys);
	return rc;
}

/* ------------------------------------------------------------ nested */

static int read_list(legacy_file *lf, const lfs_field *f, const legacy_page *pg, uint64_t a,
		     uint64_t e, lfs_column *out, lfs_err *err)
{
	int large = f->type.id == LFS_T_LARGE_LIST;
	uint64_t n = e - a, width = large ? 8 : 4, total;
	uint8_t *raw;
	int rc;

	if (f->n_children != 1)
		return unsupported(err, -ENOTSUP, lf, f, "a list field needs one child, it has %zu",
				   f->n_children);
	rc = need_rows(lf, f, pg, e, err);
	if (rc)
		return rc;
	if (lfs_add_u64(pg->len, 1, &total) || lfs_mul_u64(total, width, &total) ||
	    !lfs_range_ok(pg->pos, total, lf->size))
		return damaged(err, -EIO, lf, f, pg->pos, "batch %u: %llu list offsets run past the end of the file",
			       pg->batch, (unsigned long long)pg->len);
	rc = fetch_alloc(lf, f, pg->pos + a * width, (n + 1) * width, &raw, err);
	if (rc)
		return rc;
	if (lfs_column_alloc(out, n, 0) || lfs_column_alloc_children(out, 1)) {
		free(raw);
		return oom(err, lf);
	}
	uint64_t first = 0, prev = 0;
	for (uint64_t i = 0; i <= n; i++) {
		int64_t v = large ? (int64_t)lfs_le64(raw + 8 * i) : (int32_t)lfs_le32(raw + 4 * i);
		if (v < 0 || (i > 0 && (uint64_t)v < prev)) {
			free(raw);
			return damaged(err, -EIO, lf, f, pg->pos + (a + i) * width,
				       "batch %u: list offset %lld is negative or below the one before",
				       pg->batch, (long long)v);
		}
		if (i == 0)
			first = (uint64_t)v;
		prev = (uint64_t)v;
		out->offsets[i] = (uint64_t)v - first;
	}
	free(raw);
	return read_field(lf, f->children[0], pg->batch, first, prev, &out->children[0], err);
}

static int read_struct(legacy_file *lf, const lfs_field *f, uint32_t batch, uint64_t a, uint64_t e,
		       lfs_column *out, lfs_err *err)
{
	if (f->n_children > UINT32_MAX)
		return unsupported(err, -ENOTSUP, lf, f, "too many children");
	if (lfs_column_alloc(out, e - a, 0) || lfs_column_alloc_children(out, (uint32_t)f->n_children))
		return oom(err, lf);
	for (size_t i = 0; i < f->n_children; i++) {
		int rc = read_field(lf, f->children[i], batch, a, e, &out->children[i], err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Rows [a, e) of batch `batch` of field f (and its children) into out. */
static int read_field(legacy_file *lf, const lfs_field *f, uint32_t batch, uint64_t a, uint64_t e,
		      lfs_column *out, lfs_err *err)
{
	legacy_page pg;
	int rc;

	lfs_column_init(out, &f->type);
	if (f->type.id == LFS_T_STRUCT)
		return read_struct(lf, f, batch, a, e, out, err);
	rc = get_page(lf, f, batch, &pg, err);
	if (rc)
		return rc;
	if (f->type.is_dictionary)
		return read_dict(lf, f, &pg, a, e, out, err);
	switch (f->type.id) {
	case LFS_T_NULL:
		rc = need_rows(lf, f, &pg, e, err);
		if (rc)
			return rc;
		if (e - a > LEGACY_MAX_NULL_ROWS)
			return damaged(err, -EIO, lf, f, pg.pos, "batch %u: %llu null rows is implausible",
				       batch, (unsigned long long)(e - a));
		if (lfs_column_alloc(out, e - a, 1))
			return oom(err, lf);
		lfs_column_finish_validity(out);
		out->null_count = e - a;
		return 0;
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8: case LFS_T_BINARY: case LFS_T_LARGE_BINARY:
		return read_varbinary(lf, f, &f->type, pg.pos, pg.len, batch, a, e, f->nullable, out, err);
	case LFS_T_LIST: case LFS_T_LARGE_LIST:
		return read_list(lf, f, &pg, a, e, out, err);
	case LFS_T_MAP:
		return unsupported(err, -ENOTSUP, lf, f, "map columns do not exist in legacy files");
	default:
		return read_plain(lf, f, &f->type, pg.pos, pg.len, batch, a, e, out, err);
	}
}

/* An empty column of f's type, with its children, for files without rows. */
static int empty_field(const legacy_file *lf, const lfs_field *f, lfs_column *out, lfs_err *err)
{
	lfs_column_init(out, &f->type);
	if (lfs_column_alloc(out, 0, 0))
		return oom(err, lf);
	if ((f->type.id == LFS_T_LIST || f->type.id == LFS_T_LARGE_LIST ||
	     f->type.id == LFS_T_FIXED_SIZE_LIST) && f->n_children != 1)
		return unsupported(err, -ENOTSUP, lf, f, "a list field needs one child, it has %zu",
				   f->n_children);
	if (f->type.id == LFS_T_STRUCT || f->type.id == LFS_T_LIST || f->type.id == LFS_T_LARGE_LIST ||
	    f->type.id == LFS_T_FIXED_SIZE_LIST) {
		if (f->n_children > UINT32_MAX || lfs_column_alloc_children(out, (uint32_t)f->n_children))
			return oom(err, lf);
		for (size_t i = 0; i < f->n_children; i++) {
			int rc = empty_field(lf, f->children[i], &out->children[i], err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ ops */

static uint32_t batch_of_row(const legacy_file *lf, uint64_t row)
{
	uint32_t lo = 0, hi = lf->n_batches; /* answer in [lo, hi) */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (lf->batch_offsets[mid] <= row)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int legacy_read(void *impl, const lfs_field *field, uint64_t start, uint64_t count,
		       lfs_column *out, lfs_err *err)
{
	legacy_file *lf = impl;
	uint64_t end = start + count; /* lfile.c checked it against the row count */
	int rc = 0;

	lfs_column_init(out, &field->type);

	if (count == 0 || lf->n_batches == 0) {
		rc = empty_field(lf, field, out, err);
		if (rc)
			lfs_column_free(out);
		return rc;
	}
	uint32_t b = batch_of_row(lf, start);
	/* skip empty batches at the start */
	while (b < lf->n_batches && lf->batch_offsets[b + 1] <= start)
		b++;
	int first = 1;
	for (; b < lf->n_batches && lf->batch_offsets[b] < end; b++) {
		uint64_t bs = lf->batch_offsets[b], be = lf->batch_offsets[b + 1];
		uint64_t a = (start > bs ? start : bs) - bs, e = (end < be ? end : be) - bs;
		if (a == e)
			continue;
		if (first && end <= be) {
			/* the whole request lies in one batch: decode straight into out */
			rc = read_field(lf, field, b, a, e, out, err);
			if (rc)
				lfs_column_free(out);
			return rc;
		}
		lfs_column piece;
		rc = read_field(lf, field, b, a, e, &piece, err);
		if (!rc && first) {
			*out = piece;
			first = 0;
			continue;
		}
		if (!rc && lfs_column_append(out, &piece, 0, piece.length))
			rc = oom(err, lf);
		lfs_column_free(&piece);
		if (rc)
			break;
	}
	if (rc)
		lfs_column_free(out);
	return rc;
}

static int legacy_page_starts(void *impl, const lfs_field *field, uint64_t **starts, size_t *n,
			      lfs_err *err)
{
	legacy_file *lf = impl;
	size_t k = 0;
	(void)field;
	*starts = malloc((lf->n_batches + 1) * sizeof(uint64_t));
	if (!*starts)
		return oom(err, lf);
	(*starts)[k++] = 0;
	for (uint32_t b = 1; b < lf->n_batches; b++)
		if (lf->batch_offsets[b] > (*starts)[k - 1])
			(*starts)[k++] = lf->batch_offsets[b];
	*n = k;
	return 0;
}

static uint64_t legacy_num_rows(const void *impl)
{
	const legacy_file *lf = impl;
	return lf->batch_offsets[lf->n_batches];
}

static void legacy_close(void *impl)
{
	legacy_file *lf = impl;
	if (!lf)
		return;
	for (size_t i = 0; i < lf->n_dicts; i++)
		lfs_column_free(&lf->dicts[i].values);
	free(lf->dicts);
	pthread_mutex_destroy(&lf->lock);
	free(lf->batch_offsets);
	free(lf->pages);
	free(lf->key);
	free(lf);
}

static const lfs_lfile_ops legacy_ops = {
	.read = legacy_read,
	.page_starts = legacy_page_starts,
	.num_rows = legacy_num_rows,
	.close = legacy_close,
};

int lfs_legacy_open(const lfs_lfile_ctx *ctx, void **impl, const lfs_lfile_ops **ops, lfs_err *err)
{
	legacy_file *lf;
	uint8_t *msg = NULL;
	uint64_t meta_pos, meta_len, page_table_pos;
	int rc;

	*impl = NULL;
	lf = calloc(1, sizeof(*lf));
	if (!lf)
		return lfs_fail(err, -ENOMEM, "%s: out of memory", ctx->key);
	lf->store = ctx->store;
	lf->size = ctx->size;
	lf->key = strdup(ctx->key);
	pthread_mutex_init(&lf->lock, NULL);
	if (!lf->key) {
		legacy_close(lf);
		return lfs_fail(err, -ENOMEM, "%s: out of memory", ctx->key);
	}
	if (ctx->tail_len < 16) {
		rc = damaged(err, -EIO, lf, NULL, 0, "too small for a legacy Lance file");
		goto fail;
	}
	meta_pos = lfs_le64(ctx->tail + ctx->tail_len - 16);
	if ((int64_t)meta_pos < 0 || meta_pos > lf->size - 16 || lf->size - 16 - meta_pos < 4) {
		rc = damaged(err, -EIO, lf, NULL, lf->size - 16,
			     "the footer gives metadata position %lld, outside the file", (long long)meta_pos);
		goto fail;
	}
	uint64_t tail_start = lf->size - ctx->tail_len;
	uint8_t lenbuf[4];
	if (meta_pos >= tail_start)
		memcpy(lenbuf, ctx->tail + (meta_pos - tail_start), 4);
	else if ((rc = fetch(lf, NULL, meta_pos, 4, lenbuf, err)))
		goto fail;
	meta_len = lfs_le32(lenbuf);
	if (meta_len > lf->size - 16 - meta_pos - 4) {
		rc = damaged(err, -EIO, lf, NULL, meta_pos,
			     "file metadata of %llu bytes would run into the footer", (unsigned long long)meta_len);
		goto fail;
	}
	if (meta_pos + 4 >= tail_start) {
		rc = parse_metadata(lf, ctx->tail + (meta_pos + 4 - tail_start), (size_t)meta_len, meta_pos,
				    &page_table_pos, err);
	} else {
		rc = fetch_alloc(lf, NULL, meta_pos + 4, meta_len, &msg, err);
		if (!rc)
			rc = parse_metadata(lf, msg, (size_t)meta_len, meta_pos, &page_table_pos, err);
		free(msg);
	}
	if (rc)
		goto fail;
	rc = field_id_range(lf, ctx->df, err);
	if (rc)
		goto fail;
	rc = load_page_table(lf, page_table_pos, err);
	if (rc)
		goto fail;
	*impl = lf;
	*ops = &legacy_ops;
	return 0;
fail:
	legacy_close(lf);
	return rc;
}
