/* format/lfile: opens a data file and dispatches to the reader for its
 * version (legacy.c or file2.c). See lfile.h and lfile_impl.h. */
#include "format/lfile_impl.h"

#include <errno.h>
#include <stdlib.h>

#define TAIL_MAX (64 * 1024)

struct lfs_lfile {
	void *impl;
	const lfs_lfile_ops *ops;
	uint16_t major, minor;
};

int lfs_lfile_open(lfs_store *store, const char *key, uint64_t size_hint,
		   const lfs_data_file *df, const lfs_schema *schema,
		   lfs_lfile **out, lfs_err *err)
{
	lfs_lfile_ctx ctx = { .store = store, .key = key, .df = df, .schema = schema };
	uint8_t *tail = NULL;
	lfs_lfile *f = NULL;
	int rc;

	*out = NULL;
	ctx.size = size_hint;
	if (ctx.size == 0) {
		lfs_object_info info;
		rc = lfs_store_stat(store, key, &info, err);
		if (rc)
			return rc;
		ctx.size = info.size;
	}
	if (ctx.size < 16)
		return lfs_fail(err, -EIO, "%s: %llu bytes is too small for a Lance file", key,
				(unsigned long long)ctx.size);
	ctx.tail_len = ctx.size < TAIL_MAX ? (size_t)ctx.size : TAIL_MAX;
	tail = malloc(ctx.tail_len);
	if (!tail)
		return lfs_fail(err, -ENOMEM, "%s: out of memory", key);
	rc = lfs_store_read_exact(store, key, ctx.size - ctx.tail_len, tail, ctx.tail_len, err);
	if (rc)
		goto out;
	ctx.tail = tail;
	if (memcmp(tail + ctx.tail_len - 4, "LANC", 4) != 0) {
		rc = lfs_fail(err, -EIO, "%s: no LANC magic at the end (offset %llu): not a Lance file",
			      key, (unsigned long long)(ctx.size - 4));
		goto out;
	}
	ctx.major = lfs_le16(tail + ctx.tail_len - 8);
	ctx.minor = lfs_le16(tail + ctx.tail_len - 6);
	f = calloc(1, sizeof(*f));
	if (!f) {
		rc = lfs_fail(err, -ENOMEM, "%s: out of memory", key);
		goto out;
	}
	f->major = ctx.major;
	f->minor = ctx.minor;
	lfs_io_set_exact(1);
	if (ctx.major == 0 && (ctx.minor == 1 || ctx.minor == 2))
		rc = lfs_legacy_open(&ctx, &f->impl, &f->ops, err);
	else if ((ctx.major == 0 && ctx.minor == 3) || (ctx.major == 2 && ctx.minor <= 2))
		rc = lfs_file2_open(&ctx, &f->impl, &f->ops, err);
	else
		rc = lfs_fail(err, -ENOTSUP, "%s: Lance file version %u.%u is not supported", key,
			      ctx.major, ctx.minor);
	lfs_io_set_exact(0);
	if (rc) {
		free(f);
		f = NULL;
	}
out:
	free(tail);
	*out = f;
	return rc;
}

void lfs_lfile_close(lfs_lfile *f)
{
	if (!f)
		return;
	f->ops->close(f->impl);
	free(f);
}

uint64_t lfs_lfile_num_rows(const lfs_lfile *f) { return f->ops->num_rows(f->impl); }

void lfs_lfile_version(const lfs_lfile *f, uint32_t *major, uint32_t *minor)
{
	*major = f->major;
	*minor = f->minor;
}

int lfs_lfile_read(lfs_lfile *f, const lfs_field *field, uint64_t start, uint64_t count,
		   lfs_column *out, lfs_err *err)
{
	uint64_t end;
	if (lfs_add_u64(start, count, &end) || end > lfs_lfile_num_rows(f))
		return lfs_fail(err, -EINVAL, "rows %llu+%llu are past the file's %llu rows",
				(unsigned long long)start, (unsigned long long)count,
				(unsigned long long)lfs_lfile_num_rows(f));
	/* pages are read whole: nothing to gain from the cache reading ahead */
	lfs_io_set_exact(1);
	int rc = f->ops->read(f->impl, field, start, count, out, err);
	lfs_io_set_exact(0);
	if (rc == -EIO)
		lfs_stat_add(decode_errors, 1);
	return rc;
}

int lfs_lfile_page_starts(lfs_lfile *f, const lfs_field *field, uint64_t **starts, size_t *n,
			  lfs_err *err)
{
	lfs_io_set_exact(1);
	int rc = f->ops->page_starts(f->impl, field, starts, n, err);
	lfs_io_set_exact(0);
	return rc;
}
