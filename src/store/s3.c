/* store/s3: S3-compatible object stores.  Not built yet (issue 5). */
#include "store/store.h"

#include <errno.h>

int lfs_store_open_s3(const char *uri, const lfs_store_opts *opts, lfs_store **out, lfs_err *err)
{
	(void)opts;
	*out = NULL;
	return lfs_fail(err, -ENOTSUP, "%s: S3 support is not built yet", uri);
}
