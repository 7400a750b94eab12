/* search/kernels: distances between the query vector and stored vectors.
 *
 * The results must equal LanceDB's (same ranking, _distance to the last
 * bit where we can), so each kernel follows the summation order that
 * LanceDB 0.37.1 (Lance 10) shows on x86-64, found by comparing bit for bit
 * on thousands of vectors of many dimensions (tests/search/, doc/query.md):
 *   - float32: see the float32 section below (16 FMA lanes + a plain tail).
 *   - float64: 8 lanes in float64, lane i adding elements i, i+8, ... in
 *     order; the elements after the last whole group of 8 are summed first,
 *     then the lanes one after another; the sum is rounded to float32.
 *     Cosine then divides in float32: 1 - xy / |x| / sqrt(yy).
 *   - float16: each element converted to float32; l2 with 16 such lanes,
 *     dot products and norms with 32; cosine 1 - xy / (|x| sqrt(yy)).
 * The float16 and float64 loops use GCC vector types, so the compiler emits
 * SIMD code for whatever the target has, lane for lane, without
 * reassociating.
 */
#include "search/search_impl.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef float v16f __attribute__((vector_size(64)));
typedef double v8d __attribute__((vector_size(64)));

/* ---------------------------------------------------------------- float16 */

float lfs_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	float f;

	if (exp == 0x1f) {
		bits = sign | 0x7f800000u | (man << 13);
	} else if (exp != 0) {
		bits = sign | ((exp + 112) << 23) | (man << 13);
	} else if (man == 0) {
		bits = sign;
	} else {
		/* subnormal: man * 2^-24 is exact in float32 */
		f = (float)man * 0x1p-24f;
		memcpy(&bits, &f, 4);
		bits |= sign;
	}
	memcpy(&f, &bits, 4);
	return f;
}

uint16_t lfs_f32_to_f16(float f)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
	uint32_t ax = x & 0x7fffffffu;

	if (ax >= 0x7f800000u) /* inf or NaN (keep NaN quiet) */
		return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 | ((ax >> 13) & 0x3ff) : 0));
	if (ax >= 0x477ff000u) /* rounds to >= 65520: overflow */
		return (uint16_t)(sign | 0x7c00);
	if (ax < 0x38800000u) {
		/* result is subnormal (or zero): value / 2^-24, rounded to even */
		float a;
		memcpy(&a, &ax, 4);
		float scaled = a * 0x1p24f; /* exact: a is a float32 >= 2^-149 */
		uint32_t m = (uint32_t)scaled;
		float rem = scaled - (float)m;
		if (rem > 0.5f || (rem == 0.5f && (m & 1)))
			m++;
		return (uint16_t)(sign | m);
	}
	/* normal: drop 13 mantissa bits with round to nearest even; a carry
	 * into the exponent is right */
	uint32_t r = ax - 0x38000000u; /* rebias exponent 127 -> 15 */
	uint32_t lsb = (r >> 13) & 1;
	r += 0xfff + lsb;
	return (uint16_t)(sign | (r >> 13));
}

static float *f16_table;
static pthread_once_t f16_once = PTHREAD_ONCE_INIT;

static void f16_table_build(void)
{
	float *t = malloc(65536 * sizeof(float));
	if (!t)
		return;
	for (uint32_t i = 0; i < 65536; i++)
		t[i] = lfs_f16_to_f32((uint16_t)i);
	f16_table = t;
}

/* ------------------------------------------------------- sums of lanes */

/* Lanes added one after another onto a start value (Rust's Iterator::sum). */
static inline float fold16(v16f v)
{
	float s = -0.0f;
	for (int i = 0; i < 16; i++)
		s += v[i];
	return s;
}

static inline double fold8d(v8d v)
{
	double s = -0.0;
	for (int i = 0; i < 8; i++)
		s += v[i];
	return s;
}

/* The horizontal sum of 8 lanes as AVX's permute/hadd sequence forms it. */
static inline float reduce8(const float v[8])
{
	return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

/* 16 lanes: the two halves added lane by lane first. */
static inline float reduce16(const float v[16])
{
	float t[8];
	for (int i = 0; i < 8; i++)
		t[i] = v[i] + v[i + 8];
	return reduce8(t);
}

/* ------------------------------------------------------------- float32 */

/* Vector loads from any alignment (macros: a function returning a 64-byte
 * vector would change the ABI on targets without AVX-512). */
#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v16f))
#define LOAD8D(v, p) memcpy(&(v), (p), sizeof(v8d))

/* float32 kernels, per vector, as Lance 10 computes them on x86-64: whole
 * groups of 16 elements go into 16 lanes with fused multiply-adds (l2 adds
 * (x-y)^2, dot x*y), the lanes are added pairwise (reduce16), and the
 * elements after the last whole group are summed one by one, without FMA,
 * and added last.  Cosine sums x.y and y.y that way and divides twice:
 * 1 - xy / |x| / sqrt(yy); for 8-element vectors it takes the plain
 * products and reduce8 instead.
 *
 * Two builds of each: with AVX2+FMA intrinsics (any x86-64 from 2013 on),
 * and a portable one with fmaf() that gives the same bits, slowly.  The
 * "fp-contract=off" keeps the compiler from fusing the plain sums. */
typedef void (*dist_f32_fn)(const float *x, float x_norm, const float *v, size_t dim, size_t n,
			    float *out);

/* The tail: elements from `from` on, one by one. */
__attribute__((optimize("fp-contract=off"))) static float tail_l2(const float *x, const float *y,
								   size_t from, size_t dim)
{
	float s = -0.0f;
	for (size_t j = from; j < dim; j++) {
		float d = x[j] - y[j];
		s += d * d;
	}
	return s;
}

__attribute__((optimize("fp-contract=off"))) static float tail_dot(const float *x, const float *y,
								    size_t from, size_t dim)
{
	float s = -0.0f;
	for (size_t j = from; j < dim; j++)
		s += x[j] * y[j];
	return s;
}

/* Portable: lane by lane with fmaf. */
__attribute__((optimize("fp-contract=off"))) static float l2_f32_portable(const float *x,
									   const float *y, size_t dim)
{
	size_t full = dim / 16 * 16;
	float acc[16] = { 0 };
	for (size_t j = 0; j < full; j += 16)
		for (int i = 0; i < 16; i++) {
			float d = x[j + i] - y[j + i];
			acc[i] = fmaf(d, d, acc[i]);
		}
	return (full ? reduce16(acc) : 0.0f) + tail_l2(x, y, full, dim);
}

__attribute__((optimize("fp-contract=off"))) static float dot_f32_portable(const float *x,
									    const float *y, size_t dim)
{
	size_t full = dim / 16 * 16;
	float acc[16] = { 0 };
	for (size_t j = 0; j < full; j += 16)
		for (int i = 0; i < 16; i++)
			acc[i] = fmaf(x[j + i], y[j + i], acc[i]);
	return (full ? reduce16(acc) : 0.0f) + tail_dot(x, y, full, dim);
}

__attribute__((optimize("fp-contract=off"))) static float cosine_f32_one(const float *x, float x_norm,
									  const float *y, size_t dim)
{
	float xy, yy;
	if (dim == 8) {
		float p[8], q[8];
		for (int i = 0; i < 8; i++) {
			p[i] = x[i] * y[i];
			q[i] = y[i] * y[i];
		}
		xy = reduce8(p);
		yy = reduce8(q);
	} else {
		size_t full = dim / 16 * 16;
		float a[16] = { 0 }, b[16] = { 0 };
		for (size_t j = 0; j < full; j += 16)
			for (int i = 0; i < 16; i++) {
				a[i] = fmaf(x[j + i], y[j + i], a[i]);
				b[i] = fmaf(y[j + i], y[j + i], b[i]);
			}
		xy = (full ? reduce16(a) : 0.0f) + tail_dot(x, y, full, dim);
		yy = (full ? reduce16(b) : 0.0f) + tail_dot(y, y, full, dim);
	}
	return 1.0f - xy / x_norm / sqrtf(yy);
}

static void l2_batch_portable(const float *x, float x_norm, const float *v, size_t dim, size_t n,
			      float *out)
{
	(void)x_norm;
	for (size_t i = 0; i < n; i++)
		out[i] = l2_f32_portable(x, v + i * dim, dim);
}

static void dot_batch_portable(const float *x, float x_norm, const float *v, size_t dim, size_t n,
			       float *out)
{
	(void)x_norm;
	for (size_t i = 0; i < n; i++)
		out[i] = 1.0f - dot_f32_portable(x, v + i * dim, dim);
}

static void cosine_batch_portable(const float *x, float x_norm, const float *v, size_t dim,
				  size_t n, float *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = cosine_f32_one(x, x_norm, v + i * dim, dim);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_KERNELS 1
#define AVX2 __attribute__((target("avx2,fma"), optimize("fp-contract=off")))

/* reduce8 on a register: the permute / add / hadd sequence. */
AVX2 static inline float hsum8(__m256 v)
{
	__m256 s = _mm256_add_ps(v, _mm256_permute2f128_ps(v, v, 1));
	s = _mm256_add_ps(s, _mm256_permute_ps(s, 14));
	s = _mm256_hadd_ps(s, s);
	return _mm256_cvtss_f32(s);
}

/* Two vectors at a time, so that the FMA chains of one hide the latency
 * of the other's. */
AVX2 static void l2_batch_avx2(const float *x, float x_norm, const float *v, size_t dim, size_t n,
			       float *out)
{
	size_t full = dim / 16 * 16, i = 0;
	(void)x_norm;
	if (full == 0) {
		for (; i < n; i++)
			out[i] = tail_l2(x, v + i * dim, 0, dim);
		return;
	}
	for (; i + 2 <= n; i += 2) {
		const float *y0 = v + i * dim, *y1 = y0 + dim;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
		for (size_t j = 0; j < full; j += 16) {
			__m256 q0 = _mm256_loadu_ps(x + j), q1 = _mm256_loadu_ps(x + j + 8);
			__m256 d0 = _mm256_sub_ps(q0, _mm256_loadu_ps(y0 + j));
			__m256 d1 = _mm256_sub_ps(q1, _mm256_loadu_ps(y0 + j + 8));
			__m256 e0 = _mm256_sub_ps(q0, _mm256_loadu_ps(y1 + j));
			__m256 e1 = _mm256_sub_ps(q1, _mm256_loadu_ps(y1 + j + 8));
			a0 = _mm256_fmadd_ps(d0, d0, a0);
			a1 = _mm256_fmadd_ps(d1, d1, a1);
			b0 = _mm256_fmadd_ps(e0, e0, b0);
			b1 = _mm256_fmadd_ps(e1, e1, b1);
		}
		out[i] = hsum8(_mm256_add_ps(a0, a1));
		out[i + 1] = hsum8(_mm256_add_ps(b0, b1));
		if (full < dim) {
			out[i] += tail_l2(x, y0, full, dim);
			out[i + 1] += tail_l2(x, y1, full, dim);
		}
	}
	for (; i < n; i++) {
		const float *y = v + i * dim;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0;
		for (size_t j = 0; j < full; j += 16) {
			__m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j));
			__m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(y + j + 8));
			a0 = _mm256_fmadd_ps(d0, d0, a0);
			a1 = _mm256_fmadd_ps(d1, d1, a1);
		}
		out[i] = hsum8(_mm256_add_ps(a0, a1)) + tail_l2(x, y, full, dim);
	}
}

AVX2 static void dot_batch_avx2(const float *x, float x_norm, const float *v, size_t dim, size_t n,
				float *out)
{
	size_t full = dim / 16 * 16, i = 0;
	(void)x_norm;
	if (full == 0) {
		for (; i < n; i++)
			out[i] = 1.0f - tail_dot(x, v + i * dim, 0, dim);
		return;
	}
	for (; i + 2 <= n; i += 2) {
		const float *y0 = v + i * dim, *y1 = y0 + dim;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
		for (size_t j = 0; j < full; j += 16) {
			__m256 q0 = _mm256_loadu_ps(x + j), q1 = _mm256_loadu_ps(x + j + 8);
			a0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(y0 + j), a0);
			a1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(y0 + j + 8), a1);
			b0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(y1 + j), b0);
			b1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(y1 + j + 8), b1);
		}
		float s0 = hsum8(_mm256_add_ps(a0, a1)), s1 = hsum8(_mm256_add_ps(b0, b1));
		if (full < dim) {
			s0 += tail_dot(x, y0, full, dim);
			s1 += tail_dot(x, y1, full, dim);
		}
		out[i] = 1.0f - s0;
		out[i + 1] = 1.0f - s1;
	}
	for (; i < n; i++) {
		const float *y = v + i * dim;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0;
		for (size_t j = 0; j < full; j += 16) {
			a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j), a0);
			a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 8), _mm256_loadu_ps(y + j + 8), a1);
		}
		out[i] = 1.0f - (hsum8(_mm256_add_ps(a0, a1)) + tail_dot(x, y, full, dim));
	}
}

AVX2 static void cosine_batch_avx2(const float *x, float x_norm, const float *v, size_t dim,
				   size_t n, float *out)
{
	size_t full = dim / 16 * 16;
	if (dim == 8 || full == 0) {
		for (size_t i = 0; i < n; i++)
			out[i] = cosine_f32_one(x, x_norm, v + i * dim, dim);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const float *y = v + i * dim;
		__m256 a0 = _mm256_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
		for (size_t j = 0; j < full; j += 16) {
			__m256 y0 = _mm256_loadu_ps(y + j), y1 = _mm256_loadu_ps(y + j + 8);
			a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j), y0, a0);
			a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + j + 8), y1, a1);
			b0 = _mm256_fmadd_ps(y0, y0, b0);
			b1 = _mm256_fmadd_ps(y1, y1, b1);
		}
		float xy = hsum8(_mm256_add_ps(a0, a1)) + tail_dot(x, y, full, dim);
		float yy = hsum8(_mm256_add_ps(b0, b1)) + tail_dot(y, y, full, dim);
		out[i] = 1.0f - xy / x_norm / sqrtf(yy);
	}
}
#endif

static dist_f32_fn f32_kernels[3];
static pthread_once_t f32_once = PTHREAD_ONCE_INIT;

static void f32_pick(void)
{
	f32_kernels[LFS_METRIC_L2] = l2_batch_portable;
	f32_kernels[LFS_METRIC_COSINE] = cosine_batch_portable;
	f32_kernels[LFS_METRIC_DOT] = dot_batch_portable;
#ifdef HAVE_AVX2_KERNELS
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
	    !getenv("LANCEFS_PORTABLE_KERNELS")) {
		f32_kernels[LFS_METRIC_L2] = l2_batch_avx2;
		f32_kernels[LFS_METRIC_COSINE] = cosine_batch_avx2;
		f32_kernels[LFS_METRIC_DOT] = dot_batch_avx2;
	}
#endif
}

/* |x| of the query, the cosine way (16 FMA lanes, then the tail). */
static float norm_f32(const float *x, size_t dim)
{
	return sqrtf(dot_f32_portable(x, x, dim));
}

/* ------------------------------------------------------------- float64 */

static double l2_f64(const double *restrict x, const double *restrict y, size_t dim)
{
	size_t full = dim / 8 * 8;
	double s = -0.0;
	for (size_t j = full; j < dim; j++) {
		double d = x[j] - y[j];
		s += d * d;
	}
	v8d acc = { 0 };
	for (size_t j = 0; j < full; j += 8) {
		v8d a, b;
		LOAD8D(a, x + j);
		LOAD8D(b, y + j);
		v8d d = a - b;
		acc += d * d;
	}
	return s + fold8d(acc);
}

static double dot_f64(const double *restrict x, const double *restrict y, size_t dim)
{
	size_t full = dim / 8 * 8;
	double s = -0.0;
	for (size_t j = full; j < dim; j++)
		s += x[j] * y[j];
	v8d acc = { 0 };
	for (size_t j = 0; j < full; j += 8) {
		v8d a, b;
		LOAD8D(a, x + j);
		LOAD8D(b, y + j);
		acc += a * b;
	}
	return s + fold8d(acc);
}

/* ------------------------------------------------------------- float16 */

/* Elements converted to float32, 16 at a time. */
#define LOAD16H(v, p)                                           \
	do {                                                    \
		for (int i_ = 0; i_ < 16; i_++)                 \
			(v)[i_] = f16_table[lfs_le16((p) + i_)]; \
	} while (0)

static float l2_f16(const float *restrict x, const uint16_t *restrict y, size_t dim)
{
	size_t full = dim / 16 * 16;
	float s = -0.0f;
	for (size_t j = full; j < dim; j++) {
		float d = x[j] - f16_table[lfs_le16(y + j)];
		s += d * d;
	}
	v16f acc = { 0 };
	for (size_t j = 0; j < full; j += 16) {
		v16f a, b;
		LOAD16(a, x + j);
		LOAD16H(b, y + j);
		v16f d = a - b;
		acc += d * d;
	}
	return s + fold16(acc);
}

/* Dot products over float16 keep 32 lanes (x is already float32): x.y and
 * y.y in one pass. */
static float dot_f16(const float *restrict x, const uint16_t *restrict y, size_t dim, float *yy)
{
	size_t full = dim / 32 * 32;
	float s = -0.0f, t = -0.0f;
	for (size_t j = full; j < dim; j++) {
		float b = f16_table[lfs_le16(y + j)];
		s += x[j] * b;
		t += b * b;
	}
	v16f a0 = { 0 }, a1 = { 0 }, c0 = { 0 }, c1 = { 0 };
	for (size_t j = 0; j < full; j += 32) {
		v16f b0, b1, x0, x1;
		LOAD16H(b0, y + j);
		LOAD16H(b1, y + j + 16);
		LOAD16(x0, x + j);
		LOAD16(x1, x + j + 16);
		a0 += x0 * b0;
		a1 += x1 * b1;
		c0 += b0 * b0;
		c1 += b1 * b1;
	}
	/* lanes 0..31 in order */
	float sx = -0.0f, sy = -0.0f;
	for (int i = 0; i < 16; i++) {
		sx += a0[i];
		sy += c0[i];
	}
	for (int i = 0; i < 16; i++) {
		sx += a1[i];
		sy += c1[i];
	}
	*yy = t + sy;
	return s + sx;
}

/* The same 32 lanes over a float32 copy of a float16 vector (the query). */
static float dot32_f32(const float *x, size_t dim)
{
	size_t full = dim / 32 * 32;
	float s = -0.0f, lanes[32] = { 0 };
	for (size_t j = full; j < dim; j++)
		s += x[j] * x[j];
	for (size_t j = 0; j < full; j += 32)
		for (int i = 0; i < 32; i++)
			lanes[i] += x[j + i] * x[j + i];
	float t = -0.0f;
	for (int i = 0; i < 32; i++)
		t += lanes[i];
	return s + t;
}

/* -------------------------------------------------------------- queries */

int lfs_qvec_init(lfs_qvec *q, enum lfs_elem elem, enum lfs_metric metric, const float *v,
		  size_t dim)
{
	memset(q, 0, sizeof(*q));
	pthread_once(&f16_once, f16_table_build);
	pthread_once(&f32_once, f32_pick);
	if (!f16_table || dim == 0)
		return -ENOMEM;
	q->elem = elem;
	q->metric = metric;
	q->dim = dim;
	switch (elem) {
	case LFS_ELEM_F64: {
		double *d = lfs_xcalloc(dim, sizeof(double));
		if (!d)
			return -ENOMEM;
		for (size_t j = 0; j < dim; j++)
			d[j] = v[j];
		q->data = d;
		q->norm = (float)sqrt(dot_f64(d, d, dim));
		break;
	}
	case LFS_ELEM_F16: {
		/* the query becomes float16 like the column (LanceDB casts it);
		 * it is kept as float32 for the kernels */
		float *f = lfs_xcalloc(dim, sizeof(float));
		if (!f)
			return -ENOMEM;
		for (size_t j = 0; j < dim; j++)
			f[j] = lfs_f16_to_f32(lfs_f32_to_f16(v[j]));
		q->data = f;
		q->norm = sqrtf(dot32_f32(f, dim));
		break;
	}
	case LFS_ELEM_F32:
	default: {
		float *f = lfs_xcalloc(dim, sizeof(float));
		if (!f)
			return -ENOMEM;
		memcpy(f, v, dim * sizeof(float));
		q->data = f;
		q->norm = norm_f32(f, dim);
		break;
	}
	}
	return 0;
}

void lfs_qvec_free(lfs_qvec *q)
{
	free(q->data);
	q->data = NULL;
}

static void distances_f32(const lfs_qvec *q, const float *v, size_t n, float *out)
{
	f32_kernels[q->metric](q->data, q->norm, v, q->dim, n, out);
}

static void distances_f64(const lfs_qvec *q, const double *v, size_t n, float *out)
{
	const double *x = q->data;
	size_t dim = q->dim;
	for (size_t i = 0; i < n; i++) {
		const double *y = v + i * dim;
		switch (q->metric) {
		case LFS_METRIC_L2:
			out[i] = (float)l2_f64(x, y, dim);
			break;
		case LFS_METRIC_DOT:
			out[i] = 1.0f - (float)dot_f64(x, y, dim);
			break;
		case LFS_METRIC_COSINE: {
			float yy = (float)dot_f64(y, y, dim), xy = (float)dot_f64(x, y, dim);
			out[i] = 1.0f - xy / q->norm / sqrtf(yy);
			break;
		}
		}
	}
}

static void distances_f16(const lfs_qvec *q, const uint16_t *v, size_t n, float *out)
{
	const float *x = q->data;
	size_t dim = q->dim;
	for (size_t i = 0; i < n; i++) {
		const uint16_t *y = v + i * dim;
		float yy, xy;
		switch (q->metric) {
		case LFS_METRIC_L2:
			out[i] = l2_f16(x, y, dim);
			break;
		case LFS_METRIC_DOT:
			out[i] = 1.0f - dot_f16(x, y, dim, &yy);
			break;
		case LFS_METRIC_COSINE:
			xy = dot_f16(x, y, dim, &yy);
			out[i] = 1.0f - xy / (q->norm * sqrtf(yy));
			break;
		}
	}
}

void lfs_distances(const lfs_qvec *q, const void *vectors, size_t n, float *out)
{
	/* Stored vectors may sit at any byte offset in a decoded buffer; the
	 * kernels load them with memcpy, so alignment does not matter, but the
	 * pointer types must be right for the compiler. */
	switch (q->elem) {
	case LFS_ELEM_F32:
		distances_f32(q, vectors, n, out);
		break;
	case LFS_ELEM_F64:
		distances_f64(q, vectors, n, out);
		break;
	case LFS_ELEM_F16:
		distances_f16(q, vectors, n, out);
		break;
	}
}
