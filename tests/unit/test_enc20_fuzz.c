/*
 * Replays the 2.0 fuzz check (tests/fuzz/fuzz_enc20.c) in every `make check`:
 * over the committed LanceDB-written 2.0 files (tests/unit/data/v20) and
 * saved fuzzer findings (tests/unit/data/v20/fuzz/, inputs in the harness's
 * format), and over a few thousand deterministic mutations of each data file
 * — bit flips, words set to extreme values, truncations and cut-outs.  Every
 * case must decode to well-formed columns or fail with -EIO/-ENOTSUP and a
 * message naming the file, column and offset; under ASan/UBSan it must also
 * never read out of bounds.  With FX_SEED_DIR set, it writes the originals
 * as seed inputs for the libFuzzer harness there.
 */
#include "test_legacy_fixture.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATIONS_PER_FILE 2000

static const char *current_table;

/* Builds a harness input (file index, manifest, data) and runs it; also
 * saves it as a seed when FX_SEED_DIR is set. */
static void harness_entry(const fx_table *t, const lfs_data_file *df, const uint8_t *data,
			  size_t size)
{
	const lfs_fragment *fr = &t->m->fragments[0];
	char *mpath = NULL;
	uint8_t *manifest = NULL, *input = NULL;
	size_t mlen = 0;
	lfs_store_entry *ents = NULL;
	size_t n = 0;
	lfs_err err;

	/* the newest manifest, as fx_table_open found it */
	if (lfs_store_list(t->store, "_versions", &ents, &n, &err))
		return;
	for (size_t i = 0; i < n && !mpath; i++) {
		uint64_t v;
		if (lfs_version_from_filename(ents[i].name, &v) == 0 && v == t->m->version)
			mpath = lfs_key_join("_versions", ents[i].name);
	}
	lfs_store_entries_free(ents, n);
	if (!mpath || lfs_store_read_all(t->store, mpath, &manifest, &mlen, &err))
		goto out;
	input = malloc(5 + mlen + size);
	if (!input)
		goto out;
	input[0] = (uint8_t)(df - fr->files);
	input[1] = (uint8_t)mlen;
	input[2] = (uint8_t)(mlen >> 8);
	input[3] = (uint8_t)(mlen >> 16);
	input[4] = (uint8_t)(mlen >> 24);
	memcpy(input + 5, manifest, mlen);
	memcpy(input + 5 + mlen, data, size);
	LLVMFuzzerTestOneInput(input, 5 + mlen + size);
	const char *seeds = getenv("FX_SEED_DIR");
	if (seeds) {
		char *path = lfs_strdup_printf("%s/%s-%u.in", seeds, current_table, input[0]);
		FILE *fp = path ? fopen(path, "wb") : NULL;
		if (fp) {
			fwrite(input, 1, 5 + mlen + size, fp);
			fclose(fp);
		}
		free(path);
	}
out:
	free(input);
	free(manifest);
	free(mpath);
}

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
	char *datadir = lfs_strdup_printf("%s/tests/unit/data/v20", src ? src : ".");
	static const char *tables[] = { "types", "batches", "encodings" };

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		current_table = tables[i];
		fx_replay_table(datadir, tables[i], MUTATIONS_PER_FILE, harness_entry);
	}
	replay_findings(datadir);
	free(datadir);
	return fx_done();
}
