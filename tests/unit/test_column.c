/* Unit tests for column/column.c: type helpers, allocation, appending
 * (flat, variable-width, bool, nested), filtering and validity. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column/column.h"

static int n_test, failed;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failed++;
}

static lfs_type ty(enum lfs_type_id id)
{
	lfs_type t;
	memset(&t, 0, sizeof(t));
	t.id = id;
	return t;
}

static void test_types(void)
{
	lfs_type t = ty(LFS_T_INT8);
	ok(lfs_type_width(&t) == 1, "int8 is 1 byte");
	t = ty(LFS_T_FLOAT16);
	ok(lfs_type_width(&t) == 2, "float16 is 2 bytes");
	t = ty(LFS_T_DATE32);
	ok(lfs_type_width(&t) == 4, "date32 is 4 bytes");
	t = ty(LFS_T_TIMESTAMP);
	ok(lfs_type_width(&t) == 8, "timestamp is 8 bytes");
	t = ty(LFS_T_DECIMAL256);
	ok(lfs_type_width(&t) == 32, "decimal256 is 32 bytes");
	t = ty(LFS_T_FIXED_SIZE_BINARY);
	t.byte_width = 5;
	ok(lfs_type_width(&t) == 5 && lfs_type_is_fixed_width(&t), "fixed_size_binary:5 is 5 bytes");
	t = ty(LFS_T_BOOL);
	ok(lfs_type_width(&t) == 0 && lfs_type_is_fixed_width(&t), "bool is fixed width, 0 bytes");
	t = ty(LFS_T_LARGE_UTF8);
	ok(lfs_type_is_var_width(&t) && !lfs_type_is_fixed_width(&t), "large_utf8 is variable width");
	t = ty(LFS_T_MAP);
	ok(lfs_type_is_nested(&t) && !lfs_type_is_var_width(&t), "map is nested");
	t = ty(LFS_T_FIXED_SIZE_LIST);
	ok(lfs_type_is_nested(&t) && lfs_type_width(&t) == 0, "fixed_size_list is nested");
	ok(strcmp(lfs_type_name(LFS_T_FLOAT32), "float") == 0 &&
		   strcmp(lfs_type_name(LFS_T_UTF8), "string") == 0 &&
		   strcmp(lfs_type_name(LFS_T_INT64), "int64") == 0,
	   "type names follow Arrow's");
	int named = 1;
	for (int id = LFS_T_NULL; id <= LFS_T_MAP; id++)
		named &= strcmp(lfs_type_name((enum lfs_type_id)id), "unknown") != 0;
	ok(named, "every type has a name");
}

/* An int32 column of n values v[i] (INT32_MIN = null). */
static void make_i32(lfs_column *c, const int32_t *v, size_t n)
{
	lfs_type t = ty(LFS_T_INT32);
	int nulls = 0;
	for (size_t i = 0; i < n; i++)
		nulls |= v[i] == INT32_MIN;
	lfs_column_init(c, &t);
	lfs_column_alloc(c, n, nulls);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == INT32_MIN)
			continue;
		memcpy(c->values + 4 * i, &v[i], 4);
		if (c->validity)
			lfs_bit_set(c->validity, i, 1);
	}
	lfs_column_finish_validity(c);
}

static int32_t i32_at(const lfs_column *c, uint64_t i)
{
	int32_t v;
	if (!lfs_column_is_valid(c, i))
		return INT32_MIN;
	memcpy(&v, c->values + 4 * i, 4);
	return v;
}

static void make_str(lfs_column *c, const char *const *v, size_t n)
{
	lfs_type t = ty(LFS_T_UTF8);
	size_t total = 0;
	int nulls = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i])
			total += strlen(v[i]);
		else
			nulls = 1;
	}
	lfs_column_init(c, &t);
	lfs_column_alloc(c, n, nulls);
	c->data = malloc(total + 1);
	for (size_t i = 0; i < n; i++) {
		size_t l = v[i] ? strlen(v[i]) : 0;
		memcpy(c->data + c->data_len, v[i] ? v[i] : "", l);
		c->data_len += l;
		c->offsets[i + 1] = c->data_len;
		if (v[i] && c->validity)
			lfs_bit_set(c->validity, i, 1);
	}
	lfs_column_finish_validity(c);
}

static int str_is(const lfs_column *c, uint64_t i, const char *want)
{
	if (!want)
		return !lfs_column_is_valid(c, i);
	size_t l = c->offsets[i + 1] - c->offsets[i];
	return lfs_column_is_valid(c, i) && l == strlen(want) &&
	       memcmp(c->data + c->offsets[i], want, l) == 0;
}

static void test_alloc(void)
{
	lfs_column c;
	lfs_type t = ty(LFS_T_INT64);
	lfs_column_init(&c, &t);
	ok(c.width == 8 && c.length == 0 && !c.values, "init sets the width, no buffers");
	ok(lfs_column_alloc(&c, 10, 1) == 0 && c.length == 10 && c.values && c.validity,
	   "alloc 10 int64 with validity");
	int zero = 1;
	for (int i = 0; i < 80; i++)
		zero &= c.values[i] == 0;
	ok(zero && c.validity[0] == 0, "allocated buffers are zeroed");
	lfs_column_finish_validity(&c);
	ok(c.null_count == 10 && c.validity, "all null: null_count 10, bitmap kept");
	memset(c.validity, 0xff, 2);
	lfs_column_finish_validity(&c);
	ok(c.null_count == 0 && !c.validity, "all valid: bitmap dropped");
	lfs_column_free(&c);
	ok(!c.values && c.type.id == LFS_T_INT64, "free releases buffers, keeps the type");

	t = ty(LFS_T_BINARY);
	lfs_column_init(&c, &t);
	ok(lfs_column_alloc(&c, 3, 0) == 0 && c.offsets && c.offsets[3] == 0,
	   "variable width: length + 1 offsets");
	lfs_column_free(&c);
	t = ty(LFS_T_BOOL);
	lfs_column_init(&c, &t);
	ok(lfs_column_alloc(&c, 17, 0) == 0 && c.values, "bool: a bitmap");
	lfs_column_free(&c);
	t = ty(LFS_T_INT8);
	lfs_column_init(&c, &t);
	ok(lfs_column_alloc(&c, UINT64_MAX / 2, 0) != 0, "absurd lengths are refused");
	lfs_column_free(&c);
	t = ty(LFS_T_STRUCT);
	lfs_column_init(&c, &t);
	ok(lfs_column_alloc_children(&c, 3) == 0 && c.n_children == 3, "three children");
	lfs_column_free(&c);
	ok(c.n_children == 0 && !c.children, "children freed");
}

static void test_append_flat(void)
{
	int32_t a[] = { 1, 2, INT32_MIN, 4 }, b[] = { 5, 6, 7 };
	lfs_column x, y, dst;
	lfs_type t = ty(LFS_T_INT32);
	make_i32(&x, a, 4);
	make_i32(&y, b, 3);
	lfs_column_init(&dst, &t);
	ok(lfs_column_append(&dst, &y, 1, 2) == 0 && dst.length == 2 && !dst.validity,
	   "append 2 valid rows to an empty column");
	ok(lfs_column_append(&dst, &x, 1, 3) == 0 && dst.length == 5 && dst.null_count == 1,
	   "append rows with a null: validity appears");
	int32_t want[] = { 6, 7, 2, INT32_MIN, 4 };
	int same = 1;
	for (int i = 0; i < 5; i++)
		same &= i32_at(&dst, (uint64_t)i) == want[i];
	ok(same, "values and validity after two appends");
	/* many small appends (geometric growth) */
	for (int i = 0; i < 1000; i++)
		lfs_column_append(&dst, &y, 0, 3);
	ok(dst.length == 3005 && i32_at(&dst, 3004) == 7 && i32_at(&dst, 3) == INT32_MIN,
	   "a thousand appends");
	ok(lfs_column_append(&dst, &y, 2, 2) == -EINVAL, "a range past the source is refused");
	lfs_column s;
	make_str(&s, (const char *[]){ "a" }, 1);
	ok(lfs_column_append(&dst, &s, 0, 1) == -EINVAL, "a different type is refused");
	lfs_column_free(&s);
	lfs_column_free(&x);
	lfs_column_free(&y);
	lfs_column_free(&dst);

	/* bool at odd bit offsets */
	lfs_column bo, bd;
	lfs_type bt = ty(LFS_T_BOOL);
	lfs_column_init(&bo, &bt);
	lfs_column_alloc(&bo, 20, 0);
	for (int i = 0; i < 20; i++)
		lfs_bit_set(bo.values, (uint64_t)i, i % 3 == 0);
	lfs_column_init(&bd, &bt);
	lfs_column_append(&bd, &bo, 3, 5);
	lfs_column_append(&bd, &bo, 9, 11);
	int bits = bd.length == 16;
	for (int i = 0; i < 5 && bits; i++)
		bits = lfs_column_bool(&bd, (uint64_t)i) == ((i + 3) % 3 == 0);
	for (int i = 0; i < 11 && bits; i++)
		bits = lfs_column_bool(&bd, (uint64_t)(5 + i)) == ((i + 9) % 3 == 0);
	ok(bits, "bool bits appended at odd offsets");
	lfs_column_free(&bo);
	lfs_column_free(&bd);
}

static void test_append_var(void)
{
	lfs_column x, dst;
	lfs_type t = ty(LFS_T_UTF8);
	make_str(&x, (const char *[]){ "alpha", NULL, "", "delta", "epsilon" }, 5);
	lfs_column_init(&dst, &t);
	ok(lfs_column_append(&dst, &x, 3, 2) == 0 && lfs_column_append(&dst, &x, 0, 3) == 0,
	   "append strings twice");
	ok(dst.length == 5 && str_is(&dst, 0, "delta") && str_is(&dst, 1, "epsilon") &&
		   str_is(&dst, 2, "alpha") && str_is(&dst, 3, NULL) && str_is(&dst, 4, "") &&
		   dst.data_len == 17 && dst.null_count == 1,
	   "offsets rebased, bytes copied, nulls kept");
	lfs_column_free(&x);
	lfs_column_free(&dst);
}

/* list<int32>: [[1,2],null,[],[4]] */
static void make_list(lfs_column *c)
{
	int32_t items[] = { 1, 2, 4 };
	lfs_type t = ty(LFS_T_LIST);
	lfs_column_init(c, &t);
	lfs_column_alloc(c, 4, 1);
	uint64_t off[] = { 0, 2, 2, 2, 3 };
	memcpy(c->offsets, off, sizeof(off));
	lfs_bit_set(c->validity, 0, 1);
	lfs_bit_set(c->validity, 2, 1);
	lfs_bit_set(c->validity, 3, 1);
	lfs_column_finish_validity(c);
	lfs_column_alloc_children(c, 1);
	make_i32(&c->children[0], items, 3);
}

static void test_append_nested(void)
{
	lfs_column l, dst;
	lfs_type t = ty(LFS_T_LIST);
	make_list(&l);
	lfs_column_init(&dst, &t);
	ok(lfs_column_append(&dst, &l, 2, 2) == 0 && lfs_column_append(&dst, &l, 0, 2) == 0,
	   "append list rows");
	ok(dst.length == 4 && dst.offsets[0] == 0 && dst.offsets[1] == 0 && dst.offsets[2] == 1 &&
		   dst.offsets[3] == 3 && dst.offsets[4] == 3 && dst.children[0].length == 3 &&
		   i32_at(&dst.children[0], 0) == 4 && i32_at(&dst.children[0], 2) == 2 &&
		   !lfs_column_is_valid(&dst, 3) && dst.null_count == 1,
	   "list offsets and items follow");
	lfs_column_free(&dst);

	/* fixed_size_list<int32, 2> */
	lfs_column f, fd;
	lfs_type ft = ty(LFS_T_FIXED_SIZE_LIST);
	ft.list_size = 2;
	lfs_column_init(&f, &ft);
	f.length = 3;
	lfs_column_alloc_children(&f, 1);
	make_i32(&f.children[0], (int32_t[]){ 10, 11, 20, 21, 30, 31 }, 6);
	lfs_column_init(&fd, &ft);
	ok(lfs_column_append(&fd, &f, 1, 2) == 0 && fd.length == 2 && fd.children[0].length == 4 &&
		   i32_at(&fd.children[0], 0) == 20 && i32_at(&fd.children[0], 3) == 31,
	   "fixed-size list rows carry their items");
	lfs_column_free(&f);
	lfs_column_free(&fd);

	/* struct<a: int32, b: utf8> */
	lfs_column s, sd;
	lfs_type st = ty(LFS_T_STRUCT);
	lfs_column_init(&s, &st);
	s.length = 3;
	lfs_column_alloc_children(&s, 2);
	make_i32(&s.children[0], (int32_t[]){ 1, INT32_MIN, 3 }, 3);
	make_str(&s.children[1], (const char *[]){ "x", "y", NULL }, 3);
	s.validity = calloc(1, 1);
	lfs_bit_set(s.validity, 0, 1);
	lfs_bit_set(s.validity, 2, 1);
	lfs_column_finish_validity(&s);
	lfs_column_init(&sd, &st);
	ok(lfs_column_append(&sd, &s, 1, 2) == 0 && sd.length == 2 && sd.null_count == 1 &&
		   i32_at(&sd.children[0], 1) == 3 && str_is(&sd.children[1], 0, "y"),
	   "struct rows carry every field");
	lfs_column_free(&s);
	lfs_column_free(&sd);
	lfs_column_free(&l);
}

static void test_filter(void)
{
	lfs_column c;
	int32_t v[] = { 0, 1, 2, INT32_MIN, 4, 5, 6, 7, 8, 9 };
	uint8_t keep[2] = { 0, 0 };
	make_i32(&c, v, 10);
	for (int i = 0; i < 10; i++)
		lfs_bit_set(keep, (uint64_t)i, i % 2 == 1 || i == 2);
	ok(lfs_column_filter(&c, keep) == 0 && c.length == 6, "filter keeps 6 of 10");
	ok(i32_at(&c, 0) == 1 && i32_at(&c, 1) == 2 && i32_at(&c, 2) == INT32_MIN &&
		   i32_at(&c, 3) == 5 && i32_at(&c, 5) == 9 && c.null_count == 1,
	   "filtered values in order, nulls kept");
	memset(keep, 0, sizeof(keep));
	ok(lfs_column_filter(&c, keep) == 0 && c.length == 0, "filter keeps nothing");
	lfs_column_free(&c);

	lfs_column l;
	make_list(&l);
	keep[0] = 0x0a; /* rows 1 and 3 */
	ok(lfs_column_filter(&l, keep) == 0 && l.length == 2 && l.null_count == 1 &&
		   l.offsets[2] == 1 && l.children[0].length == 1 && i32_at(&l.children[0], 0) == 4,
	   "filter a list: offsets and items compacted");
	keep[0] = 0;
	ok(lfs_column_filter(&l, keep) == 0 && l.length == 0 && l.offsets && l.offsets[0] == 0 &&
		   l.n_children == 1,
	   "a list filtered to nothing keeps its shape");
	lfs_column_free(&l);

	lfs_column s;
	make_str(&s, (const char *[]){ "a", "bb", "ccc", NULL }, 4);
	keep[0] = 0x0c;
	ok(lfs_column_filter(&s, keep) == 0 && s.length == 2 && str_is(&s, 0, "ccc") &&
		   str_is(&s, 1, NULL),
	   "filter strings");
	lfs_column_free(&s);
}

int main(void)
{
	test_types();
	test_alloc();
	test_append_flat();
	test_append_var();
	test_append_nested();
	test_filter();
	printf("1..%d\n", n_test);
	return failed ? 1 : 0;
}
