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

/* query/ files (query.c): what was written, and what reads back.  A
 * directory of them per table; entries are reference-counted so that one
 * removed while open stays readable through its open handles. */
typedef struct lfs_qdir lfs_qdir;
typedef struct lfs_qfile lfs_qfile;

lfs_qdir *lfs_qdir_new(void);
void lfs_qdir_free(lfs_qdir *d);
/* Finds a file (a new reference) or NULL. */
lfs_qfile *lfs_qdir_get(lfs_qdir *d, const char *name);
/* Creates a file, or empties an existing one; returns a new reference. */
lfs_qfile *lfs_qdir_create(lfs_qdir *d, const char *name);
int lfs_qdir_unlink(lfs_qdir *d, const char *name);
/* Names, sorted (caller frees each and the array). */
int lfs_qdir_list(lfs_qdir *d, char ***names, size_t *n);

void lfs_qfile_release(lfs_qfile *f);
/* The size a stat shows: the results once run, else what was written. */
uint64_t lfs_qfile_size(lfs_qfile *f);
int lfs_qfile_truncate(lfs_qfile *f, uint64_t size);
int lfs_qfile_write(lfs_qfile *f, const void *data, size_t len, uint64_t off);
int lfs_qfile_read(lfs_qfile *f, uint64_t off, size_t len, void *buf, size_t *got);
/* Runs what was written with run(ctx, text, len, results, err) unless it
 * already ran since the last write; the results (or an error line) become
 * the file's contents.  Returns run's result. */
typedef int (*lfs_qfile_runner)(void *ctx, const char *text, size_t len, lfs_buf *results,
				lfs_err *err);
int lfs_qfile_run(lfs_qfile *f, lfs_qfile_runner run, void *ctx);

#endif
