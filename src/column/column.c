/* column: the decoded in-memory column. See column.h.
 *
 * Buffers grow geometrically when columns are appended to one another; the
 * allocator's own notion of a block's usable size tells us how much room a
 * buffer already has, so lfs_column needs no capacity fields. */
#include "column/column.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

uint32_t lfs_type_width(const lfs_type *t)
{
	switch (t->id) {
	case LFS_T_INT8:
	case LFS_T_UINT8:
		return 1;
	case LFS_T_INT16:
	case LFS_T_UINT16:
	case LFS_T_FLOAT16:
		return 2;
	case LFS_T_INT32:
	case LFS_T_UINT32:
	case LFS_T_FLOAT32:
	case LFS_T_DATE32:
	case LFS_T_TIME32:
		return 4;
	case LFS_T_INT64:
	case LFS_T_UINT64:
	case LFS_T_FLOAT64:
	case LFS_T_DATE64:
	case LFS_T_TIME64:
	case LFS_T_TIMESTAMP:
	case LFS_T_DURATION:
		return 8;
	case LFS_T_DECIMAL128:
		return 16;
	case LFS_T_DECIMAL256:
		return 32;
	case LFS_T_FIXED_SIZE_BINARY:
		return t->byte_width > 0 ? (uint32_t)t->byte_width : 0;
	default:
		return 0;
	}
}

int lfs_type_is_fixed_width(const lfs_type *t)
{
	return t->id == LFS_T_BOOL || lfs_type_width(t) > 0;
}

int lfs_type_is_var_width(const lfs_type *t)
{
	return t->id == LFS_T_UTF8 || t->id == LFS_T_LARGE_UTF8 || t->id == LFS_T_BINARY ||
	       t->id == LFS_T_LARGE_BINARY;
}

int lfs_type_is_nested(const lfs_type *t)
{
	return t->id == LFS_T_FIXED_SIZE_LIST || t->id == LFS_T_LIST || t->id == LFS_T_LARGE_LIST ||
	       t->id == LFS_T_STRUCT || t->id == LFS_T_MAP;
}

/* Offsets into one child: lists and maps. */
static int has_child_offsets(const lfs_type *t)
{
	return t->id == LFS_T_LIST || t->id == LFS_T_LARGE_LIST || t->id == LFS_T_MAP;
}

const char *lfs_type_name(enum lfs_type_id id)
{
	switch (id) {
	case LFS_T_NULL: return "null";
	case LFS_T_BOOL: return "bool";
	case LFS_T_INT8: return "int8";
	case LFS_T_INT16: return "int16";
	case LFS_T_INT32: return "int32";
	case LFS_T_INT64: return "int64";
	case LFS_T_UINT8: return "uint8";
	case LFS_T_UINT16: return "uint16";
	case LFS_T_UINT32: return "uint32";
	case LFS_T_UINT64: return "uint64";
	case LFS_T_FLOAT16: return "halffloat";
	case LFS_T_FLOAT32: return "float";
	case LFS_T_FLOAT64: return "double";
	case LFS_T_DATE32: return "date32";
	case LFS_T_DATE64: return "date64";
	case LFS_T_TIME32: return "time32";
	case LFS_T_TIME64: return "time64";
	case LFS_T_TIMESTAMP: return "timestamp";
	case LFS_T_DURATION: return "duration";
	case LFS_T_DECIMAL128: return "decimal128";
	case LFS_T_DECIMAL256: return "decimal256";
	case LFS_T_UTF8: return "string";
	case LFS_T_LARGE_UTF8: return "large_string";
	case LFS_T_BINARY: return "binary";
	case LFS_T_LARGE_BINARY: return "large_binary";
	case LFS_T_FIXED_SIZE_BINARY: return "fixed_size_binary";
	case LFS_T_FIXED_SIZE_LIST: return "fixed_size_list";
	case LFS_T_LIST: return "list";
	case LFS_T_LARGE_LIST: return "large_list";
	case LFS_T_STRUCT: return "struct";
	case LFS_T_MAP: return "map";
	}
	return "unknown";
}

void lfs_column_init(lfs_column *c, const lfs_type *type)
{
	memset(c, 0, sizeof(*c));
	if (type)
		c->type = *type;
	c->width = lfs_type_width(&c->type);
}

void lfs_column_free(lfs_column *c)
{
	if (!c)
		return;
	free(c->validity);
	free(c->values);
	free(c->offsets);
	free(c->data);
	for (uint32_t i = 0; i < c->n_children; i++)
		lfs_column_free(&c->children[i]);
	free(c->children);
	lfs_type t = c->type;
	lfs_column_init(c, &t);
}

static uint64_t bitmap_bytes(uint64_t bits) { return (bits + 7) / 8; }

int lfs_column_alloc(lfs_column *c, uint64_t length, int with_validity)
{
	uint64_t bytes;

	free(c->validity);
	free(c->values);
	free(c->offsets);
	free(c->data);
	c->validity = NULL;
	c->values = NULL;
	c->offsets = NULL;
	c->data = NULL;
	c->data_len = 0;
	c->null_count = 0;
	c->width = lfs_type_width(&c->type);
	c->length = 0;
	/* No column holds 2^48 rows; a larger length is a damaged count. */
	if (length > ((uint64_t)1 << 48))
		return -EOVERFLOW;
	if (c->type.id == LFS_T_BOOL) {
		c->values = lfs_xcalloc(1, bitmap_bytes(length));
		if (!c->values)
			return -ENOMEM;
	} else if (c->width > 0) {
		if (lfs_mul_u64(length, c->width, &bytes) || bytes > SIZE_MAX)
			return -EOVERFLOW;
		c->values = lfs_xcalloc(1, bytes);
		if (!c->values)
			return -ENOMEM;
	} else if (lfs_type_is_var_width(&c->type) || has_child_offsets(&c->type)) {
		c->offsets = lfs_xcalloc(length + 1, sizeof(uint64_t));
		if (!c->offsets)
			return -ENOMEM;
	}
	if (with_validity) {
		c->validity = lfs_xcalloc(1, bitmap_bytes(length));
		if (!c->validity)
			return -ENOMEM;
	}
	c->length = length;
	return 0;
}

int lfs_column_alloc_children(lfs_column *c, uint32_t n)
{
	for (uint32_t i = 0; i < c->n_children; i++)
		lfs_column_free(&c->children[i]);
	free(c->children);
	c->children = NULL;
	c->n_children = 0;
	if (n == 0)
		return 0;
	c->children = lfs_xcalloc(n, sizeof(*c->children));
	if (!c->children)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		lfs_column_init(&c->children[i], NULL);
	c->n_children = n;
	return 0;
}

/* Makes *p hold at least `need` bytes, growing by at least half again so
 * that repeated appends cost amortized linear time.  New bytes are zeroed
 * up to `need` starting at `have`. */
static int reserve_bytes(void **p, size_t have, size_t need)
{
	size_t usable = *p ? malloc_usable_size(*p) : 0;
	if (need == 0)
		need = 1;
	if (usable < need) {
		size_t want = need;
		if (usable > 0 && usable + usable / 2 > want)
			want = usable + usable / 2;
		void *q = realloc(*p, want);
		if (!q) {
			q = realloc(*p, need);
			if (!q)
				return -ENOMEM;
		}
		*p = q;
	}
	if (need > have)
		memset((uint8_t *)*p + have, 0, need - have);
	return 0;
}

/* Copies `count` bits starting at bit `from` of src to bit `to` of dst. */
static void copy_bits(uint8_t *dst, uint64_t to, const uint8_t *src, uint64_t from, uint64_t count)
{
	if ((to & 7) == 0 && (from & 7) == 0) {
		memcpy(dst + to / 8, src + from / 8, count / 8);
		for (uint64_t i = count & ~(uint64_t)7; i < count; i++)
			lfs_bit_set(dst, to + i, lfs_bit_get(src, from + i));
		return;
	}
	for (uint64_t i = 0; i < count; i++)
		lfs_bit_set(dst, to + i, lfs_bit_get(src, from + i));
}

static void set_bits(uint8_t *dst, uint64_t from, uint64_t count)
{
	uint64_t i = 0;
	while (i < count && ((from + i) & 7))
		lfs_bit_set(dst, from + i++, 1);
	if (count - i >= 8) {
		memset(dst + (from + i) / 8, 0xff, (count - i) / 8);
		i += (count - i) & ~(uint64_t)7;
	}
	while (i < count)
		lfs_bit_set(dst, from + i++, 1);
}

static uint64_t count_unset(const uint8_t *bits, uint64_t from, uint64_t count)
{
	uint64_t set = 0, i = 0;
	while (i < count && ((from + i) & 7))
		set += lfs_bit_get(bits, from + i++);
	for (; i + 64 <= count; i += 64) {
		uint64_t w;
		memcpy(&w, bits + (from + i) / 8, 8);
		set += (uint64_t)__builtin_popcountll(w);
	}
	while (i < count)
		set += lfs_bit_get(bits, from + i++);
	return count - set;
}

static int append_validity(lfs_column *dst, const lfs_column *src, uint64_t start, uint64_t count)
{
	uint64_t total = dst->length + count;
	if (!dst->validity && !src->validity)
		return 0;
	if (!dst->validity) {
		/* Everything before was valid: materialize that. */
		if (reserve_bytes((void **)&dst->validity, 0, bitmap_bytes(total)))
			return -ENOMEM;
		set_bits(dst->validity, 0, dst->length);
	} else if (reserve_bytes((void **)&dst->validity, bitmap_bytes(dst->length),
				 bitmap_bytes(total))) {
		return -ENOMEM;
	}
	if (src->validity) {
		copy_bits(dst->validity, dst->length, src->validity, start, count);
		dst->null_count += count_unset(src->validity, start, count);
	} else {
		set_bits(dst->validity, dst->length, count);
	}
	return 0;
}

static int same_shape(const lfs_column *dst, const lfs_column *src)
{
	if (dst->type.id != src->type.id)
		return 0;
	if (dst->length > 0 && lfs_type_is_nested(&src->type) &&
	    dst->n_children != src->n_children)
		return 0;
	return 1;
}

int lfs_column_append(lfs_column *dst, const lfs_column *src, uint64_t start, uint64_t count)
{
	uint64_t end, total;
	int rc;

	if (lfs_add_u64(start, count, &end) || end > src->length)
		return -EINVAL;
	if (!same_shape(dst, src))
		return -EINVAL;
	if (lfs_add_u64(dst->length, count, &total) || total > SIZE_MAX / 64)
		return -EOVERFLOW;
	if (dst->length == 0 && dst->n_children == 0 && src->n_children > 0) {
		/* First append into an empty nested column: give it src's children. */
		rc = lfs_column_alloc_children(dst, src->n_children);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < src->n_children; i++)
			lfs_column_init(&dst->children[i], &src->children[i].type);
	}
	dst->type = src->type;
	dst->width = src->width;

	rc = append_validity(dst, src, start, count);
	if (rc)
		return rc;

	if (src->type.id == LFS_T_BOOL) {
		if (reserve_bytes((void **)&dst->values, bitmap_bytes(dst->length),
				  bitmap_bytes(total)))
			return -ENOMEM;
		if (src->values)
			copy_bits(dst->values, dst->length, src->values, start, count);
	} else if (src->width > 0) {
		size_t w = src->width;
		if (reserve_bytes((void **)&dst->values, (size_t)dst->length * w, (size_t)total * w))
			return -ENOMEM;
		if (src->values && count)
			memcpy(dst->values + dst->length * w, src->values + start * w, count * w);
	} else if (lfs_type_is_var_width(&src->type)) {
		uint64_t base = dst->length ? dst->offsets[dst->length] : 0;
		uint64_t from = src->offsets ? src->offsets[start] : 0;
		uint64_t to = src->offsets ? src->offsets[end] : 0;
		uint64_t nbytes = to - from, new_len;
		if (to < from || lfs_add_u64(base, nbytes, &new_len) || new_len > SIZE_MAX)
			return -EINVAL;
		if (reserve_bytes((void **)&dst->offsets, dst->length ? (dst->length + 1) * 8 : 0,
				  (size_t)(total + 1) * 8))
			return -ENOMEM;
		if (reserve_bytes((void **)&dst->data, (size_t)base, (size_t)new_len))
			return -ENOMEM;
		if (nbytes)
			memcpy(dst->data + base, src->data + from, nbytes);
		for (uint64_t i = 0; i <= count; i++)
			dst->offsets[dst->length + i] =
				base + (src->offsets ? src->offsets[start + i] - from : 0);
		dst->data_len = new_len;
	} else if (has_child_offsets(&src->type)) {
		uint64_t base = dst->length ? dst->offsets[dst->length] : 0;
		uint64_t from = src->offsets ? src->offsets[start] : 0;
		uint64_t to = src->offsets ? src->offsets[end] : 0;
		if (to < from || src->n_children != 1)
			return -EINVAL;
		if (reserve_bytes((void **)&dst->offsets, dst->length ? (dst->length + 1) * 8 : 0,
				  (size_t)(total + 1) * 8))
			return -ENOMEM;
		rc = lfs_column_append(&dst->children[0], &src->children[0], from, to - from);
		if (rc)
			return rc;
		for (uint64_t i = 0; i <= count; i++)
			dst->offsets[dst->length + i] =
				base + (src->offsets ? src->offsets[start + i] - from : 0);
	} else if (src->type.id == LFS_T_FIXED_SIZE_LIST) {
		uint64_t ls = src->type.list_size > 0 ? (uint64_t)src->type.list_size : 0, a, n;
		if (src->n_children != 1 || lfs_mul_u64(start, ls, &a) || lfs_mul_u64(count, ls, &n))
			return -EINVAL;
		rc = lfs_column_append(&dst->children[0], &src->children[0], a, n);
		if (rc)
			return rc;
	} else if (src->type.id == LFS_T_STRUCT) {
		for (uint32_t i = 0; i < src->n_children; i++) {
			rc = lfs_column_append(&dst->children[i], &src->children[i], start, count);
			if (rc)
				return rc;
		}
	}
	dst->length = total;
	return 0;
}

/* Builds a new column holding the kept rows of c (nested children are
 * compacted through their ranges), then swaps it in. */
int lfs_column_filter(lfs_column *c, const uint8_t *keep)
{
	lfs_column out;
	uint64_t i = 0;
	int rc = 0;

	lfs_column_init(&out, &c->type);
	while (i < c->length) {
		/* Append runs of kept rows at once. */
		if (!lfs_bit_get(keep, i)) {
			i++;
			continue;
		}
		uint64_t j = i;
		while (j < c->length && lfs_bit_get(keep, j))
			j++;
		rc = lfs_column_append(&out, c, i, j - i);
		if (rc) {
			lfs_column_free(&out);
			return rc;
		}
		i = j;
	}
	if (out.length == 0 && c->n_children > 0 && out.n_children == 0) {
		/* Nothing kept: keep the children's types so the shape survives. */
		rc = lfs_column_alloc_children(&out, c->n_children);
		if (rc) {
			lfs_column_free(&out);
			return rc;
		}
		for (uint32_t k = 0; k < c->n_children; k++)
			lfs_column_init(&out.children[k], &c->children[k].type);
		if (has_child_offsets(&c->type) || lfs_type_is_var_width(&c->type)) {
			out.offsets = calloc(1, sizeof(uint64_t));
			if (!out.offsets) {
				lfs_column_free(&out);
				return -ENOMEM;
			}
		}
	}
	if (out.length == 0 && !out.offsets &&
	    (has_child_offsets(&c->type) || lfs_type_is_var_width(&c->type))) {
		out.offsets = calloc(1, sizeof(uint64_t));
		if (!out.offsets) {
			lfs_column_free(&out);
			return -ENOMEM;
		}
	}
	lfs_column_free(c);
	*c = out;
	lfs_column_finish_validity(c);
	return 0;
}

void lfs_column_finish_validity(lfs_column *c)
{
	if (!c->validity) {
		c->null_count = 0;
		return;
	}
	c->null_count = count_unset(c->validity, 0, c->length);
	if (c->null_count == 0) {
		free(c->validity);
		c->validity = NULL;
	}
}
