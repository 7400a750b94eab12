/*
 * Shortest round-trip floats at each width, against a slow reference
 * (increasing precision with printf until strtod/strtof reads the value
 * back), on fixed cases and many random bit patterns.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_view_util.h"
#include "view/view_impl.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *fmt(uint64_t bits, enum lfs_float_fmt f)
{
	static char buf[64];
	size_t n = lfs_fmt_float(buf, bits, f, 1);
	buf[n] = 0;
	return buf;
}

static uint64_t dbits(double d)
{
	uint64_t b;
	memcpy(&b, &d, 8);
	return b;
}

static uint32_t fbits(float f)
{
	uint32_t b;
	memcpy(&b, &f, 4);
	return b;
}

static int reads_back(const char *s, double x, int f32)
{
	if (f32)
		return strtof(s, NULL) == (float)x;
	return strtod(s, NULL) == x;
}

/* The next larger number with the same count of digits: "1.99e5" -> "2.00e5". */
static void bump_last_digit(char *s)
{
	char *e = strchr(s, 'e');
	char *p = e - 1;
	for (;;) {
		if (p >= s && *p == '.') {
			p--;
			continue;
		}
		if (p < s || *p == '-') {
			/* all nines: 9.99e5 -> 1.00e6 */
			char exp[16];
			int x = atoi(e + 1) + 1;
			char *q = p + 1;
			*q = '1';
			snprintf(exp, sizeof(exp), "e%d", x);
			strcpy(e, exp);
			return;
		}
		if (*p == '9') {
			*p = '0';
			p--;
			continue;
		}
		(*p)++;
		return;
	}
}

/* Digits and exponent of the shortest representation by brute force. */
static void reference(double x, int f32, int pow2, uint64_t *digits, int *e10)
{
	char buf[64];
	for (int p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, fabs(x));
		int ok = reads_back(buf, fabs(x), f32);
		if (!ok && pow2 && strtod(buf, NULL) < fabs(x)) {
			bump_last_digit(buf);
			ok = reads_back(buf, fabs(x), f32);
		}
		if (!ok)
			continue;
		char *e = strchr(buf, 'e');
		int exp = atoi(e + 1);
		uint64_t d = 0;
		int nd = 0;
		for (char *q = buf; q < e; q++)
			if (*q >= '0' && *q <= '9') {
				d = d * 10 + (uint64_t)(*q - '0');
				nd++;
			}
		int ex = exp - (nd - 1);
		while (d && d % 10 == 0) {
			d /= 10;
			ex++;
		}
		*digits = d;
		*e10 = ex;
		return;
	}
	*digits = 0;
	*e10 = 9999;
}

static int check_f64(uint64_t bits)
{
	double x;
	memcpy(&x, &bits, 8);
	if (!isfinite(x) || x == 0)
		return 1;
	uint64_t d, rd;
	int32_t e;
	int re;
	lfs_float_shortest(bits, LFS_FLOAT64, &d, &e);
	reference(x, 0, (bits & ((1ull << 52) - 1)) == 0, &rd, &re);
	if (d != rd || e != re) {
		tap_diag("double %.17g (%016llx): got %llue%d want %llue%d", x,
			 (unsigned long long)bits, (unsigned long long)d, e,
			 (unsigned long long)rd, re);
		return 0;
	}
	/* and the text reads back */
	if (strtod(fmt(bits, LFS_FLOAT64), NULL) != x) {
		tap_diag("double %.17g prints %s", x, fmt(bits, LFS_FLOAT64));
		return 0;
	}
	return 1;
}

static int check_f32(uint32_t bits)
{
	float x;
	memcpy(&x, &bits, 4);
	if (!isfinite(x) || x == 0)
		return 1;
	uint64_t d, rd;
	int32_t e;
	int re;
	lfs_float_shortest(bits, LFS_FLOAT32, &d, &e);
	reference(x, 1, (bits & ((1u << 23) - 1)) == 0, &rd, &re);
	if (d != rd || e != re) {
		tap_diag("float %.9g (%08x): got %llue%d want %llue%d", (double)x, bits,
			 (unsigned long long)d, e, (unsigned long long)rd, re);
		return 0;
	}
	if (strtof(fmt(bits, LFS_FLOAT32), NULL) != x) {
		tap_diag("float %.9g prints %s", (double)x, fmt(bits, LFS_FLOAT32));
		return 0;
	}
	return 1;
}

/* float16 -> double, exactly. */
static double half_value(uint16_t h)
{
	int e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp(m, -24) : ldexp(1024 + m, e - 25);
	return (h & 0x8000) ? -v : v;
}

/* double -> nearest float16 (ties to even), for finite values in range. */
static uint16_t half_round(double x)
{
	uint16_t best = 0;
	double bd = INFINITY;
	/* the two candidates around x by binary search over positive halves */
	double a = fabs(x);
	if (a >= 65520.0) /* half way past the largest half rounds to infinity */
		return (uint16_t)(0x7C00 | (x < 0 ? 0x8000 : 0));
	int lo = 0, hi = 0x7C00; /* [lo, hi) positive finite, 0x7C00 = inf */
	while (hi - lo > 1) {
		int mid = (lo + hi) / 2;
		if (half_value((uint16_t)mid) <= a)
			lo = mid;
		else
			hi = mid;
	}
	for (int c = lo; c <= hi && c < 0x7C00; c++) {
		double d = fabs(half_value((uint16_t)c) - a);
		if (d < bd || (d == bd && (c & 1) == 0)) {
			bd = d;
			best = (uint16_t)c;
		}
	}
	return (uint16_t)(best | (x < 0 ? 0x8000 : 0));
}

static void test_fixed(void)
{
	tap_is_str(fmt(fbits(0.1f), LFS_FLOAT32), "0.1", "float32 0.1f -> 0.1");
	tap_is_str(fmt(dbits((double)0.1f), LFS_FLOAT64), "0.10000000149011612",
		   "float64 of 0.1f -> 0.10000000149011612");
	tap_is_str(fmt(dbits(0.1), LFS_FLOAT64), "0.1", "float64 0.1");
	tap_is_str(fmt(dbits(1.0), LFS_FLOAT64), "1.0", "1.0");
	tap_is_str(fmt(dbits(-0.0), LFS_FLOAT64), "-0.0", "-0.0 keeps its sign");
	tap_is_str(fmt(fbits(-0.0f), LFS_FLOAT32), "-0.0", "float32 -0.0");
	tap_is_str(fmt(dbits(0.0), LFS_FLOAT64), "0.0", "0.0");
	tap_is_str(fmt(dbits(1e16), LFS_FLOAT64), "1e+16", "1e16 in exponent form");
	tap_is_str(fmt(dbits(1e15), LFS_FLOAT64), "1000000000000000.0", "1e15 positional");
	tap_is_str(fmt(dbits(123456789012345678.0), LFS_FLOAT64), "1.2345678901234568e+17",
		   "17 digits");
	tap_is_str(fmt(dbits(0.0001), LFS_FLOAT64), "0.0001", "0.0001 positional");
	tap_is_str(fmt(dbits(0.00001234), LFS_FLOAT64), "1.234e-05", "1.234e-05");
	tap_is_str(fmt(dbits(5e-324), LFS_FLOAT64), "5e-324", "smallest subnormal");
	tap_is_str(fmt(dbits(DBL_MAX), LFS_FLOAT64), "1.7976931348623157e+308", "DBL_MAX");
	tap_is_str(fmt(dbits(DBL_MIN), LFS_FLOAT64), "2.2250738585072014e-308", "DBL_MIN");
	tap_is_str(fmt(fbits(FLT_MAX), LFS_FLOAT32), "3.4028235e+38", "FLT_MAX");
	tap_is_str(fmt(fbits(1e-45f), LFS_FLOAT32), "1e-45", "float32 smallest subnormal");
	tap_is_str(fmt(fbits(16777216.0f), LFS_FLOAT32), "16777216.0", "float32 2^24");
	tap_is_str(fmt(fbits(3.14159274f), LFS_FLOAT32), "3.1415927", "float32 pi");
	tap_is_str(fmt(dbits(-2.5), LFS_FLOAT64), "-2.5", "-2.5");
	tap_is_str(fmt(dbits(100.0), LFS_FLOAT64), "100.0", "100.0");
	tap_is_str(fmt(dbits(1.5e300), LFS_FLOAT64), "1.5e+300", "1.5e+300");
	tap_is_str(fmt(dbits(NAN), LFS_FLOAT64), "\"NaN\"", "NaN quoted");
	tap_is_str(fmt(dbits(INFINITY), LFS_FLOAT64), "\"Infinity\"", "Infinity quoted");
	tap_is_str(fmt(dbits(-INFINITY), LFS_FLOAT64), "\"-Infinity\"", "-Infinity quoted");
	char buf[64];
	buf[lfs_fmt_float(buf, fbits(-INFINITY), LFS_FLOAT32, 0)] = 0;
	tap_is_str(buf, "-Infinity", "-Infinity bare");
	buf[lfs_fmt_float(buf, fbits(NAN), LFS_FLOAT32, 0)] = 0;
	tap_is_str(buf, "NaN", "NaN bare");
	tap_is_str(fmt(0x3C00, LFS_FLOAT16), "1.0", "float16 1.0");
	tap_is_str(fmt(0x2E66, LFS_FLOAT16), "0.1", "float16 0.1");
	tap_is_str(fmt(0x7BFF, LFS_FLOAT16), "65500.0", "float16 max 65504 -> 65500.0 (as numpy)");
	tap_is_str(fmt(0x0001, LFS_FLOAT16), "6e-08", "float16 smallest subnormal");
	tap_is_str(fmt(0x3555, LFS_FLOAT16), "0.3333", "float16 1/3");
	tap_is_str(fmt(0xFC00, LFS_FLOAT16), "\"-Infinity\"", "float16 -inf");
	tap_is_str(fmt(0x8000, LFS_FLOAT16), "-0.0", "float16 -0.0");
	tap_is_str(fmt(0x3DCD, LFS_BFLOAT16), "0.1", "bfloat16 0.1");
	tap_is_str(fmt(0x3F80, LFS_BFLOAT16), "1.0", "bfloat16 1.0");
	tap_is_str(fmt(0x4049, LFS_BFLOAT16), "3.14", "bfloat16 3.140625 -> 3.14");

	char ib[32];
	ib[lfs_fmt_i64(ib, INT64_MIN)] = 0;
	tap_is_str(ib, "-9223372036854775808", "INT64_MIN");
	ib[lfs_fmt_u64(ib, UINT64_MAX)] = 0;
	tap_is_str(ib, "18446744073709551615", "UINT64_MAX");
	ib[lfs_fmt_i64(ib, 0)] = 0;
	tap_is_str(ib, "0", "zero");
	ib[lfs_fmt_i64(ib, -7)] = 0;
	tap_is_str(ib, "-7", "-7");
}

static void test_random(void)
{
	int bad = 0, n = 0;
	for (int i = 0; i < 100000 && bad < 5; i++, n++)
		bad += !check_f64(next_rand());
	/* values nearer to everyday ones: small exponents, integers, powers of two */
	for (int i = 0; i < 50000 && bad < 5; i++, n++) {
		uint64_t b = next_rand();
		b = (b & 0x800FFFFFFFFFFFFFull) | ((uint64_t)(1023 - 40 + (int)(b >> 52) % 80) << 52);
		bad += !check_f64(b);
	}
	for (int i = 0; i < 20000 && bad < 5; i++, n++)
		bad += !check_f64(dbits((double)(int64_t)(next_rand() >> (next_rand() % 64))));
	for (uint64_t e = 0; e < 2047 && bad < 5; e++, n++)
		bad += !check_f64(e << 52);
	for (int i = 0; i < 20000 && bad < 5; i++, n++) /* subnormals */
		bad += !check_f64(next_rand() >> 12);
	tap_ok(bad == 0, "float64 shortest digits match the reference on %d values", n);

	bad = 0;
	n = 0;
	for (int i = 0; i < 150000 && bad < 5; i++, n++)
		bad += !check_f32((uint32_t)next_rand());
	for (uint32_t e = 0; e < 255 && bad < 5; e++, n++)
		bad += !check_f32(e << 23);
	for (uint32_t m = 0; m < 100000 && bad < 5; m++, n++) /* around 1.0 and subnormals */
		bad += !check_f32(0x3F800000u + m) + !check_f32(m);
	for (int i = 1; i < 100000 && bad < 5; i++, n++)
		bad += !check_f32(fbits((float)i / 1000.0f));
	tap_ok(bad == 0, "float32 shortest digits match the reference on %d values", n);

	/* float32's own 32-bit path agrees with the generic path (checked on
	 * every float32 once; a sample here) */
	bad = 0;
	n = 0;
	for (uint64_t b = 1; b < 0x7F800000ull && bad < 5; b += 997, n++) {
		uint64_t d1, d2;
		int32_t e1, e2;
		uint32_t x = (uint32_t)b ^ (uint32_t)(next_rand() & 0x80000000u);
		lfs_float_shortest(x, LFS_FLOAT32, &d1, &e1);
		lfs_float_shortest_generic(x, LFS_FLOAT32, &d2, &e2);
		if (d1 != d2 || e1 != e2) {
			tap_diag("float32 %08x: %llue%d vs generic %llue%d", x, (unsigned long long)d1,
				 e1, (unsigned long long)d2, e2);
			bad++;
		}
	}
	tap_ok(bad == 0, "float32 fast path = generic path on %d values", n);

	/* float16: every value prints the shortest text that reads back */
	bad = 0;
	for (uint32_t h = 0; h < 0x7C00 && bad < 5; h++) {
		const char *s = fmt(h, LFS_FLOAT16);
		double back = strtod(s, NULL);
		if (half_round(back) != h) {
			tap_diag("float16 %04x prints %s which reads as %04x", h, s, half_round(back));
			bad++;
			continue;
		}
		/* no text with one digit fewer reads back */
		uint64_t d;
		int32_t e;
		if (h == 0)
			continue;
		lfs_float_shortest(h, LFS_FLOAT16, &d, &e);
		int nd = 0;
		for (uint64_t t = d; t; t /= 10)
			nd++;
		if (nd > 1) {
			char b2[64];
			snprintf(b2, sizeof(b2), "%.*e", nd - 2, half_value((uint16_t)h));
			if (half_round(strtod(b2, NULL)) == h) {
				tap_diag("float16 %04x: %s is shorter than %s", h, b2, s);
				bad++;
			}
		}
	}
	tap_ok(bad == 0, "every float16 prints its shortest round-trip text");

	bad = 0;
	for (uint32_t h = 1; h < 0x7F80 && bad < 5; h++) {
		const char *s = fmt(h, LFS_BFLOAT16);
		float back = strtof(s, NULL);
		uint32_t fb = fbits(back);
		/* round the float to bfloat16, ties to even */
		uint32_t r = (fb + 0x7FFF + ((fb >> 16) & 1)) >> 16;
		if (r != h) {
			tap_diag("bfloat16 %04x prints %s which reads as %04x", h, s, r);
			bad++;
		}
	}
	tap_ok(bad == 0, "every bfloat16 prints text that reads back");
}

int main(void)
{
	test_fixed();
	test_random();
	return tap_done();
}
