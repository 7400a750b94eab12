/* format/file2: the Lance v2 file container (footer 0.3, 2.1, 2.2).  See
 * file2.h for what it exposes to page decoders and lfile_impl.h for how
 * lfile.c reaches it.
 *
 * Layout (all integers little-endian), from the end of the file:
 *   footer (40 bytes): u64 column-metadata start, u64 column-metadata
 *     offset table position, u64 global-buffer offset table position,
 *     u32 global buffers, u32 columns, u16 major, u16 minor, "LANC";
 *   the two offset tables: (u64 position, u64 size) per entry;
 *   one ColumnMetadata protobuf per column.
 * Column metadata is parsed lazily, one column at a time, and kept until the
 * file is closed; the tail of the file read at open serves most of it. */
#include "format/file2.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/enc21.h"
#include "format/lfile_impl.h"
#include "format/pb.h"

#define FOOTER_LEN 40
/* Internal return code: the encoding bytes are malformed (the caller adds
 * the message naming the column). */
#define MALFORMED (-EIO - 1000)

/* A column as parsed, with the memory behind its public view. */
typedef struct f2_col {
	lfs_f2_column pub;
	lfs_f2_page *pages;
	lfs_f2_buf *bufs;             /* column buffers, then every page's buffers */
	uint8_t *meta;                /* the ColumnMetadata bytes (Any values point here) */
	uint8_t **extra;              /* indirect encodings read from the file */
	size_t n_extra;
	char **urls;                  /* NUL-terminated type URLs */
	size_t n_urls;
	void **cache;                 /* per-page decoder state */
	void (**cache_free)(void *);
} f2_col;

struct lfs_f2_file {
	lfs_store *store;
	char *key;
	uint64_t size;
	uint16_t major, minor;
	const lfs_data_file *df;
	const lfs_schema *schema;
	uint64_t cm_start;
	uint32_t n_cols, n_gbufs;
	lfs_f2_buf *cmo;              /* column metadata positions */
	lfs_f2_buf *gbo;              /* global buffer positions */
	uint8_t *tail;                /* a copy of the file's last tail_len bytes */
	uint64_t tail_pos;
	size_t tail_len;
	uint64_t num_rows;
	pthread_mutex_t lock;
	f2_col **cols;                /* parsed columns, NULL until asked for */
};

const char *lfs_f2_key(const lfs_f2_file *f) { return f->key; }
void lfs_f2_version(const lfs_f2_file *f, uint16_t *major, uint16_t *minor)
{
	*major = f->major;
	*minor = f->minor;
}
uint32_t lfs_f2_num_columns(const lfs_f2_file *f) { return f->n_cols; }
uint64_t lfs_f2_num_rows(const lfs_f2_file *f) { return f->num_rows; }
uint64_t lfs_f2_size(const lfs_f2_file *f) { return f->size; }
const lfs_data_file *lfs_f2_data_file(const lfs_f2_file *f) { return f->df; }

int lfs_f2_read(lfs_f2_file *f, uint32_t col, uint64_t pos, uint64_t len, void *dst, lfs_err *err)
{
	if (!lfs_range_ok(pos, len, f->size))
		return lfs_fail(err, -EIO,
				"%s: column %u: %llu bytes at offset %llu lie outside the file (%llu bytes)",
				f->key, col, (unsigned long long)len, (unsigned long long)pos,
				(unsigned long long)f->size);
	if (len == 0)
		return 0;
	if (len > SIZE_MAX)
		return lfs_fail(err, -EOVERFLOW, "%s: column %u: %llu bytes at offset %llu is too large",
				f->key, col, (unsigned long long)len, (unsigned long long)pos);
	/* The metadata region (column metadata, tables, footer) was read
	 * with the tail at open; pages always go through the store (the
	 * block cache), so reads of page data are what they look like. */
	if (pos >= f->tail_pos && pos >= f->cm_start) {
		memcpy(dst, f->tail + (pos - f->tail_pos), (size_t)len);
		return 0;
	}
	return lfs_store_read_exact(f->store, f->key, pos, dst, (size_t)len, err);
}

int lfs_f2_read_alloc(lfs_f2_file *f, uint32_t col, uint64_t pos, uint64_t len, uint8_t **out,
		      lfs_err *err)
{
	*out = NULL;
	if (!lfs_range_ok(pos, len, f->size))
		return lfs_fail(err, -EIO,
				"%s: column %u: %llu bytes at offset %llu lie outside the file (%llu bytes)",
				f->key, col, (unsigned long long)len, (unsigned long long)pos,
				(unsigned long long)f->size);
	if (len > SIZE_MAX - 16)
		return lfs_fail(err, -EOVERFLOW, "%s: column %u: %llu bytes is too large", f->key, col,
				(unsigned long long)len);
	/* A few spare zero bytes let decoders load whole words at the end. */
	uint8_t *p = malloc((size_t)len + 16);
	if (!p)
		return lfs_fail(err, -ENOMEM, "%s: out of memory reading %llu bytes", f->key,
				(unsigned long long)len);
	memset(p + len, 0, 16);
	int rc = lfs_f2_read(f, col, pos, len, p, err);
	if (rc) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int lfs_f2_global_buffer(const lfs_f2_file *f, uint32_t i, lfs_f2_buf *out, lfs_err *err)
{
	if (i >= f->n_gbufs)
		return lfs_fail(err, -ENOENT, "%s: no global buffer %u (the file has %u)", f->key, i,
				f->n_gbufs);
	*out = f->gbo[i];
	return 0;
}

int lfs_f2_field_column(const lfs_f2_file *f, int32_t field_id, uint32_t *col)
{
	const lfs_data_file *df = f->df;
	if (!df)
		return -ENOENT;
	for (size_t i = 0; i < df->n_fields; i++) {
		if (df->fields[i] != field_id)
			continue;
		int64_t c;
		if (df->n_column_indices == df->n_fields)
			c = df->column_indices[i];
		else
			c = (int64_t)i; /* old manifests: columns follow the fields */
		if (c < 0 || c >= (int64_t)f->n_cols)
			return -ENOENT;
		*col = (uint32_t)c;
		return 0;
	}
	return -ENOENT;
}

size_t lfs_f2_find_page(const lfs_f2_column *c, uint64_t row)
{
	size_t lo = 0, hi = c->n_pages;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->pages[mid].first_row <= row)
			lo = mid;
		else
			hi = mid;
	}
	/* Skip empty pages that start at the same row. */
	while (lo + 1 < c->n_pages && c->pages[lo].num_rows == 0 && c->pages[lo + 1].first_row <= row)
		lo++;
	return lo;
}

/* ------------------------------------------------------------ parsing */

typedef struct u64vec {
	uint64_t *v;
	size_t n, cap;
} u64vec;

static int u64vec_push(void *ctx, uint64_t x)
{
	u64vec *a = ctx;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		uint64_t *p = realloc(a->v, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		a->v = p;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

static void col_free(f2_col *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->pub.n_pages; i++)
		if (c->cache && c->cache[i] && c->cache_free[i])
			c->cache_free[i](c->cache[i]);
	free(c->cache);
	free(c->cache_free);
	for (size_t i = 0; i < c->n_extra; i++)
		free(c->extra[i]);
	free(c->extra);
	for (size_t i = 0; i < c->n_urls; i++)
		free(c->urls[i]);
	free(c->urls);
	free(c->pages);
	free(c->bufs);
	free(c->meta);
	free(c);
}

static int keep_ptr(void ***arr, size_t *n, void *p)
{
	void **q = realloc(*arr, (*n + 1) * sizeof(*q));
	if (!q)
		return -ENOMEM;
	q[(*n)++] = p;
	*arr = q;
	return 0;
}

/* Parses a protobuf Any {1: type_url, 2: value} into out. */
static int parse_any(f2_col *c, const uint8_t *msg, size_t len, lfs_f2_any *out)
{
	lfs_pb pb;
	lfs_pb_field fl;
	int rc;
	char *url = NULL;

	out->type_url = "";
	out->value = NULL;
	out->value_len = 0;
	lfs_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &fl)) > 0) {
		if (fl.number == 1 && fl.wire == LFS_PB_LEN) {
			free(url);
			url = lfs_pb_strdup(&fl);
			if (!url)
				return -ENOMEM;
		} else if (fl.number == 2 && fl.wire == LFS_PB_LEN) {
			out->value = fl.bytes;
			out->value_len = fl.len;
		}
	}
	if (rc < 0) {
		free(url);
		return -EIO;
	}
	if (url) {
		if (keep_ptr((void ***)&c->urls, &c->n_urls, url)) {
			free(url);
			return -ENOMEM;
		}
		out->type_url = url;
	}
	return 0;
}

/* Parses an Encoding message: direct (an Any in place), indirect (an Any
 * elsewhere in the file) or none. */
static int parse_encoding_inner(lfs_f2_file *f, f2_col *c, const lfs_pb_field *enc,
				lfs_f2_any *out, lfs_err *err);

/* As parse_encoding_inner, with a message for malformed bytes. */
static int parse_encoding(lfs_f2_file *f, f2_col *c, const lfs_pb_field *enc, lfs_f2_any *out,
			  lfs_err *err)
{
	int rc = parse_encoding_inner(f, c, enc, out, err);
	if (rc == MALFORMED)
		return lfs_fail(err, -EIO, "%s: column %u: malformed page encoding (metadata at offset %llu)",
				f->key, c->pub.index, (unsigned long long)c->pub.meta_offset);
	if (rc == -ENOMEM)
		return lfs_fail(err, rc, "%s: out of memory", f->key);
	return rc;
}

static int parse_encoding_inner(lfs_f2_file *f, f2_col *c, const lfs_pb_field *enc,
				lfs_f2_any *out, lfs_err *err)
{
	lfs_pb pb, sub;
	lfs_pb_field fl, e;
	int rc;

	out->type_url = "";
	out->value = NULL;
	out->value_len = 0;
	if (enc->wire != LFS_PB_LEN)
		return MALFORMED;
	lfs_pb_sub(enc, &pb);
	while ((rc = lfs_pb_next(&pb, &fl)) > 0) {
		if (fl.wire != LFS_PB_LEN)
			continue;
		if (fl.number == 2) { /* DirectEncoding { bytes encoding = 1 } */
			lfs_pb_sub(&fl, &sub);
			while ((rc = lfs_pb_next(&sub, &e)) > 0)
				if (e.number == 1 && e.wire == LFS_PB_LEN) {
					rc = parse_any(c, e.bytes, e.len, out);
					if (rc)
						return rc == -EIO ? MALFORMED : rc;
				}
			if (rc < 0)
				return MALFORMED;
		} else if (fl.number == 1) { /* DeferredEncoding { location, length } */
			uint64_t loc = 0, n = 0;
			uint8_t *bytes;
			lfs_pb_sub(&fl, &sub);
			while ((rc = lfs_pb_next(&sub, &e)) > 0) {
				if (e.number == 1 && e.wire == LFS_PB_VARINT)
					loc = e.u64;
				else if (e.number == 2 && e.wire == LFS_PB_VARINT)
					n = e.u64;
			}
			if (rc < 0)
				return MALFORMED;
			if (n > (64u << 20))
				return lfs_fail(err, -EIO, "%s: column %u: deferred encoding of %llu bytes is implausible",
						f->key, c->pub.index, (unsigned long long)n);
			rc = lfs_f2_read_alloc(f, c->pub.index, loc, n, &bytes, err);
			if (rc)
				return rc;
			if (keep_ptr((void ***)&c->extra, &c->n_extra, bytes)) {
				free(bytes);
				return -ENOMEM;
			}
			rc = parse_any(c, bytes, (size_t)n, out);
			if (rc)
				return rc == -EIO ? MALFORMED : rc;
		}
	}
	return rc < 0 ? MALFORMED : 0;
}

/* Checks a list of (position, size) pairs against the file. */
static int check_bufs(lfs_f2_file *f, uint32_t col, const u64vec *offs, const u64vec *sizes,
		      uint64_t meta_off, const char *what, lfs_err *err)
{
	if (offs->n != sizes->n)
		return lfs_fail(err, -EIO,
				"%s: column %u: %s has %zu buffer positions but %zu sizes (metadata at offset %llu)",
				f->key, col, what, offs->n, sizes->n, (unsigned long long)meta_off);
	for (size_t i = 0; i < offs->n; i++)
		if (!lfs_range_ok(offs->v[i], sizes->v[i], f->size))
			return lfs_fail(err, -EIO,
					"%s: column %u: %s buffer %zu (%llu bytes at offset %llu) lies outside the file (metadata at offset %llu)",
					f->key, col, what, i, (unsigned long long)sizes->v[i],
					(unsigned long long)offs->v[i], (unsigned long long)meta_off);
	return 0;
}

typedef struct raw_page {
	u64vec offs, sizes;
	uint64_t length, priority;
	lfs_pb_field enc;
	int has_enc;
} raw_page;

static int parse_page(const lfs_pb_field *pf, raw_page *p)
{
	lfs_pb pb;
	lfs_pb_field fl;
	int rc;

	memset(p, 0, sizeof(*p));
	if (pf->wire != LFS_PB_LEN)
		return -EIO;
	lfs_pb_sub(pf, &pb);
	while ((rc = lfs_pb_next(&pb, &fl)) > 0) {
		switch (fl.number) {
		case 1:
			rc = lfs_pb_packed_varints(&fl, u64vec_push, &p->offs);
			break;
		case 2:
			rc = lfs_pb_packed_varints(&fl, u64vec_push, &p->sizes);
			break;
		case 3:
			p->length = fl.u64;
			rc = fl.wire == LFS_PB_VARINT ? 0 : -EIO;
			break;
		case 4:
			p->enc = fl;
			p->has_enc = 1;
			rc = fl.wire == LFS_PB_LEN ? 0 : -EIO;
			break;
		case 5:
			p->priority = fl.u64;
			rc = 0;
			break;
		default:
			rc = 0;
		}
		if (rc)
			return rc;
	}
	return rc < 0 ? -EIO : 0;
}

static void raw_pages_free(raw_page *rp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rp[i].offs.v);
		free(rp[i].sizes.v);
	}
	free(rp);
}

/* Parses one ColumnMetadata message (bytes owned by the column). */
static int parse_column(lfs_f2_file *f, uint32_t index, uint8_t *meta, size_t len,
			uint64_t meta_off, f2_col **out, lfs_err *err)
{
	f2_col *c = calloc(1, sizeof(*c));
	raw_page *rp = NULL;
	size_t n_rp = 0;
	u64vec coffs = { 0 }, csizes = { 0 };
	lfs_pb pb;
	lfs_pb_field fl, col_enc;
	int has_col_enc = 0, rc;
	size_t total_bufs;

	if (!c) {
		free(meta);
		return lfs_fail(err, -ENOMEM, "%s: out of memory", f->key);
	}
	c->meta = meta;
	c->pub.index = index;
	c->pub.meta_offset = meta_off;
	c->pub.encoding.type_url = "";

	lfs_pb_init(&pb, meta, len);
	while ((rc = lfs_pb_next(&pb, &fl)) > 0) {
		switch (fl.number) {
		case 1:
			if (fl.wire != LFS_PB_LEN) {
				rc = -EIO;
				break;
			}
			col_enc = fl;
			has_col_enc = 1;
			rc = 0;
			break;
		case 2: {
			raw_page *q = realloc(rp, (n_rp + 1) * sizeof(*q));
			if (!q) {
				rc = -ENOMEM;
				break;
			}
			rp = q;
			n_rp++;
			rc = parse_page(&fl, &rp[n_rp - 1]);
			break;
		}
		case 3:
			rc = lfs_pb_packed_varints(&fl, u64vec_push, &coffs);
			break;
		case 4:
			rc = lfs_pb_packed_varints(&fl, u64vec_push, &csizes);
			break;
		default:
			rc = 0;
		}
		if (rc)
			break;
	}
	if (rc < 0) {
		if (rc == -ENOMEM)
			lfs_fail(err, rc, "%s: out of memory", f->key);
		else
			lfs_fail(err, -EIO, "%s: column %u: malformed column metadata at offset %llu",
				 f->key, index, (unsigned long long)meta_off);
		goto fail;
	}
	rc = check_bufs(f, index, &coffs, &csizes, meta_off, "column", err);
	if (rc)
		goto fail;
	total_bufs = coffs.n;
	for (size_t i = 0; i < n_rp; i++) {
		char what[48];
		snprintf(what, sizeof(what), "page %zu", i);
		rc = check_bufs(f, index, &rp[i].offs, &rp[i].sizes, meta_off, what, err);
		if (rc)
			goto fail;
		total_bufs += rp[i].offs.n;
	}
	c->bufs = lfs_xcalloc(total_bufs ? total_bufs : 1, sizeof(*c->bufs));
	c->pages = lfs_xcalloc(n_rp ? n_rp : 1, sizeof(*c->pages));
	c->cache = lfs_xcalloc(n_rp ? n_rp : 1, sizeof(*c->cache));
	c->cache_free = lfs_xcalloc(n_rp ? n_rp : 1, sizeof(*c->cache_free));
	if (!c->bufs || !c->pages || !c->cache || !c->cache_free) {
		rc = lfs_fail(err, -ENOMEM, "%s: out of memory", f->key);
		goto fail;
	}
	size_t bi = 0;
	for (size_t i = 0; i < coffs.n; i++, bi++) {
		c->bufs[bi].pos = coffs.v[i];
		c->bufs[bi].size = csizes.v[i];
	}
	c->pub.bufs = c->bufs;
	c->pub.n_bufs = coffs.n;
	uint64_t row = 0;
	for (size_t i = 0; i < n_rp; i++) {
		lfs_f2_page *p = &c->pages[i];
		p->first_row = row;
		p->num_rows = rp[i].length;
		p->priority = rp[i].priority;
		p->bufs = &c->bufs[bi];
		p->n_bufs = rp[i].offs.n;
		p->meta_offset = meta_off;
		p->encoding.type_url = "";
		for (size_t j = 0; j < rp[i].offs.n; j++, bi++) {
			c->bufs[bi].pos = rp[i].offs.v[j];
			c->bufs[bi].size = rp[i].sizes.v[j];
		}
		if (lfs_add_u64(row, rp[i].length, &row)) {
			rc = lfs_fail(err, -EIO, "%s: column %u: page row counts overflow (metadata at offset %llu)",
				      f->key, index, (unsigned long long)meta_off);
			goto fail;
		}
		if (rp[i].has_enc) {
			rc = parse_encoding(f, c, &rp[i].enc, &p->encoding, err);
			if (rc)
				goto fail;
		}
	}
	c->pub.pages = c->pages;
	c->pub.n_pages = n_rp;
	c->pub.num_rows = row;
	if (has_col_enc) {
		rc = parse_encoding(f, c, &col_enc, &c->pub.encoding, err);
		if (rc)
			goto fail;
	}
	raw_pages_free(rp, n_rp);
	free(coffs.v);
	free(csizes.v);
	*out = c;
	return 0;
fail:
	raw_pages_free(rp, n_rp);
	free(coffs.v);
	free(csizes.v);
	col_free(c);
	return rc < 0 ? rc : -EIO;
}

/* Reads and parses column `i` (no lock held). */
static int load_column(lfs_f2_file *f, uint32_t i, f2_col **out, lfs_err *err)
{
	lfs_f2_buf b = f->cmo[i];
	uint8_t *meta;
	int rc;

	if (b.size > (256u << 20))
		return lfs_fail(err, -EIO, "%s: column %u: metadata of %llu bytes is implausible (at offset %llu)",
				f->key, i, (unsigned long long)b.size, (unsigned long long)b.pos);
	rc = lfs_f2_read_alloc(f, i, b.pos, b.size, &meta, err);
	if (rc)
		return rc;
	return parse_column(f, i, meta, (size_t)b.size, b.pos, out, err);
}

int lfs_f2_column_get(lfs_f2_file *f, uint32_t col, const lfs_f2_column **out, lfs_err *err)
{
	f2_col *c;
	int rc;

	if (col >= f->n_cols)
		return lfs_fail(err, -EIO, "%s: column %u does not exist (the file has %u)", f->key, col,
				f->n_cols);
	pthread_mutex_lock(&f->lock);
	c = f->cols[col];
	pthread_mutex_unlock(&f->lock);
	if (c) {
		*out = &c->pub;
		return 0;
	}
	rc = load_column(f, col, &c, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&f->lock);
	if (f->cols[col]) {
		col_free(c);
		c = f->cols[col];
	} else {
		f->cols[col] = c;
	}
	pthread_mutex_unlock(&f->lock);
	*out = &c->pub;
	return 0;
}

int lfs_f2_page_cache(lfs_f2_file *f, const lfs_f2_column *pub, size_t page,
		      int (*build)(void *ctx, void **state, lfs_err *err), void *ctx,
		      void (*destroy)(void *state), void **out, lfs_err *err)
{
	f2_col *c = (f2_col *)pub; /* pub is the first member */
	void *state = NULL;
	int rc;

	if (page >= pub->n_pages)
		return lfs_fail(err, -EINVAL, "%s: column %u: no page %zu", f->key, pub->index, page);
	pthread_mutex_lock(&f->lock);
	state = c->cache[page];
	pthread_mutex_unlock(&f->lock);
	if (state) {
		*out = state;
		return 0;
	}
	rc = build(ctx, &state, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&f->lock);
	if (c->cache[page]) {
		void *mine = state;
		state = c->cache[page];
		pthread_mutex_unlock(&f->lock);
		destroy(mine);
	} else {
		c->cache[page] = state;
		c->cache_free[page] = destroy;
		pthread_mutex_unlock(&f->lock);
	}
	*out = state;
	return 0;
}

/* ------------------------------------------------------------ open/close */

static void f2_close(void *impl)
{
	lfs_f2_file *f = impl;
	if (!f)
		return;
	if (f->cols)
		for (uint32_t i = 0; i < f->n_cols; i++)
			col_free(f->cols[i]);
	free(f->cols);
	free(f->cmo);
	free(f->gbo);
	free(f->tail);
	free(f->key);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* Reads an offset table of n (position, size) entries at pos. */
static int read_table(lfs_f2_file *f, uint64_t pos, uint32_t n, const char *what,
		      lfs_f2_buf **out, lfs_err *err)
{
	uint64_t bytes;
	uint8_t *raw;
	int rc;

	*out = NULL;
	if (lfs_mul_u64(n, 16, &bytes) || !lfs_range_ok(pos, bytes, f->size - FOOTER_LEN))
		return lfs_fail(err, -EIO, "%s: %s offset table (%u entries at offset %llu) lies outside the file",
				f->key, what, n, (unsigned long long)pos);
	*out = lfs_xcalloc(n ? n : 1, sizeof(**out));
	if (!*out)
		return lfs_fail(err, -ENOMEM, "%s: out of memory", f->key);
	if (n == 0)
		return 0;
	rc = lfs_f2_read_alloc(f, 0, pos, bytes, &raw, err);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		(*out)[i].pos = lfs_le64(raw + 16 * (size_t)i);
		(*out)[i].size = lfs_le64(raw + 16 * (size_t)i + 8);
		if (!lfs_range_ok((*out)[i].pos, (*out)[i].size, f->size)) {
			rc = lfs_fail(err, -EIO,
				      "%s: %s %u (%llu bytes at offset %llu) lies outside the file (table at offset %llu)",
				      f->key, what, i, (unsigned long long)(*out)[i].size,
				      (unsigned long long)(*out)[i].pos,
				      (unsigned long long)(pos + 16 * (uint64_t)i));
			free(raw);
			return rc;
		}
	}
	free(raw);
	return 0;
}

static int f2_read(void *impl, const lfs_field *field, uint64_t start, uint64_t count,
		   lfs_column *out, lfs_err *err);
static int f2_page_starts(void *impl, const lfs_field *field, uint64_t **starts, size_t *n,
			  lfs_err *err);
static uint64_t f2_num_rows(const void *impl) { return ((const lfs_f2_file *)impl)->num_rows; }

static const lfs_lfile_ops f2_ops = {
	.read = f2_read,
	.page_starts = f2_page_starts,
	.num_rows = f2_num_rows,
	.close = f2_close,
};

int lfs_file2_open(const lfs_lfile_ctx *ctx, void **impl, const lfs_lfile_ops **ops, lfs_err *err)
{
	lfs_f2_file *f;
	const uint8_t *ft;
	uint64_t cmo_pos, gbo_pos;
	int rc;

	*impl = NULL;
	if (ctx->size < FOOTER_LEN || ctx->tail_len < FOOTER_LEN)
		return lfs_fail(err, -EIO, "%s: %llu bytes is too small for a Lance v2 file", ctx->key,
				(unsigned long long)ctx->size);
	f = calloc(1, sizeof(*f));
	if (!f)
		return lfs_fail(err, -ENOMEM, "%s: out of memory", ctx->key);
	pthread_mutex_init(&f->lock, NULL);
	f->store = ctx->store;
	f->size = ctx->size;
	f->major = ctx->major;
	f->minor = ctx->minor;
	f->df = ctx->df;
	f->schema = ctx->schema;
	f->key = strdup(ctx->key);
	f->tail = malloc(ctx->tail_len);
	if (!f->key || !f->tail) {
		rc = lfs_fail(err, -ENOMEM, "%s: out of memory", ctx->key);
		goto fail;
	}
	memcpy(f->tail, ctx->tail, ctx->tail_len);
	f->tail_len = ctx->tail_len;
	f->tail_pos = ctx->size - ctx->tail_len;

	ft = ctx->tail + ctx->tail_len - FOOTER_LEN;
	f->cm_start = lfs_le64(ft);
	cmo_pos = lfs_le64(ft + 8);
	gbo_pos = lfs_le64(ft + 16);
	f->n_gbufs = lfs_le32(ft + 24);
	f->n_cols = lfs_le32(ft + 28);
	if (f->cm_start > f->size - FOOTER_LEN)
		{
		rc = lfs_fail(err, -EIO, "%s: footer: column metadata start %llu lies outside the file (footer at offset %llu)",
			      ctx->key, (unsigned long long)f->cm_start,
			      (unsigned long long)(f->size - FOOTER_LEN));
		goto fail;
	}
	rc = read_table(f, cmo_pos, f->n_cols, "column metadata", &f->cmo, err);
	if (rc)
		goto fail;
	rc = read_table(f, gbo_pos, f->n_gbufs, "global buffer", &f->gbo, err);
	if (rc)
		goto fail;
	f->cols = lfs_xcalloc(f->n_cols ? f->n_cols : 1, sizeof(*f->cols));
	if (!f->cols) {
		rc = lfs_fail(err, -ENOMEM, "%s: out of memory", ctx->key);
		goto fail;
	}
	/* The file's row count is the row count of any top-level column; the
	 * first column always starts a top-level field. */
	if (f->n_cols > 0) {
		const lfs_f2_column *c0;
		rc = lfs_f2_column_get(f, 0, &c0, err);
		if (rc)
			goto fail;
		f->num_rows = c0->num_rows;
	}
	*impl = f;
	*ops = &f2_ops;
	return 0;
fail:
	f2_close(f);
	return rc;
}

/* ------------------------------------------------------------ reading */

/* 2.0 files: the field's first column, page by page, through the 2.0
 * decoders' hook. */
static int read_v20(lfs_f2_file *f, const lfs_field *field, uint64_t start, uint64_t count,
		    lfs_column *out, lfs_err *err)
{
	const lfs_f2_column *c;
	uint32_t col;
	uint64_t end = start + count, row;
	int rc;

	if (lfs_f2_field_column(f, field->id, &col))
		return lfs_fail(err, -EIO, "%s: the file holds no column for field %s (id %d)", f->key,
				field->name, field->id);
	rc = lfs_f2_column_get(f, col, &c, err);
	if (rc)
		return rc;
	if (c->num_rows < end)
		return lfs_fail(err, -EIO, "%s: column %u holds %llu rows, fewer than the %llu asked for",
				f->key, col, (unsigned long long)c->num_rows, (unsigned long long)end);
	lfs_column_init(out, &field->type);
	row = start;
	while (row < end) {
		size_t p = lfs_f2_find_page(c, row);
		const lfs_f2_page *pg = &c->pages[p];
		uint64_t in_page = row - pg->first_row;
		uint64_t n = pg->num_rows - in_page;
		if (n > end - row)
			n = end - row;
		if (n == 0)
			return lfs_fail(err, -EIO, "%s: column %u: no page holds row %llu", f->key, col,
					(unsigned long long)row);
		lfs_enc20_request req = { .file = f, .field = field, .column = col, .col = c,
					  .page = p, .start = in_page, .count = n };
		lfs_column part;
		lfs_column_init(&part, &field->type);
		rc = lfs_enc20_decode_page(&req, &part, err);
		if (rc) {
			lfs_column_free(&part);
			lfs_column_free(out);
			return rc;
		}
		if (part.length != n) {
			lfs_column_free(&part);
			lfs_column_free(out);
			return lfs_fail(err, -EIO, "%s: column %u: page %zu decoded to %llu rows, not %llu",
					f->key, col, p, (unsigned long long)part.length,
					(unsigned long long)n);
		}
		if (out->length == 0) {
			lfs_column_free(out);
			*out = part;
		} else {
			rc = lfs_column_append(out, &part, 0, n);
			lfs_column_free(&part);
			if (rc) {
				lfs_column_free(out);
				return lfs_fail(err, rc, "%s: column %u: cannot join pages", f->key, col);
			}
		}
		row += n;
	}
	return 0;
}

static int f2_read(void *impl, const lfs_field *field, uint64_t start, uint64_t count,
		   lfs_column *out, lfs_err *err)
{
	lfs_f2_file *f = impl;
	uint64_t end;

	if (lfs_add_u64(start, count, &end) || end > f->num_rows)
		return lfs_fail(err, -EINVAL, "%s: rows %llu+%llu are past the file's %llu rows", f->key,
				(unsigned long long)start, (unsigned long long)count,
				(unsigned long long)f->num_rows);
	int rc;
	if (f->major == 0 && f->minor == 3)
		rc = read_v20(f, field, start, count, out, err);
	else
		rc = lfs_enc21_read_field(f, field, start, count, out, err);
	/* Every message names the file. */
	if (rc && err && !strstr(err->msg, f->key))
		lfs_err_prefix(err, "%s: field %s: ", f->key, field->name ? field->name : "?");
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int page_starts(lfs_f2_file *f, const lfs_field *field, uint64_t **starts, size_t *n,
		       lfs_err *err);

static int f2_page_starts(void *impl, const lfs_field *field, uint64_t **starts, size_t *n,
			  lfs_err *err)
{
	lfs_f2_file *f = impl;
	int rc = page_starts(f, field, starts, n, err);
	/* Every message names the file. */
	if (rc && err && !strstr(err->msg, f->key))
		lfs_err_prefix(err, "%s: field %s: ", f->key, field->name ? field->name : "?");
	return rc;
}

static int page_starts(lfs_f2_file *f, const lfs_field *field, uint64_t **starts, size_t *n,
		       lfs_err *err)
{
	uint32_t cols[64];
	size_t ncols = 0, total = 0, k = 0;
	uint64_t *v;
	int rc;

	*starts = NULL;
	*n = 0;
	if (f->major == 0 && f->minor == 3) {
		if (lfs_f2_field_column(f, field->id, &cols[0]))
			return lfs_fail(err, -EIO, "%s: the file holds no column for field %s (id %d)",
					f->key, field->name, field->id);
		ncols = 1;
	} else {
		rc = lfs_enc21_field_columns(f, field, cols, 64, &ncols, err);
		if (rc)
			return rc;
		if (ncols > 64)
			ncols = 64;
	}
	for (size_t i = 0; i < ncols; i++) {
		const lfs_f2_column *c;
		rc = lfs_f2_column_get(f, cols[i], &c, err);
		if (rc)
			return rc;
		total += c->n_pages;
	}
	v = lfs_xcalloc(total + 1, sizeof(*v));
	if (!v)
		return lfs_fail(err, -ENOMEM, "%s: out of memory", f->key);
	v[k++] = 0;
	for (size_t i = 0; i < ncols; i++) {
		const lfs_f2_column *c;
		rc = lfs_f2_column_get(f, cols[i], &c, err);
		if (rc) {
			free(v);
			return rc;
		}
		for (size_t p = 0; p < c->n_pages; p++)
			if (c->pages[p].first_row < f->num_rows)
				v[k++] = c->pages[p].first_row;
	}
	qsort(v, k, sizeof(*v), cmp_u64);
	size_t m = 0;
	for (size_t i = 0; i < k; i++)
		if (m == 0 || v[i] != v[m - 1])
			v[m++] = v[i];
	*starts = v;
	*n = m;
	return 0;
}
