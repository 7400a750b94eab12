/*
 * column: the decoded in-memory column, and the types its values have.
 *
 * Decoders (format/) produce lfs_columns; views (view/) and search (search/)
 * consume them.  The layout follows Arrow's, simplified so that consumers
 * need few cases:
 *   - validity is an LSB-first bitmap (Arrow's), or NULL when every slot is valid;
 *   - fixed-width values (ints, floats, float16, dates, times, timestamps,
 *     durations, decimals, fixed_size_binary) are packed little-endian in
 *     `values`, `width` bytes each; null slots hold zero bytes;
 *   - bool values are a bitmap in `values` (width 0; use lfs_column_bool);
 *   - variable-width values (utf8, binary and their large forms) have
 *     length + 1 offsets (always 64-bit) into `data`;
 *   - list and large_list have length + 1 offsets into their one child;
 *   - fixed_size_list has one child of length * list_size rows;
 *   - struct has one child per field, each of the struct's length;
 *   - map is a list whose one child is a struct of (key, value);
 *   - dictionary-typed columns are decoded to their values (type of the values).
 * A column owns all its memory; lfs_column_free releases it.
 */
#ifndef LFS_COLUMN_H
#define LFS_COLUMN_H

#include <stddef.h>
#include <stdint.h>

enum lfs_type_id {
	LFS_T_NULL = 0,
	LFS_T_BOOL,
	LFS_T_INT8, LFS_T_INT16, LFS_T_INT32, LFS_T_INT64,
	LFS_T_UINT8, LFS_T_UINT16, LFS_T_UINT32, LFS_T_UINT64,
	LFS_T_FLOAT16, LFS_T_FLOAT32, LFS_T_FLOAT64,
	LFS_T_DATE32,      /* days since the epoch, int32 */
	LFS_T_DATE64,      /* ms since the epoch, int64 */
	LFS_T_TIME32,      /* unit s or ms, int32 */
	LFS_T_TIME64,      /* unit us or ns, int64 */
	LFS_T_TIMESTAMP,   /* int64 in unit, tz optional */
	LFS_T_DURATION,    /* int64 in unit */
	LFS_T_DECIMAL128,  /* 16-byte two's complement, precision and scale */
	LFS_T_DECIMAL256,  /* 32-byte two's complement */
	LFS_T_UTF8, LFS_T_LARGE_UTF8,
	LFS_T_BINARY, LFS_T_LARGE_BINARY,
	LFS_T_FIXED_SIZE_BINARY, /* byte_width bytes */
	LFS_T_FIXED_SIZE_LIST,   /* list_size items of the child type */
	LFS_T_LIST, LFS_T_LARGE_LIST,
	LFS_T_STRUCT,
	LFS_T_MAP,
};

enum lfs_time_unit { LFS_UNIT_S = 0, LFS_UNIT_MS, LFS_UNIT_US, LFS_UNIT_NS, LFS_UNIT_DAY };

/* A type without pointers: nested types get their children's types from the
 * schema's field tree (format/), so this stays a plain value. */
typedef struct lfs_type {
	enum lfs_type_id id;
	enum lfs_time_unit unit;  /* time, timestamp, duration, date */
	char tz[48];              /* timestamp time zone, "" when none */
	int32_t byte_width;       /* fixed_size_binary width; decimal 16 or 32 */
	int32_t list_size;        /* fixed_size_list dimension */
	int32_t precision, scale; /* decimal */
	int is_dictionary;        /* the column was dictionary-typed in Arrow */
} lfs_type;

typedef struct lfs_column {
	lfs_type type;
	uint64_t length;       /* rows */
	uint64_t null_count;
	uint8_t *validity;     /* bitmap of length bits, NULL = all valid */
	uint8_t *values;       /* fixed width: length * width bytes; bool: bitmap */
	uint32_t width;        /* bytes per value for fixed-width types, else 0 */
	uint64_t *offsets;     /* var-width and list types: length + 1 entries */
	uint8_t *data;         /* var-width bytes */
	uint64_t data_len;
	uint32_t n_children;
	struct lfs_column *children;
} lfs_column;

/* Bytes per value of a fixed-width type (0 for bool and non-fixed types). */
uint32_t lfs_type_width(const lfs_type *t);
int lfs_type_is_fixed_width(const lfs_type *t);   /* includes bool */
int lfs_type_is_var_width(const lfs_type *t);     /* utf8, binary and large forms */
int lfs_type_is_nested(const lfs_type *t);        /* lists, fsl, struct, map */
/* The Arrow-ish name of a type, for schema.json ("int64", "timestamp[us, tz=UTC]", ...). */
const char *lfs_type_name(enum lfs_type_id id);

static inline int lfs_bit_get(const uint8_t *bits, uint64_t i)
{
	return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void lfs_bit_set(uint8_t *bits, uint64_t i, int v)
{
	if (v)
		bits[i >> 3] |= (uint8_t)(1u << (i & 7));
	else
		bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
static inline int lfs_column_is_valid(const lfs_column *c, uint64_t i)
{
	return c->validity == NULL || lfs_bit_get(c->validity, i);
}
static inline int lfs_column_bool(const lfs_column *c, uint64_t i)
{
	return lfs_bit_get(c->values, i);
}

void lfs_column_init(lfs_column *c, const lfs_type *type);
void lfs_column_free(lfs_column *c);
/* Allocates zeroed buffers for `length` rows of the column's (flat) type:
 * values for fixed width, offsets for var width and lists, a validity
 * bitmap when with_validity.  Returns 0 or -ENOMEM / -EOVERFLOW. */
int lfs_column_alloc(lfs_column *c, uint64_t length, int with_validity);
int lfs_column_alloc_children(lfs_column *c, uint32_t n);
/* Appends rows [start, start+count) of src to dst (same type); used to
 * stitch pages and fragments together. */
int lfs_column_append(lfs_column *dst, const lfs_column *src, uint64_t start, uint64_t count);
/* Keeps only the rows whose bit is set in keep (length bits), in order. */
int lfs_column_filter(lfs_column *c, const uint8_t *keep);
/* Recounts null_count from validity (and drops an all-valid bitmap). */
void lfs_column_finish_validity(lfs_column *c);

#endif
