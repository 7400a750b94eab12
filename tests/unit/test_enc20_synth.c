/*
 * Lance 2.0 encodings that LanceDB 0.37.1 does not write for 2.0 (or writes
 * only in shapes the real test data do not reach), on small 2.0 files built
 * here byte by byte following protos/encodings_v2_0.proto and file2.proto:
 * bitpacked (signed and unsigned), bitpacked-for-non-negative (FastLanes),
 * constant, fixed-size binary, zstd / lz4 compressed flat values and bools,
 * lists whose offsets span several pages with nulls and whose items are
 * paged differently, nullable fixed-size lists with an all-null page, and
 * Arrow dictionaries with null indices.  Each column is decoded whole and
 * in slices and compared with the values it was built from.
 */
#include "test_legacy_fixture.h"

#include <errno.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/enc21.h"

/* ------------------------------------------------------------ protobuf writing */

static lfs_buf newbuf(void)
{
	lfs_buf b;
	lfs_buf_init(&b);
	return b;
}

static void varint(lfs_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		lfs_buf_putc(b, (char)(v | 0x80));
		v >>= 7;
	}
	lfs_buf_putc(b, (char)v);
}

static void put_uint(lfs_buf *b, uint32_t field, uint64_t v)
{
	varint(b, (uint64_t)field << 3);
	varint(b, v);
}

static void put_bytes(lfs_buf *b, uint32_t field, const void *p, size_t n)
{
	varint(b, (uint64_t)field << 3 | 2);
	varint(b, n);
	lfs_buf_append(b, p, n);
}

/* Appends message m as field `field` and frees m. */
static void put_msg(lfs_buf *b, uint32_t field, lfs_buf m)
{
	put_bytes(b, field, m.data, m.len);
	lfs_buf_free(&m);
}

/* An ArrayEncoding whose oneof is `kind` with body `body`. */
static lfs_buf ae(uint32_t kind, lfs_buf body)
{
	lfs_buf b = newbuf();
	put_msg(&b, kind, body);
	return b;
}

static lfs_buf buffer_msg(uint32_t index)
{
	lfs_buf b = newbuf();
	put_uint(&b, 1, index);
	put_uint(&b, 2, 0); /* page buffer */
	return b;
}

static lfs_buf flat(uint64_t bits, uint32_t buf, const char *scheme)
{
	lfs_buf b = newbuf();
	put_uint(&b, 1, bits);
	put_msg(&b, 2, buffer_msg(buf));
	if (scheme) {
		lfs_buf c = newbuf();
		put_bytes(&c, 1, scheme, strlen(scheme));
		put_msg(&b, 3, c);
	}
	return ae(1, b);
}

static lfs_buf no_nulls(lfs_buf values)
{
	lfs_buf inner = newbuf(), b = newbuf();
	put_msg(&inner, 1, values);
	put_msg(&b, 1, inner);
	return ae(2, b);
}

static lfs_buf some_nulls(lfs_buf validity, lfs_buf values)
{
	lfs_buf inner = newbuf(), b = newbuf();
	put_msg(&inner, 1, validity);
	put_msg(&inner, 2, values);
	put_msg(&b, 2, inner);
	return ae(2, b);
}

static lfs_buf all_nulls(void)
{
	lfs_buf b = newbuf();
	put_msg(&b, 3, newbuf());
	return ae(2, b);
}

static lfs_buf fsl(uint32_t dim, lfs_buf items)
{
	lfs_buf b = newbuf();
	put_uint(&b, 1, dim);
	put_msg(&b, 2, items);
	return ae(3, b);
}

static lfs_buf list(lfs_buf offsets, uint64_t adj, uint64_t num_items)
{
	lfs_buf b = newbuf();
	put_msg(&b, 1, offsets);
	put_uint(&b, 2, adj);
	put_uint(&b, 3, num_items);
	return ae(4, b);
}

static lfs_buf binary(lfs_buf indices, lfs_buf bytes, uint64_t adj)
{
	lfs_buf b = newbuf();
	put_msg(&b, 1, indices);
	put_msg(&b, 2, bytes);
	put_uint(&b, 3, adj);
	return ae(6, b);
}

static lfs_buf dictionary(lfs_buf indices, lfs_buf items, uint32_t n)
{
	lfs_buf b = newbuf();
	put_msg(&b, 1, indices);
	put_msg(&b, 2, items);
	put_uint(&b, 3, n);
	return ae(7, b);
}

static lfs_buf bitpacked(uint64_t bits, uint64_t ubits, uint32_t buf, int is_signed)
{
	lfs_buf b = newbuf();
	put_uint(&b, 1, bits);
	put_uint(&b, 2, ubits);
	put_msg(&b, 3, buffer_msg(buf));
	put_uint(&b, 4, (uint64_t)is_signed);
	return ae(10, b);
}

static lfs_buf fixed_size_binary(lfs_buf bytes, uint32_t width)
{
	lfs_buf b = newbuf();
	put_msg(&b, 1, bytes);
	put_uint(&b, 2, width);
	return ae(11, b);
}

static lfs_buf bitpacked_nonneg(uint64_t bits, uint64_t ubits, uint32_t buf)
{
	lfs_buf b = newbuf();
	put_uint(&b, 1, bits);
	put_uint(&b, 2, ubits);
	put_msg(&b, 3, buffer_msg(buf));
	return ae(12, b);
}

static lfs_buf constant(const void *v, size_t n)
{
	lfs_buf b = newbuf();
	put_bytes(&b, 1, v, n);
	return ae(13, b);
}

/* ------------------------------------------------------------ the file */

#define MAX_COLS 16
#define MAX_BUFS 8

typedef struct sfile {
	lfs_buf data;                /* page buffers, then metadata and footer */
	lfs_buf cols[MAX_COLS];      /* ColumnMetadata of each column */
	uint32_t n_cols;
} sfile;

/* Appends a page buffer (64-byte aligned, as Lance does); returns its position. */
static uint64_t add_buffer(sfile *f, const void *p, size_t n)
{
	while (f->data.len % 64)
		lfs_buf_putc(&f->data, 0);
	uint64_t pos = f->data.len;
	lfs_buf_append(&f->data, p, n);
	return pos;
}

static void new_column(sfile *f)
{
	f->cols[f->n_cols++] = newbuf();
}

/* Adds a page of `rows` rows with buffers (pos, size) to the last column. */
static void add_page(sfile *f, uint64_t rows, const uint64_t (*bufs)[2], size_t n_bufs, lfs_buf enc)
{
	lfs_buf page = newbuf(), offs = newbuf(), sizes = newbuf(), any = newbuf(), direct = newbuf(),
		encoding = newbuf();
	for (size_t i = 0; i < n_bufs; i++) {
		varint(&offs, bufs[i][0]);
		varint(&sizes, bufs[i][1]);
	}
	put_msg(&page, 1, offs);
	put_msg(&page, 2, sizes);
	put_uint(&page, 3, rows);
	const char *url = "/lance.encodings.ArrayEncoding";
	put_bytes(&any, 1, url, strlen(url));
	put_msg(&any, 2, enc);
	put_msg(&direct, 1, any);
	put_msg(&encoding, 2, direct);
	put_msg(&page, 4, encoding);
	put_msg(&f->cols[f->n_cols - 1], 2, page);
}

/* One buffer page: a convenience for the common case. */
static void add_page1(sfile *f, uint64_t rows, const void *p, size_t n, lfs_buf enc)
{
	uint64_t b[1][2] = { { add_buffer(f, p, n), n } };
	add_page(f, rows, b, 1, enc);
}

static void finish(sfile *f)
{
	uint64_t pos[MAX_COLS], len[MAX_COLS], cm_start, cmo, gbo;
	uint8_t w[8];

	cm_start = f->data.len;
	for (uint32_t i = 0; i < f->n_cols; i++) {
		pos[i] = f->data.len;
		len[i] = f->cols[i].len;
		lfs_buf_append(&f->data, f->cols[i].data, f->cols[i].len);
		lfs_buf_free(&f->cols[i]);
	}
	cmo = f->data.len;
	for (uint32_t i = 0; i < f->n_cols; i++) {
		memcpy(w, &pos[i], 8);
		lfs_buf_append(&f->data, w, 8);
		memcpy(w, &len[i], 8);
		lfs_buf_append(&f->data, w, 8);
	}
	gbo = f->data.len;
	uint32_t ngb = 0, nc = f->n_cols;
	uint16_t major = 0, minor = 3;
	lfs_buf_append(&f->data, &cm_start, 8);
	lfs_buf_append(&f->data, &cmo, 8);
	lfs_buf_append(&f->data, &gbo, 8);
	lfs_buf_append(&f->data, &ngb, 4);
	lfs_buf_append(&f->data, &nc, 4);
	lfs_buf_append(&f->data, &major, 2);
	lfs_buf_append(&f->data, &minor, 2);
	lfs_buf_append(&f->data, "LANC", 4);
}

/* ------------------------------------------------------------ the schema */

#define MAX_FIELDS 32

static lfs_field fields[MAX_FIELDS];
static size_t n_fields;

static lfs_field *field(const char *name, int32_t id, const char *logical, lfs_field *parent)
{
	lfs_field *f = &fields[n_fields++];
	memset(f, 0, sizeof(*f));
	f->name = (char *)name;
	f->id = id;
	f->logical_type = (char *)logical;
	f->nullable = 1;
	f->parent_id = parent ? parent->id : -1;
	if (lfs_parse_logical_type(logical, &f->type))
		fx_diag("cannot parse %s", logical);
	if (parent) {
		parent->children = realloc(parent->children, (parent->n_children + 1) * sizeof(f));
		parent->children[parent->n_children++] = f;
		f->parent = parent;
	}
	return f;
}

/* ------------------------------------------------------------ bits */

static void set_bits(uint8_t *dst, uint64_t at, uint64_t v, unsigned bits)
{
	for (unsigned k = 0; k < bits; k++)
		if ((v >> k) & 1)
			dst[(at + k) / 8] |= (uint8_t)(1u << ((at + k) % 8));
}

static void bitmap(uint8_t *dst, const int *valid, size_t n)
{
	memset(dst, 0, (n + 7) / 8);
	for (size_t i = 0; i < n; i++)
		if (valid[i])
			dst[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* FastLanes packing of 1024 u16 values to `width` bits, using the reader's
 * unpacking as the oracle for where each packed bit goes. */
static void pack_fastlanes16(const uint16_t *vals, unsigned width, uint8_t *out)
{
	size_t nbytes = (size_t)width * 128;
	uint8_t *probe = calloc(nbytes, 1);
	uint16_t got[1024];

	memset(out, 0, nbytes);
	for (size_t bit = 0; bit < nbytes * 8; bit++) {
		memset(probe, 0, nbytes);
		probe[bit / 8] = (uint8_t)(1u << (bit % 8));
		e21_unpack_fastlanes(16, width, probe, (uint8_t *)got);
		for (unsigned i = 0; i < 1024; i++) {
			if (!got[i])
				continue;
			unsigned k = (unsigned)__builtin_ctz(got[i]);
			if ((vals[i] >> k) & 1)
				out[bit / 8] |= (uint8_t)(1u << (bit % 8));
		}
	}
	free(probe);
}

/* ------------------------------------------------------------ expectations */

typedef struct expect {
	const char *column;
	const char *rows[64];
	size_t n;
} expect;

/* Decodes a column whole and in every slice and compares with `e`. */
static void check(lfs_lfile *lf, const lfs_field *f, const expect *e)
{
	lfs_err err = { { 0 } };
	lfs_column whole;
	lfs_buf b;
	int ok = 1;

	lfs_column_init(&whole, &f->type);
	int rc = lfs_lfile_read(lf, f, 0, e->n, &whole, &err);
	lfs_buf_init(&b);
	for (size_t i = 0; !rc && ok && i < e->n; i++) {
		b.len = 0;
		fx_render(&whole, i, &b);
		lfs_buf_putc(&b, 0);
		if (strcmp((char *)b.data, e->rows[i]) != 0) {
			fx_diag("%s row %zu: got %s, want %s", e->column, i, (char *)b.data, e->rows[i]);
			ok = 0;
		}
	}
	fx_ok(rc == 0 && ok && whole.length == e->n, "synthetic %s: %zu rows decode as built%s%s",
	      e->column, e->n, rc ? ": " : "", rc ? err.msg : "");
	int slices_ok = rc == 0;
	for (uint64_t s = 0; slices_ok && s < e->n; s++) {
		for (uint64_t c = 1; slices_ok && s + c <= e->n; c += 1 + c / 2) {
			lfs_column part;
			lfs_column_init(&part, &f->type);
			if (lfs_lfile_read(lf, f, s, c, &part, &err) || !fx_same_rows(&whole, s, &part, c)) {
				fx_diag("%s: slice %llu+%llu differs (%s)", e->column, (unsigned long long)s,
					(unsigned long long)c, err.msg);
				slices_ok = 0;
			}
			lfs_column_free(&part);
		}
	}
	fx_ok(slices_ok, "synthetic %s: every slice equals the whole read", e->column);
	lfs_buf_free(&b);
	lfs_column_free(&whole);
}

int main(void)
{
	sfile sf;
	memset(&sf, 0, sizeof(sf));
	lfs_buf_init(&sf.data);

	/* ---- col 0 "b" int32: bitpacked signed 5 bits with nulls, then constant */
	lfs_field *fb = field("b", 0, "int32", NULL);
	{
		int32_t vals[10] = { -16, 15, 0, -1, 7, -8, 3, 0, 12, -5 };
		int valid[10] = { 1, 1, 0, 1, 1, 1, 1, 0, 1, 1 };
		uint8_t packed[8] = { 0 }, vbits[2];
		for (int i = 0; i < 10; i++)
			set_bits(packed, (uint64_t)i * 5, (uint32_t)vals[i] & 31, 5);
		bitmap(vbits, valid, 10);
		new_column(&sf);
		uint64_t bufs[2][2] = { { add_buffer(&sf, vbits, 2), 2 }, { add_buffer(&sf, packed, 7), 7 } };
		add_page(&sf, 10, bufs, 2, some_nulls(flat(1, 0, NULL), bitpacked(5, 32, 1, 1)));
		int32_t c = 42;
		add_page(&sf, 7, NULL, 0, constant(&c, 4));
	}
	/* ---- col 2 "s" utf8: fixed-size binary of width 3 with nulls */
	lfs_field *fs = field("s", 2, "string", NULL);
	{
		const char *bytes = "abcdefghi\0\0\0jkl";
		int valid[5] = { 1, 1, 1, 0, 1 };
		uint8_t vbits[1];
		bitmap(vbits, valid, 5);
		new_column(&sf);
		uint64_t bufs[2][2] = { { add_buffer(&sf, vbits, 1), 1 }, { add_buffer(&sf, bytes, 15), 15 } };
		add_page(&sf, 5, bufs, 2, some_nulls(flat(1, 0, NULL), fixed_size_binary(flat(8, 1, NULL), 3)));
	}
	/* ---- cols 3, 4 "l" list<int64>: two offsets pages, items paged 3/3/2 */
	lfs_field *fl = field("l", 3, "list", NULL);
	field("item", 4, "int64", fl);
	{
		/* page 0: [i0 i1], null, [], [i2 i3 i4]   adj 6, 5 items
		 * page 1: [i5], null, [i6 i7]             adj 4, 3 items */
		uint64_t o0[4] = { 2, 2 + 6, 2, 5 }, o1[3] = { 1, 1 + 4, 3 };
		new_column(&sf);
		add_page1(&sf, 4, o0, sizeof(o0), list(no_nulls(flat(64, 0, NULL)), 6, 5));
		add_page1(&sf, 3, o1, sizeof(o1), list(no_nulls(flat(64, 0, NULL)), 4, 3));
		int64_t items[8] = { 100, 101, 102, 103, 104, 105, 106, 107 };
		new_column(&sf);
		add_page1(&sf, 3, items, 24, no_nulls(flat(64, 0, NULL)));
		add_page1(&sf, 3, items + 3, 24, no_nulls(flat(64, 0, NULL)));
		add_page1(&sf, 2, items + 6, 16, no_nulls(flat(64, 0, NULL)));
	}
	/* ---- col 5 "v" fixed_size_list<float, 2>: nulls at both levels, then an all-null page */
	lfs_field *fv = field("v", 5, "fixed_size_list:float:2", NULL);
	field("item", -1, "float", fv);
	{
		float items[6] = { 1.5f, -2.0f, 0, 0, 3.25f, 0 };
		int lvalid[3] = { 1, 0, 1 }, ivalid[6] = { 1, 1, 0, 0, 1, 0 };
		uint8_t lb[1], ib[1];
		bitmap(lb, lvalid, 3);
		bitmap(ib, ivalid, 6);
		new_column(&sf);
		uint64_t bufs[3][2] = { { add_buffer(&sf, lb, 1), 1 }, { add_buffer(&sf, ib, 1), 1 },
					{ add_buffer(&sf, items, 24), 24 } };
		add_page(&sf, 3, bufs, 3,
			 some_nulls(flat(1, 0, NULL), fsl(2, some_nulls(flat(1, 1, NULL), flat(32, 2, NULL)))));
		add_page(&sf, 2, NULL, 0, all_nulls());
	}
	/* ---- col 6 "d" dictionary<int8 -> string> with null indices */
	lfs_field *fd = field("d", 6, "dict:string:int8:false", NULL);
	{
		int8_t idx[5] = { 2, 0, 0, 1, 2 };
		int valid[5] = { 1, 1, 0, 1, 1 };
		uint8_t vb[1];
		uint64_t ends[3] = { 3, 3, 6 }; /* "red", "", "blu" */
		bitmap(vb, valid, 5);
		new_column(&sf);
		uint64_t bufs[4][2] = { { add_buffer(&sf, vb, 1), 1 }, { add_buffer(&sf, idx, 5), 5 },
					{ add_buffer(&sf, ends, 24), 24 }, { add_buffer(&sf, "redblu", 6), 6 } };
		add_page(&sf, 5, bufs, 4,
			 dictionary(some_nulls(flat(1, 0, NULL), flat(8, 1, NULL)),
				    binary(no_nulls(flat(64, 2, NULL)), flat(8, 3, NULL), 7), 3));
	}
	/* ---- col 7 "z" int32: zstd (length-prefixed and raw frame), then lz4 */
	lfs_field *fz = field("z", 7, "int32", NULL);
	{
		int32_t vals[12];
		for (int i = 0; i < 12; i++)
			vals[i] = i * i - 20;
		uint8_t comp[256], frame[256];
		size_t zl = ZSTD_compress(comp + 8, sizeof(comp) - 8, vals, 16, 3);
		uint64_t raw_len = 16;
		memcpy(comp, &raw_len, 8);
		new_column(&sf);
		add_page1(&sf, 4, comp, zl + 8, no_nulls(flat(32, 0, "zstd")));
		size_t fl2 = ZSTD_compress(frame, sizeof(frame), vals + 4, 16, 3);
		add_page1(&sf, 4, frame, fl2, no_nulls(flat(32, 0, "zstd")));
		uint32_t n = 16;
		memcpy(comp, &n, 4);
		int ll = LZ4_compress_default((const char *)(vals + 8), (char *)comp + 4, 16, 200);
		add_page1(&sf, 4, comp, (size_t)ll + 4, no_nulls(flat(32, 0, "lz4")));
	}
	/* ---- col 8 "t" bool: zstd-compressed bits with nulls */
	lfs_field *ft = field("t", 8, "bool", NULL);
	{
		int bits[11] = { 1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1 }, valid[11] = { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0 };
		uint8_t vb[2], bb[2], comp[128];
		bitmap(vb, valid, 11);
		bitmap(bb, bits, 11);
		size_t zl = ZSTD_compress(comp, sizeof(comp), bb, 2, 1);
		new_column(&sf);
		uint64_t bufs[2][2] = { { add_buffer(&sf, vb, 2), 2 }, { add_buffer(&sf, comp, zl), zl } };
		add_page(&sf, 11, bufs, 2, some_nulls(flat(1, 0, NULL), flat(1, 1, "zstd")));
	}
	finish(&sf);

	/* ---- a second file, "u" uint16: FastLanes, 1500 values of 3 bits in two chunks */
	sfile sf2;
	memset(&sf2, 0, sizeof(sf2));
	lfs_buf_init(&sf2.data);
	lfs_field *fu = field("u", 1, "uint16", NULL);
	{
		static uint16_t vals[2048];
		uint8_t *packed = calloc(2 * 3 * 128, 1);
		for (int i = 0; i < 2048; i++)
			vals[i] = (uint16_t)(i < 1500 ? (i * 5) % 8 : 0);
		pack_fastlanes16(vals, 3, packed);
		pack_fastlanes16(vals + 1024, 3, packed + 3 * 128);
		new_column(&sf2);
		add_page1(&sf2, 1500, packed, 2 * 3 * 128, no_nulls(bitpacked_nonneg(3, 16, 0)));
		free(packed);
	}
	finish(&sf2);

	/* the DataFile: field ids and their columns (u lives in its own file) */
	int32_t ids[8] = { 0, 2, 3, 4, 5, 6, 7, 8 }, colidx[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	lfs_data_file df;
	memset(&df, 0, sizeof(df));
	df.path = "synth.lance";
	df.fields = ids;
	df.n_fields = 8;
	df.column_indices = colidx;
	df.n_column_indices = 8;
	df.major = 2;
	lfs_schema schema;
	memset(&schema, 0, sizeof(schema));
	schema.fields = fields;
	schema.n_fields = n_fields;

	lfs_store *store = fx_mem_store("data/synth.lance", sf.data.data, sf.data.len);
	lfs_lfile *lf = NULL;
	lfs_err err = { { 0 } };
	int rc = lfs_lfile_open(store, "data/synth.lance", sf.data.len, &df, &schema, &lf, &err);
	if (!fx_ok(rc == 0, "a synthetic 2.0 file opens (%s)", err.msg))
		return fx_done();

	expect eb = { "b", { "f0ffffff", "0f000000", "null", "ffffffff", "07000000", "f8ffffff",
			     "03000000", "null", "0c000000", "fbffffff", "2a000000", "2a000000",
			     "2a000000", "2a000000", "2a000000", "2a000000", "2a000000" }, 17 };
	check(lf, fb, &eb);

	/* u: 1500 rows in its own file; every row by hand, and across the chunks */
	{
		int32_t uid = 1, ucol = 0;
		lfs_data_file df2 = df;
		df2.fields = &uid;
		df2.n_fields = 1;
		df2.column_indices = &ucol;
		df2.n_column_indices = 1;
		lfs_store *store2 = fx_mem_store("data/synth2.lance", sf2.data.data, sf2.data.len);
		lfs_lfile *lf2 = NULL;
		lfs_column c;
		rc = lfs_lfile_open(store2, "data/synth2.lance", sf2.data.len, &df2, &schema, &lf2, &err);
		lfs_column_init(&c, &fu->type);
		if (!rc)
			rc = lfs_lfile_read(lf2, fu, 0, 1500, &c, &err);
		int ok = rc == 0 && c.length == 1500;
		for (int i = 0; ok && i < 1500; i++)
			ok = lfs_le16(c.values + 2 * i) == (uint16_t)((i * 5) % 8);
		fx_ok(ok, "synthetic u: 1500 FastLanes values over two chunks decode as built %s",
		      rc ? err.msg : "");
		lfs_column_free(&c);
		lfs_column_init(&c, &fu->type);
		if (!rc)
			rc = lfs_lfile_read(lf2, fu, 1020, 9, &c, &err);
		ok = rc == 0 && c.length == 9;
		for (int i = 0; ok && i < 9; i++)
			ok = lfs_le16(c.values + 2 * i) == (uint16_t)(((1020 + i) * 5) % 8);
		fx_ok(ok, "synthetic u: a slice across the chunk boundary %s", rc ? err.msg : "");
		lfs_column_free(&c);
		lfs_lfile_close(lf2);
		lfs_store_close(store2);
		lfs_buf_free(&sf2.data);
	}
	expect es = { "s", { "\"616263\"", "\"646566\"", "\"676869\"", "null", "\"6a6b6c\"" }, 5 };
	check(lf, fs, &es);
	expect el = { "l", { "[6400000000000000,6500000000000000]", "null", "[]",
			     "[6600000000000000,6700000000000000,6800000000000000]",
			     "[6900000000000000]", "null", "[6a00000000000000,6b00000000000000]" }, 7 };
	check(lf, fl, &el);
	expect ev = { "v", { "[0000c03f,000000c0]", "null", "[00005040,null]", "null", "null" }, 5 };
	check(lf, fv, &ev);
	expect ed = { "d", { "\"626c75\"", "\"726564\"", "null", "\"\"", "\"626c75\"" }, 5 };
	check(lf, fd, &ed);
	expect ez = { "z", { "ecffffff", "edffffff", "f0ffffff", "f5ffffff", "fcffffff", "05000000",
			     "10000000", "1d000000", "2c000000", "3d000000", "50000000", "65000000" }, 12 };
	check(lf, fz, &ez);
	expect et = { "t", { "true", "false", "true", "true", "false", "null", "true", "false", "true",
			     "true", "null" }, 11 };
	check(lf, ft, &et);

	lfs_lfile_close(lf);
	lfs_store_close(store);
	for (size_t i = 0; i < n_fields; i++)
		free(fields[i].children);
	lfs_buf_free(&sf.data);
	return fx_done();
}
