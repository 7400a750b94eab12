/* format/file2: placeholder until this reader lands. */
#include "format/lfile_impl.h"

#include <errno.h>

int lfs_file2_open(const lfs_lfile_ctx *ctx, void **impl, const lfs_lfile_ops **ops, lfs_err *err)
{
	(void)impl;
	(void)ops;
	return lfs_fail(err, -ENOTSUP, "%s: files of version %u.%u cannot be read yet", ctx->key,
			ctx->major, ctx->minor);
}
