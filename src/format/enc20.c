/* format/enc20: decoders for Lance 2.0 pages (footer 0.3,
 * lance.encodings.ArrayEncoding).
 *
 * Placeholder until the 2.0 decoders land: reading a 2.0 file fails
 * cleanly with -ENOTSUP naming the page's encoding. */
#include "format/file2.h"

#include <errno.h>

int lfs_enc20_decode_page(const lfs_enc20_request *req, lfs_column *out, lfs_err *err)
{
	const char *url = req->col->pages[req->page].encoding.type_url;
	(void)out;
	return lfs_fail(err, -ENOTSUP,
			"%s: column %u: Lance 2.0 pages (file version 0.3, encoding %s) cannot be decoded yet",
			lfs_f2_key(req->file), req->column, url[0] ? url : "(none)");
}
