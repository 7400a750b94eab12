/* search/kernels: distances between the query vector and stored vectors.
 *
 * The results must equal LanceDB's (same ranking, _distance to the last
 * bits where we can), so each kernel follows the summation order of Lance's
 * own (lance-linalg, as built for x86-64):
 *   - l2 and dot over float32 keep 16 partial sums, lane i adding elements
 *     i, i+16, i+32, ... in order; the elements after the last full group
 *     of 16 are summed first, one by one, and the 16 lanes are then added to
 *     that sum one after another.  float64 does the same with 8 lanes, in
 *     float64, and rounds the result to float32.  float16 converts each
 *     element to float32 and uses 16 lanes for l2 and 32 for dot and norms.
 *   - cosine over float32 uses fused multiply-adds into 16 lanes, then 8
 *     lanes for one leftover group of 8, then plain sums for the rest, and
 *     adds the lanes pairwise as AVX does (see reduce8).
 * Plain C with GCC vector types: the compiler emits SIMD code for whatever
 * the target has (SSE2 at least), lane for lane, without reassociating.
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

static float l2_f32(const float *restrict x, const float *restrict y, size_t dim)
{
	size_t full = dim / 16 * 16;
	float s = -0.0f;
	for (size_t j = full; j < dim; j++) {
		float d = x[j] - y[j];
		s += d * d;
	}
	v16f acc = { 0 };
	for (size_t j = 0; j < full; j += 16) {
		v16f a, b;
		LOAD16(a, x + j);
		LOAD16(b, y + j);
		v16f d = a - b;
		acc += d * d;
	}
	return s + fold16(acc);
}

static float dot_f32(const float *restrict x, const float *restrict y, size_t dim)
{
	size_t full = dim / 16 * 16;
	float s = -0.0f;
	for (size_t j = full; j < dim; j++)
		s += x[j] * y[j];
	v16f acc = { 0 };
	for (size_t j = 0; j < full; j += 16) {
		v16f a, b;
		LOAD16(a, x + j);
		LOAD16(b, y + j);
		acc += a * b;
	}
	return s + fold16(acc);
}

static float norm_f32(const float *x, size_t dim)
{
	return sqrtf(dot_f32(x, x, dim));
}

/* Cosine over float32, the body shared by the FMA and the portable build:
 * FMA is what Lance's SIMD code does, so without the instruction fmaf()
 * gives the same bits, slowly. */
#define COSINE_F32_BODY(FMA)                                                        \
	size_t n16 = dim / 16 * 16, n8 = dim / 8 * 8;                               \
	float xy, yy;                                                               \
	if (dim == 8 || dim == 16) {                                                \
		/* one SIMD product each, no FMA */                                \
		float p[16], q[16];                                                 \
		for (size_t j = 0; j < dim; j++) {                                  \
			p[j] = x[j] * y[j];                                         \
			q[j] = y[j] * y[j];                                         \
		}                                                                   \
		xy = dim == 8 ? reduce8(p) : reduce16(p);                           \
		yy = dim == 8 ? reduce8(q) : reduce16(q);                           \
		return 1.0f - xy / x_norm / sqrtf(yy);                              \
	}                                                                           \
	float a16[16] = { 0 }, b16[16] = { 0 }, a8[8] = { 0 }, b8[8] = { 0 };       \
	for (size_t j = 0; j < n16; j += 16)                                        \
		for (int i = 0; i < 16; i++) {                                      \
			a16[i] = FMA(x[j + i], y[j + i], a16[i]);                   \
			b16[i] = FMA(y[j + i], y[j + i], b16[i]);                   \
		}                                                                   \
	for (size_t j = n16; j < n8; j += 8)                                        \
		for (int i = 0; i < 8; i++) {                                       \
			a8[i] = FMA(x[j + i], y[j + i], a8[i]);                     \
			b8[i] = FMA(y[j + i], y[j + i], b8[i]);                     \
		}                                                                   \
	float tx = -0.0f, ty = -0.0f;                                               \
	for (size_t j = n8; j < dim; j++) {                                         \
		tx += x[j] * y[j];                                                  \
		ty += y[j] * y[j];                                                  \
	}                                                                           \
	ty = sqrtf(ty);                                                             \
	yy = reduce16(b16) + reduce8(b8) + ty * ty;                                 \
	xy = reduce16(a16) + reduce8(a8) + tx;                                      \
	return 1.0f - xy / x_norm / sqrtf(yy);

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_FMA_VARIANT 1
/* fp-contract=off: only the explicit fmaf calls may fuse, as in Lance */
__attribute__((target("fma"), optimize("fp-contract=off"))) static float cosine_f32_fma(const float *restrict x, float x_norm,
							     const float *restrict y, size_t dim)
{
	COSINE_F32_BODY(__builtin_fmaf)
}
#endif

static float cosine_f32_portable(const float *restrict x, float x_norm, const float *restrict y,
				 size_t dim)
{
	COSINE_F32_BODY(fmaf)
}

static float (*cosine_f32)(const float *restrict, float, const float *restrict, size_t);
static pthread_once_t cosine_once = PTHREAD_ONCE_INIT;

static void cosine_pick(void)
{
	cosine_f32 = cosine_f32_portable;
#ifdef HAVE_FMA_VARIANT
	__builtin_cpu_init();
	if (__builtin_cpu_supports("fma"))
		cosine_f32 = cosine_f32_fma;
#endif
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
	pthread_once(&cosine_once, cosine_pick);
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
	const float *x = q->data;
	size_t dim = q->dim;
	switch (q->metric) {
	case LFS_METRIC_L2:
		for (size_t i = 0; i < n; i++)
			out[i] = l2_f32(x, v + i * dim, dim);
		break;
	case LFS_METRIC_DOT:
		for (size_t i = 0; i < n; i++)
			out[i] = 1.0f - dot_f32(x, v + i * dim, dim);
		break;
	case LFS_METRIC_COSINE:
		for (size_t i = 0; i < n; i++)
			out[i] = cosine_f32(x, q->norm, v + i * dim, dim);
		break;
	}
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
			out[i] = 1.0f - xy / (q->norm * sqrtf(yy));
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
