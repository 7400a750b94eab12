/*
 * format/enc20: private to format/ — decoders for Lance 2.0 data files
 * (footer 0.3, LanceDB storage version "2.0").
 *
 * A 2.0 file gives every field one column (DataFile.column_indices), in
 * schema order: a struct has a header column with no data and its children
 * have their own; a list has a column of offsets pages and its item field
 * has its own columns; fixed-size lists of fixed-width values, packed
 * structs and blobs are one column.  Each page's encoding is a
 * lance.encodings.ArrayEncoding tree (protos/encodings_v2_0.proto):
 * nullable (no / some / all nulls), flat (with optional zstd / lz4),
 * fixed-size list, binary (end offsets + bytes, nulls as an adjustment),
 * dictionary, FSST, fixed-size binary, packed struct, bitpacked, bitpacked
 * for non-negative values (FastLanes) and constant.
 *
 * enc20.c decodes one page's ArrayEncoding for a range of its rows into an
 * lfs_column (pure decoding: bytes come through lfs_f2_read of file2.h);
 * enc20_field.c walks a field's columns (struct children, list items,
 * pages) and implements lfs_enc20_decode_page, file2.c's hook.
 */
#ifndef LFS_ENC20_H
#define LFS_ENC20_H

#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "format/file2.h"
#include "format/manifest.h"
#include "format/pb.h"
#include "util/util.h"

/* ArrayEncoding oneof field numbers. */
enum e20_kind {
	E20_FLAT = 1, E20_NULLABLE = 2, E20_FSL = 3, E20_LIST = 4, E20_STRUCT = 5,
	E20_BINARY = 6, E20_DICTIONARY = 7, E20_FSST = 8, E20_PACKED_STRUCT = 9,
	E20_BITPACKED = 10, E20_FIXED_SIZE_BINARY = 11, E20_BITPACKED_NON_NEG = 12,
	E20_CONSTANT = 13,
};

/* The name of an ArrayEncoding kind, for messages. */
const char *e20_kind_name(uint32_t kind);

/* lfs_pb_init for a message that may be absent (NULL, 0): an empty one. */
static inline void e20_pb_init(lfs_pb *pb, const uint8_t *msg, size_t len)
{
	static const uint8_t none[1];
	lfs_pb_init(pb, msg ? msg : none, msg ? len : 0);
}

/* Reads the oneof of an ArrayEncoding message: its field number and body.
 * -EIO when the bytes are not one well-formed ArrayEncoding. */
int e20_array_kind(const uint8_t *enc, size_t len, uint32_t *kind, const uint8_t **body,
		   size_t *body_len);

/* The page whose rows are being decoded, for its buffers and messages. */
typedef struct e20_page {
	lfs_f2_file *file;
	uint32_t column;
	const lfs_f2_column *col;
	size_t index;                /* page index in col */
	const lfs_f2_page *page;
	const lfs_field *field;      /* the field the column belongs to (messages) */
} e20_page;

/* What to decode into.  `type` is the output type; `field` gives nested
 * types (fixed-size list items, struct children) and may be NULL for flat
 * types.  With `ints` set, any integer encoding is decoded to UINT64
 * values whatever its stored width (offsets, indices). */
typedef struct e20_target {
	const lfs_type *type;
	const lfs_field *field;
	int ints;
} e20_target;

/* Decodes rows [a, e) of a page from the ArrayEncoding `enc` into out
 * (initialized here).  Reads only the bytes of those rows where the
 * encoding allows (compressed buffers are read whole). */
int e20_decode_array(const e20_page *pg, const uint8_t *enc, size_t len, const e20_target *t,
		     uint64_t a, uint64_t e, lfs_column *out, lfs_err *err);

/* Fails with `code`, naming the file, the column (field path and column
 * index), the page and the file offset. */
int e20_fail(const e20_page *pg, lfs_err *err, int code, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Reads rows [row0, row0 + count) of a field (and its children) from its
 * column(s) of a 2.0 file; rows are counted in the field's own column
 * (list items for a list's child).  enc20_field.c. */
int e20_read_field(lfs_f2_file *f, const lfs_field *field, uint64_t row0, uint64_t count,
		   lfs_column *out, lfs_err *err);

#endif
