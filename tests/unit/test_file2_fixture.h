/* Helpers shared by the 2.1/2.2 data-file tests: open a small dataset
 * written by LanceDB (tests/unit/data/file2/NAME: _versions/ + data/),
 * render decoded values in the canonical text of NAME.expected (written by
 * make.mjs from what LanceDB read back), and load those expectations. */
#ifndef TEST_FILE2_FIXTURE_H
#define TEST_FILE2_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "format/lfile.h"
#include "format/manifest.h"
#include "store/store.h"
#include "util/util.h"

typedef struct f2fx {
	lfs_store *store;
	lfs_manifest *manifest;
	lfs_lfile *file;            /* fragment 0, data file 0 */
	char *key;                  /* its key in the store */
} f2fx;

/* Opens dataset directory `dir`; 0 or a negative errno (err says why). */
int f2fx_open(const char *dir, f2fx *fx, lfs_err *err);
void f2fx_close(f2fx *fx);

/* Appends the canonical rendering of row `row` of col (type of field):
 * N for null, 0/1 for bool, hex bytes of fixed-width values, x + hex for
 * strings and binary, [a,b] for lists, {a,b} for structs. */
int f2fx_render(lfs_buf *out, const lfs_field *field, const lfs_column *col, uint64_t row);

/* Expected values (NAME.expected or NAME.expected.zst): per column name,
 * one string per row. */
typedef struct f2fx_col {
	char *name;
	char **rows;                /* rows share strings where values repeat */
	size_t n;
	char **owned;
	size_t n_owned;
} f2fx_col;
typedef struct f2fx_expected {
	uint64_t rows;
	f2fx_col *cols;
	size_t n;
} f2fx_expected;
int f2fx_load_expected(const char *path, f2fx_expected *e);
void f2fx_expected_free(f2fx_expected *e);
const f2fx_col *f2fx_expected_col(const f2fx_expected *e, const char *name);

/* Reads a whole file into memory (caller frees). */
uint8_t *f2fx_slurp(const char *path, size_t *len);

#endif
