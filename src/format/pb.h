/*
 * format/pb: a small, bounds-checked protobuf wire-format reader.
 *
 * Lance keeps its manifests and column metadata as protobuf messages.  We
 * read them field by field rather than through generated code: a message is
 * a byte range, lfs_pb_next walks it, and every length is checked against
 * what is left, so damaged bytes give -EIO and never a read out of bounds.
 * Unknown fields are skipped, which is what protobuf readers must do.
 */
#ifndef LFS_PB_H
#define LFS_PB_H

#include <stddef.h>
#include <stdint.h>

enum lfs_pb_wire { LFS_PB_VARINT = 0, LFS_PB_I64 = 1, LFS_PB_LEN = 2, LFS_PB_I32 = 5 };

typedef struct lfs_pb {
	const uint8_t *p, *end;
} lfs_pb;

/* One field as read from the wire. */
typedef struct lfs_pb_field {
	uint32_t number;
	enum lfs_pb_wire wire;
	uint64_t u64;            /* VARINT, I64, I32 values */
	const uint8_t *bytes;    /* LEN: the payload */
	size_t len;
} lfs_pb_field;

static inline void lfs_pb_init(lfs_pb *pb, const void *data, size_t len)
{
	pb->p = data;
	pb->end = len ? pb->p + len : pb->p; /* NULL + 0 is undefined in C */
}
/* 1 when a field was read, 0 at the end of the message, -EIO when damaged. */
int lfs_pb_next(lfs_pb *pb, lfs_pb_field *f);
/* Reads a varint from [*p, end); -EIO if it runs off the end or is too long. */
int lfs_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out);
/* Packed repeated varints: calls back for each (also accepts a lone VARINT). */
int lfs_pb_packed_varints(const lfs_pb_field *f, int (*each)(void *ctx, uint64_t v), void *ctx);
/* Counts the values of a packed varint field, or 1 for an unpacked one. */
int lfs_pb_count_varints(const lfs_pb_field *f, size_t *n);
/* Copies a LEN field into a fresh NUL-terminated string (caller frees). */
char *lfs_pb_strdup(const lfs_pb_field *f);
/* Calls each(ctx, field) for every field of the sub-message f holds, in
 * order; -EIO when f is not a LEN field or the sub-message is damaged, and
 * each's first non-zero result stops the walk and is returned. */
int lfs_pb_each(const lfs_pb_field *f, int (*each)(void *ctx, const lfs_pb_field *e), void *ctx);
/* A sub-message reader over a LEN field. */
static inline void lfs_pb_sub(const lfs_pb_field *f, lfs_pb *out) { lfs_pb_init(out, f->bytes, f->len); }
static inline int64_t lfs_pb_zigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

#endif
