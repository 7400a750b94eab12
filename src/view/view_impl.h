/*
 * view internals: shared by the view module's .c files only (view.h is the
 * module's interface).
 *
 *   fmtnum.c  numbers as text: integers, shortest round-trip floats
 *   render.c  one value as JSON / PostgreSQL COPY text / CSV, column checks
 *   npy.c     which fixed-width fields have a .npy, and its header
 *   view.c    the views: byte ranges, caches, the sparse row -> byte index
 */
#ifndef LFS_VIEW_IMPL_H
#define LFS_VIEW_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "view/view.h"

/* ---- fmtnum.c ---- */

/* Room a number needs at most, quotes included. */
#define LFS_NUM_MAX 40

/* Decimal integers; the buffer needs 21 bytes.  Return the length. */
size_t lfs_fmt_u64(char *p, uint64_t v);
size_t lfs_fmt_i64(char *p, int64_t v);

/* IEEE binary formats the views print. */
enum lfs_float_fmt { LFS_FLOAT16, LFS_BFLOAT16, LFS_FLOAT32, LFS_FLOAT64 };

/* The shortest decimal that reads back (correctly rounded) to the same value
 * of the given width, spelled as Python's repr() spells a float: "0.1",
 * "1.0", "-0.0", "1e+16", "1.5e-05".  NaN and infinities become NaN,
 * Infinity and -Infinity, inside double quotes when `quote_special`.  bits
 * holds the raw value in its low bits.  Returns the length (< LFS_NUM_MAX). */
size_t lfs_fmt_float(char *p, uint64_t bits, enum lfs_float_fmt fmt, int quote_special);

/* The shortest round-trip digits of a finite non-zero value: value =
 * digits * 10^exp10, digits without trailing zeros.  (Exposed for tests.) */
void lfs_float_shortest(uint64_t bits, enum lfs_float_fmt fmt, uint64_t *digits, int32_t *exp10);
/* The same by the width-generic 64-bit path (float32 has a faster one of
 * its own; tests compare the two). */
void lfs_float_shortest_generic(uint64_t bits, enum lfs_float_fmt fmt, uint64_t *digits,
				int32_t *exp10);

/* ---- render.c ---- */

enum lfs_text_style {
	LFS_STYLE_JSON, /* a JSON value */
	LFS_STYLE_TXT,  /* PostgreSQL COPY text: \N null, \\ \n \r \t escaped */
	LFS_STYLE_CSV,  /* an RFC 4180 field: quoted when needed, null empty */
};

/* Appends the value at row of col (field gives names of struct members and
 * may be NULL) in the style.  TXT and CSV take scalar types only. */
int lfs_view_render(lfs_buf *out, enum lfs_text_style style, const lfs_field *field,
		    const lfs_column *col, uint64_t row);
/* Appends s as a JSON string literal (invalid UTF-8 -> U+FFFD). */
int lfs_view_json_string(lfs_buf *out, const uint8_t *s, size_t n);
/* Appends s as a CSV field (quoted when it holds , " CR LF or is empty). */
int lfs_view_csv_string(lfs_buf *out, const uint8_t *s, size_t n);

/* Whether a type renders as one scalar (.txt and rows.csv exist for it). */
int lfs_view_type_is_scalar(const lfs_type *t);

/* Checks that a column's buffers are consistent (offsets in range and
 * monotonic, children long enough, widths right) so rendering it cannot
 * read out of bounds.  -EIO with a message otherwise. */
int lfs_view_check_column(const lfs_column *c, lfs_err *err);

/* ---- npy.c ---- */

#define LFS_NPY_MAX_DIMS 6

/* How a fixed-width field is laid out as a NumPy array. */
enum lfs_npy_conv {
	LFS_NPY_COPY,    /* the leaf values as they are */
	LFS_NPY_BOOL,    /* bit-packed booleans -> one byte each */
	LFS_NPY_WIDEN32, /* int32 -> int64 (date32 as datetime64[D]) */
};

typedef struct lfs_npy_layout {
	char descr[24];          /* "<f4", "|b1", "<M8[us]", ... */
	enum lfs_npy_conv conv;
	enum lfs_type_id leaf;   /* the element type in the column */
	uint32_t leaf_width;     /* bytes per element in the column (0 for bool) */
	uint32_t out_width;      /* bytes per element in the file */
	uint64_t per_row;        /* elements per row (product of dims) */
	uint64_t row_bytes;      /* out_width * per_row */
	int ndims;               /* dims after the row dimension */
	int fsl_dims;            /* how many of them are fixed_size_list levels */
	uint64_t dims[LFS_NPY_MAX_DIMS];
} lfs_npy_layout;

/* Fills the layout of a field's .npy; -ENOTSUP when it has none. */
int lfs_npy_layout_of(const lfs_field *field, lfs_npy_layout *out);
/* The .valid.npy layout: one '|b1' per row. */
void lfs_npy_layout_valid(lfs_npy_layout *out);
/* Appends the whole NPY header (magic, version, length, padded dict) for
 * nrows rows; the data that follows starts at a multiple of 64 bytes. */
int lfs_npy_header(lfs_buf *out, const lfs_npy_layout *lay, uint64_t nrows);

#endif
