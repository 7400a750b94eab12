/*
 * search internals: shared by the search module's .c files and its unit
 * tests only (search.h is the module's interface).
 *
 *   kernels.c  distance kernels (l2, cosine, dot over float16/32/64)
 *   topk.c     the k smallest (distance, _rowid) pairs
 *   filter.c   the SQL predicate: lexer, parser, binding to a schema
 *   feval.c    the predicate evaluated over a chunk of rows, SQL's
 *              three-valued logic
 *   like.c     LIKE / ILIKE patterns
 *   query.c    the query object: JSON in, validation
 *   run.c      running a query over a row source: scan and kNN, threads,
 *              result lines
 */
#ifndef LFS_SEARCH_IMPL_H
#define LFS_SEARCH_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "search/search.h"

/* ------------------------------------------------------------ kernels.c */

enum lfs_metric { LFS_METRIC_L2 = 0, LFS_METRIC_COSINE, LFS_METRIC_DOT };
enum lfs_elem { LFS_ELEM_F16 = 0, LFS_ELEM_F32, LFS_ELEM_F64 };

/* The query vector prepared for one element type: its elements converted
 * (from the float32 values LanceDB's client makes of the JSON numbers) and
 * its norm for cosine, computed as LanceDB computes it. */
typedef struct lfs_qvec {
	enum lfs_elem elem;
	enum lfs_metric metric;
	size_t dim;
	void *data;       /* dim elements of elem */
	float norm;       /* ||q||, cosine only */
} lfs_qvec;

int lfs_qvec_init(lfs_qvec *q, enum lfs_elem elem, enum lfs_metric metric, const float *v,
		  size_t dim);
void lfs_qvec_free(lfs_qvec *q);

/* Distances from q to n vectors stored one after another (dim elements of
 * q->elem each, any alignment) into out[n], with LanceDB's formulas and
 * summation order:
 *   l2      sum((q - v)^2)                 (squared Euclidean)
 *   cosine  1 - (q.v) / (|q| |v|)          (NaN for a zero vector)
 *   dot     1 - q.v
 * float16 and float32 vectors are summed in float32, float64 vectors in
 * float64 with the result rounded to float32. */
void lfs_distances(const lfs_qvec *q, const void *vectors, size_t n, float *out);

/* float16 <-> float32 (round to nearest even). */
float lfs_f16_to_f32(uint16_t h);
uint16_t lfs_f32_to_f16(float f);

/* --------------------------------------------------------------- topk.c */

typedef struct lfs_hit {
	float dist;
	uint64_t rowid;   /* LanceDB _rowid: the tie-breaker */
	uint64_t row;     /* logical row in the source */
} lfs_hit;

/* Orders hits as LanceDB's result does: by distance, then by _rowid. */
int lfs_hit_cmp(const lfs_hit *a, const lfs_hit *b);

/* The k smallest hits seen so far, as a max-heap (the worst on top). */
typedef struct lfs_topk {
	lfs_hit *h;
	size_t n, k;
} lfs_topk;

int lfs_topk_init(lfs_topk *t, size_t k);
void lfs_topk_free(lfs_topk *t);
/* Whether a hit at distance d could enter (so its _rowid is worth finding). */
static inline int lfs_topk_wants(const lfs_topk *t, float d)
{
	return t->n < t->k || d <= t->h[0].dist;
}
void lfs_topk_push(lfs_topk *t, const lfs_hit *hit);
/* Sorts the kept hits best first (the heap is gone afterwards). */
void lfs_topk_sort(lfs_topk *t);

/* ------------------------------------------------------------- filter.c */

typedef struct lfs_filter lfs_filter;

/* Parses a predicate.  -EINVAL with "filter at character N: ..." */
int lfs_filter_parse(const char *sql, lfs_filter **out, lfs_err *err);
void lfs_filter_free(lfs_filter *f);

/* A filter resolved against a table's top-level fields: column names to
 * column indices, types checked, literals cast to the columns' types. */
typedef struct lfs_bound_filter lfs_bound_filter;

int lfs_filter_bind(const lfs_filter *f, const lfs_field *const *fields, size_t nfields,
		    lfs_bound_filter **out, lfs_err *err);
void lfs_bound_filter_free(lfs_bound_filter *b);
/* The columns the filter reads (indices into fields, in order of first
 * mention); lfs_filter_eval wants them in this order. */
const size_t *lfs_bound_filter_columns(const lfs_bound_filter *b, size_t *n);

/* Evaluates the filter on n rows.  cols[i] holds the rows of column
 * lfs_bound_filter_columns()[i].  keep gets one bit per row (LSB first),
 * set where the predicate is TRUE.  -ENOMEM, or -EIO for a column whose
 * shape does not match its type. */
int lfs_filter_eval(const lfs_bound_filter *b, const lfs_column *cols, uint64_t n, uint8_t *keep,
		    lfs_err *err);

/* Three-valued truth values, ordered so that AND is min and OR is max. */
enum { LFS_FALSE = 0, LFS_UNKNOWN = 1, LFS_TRUE = 2 };

/* Like filter_eval, but one LFS_FALSE / LFS_UNKNOWN / LFS_TRUE per row. */
int lfs_filter_eval_tri(const lfs_bound_filter *b, const lfs_column *cols, uint64_t n,
			uint8_t *out, lfs_err *err);

/* -------------------------------------------------------------- query.c */

struct lfs_query {
	int has_nearest;
	char *column;             /* NULL: the table's one vector column */
	float *vector;            /* dim numbers, as float32 */
	size_t dim;
	uint64_t k;               /* 10 unless given */
	int has_k;
	enum lfs_metric metric;
	lfs_filter *filter;       /* NULL: every row */
	int has_columns;          /* else every top-level column */
	char **columns;
	size_t n_columns;
	int has_limit;
	uint64_t limit, offset;
	int has_version;
	uint64_t version;
	char *tag;
};

/* --------------------------------------------------------------- like.c */

typedef struct lfs_like lfs_like;

/* Compiles a LIKE pattern: % any run, _ one character (UTF-8), esc (or -1
 * for none) makes the next character literal (an escape at the very end
 * stands for itself).  fold_case: ILIKE, ASCII letters only.  0 or
 * -ENOMEM. */
int lfs_like_compile(const uint8_t *pat, size_t len, int esc, int fold_case, lfs_like **out);
void lfs_like_free(lfs_like *l);
int lfs_like_match(const lfs_like *l, const uint8_t *s, size_t len);

#endif
