/*
 * NumPy .npy files of fixed-width columns (format 1.0, or 2.0 when the
 * header would not fit a 16-bit length): which fields have one, the dtype
 * and shape, and the header.  The table of dtypes is in doc/views.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "view/view_impl.h"

static int is_bfloat16_item(const lfs_field *f)
{
	return (f->extension_name && strcmp(f->extension_name, "lance.bfloat16") == 0) ||
	       (f->logical_type && strcmp(f->logical_type, "lance.bfloat16") == 0);
}

static const char *unit_name(enum lfs_time_unit u)
{
	switch (u) {
	case LFS_UNIT_S: return "s";
	case LFS_UNIT_MS: return "ms";
	case LFS_UNIT_US: return "us";
	case LFS_UNIT_NS: return "ns";
	default: return NULL;
	}
}

/* The leaf (non-list) part: dtype, widths and conversion. */
static int leaf_layout(const lfs_field *f, lfs_npy_layout *l)
{
	const lfs_type *t = &f->type;
	const char *d = NULL;
	uint32_t w = 0;

	l->leaf = t->id;
	l->conv = LFS_NPY_COPY;
	switch (t->id) {
	case LFS_T_BOOL: d = "|b1"; w = 1; l->conv = LFS_NPY_BOOL; break;
	case LFS_T_INT8: d = "|i1"; w = 1; break;
	case LFS_T_UINT8: d = "|u1"; w = 1; break;
	case LFS_T_INT16: d = "<i2"; w = 2; break;
	case LFS_T_UINT16: d = "<u2"; w = 2; break;
	case LFS_T_INT32: d = "<i4"; w = 4; break;
	case LFS_T_UINT32: d = "<u4"; w = 4; break;
	case LFS_T_INT64: d = "<i8"; w = 8; break;
	case LFS_T_UINT64: d = "<u8"; w = 8; break;
	case LFS_T_FLOAT16: d = "<f2"; w = 2; break;
	case LFS_T_FLOAT32: d = "<f4"; w = 4; break;
	case LFS_T_FLOAT64: d = "<f8"; w = 8; break;
	case LFS_T_TIME32: d = "<i4"; w = 4; break;
	case LFS_T_TIME64: d = "<i8"; w = 8; break;
	case LFS_T_DATE32:
		/* NumPy's datetime64 is always 8 bytes: widen the day count */
		strcpy(l->descr, "<M8[D]");
		l->leaf_width = 4;
		l->out_width = 8;
		l->conv = LFS_NPY_WIDEN32;
		return 0;
	case LFS_T_DATE64: d = "<M8[ms]"; w = 8; break;
	case LFS_T_TIMESTAMP:
	case LFS_T_DURATION: {
		const char *u = unit_name(t->unit);
		if (!u)
			return -ENOTSUP;
		snprintf(l->descr, sizeof(l->descr), "<%c8[%s]",
			 t->id == LFS_T_TIMESTAMP ? 'M' : 'm', u);
		l->leaf_width = l->out_width = 8;
		return 0;
	}
	case LFS_T_FIXED_SIZE_BINARY:
		if (t->byte_width <= 0)
			return -ENOTSUP;
		if (t->byte_width == 2 && is_bfloat16_item(f)) {
			/* no bfloat16 in NumPy: the raw bits, see doc/views.md */
			d = "<u2";
			w = 2;
			break;
		}
		/* bytes as a trailing dimension of uint8: lossless, unlike 'S' */
		if (l->ndims >= LFS_NPY_MAX_DIMS)
			return -ENOTSUP;
		l->dims[l->ndims++] = (uint64_t)t->byte_width;
		if (lfs_mul_u64(l->per_row, (uint64_t)t->byte_width, &l->per_row))
			return -ENOTSUP;
		strcpy(l->descr, "|u1");
		l->leaf_width = (uint32_t)t->byte_width;
		l->out_width = 1;
		return 0;
	default:
		return -ENOTSUP; /* decimals, strings, lists, structs, maps, null */
	}
	strcpy(l->descr, d);
	l->leaf_width = l->out_width = w;
	return 0;
}

int lfs_npy_layout_of(const lfs_field *field, lfs_npy_layout *out)
{
	const lfs_field *f = field;
	lfs_npy_layout l;

	memset(&l, 0, sizeof(l));
	l.per_row = 1;
	while (f && f->type.id == LFS_T_FIXED_SIZE_LIST) {
		if (l.ndims >= LFS_NPY_MAX_DIMS || f->type.list_size < 0 || f->n_children < 1)
			return -ENOTSUP;
		l.dims[l.ndims++] = (uint64_t)f->type.list_size;
		if (lfs_mul_u64(l.per_row, (uint64_t)f->type.list_size, &l.per_row))
			return -ENOTSUP;
		f = f->children[0];
	}
	if (!f)
		return -ENOTSUP;
	l.fsl_dims = l.ndims;
	int rc = leaf_layout(f, &l);
	if (rc)
		return rc;
	if (lfs_mul_u64(l.per_row, l.out_width, &l.row_bytes))
		return -ENOTSUP;
	*out = l;
	return 0;
}

void lfs_npy_layout_valid(lfs_npy_layout *out)
{
	memset(out, 0, sizeof(*out));
	strcpy(out->descr, "|b1");
	out->conv = LFS_NPY_BOOL;
	out->leaf = LFS_T_BOOL;
	out->out_width = 1;
	out->per_row = 1;
	out->row_bytes = 1;
}

int lfs_npy_header(lfs_buf *out, const lfs_npy_layout *lay, uint64_t nrows)
{
	char dict[512];
	int n = snprintf(dict, sizeof(dict), "{'descr': '%s', 'fortran_order': False, 'shape': (%" PRIu64,
			 lay->descr, nrows);
	for (int i = 0; i < lay->ndims; i++)
		n += snprintf(dict + n, sizeof(dict) - (size_t)n, ", %" PRIu64, lay->dims[i]);
	n += snprintf(dict + n, sizeof(dict) - (size_t)n, "%s), }", lay->ndims ? "" : ",");

	/* magic, version, length, dict, spaces, '\n'; data at a multiple of 64 */
	size_t pre = 10, total = (pre + (size_t)n + 1 + 63) / 64 * 64;
	int v2 = total - pre > 65535;
	if (v2) {
		pre = 12;
		total = (pre + (size_t)n + 1 + 63) / 64 * 64;
	}
	size_t hlen = total - pre;
	uint8_t head[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', v2 ? 2 : 1, 0 };
	if (v2) {
		for (int i = 0; i < 4; i++)
			head[8 + i] = (uint8_t)(hlen >> (8 * i));
	} else {
		head[8] = (uint8_t)hlen;
		head[9] = (uint8_t)(hlen >> 8);
	}
	int rc = lfs_buf_append(out, head, pre);
	if (!rc)
		rc = lfs_buf_append(out, dict, (size_t)n);
	if (!rc)
		rc = lfs_buf_reserve(out, hlen - (size_t)n + 1);
	if (rc)
		return rc;
	memset(out->data + out->len, ' ', hlen - (size_t)n - 1);
	out->len += hlen - (size_t)n - 1;
	out->data[out->len++] = '\n';
	return 0;
}
