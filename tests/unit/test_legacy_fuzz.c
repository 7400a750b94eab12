/*
 * Replays the legacy fuzz check (tests/fuzz/fuzz_legacy.c) in every
 * `make check`: over the committed LanceDB-written data files, over saved
 * fuzzer findings (tests/unit/data/legacy/fuzz/, if any), and over a few
 * thousand deterministic mutations of the real files — bit flips, 64-bit
 * words overwritten with extreme values, truncations and cut-outs.  Every
 * case must decode to well-formed columns or fail with -EIO/-ENOTSUP and a
 * message naming the file and column; run under ASan/UBSan it must also
 * never read out of bounds.  (Flipped bits inside the values themselves
 * decode to other values: legacy files carry no checksums.)
 */
#include "test_legacy_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATIONS_PER_FILE 3000

static void embedded_entry(const fx_table *t, const lfs_data_file *df, const uint8_t *data,
			   size_t size)
{
	(void)t;
	(void)df;
	/* the legacy harness reads the schema the file carries */
	LLVMFuzzerTestOneInput(data, size);
}

/* Inputs the fuzzer once found troublesome, kept as regression cases. */
static void replay_findings(const char *datadir)
{
	char *dir = lfs_strdup_printf("%s/fuzz", datadir);
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d))) {
		char *path;
		uint8_t *data;
		size_t size;
		if (de->d_name[0] == '.')
			continue;
		path = lfs_strdup_printf("%s/%s", dir, de->d_name);
		if (path && fx_read_file(path, &data, &size) == 0) {
			LLVMFuzzerTestOneInput(data, size);
			free(data);
			n++;
		}
		free(path);
	}
	if (d)
		closedir(d);
	fx_ok(1, "%u saved fuzzer findings replayed without a crash", n);
	free(dir);
}

int main(void)
{
	const char *src = getenv("top_srcdir");
	char *datadir = lfs_strdup_printf("%s/tests/unit/data/legacy", src ? src : ".");

	fx_replay_table(datadir, "types", MUTATIONS_PER_FILE, embedded_entry);
	fx_replay_table(datadir, "batches", MUTATIONS_PER_FILE, embedded_entry);
	replay_findings(datadir);
	free(datadir);
	return fx_done();
}
