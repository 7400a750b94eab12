/* format/enc21_field: reading a whole field of a 2.1 / 2.2 file — which
 * columns hold it, reading each leaf's pages, and unravelling the
 * repetition / definition levels into validity and list offsets to build
 * the lfs_column tree.  See enc21.h for the canonical levels.
 *
 * Unravelling goes from the leaf up, one layer at a time, the way Lance's
 * readers do it:
 *   - an item layer (the leaf, a struct) has one element per entry still
 *     "visible" at the lists already unravelled; it is valid when its
 *     definition level is owned by an inner layer (or 0);
 *   - a list layer starts a list at every entry with a non-zero
 *     repetition level; the entry's definition level says whether the list
 *     is null, empty or holds a first item; entries with repetition 0 add
 *     items to the current list.  Only entries that start lists move on to
 *     the next layer, their repetition level lowered by one. */
#include "format/enc21.h"

#include <errno.h>
#include <malloc.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ value columns */

/* Large value buffers are filled once, front to back: ask for huge pages
 * so that filling them costs a fault per 2 MiB rather than per 4 KiB. */
static void advise_huge(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1), z = ((uintptr_t)p + size) & ~(huge - 1);
	if (size >= 4 * huge && z > a)
		madvise((void *)a, z - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)size;
#endif
}

static int reserve(void **p, size_t need)
{
	size_t usable = *p ? malloc_usable_size(*p) : 0;
	if (need == 0)
		need = 1;
	if (usable >= need)
		return 0;
	size_t want = need;
	if (usable > 0 && usable + usable / 2 > want)
		want = usable + usable / 2;
	void *q = realloc(*p, want);
	if (!q) {
		want = need;
		q = realloc(*p, need);
		if (!q)
			return -ENOMEM;
	}
	*p = q;
	advise_huge(q, want);
	return 0;
}

static void copy_bits(uint8_t *dst, uint64_t to, const uint8_t *src, uint64_t from, uint64_t n)
{
	if (((to | from) & 7) == 0) {
		memcpy(dst + to / 8, src + from / 8, (size_t)(n / 8));
		for (uint64_t i = n & ~(uint64_t)7; i < n; i++)
			lfs_bit_set(dst, to + i, lfs_bit_get(src, from + i));
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		lfs_bit_set(dst, to + i, lfs_bit_get(src, from + i));
}

static void fill_bits(uint8_t *dst, uint64_t from, uint64_t n, int v)
{
	uint64_t i = 0;
	while (i < n && ((from + i) & 7))
		lfs_bit_set(dst, from + i++, v);
	if (n - i >= 8) {
		memset(dst + (from + i) / 8, v ? 0xff : 0, (size_t)((n - i) / 8));
		i += (n - i) & ~(uint64_t)7;
	}
	while (i < n)
		lfs_bit_set(dst, from + i++, v);
}

static int oom(lfs_err *err) { return lfs_fail(err, -ENOMEM, "out of memory"); }

int e21_vals_init(lfs_column *vals, const lfs_field *leaf, lfs_err *err)
{
	int rc;
	lfs_column_init(vals, &leaf->type);
	if (lfs_type_is_var_width(&leaf->type)) {
		vals->offsets = calloc(1, sizeof(uint64_t));
		if (!vals->offsets)
			return oom(err);
	} else if (leaf->type.id == LFS_T_FIXED_SIZE_LIST) {
		if (leaf->n_children != 1 || leaf->type.list_size <= 0)
			return lfs_fail(err, -ENOTSUP, "field %s: fixed-size list without its item type",
					leaf->name);
		const lfs_field *item = leaf->children[0];
		if (!lfs_type_is_fixed_width(&item->type) && item->type.id != LFS_T_FIXED_SIZE_LIST)
			return lfs_fail(err, -ENOTSUP,
					"field %s: fixed-size lists of %s are not supported in 2.1 files",
					leaf->name, lfs_type_name(item->type.id));
		rc = lfs_column_alloc_children(vals, 1);
		if (rc)
			return oom(err);
		return e21_vals_init(&vals->children[0], item, err);
	} else if (leaf->type.id == LFS_T_STRUCT) {
		/* a packed struct: one child per field, each fixed or variable width */
		rc = lfs_column_alloc_children(vals, (uint32_t)leaf->n_children);
		if (rc)
			return oom(err);
		for (size_t i = 0; i < leaf->n_children; i++) {
			const lfs_field *k = leaf->children[i];
			if (!lfs_type_is_fixed_width(&k->type) && !lfs_type_is_var_width(&k->type))
				return lfs_fail(err, -ENOTSUP, "packed struct %s: field %s of type %s",
						leaf->name, k->name, lfs_type_name(k->type.id));
			rc = e21_vals_init(&vals->children[i], k, err);
			if (rc)
				return rc;
		}
	} else if (lfs_type_is_nested(&leaf->type)) {
		return lfs_fail(err, -ENOTSUP, "field %s: %s cannot be a leaf column", leaf->name,
				lfs_type_name(leaf->type.id));
	}
	return 0;
}

int e21_vals_grow(lfs_column *vals, uint64_t n, int zero, lfs_err *err)
{
	uint64_t len = vals->length, total = len + n;
	if (total < len || total > ((uint64_t)1 << 40))
		return lfs_fail(err, -EOVERFLOW, "too many values");
	if (vals->validity) {
		if (reserve((void **)&vals->validity, (size_t)((total + 7) / 8)))
			return oom(err);
		fill_bits(vals->validity, len, n, 1);
	}
	switch (vals->type.id) {
	case LFS_T_NULL:
		break;
	case LFS_T_BOOL:
		if (reserve((void **)&vals->values, (size_t)((total + 7) / 8)))
			return oom(err);
		fill_bits(vals->values, len, n, 0);
		break;
	case LFS_T_FIXED_SIZE_LIST: {
		uint64_t ls = (uint64_t)vals->type.list_size;
		int rc = e21_vals_grow(&vals->children[0], n * ls, zero, err);
		if (rc)
			return rc;
		break;
	}
	case LFS_T_STRUCT:
		for (uint32_t i = 0; i < vals->n_children; i++) {
			int rc = e21_vals_grow(&vals->children[i], n, zero, err);
			if (rc)
				return rc;
		}
		break;
	default:
		if (lfs_type_is_var_width(&vals->type)) {
			if (reserve((void **)&vals->offsets, (size_t)(total + 1) * 8))
				return oom(err);
			uint64_t last = vals->offsets[len];
			for (uint64_t i = 1; i <= n; i++)
				vals->offsets[len + i] = last;
		} else if (vals->width) {
			size_t w = vals->width;
			if (total > SIZE_MAX / w || reserve((void **)&vals->values, (size_t)total * w))
				return oom(err);
			if (zero)
				memset(vals->values + (size_t)len * w, 0, (size_t)n * w);
		} else {
			return lfs_fail(err, -ENOTSUP, "values of type %s", lfs_type_name(vals->type.id));
		}
	}
	vals->length = total;
	return 0;
}

/* Makes room for n more values (rows of a list-free leaf are its items),
 * so that appending page after page does not move the buffers. */
static int vals_reserve(lfs_column *vals, uint64_t n)
{
	uint64_t total = vals->length + n;
	if (total > ((uint64_t)1 << 40))
		return -EOVERFLOW;
	if (vals->type.id == LFS_T_FIXED_SIZE_LIST && vals->n_children == 1)
		return vals_reserve(&vals->children[0], n * (uint64_t)vals->type.list_size);
	if (vals->type.id == LFS_T_STRUCT) {
		for (uint32_t i = 0; i < vals->n_children; i++)
			if (vals_reserve(&vals->children[i], n))
				return -ENOMEM;
		return 0;
	}
	if (vals->type.id == LFS_T_BOOL)
		return reserve((void **)&vals->values, (size_t)((total + 7) / 8));
	if (vals->width)
		return reserve((void **)&vals->values, (size_t)total * vals->width);
	if (lfs_type_is_var_width(&vals->type))
		return reserve((void **)&vals->offsets, (size_t)(total + 1) * 8);
	return 0;
}

int e21_vals_append_zero(lfs_column *vals, uint64_t n, lfs_err *err)
{
	return e21_vals_grow(vals, n, 1, err);
}

static int type_mismatch(const lfs_column *vals, const e21_block *b, const e21_where *w,
			 lfs_err *err)
{
	const char *k = b->kind == E21_B_FIXED ? "fixed-width" : b->kind == E21_B_VAR ? "variable-width"
											 : "struct";
	return e21_fail(w, err, -EIO, "%s values of %llu bits cannot be a %s field", k,
			(unsigned long long)b->bits, lfs_type_name(vals->type.id));
}

/* Appends items [from, from + n) of a FIXED block (per_value 1) to a
 * fixed-width or bool column. */
static int append_fixed(lfs_column *c, const e21_block *b, uint64_t from, uint64_t n,
			const e21_where *w, lfs_err *err)
{
	uint64_t len = c->length;
	if (c->type.id == LFS_T_BOOL) {
		if (b->bits != 1)
			return type_mismatch(c, b, w, err);
		if (reserve((void **)&c->values, (size_t)((len + n + 7) / 8)))
			return oom(err);
		copy_bits(c->values, len, b->data, from, n);
	} else if (c->type.id == LFS_T_NULL) {
		/* nothing stored */
	} else {
		size_t wd = c->width;
		if (wd == 0 || b->bits != (uint64_t)wd * 8)
			return type_mismatch(c, b, w, err);
		if (reserve((void **)&c->values, (size_t)(len + n) * wd))
			return oom(err);
		memcpy(c->values + (size_t)len * wd, b->data + (size_t)from * wd, (size_t)n * wd);
	}
	if (c->validity) {
		if (reserve((void **)&c->validity, (size_t)((len + n + 7) / 8)))
			return oom(err);
		fill_bits(c->validity, len, n, 1);
	}
	c->length = len + n;
	return 0;
}

static int append_var(lfs_column *c, const e21_block *b, uint64_t from, uint64_t n,
		      const e21_where *w, lfs_err *err)
{
	if (!lfs_type_is_var_width(&c->type) || !c->offsets)
		return type_mismatch(c, b, w, err);
	uint64_t len = c->length, base = c->offsets[len];
	uint64_t a = e21_var_off(b, from), z = e21_var_off(b, from + n);
	if (z < a || z > b->data_len)
		return e21_fail(w, err, -EIO, "variable-width values out of range");
	if (b->fsst && b->fsst->enabled) {
		/* Decode straight into the column: a code yields at most 8
		 * bytes, so 8 bytes per compressed byte (and 16 spare for the
		 * word-wide copies) always suffice. */
		uint64_t cap, at = base;
		if (lfs_mul_u64(z - a, 8, &cap) || lfs_add_u64(cap, base + 16, &cap) ||
		    cap > ((uint64_t)1 << 40))
			return e21_fail(w, err, -EIO, "FSST values too large");
		if (reserve((void **)&c->offsets, (size_t)(len + n + 1) * 8) ||
		    reserve((void **)&c->data, (size_t)cap))
			return oom(err);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t s0 = e21_var_off(b, from + i), s1 = e21_var_off(b, from + i + 1);
			int64_t got = e21_fsst_decode(b->fsst, b->data + s0, (size_t)(s1 - s0),
						      c->data + at, (size_t)(cap - at));
			if (got < 0)
				return e21_fail(w, err, -EIO, "FSST value %llu is damaged",
						(unsigned long long)(from + i));
			at += (uint64_t)got;
			c->offsets[len + i + 1] = at;
		}
		c->data_len = at;
		c->length = len + n;
		return 0;
	}
	if (reserve((void **)&c->offsets, (size_t)(len + n + 1) * 8) ||
	    reserve((void **)&c->data, (size_t)(base + (z - a))))
		return oom(err);
	if (z > a)
		memcpy(c->data + base, b->data + a, (size_t)(z - a));
	if (b->off_bits == 64) {
		for (uint64_t i = 1; i <= n; i++)
			c->offsets[len + i] = base + lfs_le64(b->offsets + (from + i) * 8) - a;
	} else {
		for (uint64_t i = 1; i <= n; i++)
			c->offsets[len + i] = base + lfs_le32(b->offsets + (from + i) * 4) - a;
	}
	c->data_len = base + (z - a);
	c->length = len + n;
	return 0;
}

int e21_vals_append(lfs_column *vals, const e21_block *b, uint64_t from, uint64_t n,
		    const e21_where *w, lfs_err *err)
{
	if (n == 0)
		return 0;
	if (from + n > b->n || from + n < from)
		return e21_fail(w, err, -EIO, "values %llu..%llu of %llu", (unsigned long long)from,
				(unsigned long long)(from + n), (unsigned long long)b->n);
	switch (b->kind) {
	case E21_B_VAR:
		return append_var(vals, b, from, n, w, err);
	case E21_B_STRUCT:
		if (vals->type.id != LFS_T_STRUCT || vals->n_children != b->n_kids)
			return type_mismatch(vals, b, w, err);
		for (uint32_t i = 0; i < b->n_kids; i++) {
			int rc = e21_vals_append(&vals->children[i], &b->kids[i], from, n, w, err);
			if (rc)
				return rc;
		}
		vals->length += n;
		return 0;
	case E21_B_FIXED: {
		lfs_column *c = vals;
		uint64_t cf = from, cn = n;
		for (uint32_t k = 0; k < b->n_fsl; k++) {
			if (c->type.id != LFS_T_FIXED_SIZE_LIST || c->n_children != 1 ||
			    (uint64_t)c->type.list_size != b->fsl_dim[k])
				return e21_fail(w, err, -EIO,
						"fixed-size list of %llu items cannot be a %s field",
						(unsigned long long)b->fsl_dim[k],
						c->type.id == LFS_T_FIXED_SIZE_LIST ? "differently sized"
										   : lfs_type_name(c->type.id));
			lfs_column *child = &c->children[0];
			uint64_t at = child->length;
			c->length += cn;
			cf *= b->fsl_dim[k];
			cn *= b->fsl_dim[k];
			if (b->fsl_valid[k] || child->validity) {
				int had = child->validity != NULL;
				if (reserve((void **)&child->validity, (size_t)((at + cn + 7) / 8)))
					return oom(err);
				if (!had)
					fill_bits(child->validity, 0, at, 1);
				if (b->fsl_valid[k])
					copy_bits(child->validity, at, b->fsl_valid[k], cf, cn);
				else
					fill_bits(child->validity, at, cn, 1);
			}
			c = child;
		}
		if (c->type.id == LFS_T_FIXED_SIZE_LIST)
			return e21_fail(w, err, -EIO, "flat values cannot be a fixed-size list field");
		/* The innermost column's own validity (if any) is set by the
		 * layer above; keep it from being refilled here. */
		uint8_t *keep = c->validity;
		uint64_t len0 = c->length;
		c->validity = NULL;
		int rc = append_fixed(c, &(e21_block){ .kind = E21_B_FIXED, .n = b->n * b->per_value,
						       .bits = b->bits, .per_value = 1,
						       .data = b->data, .data_len = b->data_len },
				      cf, cn, w, err);
		c->validity = keep;
		(void)len0;
		return rc;
	}
	}
	return e21_fail(w, err, -EIO, "undecodable values");
}

/* ------------------------------------------------------------ field plan */

typedef struct leaf_ref {
	const lfs_field *field;
	uint32_t column;
} leaf_ref;

/* Collects the column leaves under node in schema order. */
static int collect_leaves(lfs_f2_file *f, const lfs_field *node, leaf_ref *out, size_t max,
			  size_t *n, int depth, lfs_err *err)
{
	uint32_t col;
	if (depth > E21_MAX_LAYERS - 1)
		return lfs_fail(err, -ENOTSUP, "field %s is nested too deeply", node->name);
	if (lfs_f2_field_column(f, node->id, &col) == 0) {
		if (*n < max) {
			out[*n].field = node;
			out[*n].column = col;
		}
		(*n)++;
		return 0;
	}
	if (node->type.id == LFS_T_FIXED_SIZE_LIST || node->n_children == 0)
		return lfs_fail(err, node->n_children ? -ENOTSUP : -EIO,
				"%s: the file holds no column for field %s (id %d)", lfs_f2_key(f),
				node->name, node->id);
	if ((node->type.id == LFS_T_LIST || node->type.id == LFS_T_LARGE_LIST ||
	     node->type.id == LFS_T_MAP) && node->n_children != 1)
		return lfs_fail(err, -EIO, "field %s: a list with %zu children", node->name,
				node->n_children);
	if (node->type.id != LFS_T_STRUCT && node->type.id != LFS_T_LIST &&
	    node->type.id != LFS_T_LARGE_LIST && node->type.id != LFS_T_MAP)
		return lfs_fail(err, -EIO, "%s: the file holds no column for field %s (id %d)",
				lfs_f2_key(f), node->name, node->id);
	for (size_t i = 0; i < node->n_children; i++) {
		int rc = collect_leaves(f, node->children[i], out, max, n, depth + 1, err);
		if (rc)
			return rc;
	}
	return 0;
}

int lfs_enc21_field_columns(lfs_f2_file *f, const lfs_field *field, uint32_t *cols, size_t max,
			    size_t *n, lfs_err *err)
{
	leaf_ref refs[64];
	size_t k = 0;
	int rc = collect_leaves(f, field, refs, 64, &k, 0, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < k && i < max && i < 64; i++)
		cols[i] = refs[i].column;
	*n = k;
	return 0;
}

static int is_list_type(const lfs_type *t)
{
	return t->id == LFS_T_LIST || t->id == LFS_T_LARGE_LIST || t->id == LFS_T_MAP;
}

static int make_plan(const lfs_field *leaf, const lfs_field *top, e21_plan *p, lfs_err *err)
{
	uint16_t base = 0;
	int seen_list = 0;
	memset(p, 0, sizeof(*p));
	for (const lfs_field *x = leaf; x; x = x->parent) {
		if (p->n_layers >= E21_MAX_LAYERS)
			return lfs_fail(err, -ENOTSUP, "field %s is nested too deeply", top->name);
		uint32_t k = p->n_layers++;
		p->is_list[k] = (uint8_t)is_list_type(&x->type);
		p->def_base[k] = base;
		base += p->is_list[k] ? 2 : 1;
		if (p->is_list[k]) {
			p->max_rep++;
			seen_list = 1;
		} else if (!seen_list) {
			p->max_visible_def = base;
		}
		if (x == top)
			break;
	}
	p->max_def = base;
	return 0;
}

/* ------------------------------------------------------------ unravelling */

typedef struct layer_out {
	uint64_t n;              /* elements at this layer */
	uint8_t *validity;       /* NULL when all valid */
	uint64_t *offsets;       /* list layers: n + 1 */
} layer_out;

static void layer_outs_free(layer_out *o, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		free(o[k].validity);
		free(o[k].offsets);
	}
}

static int unravel(e21_leaf *leaf, layer_out *outs, const char *key, lfs_err *err)
{
	const e21_plan *p = &leaf->plan;
	uint64_t n = leaf->n_levels;
	uint16_t *rep = leaf->rep, *def = leaf->def; /* compacted in place: not needed afterwards */
	uint16_t lvl2rep[2 * E21_MAX_LAYERS + 2];
	uint16_t cur_rep = 0;
	uint16_t lists = 0;

	memset(outs, 0, p->n_layers * sizeof(*outs));
	lvl2rep[0] = 0;
	for (uint32_t k = 0; k < p->n_layers; k++) {
		uint16_t b = p->def_base[k];
		if (p->is_list[k]) {
			lists++;
			lvl2rep[b + 1] = lists;
			lvl2rep[b + 2] = lists;
		} else {
			lvl2rep[b + 1] = lists;
		}
	}
	for (uint32_t k = 0; k < p->n_layers; k++) {
		uint16_t base = p->def_base[k];
		layer_out *o = &outs[k];
		if (!p->is_list[k]) {
			uint64_t cnt = 0, nulls = 0;
			for (uint64_t i = 0; i < n; i++) {
				uint16_t d = def ? def[i] : 0;
				if (lvl2rep[d] <= cur_rep) {
					cnt++;
					nulls += d > base;
				}
			}
			o->n = cnt;
			if (nulls) {
				o->validity = calloc(1, (size_t)((cnt + 7) / 8) + 1);
				if (!o->validity)
					return oom(err);
				uint64_t j = 0;
				for (uint64_t i = 0; i < n; i++) {
					uint16_t d = def[i];
					if (lvl2rep[d] <= cur_rep) {
						if (d <= base)
							lfs_bit_set(o->validity, j, 1);
						j++;
					}
				}
			}
			continue;
		}
		/* a list layer */
		uint16_t null_lvl = base + 1, empty_lvl = base + 2, upper_null = base + 2;
		uint16_t max_level = base + 2;
		for (uint32_t j = k + 1; j < p->n_layers && !p->is_list[j]; j++)
			max_level++;
		if (!rep && n > 0)
			return lfs_fail(err, -EIO, "%s: column %u: list levels without repetition", key,
					leaf->column);
		uint64_t *offs = malloc((size_t)(n + 2) * 8);
		uint8_t *valid = calloc(1, (size_t)(n / 8) + 2);
		if (!offs || !valid) {
			free(offs);
			free(valid);
			return oom(err);
		}
		uint64_t cur = 0, lists_n = 0, nulls = 0, wi = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint16_t r = rep[i], d = def ? def[i] : 0;
			if (r == 0) {
				cur++;
				continue;
			}
			rep[wi] = r - 1;
			if (def)
				def[wi] = d;
			wi++;
			if (d > max_level)
				continue; /* a null or empty list further out */
			offs[lists_n] = cur;
			if (d == 0) {
				cur++;
				lfs_bit_set(valid, lists_n, 1);
			} else if (d == null_lvl || d > upper_null) {
				nulls++; /* null list, or masked by a null struct above it */
			} else if (d == empty_lvl) {
				lfs_bit_set(valid, lists_n, 1);
			} else {
				cur++; /* first item is null at an inner layer */
				lfs_bit_set(valid, lists_n, 1);
			}
			lists_n++;
		}
		offs[lists_n] = cur;
		n = wi;
		o->n = lists_n;
		o->offsets = offs;
		if (nulls) {
			o->validity = valid;
		} else {
			free(valid);
		}
		cur_rep++;
	}
	leaf->n_levels = n;
	return 0;
}

/* ------------------------------------------------------------ assembly */

typedef struct leaf_state {
	e21_leaf leaf;
	layer_out outs[E21_MAX_LAYERS];
	int unravelled;
} leaf_state;

/* Zeroes the values of null slots (fixed width and bool) and empties
 * null variable-width values, so that null slots never carry stale bytes. */
static int normalize_nulls(lfs_column *c, lfs_err *err)
{
	if (!c->validity)
		return 0;
	if (c->type.id == LFS_T_BOOL) {
		for (uint64_t i = 0; i < c->length; i++)
			if (!lfs_bit_get(c->validity, i))
				lfs_bit_set(c->values, i, 0);
	} else if (c->width && c->values) {
		for (uint64_t i = 0; i < c->length; i++)
			if (!lfs_bit_get(c->validity, i))
				memset(c->values + (size_t)i * c->width, 0, c->width);
	} else if (lfs_type_is_var_width(&c->type)) {
		int dirty = 0;
		for (uint64_t i = 0; i < c->length && !dirty; i++)
			dirty = !lfs_bit_get(c->validity, i) && c->offsets[i + 1] != c->offsets[i];
		if (dirty) {
			uint64_t o = 0;
			for (uint64_t i = 0; i < c->length; i++) {
				uint64_t a = c->offsets[i], b = c->offsets[i + 1];
				c->offsets[i] = o;
				if (lfs_bit_get(c->validity, i)) {
					memmove(c->data + o, c->data + a, (size_t)(b - a));
					o += b - a;
				}
			}
			c->offsets[c->length] = o;
			c->data_len = o;
		}
	} else if (c->type.id == LFS_T_FIXED_SIZE_LIST && c->n_children == 1) {
		lfs_column *ch = &c->children[0];
		uint64_t ls = (uint64_t)c->type.list_size;
		if (ch->width && ch->values)
			for (uint64_t i = 0; i < c->length; i++)
				if (!lfs_bit_get(c->validity, i))
					memset(ch->values + (size_t)(i * ls) * ch->width, 0,
					       (size_t)ls * ch->width);
	} else if (c->type.id == LFS_T_STRUCT) {
		for (uint32_t k = 0; k < c->n_children; k++) {
			lfs_column *ch = &c->children[k];
			if (ch->width && ch->values)
				for (uint64_t i = 0; i < c->length; i++)
					if (!lfs_bit_get(c->validity, i))
						memset(ch->values + (size_t)i * ch->width, 0, ch->width);
		}
	}
	(void)err;
	return 0;
}

typedef struct build_ctx {
	lfs_f2_file *f;
	leaf_state *leaves;
	size_t n_leaves;
	size_t next;             /* next leaf in DFS order */
} build_ctx;

static int depth_of(const lfs_field *x, const lfs_field *top)
{
	int d = 0;
	while (x && x != top) {
		x = x->parent;
		d++;
	}
	return d;
}

/* Builds the column of node `x` (first leaf at index *next). */
static int build_node(build_ctx *bc, const lfs_field *x, const lfs_field *top, lfs_column *out,
		      lfs_err *err)
{
	leaf_state *first = &bc->leaves[bc->next];
	uint32_t k;
	int rc;

	if (bc->next >= bc->n_leaves)
		return lfs_fail(err, -EIO, "%s: field %s has more leaves than columns", lfs_f2_key(bc->f),
				x->name);
	k = (uint32_t)(depth_of(first->leaf.field, top) - depth_of(x, top));
	if (k >= first->leaf.plan.n_layers)
		return lfs_fail(err, -EIO, "%s: field %s: layer mismatch", lfs_f2_key(bc->f), x->name);
	layer_out *o = &first->outs[k];

	if (first->leaf.field == x) {
		/* a column leaf: its decoded values */
		bc->next++;
		*out = first->leaf.vals;
		lfs_column_init(&first->leaf.vals, &x->type);
		out->type = x->type;
		if (out->length != o->n)
			return lfs_fail(err, -EIO, "%s: column %u: %llu values for %llu items",
					lfs_f2_key(bc->f), first->leaf.column,
					(unsigned long long)out->length, (unsigned long long)o->n);
		out->validity = o->validity;
		o->validity = NULL;
		/* FSST decoding reserves generously: give back what was not used */
		if (out->data && malloc_usable_size(out->data) > 2 * out->data_len + ((size_t)1 << 20)) {
			uint8_t *p = realloc(out->data, (size_t)out->data_len + 1);
			if (p)
				out->data = p;
		}
		rc = normalize_nulls(out, err);
		if (rc)
			return rc;
		lfs_column_finish_validity(out);
		return 0;
	}
	lfs_column_init(out, &x->type);
	if (x->type.id == LFS_T_STRUCT) {
		rc = lfs_column_alloc_children(out, (uint32_t)x->n_children);
		if (rc)
			return oom(err);
		for (size_t i = 0; i < x->n_children; i++) {
			rc = build_node(bc, x->children[i], top, &out->children[i], err);
			if (rc)
				return rc;
			if (out->children[i].length != o->n)
				return lfs_fail(err, -EIO,
						"%s: struct %s: field %s has %llu rows, the struct %llu",
						lfs_f2_key(bc->f), x->name, x->children[i]->name,
						(unsigned long long)out->children[i].length,
						(unsigned long long)o->n);
		}
		out->length = o->n;
		out->validity = o->validity;
		o->validity = NULL;
		lfs_column_finish_validity(out);
		return 0;
	}
	if (is_list_type(&x->type)) {
		if (!o->offsets)
			return lfs_fail(err, -EIO, "%s: list %s without offsets", lfs_f2_key(bc->f),
					x->name);
		rc = lfs_column_alloc_children(out, 1);
		if (rc)
			return oom(err);
		rc = build_node(bc, x->children[0], top, &out->children[0], err);
		if (rc)
			return rc;
		if (out->children[0].length != o->offsets[o->n])
			return lfs_fail(err, -EIO, "%s: list %s: %llu items, the offsets say %llu",
					lfs_f2_key(bc->f), x->name,
					(unsigned long long)out->children[0].length,
					(unsigned long long)o->offsets[o->n]);
		out->length = o->n;
		out->offsets = o->offsets;
		o->offsets = NULL;
		out->validity = o->validity;
		o->validity = NULL;
		lfs_column_finish_validity(out);
		return 0;
	}
	return lfs_fail(err, -ENOTSUP, "%s: field %s of type %s", lfs_f2_key(bc->f), x->name,
			lfs_type_name(x->type.id));
}

/* Reads rows [start, start + count) of one leaf column. */
static int read_leaf(lfs_f2_file *f, e21_leaf *leaf, uint64_t start, uint64_t count, lfs_err *err)
{
	const lfs_f2_column *c;
	uint64_t end = start + count, row = start;
	int rc = lfs_f2_column_get(f, leaf->column, &c, err);
	if (rc)
		return rc;
	if (c->num_rows != lfs_f2_num_rows(f))
		return lfs_fail(err, -EIO, "%s: column %u holds %llu rows, the file %llu",
				lfs_f2_key(f), leaf->column, (unsigned long long)c->num_rows,
				(unsigned long long)lfs_f2_num_rows(f));
	while (row < end) {
		size_t p = lfs_f2_find_page(c, row);
		const lfs_f2_page *pg = &c->pages[p];
		uint64_t in = row - pg->first_row, n = pg->num_rows - in;
		if (n > end - row)
			n = end - row;
		if (n == 0)
			return lfs_fail(err, -EIO, "%s: column %u: no page holds row %llu", lfs_f2_key(f),
					leaf->column, (unsigned long long)row);
		rc = e21_page_read(f, c, p, in, n, leaf, err);
		if (rc)
			return rc;
		row += n;
	}
	return 0;
}

int lfs_enc21_read_field(lfs_f2_file *f, const lfs_field *field, uint64_t start, uint64_t count,
			 lfs_column *out, lfs_err *err)
{
	leaf_ref refs[256];
	size_t n = 0;
	leaf_state *ls = NULL;
	int rc;

	lfs_column_init(out, &field->type);
	rc = collect_leaves(f, field, refs, 256, &n, 0, err);
	if (rc)
		return rc;
	if (n == 0 || n > 256)
		return lfs_fail(err, -ENOTSUP, "%s: field %s has %zu leaf columns", lfs_f2_key(f),
				field->name, n);
	ls = calloc(n, sizeof(*ls));
	if (!ls)
		return oom(err);
	for (size_t i = 0; i < n && !rc; i++) {
		e21_leaf *l = &ls[i].leaf;
		l->field = refs[i].field;
		l->column = refs[i].column;
		rc = make_plan(refs[i].field, field, &l->plan, err);
		if (!rc)
			rc = e21_vals_init(&l->vals, refs[i].field, err);
		if (!rc && count && l->plan.max_rep == 0)
			/* rows are items: size the values once */
			rc = vals_reserve(&l->vals, count) ? oom(err) : 0;
		if (!rc)
			rc = read_leaf(f, l, start, count, err);
		if (!rc) {
			rc = unravel(l, ls[i].outs, lfs_f2_key(f), err);
			ls[i].unravelled = 1;
		}
		if (!rc && l->plan.n_layers && ls[i].outs[l->plan.n_layers - 1].n != count)
			rc = lfs_fail(err, -EIO, "%s: column %u decoded to %llu rows, not %llu",
				      lfs_f2_key(f), l->column,
				      (unsigned long long)ls[i].outs[l->plan.n_layers - 1].n,
				      (unsigned long long)count);
	}
	if (!rc) {
		build_ctx bc = { f, ls, n, 0 };
		lfs_column_free(out);
		rc = build_node(&bc, field, field, out, err);
		if (!rc && bc.next != n)
			rc = lfs_fail(err, -EIO, "%s: field %s: %zu of %zu leaves used", lfs_f2_key(f),
				      field->name, bc.next, n);
	}
	for (size_t i = 0; i < n; i++) {
		free(ls[i].leaf.rep);
		free(ls[i].leaf.def);
		lfs_column_free(&ls[i].leaf.vals);
		layer_outs_free(ls[i].outs, ls[i].leaf.plan.n_layers);
	}
	free(ls);
	if (rc)
		lfs_column_free(out);
	else if (out->length != count)
		return lfs_fail(err, -EIO, "%s: field %s decoded to %llu rows, not %llu", lfs_f2_key(f),
				field->name, (unsigned long long)out->length, (unsigned long long)count);
	return rc;
}
