/*
 * format/lfile: Lance data files (.lance) of every version — the legacy
 * format (footer 0.1/0.2), 2.0 (footer 0.3), 2.1 and 2.2 — read into
 * lfs_columns.
 *
 * Opening a file reads its footer and column-metadata offset table through
 * the store (normally the block cache); a column's metadata is read the
 * first time that column is asked for.  lfs_lfile_read fetches only the
 * pages that hold the requested rows and hands their bytes to the page
 * decoders, which are pure functions of bytes (format/encodings*.c) and do no
 * I/O.  Every decode failure is -EIO (or -ENOTSUP for an encoding lancefs
 * does not know) with a message naming the file, the column and the offset.
 *
 * An lfs_lfile is safe to read from several threads at once.
 */
#ifndef LFS_LFILE_H
#define LFS_LFILE_H

#include <stdint.h>

#include "column/column.h"
#include "format/manifest.h"
#include "store/store.h"
#include "util/util.h"

typedef struct lfs_lfile lfs_lfile;

/* Opens data file `key` (relative to the store root).  size_hint is the
 * DataFile's file_size_bytes, or 0 when unknown (then it is stat'ed).
 * The file keeps a pointer to `schema`, which must outlive it. */
int lfs_lfile_open(lfs_store *store, const char *key, uint64_t size_hint,
		   const lfs_data_file *df, const lfs_schema *schema,
		   lfs_lfile **out, lfs_err *err);
void lfs_lfile_close(lfs_lfile *f);

/* Rows in the file (all columns have this many). */
uint64_t lfs_lfile_num_rows(const lfs_lfile *f);
/* Footer version, e.g. 2.1; legacy files report 0.2 (or 0.1). */
void lfs_lfile_version(const lfs_lfile *f, uint32_t *major, uint32_t *minor);

/* Decodes rows [start, start + count) of a top-level field (with all its
 * children) into out, whose type is field->type.  The field must be one the
 * file holds (its id in df->fields). */
int lfs_lfile_read(lfs_lfile *f, const lfs_field *field, uint64_t start, uint64_t count,
		   lfs_column *out, lfs_err *err);

/* Row boundaries that make good read units for a field: the first row of
 * each page (ascending, starting with 0).  Views use them to read whole
 * pages at a time.  Caller frees *starts. */
int lfs_lfile_page_starts(lfs_lfile *f, const lfs_field *field, uint64_t **starts, size_t *n,
			  lfs_err *err);

#endif
