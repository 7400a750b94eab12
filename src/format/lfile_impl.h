/*
 * format/lfile_impl: private to format/.  lfile.c opens a data file, reads
 * its tail, and hands it to the reader for its version:
 *   - legacy files (footer 0.1 / 0.2): format/legacy.c
 *   - v2 container (footer 0.3 = "2.0", 2.1, 2.2): format/file2.c, which
 *     decodes 2.0 pages with format/enc20*.c and 2.1/2.2 pages with
 *     format/enc21*.c.
 * Each reader fills an lfs_lfile_ops table; lfile.c dispatches to it.
 */
#ifndef LFS_LFILE_IMPL_H
#define LFS_LFILE_IMPL_H

#include "format/lfile.h"

/* What every reader is given when lfile.c opens a file. */
typedef struct lfs_lfile_ctx {
	lfs_store *store;
	const char *key;             /* object key, for reads and messages */
	uint64_t size;               /* object size */
	const uint8_t *tail;         /* the last tail_len bytes of the file */
	size_t tail_len;             /* min(size, 64 KiB) */
	uint16_t major, minor;       /* from the last 8 bytes */
	const lfs_data_file *df;     /* the manifest's DataFile entry */
	const lfs_schema *schema;
} lfs_lfile_ctx;

typedef struct lfs_lfile_ops {
	int (*read)(void *impl, const lfs_field *field, uint64_t start, uint64_t count,
		    lfs_column *out, lfs_err *err);
	int (*page_starts)(void *impl, const lfs_field *field, uint64_t **starts, size_t *n,
			   lfs_err *err);
	uint64_t (*num_rows)(const void *impl);
	void (*close)(void *impl);
} lfs_lfile_ops;

/* Each reader's open: on success sets *impl and *ops. */
int lfs_legacy_open(const lfs_lfile_ctx *ctx, void **impl, const lfs_lfile_ops **ops, lfs_err *err);
int lfs_file2_open(const lfs_lfile_ctx *ctx, void **impl, const lfs_lfile_ops **ops, lfs_err *err);

#endif
