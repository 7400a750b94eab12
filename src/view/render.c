/*
 * One value as text, in one of three styles (JSON, PostgreSQL COPY text,
 * CSV field); the renderings are those of DESIGN.md section 1 and
 * doc/views.md.  Writers reserve room once per value and then store bytes
 * directly: no printf and no per-character calls in the inner loops.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "view/view_impl.h"

#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

/* Room for n more bytes. */
static inline int need(lfs_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return 0;
	return lfs_buf_reserve(b, n);
}

static inline char *tail(lfs_buf *b)
{
	return (char *)b->data + b->len;
}

static inline int put(lfs_buf *b, const void *s, size_t n)
{
	TRY(need(b, n));
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return 0;
}

#define PUT_LIT(b, lit) put((b), (lit), sizeof(lit) - 1)

/* ---------------------------------------------------------------- UTF-8 */

/* Byte classes: 0 plain ASCII, 1 needs a JSON escape, 2 starts a non-ASCII
 * sequence. */
static const uint8_t json_class[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* The length of the well-formed UTF-8 sequence at s (s[0] >= 0x80), or 0
 * when it is ill-formed; then *bad is the length of its maximal subpart,
 * which becomes one U+FFFD (the Unicode "best practice", as Python's
 * decode(errors="replace") and WHATWG do). */
static size_t utf8_seq(const uint8_t *s, size_t n, size_t *bad)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xBF;
	size_t more;

	if (c >= 0xC2 && c <= 0xDF)
		more = 1;
	else if (c == 0xE0)
		more = 2, lo = 0xA0;
	else if (c == 0xED)
		more = 2, hi = 0x9F;
	else if (c >= 0xE1 && c <= 0xEF)
		more = 2;
	else if (c == 0xF0)
		more = 3, lo = 0x90;
	else if (c == 0xF4)
		more = 3, hi = 0x8F;
	else if (c >= 0xF1 && c <= 0xF3)
		more = 3;
	else {
		*bad = 1;
		return 0;
	}
	for (size_t i = 1; i <= more; i++) {
		uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
		if (i >= n || s[i] < l || s[i] > h) {
			*bad = i;
			return 0;
		}
	}
	return more + 1;
}

static const char replacement[3] = { (char)0xEF, (char)0xBF, (char)0xBD };
static const char hexdig[16] = "0123456789abcdef";

int lfs_view_json_string(lfs_buf *b, const uint8_t *s, size_t n)
{
	size_t i = 0;

	TRY(need(b, n + 2));
	b->data[b->len++] = '"';
	while (i < n) {
		size_t run = i;
		while (run < n && json_class[s[run]] == 0)
			run++;
		if (run > i) {
			TRY(put(b, s + i, run - i));
			i = run;
			if (i == n)
				break;
		}
		uint8_t c = s[i];
		if (json_class[c] == 2) {
			size_t bad, len = utf8_seq(s + i, n - i, &bad);
			if (len) {
				TRY(put(b, s + i, len));
				i += len;
			} else {
				TRY(put(b, replacement, 3));
				i += bad;
			}
			continue;
		}
		TRY(need(b, 6));
		char *p = tail(b);
		p[0] = '\\';
		switch (c) {
		case '"': p[1] = '"'; b->len += 2; break;
		case '\\': p[1] = '\\'; b->len += 2; break;
		case '\n': p[1] = 'n'; b->len += 2; break;
		case '\r': p[1] = 'r'; b->len += 2; break;
		case '\t': p[1] = 't'; b->len += 2; break;
		case '\b': p[1] = 'b'; b->len += 2; break;
		case '\f': p[1] = 'f'; b->len += 2; break;
		default:
			memcpy(p + 1, "u00", 3);
			p[4] = hexdig[c >> 4];
			p[5] = hexdig[c & 15];
			b->len += 6;
		}
		i++;
	}
	TRY(need(b, 1));
	b->data[b->len++] = '"';
	return 0;
}

/* PostgreSQL COPY text: backslash, newline, carriage return and tab are
 * escaped; invalid UTF-8 becomes U+FFFD (PostgreSQL refuses it). */
static int txt_string(lfs_buf *b, const uint8_t *s, size_t n)
{
	size_t i = 0;

	TRY(need(b, n));
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '\\')
			run++;
		if (run > i) {
			TRY(put(b, s + i, run - i));
			i = run;
			if (i == n)
				break;
		}
		uint8_t c = s[i];
		if (c >= 0x80) {
			size_t bad, len = utf8_seq(s + i, n - i, &bad);
			if (len) {
				TRY(put(b, s + i, len));
				i += len;
			} else {
				TRY(put(b, replacement, 3));
				i += bad;
			}
			continue;
		}
		switch (c) {
		case '\\': TRY(PUT_LIT(b, "\\\\")); break;
		case '\n': TRY(PUT_LIT(b, "\\n")); break;
		case '\r': TRY(PUT_LIT(b, "\\r")); break;
		case '\t': TRY(PUT_LIT(b, "\\t")); break;
		default: TRY(put(b, &c, 1)); break;
		}
		i++;
	}
	return 0;
}

/* RFC 4180: quoted when it holds a comma, quote, CR or LF, or is empty (so
 * that "" differs from a null, which is an empty field); quotes doubled. */
int lfs_view_csv_string(lfs_buf *b, const uint8_t *s, size_t n)
{
	int quote = n == 0;
	size_t i;

	for (i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	TRY(need(b, n + 2));
	if (quote)
		b->data[b->len++] = '"';
	i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] < 0x80 && s[run] != '"')
			run++;
		if (run > i) {
			TRY(put(b, s + i, run - i));
			i = run;
			if (i == n)
				break;
		}
		if (s[i] == '"') {
			TRY(PUT_LIT(b, "\"\""));
			i++;
			continue;
		}
		size_t bad, len = utf8_seq(s + i, n - i, &bad);
		if (len) {
			TRY(put(b, s + i, len));
			i += len;
		} else {
			TRY(put(b, replacement, 3));
			i += bad;
		}
	}
	if (quote)
		TRY(PUT_LIT(b, "\""));
	return 0;
}

/* ---------------------------------------------------------- binary data */

static const char b64[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int put_base64(lfs_buf *b, const uint8_t *s, size_t n)
{
	size_t out = (n + 2) / 3 * 4;
	TRY(need(b, out));
	char *p = tail(b);
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		*p++ = b64[v >> 18];
		*p++ = b64[(v >> 12) & 63];
		*p++ = b64[(v >> 6) & 63];
		*p++ = b64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
		*p++ = b64[v >> 18];
		*p++ = b64[(v >> 12) & 63];
		*p++ = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		*p++ = '=';
	}
	b->len += out;
	return 0;
}

/* PostgreSQL bytea hex: \x0a0b... (the backslash doubled in COPY text). */
static int put_bytea_hex(lfs_buf *b, const uint8_t *s, size_t n, int escape_backslash)
{
	TRY(need(b, 3 + 2 * n));
	char *p = tail(b);
	*p++ = '\\';
	if (escape_backslash)
		*p++ = '\\';
	*p++ = 'x';
	for (size_t i = 0; i < n; i++) {
		*p++ = hexdig[s[i] >> 4];
		*p++ = hexdig[s[i] & 15];
	}
	b->len = (size_t)((uint8_t *)p - b->data);
	return 0;
}

/* ------------------------------------------------------- dates and times */

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Days since 1970-01-01 -> proleptic Gregorian year, month, day (the
 * well-known era/day-of-era computation; valid for any int64 day count
 * that a timestamp can produce). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	uint64_t doe = (uint64_t)(z - era * 146097);
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static inline char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* Zero-padded decimal of exactly `width` digits (v < 10^width). */
static char *put_padded(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* YYYY-MM-DD; years outside 0..9999 as ISO 8601 expanded years: -0044,
 * +10000. */
static char *put_date(char *p, int64_t days)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0) {
		*p++ = '-';
		uint64_t a = (uint64_t)0 - (uint64_t)y;
		p = a < 10000 ? put_padded(p, a, 4) : p + lfs_fmt_u64(p, a);
	} else if (y > 9999) {
		*p++ = '+';
		p += lfs_fmt_u64(p, (uint64_t)y);
	} else {
		p = put_padded(p, (uint64_t)y, 4);
	}
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	return put2(p, d);
}

static const int64_t unit_per_second[] = {
	[LFS_UNIT_S] = 1, [LFS_UNIT_MS] = 1000, [LFS_UNIT_US] = 1000000,
	[LFS_UNIT_NS] = 1000000000,
};
static const int unit_digits[] = {
	[LFS_UNIT_S] = 0, [LFS_UNIT_MS] = 3, [LFS_UNIT_US] = 6, [LFS_UNIT_NS] = 9,
};

/* HH:MM:SS[.fff] from seconds of the day and a fraction in the unit. */
static char *put_clock(char *p, uint64_t secs, uint64_t frac, enum lfs_time_unit unit)
{
	uint64_t h = secs / 3600;
	p = h < 100 ? put2(p, (unsigned)h) : p + lfs_fmt_u64(p, h);
	*p++ = ':';
	p = put2(p, (unsigned)(secs / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(secs % 60));
	if (unit_digits[unit]) {
		*p++ = '.';
		p = put_padded(p, frac, unit_digits[unit]);
	}
	return p;
}

static char *put_timestamp(char *p, int64_t v, enum lfs_time_unit unit, int utc)
{
	int64_t per = unit_per_second[unit];
	int64_t secs = floor_div(v, per);
	int64_t rem = v % per; /* not v - secs * per, which can overflow */
	uint64_t frac = (uint64_t)(rem < 0 ? rem + per : rem);
	int64_t days = floor_div(secs, 86400);
	int64_t srem = secs % 86400;
	uint64_t sod = (uint64_t)(srem < 0 ? srem + 86400 : srem);
	p = put_date(p, days);
	*p++ = 'T';
	p = put_clock(p, sod, frac, unit);
	if (utc)
		*p++ = 'Z';
	return p;
}

/* time32/time64: a time of day; out-of-range values keep their sign and
 * let the hours grow rather than wrap. */
static char *put_time(char *p, int64_t v, enum lfs_time_unit unit)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t per = (uint64_t)unit_per_second[unit];
	if (v < 0)
		*p++ = '-';
	return put_clock(p, a / per, a % per, unit);
}

/* --------------------------------------------------------------- decimal */

/* Two's complement little-endian integer of nwords 64-bit words as an exact
 * decimal with `scale` digits after the point. */
static int put_decimal(lfs_buf *b, const uint8_t *bytes, int nwords, int32_t scale)
{
	uint64_t w[4];
	int neg;
	char digits[5 * 19]; /* 2^255 has 77 digits: five groups of 19 */
	int nd = 0;

	for (int i = 0; i < nwords; i++)
		w[i] = lfs_le64(bytes + 8 * i);
	neg = (int)(w[nwords - 1] >> 63);
	if (neg) { /* magnitude = ~w + 1 */
		int carry = 1;
		for (int i = 0; i < nwords; i++) {
			w[i] = ~w[i] + (uint64_t)carry;
			carry = carry && w[i] == 0;
		}
	}
	/* repeated division by 10^19, least significant group first */
	char groups[5][19];
	int ng = 0;
	for (;;) {
		int zero = 1;
		for (int i = 0; i < nwords; i++)
			zero &= w[i] == 0;
		if (zero && ng > 0)
			break;
		unsigned __int128 rem = 0;
		for (int i = nwords - 1; i >= 0; i--) {
			unsigned __int128 cur = rem << 64 | w[i];
			w[i] = (uint64_t)(cur / 10000000000000000000ull);
			rem = cur % 10000000000000000000ull;
		}
		put_padded(groups[ng++], (uint64_t)rem, 19);
	}
	for (int g = ng - 1; g >= 0; g--) {
		memcpy(digits + nd, groups[g], 19);
		nd += 19;
	}
	int lead = 0;
	while (lead < nd - 1 && digits[lead] == '0')
		lead++;
	const char *d = digits + lead;
	nd -= lead;
	int is_zero = nd == 1 && d[0] == '0';

	/* sign, digits, point; scale > 0 may need leading zeros, a negative
	 * scale multiplies by a power of ten */
	uint64_t s_abs = scale < 0 ? (uint64_t)0 - (uint64_t)(int64_t)scale : (uint64_t)scale;
	if (s_abs > 1000000)
		return -EIO; /* not a real scale; refuse rather than print a novel */
	TRY(need(b, (size_t)nd + (size_t)s_abs + 4));
	char *p = tail(b);
	if (neg && !is_zero)
		*p++ = '-';
	if (scale <= 0) {
		memcpy(p, d, (size_t)nd);
		p += nd;
		if (!is_zero) {
			memset(p, '0', (size_t)s_abs);
			p += s_abs;
		}
	} else if ((uint64_t)nd > s_abs) {
		memcpy(p, d, (size_t)nd - s_abs);
		p += (size_t)nd - s_abs;
		*p++ = '.';
		memcpy(p, d + nd - (int)s_abs, s_abs);
		p += s_abs;
	} else {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', s_abs - (size_t)nd);
		p += s_abs - (size_t)nd;
		memcpy(p, d, (size_t)nd);
		p += nd;
	}
	b->len = (size_t)((uint8_t *)p - b->data);
	return 0;
}

/* ---------------------------------------------------------------- values */

int lfs_view_type_is_scalar(const lfs_type *t)
{
	switch (t->id) {
	case LFS_T_FIXED_SIZE_LIST:
	case LFS_T_LIST:
	case LFS_T_LARGE_LIST:
	case LFS_T_STRUCT:
	case LFS_T_MAP:
		return 0;
	default:
		return 1;
	}
}

/* The schema's type when it agrees with the column's (it carries the time
 * zone, unit and scale as the user declared them), else the column's. */
static const lfs_type *type_of(const lfs_field *f, const lfs_column *c)
{
	return f && f->type.id == c->type.id ? &f->type : &c->type;
}

static int is_bfloat16(const lfs_field *f)
{
	return f && ((f->extension_name && strcmp(f->extension_name, "lance.bfloat16") == 0) ||
		     (f->logical_type && strcmp(f->logical_type, "lance.bfloat16") == 0));
}

static int time_unit_ok(const lfs_type *t)
{
	switch (t->id) {
	case LFS_T_TIME32: return t->unit == LFS_UNIT_S || t->unit == LFS_UNIT_MS;
	case LFS_T_TIME64: return t->unit == LFS_UNIT_US || t->unit == LFS_UNIT_NS;
	case LFS_T_TIMESTAMP:
	case LFS_T_DURATION: return t->unit <= LFS_UNIT_NS;
	default: return 1;
	}
}

static inline int open_quote(lfs_buf *b, enum lfs_text_style style)
{
	if (style != LFS_STYLE_JSON)
		return 0;
	TRY(need(b, 1));
	b->data[b->len++] = '"';
	return 0;
}

#define close_quote open_quote

/* A valid (non-null) scalar value. */
static int render_scalar(lfs_buf *b, enum lfs_text_style style, const lfs_field *f,
			 const lfs_column *c, uint64_t row)
{
	const lfs_type *t = type_of(f, c);
	const uint8_t *v = c->values ? c->values + row * c->width : NULL;
	int json = style == LFS_STYLE_JSON;
	char *p;

	if (!time_unit_ok(t))
		return -EIO;
	TRY(need(b, LFS_NUM_MAX + 40));
	p = tail(b);
	switch (t->id) {
	case LFS_T_NULL:
		return 0; /* never valid; callers render the null */
	case LFS_T_BOOL:
		if (lfs_column_bool(c, row)) {
			memcpy(p, "true", 4);
			b->len += 4;
		} else {
			memcpy(p, "false", 5);
			b->len += 5;
		}
		return 0;
	case LFS_T_INT8: b->len += lfs_fmt_i64(p, (int8_t)v[0]); return 0;
	case LFS_T_INT16: b->len += lfs_fmt_i64(p, (int16_t)lfs_le16(v)); return 0;
	case LFS_T_INT32: b->len += lfs_fmt_i64(p, (int32_t)lfs_le32(v)); return 0;
	case LFS_T_INT64:
	case LFS_T_DURATION: b->len += lfs_fmt_i64(p, (int64_t)lfs_le64(v)); return 0;
	case LFS_T_UINT8: b->len += lfs_fmt_u64(p, v[0]); return 0;
	case LFS_T_UINT16: b->len += lfs_fmt_u64(p, lfs_le16(v)); return 0;
	case LFS_T_UINT32: b->len += lfs_fmt_u64(p, lfs_le32(v)); return 0;
	case LFS_T_UINT64: b->len += lfs_fmt_u64(p, lfs_le64(v)); return 0;
	case LFS_T_FLOAT16: b->len += lfs_fmt_float(p, lfs_le16(v), LFS_FLOAT16, json); return 0;
	case LFS_T_FLOAT32: b->len += lfs_fmt_float(p, lfs_le32(v), LFS_FLOAT32, json); return 0;
	case LFS_T_FLOAT64: b->len += lfs_fmt_float(p, lfs_le64(v), LFS_FLOAT64, json); return 0;
	case LFS_T_DATE32:
	case LFS_T_DATE64: {
		int64_t days = t->id == LFS_T_DATE32 ? (int32_t)lfs_le32(v)
						     : floor_div((int64_t)lfs_le64(v), 86400000);
		char *s = p;
		if (json)
			*p++ = '"';
		p = put_date(p, days);
		if (json)
			*p++ = '"';
		b->len += (size_t)(p - s);
		return 0;
	}
	case LFS_T_TIME32:
	case LFS_T_TIME64:
	case LFS_T_TIMESTAMP: {
		char *s = p;
		int64_t x = t->id == LFS_T_TIME32 ? (int32_t)lfs_le32(v) : (int64_t)lfs_le64(v);
		if (json)
			*p++ = '"';
		if (t->id == LFS_T_TIMESTAMP)
			p = put_timestamp(p, x, t->unit, t->tz[0] != 0);
		else
			p = put_time(p, x, t->unit);
		if (json)
			*p++ = '"';
		b->len += (size_t)(p - s);
		return 0;
	}
	case LFS_T_DECIMAL128:
	case LFS_T_DECIMAL256:
		TRY(open_quote(b, style));
		TRY(put_decimal(b, v, t->id == LFS_T_DECIMAL128 ? 2 : 4, t->scale));
		return close_quote(b, style);
	case LFS_T_UTF8:
	case LFS_T_LARGE_UTF8: {
		const uint8_t *s = c->data + c->offsets[row];
		size_t n = (size_t)(c->offsets[row + 1] - c->offsets[row]);
		if (json)
			return lfs_view_json_string(b, s, n);
		if (style == LFS_STYLE_TXT)
			return txt_string(b, s, n);
		return lfs_view_csv_string(b, s, n);
	}
	case LFS_T_BINARY:
	case LFS_T_LARGE_BINARY:
	case LFS_T_FIXED_SIZE_BINARY: {
		const uint8_t *s;
		size_t n;
		if (t->id == LFS_T_FIXED_SIZE_BINARY) {
			if (c->width == 2 && is_bfloat16(f)) {
				b->len += lfs_fmt_float(p, lfs_le16(v), LFS_BFLOAT16, json);
				return 0;
			}
			s = v;
			n = c->width;
		} else {
			s = c->data + c->offsets[row];
			n = (size_t)(c->offsets[row + 1] - c->offsets[row]);
		}
		if (!json)
			return put_bytea_hex(b, s, n, style == LFS_STYLE_TXT);
		TRY(open_quote(b, style));
		TRY(put_base64(b, s, n));
		return close_quote(b, style);
	}
	default:
		return -ENOTSUP;
	}
}

static int render_json(lfs_buf *b, const lfs_field *f, const lfs_column *c, uint64_t row,
		       int depth);

static const lfs_field *child_field(const lfs_field *f, size_t i)
{
	return f && i < f->n_children ? f->children[i] : NULL;
}

/* Items [from, to) of a child column as a JSON array; plain numbers without
 * nulls (vectors) take a tight loop. */
static int render_items(lfs_buf *b, const lfs_field *cf, const lfs_column *child,
			uint64_t from, uint64_t to, int depth)
{
	TRY(need(b, 2));
	b->data[b->len++] = '[';
	if (child->validity == NULL && (child->type.id == LFS_T_FLOAT32 ||
					 child->type.id == LFS_T_FLOAT64)) {
		int f32 = child->type.id == LFS_T_FLOAT32;
		for (uint64_t k = from; k < to; k++) {
			TRY(need(b, LFS_NUM_MAX + 2));
			char *p = tail(b);
			if (k > from) {
				*p++ = ',';
				*p++ = ' ';
			}
			p += f32 ? lfs_fmt_float(p, lfs_le32(child->values + 4 * k), LFS_FLOAT32, 1)
				 : lfs_fmt_float(p, lfs_le64(child->values + 8 * k), LFS_FLOAT64, 1);
			b->len = (size_t)((uint8_t *)p - b->data);
		}
	} else {
		for (uint64_t k = from; k < to; k++) {
			if (k > from)
				TRY(PUT_LIT(b, ", "));
			TRY(render_json(b, cf, child, k, depth + 1));
		}
	}
	TRY(need(b, 1));
	b->data[b->len++] = ']';
	return 0;
}

static int render_json(lfs_buf *b, const lfs_field *f, const lfs_column *c, uint64_t row,
		       int depth)
{
	if (depth > 64)
		return -EIO;
	if (!lfs_column_is_valid(c, row) || c->type.id == LFS_T_NULL)
		return PUT_LIT(b, "null");
	switch (c->type.id) {
	case LFS_T_LIST:
	case LFS_T_LARGE_LIST:
		return render_items(b, child_field(f, 0), &c->children[0], c->offsets[row],
				    c->offsets[row + 1], depth);
	case LFS_T_FIXED_SIZE_LIST: {
		uint64_t n = (uint64_t)c->type.list_size;
		return render_items(b, child_field(f, 0), &c->children[0], row * n,
				    row * n + n, depth);
	}
	case LFS_T_STRUCT:
		TRY(PUT_LIT(b, "{"));
		for (uint32_t i = 0; i < c->n_children; i++) {
			const lfs_field *cf = child_field(f, i);
			if (i)
				TRY(PUT_LIT(b, ", "));
			if (cf && cf->name) {
				TRY(lfs_view_json_string(b, (const uint8_t *)cf->name, strlen(cf->name)));
			} else {
				char name[24];
				size_t n = lfs_fmt_u64(name + 1, i);
				name[0] = 'f';
				TRY(lfs_view_json_string(b, (const uint8_t *)name, n + 1));
			}
			TRY(PUT_LIT(b, ": "));
			TRY(render_json(b, cf, &c->children[i], row, depth + 1));
		}
		return PUT_LIT(b, "}");
	case LFS_T_MAP: {
		const lfs_column *entries = &c->children[0];
		const lfs_field *ef = child_field(f, 0);
		TRY(PUT_LIT(b, "["));
		for (uint64_t k = c->offsets[row]; k < c->offsets[row + 1]; k++) {
			if (k > c->offsets[row])
				TRY(PUT_LIT(b, ", "));
			if (!lfs_column_is_valid(entries, k)) {
				TRY(PUT_LIT(b, "null"));
				continue;
			}
			TRY(PUT_LIT(b, "{\"key\": "));
			TRY(render_json(b, child_field(ef, 0), &entries->children[0], k, depth + 1));
			TRY(PUT_LIT(b, ", \"value\": "));
			TRY(render_json(b, child_field(ef, 1), &entries->children[1], k, depth + 1));
			TRY(PUT_LIT(b, "}"));
		}
		return PUT_LIT(b, "]");
	}
	default:
		return render_scalar(b, LFS_STYLE_JSON, f, c, row);
	}
}

int lfs_view_render(lfs_buf *out, enum lfs_text_style style, const lfs_field *field,
		    const lfs_column *col, uint64_t row)
{
	if (style == LFS_STYLE_JSON)
		return render_json(out, field, col, row, 0);
	if (!lfs_view_type_is_scalar(&col->type))
		return -ENOTSUP;
	if (!lfs_column_is_valid(col, row) || col->type.id == LFS_T_NULL)
		return style == LFS_STYLE_TXT ? PUT_LIT(out, "\\N") : 0;
	return render_scalar(out, style, field, col, row);
}

static int check_row(const lfs_column *c, uint64_t row, int depth);

int lfs_view_json_value(lfs_buf *out, const lfs_field *field, const lfs_column *col, uint64_t row)
{
	if (row >= col->length)
		return -EINVAL;
	TRY(check_row(col, row, 0));
	TRY(render_json(out, field, col, row, 0));
	/* keep the buffer a C string, as lfs_buf_append does */
	TRY(need(out, 1));
	out->data[out->len] = 0;
	return 0;
}

/* ---------------------------------------------------------- column checks */

static uint32_t fixed_width(const lfs_type *t)
{
	switch (t->id) {
	case LFS_T_INT8: case LFS_T_UINT8: return 1;
	case LFS_T_INT16: case LFS_T_UINT16: case LFS_T_FLOAT16: return 2;
	case LFS_T_INT32: case LFS_T_UINT32: case LFS_T_FLOAT32:
	case LFS_T_DATE32: case LFS_T_TIME32: return 4;
	case LFS_T_INT64: case LFS_T_UINT64: case LFS_T_FLOAT64: case LFS_T_DATE64:
	case LFS_T_TIME64: case LFS_T_TIMESTAMP: case LFS_T_DURATION: return 8;
	case LFS_T_DECIMAL128: return 16;
	case LFS_T_DECIMAL256: return 32;
	case LFS_T_FIXED_SIZE_BINARY: return t->byte_width > 0 ? (uint32_t)t->byte_width : 0;
	default: return 0;
	}
}

static const char *type_name(enum lfs_type_id id)
{
	switch (id) {
	case LFS_T_BOOL: return "bool";
	case LFS_T_UTF8: return "utf8";
	case LFS_T_LARGE_UTF8: return "large_utf8";
	case LFS_T_BINARY: return "binary";
	case LFS_T_LARGE_BINARY: return "large_binary";
	case LFS_T_LIST: return "list";
	case LFS_T_LARGE_LIST: return "large_list";
	case LFS_T_MAP: return "map";
	case LFS_T_FIXED_SIZE_LIST: return "fixed_size_list";
	case LFS_T_STRUCT: return "struct";
	case LFS_T_DECIMAL128: return "decimal128";
	case LFS_T_DECIMAL256: return "decimal256";
	case LFS_T_FIXED_SIZE_BINARY: return "fixed_size_binary";
	case LFS_T_TIMESTAMP: return "timestamp";
	case LFS_T_TIME32: return "time32";
	case LFS_T_TIME64: return "time64";
	case LFS_T_DURATION: return "duration";
	default: return "fixed-width";
	}
}

static int check_offsets(const lfs_column *c, uint64_t limit, const char *what, lfs_err *err)
{
	if (!c->offsets)
		return lfs_fail(err, -EIO, "decoded %s column of %" PRIu64 " rows has no offsets",
				what, c->length);
	for (uint64_t i = 0; i < c->length; i++)
		if (c->offsets[i] > c->offsets[i + 1])
			return lfs_fail(err, -EIO, "decoded %s column: offsets decrease at row %" PRIu64,
					what, i);
	if (c->offsets[c->length] > limit)
		return lfs_fail(err, -EIO, "decoded %s column: offset %" PRIu64 " beyond %" PRIu64,
				what, c->offsets[c->length], limit);
	return 0;
}

static int check_column(const lfs_column *c, int depth, lfs_err *err)
{
	const lfs_type *t = &c->type;

	if (depth > 64)
		return lfs_fail(err, -EIO, "decoded column nested too deeply");
	if (!time_unit_ok(t))
		return lfs_fail(err, -EIO, "decoded %s column has time unit %d",
				type_name(t->id), (int)t->unit);
	switch (t->id) {
	case LFS_T_NULL:
		return 0;
	case LFS_T_BOOL:
		if (c->length && !c->values)
			return lfs_fail(err, -EIO, "decoded bool column has no values");
		return 0;
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8: case LFS_T_BINARY: case LFS_T_LARGE_BINARY:
		if (c->data_len && !c->data)
			return lfs_fail(err, -EIO, "decoded %s column has no data", type_name(t->id));
		return check_offsets(c, c->data_len, type_name(t->id), err);
	case LFS_T_LIST: case LFS_T_LARGE_LIST: case LFS_T_MAP:
		if (c->n_children < 1 || !c->children)
			return lfs_fail(err, -EIO, "decoded %s column has no child", type_name(t->id));
		TRY(check_offsets(c, c->children[0].length, type_name(t->id), err));
		if (t->id == LFS_T_MAP && (c->children[0].type.id != LFS_T_STRUCT ||
					   c->children[0].n_children < 2))
			return lfs_fail(err, -EIO, "decoded map column's entries are not (key, value)");
		return check_column(&c->children[0], depth + 1, err);
	case LFS_T_FIXED_SIZE_LIST: {
		uint64_t need_rows;
		if (c->n_children < 1 || !c->children || t->list_size < 0)
			return lfs_fail(err, -EIO, "decoded fixed_size_list column has no child");
		if (lfs_mul_u64(c->length, (uint64_t)t->list_size, &need_rows) ||
		    c->children[0].length < need_rows)
			return lfs_fail(err, -EIO, "decoded fixed_size_list<%d> column of %" PRIu64
					" rows has only %" PRIu64 " items", t->list_size, c->length,
					c->children[0].length);
		return check_column(&c->children[0], depth + 1, err);
	}
	case LFS_T_STRUCT:
		if (c->n_children && !c->children)
			return lfs_fail(err, -EIO, "decoded struct column has no children");
		for (uint32_t i = 0; i < c->n_children; i++) {
			if (c->children[i].length < c->length)
				return lfs_fail(err, -EIO, "decoded struct column of %" PRIu64
						" rows has a child of %" PRIu64, c->length,
						c->children[i].length);
			TRY(check_column(&c->children[i], depth + 1, err));
		}
		return 0;
	default: {
		uint32_t w = fixed_width(t);
		if (w == 0)
			return lfs_fail(err, -ENOTSUP, "decoded column of unsupported type %d", (int)t->id);
		if (c->width != w)
			return lfs_fail(err, -EIO, "decoded %s column has %u-byte values, not %u",
					type_name(t->id), c->width, w);
		if (c->length && !c->values)
			return lfs_fail(err, -EIO, "decoded %s column has no values", type_name(t->id));
		return 0;
	}
	}
}

int lfs_view_check_column(const lfs_column *c, lfs_err *err)
{
	return check_column(c, 0, err);
}

/* The same checks for one row only (and what it holds), so that rendering
 * single values of a long column costs what the values cost. */
static int check_row(const lfs_column *c, uint64_t row, int depth)
{
	const lfs_type *t = &c->type;

	if (depth > 64 || row >= c->length || !time_unit_ok(t))
		return -EIO;
	switch (t->id) {
	case LFS_T_NULL:
		return 0;
	case LFS_T_BOOL:
		return c->values ? 0 : -EIO;
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8: case LFS_T_BINARY: case LFS_T_LARGE_BINARY:
		if (!c->offsets || c->offsets[row] > c->offsets[row + 1] ||
		    c->offsets[row + 1] > c->data_len || (c->data_len && !c->data))
			return -EIO;
		return 0;
	case LFS_T_LIST: case LFS_T_LARGE_LIST: case LFS_T_MAP:
		if (c->n_children < 1 || !c->children || !c->offsets ||
		    c->offsets[row] > c->offsets[row + 1] ||
		    c->offsets[row + 1] > c->children[0].length)
			return -EIO;
		if (t->id == LFS_T_MAP && (c->children[0].type.id != LFS_T_STRUCT ||
					   c->children[0].n_children < 2))
			return -EIO;
		if (!lfs_column_is_valid(c, row))
			return 0;
		for (uint64_t k = c->offsets[row]; k < c->offsets[row + 1]; k++)
			TRY(check_row(&c->children[0], k, depth + 1));
		return 0;
	case LFS_T_FIXED_SIZE_LIST: {
		uint64_t n = t->list_size < 0 ? 0 : (uint64_t)t->list_size, end;
		if (c->n_children < 1 || !c->children || t->list_size < 0 ||
		    lfs_mul_u64(row + 1, n, &end) || end > c->children[0].length)
			return -EIO;
		if (!lfs_column_is_valid(c, row))
			return 0;
		for (uint64_t k = row * n; k < end; k++)
			TRY(check_row(&c->children[0], k, depth + 1));
		return 0;
	}
	case LFS_T_STRUCT:
		if (c->n_children && !c->children)
			return -EIO;
		if (!lfs_column_is_valid(c, row))
			return 0;
		for (uint32_t i = 0; i < c->n_children; i++)
			TRY(check_row(&c->children[i], row, depth + 1));
		return 0;
	default: {
		uint32_t w = fixed_width(t);
		if (w == 0)
			return -ENOTSUP;
		return c->width == w && c->values ? 0 : -EIO;
	}
	}
}
