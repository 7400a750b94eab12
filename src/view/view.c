/*
 * Views: the bytes of data/NAME.{jsonl,txt,npy,valid.npy,bin}, rows.jsonl
 * and rows.csv, served by byte range.
 *
 * Binary views know their size from the row count; a read maps its bytes
 * to rows, decodes those rows (a whole page when the source hints one) and
 * keeps the last chunks, so sequential reads decode each page once.
 *
 * Text views render blocks of rows.  Every block rendered past the furthest
 * known row adds a point (row, byte offset) to a sparse index, so a read at
 * any offset starts from the nearest point below it: the head is cheap, the
 * tail costs at most one pass, and once the last row is reached the size is
 * exact.  Rendering is deterministic, so a block rendered again (or by two
 * threads at once) has the same bytes.
 *
 * Shared state (caches, index) is under one mutex that is never held while
 * decoding or rendering; cached chunks are reference counted so a reader can
 * copy from one while another thread evicts it.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "view/view_impl.h"

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

/* Binary views: a decoded chunk holds at most this much of the body (more
 * only when one row is larger), and without a hint about this much. */
#define BIN_CHUNK_MAX (8u << 20)
#define BIN_CHUNK_DEFAULT (1u << 20)
#define BIN_SLOTS 2
/* Text views: a block aims at this much text, holds at most TEXT_ROWS_MAX
 * rows, and follows a page hint up to TEXT_CHUNK_MAX of text. */
#define TEXT_CHUNK_TARGET (1u << 20)
#define TEXT_CHUNK_MAX (4u << 20)
#define TEXT_ROWS_FIRST 1024
#define TEXT_ROWS_MIN 64
#define TEXT_ROWS_MAX 262144
#define TEXT_SLOTS 2
#define MAX_SLOTS 2

typedef struct chunk {
	uint64_t row0, nrows;  /* rows it holds */
	uint64_t off, len;     /* its bytes in the file (binary: in the body) */
	const uint8_t *bytes;
	uint8_t *owned;        /* bytes we allocated, or NULL */
	lfs_column col;        /* the decoded column bytes may point into */
	int refs;              /* one for the cache slot, one per reader */
	uint64_t stamp;        /* last use, for LRU */
} chunk;

typedef struct index_point {
	uint64_t row, off;
} index_point;

/* A chunk some thread is decoding or rendering right now; others that need
 * it wait for it rather than decode the same rows again (the kernel's
 * read-ahead sends neighbouring reads at the same time).  It lives on the
 * loader's stack. */
typedef struct inflight {
	uint64_t row0, nrows;
	struct inflight *next;
} inflight;

struct lfs_view {
	enum lfs_view_kind kind;
	const lfs_row_source *src;
	size_t col;
	int binary;
	pthread_mutex_t mu;
	pthread_cond_t loaded; /* an inflight load finished */
	inflight *loading;

	chunk *slots[MAX_SLOTS];
	int nslots;
	uint64_t clock;

	uint8_t *prefix;       /* NPY header, CSV header row */
	size_t prefix_len;
	uint64_t size;         /* valid when size_known */
	int size_known;

	/* binary */
	lfs_npy_layout lay;

	/* text */
	index_point *idx;
	size_t n_idx, cap_idx;
	uint64_t seen_rows, seen_bytes; /* for sizing new blocks */
	size_t *cols;          /* columns of a rows.* view */
	size_t ncols;
	char **keys;           /* rows.jsonl: "\"name\": " per column */
	size_t *key_lens;
};

/* ------------------------------------------------------------ kinds */

const char *lfs_view_suffix(enum lfs_view_kind kind)
{
	switch (kind) {
	case LFS_VIEW_JSONL: return ".jsonl";
	case LFS_VIEW_TXT: return ".txt";
	case LFS_VIEW_NPY: return ".npy";
	case LFS_VIEW_VALID_NPY: return ".valid.npy";
	case LFS_VIEW_BIN: return ".bin";
	case LFS_VIEW_ROWS_JSONL: return ".jsonl";
	case LFS_VIEW_ROWS_CSV: return ".csv";
	}
	return "";
}

int lfs_view_applies(enum lfs_view_kind kind, const lfs_field *field)
{
	lfs_npy_layout lay;

	switch (kind) {
	case LFS_VIEW_JSONL:
	case LFS_VIEW_ROWS_JSONL:
		return 1;
	case LFS_VIEW_TXT:
	case LFS_VIEW_ROWS_CSV:
		return !field || lfs_view_type_is_scalar(&field->type);
	case LFS_VIEW_NPY:
	case LFS_VIEW_BIN:
		return field && lfs_npy_layout_of(field, &lay) == 0;
	case LFS_VIEW_VALID_NPY:
		return field && field->nullable && lfs_npy_layout_of(field, &lay) == 0;
	}
	return 0;
}

static int is_binary_kind(enum lfs_view_kind kind)
{
	return kind == LFS_VIEW_NPY || kind == LFS_VIEW_VALID_NPY || kind == LFS_VIEW_BIN;
}

/* "NAME.jsonl", "rows.csv": the file, for error messages. */
static const char *view_name(const lfs_view *v, char *buf, size_t size)
{
	if (v->kind == LFS_VIEW_ROWS_JSONL)
		return "rows.jsonl";
	if (v->kind == LFS_VIEW_ROWS_CSV)
		return "rows.csv";
	snprintf(buf, size, "%s%s", v->src->fields[v->col]->name, lfs_view_suffix(v->kind));
	return buf;
}

/* ------------------------------------------------------------ chunks */

static void chunk_free(chunk *c)
{
	free(c->owned);
	lfs_column_free(&c->col);
	free(c);
}

/* Drops one reference; the caller holds the mutex. */
static void chunk_unref_locked(chunk *c)
{
	if (--c->refs == 0)
		chunk_free(c);
}

static void chunk_release(lfs_view *v, chunk *c)
{
	pthread_mutex_lock(&v->mu);
	chunk_unref_locked(c);
	pthread_mutex_unlock(&v->mu);
}

/* Puts a new chunk in the cache, evicting the least recently used one; the
 * caller holds the mutex and keeps a reference of its own. */
static void cache_insert_locked(lfs_view *v, chunk *c)
{
	int limit = v->binary ? BIN_SLOTS : TEXT_SLOTS;
	int slot = v->nslots;

	if (v->nslots < limit) {
		v->nslots++;
	} else {
		slot = 0;
		for (int i = 1; i < v->nslots; i++)
			if (v->slots[i]->stamp < v->slots[slot]->stamp)
				slot = i;
		chunk_unref_locked(v->slots[slot]);
	}
	c->refs++;
	c->stamp = ++v->clock;
	v->slots[slot] = c;
}

void lfs_view_drop_cache(lfs_view *v)
{
	pthread_mutex_lock(&v->mu);
	for (int i = 0; i < v->nslots; i++)
		chunk_unref_locked(v->slots[i]);
	v->nslots = 0;
	pthread_mutex_unlock(&v->mu);
}

/* A zeroed column for a source to fill. */
static void column_blank(lfs_column *c)
{
	memset(c, 0, sizeof(*c));
}

static int read_rows(lfs_view *v, size_t col, uint64_t row, uint64_t count, lfs_column *out,
		     lfs_err *err)
{
	const lfs_row_source *s = v->src;
	int rc;

	column_blank(out);
	rc = s->read(s->ctx, col, row, count, out, err);
	if (rc == 0 && out->length != count)
		rc = lfs_fail(err, -EIO, "decoder returned %" PRIu64 " rows for %" PRIu64,
			      out->length, count);
	if (rc == 0)
		rc = lfs_view_check_column(out, err);
	if (rc) {
		char name[300];
		lfs_column_free(out);
		if (v->kind == LFS_VIEW_ROWS_JSONL || v->kind == LFS_VIEW_ROWS_CSV)
			lfs_err_prefix(err, "%s, column %s, rows %" PRIu64 "..%" PRIu64 ": ",
				       view_name(v, name, sizeof(name)), s->fields[col]->name, row,
				       row + count);
		else
			lfs_err_prefix(err, "%s, rows %" PRIu64 "..%" PRIu64 ": ",
				       view_name(v, name, sizeof(name)), row, row + count);
	}
	return rc;
}

static uint64_t hint_rows(const lfs_view *v, size_t col, uint64_t row)
{
	const lfs_row_source *s = v->src;
	return s->chunk_hint ? s->chunk_hint(s->ctx, col, row) : 0;
}

/* ------------------------------------------------------------ binary */

/* Zeroes the elements of null slots, at every fixed_size_list level, in
 * out (elements of `ow` bytes, `per_row` of them per row of c). */
static void zero_nulls(const lfs_column *c, uint64_t nrows, uint64_t per_row, uint32_t ow,
		       int levels, uint8_t *out)
{
	if (per_row == 0)
		return;
	if (c->validity && c->type.id != LFS_T_NULL) {
		for (uint64_t r = 0; r < nrows; r++)
			if (!lfs_bit_get(c->validity, r))
				memset(out + r * per_row * ow, 0, per_row * ow);
	}
	if (levels > 0) {
		uint64_t ls = (uint64_t)c->type.list_size;
		zero_nulls(&c->children[0], nrows * ls, per_row / ls, ow, levels - 1, out);
	}
}

/* The leaf column under the fixed_size_list levels, if the decoded column
 * has the shape the schema promised. */
static const lfs_column *leaf_of(const lfs_npy_layout *l, const lfs_column *c, lfs_err *err)
{
	for (int d = 0; d < l->fsl_dims; d++) {
		if (c->type.id != LFS_T_FIXED_SIZE_LIST || (uint64_t)c->type.list_size != l->dims[d]) {
			lfs_fail(err, -EIO, "decoded column is not fixed_size_list<%" PRIu64 ">",
				 l->dims[d]);
			return NULL;
		}
		c = &c->children[0];
	}
	if (c->type.id != l->leaf || (l->conv != LFS_NPY_BOOL && c->width != l->leaf_width)) {
		lfs_fail(err, -EIO, "decoded column has type %d width %u, schema says %d width %u",
			 (int)c->type.id, c->width, (int)l->leaf, l->leaf_width);
		return NULL;
	}
	return c;
}

/* Turns a decoded column of n rows into body bytes of the view. */
static int bin_fill(lfs_view *v, chunk *ch, lfs_err *err)
{
	const lfs_npy_layout *l = &v->lay;
	const lfs_column *top = &ch->col;
	uint64_t n = ch->nrows;

	ch->len = n * l->row_bytes;
	if (v->kind == LFS_VIEW_VALID_NPY) {
		ch->owned = malloc(n ? n : 1);
		if (!ch->owned)
			return -ENOMEM;
		for (uint64_t r = 0; r < n; r++)
			ch->owned[r] = (uint8_t)lfs_column_is_valid(top, r);
		ch->bytes = ch->owned;
		return 0;
	}
	const lfs_column *leaf = leaf_of(l, top, err);
	if (!leaf)
		return -EIO;
	uint64_t elems = n * l->per_row;
	uint8_t *out;
	switch (l->conv) {
	case LFS_NPY_COPY:
		/* in place: the column is ours */
		out = leaf->values;
		if (ch->len && !out)
			return lfs_fail(err, -EIO, "decoded column has no values");
		break;
	case LFS_NPY_BOOL:
		out = ch->owned = malloc(elems ? elems : 1);
		if (!out)
			return -ENOMEM;
		for (uint64_t i = 0; i < elems; i++)
			out[i] = (uint8_t)lfs_column_bool(leaf, i);
		break;
	case LFS_NPY_WIDEN32:
		out = ch->owned = malloc(elems ? elems * 8 : 1);
		if (!out)
			return -ENOMEM;
		for (uint64_t i = 0; i < elems; i++) {
			int64_t x = (int32_t)lfs_le32(leaf->values + 4 * i);
			memcpy(out + 8 * i, &x, 8);
		}
		break;
	default:
		return -ENOTSUP;
	}
	/* null slots hold 0; elements here are out_width bytes, but a
	 * fixed_size_binary leaf counts its bytes as elements */
	zero_nulls(top, n, l->per_row, l->out_width, l->fsl_dims, out);
	ch->bytes = out;
	return 0;
}

static chunk *cache_find_row_locked(lfs_view *v, uint64_t row)
{
	for (int i = 0; i < v->nslots; i++) {
		chunk *c = v->slots[i];
		if (row >= c->row0 && row - c->row0 < c->nrows) {
			c->refs++;
			c->stamp = ++v->clock;
			return c;
		}
	}
	return NULL;
}

/* The load under way that covers row (binary) or starts at row (text). */
static inflight *inflight_find_locked(lfs_view *v, uint64_t row, int exact_start)
{
	for (inflight *f = v->loading; f; f = f->next)
		if (exact_start ? f->row0 == row : row >= f->row0 && row - f->row0 < f->nrows)
			return f;
	return NULL;
}

static void inflight_add_locked(lfs_view *v, inflight *f, uint64_t row0, uint64_t nrows)
{
	f->row0 = row0;
	f->nrows = nrows;
	f->next = v->loading;
	v->loading = f;
}

static void inflight_done_locked(lfs_view *v, inflight *f)
{
	for (inflight **p = &v->loading; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			break;
		}
	}
	pthread_cond_broadcast(&v->loaded);
}

/* A referenced chunk holding row. */
static int bin_chunk(lfs_view *v, uint64_t row, chunk **out, lfs_err *err)
{
	const lfs_row_source *s = v->src;
	chunk *c;
	int rc;

	inflight me;

	pthread_mutex_lock(&v->mu);
	c = cache_find_row_locked(v, row);
	pthread_mutex_unlock(&v->mu);
	if (c) {
		*out = c;
		return 0;
	}

	uint64_t rb = v->lay.row_bytes ? v->lay.row_bytes : 1;
	uint64_t max_rows = BIN_CHUNK_MAX / rb, count = hint_rows(v, v->col, row);
	if (count == 0)
		count = BIN_CHUNK_DEFAULT / rb;
	if (count > max_rows)
		count = max_rows;
	if (count == 0)
		count = 1;
	if (count > s->nrows - row)
		count = s->nrows - row;

	pthread_mutex_lock(&v->mu);
	while ((c = cache_find_row_locked(v, row)) == NULL && inflight_find_locked(v, row, 0))
		pthread_cond_wait(&v->loaded, &v->mu);
	if (c) {
		pthread_mutex_unlock(&v->mu);
		*out = c;
		return 0;
	}
	inflight_add_locked(v, &me, row, count);
	pthread_mutex_unlock(&v->mu);

	c = calloc(1, sizeof(*c));
	rc = c ? 0 : -ENOMEM;
	if (c) {
		c->row0 = row;
		c->nrows = count;
		c->off = row * v->lay.row_bytes;
		rc = read_rows(v, v->col, row, count, &c->col, err);
		if (rc) {
			free(c);
			c = NULL;
		}
	}
	if (c && (rc = bin_fill(v, c, err)) != 0) {
		char name[300];
		lfs_err_prefix(err, "%s, rows %" PRIu64 "..%" PRIu64 ": ",
			       view_name(v, name, sizeof(name)), row, row + count);
		chunk_free(c);
		c = NULL;
	}
	pthread_mutex_lock(&v->mu);
	if (c) {
		c->refs = 1;
		cache_insert_locked(v, c);
	}
	inflight_done_locked(v, &me);
	pthread_mutex_unlock(&v->mu);
	*out = c;
	return rc;
}

static int bin_read(lfs_view *v, uint64_t off, size_t len, uint8_t *buf, size_t *got,
		    lfs_err *err)
{
	size_t done = 0;

	*got = 0;
	if (off >= v->size)
		return 0;
	if (len > v->size - off)
		len = (size_t)(v->size - off);
	if (off < v->prefix_len) {
		size_t n = v->prefix_len - (size_t)off;
		if (n > len)
			n = len;
		memcpy(buf, v->prefix + off, n);
		done = n;
	}
	while (done < len) {
		uint64_t body = off + done - v->prefix_len;
		uint64_t row = body / v->lay.row_bytes;
		chunk *c;
		int rc = bin_chunk(v, row, &c, err);
		if (rc)
			return rc;
		uint64_t in = body - c->off, n = c->len - in;
		if (n > len - done)
			n = len - done;
		memcpy(buf + done, c->bytes + in, (size_t)n);
		done += (size_t)n;
		chunk_release(v, c);
	}
	*got = done;
	return 0;
}

/* ------------------------------------------------------------ text */

/* Renders rows [r0, r1) into out. */
static int render_rows(lfs_view *v, uint64_t r0, uint64_t r1, lfs_buf *out, lfs_err *err)
{
	const lfs_row_source *s = v->src;
	uint64_t n = r1 - r0;
	int rc = 0;

	if (v->kind == LFS_VIEW_JSONL || v->kind == LFS_VIEW_TXT) {
		enum lfs_text_style style = v->kind == LFS_VIEW_JSONL ? LFS_STYLE_JSON : LFS_STYLE_TXT;
		const lfs_field *f = s->fields[v->col];
		lfs_column c;
		TRY(read_rows(v, v->col, r0, n, &c, err));
		for (uint64_t i = 0; i < n && !rc; i++) {
			rc = lfs_view_render(out, style, f, &c, i);
			if (!rc)
				rc = lfs_buf_reserve(out, 1);
			if (!rc)
				out->data[out->len++] = '\n';
		}
		lfs_column_free(&c);
		if (rc) {
			char name[300];
			return lfs_fail(err, rc, "%s: cannot render a row in %" PRIu64 "..%" PRIu64
					" (%s)", view_name(v, name, sizeof(name)), r0, r1,
					rc == -ENOMEM ? "out of memory" : "value not renderable");
		}
		return 0;
	}

	lfs_column *cols = calloc(v->ncols ? v->ncols : 1, sizeof(*cols));
	size_t have = 0;
	if (!cols)
		return -ENOMEM;
	for (; have < v->ncols; have++) {
		rc = read_rows(v, v->cols[have], r0, n, &cols[have], err);
		if (rc)
			break;
	}
	for (uint64_t i = 0; i < n && !rc; i++) {
		if (v->kind == LFS_VIEW_ROWS_JSONL) {
			rc = lfs_buf_append(out, "{", 1);
			for (size_t j = 0; j < v->ncols && !rc; j++) {
				rc = lfs_buf_append(out, v->keys[j], v->key_lens[j]);
				if (!rc)
					rc = lfs_view_render(out, LFS_STYLE_JSON, s->fields[v->cols[j]],
							     &cols[j], i);
			}
			if (!rc)
				rc = lfs_buf_append(out, "}\n", 2);
		} else {
			for (size_t j = 0; j < v->ncols && !rc; j++) {
				if (j)
					rc = lfs_buf_append(out, ",", 1);
				if (!rc)
					rc = lfs_view_render(out, LFS_STYLE_CSV, s->fields[v->cols[j]],
							     &cols[j], i);
			}
			if (!rc)
				rc = lfs_buf_append(out, "\n", 1);
		}
		if (rc) {
			char name[300];
			lfs_fail(err, rc, "%s: cannot render row %" PRIu64 " (%s)",
				 view_name(v, name, sizeof(name)), r0 + i,
				 rc == -ENOMEM ? "out of memory" : "value not renderable");
		}
	}
	for (size_t j = 0; j < have; j++)
		lfs_column_free(&cols[j]);
	free(cols);
	return rc;
}

/* How many rows a new block starting at row gets: about TEXT_CHUNK_TARGET
 * of text by the average so far, or the rest of the page. */
static uint64_t block_rows(lfs_view *v, uint64_t row)
{
	uint64_t target = TEXT_ROWS_FIRST, cap = TEXT_ROWS_FIRST, rows;

	pthread_mutex_lock(&v->mu);
	uint64_t seen_rows = v->seen_rows, seen_bytes = v->seen_bytes;
	pthread_mutex_unlock(&v->mu);
	if (seen_rows) {
		uint64_t avg = seen_bytes / seen_rows + 1;
		target = TEXT_CHUNK_TARGET / avg;
		cap = TEXT_CHUNK_MAX / avg;
	}
	if (cap > TEXT_ROWS_MAX)
		cap = TEXT_ROWS_MAX;
	if (target > cap)
		target = cap;
	rows = target;
	/* a page hint that fits is taken whole, so the page is decoded once */
	if (v->kind == LFS_VIEW_JSONL || v->kind == LFS_VIEW_TXT) {
		uint64_t h = hint_rows(v, v->col, row);
		if (h && h <= cap)
			rows = h;
	} else {
		uint64_t hmin = 0;
		for (size_t j = 0; j < v->ncols; j++) {
			uint64_t h = hint_rows(v, v->cols[j], row);
			if (h && (hmin == 0 || h < hmin))
				hmin = h;
		}
		if (hmin && hmin <= cap)
			rows = hmin < TEXT_ROWS_MIN ? TEXT_ROWS_MIN : hmin;
	}
	if (rows > cap)
		rows = cap;
	if (rows == 0)
		rows = 1;
	if (rows > v->src->nrows - row)
		rows = v->src->nrows - row;
	return rows;
}

static chunk *cache_find_off_locked(lfs_view *v, uint64_t off)
{
	for (int i = 0; i < v->nslots; i++) {
		chunk *c = v->slots[i];
		if (off >= c->off && off - c->off < c->len) {
			c->refs++;
			c->stamp = ++v->clock;
			return c;
		}
	}
	return NULL;
}

/* The last index point at or before off; the caller holds the mutex. */
static size_t index_find_locked(const lfs_view *v, uint64_t off)
{
	size_t lo = 0, hi = v->n_idx; /* idx[lo].off <= off < idx[hi].off */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->idx[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int index_add_locked(lfs_view *v, uint64_t row, uint64_t off)
{
	if (row <= v->idx[v->n_idx - 1].row)
		return 0;
	if (v->n_idx == v->cap_idx) {
		size_t cap = v->cap_idx * 2;
		index_point *p = realloc(v->idx, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		v->idx = p;
		v->cap_idx = cap;
	}
	v->idx[v->n_idx].row = row;
	v->idx[v->n_idx].off = off;
	v->n_idx++;
	if (row == v->src->nrows) {
		v->size = off;
		v->size_known = 1;
	}
	return 0;
}

/* A referenced chunk holding byte off, or NULL at the end of the file. */
static int text_chunk(lfs_view *v, uint64_t off, chunk **out, lfs_err *err)
{
	for (;;) {
		chunk *c;
		uint64_t r0, r1, o0;
		inflight me;

		pthread_mutex_lock(&v->mu);
		for (;;) {
			if (v->size_known && off >= v->size) {
				pthread_mutex_unlock(&v->mu);
				*out = NULL;
				return 0;
			}
			c = cache_find_off_locked(v, off);
			if (c) {
				pthread_mutex_unlock(&v->mu);
				*out = c;
				return 0;
			}
			size_t i = index_find_locked(v, off);
			r0 = v->idx[i].row;
			o0 = v->idx[i].off;
			r1 = i + 1 < v->n_idx ? v->idx[i + 1].row : 0;
			if (!inflight_find_locked(v, r0, 1))
				break;
			pthread_cond_wait(&v->loaded, &v->mu);
		}
		inflight_add_locked(v, &me, r0, 1);
		pthread_mutex_unlock(&v->mu);
		if (r1 == 0) /* past the furthest known row: a new block */
			r1 = r0 + block_rows(v, r0);

		lfs_buf text;
		lfs_buf_init(&text);
		pthread_mutex_lock(&v->mu);
		uint64_t est = v->seen_rows ? v->seen_bytes / v->seen_rows * (r1 - r0) / 8 * 9 : 0;
		pthread_mutex_unlock(&v->mu);
		if (est && est < (64u << 20)) /* room for the block at once, no regrowth */
			lfs_buf_reserve(&text, (size_t)est);
		int rc = render_rows(v, r0, r1, &text, err);
		if (rc == 0 && (c = calloc(1, sizeof(*c))) == NULL)
			rc = -ENOMEM;
		if (rc) {
			lfs_buf_free(&text);
			pthread_mutex_lock(&v->mu);
			inflight_done_locked(v, &me);
			pthread_mutex_unlock(&v->mu);
			return rc;
		}
		c->row0 = r0;
		c->nrows = r1 - r0;
		c->off = o0;
		c->owned = text.data;
		c->bytes = text.data;
		c->len = text.len;
		c->refs = 1;

		pthread_mutex_lock(&v->mu);
		v->seen_rows += c->nrows;
		v->seen_bytes += c->len;
		rc = index_add_locked(v, r1, o0 + c->len);
		cache_insert_locked(v, c);
		inflight_done_locked(v, &me);
		int covers = off >= c->off && off - c->off < c->len;
		if (!covers)
			chunk_unref_locked(c);
		pthread_mutex_unlock(&v->mu);
		if (rc)
			return rc;
		if (covers) {
			*out = c;
			return 0;
		}
	}
}

static int text_read(lfs_view *v, uint64_t off, size_t len, uint8_t *buf, size_t *got,
		     lfs_err *err)
{
	size_t done = 0;

	*got = 0;
	if (off < v->prefix_len) {
		size_t n = v->prefix_len - (size_t)off;
		if (n > len)
			n = len;
		memcpy(buf, v->prefix + off, n);
		done = n;
	}
	while (done < len) {
		chunk *c;
		TRY(text_chunk(v, off + done, &c, err));
		if (!c)
			break;
		uint64_t in = off + done - c->off, n = c->len - in;
		if (n > len - done)
			n = len - done;
		memcpy(buf + done, c->bytes + in, (size_t)n);
		done += (size_t)n;
		chunk_release(v, c);
	}
	*got = done;
	return 0;
}

/* Renders from the furthest known row to the end, keeping only the index. */
static int text_finish(lfs_view *v, lfs_err *err)
{
	for (;;) {
		pthread_mutex_lock(&v->mu);
		int known = v->size_known;
		uint64_t frontier = v->idx[v->n_idx - 1].off;
		pthread_mutex_unlock(&v->mu);
		if (known)
			return 0;
		chunk *c;
		TRY(text_chunk(v, frontier, &c, err));
		if (c)
			chunk_release(v, c);
	}
}

/* ------------------------------------------------------------ public */

static int setup_rows(lfs_view *v, lfs_err *err)
{
	const lfs_row_source *s = v->src;
	lfs_buf head;

	v->cols = calloc(s->ncols ? s->ncols : 1, sizeof(*v->cols));
	if (!v->cols)
		return -ENOMEM;
	for (size_t j = 0; j < s->ncols; j++)
		if (lfs_view_applies(v->kind, s->fields[j]))
			v->cols[v->ncols++] = j;
	lfs_buf_init(&head);
	if (v->kind == LFS_VIEW_ROWS_CSV) {
		for (size_t j = 0; j < v->ncols; j++) {
			const char *name = s->fields[v->cols[j]]->name;
			if ((j && lfs_buf_append(&head, ",", 1)) ||
			    lfs_view_csv_string(&head, (const uint8_t *)name, strlen(name))) {
				lfs_buf_free(&head);
				return -ENOMEM;
			}
		}
		if (lfs_buf_append(&head, "\n", 1)) {
			lfs_buf_free(&head);
			return -ENOMEM;
		}
		v->prefix = lfs_buf_steal(&head, &v->prefix_len);
		return 0;
	}
	v->keys = calloc(v->ncols ? v->ncols : 1, sizeof(*v->keys));
	v->key_lens = calloc(v->ncols ? v->ncols : 1, sizeof(*v->key_lens));
	if (!v->keys || !v->key_lens)
		return -ENOMEM;
	for (size_t j = 0; j < v->ncols; j++) {
		const char *name = s->fields[v->cols[j]]->name;
		if ((j && lfs_buf_append(&head, ", ", 2)) ||
		    lfs_view_json_string(&head, (const uint8_t *)name, strlen(name)) ||
		    lfs_buf_append(&head, ": ", 2)) {
			lfs_buf_free(&head);
			return -ENOMEM;
		}
		v->keys[j] = (char *)lfs_buf_steal(&head, &v->key_lens[j]);
	}
	(void)err;
	return 0;
}

int lfs_view_new(enum lfs_view_kind kind, const lfs_row_source *src, size_t col,
		 lfs_view **out, lfs_err *err)
{
	int rows_kind = kind == LFS_VIEW_ROWS_JSONL || kind == LFS_VIEW_ROWS_CSV;
	lfs_view *v;
	int rc = 0;

	*out = NULL;
	if (!rows_kind && col >= src->ncols)
		return lfs_fail(err, -EINVAL, "view of column %zu of %zu", col, src->ncols);
	if (!rows_kind && !lfs_view_applies(kind, src->fields[col]))
		return lfs_fail(err, -ENOTSUP, "column %s (%s) has no %s view",
				src->fields[col]->name,
				src->fields[col]->logical_type ? src->fields[col]->logical_type : "?",
				lfs_view_suffix(kind));
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->kind = kind;
	v->src = src;
	v->col = rows_kind ? 0 : col;
	v->binary = is_binary_kind(kind);
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->loaded, NULL);

	if (v->binary) {
		lfs_buf head;
		uint64_t body;
		if (kind == LFS_VIEW_VALID_NPY)
			lfs_npy_layout_valid(&v->lay);
		else
			lfs_npy_layout_of(src->fields[col], &v->lay);
		lfs_buf_init(&head);
		if (kind != LFS_VIEW_BIN && (rc = lfs_npy_header(&head, &v->lay, src->nrows)) != 0) {
			lfs_buf_free(&head);
			goto fail;
		}
		v->prefix = lfs_buf_steal(&head, &v->prefix_len);
		if (lfs_mul_u64(src->nrows, v->lay.row_bytes, &body) ||
		    lfs_add_u64(body, v->prefix_len, &v->size)) {
			rc = lfs_fail(err, -EFBIG, "column %s: %s would exceed 2^64 bytes",
				      src->fields[col]->name, lfs_view_suffix(kind));
			goto fail;
		}
		if (v->lay.row_bytes == 0)
			v->size = v->prefix_len;
		v->size_known = 1;
	} else {
		if (rows_kind && (rc = setup_rows(v, err)) != 0)
			goto fail;
		v->cap_idx = 16;
		v->idx = malloc(v->cap_idx * sizeof(*v->idx));
		if (!v->idx) {
			rc = -ENOMEM;
			goto fail;
		}
		v->idx[0].row = 0;
		v->idx[0].off = v->prefix_len;
		v->n_idx = 1;
		if (src->nrows == 0) {
			v->size = v->prefix_len;
			v->size_known = 1;
		}
	}
	*out = v;
	return 0;
fail:
	lfs_view_free(v);
	if (rc == -ENOMEM)
		lfs_fail(err, rc, "out of memory");
	return rc;
}

void lfs_view_free(lfs_view *v)
{
	if (!v)
		return;
	for (int i = 0; i < v->nslots; i++)
		chunk_unref_locked(v->slots[i]);
	pthread_mutex_destroy(&v->mu);
	pthread_cond_destroy(&v->loaded);
	free(v->prefix);
	free(v->idx);
	free(v->cols);
	if (v->keys)
		for (size_t j = 0; j < v->ncols; j++)
			free(v->keys[j]);
	free(v->keys);
	free(v->key_lens);
	free(v);
}

int lfs_view_size_is_cheap(const lfs_view *v)
{
	lfs_view *w = (lfs_view *)v; /* the mutex is not part of the value */
	pthread_mutex_lock(&w->mu);
	int known = w->size_known;
	pthread_mutex_unlock(&w->mu);
	return known;
}

int lfs_view_size(lfs_view *v, uint64_t *size, lfs_err *err)
{
	if (!v->binary)
		TRY(text_finish(v, err));
	pthread_mutex_lock(&v->mu);
	*size = v->size;
	pthread_mutex_unlock(&v->mu);
	return 0;
}

int lfs_view_read(lfs_view *v, uint64_t off, size_t len, void *buf, size_t *got, lfs_err *err)
{
	if (v->binary)
		return bin_read(v, off, len, buf, got, err);
	return text_read(v, off, len, buf, got, err);
}
