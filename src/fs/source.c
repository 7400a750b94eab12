/*
 * fs/source: row sources over a version, for the views.
 *
 * Logical rows are the rows a LanceDB scan returns: fragments in manifest
 * order, then physical offset, deleted rows left out.  A source maps a
 * logical row range to physical ranges of fragments, reads them through the
 * dataset layer, drops deleted rows, and stitches the pieces together.
 */
#include "fs/fs_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct lfs_source {
	lfs_row_source rows;
	lfs_version *ver;
	enum lfs_scope scope;
	size_t frag;               /* fragment index for the fragment scopes */
	size_t first_frag, n_frags;/* fragments covered */
	uint64_t *starts;          /* logical first row of each covered fragment, + total */
	const lfs_field **fields;
};

/* Rows of fragment fi that the scope yields. */
static uint64_t scope_rows(const lfs_manifest *m, enum lfs_scope scope, size_t fi)
{
	const lfs_fragment *f = &m->fragments[fi];
	if (scope == LFS_SCOPE_DELETED)
		return f->deletion.present ? f->deletion.num_deleted : 0;
	return lfs_fragment_live_rows(f);
}

/* Physical offset of the r-th live row, given the sorted deleted offsets:
 * d[i] - i is the number of live rows before d[i], and it never decreases,
 * so the deleted rows before the answer are those with d[i] - i <= r. */
static uint64_t live_to_physical(const uint32_t *d, size_t n, uint64_t r)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uint64_t)d[mid] - mid <= r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return r + lo;
}

/* Reads logical rows [r0, r0 + count) of covered fragment fi into out. */
static int read_fragment(struct lfs_source *s, size_t fi, size_t col, uint64_t r0, uint64_t count,
			 lfs_column *out, lfs_err *err)
{
	const lfs_field *field = s->fields[col];
	const uint32_t *del;
	size_t n_del;
	uint64_t p0, p1;
	int rc;

	rc = lfs_version_deletions(s->ver, fi, &del, &n_del, err);
	if (rc)
		return rc;
	if (s->scope == LFS_SCOPE_DELETED) {
		if (r0 + count > n_del)
			return lfs_fail(err, -EIO, "deletion vector has %zu rows, manifest says more", n_del);
		p0 = del[r0];
		p1 = (uint64_t)del[r0 + count - 1] + 1;
	} else {
		p0 = live_to_physical(del, n_del, r0);
		p1 = live_to_physical(del, n_del, r0 + count - 1) + 1;
	}
	rc = lfs_version_read(s->ver, fi, field, p0, p1 - p0, out, err);
	if (rc || p1 - p0 == count)
		return rc;
	/* Drop the rows the scope does not yield. */
	uint64_t span = p1 - p0;
	uint8_t *keep = calloc((span + 7) / 8, 1);
	if (!keep) {
		lfs_column_free(out);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	if (s->scope == LFS_SCOPE_DELETED) {
		for (uint64_t i = r0; i < r0 + count; i++)
			lfs_bit_set(keep, del[i] - p0, 1);
	} else {
		memset(keep, 0xff, (span + 7) / 8);
		for (size_t i = 0; i < n_del; i++)
			if (del[i] >= p0 && del[i] < p1)
				lfs_bit_set(keep, del[i] - p0, 0);
	}
	rc = lfs_column_filter(out, keep);
	free(keep);
	if (rc) {
		lfs_column_free(out);
		return lfs_fail(err, rc, "out of memory filtering deleted rows");
	}
	return 0;
}

/* Index (into the covered fragments) of the fragment holding logical row r. */
static size_t covering_fragment(const struct lfs_source *s, uint64_t r)
{
	size_t lo = 0, hi = s->n_frags;
	while (lo + 1 < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->starts[mid] <= r)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static int source_read(void *ctx, size_t col, uint64_t row, uint64_t count, lfs_column *out,
		       lfs_err *err)
{
	struct lfs_source *s = ctx;
	uint64_t end;
	int rc;

	if (col >= s->rows.ncols || lfs_add_u64(row, count, &end) || end > s->rows.nrows)
		return lfs_fail(err, -EINVAL, "rows %llu+%llu are outside the source",
				(unsigned long long)row, (unsigned long long)count);
	lfs_column_init(out, &s->fields[col]->type);
	if (count == 0)
		return 0;
	size_t k = covering_fragment(s, row);
	int first = 1;
	while (count > 0) {
		/* skip fragments that yield nothing */
		while (s->starts[k + 1] <= row)
			k++;
		uint64_t in_frag = s->starts[k + 1] - row;
		uint64_t take = count < in_frag ? count : in_frag;
		lfs_column piece;
		rc = read_fragment(s, s->first_frag + k, col, row - s->starts[k], take, &piece, err);
		if (rc) {
			lfs_column_free(out);
			return rc;
		}
		if (first && take == count) {
			lfs_column_free(out);
			*out = piece; /* the common case: no stitching */
			return 0;
		}
		rc = lfs_column_append(out, &piece, 0, piece.length);
		lfs_column_free(&piece);
		if (rc) {
			lfs_column_free(out);
			return lfs_fail(err, rc, "out of memory joining fragments");
		}
		first = 0;
		row += take;
		count -= take;
		k++;
	}
	return 0;
}

static int source_rowids(void *ctx, uint64_t row, uint64_t count, uint64_t *out, lfs_err *err)
{
	struct lfs_source *s = ctx;
	const lfs_manifest *m = lfs_version_manifest(s->ver);
	uint64_t end;

	if (lfs_add_u64(row, count, &end) || end > s->rows.nrows)
		return lfs_fail(err, -EINVAL, "rows %llu+%llu are outside the source",
				(unsigned long long)row, (unsigned long long)count);
	while (count > 0) {
		size_t k = covering_fragment(s, row);
		while (s->starts[k + 1] <= row)
			k++;
		size_t fi = s->first_frag + k;
		const uint32_t *del;
		size_t n_del;
		int rc = lfs_version_deletions(s->ver, fi, &del, &n_del, err);
		if (rc)
			return rc;
		if (m->fragments[fi].has_row_id_sequence)
			return lfs_fail(err, -ENOTSUP, "stable row ids are not supported yet");
		uint64_t base = m->fragments[fi].id << 32;
		uint64_t r = row - s->starts[k], take = s->starts[k + 1] - row;
		if (take > count)
			take = count;
		for (uint64_t i = 0; i < take; i++) {
			uint64_t phys = s->scope == LFS_SCOPE_DELETED ? del[r + i]
								      : live_to_physical(del, n_del, r + i);
			*out++ = base | phys;
		}
		row += take;
		count -= take;
	}
	return 0;
}

static uint64_t source_chunk_hint(void *ctx, size_t col, uint64_t row)
{
	struct lfs_source *s = ctx;
	(void)col;
	if (row >= s->rows.nrows)
		return 0;
	/* never straddle a fragment: the next one is another file */
	size_t k = covering_fragment(s, row);
	while (s->starts[k + 1] <= row)
		k++;
	return s->starts[k + 1] - row;
}

int lfs_source_new(lfs_version *ver, enum lfs_scope scope, size_t frag_index, lfs_source **out,
		   lfs_err *err)
{
	const lfs_manifest *m = lfs_version_manifest(ver);
	struct lfs_source *s;

	*out = NULL;
	if (scope != LFS_SCOPE_TABLE && frag_index >= m->n_fragments)
		return lfs_fail(err, -ENOENT, "no fragment index %zu", frag_index);
	s = calloc(1, sizeof(*s));
	if (!s)
		return lfs_fail(err, -ENOMEM, "out of memory");
	s->ver = ver;
	s->scope = scope;
	s->first_frag = scope == LFS_SCOPE_TABLE ? 0 : frag_index;
	s->n_frags = scope == LFS_SCOPE_TABLE ? m->n_fragments : 1;
	s->starts = calloc(s->n_frags + 1, sizeof(uint64_t));
	s->fields = calloc(m->schema.n_top ? m->schema.n_top : 1, sizeof(*s->fields));
	if (!s->starts || !s->fields) {
		free(s->starts);
		free(s->fields);
		free(s);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	for (size_t k = 0; k < s->n_frags; k++)
		s->starts[k + 1] = s->starts[k] + scope_rows(m, scope, s->first_frag + k);
	for (size_t i = 0; i < m->schema.n_top; i++)
		s->fields[i] = m->schema.top[i];
	lfs_version_retain(ver);
	s->rows.ctx = s;
	s->rows.nrows = s->starts[s->n_frags];
	s->rows.ncols = m->schema.n_top;
	s->rows.fields = s->fields;
	s->rows.read = source_read;
	s->rows.chunk_hint = source_chunk_hint;
	s->rows.rowids = source_rowids;
	*out = s;
	return 0;
}

void lfs_source_free(lfs_source *s)
{
	if (!s)
		return;
	lfs_version_release(s->ver);
	free(s->starts);
	free(s->fields);
	free(s);
}

const lfs_row_source *lfs_source_rows(const lfs_source *s) { return &s->rows; }
