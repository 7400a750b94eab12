/*
 * format/file2: private to format/ — the Lance v2 file container (footer
 * 0.3 = "2.0", 2.1, 2.2) as its page decoders see it.
 *
 * file2.c parses the footer, the column-metadata offset table and the
 * global-buffer table when a file is opened, and each column's
 * ColumnMetadata protobuf the first time that column is asked for.  A
 * parsed column lists its pages: for each page its first row, its row
 * count, its buffers as (absolute file position, size) and its encoding as
 * the raw bytes of a protobuf Any (type URL + value).  Page decoders read
 * buffer bytes with lfs_f2_read, which checks every range against the file.
 *
 * Decoders for 2.0 pages (ArrayEncoding, format/enc20*.c) and for 2.1/2.2
 * pages (PageLayout, format/enc21*.c) both work from these structures.
 * Everything returned here is immutable once returned and lives as long as
 * the file; all functions are safe to call from several threads.
 */
#ifndef LFS_FILE2_H
#define LFS_FILE2_H

#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "format/manifest.h"
#include "store/store.h"
#include "util/util.h"

/* A byte range of the file: absolute position and size. */
typedef struct lfs_f2_buf {
	uint64_t pos, size;
} lfs_f2_buf;

/* A protobuf Any: the type URL (NUL-terminated, e.g.
 * "/lance.encodings21.PageLayout") and the encoded message. */
typedef struct lfs_f2_any {
	const char *type_url;       /* "" when the encoding is absent */
	const uint8_t *value;
	size_t value_len;
} lfs_f2_any;

/* One page of one column. */
typedef struct lfs_f2_page {
	uint64_t first_row;         /* row of the file where the page starts */
	uint64_t num_rows;          /* ColumnMetadata.Page.length */
	uint64_t priority;
	const lfs_f2_buf *bufs;     /* the page's buffers, in order */
	size_t n_bufs;
	lfs_f2_any encoding;        /* ArrayEncoding (2.0) or PageLayout (2.1+) */
	uint64_t meta_offset;       /* file offset of this page's metadata, for messages */
} lfs_f2_page;

/* One column: its pages (ascending first_row, contiguous) and buffers. */
typedef struct lfs_f2_column {
	uint32_t index;
	const lfs_f2_page *pages;
	size_t n_pages;
	uint64_t num_rows;          /* sum of the pages' rows */
	const lfs_f2_buf *bufs;     /* column buffers (ColumnMetadata.buffer_*) */
	size_t n_bufs;
	lfs_f2_any encoding;        /* ColumnMetadata.encoding (2.0 ColumnEncoding) */
	uint64_t meta_offset;       /* file offset of the ColumnMetadata */
	/* A slot for page decoders to cache per-page state built from the page's
	 * bytes (chunk tables, dictionaries, repetition indices); see
	 * lfs_f2_page_cache.  One slot per page, NULL until set. */
	void **page_cache;
} lfs_f2_column;

typedef struct lfs_f2_file lfs_f2_file;

/* The object key, footer version and counts. */
const char *lfs_f2_key(const lfs_f2_file *f);
void lfs_f2_version(const lfs_f2_file *f, uint16_t *major, uint16_t *minor);
uint32_t lfs_f2_num_columns(const lfs_f2_file *f);
uint64_t lfs_f2_num_rows(const lfs_f2_file *f);
uint64_t lfs_f2_size(const lfs_f2_file *f);
const lfs_data_file *lfs_f2_data_file(const lfs_f2_file *f);

/* The parsed metadata of column `col` (read and parsed on first use). */
int lfs_f2_column_get(lfs_f2_file *f, uint32_t col, const lfs_f2_column **out, lfs_err *err);

/* Global buffer `i` as a file range. */
int lfs_f2_global_buffer(const lfs_f2_file *f, uint32_t i, lfs_f2_buf *out, lfs_err *err);

/* Reads [pos, pos + len) of the file into dst; -EIO (naming the file, the
 * column `col` for the message and the offset) if the range is outside the
 * file. */
int lfs_f2_read(lfs_f2_file *f, uint32_t col, uint64_t pos, uint64_t len, void *dst, lfs_err *err);
/* The same into a fresh buffer (caller frees); len may be 0. */
int lfs_f2_read_alloc(lfs_f2_file *f, uint32_t col, uint64_t pos, uint64_t len, uint8_t **out,
		      lfs_err *err);

/* Per-page cached state: returns the state stored for page `page` of column
 * `col`, building it with build(ctx, &state) under no lock if absent (two
 * threads may build at once; one result is kept, the other is released with
 * destroy).  The state lives until the file is closed. */
int lfs_f2_page_cache(lfs_f2_file *f, const lfs_f2_column *col, size_t page,
		      int (*build)(void *ctx, void **state, lfs_err *err), void *ctx,
		      void (*destroy)(void *state), void **out, lfs_err *err);

/* Index of the page holding row `row` of a column (row < num_rows). */
size_t lfs_f2_find_page(const lfs_f2_column *c, uint64_t row);

/* The column index of a schema field in this data file (DataFile.fields /
 * column_indices); -ENOENT when the file does not hold the field. */
int lfs_f2_field_column(const lfs_f2_file *f, int32_t field_id, uint32_t *col);

/* ---- 2.0 pages (footer 0.3): implemented in format/enc20*.c ----
 *
 * file2.c reads a top-level field of a 0.3 file page by page along the
 * field's first column (the column DataFile.column_indices gives for the
 * field's id) and calls this hook once per page that holds requested rows.
 * The decoder fills `out` (initialized with field->type, empty) with exactly
 * req->count rows of the field, all its children included; it may read any
 * other column of the file (children, list items) through req->file.
 * file2.c concatenates the pages' results. */
typedef struct lfs_enc20_request {
	lfs_f2_file *file;
	const lfs_field *field;      /* the top-level field */
	uint32_t column;             /* the field's first column */
	const lfs_f2_column *col;    /* that column's metadata */
	size_t page;                 /* index of the page in col->pages */
	uint64_t start;              /* first row wanted, relative to the page */
	uint64_t count;              /* rows wanted (start + count <= page rows) */
} lfs_enc20_request;

int lfs_enc20_decode_page(const lfs_enc20_request *req, lfs_column *out, lfs_err *err);

#endif
