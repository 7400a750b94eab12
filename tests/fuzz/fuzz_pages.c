/*
 * Fuzz harness for Lance 2.1 / 2.2 data files: the v2 container
 * (format/file2.c: footer, offset tables, column metadata) and the page
 * decoders (format/enc21*.c: layouts, compressions, levels), reached
 * through format/lfile.h from an in-memory store.
 *
 * libFuzzer entry point.  A data file does not carry its Lance schema, so
 * an input carries the manifest too (the same layout as fuzz_enc20.c):
 *     u8  which DataFile of fragment 0 the data file is
 *     u32 (little-endian) length of the manifest file
 *     the bytes of a whole NNN.manifest file
 *     the bytes of the data file
 * Every top-level field is read (in slices, and capped so that a damaged
 * row count cannot ask for gigabytes) together with its page starts.  A read
 * must either succeed with a well-formed column, whose every byte is
 * touched, or fail with -EIO / -ENOTSUP / -ENOMEM / -EOVERFLOW and a message
 * naming the file; anything else aborts.
 *
 * tests/unit/test_fuzz_replay.c runs this entry over the seeds in
 * tests/fuzz/corpus/pages and deterministic mutations of the files in
 * tests/unit/data/file2 in every `make check`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column/column.h"
#include "format/lfile.h"
#include "format/manifest.h"
#include "store/store.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Rows read per field at most: damaged counts must not cost gigabytes. */
#define MAX_ROWS 20000

typedef struct fz_mem {
	const uint8_t *data;
	size_t len;
} fz_mem;

static int fz_read(void *impl, const char *key, uint64_t off, void *buf, size_t len, size_t *got,
		   lfs_err *err)
{
	fz_mem *m = impl;
	(void)key;
	(void)err;
	*got = 0;
	if (off >= m->len)
		return 0;
	*got = m->len - off < len ? (size_t)(m->len - off) : len;
	memcpy(buf, m->data + off, *got);
	return 0;
}

static int fz_stat(void *impl, const char *key, lfs_object_info *out, lfs_err *err)
{
	(void)key;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->size = ((fz_mem *)impl)->len;
	return 0;
}

static int fz_list(void *impl, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err)
{
	(void)impl;
	(void)dir;
	(void)err;
	*out = NULL;
	*n = 0;
	return 0;
}

static void fz_close(void *impl) { (void)impl; }

static const lfs_store_ops fz_ops = { fz_read, fz_stat, fz_list, fz_close };

static volatile uint64_t sink;

static void touch(const uint8_t *p, uint64_t n)
{
	uint64_t s = 0;
	for (uint64_t i = 0; i < n; i++)
		s += p[i];
	sink += s;
}

/* Structural invariants of a decoded column; touches every byte. */
static const char *check_column(const lfs_column *c, int depth)
{
	if (depth > 64)
		return "too deep";
	if (c->null_count > c->length)
		return "more nulls than rows";
	if (c->validity)
		touch(c->validity, (c->length + 7) / 8);
	switch (c->type.id) {
	case LFS_T_BOOL:
		if (c->length && !c->values)
			return "bool without values";
		if (c->values)
			touch(c->values, (c->length + 7) / 8);
		return NULL;
	case LFS_T_UTF8:
	case LFS_T_LARGE_UTF8:
	case LFS_T_BINARY:
	case LFS_T_LARGE_BINARY:
		if (!c->offsets)
			return "strings without offsets";
		for (uint64_t i = 0; i < c->length; i++)
			if (c->offsets[i + 1] < c->offsets[i])
				return "offsets go backwards";
		if (c->offsets[c->length] > c->data_len)
			return "offsets past the bytes";
		if (c->data_len)
			touch(c->data, c->data_len);
		return NULL;
	case LFS_T_LIST:
	case LFS_T_LARGE_LIST:
	case LFS_T_MAP:
		if (!c->offsets || c->n_children != 1)
			return "list without offsets or child";
		for (uint64_t i = 0; i < c->length; i++)
			if (c->offsets[i + 1] < c->offsets[i])
				return "list offsets go backwards";
		if (c->offsets[c->length] != c->children[0].length)
			return "list offsets disagree with the items";
		return check_column(&c->children[0], depth + 1);
	case LFS_T_FIXED_SIZE_LIST:
		if (c->n_children != 1 || c->type.list_size <= 0 ||
		    c->children[0].length != c->length * (uint64_t)c->type.list_size)
			return "fixed-size list with the wrong number of items";
		return check_column(&c->children[0], depth + 1);
	case LFS_T_STRUCT:
		for (uint32_t k = 0; k < c->n_children; k++) {
			if (c->children[k].length != c->length)
				return "struct field of another length";
			const char *why = check_column(&c->children[k], depth + 1);
			if (why)
				return why;
		}
		return NULL;
	default:
		if (c->width) {
			if (c->length && !c->values)
				return "fixed width without values";
			if (c->values)
				touch(c->values, c->length * c->width);
		}
		return NULL;
	}
}

static void verdict(int rc, const lfs_column *col, uint64_t count, const lfs_err *err,
		    const char *what)
{
	if (rc == 0) {
		const char *why = col->length != count ? "wrong number of rows" : check_column(col, 0);
		if (why) {
			fprintf(stderr, "fuzz_pages: %s: %s\n", what, why);
			abort();
		}
		return;
	}
	if (rc != -EIO && rc != -ENOTSUP && rc != -ENOMEM && rc != -EOVERFLOW && rc != -EINVAL) {
		fprintf(stderr, "fuzz_pages: %s: unexpected error %d: %s\n", what, rc, err->msg);
		abort();
	}
	if (rc != -ENOMEM && !strstr(err->msg, "fuzz.lance")) {
		fprintf(stderr, "fuzz_pages: %s: message does not name the file: %s\n", what, err->msg);
		abort();
	}
}

static void read_slice(lfs_lfile *f, const lfs_field *field, uint64_t start, uint64_t count)
{
	lfs_column col;
	lfs_err err;
	memset(&col, 0, sizeof(col));
	err.msg[0] = 0;
	int rc = lfs_lfile_read(f, field, start, count, &col, &err);
	verdict(rc, &col, count, &err, field->name ? field->name : "?");
	lfs_column_free(&col);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lfs_manifest *m = NULL;
	lfs_err err;
	uint32_t mlen;

	if (size < 5)
		return 0;
	mlen = lfs_le32(data + 1);
	if (mlen > size - 5 || lfs_manifest_parse_file(data + 5, mlen, &m, &err))
		return 0;
	if (m->n_fragments == 0 || data[0] >= m->fragments[0].n_files) {
		lfs_manifest_free(m);
		return 0;
	}
	const lfs_data_file *df = &m->fragments[0].files[data[0]];
	fz_mem mem = { data + 5 + mlen, size - 5 - mlen };
	lfs_store *store = lfs_store_new(&fz_ops, &mem, "fuzz");
	lfs_lfile *f = NULL;
	err.msg[0] = 0;
	int rc = store ? lfs_lfile_open(store, "fuzz.lance", mem.len, df, &m->schema, &f, &err)
		       : -ENOMEM;
	if (rc) {
		verdict(rc, NULL, 0, &err, "open");
	} else {
		uint64_t rows = lfs_lfile_num_rows(f);
		uint64_t n = rows < MAX_ROWS ? rows : MAX_ROWS;
		for (size_t i = 0; i < m->schema.n_top; i++) {
			const lfs_field *field = m->schema.top[i];
			uint64_t *starts = NULL;
			size_t ns = 0;
			read_slice(f, field, 0, n);
			if (n > 3) {
				read_slice(f, field, n / 3, n / 3);
				read_slice(f, field, n - 1, 1);
			}
			if (rows > n)
				read_slice(f, field, rows - 1, 1);
			err.msg[0] = 0;
			rc = lfs_lfile_page_starts(f, field, &starts, &ns, &err);
			if (rc)
				verdict(rc, NULL, 0, &err, "page starts");
			else if (ns == 0 || starts[0] != 0)
				abort();
			free(starts);
		}
		lfs_lfile_close(f);
	}
	if (store)
		lfs_store_close(store);
	lfs_manifest_free(m);
	return 0;
}
