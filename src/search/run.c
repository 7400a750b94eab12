/* search/run: a parsed query run over a row source.
 *
 * kNN: the rows are cut into chunks (never across a fragment, a few MB of
 * vectors each); worker threads take chunks in turn, evaluate the filter
 * on them, compute the distances of the rows that pass and keep their own
 * top k.  The heaps are merged at the end.  _rowid, the tie-breaker, is
 * looked up only for rows that could enter a heap.  The winners' columns
 * are then read in row order, a window of nearby rows at a time, and the
 * lines written in distance order.
 *
 * Scan: chunks in order on the calling thread, filter, offset and limit,
 * each passing row rendered with its _rowid; reading stops at the limit.
 */
#include "search/search_impl.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes of vectors per kNN chunk; rows per scan chunk (the first, the most)
 * and the output a scan chunk aims at; how far apart two result rows of a
 * search may be to be read together. */
#define KNN_CHUNK_BYTES (4u << 20)
#define SCAN_CHUNK_FIRST 256u
#define SCAN_CHUNK_ROWS 8192u
#define SCAN_CHUNK_BYTES (1u << 20)
#define RESULT_WINDOW 64u

static unsigned search_threads;

void lfs_search_set_threads(unsigned n) { __atomic_store_n(&search_threads, n, __ATOMIC_RELAXED); }

static unsigned thread_count(void)
{
	unsigned n = __atomic_load_n(&search_threads, __ATOMIC_RELAXED);
	if (n)
		return n;
	long c = sysconf(_SC_NPROCESSORS_ONLN);
	return c > 0 ? (unsigned)(c > 64 ? 64 : c) : 1;
}

/* ------------------------------------------------------------ rendering */

/* A JSON string via the view's renderer (escaping exactly as .jsonl). */
static int json_string(lfs_buf *out, const char *s)
{
	lfs_field f;
	lfs_column c;
	uint64_t off[2] = { 0, strlen(s) };
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.name = (char *)"";
	f.logical_type = (char *)"string";
	f.type.id = LFS_T_UTF8;
	c.type = f.type;
	c.length = 1;
	c.offsets = off;
	c.data = (uint8_t *)s;
	c.data_len = off[1];
	return lfs_view_json_value(out, &f, &c, 0);
}

/* _distance as a float32, shortest form, as .jsonl renders float columns. */
static int json_float32(lfs_buf *out, float d)
{
	lfs_field f;
	lfs_column c;
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.name = (char *)"_distance";
	f.logical_type = (char *)"float";
	f.type.id = LFS_T_FLOAT32;
	c.type = f.type;
	c.length = 1;
	c.width = 4;
	c.values = (uint8_t *)&d;
	return lfs_view_json_value(out, &f, &c, 0);
}

int lfs_query_error_line(lfs_buf *out, const char *message)
{
	if (lfs_buf_puts(out, "{\"error\": ") || json_string(out, message) || lfs_buf_puts(out, "}\n"))
		return -ENOMEM;
	return 0;
}

/* ------------------------------------------------------------- columns */

static int find_column(const lfs_row_source *src, const char *name, size_t *col)
{
	for (size_t i = 0; i < src->ncols; i++)
		if (strcmp(src->fields[i]->name, name) == 0) {
			*col = i;
			return 0;
		}
	return -ENOENT;
}

static void column_list(const lfs_row_source *src, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = 0;
	for (size_t i = 0; i < src->ncols; i++) {
		int w = snprintf(buf + len, size - len, "%s%s", i ? ", " : "", src->fields[i]->name);
		if (w < 0 || (size_t)w >= size - len) {
			if (len + 6 < size)
				snprintf(buf + len, size - len, ", ...");
			return;
		}
		len += (size_t)w;
	}
	if (src->ncols == 0)
		snprintf(buf, size, "no columns");
}

/* The output columns: the query's list, or every column. */
static int output_columns(const lfs_query *q, const lfs_row_source *src, size_t **cols, size_t *n,
			  lfs_err *err)
{
	size_t count = q->has_columns ? q->n_columns : src->ncols;
	*cols = lfs_xcalloc(count ? count : 1, sizeof(size_t));
	*n = count;
	if (!*cols)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (!q->has_columns) {
			(*cols)[i] = i;
			continue;
		}
		if (find_column(src, q->columns[i], &(*cols)[i])) {
			char list[300];
			column_list(src, list, sizeof(list));
			return lfs_fail(err, -EINVAL, "query: \"columns\": no column named '%s' (the table has: %s)",
					q->columns[i], list);
		}
	}
	return 0;
}

/* The pieces of a row's line up to and after the values. */
typedef struct line_keys {
	char **keys;     /* "\"name\": " with the separator before it */
	size_t *lens;
	size_t n;
} line_keys;

static void keys_free(line_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
	free(k->lens);
}

static int keys_make(line_keys *k, const lfs_row_source *src, const size_t *cols, size_t n)
{
	lfs_buf b;
	lfs_buf_init(&b);
	k->n = 0;
	k->keys = lfs_xcalloc(n ? n : 1, sizeof(char *));
	k->lens = lfs_xcalloc(n ? n : 1, sizeof(size_t));
	if (!k->keys || !k->lens)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((i && lfs_buf_puts(&b, ", ")) || json_string(&b, src->fields[cols[i]]->name) ||
		    lfs_buf_puts(&b, ": ")) {
			lfs_buf_free(&b);
			return -ENOMEM;
		}
		k->keys[i] = (char *)lfs_buf_steal(&b, &k->lens[i]);
		k->n = i + 1;
	}
	return 0;
}

/* ---------------------------------------------------------- vector column */

typedef struct vcol {
	size_t col;
	int is_list;        /* list/large_list of floats instead of fixed_size_list */
	enum lfs_elem elem;
	uint32_t width;
} vcol;

static int elem_of(const lfs_type *t, enum lfs_elem *e)
{
	switch (t->id) {
	case LFS_T_FLOAT16: *e = LFS_ELEM_F16; return 0;
	case LFS_T_FLOAT32: *e = LFS_ELEM_F32; return 0;
	case LFS_T_FLOAT64: *e = LFS_ELEM_F64; return 0;
	default: return -1;
	}
}

/* Whether a field holds vectors: a (fixed size) list of floats. */
static int is_vector_field(const lfs_field *f, vcol *v)
{
	if (f->type.id != LFS_T_FIXED_SIZE_LIST && f->type.id != LFS_T_LIST &&
	    f->type.id != LFS_T_LARGE_LIST)
		return 0;
	if (f->n_children != 1 || elem_of(&f->children[0]->type, &v->elem))
		return 0;
	v->is_list = f->type.id != LFS_T_FIXED_SIZE_LIST;
	v->width = lfs_type_width(&f->children[0]->type);
	return 1;
}

static int pick_vector_column(const lfs_query *q, const lfs_row_source *src, vcol *v,
			      lfs_err *err)
{
	if (q->column) {
		if (find_column(src, q->column, &v->col)) {
			char list[300];
			column_list(src, list, sizeof(list));
			return lfs_fail(err, -EINVAL, "query: \"nearest.column\": no column named '%s' (the table has: %s)",
					q->column, list);
		}
		const lfs_field *f = src->fields[v->col];
		if (!is_vector_field(f, v))
			return lfs_fail(err, -EINVAL,
					"query: \"nearest.column\": column '%s' is %s, not a vector column (a fixed_size_list or list of float16, float32 or float64)",
					f->name, f->logical_type ? f->logical_type : lfs_type_name(f->type.id));
	} else {
		size_t found = 0;
		vcol tmp;
		for (size_t i = 0; i < src->ncols; i++) {
			/* LanceDB picks the one fixed_size_list of floats */
			if (src->fields[i]->type.id == LFS_T_FIXED_SIZE_LIST &&
			    is_vector_field(src->fields[i], &tmp)) {
				if (found++ == 0) {
					*v = tmp;
					v->col = i;
				}
			}
		}
		if (found != 1)
			return lfs_fail(err, -EINVAL,
					found ? "query: the table has %zu vector columns; say which in \"nearest.column\""
					      : "query: the table has no vector column (%zu found); name one in \"nearest.column\"",
					found);
	}
	const lfs_field *f = src->fields[v->col];
	if (!v->is_list && f->type.list_size > 0 && (size_t)f->type.list_size != q->dim)
		return lfs_fail(err, -EINVAL,
				"query: \"nearest.vector\" has %zu numbers, column '%s' holds vectors of %d",
				q->dim, f->name, f->type.list_size);
	return 0;
}

/* Checks a decoded chunk of the vector column before the kernels read it. */
static int check_vectors(const vcol *v, const lfs_field *f, const lfs_column *c, uint64_t n,
			 size_t dim, lfs_err *err)
{
	uint64_t need;
	if (c->length < n || c->n_children != 1 || !c->children)
		return lfs_fail(err, -EIO, "column %s: decoded vectors have the wrong shape", f->name);
	const lfs_column *ch = &c->children[0];
	if (ch->width != v->width || (!ch->values && ch->length))
		return lfs_fail(err, -EIO, "column %s: decoded vector elements have the wrong width",
				f->name);
	if (!v->is_list) {
		if (lfs_mul_u64(n, dim, &need) || ch->length < need)
			return lfs_fail(err, -EIO, "column %s: fewer vector elements than rows x %zu",
					f->name, dim);
		return 0;
	}
	if (!c->offsets)
		return lfs_fail(err, -EIO, "column %s: list without offsets", f->name);
	for (uint64_t r = 0; r < n; r++) {
		if (c->offsets[r] > c->offsets[r + 1] || c->offsets[r + 1] > ch->length)
			return lfs_fail(err, -EIO, "column %s: list offsets out of range", f->name);
	}
	return 0;
}

/* --------------------------------------------------------------- chunks */

typedef struct chunks {
	uint64_t *start, *count;
	size_t n;
} chunks;

static int chunks_make(const lfs_row_source *src, size_t col, uint64_t cap, chunks *c)
{
	size_t room = 0;
	uint64_t row = 0;
	c->n = 0;
	c->start = c->count = NULL;
	while (row < src->nrows) {
		uint64_t take = src->chunk_hint ? src->chunk_hint(src->ctx, col, row) : 0;
		if (take == 0 || take > cap)
			take = cap;
		if (take > src->nrows - row)
			take = src->nrows - row;
		if (c->n == room) {
			room = room ? 2 * room : 64;
			uint64_t *s = realloc(c->start, room * sizeof(uint64_t));
			if (!s)
				return -ENOMEM;
			c->start = s;
			s = realloc(c->count, room * sizeof(uint64_t));
			if (!s)
				return -ENOMEM;
			c->count = s;
		}
		c->start[c->n] = row;
		c->count[c->n++] = take;
		row += take;
	}
	return 0;
}

static void chunks_free(chunks *c)
{
	free(c->start);
	free(c->count);
}

/* Reads a chunk's filter columns and evaluates the filter into keep (one
 * bit per row).  Returns the number of rows that pass, or a negative errno. */
static int64_t filter_chunk(const lfs_bound_filter *bf, const lfs_row_source *src, uint64_t row,
			    uint64_t n, uint8_t *keep, lfs_err *err)
{
	size_t ncols;
	const size_t *cols = lfs_bound_filter_columns(bf, &ncols);
	lfs_column *c = lfs_xcalloc(ncols ? ncols : 1, sizeof(lfs_column));
	size_t have = 0;
	int rc = 0;
	if (!c)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (; have < ncols; have++) {
		rc = src->read(src->ctx, cols[have], row, n, &c[have], err);
		if (rc)
			break;
	}
	if (!rc)
		rc = lfs_filter_eval(bf, c, n, keep, err);
	for (size_t i = 0; i < have; i++)
		lfs_column_free(&c[i]);
	free(c);
	if (rc)
		return rc;
	int64_t pass = 0;
	for (uint64_t r = 0; r < n; r++)
		pass += lfs_bit_get(keep, r);
	return pass;
}

static int rowid_of(const lfs_row_source *src, uint64_t row, uint64_t *id, lfs_err *err)
{
	if (!src->rowids) {
		*id = row;
		return 0;
	}
	return src->rowids(src->ctx, row, 1, id, err);
}

/* ------------------------------------------------------------------ kNN */

typedef struct knn_job {
	const lfs_query *q;
	const lfs_row_source *src;
	const lfs_bound_filter *bf;
	vcol v;
	lfs_qvec qv;
	chunks ch;
	size_t next;            /* next chunk to take (atomic) */
	size_t keep_k;          /* hits each worker keeps */
	int failed;             /* atomic */
	pthread_mutex_t mu;
	int rc;
	lfs_err err;
} knn_job;

typedef struct knn_worker {
	knn_job *job;
	lfs_topk top;
	pthread_t thread;
	int started;
} knn_worker;

static void job_fail(knn_job *j, int rc, const lfs_err *err)
{
	pthread_mutex_lock(&j->mu);
	if (!j->rc) {
		j->rc = rc;
		j->err = *err;
	}
	pthread_mutex_unlock(&j->mu);
	__atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
}

/* Offers the distances of a chunk's rows to the worker's heap. */
static int offer(knn_worker *w, uint64_t row0, uint64_t n, const float *dist, const uint8_t *keep,
		 const lfs_column *c, lfs_err *err)
{
	for (uint64_t r = 0; r < n; r++) {
		float d = dist[r];
		if ((keep && !lfs_bit_get(keep, r)) || !lfs_column_is_valid(c, r) || isnan(d) ||
		    !lfs_topk_wants(&w->top, d))
			continue;
		lfs_hit h = { .dist = d, .row = row0 + r };
		int rc = rowid_of(w->job->src, row0 + r, &h.rowid, err);
		if (rc)
			return rc;
		lfs_topk_push(&w->top, &h);
	}
	return 0;
}

static int knn_chunk(knn_worker *w, size_t ci, float *dist, uint8_t *keep, lfs_err *err)
{
	knn_job *j = w->job;
	const lfs_row_source *src = j->src;
	uint64_t row = j->ch.start[ci], n = j->ch.count[ci];
	const lfs_field *f = src->fields[j->v.col];
	uint8_t *copy = NULL;
	lfs_column c;
	int rc;

	if (j->bf) {
		int64_t pass = filter_chunk(j->bf, src, row, n, keep, err);
		if (pass <= 0)
			return (int)pass;
	}
	rc = src->read(src->ctx, j->v.col, row, n, &c, err);
	if (rc)
		return rc;
	rc = check_vectors(&j->v, f, &c, n, j->qv.dim, err);
	if (rc)
		goto out;
	const lfs_column *ch = &c.children[0];
	if (!j->bf)
		keep = NULL;
	/* the kernels read elements as floats: a buffer a decoder handed out
	 * at an odd address is copied first */
	const uint8_t *vals = ch->values;
	if ((uintptr_t)vals % j->v.width) {
		size_t bytes = (size_t)ch->length * j->v.width;
		copy = malloc(bytes ? bytes : 1);
		if (!copy) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		memcpy(copy, vals, bytes);
		vals = copy;
	}
	if (!j->v.is_list) {
		lfs_distances(&j->qv, vals, n, dist);
	} else {
		for (uint64_t r = 0; r < n; r++) {
			uint64_t len = c.offsets[r + 1] - c.offsets[r];
			dist[r] = NAN;
			if (!lfs_column_is_valid(&c, r) || (keep && !lfs_bit_get(keep, r)))
				continue;
			if (len != j->qv.dim) {
				rc = lfs_fail(err, -EINVAL,
					      "query: row %llu of column '%s' holds %llu numbers, \"nearest.vector\" %zu",
					      (unsigned long long)(row + r), f->name, (unsigned long long)len,
					      j->qv.dim);
				goto out;
			}
			lfs_distances(&j->qv, vals + c.offsets[r] * j->v.width, 1, &dist[r]);
		}
	}
	rc = offer(w, row, n, dist, keep, &c, err);
out:
	free(copy);
	lfs_column_free(&c);
	return rc;
}

static void *knn_worker_main(void *arg)
{
	knn_worker *w = arg;
	knn_job *j = w->job;
	uint64_t most = 0;
	lfs_err err;
	err.msg[0] = 0;

	for (size_t i = 0; i < j->ch.n; i++)
		if (j->ch.count[i] > most)
			most = j->ch.count[i];
	float *dist = lfs_xcalloc(most ? most : 1, sizeof(float));
	uint8_t *keep = lfs_xcalloc((most + 7) / 8 + 1, 1);
	if (!dist || !keep) {
		lfs_fail(&err, -ENOMEM, "out of memory");
		job_fail(j, -ENOMEM, &err);
		goto out;
	}
	for (;;) {
		if (__atomic_load_n(&j->failed, __ATOMIC_RELAXED))
			break;
		size_t ci = __atomic_fetch_add(&j->next, 1, __ATOMIC_RELAXED);
		if (ci >= j->ch.n)
			break;
		int rc = knn_chunk(w, ci, dist, keep, &err);
		if (rc) {
			job_fail(j, rc, &err);
			break;
		}
	}
out:
	free(dist);
	free(keep);
	return NULL;
}

/* Runs the search; on success *hits holds the best `want` hits, sorted. */
static int knn_search(knn_job *j, unsigned nthreads, lfs_topk *best, lfs_err *err)
{
	knn_worker *w;
	int rc = 0;

	if (nthreads > j->ch.n)
		nthreads = j->ch.n ? (unsigned)j->ch.n : 1;
	w = lfs_xcalloc(nthreads, sizeof(*w));
	if (!w)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].job = j;
		if (lfs_topk_init(&w[i].top, j->keep_k)) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	/* the calling thread is worker 0 */
	for (unsigned i = 1; i < nthreads; i++)
		w[i].started = pthread_create(&w[i].thread, NULL, knn_worker_main, &w[i]) == 0;
	knn_worker_main(&w[0]);
	for (unsigned i = 1; i < nthreads; i++) {
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
		else
			knn_worker_main(&w[i]); /* no thread: do its share here */
	}
	if (j->rc) {
		*err = j->err;
		rc = j->rc;
		goto out;
	}
	rc = lfs_topk_init(best, j->keep_k);
	if (rc) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < nthreads; i++)
		for (size_t k = 0; k < w[i].top.n; k++)
			lfs_topk_push(best, &w[i].top.h[k]);
	lfs_topk_sort(best);
out:
	for (unsigned i = 0; i < nthreads; i++)
		lfs_topk_free(&w[i].top);
	free(w);
	return rc;
}

/* ----------------------------------------------------- rendering results */

typedef struct result {
	uint64_t row, rowid;
	float dist;
	lfs_buf line;
} result;

static int cmp_result_row(const void *a, const void *b)
{
	const result *x = *(result *const *)a, *y = *(result *const *)b;
	return (x->row > y->row) - (x->row < y->row);
}

/* Appends the output columns' values to each result's line, reading rows
 * that lie close together in one go. */
static int render_results(const lfs_row_source *src, const size_t *cols, const line_keys *keys,
			  result *res, size_t nres, lfs_err *err)
{
	result **by_row = lfs_xcalloc(nres ? nres : 1, sizeof(*by_row));
	int rc = 0;
	if (!by_row)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < nres; i++)
		by_row[i] = &res[i];
	qsort(by_row, nres, sizeof(*by_row), cmp_result_row);
	for (size_t j = 0; j < keys->n && !rc; j++) {
		const lfs_field *f = src->fields[cols[j]];
		for (size_t i = 0; i < nres && !rc;) {
			size_t e = i + 1;
			uint64_t first = by_row[i]->row;
			while (e < nres && by_row[e]->row - first < RESULT_WINDOW)
				e++;
			uint64_t span = by_row[e - 1]->row - first + 1;
			lfs_column c;
			rc = src->read(src->ctx, cols[j], first, span, &c, err);
			if (rc)
				break;
			for (size_t k = i; k < e && !rc; k++) {
				lfs_buf *b = &by_row[k]->line;
				rc = lfs_buf_append(b, keys->keys[j], keys->lens[j]);
				if (!rc)
					rc = lfs_view_json_value(b, f, &c, by_row[k]->row - first);
				if (rc)
					rc = lfs_fail(err, rc == -ENOMEM ? -ENOMEM : -EIO,
						      "query: column %s: cannot render row %llu", f->name,
						      (unsigned long long)by_row[k]->row);
			}
			lfs_column_free(&c);
			i = e;
		}
	}
	free(by_row);
	return rc;
}

static int finish_line(lfs_buf *b, int with_dist, float dist, uint64_t rowid, int first)
{
	if (with_dist) {
		if (lfs_buf_puts(b, first ? "\"_distance\": " : ", \"_distance\": ") ||
		    json_float32(b, dist))
			return -ENOMEM;
		first = 0;
	}
	return lfs_buf_printf(b, "%s\"_rowid\": %llu}\n", first ? "" : ", ",
			      (unsigned long long)rowid) < 0 ? -ENOMEM : 0;
}

static int run_knn(const lfs_query *q, const lfs_row_source *src, const lfs_bound_filter *bf,
		   const size_t *cols, const line_keys *keys, lfs_buf *out, lfs_err *err)
{
	knn_job j;
	lfs_topk best = { 0 };
	result *res = NULL;
	size_t nres = 0;
	int rc;

	memset(&j, 0, sizeof(j));
	j.q = q;
	j.src = src;
	j.bf = bf;
	rc = pick_vector_column(q, src, &j.v, err);
	if (rc)
		return rc;
	/* LanceDB's limit is its k: without "k", "limit" says how many */
	uint64_t count = q->has_k || !q->has_limit ? q->k : q->limit;
	if (q->has_limit && q->limit < count)
		count = q->limit;
	uint64_t want;
	if (lfs_add_u64(q->offset, count, &want) || want > src->nrows)
		want = src->nrows;
	if (want == 0 || count == 0)
		return 0;
	j.keep_k = (size_t)want;
	rc = lfs_qvec_init(&j.qv, j.v.elem, q->metric, q->vector, q->dim);
	if (rc)
		return lfs_fail(err, rc, "out of memory");
	uint64_t per_row = (uint64_t)q->dim * j.v.width;
	uint64_t cap = KNN_CHUNK_BYTES / (per_row ? per_row : 1);
	if (cap < 256)
		cap = 256;
	if (chunks_make(src, j.v.col, cap, &j.ch)) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	pthread_mutex_init(&j.mu, NULL);
	rc = knn_search(&j, thread_count(), &best, err);
	pthread_mutex_destroy(&j.mu);
	if (rc)
		goto out;
	if (best.n > q->offset) {
		nres = best.n - q->offset;
		res = lfs_xcalloc(nres, sizeof(*res));
		if (!res) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < nres; i++) {
			const lfs_hit *h = &best.h[q->offset + i];
			res[i].row = h->row;
			res[i].rowid = h->rowid;
			res[i].dist = h->dist;
			lfs_buf_init(&res[i].line);
			if (lfs_buf_putc(&res[i].line, '{')) {
				rc = lfs_fail(err, -ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	rc = render_results(src, cols, keys, res, nres, err);
	for (size_t i = 0; i < nres && !rc; i++) {
		if (finish_line(&res[i].line, 1, res[i].dist, res[i].rowid, keys->n == 0) ||
		    lfs_buf_append(out, res[i].line.data, res[i].line.len))
			rc = lfs_fail(err, -ENOMEM, "out of memory");
	}
out:
	for (size_t i = 0; i < nres; i++)
		lfs_buf_free(&res[i].line);
	free(res);
	lfs_topk_free(&best);
	chunks_free(&j.ch);
	lfs_qvec_free(&j.qv);
	return rc;
}

/* ----------------------------------------------------------------- scan */

static int scan_chunk_rows(const lfs_row_source *src, const size_t *cols, const line_keys *keys,
			   uint64_t row, uint64_t n, const uint8_t *keep, uint64_t *skip,
			   uint64_t *left, lfs_buf *out, lfs_err *err)
{
	lfs_column *c = lfs_xcalloc(keys->n ? keys->n : 1, sizeof(lfs_column));
	uint64_t *ids = lfs_xcalloc(n ? n : 1, sizeof(uint64_t));
	size_t have = 0;
	int rc = 0;

	if (!c || !ids) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	/* the rows this chunk prints: after the skipped ones, up to the limit */
	uint64_t first = n, last = 0, todo = 0;
	for (uint64_t r = 0; r < n && todo < *left; r++) {
		if (keep && !lfs_bit_get(keep, r))
			continue;
		if (*skip) {
			(*skip)--;
			continue;
		}
		if (first == n)
			first = r;
		last = r;
		todo++;
	}
	if (todo == 0)
		goto out;
	uint64_t span = last - first + 1;
	if (src->rowids)
		rc = src->rowids(src->ctx, row + first, span, ids, err);
	else
		for (uint64_t r = 0; r < span; r++)
			ids[r] = row + first + r;
	for (; have < keys->n && !rc; have++)
		rc = src->read(src->ctx, cols[have], row + first, span, &c[have], err);
	if (rc)
		goto out;
	for (uint64_t r = first; r <= last && !rc; r++) {
		if (keep && !lfs_bit_get(keep, r))
			continue;
		rc = lfs_buf_putc(out, '{');
		for (size_t j = 0; j < keys->n && !rc; j++) {
			rc = lfs_buf_append(out, keys->keys[j], keys->lens[j]);
			if (!rc)
				rc = lfs_view_json_value(out, src->fields[cols[j]], &c[j], r - first);
			if (rc)
				rc = lfs_fail(err, rc == -ENOMEM ? -ENOMEM : -EIO,
					      "query: column %s: cannot render row %llu",
					      src->fields[cols[j]]->name, (unsigned long long)(row + r));
		}
		if (!rc && finish_line(out, 0, 0, ids[r - first], keys->n == 0))
			rc = lfs_fail(err, -ENOMEM, "out of memory");
	}
	*left -= todo;
out:
	for (size_t j = 0; j < have; j++)
		lfs_column_free(&c[j]);
	free(c);
	free(ids);
	return rc;
}

static int run_scan(const lfs_query *q, const lfs_row_source *src, const lfs_bound_filter *bf,
		    const size_t *cols, const line_keys *keys, lfs_buf *out, lfs_err *err)
{
	uint64_t skip = q->offset, left = q->has_limit ? q->limit : UINT64_MAX;
	/* chunks start small and grow to about SCAN_CHUNK_BYTES of output, so
	 * wide rows (blobs, long lists) are not read thousands at a time */
	uint64_t per_chunk = SCAN_CHUNK_FIRST;
	uint8_t *keep = lfs_xcalloc(SCAN_CHUNK_ROWS / 8 + 1, 1);
	int rc = 0;

	if (!keep)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (uint64_t row = 0; row < src->nrows && left > 0 && !rc;) {
		uint64_t n = src->chunk_hint ? src->chunk_hint(src->ctx, keys->n ? cols[0] : 0, row) : 0;
		if (n == 0 || n > per_chunk)
			n = per_chunk;
		if (n > src->nrows - row)
			n = src->nrows - row;
		uint64_t at = row;
		row += n;
		if (bf) {
			int64_t pass = filter_chunk(bf, src, at, n, keep, err);
			if (pass < 0) {
				rc = (int)pass;
				break;
			}
			if (pass == 0)
				continue;
			if ((uint64_t)pass <= skip) {
				skip -= (uint64_t)pass;
				continue;
			}
		} else if (n <= skip) {
			skip -= n;
			continue;
		}
		size_t len0 = out->len;
		uint64_t left0 = left;
		rc = scan_chunk_rows(src, cols, keys, at, n, bf ? keep : NULL, &skip, &left, out, err);
		if (!rc && left0 > left) {
			uint64_t per_row = (out->len - len0) / (left0 - left) + 1;
			per_chunk = SCAN_CHUNK_BYTES / per_row;
			if (per_chunk < SCAN_CHUNK_FIRST)
				per_chunk = SCAN_CHUNK_FIRST;
			if (per_chunk > SCAN_CHUNK_ROWS)
				per_chunk = SCAN_CHUNK_ROWS;
		}
	}
	free(keep);
	return rc;
}

/* ------------------------------------------------------------------ run */

int lfs_query_run(const lfs_query *q, const lfs_row_source *src, lfs_buf *out, lfs_err *err)
{
	lfs_bound_filter *bf = NULL;
	size_t *cols = NULL, ncols = 0;
	line_keys keys = { 0 };
	size_t old_len = out->len;
	int rc;

	rc = output_columns(q, src, &cols, &ncols, err);
	if (!rc && q->filter)
		rc = lfs_filter_bind(q->filter, src->fields, src->ncols, &bf, err);
	if (!rc && keys_make(&keys, src, cols, ncols))
		rc = lfs_fail(err, -ENOMEM, "out of memory");
	if (!rc)
		rc = q->has_nearest ? run_knn(q, src, bf, cols, &keys, out, err)
				    : run_scan(q, src, bf, cols, &keys, out, err);
	if (rc)
		out->len = old_len;
	keys_free(&keys);
	free(cols);
	lfs_bound_filter_free(bf);
	return rc;
}
