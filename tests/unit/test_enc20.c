/*
 * Lance 2.0 data files (footer 0.3) written by LanceDB 0.37.1 with
 * new_table_data_storage_version = "2.0": every column decodes to exactly
 * the values LanceDB read back (tests/unit/data/v20/NAME.expected), across
 * pages of different sizes per column, and slices at odd offsets equal the
 * same rows of a whole read.  The encodings table covers what field metadata
 * makes the writer choose: zstd / lz4 / FSST strings, dictionaries, a packed
 * struct and a blob column.
 */
#include "test_legacy_fixture.h"

#include <stdlib.h>

static const uint64_t slices[][2] = {
	{ 0, 1 }, { 1, 2 }, { 3, 7 }, { 5, 0 }, { 13, 6 }, { 19, 1 }, { 41, 200 },
	{ 59, 3 }, { 233, 3 }, { 161, 2 }, { 299, 1 }, { 100, 200 },
	{ 419, 2 }, { 1019, 11 }, { 1023, 2 }, { 1000, 1100 }, { 2047, 53 },
	{ 2099, 1 }, { 7, 2093 }, { 517, 1031 },
};

int main(void)
{
	const char *src = getenv("top_srcdir");
	char *datadir = lfs_strdup_printf("%s/tests/unit/data/v20", src ? src : ".");
	size_t n = sizeof(slices) / sizeof(slices[0]);

	fx_check_table(datadir, "types", 0, 3, slices, n);
	fx_check_table(datadir, "batches", 0, 3, slices, n);
	fx_check_table(datadir, "encodings", 0, 3, slices, n);
	free(datadir);
	return fx_done();
}
