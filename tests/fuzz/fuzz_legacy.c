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
 * fuzz_legacy_check() (declared in tests/unit/test_legacy_fixture.h) is the
 * same check with a given schema and DataFile entry; tests/unit/test_legacy_fuzz.c replays it over committed files and
 * deterministic mutations of them in every `make check`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/pb.h"
#include "test_legacy_fixture.h"

#define FUZZ_KEY "data/fuzz.lance"
#define WHOLE_READ_MAX 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Structural sanity of a decoded column: lengths and offsets agree. */
static int column_ok(const lfs_column *c, uint64_t length, char *why, size_t n)
{
	if (c->length != length) {
		snprintf(why, n, "column has %llu rows, %llu were asked for",
			 (unsigned long long)c->length, (unsigned long long)length);
		return 0;
	}
	switch (c->type.id) {
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8: case LFS_T_BINARY: case LFS_T_LARGE_BINARY:
	case LFS_T_LIST: case LFS_T_LARGE_LIST:
		if (!c->offsets || c->offsets[0] != 0) {
			snprintf(why, n, "offsets missing or not starting at 0");
			return 0;
		}
		for (uint64_t i = 0; i < length; i++) {
			if (c->offsets[i + 1] < c->offsets[i]) {
				snprintf(why, n, "offsets go down at row %llu", (unsigned long long)i);
				return 0;
			}
		}
		if (c->type.id == LFS_T_LIST || c->type.id == LFS_T_LARGE_LIST) {
			if (c->n_children != 1) {
				snprintf(why, n, "list without a child");
				return 0;
			}
			return column_ok(&c->children[0], c->offsets[length], why, n);
		}
		if (c->offsets[length] != c->data_len || (c->data_len && !c->data)) {
			snprintf(why, n, "offsets end at %llu but there are %llu bytes",
				 (unsigned long long)c->offsets[length], (unsigned long long)c->data_len);
			return 0;
		}
		return 1;
	case LFS_T_FIXED_SIZE_LIST:
		if (c->n_children != 1) {
			snprintf(why, n, "fixed_size_list without a child");
			return 0;
		}
		return column_ok(&c->children[0], length * (uint64_t)c->type.list_size, why, n);
	case LFS_T_STRUCT:
		for (uint32_t k = 0; k < c->n_children; k++)
			if (!column_ok(&c->children[k], length, why, n))
				return 0;
		return 1;
	default:
		if (length && c->type.id != LFS_T_NULL && !c->values) {
			snprintf(why, n, "no values");
			return 0;
		}
		return 1;
	}
}

/* Checks one failure: the allowed codes, and a message naming the file; a
 * failed read also names its column and, for damage, the file offset. */
static int failure_ok(int rc, const lfs_err *err, const char *column, char *why, size_t n)
{
	char want[200];
	if (rc != -EIO && rc != -ENOTSUP) {
		snprintf(why, n, "error %d (%s) is neither EIO nor ENOTSUP", rc, err->msg);
		return 0;
	}
	if (!strstr(err->msg, FUZZ_KEY)) {
		snprintf(why, n, "message does not name the file: %s", err->msg);
		return 0;
	}
	if (!column)
		return 1;
	snprintf(want, sizeof(want), "column %s", column);
	if (!strstr(err->msg, want)) {
		snprintf(why, n, "message does not name column %s: %s", column, err->msg);
		return 0;
	}
	if (rc == -EIO && !strstr(err->msg, "offset")) {
		snprintf(why, n, "message names no offset: %s", err->msg);
		return 0;
	}
	return 1;
}

static int read_and_check(lfs_lfile *lf, const lfs_field *f, uint64_t start, uint64_t count,
			  fx_outcome *out)
{
	lfs_err err = { { 0 } };
	lfs_column c;
	char why[400];
	int ok;

	out->reads++;
	lfs_column_init(&c, &f->type);
	int rc = lfs_lfile_read(lf, f, start, count, &c, &err);
	if (rc) {
		out->read_failed++;
		snprintf(out->last_error, sizeof(out->last_error), "%s", err.msg);
		snprintf(out->last_read_error, sizeof(out->last_read_error), "%s", err.msg);
		ok = failure_ok(rc, &err, f->name, why, sizeof(why));
	} else {
		ok = column_ok(&c, count, why, sizeof(why));
	}
	lfs_column_free(&c);
	if (!ok)
		snprintf(out->why, sizeof(out->why), "column %s rows %llu+%llu: %s", f->name,
			 (unsigned long long)start, (unsigned long long)count, why);
	return ok;
}

static int field_in(const lfs_data_file *df, int32_t id)
{
	for (size_t i = 0; i < df->n_fields; i++)
		if (df->fields[i] == id)
			return 1;
	return 0;
}

int fuzz_legacy_check(const uint8_t *data, size_t size, const lfs_schema *schema,
		      const lfs_data_file *df, fx_outcome *out)
{
	lfs_store *store = fx_mem_store(FUZZ_KEY, data, size);
	lfs_lfile *lf = NULL;
	lfs_err err = { { 0 } };
	int ok = 1, rc;

	out->why[0] = 0;
	if (!store)
		return 1; /* out of memory: nothing to judge */
	rc = lfs_lfile_open(store, FUZZ_KEY, size, df, schema, &lf, &err);
	if (rc) {
		out->open_failed++;
		snprintf(out->last_error, sizeof(out->last_error), "%s", err.msg);
		ok = failure_ok(rc, &err, NULL, out->why, sizeof(out->why));
		lfs_store_close(store);
		return ok;
	}
	out->opened++;
	uint64_t rows = lfs_lfile_num_rows(lf);
	for (size_t i = 0; ok && i < schema->n_top; i++) {
		const lfs_field *f = schema->top[i];
		uint64_t *starts = NULL;
		size_t n_starts = 0;
		if (!field_in(df, f->id))
			continue;
		if (rows <= WHOLE_READ_MAX) {
			ok = read_and_check(lf, f, 0, rows, out);
		} else {
			ok = read_and_check(lf, f, 0, 1000, out) &&
			     read_and_check(lf, f, rows - 1000, 1000, out);
		}
		if (ok && rows > 2)
			ok = read_and_check(lf, f, rows / 3, rows / 3 < 50 ? rows / 3 : 50, out);
		if (ok) {
			rc = lfs_lfile_page_starts(lf, f, &starts, &n_starts, &err);
			if (rc == 0 && (n_starts == 0 || starts[0] != 0)) {
				snprintf(out->why, sizeof(out->why), "page starts do not begin at row 0");
				ok = 0;
			}
			free(starts);
		}
	}
	lfs_lfile_close(lf);
	lfs_store_close(store);
	return ok;
}

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
		if (df.n_fields && !fuzz_legacy_check(data, size, &m->schema, &df, &out)) {
			fprintf(stderr, "fuzz_legacy: %s\n", out.why);
			abort();
		}
	}
	free(df.fields);
	lfs_manifest_free(m);
	return 0;
}
