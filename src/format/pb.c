/* format/pb: protobuf wire-format reader. See pb.h. */
#include "format/pb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lfs_pb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	const uint8_t *q = *p;
	for (int shift = 0; shift < 70; shift += 7) {
		if (q >= end)
			return -EIO;
		uint8_t b = *q++;
		if (shift == 63 && (b & 0x7e))
			return -EIO; /* more than 64 bits */
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*p = q;
			*out = v;
			return 0;
		}
	}
	return -EIO;
}

int lfs_pb_next(lfs_pb *pb, lfs_pb_field *f)
{
	uint64_t key, v;

	if (pb->p >= pb->end)
		return 0;
	if (lfs_pb_varint(&pb->p, pb->end, &key))
		return -EIO;
	if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
		return -EIO;
	memset(f, 0, sizeof(*f));
	f->number = (uint32_t)(key >> 3);
	f->wire = (enum lfs_pb_wire)(key & 7);
	switch (f->wire) {
	case LFS_PB_VARINT:
		return lfs_pb_varint(&pb->p, pb->end, &f->u64) ? -EIO : 1;
	case LFS_PB_I64:
		if (pb->end - pb->p < 8)
			return -EIO;
		memcpy(&f->u64, pb->p, 8);
		pb->p += 8;
		return 1;
	case LFS_PB_I32: {
		uint32_t w;
		if (pb->end - pb->p < 4)
			return -EIO;
		memcpy(&w, pb->p, 4);
		f->u64 = w;
		pb->p += 4;
		return 1;
	}
	case LFS_PB_LEN:
		if (lfs_pb_varint(&pb->p, pb->end, &v))
			return -EIO;
		if (v > (uint64_t)(pb->end - pb->p))
			return -EIO;
		f->bytes = pb->p;
		f->len = (size_t)v;
		pb->p += v;
		return 1;
	default:
		return -EIO; /* groups (3, 4) are not used by Lance */
	}
}

int lfs_pb_packed_varints(const lfs_pb_field *f, int (*each)(void *ctx, uint64_t v), void *ctx)
{
	if (f->wire == LFS_PB_VARINT)
		return each(ctx, f->u64);
	if (f->wire != LFS_PB_LEN)
		return -EIO;
	const uint8_t *p = f->bytes, *end = f->bytes + f->len;
	while (p < end) {
		uint64_t v;
		int rc;
		if (lfs_pb_varint(&p, end, &v))
			return -EIO;
		rc = each(ctx, v);
		if (rc)
			return rc;
	}
	return 0;
}

int lfs_pb_count_varints(const lfs_pb_field *f, size_t *n)
{
	*n = 0;
	if (f->wire == LFS_PB_VARINT) {
		*n = 1;
		return 0;
	}
	if (f->wire != LFS_PB_LEN)
		return -EIO;
	for (size_t i = 0; i < f->len; i++)
		if (!(f->bytes[i] & 0x80))
			(*n)++;
	if (f->len && (f->bytes[f->len - 1] & 0x80))
		return -EIO;
	return 0;
}

char *lfs_pb_strdup(const lfs_pb_field *f)
{
	char *s;
	if (f->wire != LFS_PB_LEN)
		return strdup("");
	s = malloc(f->len + 1);
	if (!s)
		return NULL;
	memcpy(s, f->bytes, f->len);
	s[f->len] = 0;
	return s;
}

int lfs_pb_each(const lfs_pb_field *f, int (*each)(void *ctx, const lfs_pb_field *e), void *ctx)
{
	lfs_pb sub;
	lfs_pb_field e;
	int rc;

	if (f->wire != LFS_PB_LEN)
		return -EIO;
	lfs_pb_sub(f, &sub);
	while ((rc = lfs_pb_next(&sub, &e)) > 0) {
		rc = each(ctx, &e);
		if (rc)
			return rc;
	}
	return rc;
}
