/*
 * Test helpers shared by the legacy and 2.0 file-reader tests: open a small
 * dataset written by LanceDB (tests/unit/data/...), decode its columns
 * through format/lfile.h, and render values in the canonical text form that
 * the generator script (tests/unit/data/legacy/gen.mjs) wrote for the values
 * LanceDB itself read back.
 */
#ifndef TEST_LEGACY_FIXTURE_H
#define TEST_LEGACY_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

#include "column/column.h"
#include "format/lfile.h"
#include "format/manifest.h"
#include "store/store.h"
#include "util/util.h"

/* ---- TAP ---- */
void fx_plan(int n);
int fx_ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fx_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fx_done(void); /* exit status: 0 when every test passed and the plan matched */

/* ---- a dataset directory and its newest manifest ---- */
typedef struct fx_table {
	char *dir;
	lfs_store *store;
	lfs_manifest *m;
} fx_table;

int fx_table_open(fx_table *t, const char *dir, lfs_err *err);
void fx_table_close(fx_table *t);
/* The data file of fragment 0 holding field id `id`, or NULL. */
const lfs_data_file *fx_file_for(const fx_table *t, int32_t id);
/* Opens that data file; *out NULL on error. */
int fx_open_field_file(const fx_table *t, const lfs_field *f, lfs_lfile **out, lfs_err *err);

/* ---- canonical rendering (see gen.mjs) ---- */
int fx_render(const lfs_column *c, uint64_t row, lfs_buf *out);

/* ---- expected values: lines "COLUMN\tROW\tVALUE" ---- */
typedef struct fx_expected_row {
	char *column;
	uint64_t row;
	char *value;
} fx_expected_row;

typedef struct fx_expected {
	fx_expected_row *rows;
	size_t n;
} fx_expected;

int fx_expected_load(fx_expected *e, const char *path);
void fx_expected_free(fx_expected *e);

/* Compares a whole-column decode with every expected row of `column`;
 * returns the number of mismatches (the first few are printed as diags). */
size_t fx_compare_column(const fx_expected *e, const char *column, const lfs_column *c,
			 size_t *checked);

/* An lfs_store holding one object `key` with the given bytes (not copied:
 * they must outlive the store).  Reads past the end come back short. */
lfs_store *fx_mem_store(const char *key, const uint8_t *data, size_t len);

/* ---- fuzz checks (tests/fuzz/fuzz_*.c, replayed by test_*_fuzz.c) ---- */
typedef struct fx_outcome {
	unsigned opened, open_failed, reads, read_failed;
	char last_error[512];   /* the last clean failure's message */
	char last_read_error[512]; /* the same for a failed read (not open) */
	char why[600];          /* what was wrong, when the check fails */
} fx_outcome;

#define FX_FUZZ_KEY "data/fuzz.lance"

/* Opens `data` as data file FX_FUZZ_KEY of a dataset with `schema` and
 * DataFile entry `df` (any file version), decodes every top-level column df
 * holds (whole, or both ends when the file claims very many rows, plus a
 * slice), and returns 1 when everything either succeeded with well-formed
 * columns or failed with -EIO/-ENOTSUP and a message naming the file, and for
 * a failed read the column and (for -EIO) the offset.  out->why says what
 * was wrong otherwise. */
int fx_fuzz_check(const uint8_t *data, size_t size, const lfs_schema *schema,
		  const lfs_data_file *df, fx_outcome *out);

/* Renders rows [start, start + count) of `whole` and of `part`; 1 when equal. */
int fx_same_rows(const lfs_column *whole, uint64_t start, const lfs_column *part, uint64_t count);

/* Decodes every top-level column of table NAME (DATADIR/NAME.lance) and
 * compares it with DATADIR/NAME.expected; reads each slice {start, count}
 * that fits and compares it with the same rows of the whole read; checks the
 * file version and that page starts ascend from 0.  Prints TAP lines. */
void fx_check_table(const char *datadir, const char *name, uint32_t major, uint32_t minor,
		    const uint64_t (*slices)[2], size_t n_slices);

/* Writes mutation number `kind` of orig into buf (size bytes) and returns the
 * new size: 1-3 bit flips, a 4- or 8-byte word set to an extreme value, a
 * truncation, or bytes cut out before the footer (kind % 4).  Positions are
 * half the time in the file's last quarter, where the metadata lives.
 * The choices come from a deterministic generator seeded by fx_mutate_seed. */
void fx_mutate_seed(uint64_t seed);
size_t fx_mutate(const uint8_t *orig, size_t size, uint8_t *buf, unsigned kind, char *what,
		 size_t what_len);

/* For every data file of fragment 0 of DATADIR/NAME.lance: checks that the
 * original decodes without failure (fx_fuzz_check), passes it to `entry`
 * (the libFuzzer entry point, may be NULL), then checks `mutations`
 * deterministic mutations of it.  Prints TAP lines. */
void fx_replay_table(const char *datadir, const char *name, unsigned mutations,
		     void (*entry)(const fx_table *t, const lfs_data_file *df, const uint8_t *data,
				   size_t size));

/* Reads a whole file into memory. */
int fx_read_file(const char *path, uint8_t **data, size_t *len);

#endif
