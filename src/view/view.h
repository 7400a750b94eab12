/*
 * view: renderings of columns and rows as the files a user reads —
 * data/NAME.jsonl, .txt, .npy, .valid.npy, .bin, rows.jsonl and rows.csv
 * (the formats are defined in DESIGN.md section 1 and doc/lancefs.1).
 *
 * A view reads rows from an lfs_row_source (a version of a table, one
 * fragment, or a fragment's deleted rows) and serves any byte range of its
 * rendering.  Binary views (npy, valid.npy, bin) map bytes to rows by
 * arithmetic, so their size is known without reading data and a range read
 * decodes only the rows under it.  Text views build a sparse row -> byte
 * index as they render (one entry per chunk of rows), so reading the head is
 * cheap and reading the tail costs at most one pass; the exact size is known
 * after one pass.
 *
 * Views do no decoding of their own: the row source returns lfs_columns.
 * A view is safe to use from several threads at once.
 */
#ifndef LFS_VIEW_H
#define LFS_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "format/manifest.h"
#include "util/util.h"

/* Where rows come from.  Row numbers are logical (deleted rows already left
 * out), 0 .. nrows-1, in scan order. */
typedef struct lfs_row_source {
	void *ctx;
	uint64_t nrows;
	size_t ncols;
	const lfs_field *const *fields;   /* top-level fields, one per column */
	/* Decodes rows [row, row + count) of column col into out (whose memory
	 * the view then owns and frees with lfs_column_free). */
	int (*read)(void *ctx, size_t col, uint64_t row, uint64_t count, lfs_column *out,
		    lfs_err *err);
	/* Optional: a good number of rows to read at once starting at row (the
	 * rest of the page holding it); 0 or NULL means the view chooses. */
	uint64_t (*chunk_hint)(void *ctx, size_t col, uint64_t row);
	/* Optional: the LanceDB _rowid of rows [row, row + count) into out
	 * ((fragment id << 32) | physical offset without stable row ids). */
	int (*rowids)(void *ctx, uint64_t row, uint64_t count, uint64_t *out, lfs_err *err);
} lfs_row_source;

enum lfs_view_kind {
	LFS_VIEW_JSONL,      /* data/NAME.jsonl */
	LFS_VIEW_TXT,        /* data/NAME.txt */
	LFS_VIEW_NPY,        /* data/NAME.npy */
	LFS_VIEW_VALID_NPY,  /* data/NAME.valid.npy */
	LFS_VIEW_BIN,        /* data/NAME.bin */
	LFS_VIEW_ROWS_JSONL, /* rows.jsonl (all columns) */
	LFS_VIEW_ROWS_CSV,   /* rows.csv (scalar columns) */
};

typedef struct lfs_view lfs_view;

/* Whether a per-column view exists for this field (e.g. no .npy for
 * strings, .valid.npy only for nullable fixed-width fields, .txt only for
 * scalars). */
int lfs_view_applies(enum lfs_view_kind kind, const lfs_field *field);
/* The file name suffix of a kind: ".jsonl", ".valid.npy", ... */
const char *lfs_view_suffix(enum lfs_view_kind kind);

/* col is ignored for the rows.* kinds.  The source must outlive the view. */
int lfs_view_new(enum lfs_view_kind kind, const lfs_row_source *src, size_t col,
		 lfs_view **out, lfs_err *err);
void lfs_view_free(lfs_view *v);
/* True when the size is known without decoding (binary views, or a text
 * view whose pass is done). */
int lfs_view_size_is_cheap(const lfs_view *v);
/* The exact size in bytes; a text view may render everything once. */
int lfs_view_size(lfs_view *v, uint64_t *size, lfs_err *err);
/* Copies bytes [off, off + len) into buf; *got < len only at the end. */
int lfs_view_read(lfs_view *v, uint64_t off, size_t len, void *buf, size_t *got, lfs_err *err);

/* Releases the decoded and rendered chunks a view keeps for the next read
 * (e.g. when the last handle on its file closes); the sparse index of a
 * text view and its known size stay. */
void lfs_view_drop_cache(lfs_view *v);

/* One value as a JSON text, as the .jsonl files render it (exposed for the
 * query/ results, which use the same rendering). */
int lfs_view_json_value(lfs_buf *out, const lfs_field *field, const lfs_column *col, uint64_t row);

#endif
