/*
 * Numbers as text, fast and exact.
 *
 * Integers: two digits per step from a table.
 *
 * Floats: the shortest decimal that reads back to the same value at the
 * column's width (so float32 0.1f prints "0.1", not the float64 digits
 * 0.10000000149011612).  The digits come from the interval method of
 * Ulf Adams' Ryu (PLDI 2018): the rounding interval of the value is scaled
 * by a power of ten with 125-bit precision multipliers, and digits are
 * removed while the interval still holds a shorter number.  The method does
 * not depend on the width of the format, so float16, bfloat16, float32 and
 * float64 all share one routine; the multiplier tables are computed once
 * with exact big-integer arithmetic.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "view/view_impl.h"

/* ------------------------------------------------------------- integers */

static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static inline int decimal_length(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
		10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
		100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
	};
	int n = 1;
	while (n < 20 && v >= pow10[n])
		n++;
	return n;
}

size_t lfs_fmt_u64(char *p, uint64_t v)
{
	int n = decimal_length(v);
	char *e = p + n;

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		e -= 2;
		memcpy(e, digit_pairs + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(e - 2, digit_pairs + 2 * v, 2);
	else
		e[-1] = (char)('0' + v);
	return (size_t)n;
}

size_t lfs_fmt_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p = '-';
		return 1 + lfs_fmt_u64(p + 1, (uint64_t)0 - (uint64_t)v);
	}
	return lfs_fmt_u64(p, (uint64_t)v);
}

/* ------------------------------------------------------ multiplier tables */

#define POW5_INV_BITS 125
#define POW5_BITS 125
#define POW5_INV_COUNT 342
#define POW5_COUNT 326

/* Index 0 holds the low 64 bits, index 1 the high bits. */
static uint64_t pow5_inv[POW5_INV_COUNT][2]; /* floor(2^(bits(5^q) - 1 + 125) / 5^q) + 1 */
static uint64_t pow5_top[POW5_COUNT][2];     /* the top 125 bits of 5^i */
/* The same at 59 and 61 bits for float32, which needs only 64-bit
 * multipliers: floor(floor(x) / 2^66) = floor(x / 2^66). */
#define F_POW5_INV_BITS 59
#define F_POW5_BITS 61
#define F_POW5_INV_COUNT 31
#define F_POW5_COUNT 47
static uint64_t fpow5_inv[F_POW5_INV_COUNT];
static uint64_t fpow5_top[F_POW5_COUNT];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* ceil(log2(5^e)) for e > 0, 1 for e = 0 */
static inline int32_t pow5bits(int32_t e)
{
	return (int32_t)(((uint32_t)e * 1217359u) >> 19) + 1;
}
/* floor(log10(2^e)) */
static inline int32_t log10pow2(int32_t e)
{
	return (int32_t)(((uint32_t)e * 78913u) >> 18);
}
/* floor(log10(5^e)) */
static inline int32_t log10pow5(int32_t e)
{
	return (int32_t)(((uint32_t)e * 732923u) >> 20);
}

/* A small unsigned big integer, enough for 2^1023. */
#define BIG_LIMBS 32
typedef struct {
	uint32_t l[BIG_LIMBS]; /* little-endian */
} big;

static void big_mul_small(big *a, uint32_t m)
{
	uint64_t carry = 0;
	for (int i = 0; i < BIG_LIMBS; i++) {
		uint64_t t = (uint64_t)a->l[i] * m + carry;
		a->l[i] = (uint32_t)t;
		carry = t >> 32;
	}
}

static int big_bit(const big *a, int bit)
{
	return (a->l[bit / 32] >> (bit % 32)) & 1;
}

static void big_shl1(big *a, int in)
{
	uint32_t carry = (uint32_t)in;
	for (int i = 0; i < BIG_LIMBS; i++) {
		uint32_t out = a->l[i] >> 31;
		a->l[i] = (a->l[i] << 1) | carry;
		carry = out;
	}
}

static int big_cmp(const big *a, const big *b)
{
	for (int i = BIG_LIMBS - 1; i >= 0; i--)
		if (a->l[i] != b->l[i])
			return a->l[i] < b->l[i] ? -1 : 1;
	return 0;
}

static void big_sub(big *a, const big *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < BIG_LIMBS; i++) {
		uint64_t t = (uint64_t)a->l[i] - b->l[i] - borrow;
		a->l[i] = (uint32_t)t;
		borrow = (t >> 32) & 1;
	}
}

/* Bits [lo, lo + 128) of a as two 64-bit words (lo may be negative:
 * bits below 0 are zero). */
static void big_window(const big *a, int lo, uint64_t out[2])
{
	out[0] = out[1] = 0;
	for (int b = 0; b < 128; b++) {
		int src = lo + b;
		if (src >= 0 && src < BIG_LIMBS * 32 && big_bit(a, src))
			out[b / 64] |= (uint64_t)1 << (b % 64);
	}
}

static void build_tables(void)
{
	big p5;
	memset(&p5, 0, sizeof(p5));
	p5.l[0] = 1;
	for (int i = 0; i < POW5_INV_COUNT; i++) {
		int32_t bits = pow5bits(i);
		if (i < POW5_COUNT)
			big_window(&p5, bits - POW5_BITS, pow5_top[i]);
		/* floor(2^k / 5^i) + 1 by long division; the quotient is below
		 * 2^126, so the dividend's bits above 125 go straight into the
		 * remainder, which stays below 5^i. */
		int32_t k = bits - 1 + POW5_INV_BITS;
		big rem, quo;
		memset(&rem, 0, sizeof(rem));
		memset(&quo, 0, sizeof(quo));
		if (k >= 126)
			rem.l[(k - 126) / 32] = (uint32_t)1 << ((k - 126) % 32);
		for (int b = 125; b >= 0; b--) {
			big_shl1(&rem, b == k);
			big_shl1(&quo, 0);
			if (big_cmp(&rem, &p5) >= 0) {
				big_sub(&rem, &p5);
				quo.l[0] |= 1;
			}
		}
		big_window(&quo, 0, pow5_inv[i]);
		pow5_inv[i][0] += 1;
		if (pow5_inv[i][0] == 0)
			pow5_inv[i][1] += 1;
		big_mul_small(&p5, 5);
	}
	for (int i = 0; i < F_POW5_INV_COUNT; i++) {
		/* pow5_inv - 1 is the floor itself; drop 66 bits, add the 1 back */
		uint64_t hi = pow5_inv[i][1] - (pow5_inv[i][0] == 0);
		fpow5_inv[i] = (hi >> 2) + 1;
	}
	for (int i = 0; i < F_POW5_COUNT; i++)
		fpow5_top[i] = pow5_top[i][1];
}

/* ------------------------------------------------------- shortest digits */

/* (m * mul) >> j for a 64-bit m below 2^56 and a 126-bit mul; j >= 64. */
static inline uint64_t mul_shift(uint64_t m, const uint64_t mul[2], int32_t j)
{
	unsigned __int128 lo = (unsigned __int128)m * mul[0];
	unsigned __int128 hi = (unsigned __int128)m * mul[1];
	return (uint64_t)(((lo >> 64) + hi) >> (j - 64));
}

static inline bool multiple_of_pow5(uint64_t v, int32_t p)
{
	int32_t count = 0;
	while (v != 0 && v % 5 == 0) {
		v /= 5;
		count++;
	}
	return count >= p;
}

static inline bool multiple_of_pow2(uint64_t v, int32_t p)
{
	return p >= 64 ? v == 0 : (v & (((uint64_t)1 << p) - 1)) == 0;
}

/* The value is m2 * 2^e2 (m2 < 2^54); its rounding interval reaches half
 * way to each neighbour, the lower one closer (mm_shift 0) when m2 is a
 * power of two at an exponent boundary; the bounds belong to the interval
 * when accept (round-half-even keeps an even mantissa). */
static void shortest(uint64_t m2, int32_t e2, int mm_shift, bool accept, uint64_t *out,
		     int32_t *out_e10)
{
	uint64_t mv = 4 * m2, vr, vp, vm;
	int32_t e10, removed = 0;
	bool vm_zeros = false, vr_zeros = false;
	uint8_t last = 0;

	e2 -= 2;
	if (e2 >= 0) {
		int32_t q = log10pow2(e2) - (e2 > 3);
		int32_t k = POW5_INV_BITS + pow5bits(q) - 1;
		int32_t i = -e2 + q + k;
		e10 = q;
		vr = mul_shift(mv, pow5_inv[q], i);
		vp = mul_shift(mv + 2, pow5_inv[q], i);
		vm = mul_shift(mv - 1 - (uint64_t)mm_shift, pow5_inv[q], i);
		if (q <= 21) {
			if (mv % 5 == 0)
				vr_zeros = multiple_of_pow5(mv, q);
			else if (accept)
				vm_zeros = multiple_of_pow5(mv - 1 - (uint64_t)mm_shift, q);
			else
				vp -= multiple_of_pow5(mv + 2, q);
		}
	} else {
		int32_t q = log10pow5(-e2) - (-e2 > 1);
		int32_t i = -e2 - q;
		int32_t k = pow5bits(i) - POW5_BITS;
		int32_t j = q - k;
		e10 = q + e2;
		vr = mul_shift(mv, pow5_top[i], j);
		vp = mul_shift(mv + 2, pow5_top[i], j);
		vm = mul_shift(mv - 1 - (uint64_t)mm_shift, pow5_top[i], j);
		if (q <= 1) {
			vr_zeros = true;
			if (accept)
				vm_zeros = mm_shift == 1;
			else
				vp--;
		} else if (q < 63) {
			vr_zeros = multiple_of_pow2(mv, q);
		}
	}

	uint64_t output;
	if (vm_zeros || vr_zeros) {
		/* Rare: exact decimal bounds or ties need the full rules. */
		while (vp / 10 > vm / 10) {
			vm_zeros &= vm % 10 == 0;
			vr_zeros &= last == 0;
			last = (uint8_t)(vr % 10);
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		if (vm_zeros) {
			while (vm % 10 == 0) {
				vr_zeros &= last == 0;
				last = (uint8_t)(vr % 10);
				vr /= 10;
				vp /= 10;
				vm /= 10;
				removed++;
			}
		}
		if (vr_zeros && last == 5 && vr % 2 == 0)
			last = 4; /* an exact tie rounds to even */
		output = vr + ((vr == vm && (!accept || !vm_zeros)) || last >= 5);
	} else {
		/* Only the last removed digit decides the rounding here, so
		 * digits can go eight or two at a time (narrow formats run
		 * through 64-bit intermediates and lose many). */
		bool round_up = false;
		if (vp / 100000000 > vm / 100000000) {
			round_up = vr % 100000000 >= 50000000;
			vr /= 100000000;
			vp /= 100000000;
			vm /= 100000000;
			removed += 8;
		}
		while (vp / 100 > vm / 100) {
			round_up = vr % 100 >= 50;
			vr /= 100;
			vp /= 100;
			vm /= 100;
			removed += 2;
		}
		while (vp / 10 > vm / 10) {
			round_up = vr % 10 >= 5;
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		output = vr + (vr == vm || round_up);
	}
	e10 += removed;
	while (output != 0 && output % 10 == 0) {
		output /= 10;
		e10++;
	}
	*out = output;
	*out_e10 = e10;
}

/* ------------------------------------------- float32 with 64-bit tables */

/* (m * factor) >> shift for a 32-bit m and 64-bit factor; shift > 32. */
static inline uint32_t mul_shift32(uint32_t m, uint64_t factor, int32_t shift)
{
	uint64_t lo = (uint64_t)m * (uint32_t)factor;
	uint64_t hi = (uint64_t)m * (factor >> 32);
	return (uint32_t)(((lo >> 32) + hi) >> (shift - 32));
}

static inline bool multiple_of_pow5_32(uint32_t v, int32_t p)
{
	int32_t count = 0;
	while (v != 0 && v % 5 == 0) {
		v /= 5;
		count++;
	}
	return count >= p;
}

/* The same method as shortest() in 32-bit arithmetic; float32 values are
 * most of what vector columns hold.  Here the scale keeps no guard digit,
 * so the first removed digit is computed on its own. */
static void shortest32(uint32_t m2, int32_t e2, int mm_shift, bool accept, uint64_t *out,
		       int32_t *out_e10)
{
	uint32_t mv = 4 * m2, mp = 4 * m2 + 2, mm = 4 * m2 - 1 - (uint32_t)mm_shift;
	uint32_t vr, vp, vm;
	int32_t e10, removed = 0;
	bool vm_zeros = false, vr_zeros = false;
	uint8_t last = 0;

	e2 -= 2;
	if (e2 >= 0) {
		int32_t q = log10pow2(e2);
		int32_t k = F_POW5_INV_BITS + pow5bits(q) - 1;
		int32_t i = -e2 + q + k;
		e10 = q;
		vr = mul_shift32(mv, fpow5_inv[q], i);
		vp = mul_shift32(mp, fpow5_inv[q], i);
		vm = mul_shift32(mm, fpow5_inv[q], i);
		if (q != 0 && (vp - 1) / 10 <= vm / 10) {
			int32_t l = F_POW5_INV_BITS + pow5bits(q - 1) - 1;
			last = (uint8_t)(mul_shift32(mv, fpow5_inv[q - 1], -e2 + q - 1 + l) % 10);
		}
		if (q <= 9) {
			if (mv % 5 == 0)
				vr_zeros = multiple_of_pow5_32(mv, q);
			else if (accept)
				vm_zeros = multiple_of_pow5_32(mm, q);
			else
				vp -= multiple_of_pow5_32(mp, q);
		}
	} else {
		int32_t q = log10pow5(-e2);
		int32_t i = -e2 - q;
		int32_t k = pow5bits(i) - F_POW5_BITS;
		int32_t j = q - k;
		e10 = q + e2;
		vr = mul_shift32(mv, fpow5_top[i], j);
		vp = mul_shift32(mp, fpow5_top[i], j);
		vm = mul_shift32(mm, fpow5_top[i], j);
		if (q != 0 && (vp - 1) / 10 <= vm / 10) {
			j = q - 1 - (pow5bits(i + 1) - F_POW5_BITS);
			last = (uint8_t)(mul_shift32(mv, fpow5_top[i + 1], j) % 10);
		}
		if (q <= 1) {
			vr_zeros = true;
			if (accept)
				vm_zeros = mm_shift == 1;
			else
				vp--;
		} else if (q < 31) {
			vr_zeros = (mv & ((1u << (q - 1)) - 1)) == 0;
		}
	}

	uint32_t output;
	if (vm_zeros || vr_zeros) {
		while (vp / 10 > vm / 10) {
			vm_zeros &= vm % 10 == 0;
			vr_zeros &= last == 0;
			last = (uint8_t)(vr % 10);
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		if (vm_zeros) {
			while (vm % 10 == 0) {
				vr_zeros &= last == 0;
				last = (uint8_t)(vr % 10);
				vr /= 10;
				vp /= 10;
				vm /= 10;
				removed++;
			}
		}
		if (vr_zeros && last == 5 && vr % 2 == 0)
			last = 4;
		output = vr + ((vr == vm && (!accept || !vm_zeros)) || last >= 5);
	} else {
		while (vp / 10 > vm / 10) {
			last = (uint8_t)(vr % 10);
			vr /= 10;
			vp /= 10;
			vm /= 10;
			removed++;
		}
		output = vr + (vr == vm || last >= 5);
	}
	e10 += removed;
	while (output != 0 && output % 10 == 0) {
		output /= 10;
		e10++;
	}
	*out = output;
	*out_e10 = e10;
}

struct ieee_shape {
	int mbits, ebits;
};

static const struct ieee_shape shapes[] = {
	[LFS_FLOAT16] = { 10, 5 },
	[LFS_BFLOAT16] = { 7, 8 },
	[LFS_FLOAT32] = { 23, 8 },
	[LFS_FLOAT64] = { 52, 11 },
};

static void float_shortest(uint64_t bits, enum lfs_float_fmt fmt, int fast32, uint64_t *digits,
			   int32_t *exp10);

void lfs_float_shortest(uint64_t bits, enum lfs_float_fmt fmt, uint64_t *digits, int32_t *exp10)
{
	float_shortest(bits, fmt, 1, digits, exp10);
}

void lfs_float_shortest_generic(uint64_t bits, enum lfs_float_fmt fmt, uint64_t *digits,
				int32_t *exp10)
{
	float_shortest(bits, fmt, 0, digits, exp10);
}

static void float_shortest(uint64_t bits, enum lfs_float_fmt fmt, int fast32, uint64_t *digits,
			   int32_t *exp10)
{
	const struct ieee_shape *s = &shapes[fmt];
	uint64_t mant = bits & (((uint64_t)1 << s->mbits) - 1);
	uint32_t e = (uint32_t)(bits >> s->mbits) & ((1u << s->ebits) - 1);
	int32_t bias = (1 << (s->ebits - 1)) - 1;
	uint64_t m2;
	int32_t e2;

	pthread_once(&tables_once, build_tables);
	if (e == 0) {
		m2 = mant;
		e2 = 1 - bias - s->mbits;
	} else {
		m2 = mant | ((uint64_t)1 << s->mbits);
		e2 = (int32_t)e - bias - s->mbits;
	}
	if (fmt == LFS_FLOAT32 && fast32)
		shortest32((uint32_t)m2, e2, mant != 0 || e <= 1, (m2 & 1) == 0, digits, exp10);
	else
		shortest(m2, e2, mant != 0 || e <= 1, (m2 & 1) == 0, digits, exp10);
}

size_t lfs_fmt_float(char *p, uint64_t bits, enum lfs_float_fmt fmt, int quote_special)
{
	const struct ieee_shape *s = &shapes[fmt];
	int total = 1 + s->ebits + s->mbits;
	int neg = (int)((bits >> (total - 1)) & 1);
	uint64_t mant = bits & (((uint64_t)1 << s->mbits) - 1);
	uint32_t e = (uint32_t)(bits >> s->mbits) & ((1u << s->ebits) - 1);
	char *start = p;

	if (e == (1u << s->ebits) - 1) {
		const char *word = mant ? "NaN" : neg ? "-Infinity" : "Infinity";
		size_t n = strlen(word);
		if (quote_special)
			*p++ = '"';
		memcpy(p, word, n);
		p += n;
		if (quote_special)
			*p++ = '"';
		return (size_t)(p - start);
	}
	if (neg)
		*p++ = '-';
	if (e == 0 && mant == 0) {
		memcpy(p, "0.0", 3);
		return (size_t)(p + 3 - start);
	}

	uint64_t digits;
	int32_t e10;
	lfs_float_shortest(bits, fmt, &digits, &e10);
	char d[24];
	int nd = (int)lfs_fmt_u64(d, digits);
	int32_t lead = e10 + nd - 1; /* decimal exponent of the first digit */

	if (lead < -4 || lead >= 16) {
		*p++ = d[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, d + 1, (size_t)(nd - 1));
			p += nd - 1;
		}
		*p++ = 'e';
		*p++ = lead < 0 ? '-' : '+';
		int32_t x = lead < 0 ? -lead : lead;
		if (x < 10)
			*p++ = '0';
		p += lfs_fmt_u64(p, (uint64_t)x);
	} else if (lead >= 0) {
		if (nd <= lead + 1) {
			memcpy(p, d, (size_t)nd);
			p += nd;
			memset(p, '0', (size_t)(lead + 1 - nd));
			p += lead + 1 - nd;
			memcpy(p, ".0", 2);
			p += 2;
		} else {
			memcpy(p, d, (size_t)(lead + 1));
			p += lead + 1;
			*p++ = '.';
			memcpy(p, d + lead + 1, (size_t)(nd - lead - 1));
			p += nd - lead - 1;
		}
	} else {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)(-lead - 1));
		p += -lead - 1;
		memcpy(p, d, (size_t)nd);
		p += nd;
	}
	return (size_t)(p - start);
}
