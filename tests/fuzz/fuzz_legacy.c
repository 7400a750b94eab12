/*
 * Fuzz harness for legacy data files (format/legacy.c, through format/lfile.h).
 *
 * libFuzzer entry point: the input is a whole legacy .lance file; its own
 * embedded schema (the manifest the writer puts in every legacy file) says
 * what the columns are, and every field id it lists is taken as held by the
 * file.  Each top-level column is decoded (whole, or its ends when the file
 * claims very many rows) and must either succeed with a well-formed column or
 * fail with -EIO / -ENOTSUP and a message naming the file and the column.
 * Anything else aborts, which libFuzzer reports.
 *
 * The check itself is fx_fuzz_check() (tests/unit/test_legacy_fixture.c); tests/unit/test_legacy_fuzz.c replays it over committed files and
 * deterministic mutations of them in every `make check`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/pb.h"
#include "../unit/test_legacy_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The schema a legacy file carries for itself: the manifest at
 * Metadata.manifest_position.  Returns NULL when it cannot be found. */
static lfs_manifest *embedded_schema(const uint8_t *data, size_t size)
{
	uint64_t meta, mlen, pos, plen;
	lfs_manifest *m = NULL;
	lfs_err err;

	if (size < 20)
		return NULL;
	meta = lfs_le64(data + size - 16);
	if (meta > size - 20)
		return NULL;
	mlen = lfs_le32(data + meta);
	if (mlen > size - meta - 4)
		return NULL;
	/* Metadata field 1 is the manifest position */
	lfs_pb pb;
	lfs_pb_field fld;
	pos = 0;
	lfs_pb_init(&pb, data + meta + 4, (size_t)mlen);
	while (lfs_pb_next(&pb, &fld) > 0)
		if (fld.number == 1 && fld.wire == LFS_PB_VARINT)
			pos = fld.u64;
	if (pos == 0 || pos > size - 4)
		return NULL;
	plen = lfs_le32(data + pos);
	if (plen > size - pos - 4)
		return NULL;
	if (lfs_manifest_decode(data + pos + 4, (size_t)plen, &m, &err))
		return NULL;
	return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lfs_manifest *m = embedded_schema(data, size);
	lfs_data_file df;
	fx_outcome out;

	if (!m)
		return 0;
	memset(&df, 0, sizeof(df));
	df.fields = calloc(m->schema.n_fields + 1, sizeof(int32_t));
	if (df.fields) {
		for (size_t i = 0; i < m->schema.n_fields; i++)
			if (m->schema.fields[i].id >= 0)
				df.fields[df.n_fields++] = m->schema.fields[i].id;
		memset(&out, 0, sizeof(out));
		if (df.n_fields && !fx_fuzz_check(data, size, &m->schema, &df, &out)) {
			fprintf(stderr, "fuzz_legacy: %s\n", out.why);
			abort();
		}
	}
	free(df.fields);
	lfs_manifest_free(m);
	return 0;
}
