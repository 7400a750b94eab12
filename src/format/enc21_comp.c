/* format/enc21_comp: the compressive encodings of Lance 2.1 / 2.2
 * (lance.encodings21.CompressiveEncoding) — parsing their descriptions and
 * decoding bytes into e21_blocks.  Pure functions of bytes; no I/O.
 *
 * Three contexts use them (see enc21.h): blocks (a whole buffer: levels,
 * dictionaries), mini-block chunks (a chunk's buffers) and per-value
 * full-zip data (values laid one after another behind control words). */
#include "format/enc21.h"

#include <errno.h>
#include <lz4.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/pb.h"

/* No single decompressed buffer may be larger than this: a damaged size
 * field must not make us allocate the machine away. */
#define E21_MAX_BUFFER ((size_t)1 << 30)

/* ------------------------------------------------------------ basics */

void *e21_arena_alloc(e21_arena *a, size_t size)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		void **p = realloc(a->blocks, cap * sizeof(*p));
		if (!p)
			return NULL;
		a->blocks = p;
		a->cap = cap;
	}
	void *b = calloc(1, size);
	if (b)
		a->blocks[a->n++] = b;
	return b;
}

void e21_arena_free(e21_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

int e21_fail(const e21_where *w, lfs_err *err, int code, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (w)
		return lfs_fail(err, code, "%s: column %u: %s (at offset %llu)", w->key, w->column,
				what, (unsigned long long)w->offset);
	return lfs_fail(err, code, "%s", what);
}

void e21_block_init(e21_block *b)
{
	memset(b, 0, sizeof(*b));
	b->per_value = 1;
}

void e21_block_free(e21_block *b)
{
	for (uint32_t i = 0; i < b->n_own; i++)
		free(b->own[i]);
	for (uint32_t i = 0; i < b->n_kids; i++)
		e21_block_free(&b->kids[i]);
	free(b->kids);
	e21_block_init(b);
}

int e21_block_own(e21_block *b, void *p)
{
	if (b->n_own == sizeof(b->own) / sizeof(b->own[0])) {
		free(p);
		return -ENOMEM;
	}
	b->own[b->n_own++] = p;
	return 0;
}

/* Moves a block (the destination takes over the memory). */
static void block_move(e21_block *dst, e21_block *src)
{
	*dst = *src;
	e21_block_init(src);
}

int e21_var_check(const e21_block *b, lfs_err *err)
{
	uint64_t prev = 0;
	for (uint64_t i = 0; i <= b->n; i++) {
		uint64_t o = e21_var_off(b, i);
		if ((i > 0 && o < prev) || o > b->data_len)
			return lfs_fail(err, -EIO,
					"value offset %llu (entry %llu) goes backwards or past %llu bytes",
					(unsigned long long)o, (unsigned long long)i,
					(unsigned long long)b->data_len);
		prev = o;
	}
	return 0;
}

const char *e21_comp_name(int kind)
{
	switch (kind) {
	case E21_C_FLAT: return "Flat";
	case E21_C_VARIABLE: return "Variable";
	case E21_C_CONSTANT: return "Constant";
	case E21_C_OOL_BITPACK: return "OutOfLineBitpacking";
	case E21_C_INLINE_BITPACK: return "InlineBitpacking";
	case E21_C_FSST: return "Fsst";
	case E21_C_DICTIONARY: return "Dictionary";
	case E21_C_RLE: return "Rle";
	case E21_C_BSS: return "ByteStreamSplit";
	case E21_C_GENERAL: return "General";
	case E21_C_FSL: return "FixedSizeList";
	case E21_C_PACKED_STRUCT: return "PackedStruct";
	case E21_C_VARIABLE_PACKED_STRUCT: return "VariablePackedStruct";
	case 14: return "Range";
	case 15: return "Delta";
	}
	return "unknown";
}

/* ------------------------------------------------------------ parsing */

#define MAX_DEPTH 16

static int parse_ce(const uint8_t *msg, size_t len, e21_arena *a, e21_comp **out, int depth,
		    lfs_err *err);

static int malformed(lfs_err *err, const char *what)
{
	return lfs_fail(err, -EIO, "malformed %s encoding description", what);
}

/* BufferCompression { scheme = 1; level = 2 } */
static int parse_buffer_compression(const lfs_pb_field *fl, int *scheme, lfs_err *err)
{
	lfs_pb pb;
	lfs_pb_field e;
	int rc;
	if (fl->wire != LFS_PB_LEN)
		return malformed(err, "BufferCompression");
	lfs_pb_sub(fl, &pb);
	*scheme = 0;
	while ((rc = lfs_pb_next(&pb, &e)) > 0)
		if (e.number == 1 && e.wire == LFS_PB_VARINT)
			*scheme = (int)e.u64;
	if (rc < 0)
		return malformed(err, "BufferCompression");
	if (*scheme < 0 || *scheme > 2)
		return lfs_fail(err, -ENOTSUP, "unknown buffer compression scheme %d", *scheme);
	return 0;
}

static int parse_child(const lfs_pb_field *fl, e21_arena *a, e21_comp **out, int depth,
		       lfs_err *err)
{
	if (fl->wire != LFS_PB_LEN)
		return malformed(err, "nested");
	return parse_ce(fl->bytes, fl->len, a, out, depth + 1, err);
}

typedef struct bits_ctx {
	e21_comp *c;
} bits_ctx;

static int push_field_bits(void *ctx, uint64_t v)
{
	e21_comp *c = ((bits_ctx *)ctx)->c;
	if (c->n_fields >= E21_MAX_PACKED)
		return -ENOTSUP;
	c->field_bits[c->n_fields++] = v;
	return 0;
}

/* VariablePackedStruct.FieldEncoding { value = 1; bits_per_value = 2 | bits_per_length = 3 } */
static int parse_varpacked_field(const lfs_pb_field *fl, e21_comp *c, e21_arena *a, int depth,
				 lfs_err *err)
{
	lfs_pb pb;
	lfs_pb_field e;
	int rc, have_layout = 0;
	uint32_t i = c->n_fields;

	if (fl->wire != LFS_PB_LEN)
		return malformed(err, "VariablePackedStruct");
	if (i >= E21_MAX_PACKED)
		return lfs_fail(err, -ENOTSUP, "packed struct with more than %d fields", E21_MAX_PACKED);
	lfs_pb_sub(fl, &pb);
	while ((rc = lfs_pb_next(&pb, &e)) > 0) {
		if (e.number == 1) {
			rc = parse_child(&e, a, &c->field_enc[i], depth, err);
			if (rc)
				return rc;
		} else if ((e.number == 2 || e.number == 3) && e.wire == LFS_PB_VARINT) {
			c->field_bits[i] = e.u64;
			c->field_is_var[i] = e.number == 3;
			have_layout = 1;
		}
	}
	if (rc < 0 || !have_layout || !c->field_enc[i])
		return malformed(err, "VariablePackedStruct field");
	c->n_fields++;
	return 0;
}

static int parse_ce(const uint8_t *msg, size_t len, e21_arena *a, e21_comp **out, int depth,
		    lfs_err *err)
{
	lfs_pb pb, sub;
	lfs_pb_field fl, e;
	e21_comp *c;
	int rc;

	*out = NULL;
	if (depth > MAX_DEPTH)
		return lfs_fail(err, -EIO, "encoding description nested more than %d deep", MAX_DEPTH);
	c = e21_arena_alloc(a, sizeof(*c));
	if (!c)
		return lfs_fail(err, -ENOMEM, "out of memory");
	lfs_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &fl)) > 0) {
		if (fl.number > 15 || fl.wire != LFS_PB_LEN) {
			if (fl.number >= 14)
				return lfs_fail(err, -ENOTSUP,
						"compressive encoding %s (field %u) is not supported",
						e21_comp_name((int)fl.number), fl.number);
			continue;
		}
		if (fl.number >= 14)
			return lfs_fail(err, -ENOTSUP, "compressive encoding %s is not supported",
					e21_comp_name((int)fl.number));
		c->kind = (int)fl.number;
		lfs_pb_sub(&fl, &sub);
		while ((rc = lfs_pb_next(&sub, &e)) > 0) {
			int n = (int)e.number;
			rc = 0;
			switch (c->kind) {
			case E21_C_FLAT:
				if (n == 1)
					c->bits = e.u64;
				else if (n == 2)
					rc = parse_buffer_compression(&e, &c->buf_scheme, err);
				break;
			case E21_C_VARIABLE:
				if (n == 1)
					rc = parse_child(&e, a, &c->values, depth, err);
				else if (n == 2)
					rc = parse_buffer_compression(&e, &c->buf_scheme, err);
				break;
			case E21_C_CONSTANT:
				if (n == 1 && e.wire == LFS_PB_LEN) {
					c->bytes = e.bytes;
					c->bytes_len = e.len;
					c->has_bytes = 1;
				}
				break;
			case E21_C_OOL_BITPACK:
				if (n == 1)
					c->bits = e.u64;
				else if (n == 3)
					rc = parse_child(&e, a, &c->values, depth, err);
				break;
			case E21_C_INLINE_BITPACK:
				if (n == 1)
					c->bits = e.u64;
				else if (n == 2)
					rc = parse_buffer_compression(&e, &c->buf_scheme, err);
				break;
			case E21_C_FSST:
				if (n == 1 && e.wire == LFS_PB_LEN) {
					c->bytes = e.bytes;
					c->bytes_len = e.len;
					c->has_bytes = 1;
				} else if (n == 2) {
					rc = parse_child(&e, a, &c->values, depth, err);
				}
				break;
			case E21_C_DICTIONARY:
				if (n == 1)
					rc = parse_child(&e, a, &c->values, depth, err);
				else if (n == 2)
					rc = parse_child(&e, a, &c->aux, depth, err);
				else if (n == 3)
					c->num_items = e.u64;
				break;
			case E21_C_RLE:
				if (n == 1)
					rc = parse_child(&e, a, &c->values, depth, err);
				else if (n == 2)
					rc = parse_child(&e, a, &c->aux, depth, err);
				break;
			case E21_C_BSS:
				if (n == 1)
					rc = parse_child(&e, a, &c->values, depth, err);
				break;
			case E21_C_GENERAL:
				if (n == 1)
					rc = parse_buffer_compression(&e, &c->buf_scheme, err);
				else if (n == 3)
					rc = parse_child(&e, a, &c->values, depth, err);
				break;
			case E21_C_FSL:
				if (n == 1)
					c->dim = e.u64;
				else if (n == 3)
					c->has_validity = e.u64 != 0;
				else if (n == 2)
					rc = parse_child(&e, a, &c->values, depth, err);
				break;
			case E21_C_PACKED_STRUCT:
				if (n == 1) {
					bits_ctx bc = { c };
					rc = lfs_pb_packed_varints(&e, push_field_bits, &bc);
					if (rc == -ENOTSUP)
						return lfs_fail(err, rc, "packed struct with more than %d fields",
								E21_MAX_PACKED);
					if (rc)
						return malformed(err, "PackedStruct");
				} else if (n == 2) {
					rc = parse_child(&e, a, &c->values, depth, err);
				}
				break;
			case E21_C_VARIABLE_PACKED_STRUCT:
				if (n == 1)
					rc = parse_varpacked_field(&e, c, a, depth, err);
				break;
			}
			if (rc)
				return rc;
		}
		if (rc < 0)
			return malformed(err, e21_comp_name(c->kind));
	}
	if (rc < 0)
		return malformed(err, "compressive");
	if (!c->kind)
		return lfs_fail(err, -EIO, "empty compressive encoding description");
	if (c->kind == E21_C_FSST) {
		c->fsst = e21_arena_alloc(a, sizeof(*c->fsst));
		if (!c->fsst)
			return lfs_fail(err, -ENOMEM, "out of memory");
		if (!c->has_bytes || e21_fsst_init(c->fsst, c->bytes, c->bytes_len))
			return lfs_fail(err, -EIO, "FSST symbol table is damaged");
	}
	/* Required children. */
	switch (c->kind) {
	case E21_C_VARIABLE:
	case E21_C_OOL_BITPACK:
	case E21_C_FSST:
	case E21_C_BSS:
	case E21_C_GENERAL:
	case E21_C_FSL:
	case E21_C_PACKED_STRUCT:
		if (!c->values)
			return lfs_fail(err, -EIO, "%s encoding without its inner encoding",
					e21_comp_name(c->kind));
		break;
	case E21_C_RLE:
		if (!c->values || !c->aux)
			return lfs_fail(err, -EIO, "Rle encoding without values or run lengths");
		break;
	default:
		break;
	}
	*out = c;
	return 0;
}

int e21_comp_parse(const uint8_t *msg, size_t len, e21_arena *a, e21_comp **out, lfs_err *err)
{
	return parse_ce(msg, len, a, out, 0, err);
}

/* ------------------------------------------------------------ bit unpacking */

static const uint8_t fl_order[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

/* FastLanes lays 1024 values out in T rows of 1024/T lanes; each lane is a
 * stream of W-bit values spread over W words of that lane (word k of lane l
 * at index k * lanes + l).  Row r of lane l holds value number
 * fl_order[r / 8] * 16 + (r % 8) * 128 + l.  The inner loop runs over the
 * lanes with a fixed shift, which vectorizes. */
#define DEFINE_UNPACK(T, NAME)                                                             \
	static void NAME(uint32_t width, const uint8_t *in, uint8_t *out_bytes)            \
	{                                                                                  \
		enum { TB = sizeof(T) * 8, LANES = 1024 / (sizeof(T) * 8) };               \
		T words[1024];                                                             \
		T out[1024];                                                               \
		T mask = width >= TB ? (T)~(T)0 : (T)(((T)1 << width) - 1);                \
		memcpy(words, in, (size_t)width * LANES * sizeof(T));                      \
		for (uint32_t r = 0; r < TB; r++) {                                        \
			uint32_t bit = r * width, k = bit / TB, shift = bit % TB;          \
			uint32_t base = (uint32_t)fl_order[r / 8] * 16 + (r % 8) * 128;    \
			const T *lo = words + (size_t)k * LANES;                           \
			if (width == 0) {                                                  \
				for (uint32_t l = 0; l < LANES; l++)                       \
					out[base + l] = 0;                                 \
			} else if (shift + width <= TB) {                                  \
				for (uint32_t l = 0; l < LANES; l++)                       \
					out[base + l] = (T)((lo[l] >> shift) & mask);      \
			} else {                                                           \
				const T *hi = lo + LANES;                                  \
				for (uint32_t l = 0; l < LANES; l++)                       \
					out[base + l] = (T)(((lo[l] >> shift) |            \
							     (T)(hi[l] << (TB - shift))) & \
							    mask);                         \
			}                                                                  \
		}                                                                          \
		memcpy(out_bytes, out, sizeof(out));                                       \
	}

DEFINE_UNPACK(uint8_t, unpack8)
DEFINE_UNPACK(uint16_t, unpack16)
DEFINE_UNPACK(uint32_t, unpack32)
DEFINE_UNPACK(uint64_t, unpack64)

void e21_unpack_fastlanes(uint32_t word_bits, uint32_t width, const uint8_t *in, uint8_t *out)
{
	switch (word_bits) {
	case 8: unpack8(width, in, out); break;
	case 16: unpack16(width, in, out); break;
	case 32: unpack32(width, in, out); break;
	default: unpack64(width, in, out); break;
	}
}

static int word_bits_ok(uint64_t bits)
{
	return bits == 8 || bits == 16 || bits == 32 || bits == 64;
}

/* ------------------------------------------------------------ general */

static int check_size(size_t n, const e21_where *w, lfs_err *err)
{
	if (n > E21_MAX_BUFFER)
		return e21_fail(w, err, -EIO, "a compressed buffer claims %zu bytes", n);
	return 0;
}

int e21_general_decompress(int scheme, const uint8_t *in, size_t len, uint8_t **out,
			   size_t *out_len, const e21_where *w, lfs_err *err)
{
	uint8_t *dst;
	*out = NULL;
	*out_len = 0;
	if (scheme == E21_SCHEME_LZ4) {
		if (len < 4)
			return e21_fail(w, err, -EIO, "LZ4 buffer of %zu bytes is too short", len);
		size_t n = lfs_le32(in);
		if (check_size(n, w, err))
			return -EIO;
		if (len - 4 > (size_t)INT32_MAX || n > (size_t)INT32_MAX)
			return e21_fail(w, err, -EIO, "LZ4 buffer too large");
		dst = malloc(n + 16);
		if (!dst)
			return lfs_fail(err, -ENOMEM, "out of memory");
		int got = n ? LZ4_decompress_safe((const char *)in + 4, (char *)dst, (int)(len - 4),
						  (int)n)
			    : (len == 4 || (len == 5 && in[4] == 0) ? 0 : -1);
		if (got < 0 || (size_t)got != n) {
			free(dst);
			return e21_fail(w, err, -EIO, "LZ4 data is damaged (%zu bytes claiming %zu)",
					len, n);
		}
		memset(dst + n, 0, 16);
		*out = dst;
		*out_len = n;
		return 0;
	}
	if (scheme == E21_SCHEME_ZSTD) {
		size_t n, got;
		const uint8_t *frame = in;
		size_t frame_len = len;
		int raw = 0;
		if (len == 0) {
			*out = calloc(1, 16);
			return *out ? 0 : lfs_fail(err, -ENOMEM, "out of memory");
		}
		/* Either a bare zstd frame or an 8-byte size then a frame; a
		 * size that happens to look like the magic is told apart by
		 * the frame header's reserved bit. */
		if (len < 8) {
			raw = 1;
		} else if (lfs_le32(in) == 0xFD2FB528u && (in[4] & 0x10) == 0) {
			raw = 1;
		}
		if (raw) {
			unsigned long long cs = ZSTD_getFrameContentSize(in, len);
			if (cs == ZSTD_CONTENTSIZE_ERROR)
				return e21_fail(w, err, -EIO, "zstd frame is damaged");
			if (cs == ZSTD_CONTENTSIZE_UNKNOWN) {
				/* Stream it out in growing steps. */
				size_t cap = len * 4 + 1024, used = 0;
				ZSTD_DStream *ds = ZSTD_createDStream();
				if (!ds)
					return lfs_fail(err, -ENOMEM, "out of memory");
				dst = malloc(cap + 16);
				ZSTD_inBuffer ib = { in, len, 0 };
				size_t r = 1;
				while (dst) {
					ZSTD_outBuffer ob = { dst, cap, used };
					r = ZSTD_decompressStream(ds, &ob, &ib);
					used = ob.pos;
					if (ZSTD_isError(r) || r == 0)
						break;
					if (ib.pos == ib.size && used < cap)
						break; /* truncated input */
					if (cap >= E21_MAX_BUFFER) {
						r = (size_t)-1;
						break;
					}
					uint8_t *q = realloc(dst, cap * 2 + 16);
					if (!q) {
						free(dst);
						dst = NULL;
						break;
					}
					dst = q;
					cap *= 2;
				}
				ZSTD_freeDStream(ds);
				if (!dst)
					return lfs_fail(err, -ENOMEM, "out of memory");
				if (r != 0) {
					free(dst);
					return e21_fail(w, err, -EIO, "zstd stream is damaged or truncated");
				}
				memset(dst + used, 0, 16);
				*out = dst;
				*out_len = used;
				return 0;
			}
			n = (size_t)cs;
			if (cs > E21_MAX_BUFFER)
				return e21_fail(w, err, -EIO, "a compressed buffer claims %llu bytes", cs);
		} else {
			uint64_t claimed = lfs_le64(in);
			if (claimed > E21_MAX_BUFFER)
				return e21_fail(w, err, -EIO, "a compressed buffer claims %llu bytes",
						(unsigned long long)claimed);
			n = (size_t)claimed;
			frame = in + 8;
			frame_len = len - 8;
		}
		dst = malloc(n + 16);
		if (!dst)
			return lfs_fail(err, -ENOMEM, "out of memory");
		got = ZSTD_decompress(dst, n, frame, frame_len);
		if (ZSTD_isError(got) || got != n) {
			free(dst);
			return e21_fail(w, err, -EIO, "zstd data is damaged (%zu bytes claiming %zu)", len,
					n);
		}
		memset(dst + n, 0, 16);
		*out = dst;
		*out_len = n;
		return 0;
	}
	return e21_fail(w, err, -ENOTSUP, "general compression scheme %d is not supported", scheme);
}

/* ------------------------------------------------------------ FSST */

int e21_fsst_init(e21_fsst *t, const uint8_t *table, size_t len)
{
	memset(t, 0, sizeof(*t));
	if (len < 8)
		return -EIO;
	uint64_t info = lfs_le64(table);
	if ((info >> 32) != 0x46535354u)
		return -EIO;
	t->enabled = (info >> 24) & 1;
	t->n_symbols = (uint32_t)(info & 255);
	if (t->n_symbols > 255 || len < 8 + (size_t)t->n_symbols * 9)
		return -EIO;
	for (uint32_t i = 0; i < t->n_symbols; i++) {
		t->sym[i] = lfs_le64(table + 8 + 8 * (size_t)i);
		t->len[i] = table[8 + 8 * (size_t)t->n_symbols + i];
		if (t->len[i] < 1 || t->len[i] > 8)
			return -EIO;
	}
	return 0;
}

int64_t e21_fsst_decode(const e21_fsst *t, const uint8_t *in, size_t len, uint8_t *out,
			size_t out_cap)
{
	size_t o = 0;
	if (!t->enabled) {
		if (len > out_cap)
			return -1;
		memcpy(out, in, len);
		return (int64_t)len;
	}
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		if (c == 255) {
			if (++i >= len || o >= out_cap)
				return -1;
			out[o++] = in[i];
		} else if (c < t->n_symbols) {
			uint8_t l = t->len[c];
			if (out_cap - o >= 8) {
				memcpy(out + o, &t->sym[c], 8); /* little-endian host */
			} else {
				if (out_cap - o < l)
					return -1;
				uint64_t s = t->sym[c];
				for (uint8_t k = 0; k < l; k++)
					out[o + k] = (uint8_t)(s >> (8 * k));
			}
			o += l;
		} else {
			return -1;
		}
	}
	return (int64_t)o;
}

/* FSST over variable-width values: the values stay compressed and carry
 * the table; they are decoded straight into the output column as they are
 * appended (e21_vals_append), saving a copy. */
static int fsst_block(const e21_comp *c, e21_block *in, e21_block *out, const e21_where *w,
		      lfs_err *err)
{
	if (!c->fsst)
		return e21_fail(w, err, -EIO, "FSST symbol table is damaged");
	if (in->fsst)
		return e21_fail(w, err, -EIO, "FSST over FSST");
	block_move(out, in);
	out->fsst = c->fsst;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static int need_bytes(size_t have, uint64_t n, uint64_t bits, const e21_where *w, lfs_err *err,
		      const char *what)
{
	uint64_t total;
	if (lfs_mul_u64(n, bits, &total) || (total + 7) / 8 > have)
		return e21_fail(w, err, -EIO, "%s: %llu values of %llu bits do not fit in %zu bytes",
				what, (unsigned long long)n, (unsigned long long)bits, have);
	return 0;
}

static void fixed_block(e21_block *b, uint64_t n, uint64_t bits, const uint8_t *data, size_t len)
{
	e21_block_init(b);
	b->kind = E21_B_FIXED;
	b->n = n;
	b->bits = bits;
	b->data = data;
	b->data_len = len;
}

/* Reads value i of a FIXED block of any bit width <= 64 (bit packed when
 * not a whole number of bytes). */
static uint64_t fixed_get(const e21_block *b, uint64_t i)
{
	switch (b->bits) {
	case 8: return b->data[i];
	case 16: return lfs_le16(b->data + 2 * i);
	case 32: return lfs_le32(b->data + 4 * i);
	case 64: return lfs_le64(b->data + 8 * i);
	}
	uint64_t bit = i * b->bits, v = 0;
	for (uint64_t k = 0; k < b->bits; k++, bit++)
		v |= (uint64_t)((b->data[bit >> 3] >> (bit & 7)) & 1) << k;
	return v;
}

int e21_block_to_u16(const e21_block *b, uint16_t *out, uint64_t n, const e21_where *w,
		     lfs_err *err)
{
	if (b->kind != E21_B_FIXED || b->per_value != 1 || b->bits == 0 || b->bits > 64 || b->n < n)
		return e21_fail(w, err, -EIO, "levels did not decode to %llu integers",
				(unsigned long long)n);
	if (b->bits == 16) {
		memcpy(out, b->data, n * 2);
		return 0;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = fixed_get(b, i);
		if (v > 0xffff)
			return e21_fail(w, err, -EIO, "level %llu is out of range",
					(unsigned long long)v);
		out[i] = (uint16_t)v;
	}
	return 0;
}

/* ------------------------------------------------------------ block decoders */

/* Out-of-line bitpacking: whole 1024-value chunks at a fixed width, then a
 * tail that is either one more padded chunk or the remaining values raw. */
static int ool_bitpack(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
		       e21_block *out, const e21_where *w, lfs_err *err)
{
	uint64_t ub = c->bits, cw;
	if (!word_bits_ok(ub) || !c->values || c->values->kind != E21_C_FLAT ||
	    c->values->bits > ub)
		return e21_fail(w, err, -EIO, "bad out-of-line bitpacking description");
	cw = c->values->bits;
	size_t word = (size_t)ub / 8;
	uint64_t chunk_bytes = 128 * cw;
	uint64_t whole = n / 1024, tail = n % 1024, need_whole;
	if (cw == 0 && n > ((uint64_t)1 << 26))
		return e21_fail(w, err, -EIO, "%llu zero-width values is implausible",
				(unsigned long long)n);
	if (lfs_mul_u64(whole, chunk_bytes, &need_whole) || need_whole > len)
		return e21_fail(w, err, -EIO, "bitpacked buffer of %zu bytes is too short for %llu values",
				len, (unsigned long long)n);
	int tail_raw = tail > 0 && len == need_whole + tail * word;
	if (tail > 0 && !tail_raw && need_whole + chunk_bytes > len)
		return e21_fail(w, err, -EIO, "bitpacked buffer of %zu bytes is too short for %llu values",
				len, (unsigned long long)n);
	if (check_size((size_t)((whole + 1) * 1024 * word), w, err))
		return -EIO;
	uint8_t *dst = malloc((size_t)((whole + 1) * 1024 * word) + 16);
	if (!dst)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (uint64_t k = 0; k < whole; k++)
		e21_unpack_fastlanes((uint32_t)ub, (uint32_t)cw, buf + k * chunk_bytes,
				     dst + k * 1024 * word);
	if (tail_raw)
		memcpy(dst + whole * 1024 * word, buf + need_whole, tail * word);
	else if (tail)
		e21_unpack_fastlanes((uint32_t)ub, (uint32_t)cw, buf + need_whole,
				     dst + whole * 1024 * word);
	fixed_block(out, n, ub, dst, (size_t)(n * word));
	return e21_block_own(out, dst);
}

/* Inline bitpacking: chunks of up to 1024 values, each a word holding its
 * bit width, then the packed words. */
static int inline_bitpack(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
			  e21_block *out, const e21_where *w, lfs_err *err)
{
	uint64_t ub = c->bits;
	size_t word = (size_t)ub / 8, pos = 0;
	uint64_t chunks = (n + 1023) / 1024;
	if (!word_bits_ok(ub))
		return e21_fail(w, err, -EIO, "inline bitpacking of %llu-bit values",
				(unsigned long long)ub);
	if (c->buf_scheme)
		return e21_fail(w, err, -ENOTSUP, "compressed inline bitpacking is not supported");
	if (chunks > len / word)
		return e21_fail(w, err, -EIO, "%zu bytes cannot hold %llu bitpacked chunks", len,
				(unsigned long long)chunks);
	if (check_size((size_t)(chunks * 1024 * word), w, err))
		return -EIO;
	uint8_t *dst = malloc((size_t)(chunks ? chunks : 1) * 1024 * word + 16);
	if (!dst)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (uint64_t k = 0; k < chunks; k++) {
		uint64_t width;
		if (len - pos < word) {
			free(dst);
			return e21_fail(w, err, -EIO, "bitpacked chunk %llu is cut short",
					(unsigned long long)k);
		}
		width = word == 1 ? buf[pos] : word == 2 ? lfs_le16(buf + pos)
				   : word == 4 ? lfs_le32(buf + pos) : lfs_le64(buf + pos);
		pos += word;
		if (width > ub || len - pos < 128 * width) {
			free(dst);
			return e21_fail(w, err, -EIO,
					"bitpacked chunk %llu: width %llu of %llu bits or cut short",
					(unsigned long long)k, (unsigned long long)width,
					(unsigned long long)ub);
		}
		e21_unpack_fastlanes((uint32_t)ub, (uint32_t)width, buf + pos, dst + k * 1024 * word);
		pos += (size_t)(128 * width);
	}
	fixed_block(out, n, ub, dst, (size_t)(n * word));
	return e21_block_own(out, dst);
}

/* Run-length decoding of n values from a values buffer and a run-length
 * buffer. */
static int rle_expand(const e21_comp *c, const uint8_t *vals, size_t vlen, const uint8_t *lens,
		      size_t llen, uint64_t n, e21_block *out, const e21_where *w, lfs_err *err)
{
	uint64_t vb, lb;
	if (!c->values || c->values->kind != E21_C_FLAT || !c->aux || c->aux->kind != E21_C_FLAT)
		return e21_fail(w, err, -ENOTSUP, "RLE with non-flat values or run lengths");
	vb = c->values->bits;
	lb = c->aux->bits;
	if (!word_bits_ok(vb) || !(lb == 8 || lb == 16 || lb == 32))
		return e21_fail(w, err, -EIO, "RLE of %llu-bit values with %llu-bit runs",
				(unsigned long long)vb, (unsigned long long)lb);
	size_t vw = (size_t)vb / 8, lw = (size_t)lb / 8;
	if (vlen % vw || llen % lw || vlen / vw != llen / lw)
		return e21_fail(w, err, -EIO, "RLE buffers disagree: %zu value bytes, %zu run bytes",
				vlen, llen);
	/* runs can cover at most this many values: check before allocating */
	if (n > (uint64_t)(vlen / vw) * ((lb == 32) ? 0xffffffffull : (1ull << lb) - 1))
		return e21_fail(w, err, -EIO, "RLE of %zu runs cannot hold %llu values", vlen / vw,
				(unsigned long long)n);
	if (check_size((size_t)(n * vw), w, err))
		return -EIO;
	uint8_t *dst = malloc((size_t)(n * vw) + 16);
	if (!dst)
		return lfs_fail(err, -ENOMEM, "out of memory");
	uint64_t o = 0;
	size_t runs = vlen / vw;
	for (size_t r = 0; r < runs && o < n; r++) {
		uint64_t rl = lw == 1 ? lens[r] : lw == 2 ? lfs_le16(lens + 2 * r) : lfs_le32(lens + 4 * r);
		if (rl > n - o)
			rl = n - o; /* writers may run past the chunk; keep what is asked */
		const uint8_t *v = vals + r * vw;
		switch (vw) {
		case 1:
			memset(dst + o, v[0], (size_t)rl);
			break;
		case 2: {
			uint16_t x = lfs_le16(v);
			for (uint64_t k = 0; k < rl; k++)
				memcpy(dst + (o + k) * 2, &x, 2);
			break;
		}
		case 4: {
			uint32_t x = lfs_le32(v);
			for (uint64_t k = 0; k < rl; k++)
				memcpy(dst + (o + k) * 4, &x, 4);
			break;
		}
		default: {
			uint64_t x = lfs_le64(v);
			for (uint64_t k = 0; k < rl; k++)
				memcpy(dst + (o + k) * 8, &x, 8);
			break;
		}
		}
		o += rl;
	}
	if (o != n) {
		free(dst);
		return e21_fail(w, err, -EIO, "RLE runs cover %llu values, not %llu",
				(unsigned long long)o, (unsigned long long)n);
	}
	fixed_block(out, n, vb, dst, (size_t)(n * vw));
	return e21_block_own(out, dst);
}

/* A variable-width block buffer: [bits per offset][start of bytes]
 * [offsets][bytes], the two header words as wide as an offset (32 or 64
 * bits); older writers used one byte of width and a value count. */
static int variable_block(const uint8_t *buf, size_t len, uint64_t n, e21_block *out,
			  const e21_where *w, lfs_err *err)
{
	uint64_t bits, start, off_pos;
	if (len < 8)
		return e21_fail(w, err, -EIO, "variable-width buffer of %zu bytes is too short", len);
	if (buf[1] || buf[2] || buf[3]) {
		bits = buf[0];
		if (bits == 32) {
			if (len < 9)
				return e21_fail(w, err, -EIO, "variable-width buffer is too short");
			start = lfs_le32(buf + 5);
			off_pos = 9;
		} else if (bits == 64 && len >= 17) {
			start = lfs_le64(buf + 9);
			off_pos = 17;
		} else {
			return e21_fail(w, err, -EIO, "variable-width buffer with %llu-bit offsets",
					(unsigned long long)bits);
		}
	} else {
		bits = lfs_le32(buf);
		if (bits == 32) {
			start = lfs_le32(buf + 4);
			off_pos = 8;
		} else if (bits == 64 && len >= 16) {
			start = lfs_le64(buf + 8);
			off_pos = 16;
		} else {
			return e21_fail(w, err, -EIO, "variable-width buffer with %llu-bit offsets",
					(unsigned long long)bits);
		}
	}
	if (start < off_pos || start > len || (start - off_pos) / (bits / 8) < n + 1)
		return e21_fail(w, err, -EIO, "variable-width buffer: bytes start at %llu of %zu",
				(unsigned long long)start, len);
	e21_block_init(out);
	out->kind = E21_B_VAR;
	out->n = n;
	out->off_bits = (uint32_t)bits;
	out->offsets = buf + off_pos;
	out->data = buf + start;
	out->data_len = len - start;
	if (e21_var_check(out, err))
		return e21_fail(w, err, -EIO, "variable-width buffer: bad offsets");
	return 0;
}

/* n copies of a constant fixed-width value. */
static int constant_block(const e21_comp *c, uint64_t n, e21_block *out, const e21_where *w,
			  lfs_err *err)
{
	size_t vl = c->bytes_len;
	if (!c->has_bytes || vl == 0 || vl > 32)
		return e21_fail(w, err, -ENOTSUP, "constant encoding without a fixed-width value");
	if (n > ((uint64_t)1 << 26))
		return e21_fail(w, err, -EIO, "%llu constant values is implausible", (unsigned long long)n);
	if (check_size((size_t)(n * vl), w, err))
		return -EIO;
	uint8_t *dst = malloc((size_t)(n * vl) + 16);
	if (!dst)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < n; i++)
		memcpy(dst + i * vl, c->bytes, vl);
	fixed_block(out, n, vl * 8, dst, (size_t)(n * vl));
	return e21_block_own(out, dst);
}

/* Flattens nested fixed-size-list layers that carry no validity. */
static int fsl_flat(const e21_comp *c, uint64_t *per_value, uint64_t *bits, e21_block *b,
		    const e21_where *w, lfs_err *err)
{
	uint64_t pv = 1;
	uint32_t k = 0;
	while (c && c->kind == E21_C_FSL) {
		if (k >= E21_MAX_FSL || c->dim == 0 || lfs_mul_u64(pv, c->dim, &pv))
			return e21_fail(w, err, -EIO, "fixed-size list of bad dimension");
		if (b) {
			b->fsl_dim[k] = c->dim;
			b->fsl_valid[k] = NULL;
		}
		k++;
		c = c->values;
	}
	if (!c || c->kind != E21_C_FLAT || c->bits == 0 || c->bits > 8 * 4096)
		return e21_fail(w, err, -ENOTSUP, "fixed-size list of %s items",
				c ? e21_comp_name(c->kind) : "no");
	if (b)
		b->n_fsl = k;
	*per_value = pv;
	*bits = c->bits;
	return 0;
}

static int e21_block_decode_impl(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
		     e21_block *out, const e21_where *w, lfs_err *err)
{
	e21_block_init(out);
	switch (c->kind) {
	case E21_C_FLAT:
		if (c->buf_scheme) {
			uint8_t *d;
			size_t dl;
			int rc = e21_general_decompress(c->buf_scheme, buf, len, &d, &dl, w, err);
			if (rc)
				return rc;
			if (need_bytes(dl, n, c->bits, w, err, "flat values")) {
				free(d);
				return -EIO;
			}
			fixed_block(out, n, c->bits, d, dl);
			return e21_block_own(out, d);
		}
		if (c->bits == 0 || c->bits > 8 * 4096 || need_bytes(len, n, c->bits, w, err, "flat values"))
			return c->bits == 0 ? e21_fail(w, err, -EIO, "flat values of 0 bits") : -EIO;
		fixed_block(out, n, c->bits, buf, len);
		return 0;
	case E21_C_OOL_BITPACK:
		return ool_bitpack(c, buf, len, n, out, w, err);
	case E21_C_INLINE_BITPACK:
		return inline_bitpack(c, buf, len, n, out, w, err);
	case E21_C_RLE: {
		if (len < 8)
			return e21_fail(w, err, -EIO, "RLE buffer of %zu bytes is too short", len);
		uint64_t vs = lfs_le64(buf);
		if (vs > len - 8)
			return e21_fail(w, err, -EIO, "RLE values (%llu bytes) overrun the buffer",
					(unsigned long long)vs);
		return rle_expand(c, buf + 8, (size_t)vs, buf + 8 + vs, len - 8 - (size_t)vs, n, out,
				  w, err);
	}
	case E21_C_VARIABLE:
		return variable_block(buf, len, n, out, w, err);
	case E21_C_CONSTANT:
		return constant_block(c, n, out, w, err);
	case E21_C_FSL: {
		uint64_t pv = 1, bits = 0, items;
		int rc = fsl_flat(c, &pv, &bits, out, w, err);
		if (rc)
			return rc;
		if (lfs_mul_u64(n, pv, &items) || need_bytes(len, items, bits, w, err, "list values"))
			return -EIO;
		out->kind = E21_B_FIXED;
		out->n = n;
		out->bits = bits;
		out->per_value = pv;
		out->data = buf;
		out->data_len = len;
		return 0;
	}
	case E21_C_GENERAL: {
		uint8_t *d;
		size_t dl;
		e21_block inner;
		int rc = e21_general_decompress(c->buf_scheme, buf, len, &d, &dl, w, err);
		if (rc)
			return rc;
		rc = e21_block_decode(c->values, d, dl, n, &inner, w, err);
		if (rc) {
			free(d);
			return rc;
		}
		block_move(out, &inner);
		return e21_block_own(out, d);
	}
	default:
		return e21_fail(w, err, -ENOTSUP, "%s encoding of a whole buffer is not supported",
				e21_comp_name(c->kind));
	}
}

/* ------------------------------------------------------------ mini-block */

int e21_miniblock_nbufs(const e21_comp *c, size_t *n)
{
	switch (c->kind) {
	case E21_C_RLE:
		*n = 2;
		return 0;
	case E21_C_FSL: {
		size_t k = 1;
		for (const e21_comp *x = c; x && x->kind == E21_C_FSL; x = x->values)
			k += x->has_validity != 0;
		*n = k;
		return 0;
	}
	case E21_C_GENERAL:
		return e21_miniblock_nbufs(c->values, n);
	case E21_C_FSST:
		return e21_miniblock_nbufs(c->values, n);
	case E21_C_CONSTANT:
		*n = 0;
		return 0;
	default:
		*n = 1;
		return 0;
	}
}

/* Byte-stream split: byte j of value i is at j * n + i. */
static int bss_decode(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
		      e21_block *out, const e21_where *w, lfs_err *err)
{
	if (!c->values || c->values->kind != E21_C_FLAT || c->values->bits % 8 ||
	    c->values->bits == 0 || c->values->bits > 64)
		return e21_fail(w, err, -ENOTSUP, "byte-stream split of non-flat values");
	size_t bpv = (size_t)c->values->bits / 8;
	if (len != n * bpv)
		return e21_fail(w, err, -EIO, "byte-stream split: %zu bytes for %llu values of %zu bytes",
				len, (unsigned long long)n, bpv);
	uint8_t *dst = malloc((size_t)(n * bpv) + 16);
	if (!dst)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (size_t j = 0; j < bpv; j++) {
		const uint8_t *s = buf + j * n;
		for (uint64_t i = 0; i < n; i++)
			dst[i * bpv + j] = s[i];
	}
	fixed_block(out, n, c->values->bits, dst, (size_t)(n * bpv));
	return e21_block_own(out, dst);
}

/* A chunk of variable-width values: n + 1 offsets (32 or 64 bits) at the
 * start of the buffer, pointing at the bytes within the same buffer. */
static int variable_chunk(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
			  e21_block *out, const e21_where *w, lfs_err *err)
{
	uint64_t ob;
	if (!c->values || c->values->kind != E21_C_FLAT)
		return e21_fail(w, err, -ENOTSUP, "variable-width chunk with compressed offsets");
	if (c->buf_scheme)
		return e21_fail(w, err, -ENOTSUP, "variable-width chunk with compressed bytes");
	ob = c->values->bits;
	if (ob != 32 && ob != 64)
		return e21_fail(w, err, -EIO, "variable-width chunk with %llu-bit offsets",
				(unsigned long long)ob);
	if ((n + 1) * (ob / 8) > len)
		return e21_fail(w, err, -EIO, "variable-width chunk of %zu bytes cannot hold %llu offsets",
				len, (unsigned long long)(n + 1));
	e21_block_init(out);
	out->kind = E21_B_VAR;
	out->n = n;
	out->off_bits = (uint32_t)ob;
	out->offsets = buf;
	out->data = buf;
	out->data_len = len;
	if (e21_var_check(out, err))
		return e21_fail(w, err, -EIO, "variable-width chunk: bad offsets");
	return 0;
}

/* Fixed-size lists of flat items: one validity buffer per layer that has
 * validity (outermost first), then the items. */
static int fsl_chunk(const e21_comp *c, const uint8_t *const *bufs, const size_t *lens,
		     size_t nbufs, uint64_t n, e21_block *out, const e21_where *w, lfs_err *err)
{
	uint64_t cum = 1, bits = 0, items;
	size_t bi = 0;
	uint32_t k = 0;
	e21_block_init(out);
	for (const e21_comp *x = c; x && x->kind == E21_C_FSL; x = x->values, k++) {
		if (k >= E21_MAX_FSL || x->dim == 0 || lfs_mul_u64(cum, x->dim, &cum))
			return e21_fail(w, err, -EIO, "fixed-size list of bad dimension");
		out->fsl_dim[k] = x->dim;
		out->fsl_valid[k] = NULL;
		if (x->has_validity) {
			if (bi >= nbufs || need_bytes(lens[bi], n, cum, w, err, "list item validity"))
				return bi >= nbufs ? e21_fail(w, err, -EIO, "missing validity buffer") : -EIO;
			out->fsl_valid[k] = bufs[bi++];
		}
		if (!x->values)
			return e21_fail(w, err, -EIO, "fixed-size list without items");
		if (x->values->kind != E21_C_FSL) {
			if (x->values->kind != E21_C_FLAT || x->values->bits == 0 ||
			    x->values->bits > 8 * 4096 || x->values->buf_scheme)
				return e21_fail(w, err, -ENOTSUP, "fixed-size list of %s items",
						e21_comp_name(x->values->kind));
			bits = x->values->bits;
			k++;
			break;
		}
	}
	out->n_fsl = k;
	if (bi != nbufs - 1 || lfs_mul_u64(n, cum, &items) ||
	    need_bytes(lens[bi], items, bits, w, err, "list items"))
		return bi != nbufs - 1 ? e21_fail(w, err, -EIO, "fixed-size list chunk has %zu buffers",
						  nbufs)
				       : -EIO;
	out->kind = E21_B_FIXED;
	out->n = n;
	out->bits = bits;
	out->per_value = cum;
	out->data = bufs[bi];
	out->data_len = lens[bi];
	return 0;
}

/* A packed struct of fixed-width fields stored row by row: split it into
 * one column per field. */
static int packed_struct_split(const e21_comp *c, const uint8_t *data, size_t len, uint64_t n,
			       e21_block *out, const e21_where *w, lfs_err *err)
{
	uint64_t row = 0;
	for (uint32_t f = 0; f < c->n_fields; f++) {
		if (c->field_bits[f] == 0 || c->field_bits[f] % 8 || c->field_bits[f] > 8 * 4096)
			return e21_fail(w, err, -EIO, "packed struct field of %llu bits",
					(unsigned long long)c->field_bits[f]);
		row += c->field_bits[f] / 8;
	}
	if (c->n_fields == 0 || need_bytes(len, n, row * 8, w, err, "packed struct rows"))
		return c->n_fields == 0 ? e21_fail(w, err, -EIO, "packed struct without fields") : -EIO;
	e21_block_init(out);
	out->kind = E21_B_STRUCT;
	out->n = n;
	out->kids = calloc(c->n_fields, sizeof(*out->kids));
	if (!out->kids)
		return lfs_fail(err, -ENOMEM, "out of memory");
	out->n_kids = c->n_fields;
	uint64_t at = 0;
	for (uint32_t f = 0; f < c->n_fields; f++) {
		size_t fw = (size_t)(c->field_bits[f] / 8);
		uint8_t *dst = malloc((size_t)(n * fw) + 16);
		if (!dst)
			return lfs_fail(err, -ENOMEM, "out of memory");
		for (uint64_t i = 0; i < n; i++)
			memcpy(dst + i * fw, data + i * row + at, fw);
		fixed_block(&out->kids[f], n, fw * 8, dst, (size_t)(n * fw));
		e21_block_own(&out->kids[f], dst);
		at += fw;
	}
	return 0;
}

static int e21_miniblock_decode_impl(const e21_comp *c, const uint8_t *const *bufs, const size_t *lens,
			 size_t nbufs, uint64_t n, e21_block *out, const e21_where *w,
			 lfs_err *err)
{
	size_t want;
	int rc;

	e21_block_init(out);
	rc = e21_miniblock_nbufs(c, &want);
	if (rc)
		return rc;
	if (nbufs != want)
		return e21_fail(w, err, -EIO, "%s chunk has %zu buffers, expected %zu",
				e21_comp_name(c->kind), nbufs, want);
	switch (c->kind) {
	case E21_C_FLAT:
		return e21_block_decode(c, bufs[0], lens[0], n, out, w, err);
	case E21_C_CONSTANT:
		return constant_block(c, n, out, w, err);
	case E21_C_INLINE_BITPACK:
		if (n > 1024)
			return e21_fail(w, err, -EIO, "bitpacked chunk of %llu values",
					(unsigned long long)n);
		return inline_bitpack(c, bufs[0], lens[0], n, out, w, err);
	case E21_C_VARIABLE:
		return variable_chunk(c, bufs[0], lens[0], n, out, w, err);
	case E21_C_FSST: {
		e21_block inner;
		rc = e21_miniblock_decode(c->values, bufs, lens, nbufs, n, &inner, w, err);
		if (rc)
			return rc;
		if (inner.kind != E21_B_VAR) {
			e21_block_free(&inner);
			return e21_fail(w, err, -EIO, "FSST over non-variable-width values");
		}
		rc = fsst_block(c, &inner, out, w, err);
		e21_block_free(&inner);
		return rc;
	}
	case E21_C_RLE:
		return rle_expand(c, bufs[0], lens[0], bufs[1], lens[1], n, out, w, err);
	case E21_C_BSS:
		return bss_decode(c, bufs[0], lens[0], n, out, w, err);
	case E21_C_FSL:
		return fsl_chunk(c, bufs, lens, nbufs, n, out, w, err);
	case E21_C_PACKED_STRUCT: {
		e21_block flat;
		if (c->values->kind != E21_C_FLAT)
			return e21_fail(w, err, -ENOTSUP, "packed struct over %s values",
					e21_comp_name(c->values->kind));
		rc = e21_block_decode(c->values, bufs[0], lens[0], n, &flat, w, err);
		if (rc)
			return rc;
		rc = packed_struct_split(c, flat.data, (size_t)flat.data_len, n, out, w, err);
		e21_block_free(&flat);
		return rc;
	}
	case E21_C_GENERAL: {
		uint8_t *d;
		size_t dl;
		const uint8_t *nb[E21_MAX_FSL + 2];
		size_t nl[E21_MAX_FSL + 2];
		e21_block inner;
		if (nbufs > E21_MAX_FSL + 2)
			return e21_fail(w, err, -EIO, "too many buffers");
		rc = e21_general_decompress(c->buf_scheme, bufs[0], lens[0], &d, &dl, w, err);
		if (rc)
			return rc;
		nb[0] = d;
		nl[0] = dl;
		for (size_t i = 1; i < nbufs; i++) {
			nb[i] = bufs[i];
			nl[i] = lens[i];
		}
		rc = e21_miniblock_decode(c->values, nb, nl, nbufs, n, &inner, w, err);
		if (rc) {
			free(d);
			return rc;
		}
		block_move(out, &inner);
		return e21_block_own(out, d);
	}
	default:
		return e21_fail(w, err, -ENOTSUP, "%s encoding in a mini-block is not supported",
				e21_comp_name(c->kind));
	}
}

/* ------------------------------------------------------------ per value */

int e21_fixed_pv_bits(const e21_comp *c, uint64_t *bits)
{
	if (c->kind == E21_C_FLAT) {
		*bits = c->bits;
		return 0;
	}
	if (c->kind == E21_C_FSL) {
		uint64_t cum = 1, vbytes = 0;
		const e21_comp *x = c;
		for (int k = 0; x && x->kind == E21_C_FSL; x = x->values, k++) {
			if (k >= E21_MAX_FSL || x->dim == 0 || lfs_mul_u64(cum, x->dim, &cum))
				return -EIO;
			if (x->has_validity)
				vbytes += (cum + 7) / 8;
		}
		if (!x || x->kind != E21_C_FLAT || x->bits % 8 || x->bits == 0)
			return -ENOTSUP;
		uint64_t data;
		if (lfs_mul_u64(cum, x->bits, &data) || lfs_add_u64(data, vbytes * 8, bits))
			return -EIO;
		return 0;
	}
	return -ENOTSUP;
}

static int e21_fixed_pv_decode_impl(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
			e21_block *out, const e21_where *w, lfs_err *err)
{
	uint64_t bits = 0;
	e21_block_init(out);
	if (e21_fixed_pv_bits(c, &bits) || bits % 8 || bits == 0)
		return e21_fail(w, err, -ENOTSUP, "%s per-value encoding is not supported",
				e21_comp_name(c->kind));
	if (need_bytes(len, n, bits, w, err, "values"))
		return -EIO;
	if (c->kind == E21_C_FLAT) {
		if (c->buf_scheme)
			return e21_fail(w, err, -ENOTSUP, "compressed flat per-value data");
		fixed_block(out, n, bits, buf, len);
		return 0;
	}
	/* Fixed-size list: maybe with validity bytes zipped before each
	 * value's items. */
	uint64_t cum = 1, vbytes[E21_MAX_FSL] = { 0 }, item_bits = 0;
	uint32_t k = 0, with_validity = 0;
	const e21_comp *x = c;
	for (; x && x->kind == E21_C_FSL; x = x->values, k++) {
		cum *= x->dim;
		out->fsl_dim[k] = x->dim;
		if (x->has_validity) {
			vbytes[k] = (cum + 7) / 8;
			with_validity = 1;
		}
	}
	item_bits = x->bits;
	out->n_fsl = k;
	out->kind = E21_B_FIXED;
	out->n = n;
	out->bits = item_bits;
	out->per_value = cum;
	if (!with_validity) {
		out->data = buf;
		out->data_len = len;
		return 0;
	}
	size_t row = (size_t)(bits / 8), item_bytes = (size_t)(cum * item_bits / 8);
	uint8_t *items = malloc((size_t)(n * item_bytes) + 16);
	if (!items)
		return lfs_fail(err, -ENOMEM, "out of memory");
	e21_block_own(out, items);
	uint64_t ck = 1;
	for (uint32_t j = 0; j < k; j++) {
		ck *= out->fsl_dim[j];
		if (!vbytes[j])
			continue;
		uint8_t *v = calloc(1, (size_t)((n * ck + 7) / 8) + 16);
		if (!v)
			return lfs_fail(err, -ENOMEM, "out of memory");
		e21_block_own(out, v);
		out->fsl_valid[j] = v;
	}
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *r = buf + i * row;
		size_t at = 0;
		ck = 1;
		for (uint32_t j = 0; j < k; j++) {
			ck *= out->fsl_dim[j];
			if (!vbytes[j])
				continue;
			uint8_t *v = (uint8_t *)out->fsl_valid[j];
			for (uint64_t b = 0; b < ck; b++)
				if ((r[at + b / 8] >> (b % 8)) & 1)
					lfs_bit_set(v, i * ck + b, 1);
			at += (size_t)vbytes[j];
		}
		memcpy(items + i * item_bytes, r + at, item_bytes);
	}
	out->data = items;
	out->data_len = n * item_bytes;
	return 0;
}

/* Each value compressed on its own (zstd or LZ4, with their size headers). */
static int general_pv(const e21_comp *c, const e21_block *in, e21_block *out, const e21_where *w,
		      lfs_err *err)
{
	uint64_t *offs = malloc((in->n + 1) * sizeof(*offs));
	uint8_t *data = NULL;
	size_t cap = 0, used = 0;
	if (!offs)
		return lfs_fail(err, -ENOMEM, "out of memory");
	offs[0] = 0;
	for (uint64_t i = 0; i < in->n; i++) {
		uint64_t a = e21_var_off(in, i), b = e21_var_off(in, i + 1);
		uint8_t *d = NULL;
		size_t dl = 0;
		if (b > a) {
			int rc = e21_general_decompress(c->buf_scheme, in->data + a, (size_t)(b - a), &d,
							&dl, w, err);
			if (rc) {
				free(offs);
				free(data);
				return rc;
			}
		}
		if (used + dl + 16 > cap) {
			size_t ncap = (used + dl + 16) * 2;
			if (ncap > E21_MAX_BUFFER * 2) {
				free(d);
				free(offs);
				free(data);
				return e21_fail(w, err, -EIO, "values decompress to too many bytes");
			}
			uint8_t *q = realloc(data, ncap);
			if (!q) {
				free(d);
				free(offs);
				free(data);
				return lfs_fail(err, -ENOMEM, "out of memory");
			}
			data = q;
			cap = ncap;
		}
		if (dl)
			memcpy(data + used, d, dl);
		free(d);
		used += dl;
		offs[i + 1] = used;
	}
	if (!data)
		data = calloc(1, 16);
	if (!data) {
		free(offs);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	e21_block_init(out);
	out->kind = E21_B_VAR;
	out->n = in->n;
	out->data = data;
	out->data_len = used;
	out->off_bits = 64;
	out->offsets = (const uint8_t *)offs;
	e21_block_own(out, data);
	e21_block_own(out, offs);
	return 0;
}

/* Variable packed struct: each row holds its fields one after another,
 * fixed-width ones as bits/8 bytes, variable-width ones behind a length
 * prefix; each field then has its own per-value encoding. */
static int varpacked_pv(const e21_comp *c, const e21_block *in, e21_block *out, const e21_where *w,
			lfs_err *err)
{
	uint32_t nf = c->n_fields;
	int rc = 0;
	if (nf == 0)
		return e21_fail(w, err, -EIO, "variable packed struct without fields");
	e21_block_init(out);
	out->kind = E21_B_STRUCT;
	out->n = in->n;
	out->kids = calloc(nf, sizeof(*out->kids));
	if (!out->kids)
		return lfs_fail(err, -ENOMEM, "out of memory");
	out->n_kids = nf;
	/* Gather each field's raw values, then run its decoder. */
	for (uint32_t f = 0; f < nf; f++) {
		uint64_t fb = c->field_bits[f];
		if (fb == 0 || fb % 8 || fb > 8 * 4096 || (c->field_is_var[f] && fb != 32 && fb != 64))
			return e21_fail(w, err, -EIO, "packed struct field %u of %llu bits", f,
					(unsigned long long)fb);
	}
	uint64_t *cursor = calloc(in->n + 1, sizeof(*cursor));
	if (!cursor)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (uint64_t i = 0; i < in->n; i++)
		cursor[i] = e21_var_off(in, i);
	for (uint32_t f = 0; f < nf && !rc; f++) {
		uint64_t fb = c->field_bits[f] / 8;
		size_t total = 0;
		/* First pass: sizes. */
		for (uint64_t i = 0; i < in->n; i++) {
			uint64_t end = e21_var_off(in, i + 1), at = cursor[i], l;
			if (c->field_is_var[f]) {
				if (end - at < fb) {
					rc = e21_fail(w, err, -EIO, "packed struct row %llu is cut short",
						      (unsigned long long)i);
					break;
				}
				l = fb == 4 ? lfs_le32(in->data + at) : lfs_le64(in->data + at);
				if (l > end - at - fb) {
					rc = e21_fail(w, err, -EIO, "packed struct row %llu is cut short",
						      (unsigned long long)i);
					break;
				}
			} else {
				l = fb;
				if (end - at < l) {
					rc = e21_fail(w, err, -EIO, "packed struct row %llu is cut short",
						      (unsigned long long)i);
					break;
				}
			}
			total += (size_t)l;
		}
		if (rc)
			break;
		uint8_t *raw = malloc(total + 16);
		uint64_t *offs = c->field_is_var[f] ? malloc((in->n + 1) * sizeof(*offs)) : NULL;
		if (!raw || (c->field_is_var[f] && !offs)) {
			free(raw);
			free(offs);
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			break;
		}
		size_t pos = 0;
		if (offs)
			offs[0] = 0;
		for (uint64_t i = 0; i < in->n; i++) {
			uint64_t at = cursor[i], l;
			if (c->field_is_var[f]) {
				l = fb == 4 ? lfs_le32(in->data + at) : lfs_le64(in->data + at);
				at += fb;
			} else {
				l = fb;
			}
			memcpy(raw + pos, in->data + at, (size_t)l);
			pos += (size_t)l;
			cursor[i] = at + l;
			if (offs)
				offs[i + 1] = pos;
		}
		e21_block raw_b, *kid = &out->kids[f];
		if (c->field_is_var[f]) {
			e21_block_init(&raw_b);
			raw_b.kind = E21_B_VAR;
			raw_b.n = in->n;
			raw_b.data = raw;
			raw_b.data_len = total;
			raw_b.off_bits = 64;
			raw_b.offsets = (const uint8_t *)offs;
			e21_block_own(&raw_b, raw);
			e21_block_own(&raw_b, offs);
			rc = e21_var_pv_decode(c->field_enc[f], &raw_b, kid, w, err);
			e21_block_free(&raw_b);
		} else {
			rc = e21_fixed_pv_decode(c->field_enc[f], raw, total, in->n, kid, w, err);
			if (!rc) {
				/* The kid may borrow raw: keep it alive with the kid. */
				rc = e21_block_own(kid, raw);
			} else {
				free(raw);
			}
		}
	}
	free(cursor);
	return rc;
}

static int e21_var_pv_decode_impl(const e21_comp *c, e21_block *in, e21_block *out, const e21_where *w,
		      lfs_err *err)
{
	e21_block_init(out);
	switch (c->kind) {
	case E21_C_VARIABLE:
		if (c->buf_scheme)
			return e21_fail(w, err, -ENOTSUP, "compressed variable-width per-value data");
		block_move(out, in);
		return 0;
	case E21_C_FSST:
		return fsst_block(c, in, out, w, err);
	case E21_C_GENERAL:
		return general_pv(c, in, out, w, err);
	case E21_C_VARIABLE_PACKED_STRUCT:
		return varpacked_pv(c, in, out, w, err);
	default:
		return e21_fail(w, err, -ENOTSUP, "%s per-value encoding is not supported",
				e21_comp_name(c->kind));
	}
}

/* ------------------------------------------------------------ entry points */

/* The decoders release whatever they built when they fail, so callers only
 * free blocks that decoded. */

int e21_block_decode(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
		     e21_block *out, const e21_where *w, lfs_err *err)
{
	int rc = e21_block_decode_impl(c, buf, len, n, out, w, err);
	if (rc)
		e21_block_free(out);
	return rc;
}

int e21_miniblock_decode(const e21_comp *c, const uint8_t *const *bufs, const size_t *lens,
			 size_t nbufs, uint64_t n, e21_block *out, const e21_where *w,
			 lfs_err *err)
{
	int rc = e21_miniblock_decode_impl(c, bufs, lens, nbufs, n, out, w, err);
	if (rc)
		e21_block_free(out);
	return rc;
}

int e21_fixed_pv_decode(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
			e21_block *out, const e21_where *w, lfs_err *err)
{
	int rc = e21_fixed_pv_decode_impl(c, buf, len, n, out, w, err);
	if (rc)
		e21_block_free(out);
	return rc;
}

int e21_var_pv_decode(const e21_comp *c, e21_block *in, e21_block *out, const e21_where *w,
		      lfs_err *err)
{
	int rc = e21_var_pv_decode_impl(c, in, out, w, err);
	if (rc)
		e21_block_free(out);
	return rc;
}
