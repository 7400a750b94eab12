/*
 * fs_impl: private to fs/.  The pieces fs.c assembles: row sources over a
 * version (source.c) and the JSON documents of the tree (docs.c).
 */
#ifndef LFS_FS_IMPL_H
#define LFS_FS_IMPL_H

#include "format/dataset.h"
#include "view/view.h"

/* Which rows of a version a source yields. */
enum lfs_scope { LFS_SCOPE_TABLE, LFS_SCOPE_FRAGMENT, LFS_SCOPE_DELETED };

typedef struct lfs_source lfs_source;

/* A row source over version ver: the whole table's live rows, one
 * fragment's live rows, or one fragment's deleted rows.  It keeps a
 * reference to ver. */
int lfs_source_new(lfs_version *ver, enum lfs_scope scope, size_t frag_index, lfs_source **out,
		   lfs_err *err);
void lfs_source_free(lfs_source *src);
const lfs_row_source *lfs_source_rows(const lfs_source *src);

/* JSON documents (rendered into out). */
int lfs_doc_schema(const lfs_manifest *m, lfs_buf *out);
int lfs_doc_manifest(const lfs_manifest *m, lfs_buf *out);
int lfs_doc_fragment(const lfs_manifest *m, size_t frag_index, lfs_buf *out);
int lfs_doc_index(const lfs_manifest *m, size_t index_i, lfs_buf *out);
/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" of a manifest's timestamp. */
void lfs_doc_time(int64_t seconds, int32_t nanos, char out[64]);
/* Parses an ISO 8601 time ("2026-11-20T12:00:00Z", with optional fraction
 * and offset, or a date alone) into ns since the epoch. */
int lfs_parse_iso_time(const char *s, int64_t *seconds, int32_t *nanos);

#endif
