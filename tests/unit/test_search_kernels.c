/* Unit tests of the search kernels: distances against a naive double
 * precision reference for every metric, element type and many dimensions
 * (including the lane remainders), float16 conversions, and the top-k heap
 * against a full sort, ties included. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search/search_impl.h"
#include "tap.h"

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_u64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* uniform in [-1, 1) */
static double next_unit(void)
{
	return (double)(next_u64() >> 11) * 0x1p-52 - 1.0;
}

/* The reference: everything in double, on the values the kernel sees. */
static double ref_distance(enum lfs_metric m, const double *x, const double *y, size_t dim)
{
	double l2 = 0, dot = 0, xx = 0, yy = 0;
	for (size_t j = 0; j < dim; j++) {
		l2 += (x[j] - y[j]) * (x[j] - y[j]);
		dot += x[j] * y[j];
		xx += x[j] * x[j];
		yy += y[j] * y[j];
	}
	switch (m) {
	case LFS_METRIC_L2: return l2;
	case LFS_METRIC_DOT: return 1.0 - dot;
	default: return 1.0 - dot / (sqrt(xx) * sqrt(yy));
	}
}

static const char *metric_name(enum lfs_metric m)
{
	return m == LFS_METRIC_L2 ? "l2" : m == LFS_METRIC_DOT ? "dot" : "cosine";
}

static const char *elem_name(enum lfs_elem e)
{
	return e == LFS_ELEM_F16 ? "float16" : e == LFS_ELEM_F32 ? "float32" : "float64";
}

/* n vectors of dim elements of type e from the doubles in v (and the
 * doubles they became). */
static void *pack(enum lfs_elem e, double *v, size_t count)
{
	size_t w = e == LFS_ELEM_F16 ? 2 : e == LFS_ELEM_F32 ? 4 : 8;
	uint8_t *out = malloc(count * w + 1);
	for (size_t i = 0; i < count; i++) {
		if (e == LFS_ELEM_F64) {
			memcpy(out + i * 8, &v[i], 8);
		} else if (e == LFS_ELEM_F32) {
			float f = (float)v[i];
			memcpy(out + i * 4, &f, 4);
			v[i] = f;
		} else {
			uint16_t h = lfs_f32_to_f16((float)v[i]);
			memcpy(out + i * 2, &h, 2);
			v[i] = lfs_f16_to_f32(h);
		}
	}
	return out;
}

static void test_distances(void)
{
	static const size_t dims[] = { 1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 100, 128, 129, 768 };
	const size_t n = 37;
	for (size_t di = 0; di < sizeof(dims) / sizeof(dims[0]); di++) {
		size_t dim = dims[di];
		for (int e = LFS_ELEM_F16; e <= LFS_ELEM_F64; e++) {
			for (int m = LFS_METRIC_L2; m <= LFS_METRIC_DOT; m++) {
				double *q = malloc(dim * sizeof(double)), *v = malloc(n * dim * sizeof(double));
				float *qf = malloc(dim * sizeof(float)), out[37];
				for (size_t j = 0; j < dim; j++) {
					qf[j] = (float)next_unit();
					/* the query as the kernel sees it: float32, then the
					 * column's type */
					q[j] = e == LFS_ELEM_F16 ? lfs_f16_to_f32(lfs_f32_to_f16(qf[j])) : qf[j];
				}
				for (size_t j = 0; j < n * dim; j++)
					v[j] = next_unit();
				void *packed = pack((enum lfs_elem)e, v, n * dim);
				lfs_qvec qv;
				int rc = lfs_qvec_init(&qv, (enum lfs_elem)e, (enum lfs_metric)m, qf, dim);
				lfs_distances(&qv, packed, n, out);
				double worst = 0;
				for (size_t i = 0; i < n; i++) {
					double want = ref_distance((enum lfs_metric)m, q, v + i * dim, dim);
					/* float32 sums: error grows with dim; cosine and dot
					 * lose digits near 0 by cancellation, so measure
					 * against the size of the terms */
					double scale = m == LFS_METRIC_L2 ? fabs(want) : 1.0 + fabs(want);
					double rel = fabs(out[i] - want) / (scale > 0 ? scale : 1);
					if (rel > worst)
						worst = rel;
				}
				/* float64 sums in float64 but rounds to float32 (cosine
				 * even divides in float32, as LanceDB does) */
				double bound = e != LFS_ELEM_F64 ? 1e-6 * (1 + sqrt((double)dim) / 4)
					       : m == LFS_METRIC_COSINE ? 1e-6 : 2e-7;
				tap_ok(rc == 0 && worst < bound, "%s %s dim %zu: within %.1e of the reference (worst %.2e)",
				       metric_name((enum lfs_metric)m), elem_name((enum lfs_elem)e), dim, bound, worst);
				lfs_qvec_free(&qv);
				free(packed);
				free(q);
				free(v);
				free(qf);
			}
		}
	}
}

static void test_special_values(void)
{
	float q[4] = { 1, 2, 3, 4 }, zero[4] = { 0, 0, 0, 0 }, same[4] = { 1, 2, 3, 4 };
	float both[8], out[2];
	lfs_qvec qv;

	memcpy(both, zero, sizeof(zero));
	memcpy(both + 4, same, sizeof(same));
	lfs_qvec_init(&qv, LFS_ELEM_F32, LFS_METRIC_COSINE, q, 4);
	lfs_distances(&qv, both, 2, out);
	tap_ok(isnan(out[0]), "cosine to a zero vector is NaN (LanceDB leaves such rows out)");
	tap_ok(fabsf(out[1]) < 1e-6f, "cosine to itself is 0 (%g)", out[1]);
	lfs_qvec_free(&qv);

	lfs_qvec_init(&qv, LFS_ELEM_F32, LFS_METRIC_L2, q, 4);
	lfs_distances(&qv, both, 2, out);
	tap_ok(out[0] == 30.0f && out[1] == 0.0f, "l2 is squared: %g, %g", out[0], out[1]);
	lfs_qvec_free(&qv);

	lfs_qvec_init(&qv, LFS_ELEM_F32, LFS_METRIC_DOT, q, 4);
	lfs_distances(&qv, both, 2, out);
	tap_ok(out[0] == 1.0f && out[1] == 1.0f - 30.0f, "dot is 1 - q.v: %g, %g", out[0], out[1]);
	lfs_qvec_free(&qv);

	/* the zero query vector: cosine NaN everywhere */
	lfs_qvec_init(&qv, LFS_ELEM_F64, LFS_METRIC_COSINE, zero, 4);
	double dv[4] = { 1, 0, 0, 0 };
	lfs_distances(&qv, dv, 1, out);
	tap_ok(isnan(out[0]), "float64 cosine from a zero query is NaN");
	lfs_qvec_free(&qv);

	/* values LanceDB reports for the tiny table in doc/query.md
	 * (query [0.5, 0.25, 0.125, 3], float32 vectors) */
	float q2[4] = { 0.5f, 0.25f, 0.125f, 3 }, v2[8] = { 0.1f, 0.2f, 0.3f, 0.4f, -1, 2, 3, 0.5f };
	lfs_qvec_init(&qv, LFS_ELEM_F32, LFS_METRIC_L2, q2, 4);
	lfs_distances(&qv, v2, 2, out);
	tap_ok(out[0] == 6.953124046325684f && out[1] == 19.828125f, "l2 as LanceDB: %.9g %.9g", out[0], out[1]);
	lfs_qvec_free(&qv);
	lfs_qvec_init(&qv, LFS_ELEM_F32, LFS_METRIC_COSINE, q2, 4);
	lfs_distances(&qv, v2, 2, out);
	tap_ok(out[0] == 0.2004677653312683f && out[1] == 0.8373714685440063f, "cosine as LanceDB: %.9g %.9g",
	       out[0], out[1]);
	lfs_qvec_free(&qv);
	lfs_qvec_init(&qv, LFS_ELEM_F32, LFS_METRIC_DOT, q2, 4);
	lfs_distances(&qv, v2, 2, out);
	tap_ok(out[0] == -0.33750009536743164f && out[1] == -0.875f, "dot as LanceDB: %.9g %.9g", out[0],
	       out[1]);
	lfs_qvec_free(&qv);
}

static void test_float16(void)
{
	int bad = 0;
	/* every float16 survives float32 and back */
	for (uint32_t h = 0; h < 65536; h++) {
		float f = lfs_f16_to_f32((uint16_t)h);
		uint16_t back = lfs_f32_to_f16(f);
		if (isnan(f) ? (back & 0x7c00) != 0x7c00 || (back & 0x3ff) == 0 : back != h)
			bad++;
	}
	tap_ok(bad == 0, "all 65536 float16 values round-trip through float32 (%d bad)", bad);
	tap_ok(lfs_f16_to_f32(0x3c00) == 1.0f && lfs_f16_to_f32(0xc000) == -2.0f &&
	       lfs_f16_to_f32(0x0001) == 0x1p-24f && lfs_f16_to_f32(0x7bff) == 65504.0f,
	       "float16 decoding of 1, -2, the smallest subnormal, the largest normal");
	tap_ok(lfs_f32_to_f16(1.0f + 0x1p-11f) == 0x3c00 && lfs_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3c02 &&
	       lfs_f32_to_f16(65520.0f) == 0x7c00 && lfs_f32_to_f16(65519.0f) == 0x7bff &&
	       lfs_f32_to_f16(0x1p-25f) == 0 && lfs_f32_to_f16(0x1.8p-25f) == 1 &&
	       lfs_f32_to_f16(0x1p-24f * 1.5f) == 2 && lfs_f32_to_f16(-0.0f) == 0x8000,
	       "float32 -> float16 rounds to nearest, ties to even, overflows to infinity");
#ifdef __FLT16_MAX__
	/* against the compiler's own conversion */
	bad = 0;
	for (int i = 0; i < 1000000; i++) {
		uint32_t bits = (uint32_t)next_u64();
		float f;
		memcpy(&f, &bits, 4);
		if (isnan(f))
			continue;
		_Float16 h = (_Float16)f;
		uint16_t hb;
		memcpy(&hb, &h, 2);
		if (hb != lfs_f32_to_f16(f))
			bad++;
	}
	tap_ok(bad == 0, "float32 -> float16 agrees with _Float16 on a million random floats (%d differ)", bad);
#else
	tap_ok(1, "# SKIP no _Float16 in this compiler");
#endif
}

static int cmp_hits(const void *a, const void *b) { return lfs_hit_cmp(a, b); }

static void test_topk(void)
{
	const size_t n = 5000;
	lfs_hit *all = malloc(n * sizeof(*all));
	static const size_t ks[] = { 1, 2, 10, 100, 4999, 5000, 6000 };
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < n; i++) {
			/* round 0: few distinct distances (many ties), 1: all
			 * distinct, 2: all the same */
			all[i].dist = round == 0 ? (float)(next_u64() % 7) : round == 1 ? (float)next_unit() : 1.0f;
			all[i].rowid = next_u64() % 100000; /* rowids in random order */
			all[i].row = i;
		}
		lfs_hit *sorted = malloc(n * sizeof(*sorted));
		memcpy(sorted, all, n * sizeof(*all));
		qsort(sorted, n, sizeof(*sorted), cmp_hits);
		for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ki++) {
			lfs_topk t;
			lfs_topk_init(&t, ks[ki]);
			for (size_t i = 0; i < n; i++)
				if (lfs_topk_wants(&t, all[i].dist))
					lfs_topk_push(&t, &all[i]);
			lfs_topk_sort(&t);
			size_t want = ks[ki] < n ? ks[ki] : n;
			int same = t.n == want;
			for (size_t i = 0; same && i < want; i++)
				same = t.h[i].dist == sorted[i].dist && t.h[i].rowid == sorted[i].rowid;
			tap_ok(same, "top %zu of %zu (%s) equals the sorted prefix, ties by _rowid", ks[ki], n,
			       round == 0 ? "many ties" : round == 1 ? "distinct" : "all equal");
			lfs_topk_free(&t);
		}
		free(sorted);
	}
	free(all);
	lfs_topk t;
	lfs_topk_init(&t, 0);
	lfs_hit h = { 1, 2, 3 };
	lfs_topk_push(&t, &h);
	tap_ok(t.n == 0, "k = 0 keeps nothing");
	lfs_topk_free(&t);
}

int main(void)
{
	test_distances();
	test_special_values();
	test_float16();
	test_topk();
	tap_plan(tap_n);
	return tap_done();
}
