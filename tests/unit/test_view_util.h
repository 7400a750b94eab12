/*
 * Helpers for the view tests: TAP output, columns and fields built by hand,
 * and a row source that serves slices of whole in-memory columns.
 */
#ifndef TEST_VIEW_UTIL_H
#define TEST_VIEW_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "format/manifest.h"
#include "view/view.h"

/* ---- TAP ---- */
int tap_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int tap_is_str(const char *got, const char *want, const char *name);
int tap_is_mem(const void *got, size_t got_len, const void *want, size_t want_len,
	       const char *name);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns the exit status (1 if any test failed). */
int tap_done(void);

/* ---- fields (freed by t_cleanup) ---- */
/* A field of a Lance logical type ("int64", "timestamp:us:UTC", ...) with
 * nch children given after it. */
lfs_field *tf(const char *name, const char *logical, int nullable, size_t nch, ...);

/* ---- columns (freed with lfs_column_free) ---- */
lfs_type tt(const char *logical);
/* valid: one int per row (0 = null), or NULL when all are valid. */
lfs_column tc_fixed(const char *logical, uint64_t n, const void *vals, const int *valid);
lfs_column tc_bool(uint64_t n, const int *vals, const int *valid);
/* strs[i] NULL = null; lens NULL means strlen. */
lfs_column tc_var(const char *logical, uint64_t n, const char *const *strs, const size_t *lens);
lfs_column tc_list(const char *logical, uint64_t n, const uint64_t *offsets, const int *valid,
		   lfs_column child);
lfs_column tc_fsl(int32_t list_size, uint64_t n, const int *valid, lfs_column child);
lfs_column tc_struct(uint64_t n, const int *valid, uint32_t nch, const lfs_column *children);
/* A deep copy of rows [start, start + count). */
int tc_slice(const lfs_column *src, uint64_t start, uint64_t count, lfs_column *out);

/* ---- a row source over whole columns ---- */
typedef struct tsource {
	lfs_row_source rs;
	lfs_column *cols;          /* owned */
	const lfs_field **fields;
	uint64_t page;             /* chunk_hint: the rest of a page of this many rows; 0 none */
	uint64_t reads;            /* read calls so far */
	uint64_t rows_read;
	int fail_at_row;           /* read fails with -EIO when covering this row; -1 never */
} tsource;

/* Takes ownership of the columns (all of the same length). */
tsource *ts_new(size_t ncols, const lfs_field **fields, lfs_column *cols, uint64_t page);
void ts_free(tsource *s);

/* The whole file of a view, by one big read. */
uint8_t *view_all(lfs_view *v, size_t *len);
/* The whole file of a new view of kind over column col. */
char *render_view(enum lfs_view_kind kind, tsource *s, size_t col, size_t *len);

void t_cleanup(void);

#endif
