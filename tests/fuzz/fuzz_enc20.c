/*
 * Fuzz harness for Lance 2.0 data files (format/enc20*.c through
 * format/file2.c and format/lfile.h).
 *
 * libFuzzer entry point.  A 2.0 file does not describe its own Lance schema,
 * so an input carries the manifest that does:
 *     u8  which DataFile of fragment 0 the data file is
 *     u32 (little-endian) length of the manifest file
 *     the bytes of a whole NNN.manifest file
 *     the bytes of the data file
 * Every column the DataFile holds is decoded and must either succeed with a
 * well-formed column or fail with -EIO / -ENOTSUP and a message naming the
 * file, the column and the offset (fx_fuzz_check in
 * tests/unit/test_legacy_fixture.c); anything else aborts.
 * tests/unit/test_enc20_fuzz.c replays the check over the committed files and
 * deterministic mutations of them in every `make check`, and writes seed
 * inputs in this format when FX_SEED_DIR is set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/test_legacy_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lfs_manifest *m = NULL;
	lfs_err err;
	fx_outcome out;
	uint32_t mlen;

	if (size < 5)
		return 0;
	mlen = lfs_le32(data + 1);
	if (mlen > size - 5 || lfs_manifest_parse_file(data + 5, mlen, &m, &err))
		return 0;
	if (m->n_fragments > 0 && data[0] < m->fragments[0].n_files) {
		const lfs_data_file *df = &m->fragments[0].files[data[0]];
		memset(&out, 0, sizeof(out));
		if (!fx_fuzz_check(data + 5 + mlen, size - 5 - mlen, &m->schema, df, &out)) {
			fprintf(stderr, "fuzz_enc20: %s\n", out.why);
			abort();
		}
	}
	lfs_manifest_free(m);
	return 0;
}
