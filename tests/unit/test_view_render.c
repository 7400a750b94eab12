/*
 * Value renderings (JSON, PostgreSQL COPY text, CSV) of every type on
 * hand-built columns: nulls, extreme integers, shortest floats, strings with
 * escapes and invalid UTF-8, binary, dates before 1970, times, timestamps,
 * decimals, lists, fixed-size lists, structs and maps.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_view_util.h"
#include "view/view_impl.h"

static const char *R(enum lfs_text_style style, const lfs_field *f, const lfs_column *c,
		     uint64_t row)
{
	static char out[4096];
	lfs_buf b;
	lfs_buf_init(&b);
	int rc = style == LFS_STYLE_JSON ? lfs_view_json_value(&b, f, c, row)
					 : lfs_view_render(&b, style, f, c, row);
	if (rc) {
		snprintf(out, sizeof(out), "<error %d>", rc);
	} else {
		if (b.len)
			memcpy(out, b.data, b.len < sizeof(out) - 1 ? b.len : sizeof(out) - 1);
		out[b.len < sizeof(out) - 1 ? b.len : sizeof(out) - 1] = 0;
	}
	lfs_buf_free(&b);
	return out;
}

#define J(f, c, row) R(LFS_STYLE_JSON, f, c, row)
#define T(f, c, row) R(LFS_STYLE_TXT, f, c, row)
#define C(f, c, row) R(LFS_STYLE_CSV, f, c, row)

/* all three styles of one row */
static void check3(const lfs_field *f, const lfs_column *c, uint64_t row, const char *json,
		   const char *txt, const char *csv, const char *what)
{
	char name[256];
	snprintf(name, sizeof(name), "%s: json", what);
	tap_is_str(J(f, c, row), json, name);
	if (txt) {
		snprintf(name, sizeof(name), "%s: txt", what);
		tap_is_str(T(f, c, row), txt, name);
	}
	if (csv) {
		snprintf(name, sizeof(name), "%s: csv", what);
		tap_is_str(C(f, c, row), csv, name);
	}
}

static void test_ints(void)
{
	int8_t i8[] = { -128, 127, 0 };
	int valid3[] = { 1, 1, 0 };
	lfs_field *f = tf("a", "int8", 1, 0);
	lfs_column c = tc_fixed("int8", 3, i8, valid3);
	check3(f, &c, 0, "-128", "-128", "-128", "int8 min");
	check3(f, &c, 1, "127", "127", "127", "int8 max");
	check3(f, &c, 2, "null", "\\N", "", "int8 null");
	lfs_column_free(&c);

	int64_t i64[] = { INT64_MIN, INT64_MAX, -1 };
	f = tf("a", "int64", 0, 0);
	c = tc_fixed("int64", 3, i64, NULL);
	check3(f, &c, 0, "-9223372036854775808", "-9223372036854775808", "-9223372036854775808",
	       "int64 min");
	check3(f, &c, 1, "9223372036854775807", NULL, NULL, "int64 max");
	check3(f, &c, 2, "-1", NULL, NULL, "int64 -1");
	lfs_column_free(&c);

	uint64_t u64[] = { UINT64_MAX, 0 };
	f = tf("a", "uint64", 0, 0);
	c = tc_fixed("uint64", 2, u64, NULL);
	check3(f, &c, 0, "18446744073709551615", "18446744073709551615", NULL, "uint64 max");
	lfs_column_free(&c);

	uint8_t u8[] = { 255 };
	c = tc_fixed("uint8", 1, u8, NULL);
	check3(NULL, &c, 0, "255", NULL, NULL, "uint8 max");
	lfs_column_free(&c);

	int16_t i16[] = { -32768 };
	c = tc_fixed("int16", 1, i16, NULL);
	check3(NULL, &c, 0, "-32768", NULL, NULL, "int16 min");
	lfs_column_free(&c);

	int32_t i32[] = { INT32_MIN };
	c = tc_fixed("int32", 1, i32, NULL);
	check3(NULL, &c, 0, "-2147483648", NULL, NULL, "int32 min");
	lfs_column_free(&c);

	uint32_t u32[] = { UINT32_MAX };
	uint16_t u16[] = { 65535 };
	c = tc_fixed("uint32", 1, u32, NULL);
	check3(NULL, &c, 0, "4294967295", NULL, NULL, "uint32 max");
	lfs_column_free(&c);
	c = tc_fixed("uint16", 1, u16, NULL);
	check3(NULL, &c, 0, "65535", NULL, NULL, "uint16 max");
	lfs_column_free(&c);

	int b[] = { 1, 0, 1 };
	int bv[] = { 1, 1, 0 };
	c = tc_bool(3, b, bv);
	check3(NULL, &c, 0, "true", "true", "true", "bool true");
	check3(NULL, &c, 1, "false", "false", "false", "bool false");
	check3(NULL, &c, 2, "null", "\\N", "", "bool null");
	lfs_column_free(&c);
}

static void test_floats(void)
{
	float f32[] = { 0.1f, NAN, INFINITY, -INFINITY, -0.0f, 1e20f, 0.0f };
	int v[] = { 1, 1, 1, 1, 1, 1, 0 };
	lfs_column c = tc_fixed("float", 7, f32, v);
	check3(NULL, &c, 0, "0.1", "0.1", "0.1", "float32 0.1f");
	check3(NULL, &c, 1, "\"NaN\"", "NaN", "NaN", "float32 NaN");
	check3(NULL, &c, 2, "\"Infinity\"", "Infinity", "Infinity", "float32 inf");
	check3(NULL, &c, 3, "\"-Infinity\"", "-Infinity", "-Infinity", "float32 -inf");
	check3(NULL, &c, 4, "-0.0", "-0.0", "-0.0", "float32 -0.0");
	check3(NULL, &c, 5, "1e+20", NULL, NULL, "float32 1e20");
	check3(NULL, &c, 6, "null", "\\N", "", "float32 null");
	lfs_column_free(&c);

	double f64[] = { (double)0.1f, 0.1, -0.0, 1.0 / 3, 2.5e-310 };
	c = tc_fixed("double", 5, f64, NULL);
	check3(NULL, &c, 0, "0.10000000149011612", NULL, NULL, "float64 of 0.1f");
	check3(NULL, &c, 1, "0.1", NULL, NULL, "float64 0.1");
	check3(NULL, &c, 2, "-0.0", NULL, NULL, "float64 -0.0");
	check3(NULL, &c, 3, "0.3333333333333333", NULL, NULL, "float64 1/3");
	check3(NULL, &c, 4, "2.5e-310", NULL, NULL, "float64 subnormal");
	lfs_column_free(&c);

	uint16_t h[] = { 0x2E66, 0x3C00, 0x7E00, 0x8000 };
	c = tc_fixed("halffloat", 4, h, NULL);
	check3(NULL, &c, 0, "0.1", "0.1", NULL, "float16 0.1");
	check3(NULL, &c, 1, "1.0", NULL, NULL, "float16 1.0");
	check3(NULL, &c, 2, "\"NaN\"", "NaN", NULL, "float16 NaN");
	check3(NULL, &c, 3, "-0.0", NULL, NULL, "float16 -0.0");
	lfs_column_free(&c);
}

static void test_strings(void)
{
	const char *s[] = {
		"plain", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "a\"b\\c\n\t\r\x01\x1f\x7f/",
		"", NULL, "a\xff" "b", "\xe2\x82", "\xed\xa0\x80", "\xf0\x9f\x98", "x,y", "\xc0\xaf",
		"\xf4\x90\x80\x80", "\b\f",
	};
	lfs_column c = tc_var("string", 13, s, NULL);
	lfs_field *f = tf("s", "string", 1, 0);
	check3(f, &c, 0, "\"plain\"", "plain", "plain", "plain string");
	check3(f, &c, 1, "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"",
	       "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
	       "unicode passes through");
	check3(f, &c, 2, "\"a\\\"b\\\\c\\n\\t\\r\\u0001\\u001f\x7f/\"",
	       "a\"b\\\\c\\n\\t\\r\x01\x1f\x7f/", "\"a\"\"b\\c\n\t\r\x01\x1f\x7f/\"",
	       "escapes");
	check3(f, &c, 3, "\"\"", "", "\"\"", "empty string (CSV quotes it)");
	check3(f, &c, 4, "null", "\\N", "", "null string");
	check3(f, &c, 5, "\"a\xef\xbf\xbd" "b\"", "a\xef\xbf\xbd" "b", "a\xef\xbf\xbd" "b",
	       "invalid byte -> U+FFFD");
	check3(f, &c, 6, "\"\xef\xbf\xbd\"", NULL, NULL, "truncated sequence -> one U+FFFD");
	check3(f, &c, 7, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", NULL, NULL,
	       "surrogate -> three U+FFFD");
	check3(f, &c, 8, "\"\xef\xbf\xbd\"", NULL, NULL, "truncated 4-byte -> one U+FFFD");
	check3(f, &c, 9, "\"x,y\"", "x,y", "\"x,y\"", "comma quoted in CSV");
	check3(f, &c, 10, "\"\xef\xbf\xbd\xef\xbf\xbd\"", NULL, NULL, "overlong -> two U+FFFD");
	check3(f, &c, 11, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", NULL, NULL,
	       "above U+10FFFF -> four U+FFFD");
	check3(f, &c, 12, "\"\\b\\f\"", "\b\f", NULL, "backspace and form feed");
	lfs_column_free(&c);

	/* dictionary-typed fields render the value */
	const char *d[] = { "red", "green" };
	c = tc_var("string", 2, d, NULL);
	f = tf("d", "dict:string:int32:false", 0, 0);
	check3(f, &c, 1, "\"green\"", "green", "green", "dictionary renders the value");
	lfs_column_free(&c);

	const char *bin[] = { "\x00\xff\x10", "\x00", "\x00\x01", "", NULL };
	size_t lens[] = { 3, 1, 2, 0, 0 };
	c = tc_var("binary", 5, bin, lens);
	check3(NULL, &c, 0, "\"AP8Q\"", "\\\\x00ff10", "\\x00ff10", "binary");
	check3(NULL, &c, 1, "\"AA==\"", "\\\\x00", NULL, "binary, two pad chars");
	check3(NULL, &c, 2, "\"AAE=\"", NULL, NULL, "binary, one pad char");
	check3(NULL, &c, 3, "\"\"", "\\\\x", "\\x", "empty binary");
	check3(NULL, &c, 4, "null", "\\N", "", "null binary");
	lfs_column_free(&c);

	uint8_t fsb[] = { 'a', 'b', 'c', 0xde, 0xad, 0xbe };
	c = tc_fixed("fixed_size_binary:3", 2, fsb, NULL);
	check3(NULL, &c, 1, "\"3q2+\"", "\\\\xdeadbe", "\\xdeadbe", "fixed_size_binary");
	lfs_column_free(&c);
}

static void test_temporal(void)
{
	int32_t days[] = { 0, -1, 19000, -719162, -719528, -719529, 2932897, INT32_MIN, INT32_MAX };
	lfs_column c = tc_fixed("date32:day", 9, days, NULL);
	check3(NULL, &c, 0, "\"1970-01-01\"", "1970-01-01", "1970-01-01", "date32 epoch");
	check3(NULL, &c, 1, "\"1969-12-31\"", NULL, NULL, "date32 before 1970");
	check3(NULL, &c, 2, "\"2022-01-08\"", NULL, NULL, "date32 2022");
	check3(NULL, &c, 3, "\"0001-01-01\"", NULL, NULL, "date32 year 1");
	check3(NULL, &c, 4, "\"0000-01-01\"", NULL, NULL, "date32 year 0");
	check3(NULL, &c, 5, "\"-0001-12-31\"", NULL, NULL, "date32 year -1");
	check3(NULL, &c, 6, "\"+10000-01-01\"", NULL, NULL, "date32 year 10000");
	check3(NULL, &c, 7, "\"-5877641-06-23\"", NULL, NULL, "date32 min");
	check3(NULL, &c, 8, "\"+5881580-07-11\"", NULL, NULL, "date32 max");
	lfs_column_free(&c);

	int64_t ms[] = { -86400000, 86400000 * 2LL + 5 };
	c = tc_fixed("date64:ms", 2, ms, NULL);
	check3(NULL, &c, 0, "\"1969-12-31\"", NULL, NULL, "date64");
	check3(NULL, &c, 1, "\"1970-01-03\"", NULL, NULL, "date64 not on a day boundary");
	lfs_column_free(&c);

	int32_t t32[] = { 3661, 0 };
	c = tc_fixed("time32:s", 2, t32, NULL);
	check3(NULL, &c, 0, "\"01:01:01\"", "01:01:01", NULL, "time32 s");
	lfs_column_free(&c);
	int32_t t32ms[] = { 3661001 };
	c = tc_fixed("time32:ms", 1, t32ms, NULL);
	check3(NULL, &c, 0, "\"01:01:01.001\"", NULL, NULL, "time32 ms");
	lfs_column_free(&c);
	int64_t t64[] = { 1 };
	c = tc_fixed("time64:us", 1, t64, NULL);
	check3(NULL, &c, 0, "\"00:00:00.000001\"", NULL, NULL, "time64 us");
	lfs_column_free(&c);
	int64_t t64ns[] = { 86399999999999LL };
	c = tc_fixed("time64:ns", 1, t64ns, NULL);
	check3(NULL, &c, 0, "\"23:59:59.999999999\"", NULL, NULL, "time64 ns");
	lfs_column_free(&c);

	int64_t us[] = { 0, -1, 1700000000123456LL };
	lfs_field *f = tf("t", "timestamp:us:UTC", 1, 0);
	c = tc_fixed("timestamp:us:UTC", 3, us, NULL);
	check3(f, &c, 0, "\"1970-01-01T00:00:00.000000Z\"", "1970-01-01T00:00:00.000000Z", NULL,
	       "timestamp us UTC");
	check3(f, &c, 1, "\"1969-12-31T23:59:59.999999Z\"", NULL, NULL, "timestamp before 1970");
	check3(f, &c, 2, "\"2023-11-14T22:13:20.123456Z\"", NULL, NULL, "timestamp 2023");
	lfs_column_free(&c);

	f = tf("t", "timestamp:s:-", 1, 0);
	int64_t s[] = { 1700000000 };
	c = tc_fixed("timestamp:s:-", 1, s, NULL);
	check3(f, &c, 0, "\"2023-11-14T22:13:20\"", NULL, NULL, "timestamp s without zone");
	lfs_column_free(&c);

	f = tf("t", "timestamp:ns:America/New_York", 1, 0);
	int64_t ns[] = { INT64_MIN, 1 };
	c = tc_fixed("timestamp:ns:America/New_York", 2, ns, NULL);
	check3(f, &c, 0, "\"1677-09-21T00:12:43.145224192Z\"", NULL, NULL, "timestamp ns min");
	check3(f, &c, 1, "\"1970-01-01T00:00:00.000000001Z\"", NULL, NULL,
	       "timestamp with a zone is shown in UTC with Z");
	lfs_column_free(&c);

	f = tf("t", "timestamp:s:-", 1, 0);
	int64_t ext[] = { INT64_MIN, INT64_MAX };
	c = tc_fixed("timestamp:s:-", 2, ext, NULL);
	check3(f, &c, 0, "\"-292277022657-01-27T08:29:52\"", NULL, NULL, "timestamp s min");
	check3(f, &c, 1, "\"+292277026596-12-04T15:30:07\"", NULL, NULL, "timestamp s max");
	lfs_column_free(&c);
	f = tf("t", "timestamp:ms:-", 1, 0);
	c = tc_fixed("timestamp:ms:-", 2, ext, NULL);
	check3(f, &c, 0, "\"-292275055-05-16T16:47:04.192\"", NULL, NULL, "timestamp ms min");
	lfs_column_free(&c);
	c = tc_fixed("date64:ms", 2, ext, NULL);
	check3(NULL, &c, 0, "\"-292275055-05-16\"", NULL, NULL, "date64 min");
	lfs_column_free(&c);
	int64_t tmin[] = { INT64_MIN };
	c = tc_fixed("time64:ns", 1, tmin, NULL);
	check3(NULL, &c, 0, "\"-2562047:47:16.854775808\"", NULL, NULL, "time64 out of range keeps its sign");
	lfs_column_free(&c);

	f = tf("t", "timestamp:ms:-", 1, 0);
	int64_t tms[] = { 1500 };
	c = tc_fixed("timestamp:ms:-", 1, tms, NULL);
	check3(f, &c, 0, "\"1970-01-01T00:00:01.500\"", NULL, NULL, "timestamp ms");
	lfs_column_free(&c);

	int64_t dur[] = { -5, INT64_MAX };
	c = tc_fixed("duration:ms", 2, dur, NULL);
	check3(NULL, &c, 0, "-5", "-5", "-5", "duration");
	check3(NULL, &c, 1, "9223372036854775807", NULL, NULL, "duration max");
	lfs_column_free(&c);
}

static void put128(uint8_t *p, __int128 v)
{
	for (int i = 0; i < 16; i++)
		p[i] = (uint8_t)((unsigned __int128)v >> (8 * i));
}

static void test_decimals(void)
{
	uint8_t v[6][16];
	put128(v[0], 12340);
	put128(v[1], -5);
	put128(v[2], 0);
	put128(v[3], ((unsigned __int128)1 << 127) - 1);
	put128(v[4], -(__int128)(((unsigned __int128)1 << 127) - 1) - 1);
	put128(v[5], 1);
	lfs_field *f = tf("d", "decimal:128:38:3", 1, 0);
	lfs_column c = tc_fixed("decimal:128:38:3", 6, v, NULL);
	check3(f, &c, 0, "\"12.340\"", "12.340", "12.340", "decimal 12.340");
	check3(f, &c, 1, "\"-0.005\"", "-0.005", NULL, "decimal -0.005");
	check3(f, &c, 2, "\"0.000\"", NULL, NULL, "decimal zero keeps its scale");
	check3(f, &c, 5, "\"0.001\"", NULL, NULL, "decimal 0.001");
	lfs_column_free(&c);

	f = tf("d", "decimal:128:38:0", 1, 0);
	c = tc_fixed("decimal:128:38:0", 6, v, NULL);
	check3(f, &c, 1, "\"-5\"", NULL, NULL, "decimal scale 0 negative");
	check3(f, &c, 3, "\"170141183460469231731687303715884105727\"", NULL, NULL, "decimal128 max");
	check3(f, &c, 4, "\"-170141183460469231731687303715884105728\"", NULL, NULL, "decimal128 min");
	check3(f, &c, 2, "\"0\"", NULL, NULL, "decimal 0");
	lfs_column_free(&c);

	f = tf("d", "decimal:128:10:-2", 1, 0);
	c = tc_fixed("decimal:128:10:-2", 6, v, NULL);
	check3(f, &c, 1, "\"-500\"", NULL, NULL, "decimal negative scale");
	check3(f, &c, 2, "\"0\"", NULL, NULL, "decimal zero with negative scale");
	lfs_column_free(&c);

	uint8_t w[2][32];
	memset(w[0], 0xff, 32); /* -1 */
	memset(w[1], 0xff, 32);
	w[1][31] = 0x7f; /* 2^255 - 1 */
	f = tf("d", "decimal:256:76:2", 1, 0);
	c = tc_fixed("decimal:256:76:2", 2, w, NULL);
	check3(f, &c, 0, "\"-0.01\"", NULL, NULL, "decimal256 -0.01");
	check3(f, &c, 1,
	       "\"578960446186580977117854925043439539266349923328202820197287920039565648199.67\"",
	       NULL, NULL, "decimal256 max");
	lfs_column_free(&c);
}

static void test_nested(void)
{
	/* list<int32>: [1, 2], [], null, [3, null] */
	int32_t items[] = { 1, 2, 3, 0 };
	int iv[] = { 1, 1, 1, 0 };
	uint64_t offs[] = { 0, 2, 2, 2, 4 };
	int lv[] = { 1, 1, 0, 1 };
	lfs_field *f = tf("l", "list", 1, 1, tf("item", "int32", 1, 0));
	lfs_column c = tc_list("list", 4, offs, lv, tc_fixed("int32", 4, items, iv));
	tap_is_str(J(f, &c, 0), "[1, 2]", "list");
	tap_is_str(J(f, &c, 1), "[]", "empty list");
	tap_is_str(J(f, &c, 2), "null", "null list");
	tap_is_str(J(f, &c, 3), "[3, null]", "list with a null item");
	tap_is_str(T(f, &c, 0), "<error -95>", "no txt rendering of a list");
	lfs_column_free(&c);

	/* fixed_size_list<float32, 3> */
	float vec[] = { 0.1f, 0.2f, 0.3f, 0, 0, 0, -1.5f, NAN, 1e-7f };
	int vv[] = { 1, 0, 1 };
	f = tf("v", "fixed_size_list:float:3", 1, 1, tf("item", "float", 1, 0));
	c = tc_fsl(3, 3, vv, tc_fixed("float", 9, vec, NULL));
	tap_is_str(J(f, &c, 0), "[0.1, 0.2, 0.3]", "fixed_size_list<float32>");
	tap_is_str(J(f, &c, 1), "null", "null fixed_size_list");
	tap_is_str(J(f, &c, 2), "[-1.5, \"NaN\", 1e-07]", "fixed_size_list with NaN");
	lfs_column_free(&c);

	/* fixed_size_list<bfloat16, 2> */
	uint16_t bf[] = { 0x3DCD, 0xBF80 };
	f = tf("v", "fixed_size_list:lance.bfloat16:2", 0, 1, tf("item", "lance.bfloat16", 1, 0));
	c = tc_fsl(2, 1, NULL, tc_fixed("lance.bfloat16", 2, bf, NULL));
	tap_is_str(J(f, &c, 0), "[0.1, -1.0]", "bfloat16 vector as numbers");
	lfs_column_free(&c);

	/* struct{a: int32, b: string} */
	int32_t a[] = { 1, 0, 0 };
	int av[] = { 1, 1, 0 };
	const char *bs[] = { "x", NULL, "y" };
	int sv[] = { 1, 0, 1 };
	lfs_column kids[2] = { tc_fixed("int32", 3, a, av), tc_var("string", 3, bs, NULL) };
	f = tf("s", "struct", 1, 2, tf("a", "int32", 1, 0), tf("b\"q", "string", 1, 0));
	c = tc_struct(3, sv, 2, kids);
	tap_is_str(J(f, &c, 0), "{\"a\": 1, \"b\\\"q\": \"x\"}", "struct (names escaped)");
	tap_is_str(J(f, &c, 1), "null", "null struct");
	tap_is_str(J(f, &c, 2), "{\"a\": null, \"b\\\"q\": \"y\"}", "struct with a null member");
	lfs_column_free(&c);

	/* map<string, int32>: {k1: 1, k2: null}, {} , null */
	const char *keys[] = { "k1", "k2" };
	int32_t vals[] = { 1, 0 };
	int vals_v[] = { 1, 0 };
	lfs_column ent[2] = { tc_var("string", 2, keys, NULL), tc_fixed("int32", 2, vals, vals_v) };
	uint64_t moffs[] = { 0, 2, 2, 2 };
	int mv[] = { 1, 1, 0 };
	f = tf("m", "map", 1, 1,
	       tf("entries", "struct", 0, 2, tf("key", "string", 0, 0), tf("value", "int32", 1, 0)));
	c = tc_list("map", 3, moffs, mv, tc_struct(2, NULL, 2, ent));
	tap_is_str(J(f, &c, 0), "[{\"key\": \"k1\", \"value\": 1}, {\"key\": \"k2\", \"value\": null}]",
		   "map as key/value objects");
	tap_is_str(J(f, &c, 1), "[]", "empty map");
	tap_is_str(J(f, &c, 2), "null", "null map");
	lfs_column_free(&c);

	/* list<struct<x: list<int64>>> */
	int64_t xs[] = { 7, 8, 9 };
	uint64_t xo[] = { 0, 2, 3 };
	lfs_column inner = tc_list("list", 2, xo, NULL, tc_fixed("int64", 3, xs, NULL));
	lfs_column st = tc_struct(2, NULL, 1, &inner);
	uint64_t lo[] = { 0, 2 };
	f = tf("n", "list.struct", 1, 1,
	       tf("item", "struct", 1, 1, tf("x", "list", 1, 1, tf("item", "int64", 1, 0))));
	c = tc_list("list.struct", 1, lo, NULL, st);
	tap_is_str(J(f, &c, 0), "[{\"x\": [7, 8]}, {\"x\": [9]}]", "list of structs of lists");
	lfs_column_free(&c);

	/* a fixed_size_list of fixed_size_lists */
	int16_t m[] = { 1, 2, 3, 4, 5, 6 };
	lfs_column in2 = tc_fsl(2, 3, NULL, tc_fixed("int16", 6, m, NULL));
	c = tc_fsl(3, 1, NULL, in2);
	tap_is_str(J(NULL, &c, 0), "[[1, 2], [3, 4], [5, 6]]", "nested fixed_size_list, no field");
	lfs_column_free(&c);
}

static void test_damaged(void)
{
	/* offsets past the data must fail, never read out of bounds */
	const char *s[] = { "abc", "de" };
	lfs_column c = tc_var("string", 2, s, NULL);
	c.offsets[2] = 1000;
	lfs_buf b;
	lfs_buf_init(&b);
	tap_ok(lfs_view_json_value(&b, NULL, &c, 1) == -EIO, "offset past the data -> -EIO");
	c.offsets[2] = 5;
	c.offsets[1] = 6;
	tap_ok(lfs_view_json_value(&b, NULL, &c, 0) == -EIO, "decreasing offsets -> -EIO");
	lfs_column_free(&c);

	int32_t items[] = { 1, 2 };
	uint64_t offs[] = { 0, 3 };
	c = tc_list("list", 1, offs, NULL, tc_fixed("int32", 2, items, NULL));
	lfs_err err = { "" };
	tap_ok(lfs_view_check_column(&c, &err) == -EIO && err.msg[0],
	       "list offsets past the child -> -EIO (%s)", err.msg);
	lfs_column_free(&c);

	float v[] = { 1, 2, 3 };
	c = tc_fsl(2, 2, NULL, tc_fixed("float", 3, v, NULL));
	tap_ok(lfs_view_check_column(&c, NULL) == -EIO, "fixed_size_list child too short -> -EIO");
	lfs_column_free(&c);

	int32_t x[] = { 1 };
	c = tc_fixed("int32", 1, x, NULL);
	c.width = 8;
	tap_ok(lfs_view_check_column(&c, NULL) == -EIO, "wrong value width -> -EIO");
	c.width = 4;
	tap_ok(lfs_view_json_value(&b, NULL, &c, 1) == -EINVAL, "row past the end -> -EINVAL");
	lfs_column_free(&c);
	lfs_buf_free(&b);
}

int main(void)
{
	test_ints();
	test_floats();
	test_strings();
	test_temporal();
	test_decimals();
	test_nested();
	test_damaged();
	return tap_done();
}
