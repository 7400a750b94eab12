/*
 * format/enc21: private to format/ — decoders for Lance 2.1 / 2.2 pages
 * (lance.encodings21.PageLayout) and the structural assembly of fields.
 *
 * A field of a 2.1+ file is stored as one column per leaf (struct children
 * and list items are separate columns; a fixed_size_list of fixed-width
 * items, a packed struct and a blob are one leaf).  Every leaf column
 * carries repetition and definition levels for all the struct and list
 * layers above it.  Decoding a field therefore happens in two steps:
 *
 *   1. enc21_page.c decodes, for each leaf, the pages holding the wanted
 *      rows into an e21_leaf: levels renumbered to one canonical scheme per
 *      leaf (so pages with different layer meanings can be concatenated)
 *      and the values of the visible items;
 *   2. enc21_field.c unravels the levels layer by layer (bottom-up) into
 *      validity bitmaps and list offsets and builds the lfs_column tree.
 *
 * enc21_comp.c holds the compressive encodings (flat, variable, constant,
 * bitpacking, FSST, RLE, byte-stream-split, general LZ4/zstd, fixed-size
 * list, packed struct, variable packed struct) as pure functions of bytes.
 */
#ifndef LFS_ENC21_H
#define LFS_ENC21_H

#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "format/file2.h"
#include "format/manifest.h"
#include "util/util.h"

/* ---------------------------------------------------------------------
 * Entry points used by file2.c
 */

/* Decodes rows [start, start + count) of a top-level field of a 2.1+ file
 * into out (initialized here with the field's type). */
int lfs_enc21_read_field(lfs_f2_file *f, const lfs_field *field, uint64_t start, uint64_t count,
			 lfs_column *out, lfs_err *err);

/* The columns (leaves, in schema order) that hold a field: at most
 * `max` indices are written to cols, *n gets the total. */
int lfs_enc21_field_columns(lfs_f2_file *f, const lfs_field *field, uint32_t *cols, size_t max,
			    size_t *n, lfs_err *err);

/* ---------------------------------------------------------------------
 * Compressive encodings (enc21_comp.c)
 */

enum e21_comp_kind {
	E21_C_FLAT = 1,
	E21_C_VARIABLE = 2,
	E21_C_CONSTANT = 3,
	E21_C_OOL_BITPACK = 4,
	E21_C_INLINE_BITPACK = 5,
	E21_C_FSST = 6,
	E21_C_DICTIONARY = 7,
	E21_C_RLE = 8,
	E21_C_BSS = 9,
	E21_C_GENERAL = 10,
	E21_C_FSL = 11,
	E21_C_PACKED_STRUCT = 12,
	E21_C_VARIABLE_PACKED_STRUCT = 13,
};

enum e21_scheme { E21_SCHEME_NONE = 0, E21_SCHEME_LZ4 = 1, E21_SCHEME_ZSTD = 2 };

#define E21_MAX_FSL 8
#define E21_MAX_PACKED 64

/* FSST: decodes one compressed string.  Returns the decoded length, or -1
 * when the input is malformed or out would overflow out_cap. */
typedef struct e21_fsst {
	uint64_t sym[256];
	uint8_t len[256];
	uint32_t n_symbols;
	int enabled;                 /* the table's decoder switch */
} e21_fsst;
int e21_fsst_init(e21_fsst *t, const uint8_t *table, size_t len);
int64_t e21_fsst_decode(const e21_fsst *t, const uint8_t *in, size_t len, uint8_t *out,
			size_t out_cap);

/* One node of a parsed CompressiveEncoding tree. */
typedef struct e21_comp {
	int kind;                    /* enum e21_comp_kind; 0 = absent */
	uint64_t bits;               /* flat / bitpacking / fsl: bits per value */
	int buf_scheme;              /* BufferCompression on flat.data / variable.values /
				      * inline_bitpacking.values; general's scheme */
	struct e21_comp *values;     /* inner encoding (values / offsets / indices) */
	struct e21_comp *aux;        /* rle run lengths; dictionary items */
	uint64_t dim;                /* fsl items per value */
	int has_validity;            /* fsl */
	const uint8_t *bytes;        /* constant value / fsst symbol table */
	size_t bytes_len;
	int has_bytes;
	uint32_t n_fields;           /* packed structs */
	uint64_t field_bits[E21_MAX_PACKED];       /* packed struct / varpacked: bits per value */
	int field_is_var[E21_MAX_PACKED];           /* varpacked: bits are a length prefix */
	struct e21_comp *field_enc[E21_MAX_PACKED]; /* varpacked: per-field encoding */
	uint64_t num_items;          /* dictionary */
	e21_fsst *fsst;              /* Fsst: the symbol table, parsed */
} e21_comp;

/* Nodes come from an arena so a whole tree is freed at once. */
typedef struct e21_arena {
	void **blocks;
	size_t n, cap;
} e21_arena;
void *e21_arena_alloc(e21_arena *a, size_t size);
void e21_arena_free(e21_arena *a);

/* Parses a CompressiveEncoding message.  -EIO for malformed protobuf,
 * -ENOTSUP naming the encoding for ones lancefs does not decode. */
int e21_comp_parse(const uint8_t *msg, size_t len, e21_arena *a, e21_comp **out, lfs_err *err);
const char *e21_comp_name(int kind);

/* A decoded run of values ("data block"). */
enum e21_block_kind { E21_B_FIXED = 1, E21_B_VAR = 2, E21_B_STRUCT = 3 };

typedef struct e21_block {
	int kind;
	uint64_t n;                  /* values */
	/* FIXED: n * per_value items of `bits` bits each (bool: 1 bit, LSB first) */
	uint64_t bits;
	uint64_t per_value;          /* product of the fsl dimensions, else 1 */
	const uint8_t *data;
	uint64_t data_len;
	uint32_t n_fsl;              /* fsl layers, outermost first */
	uint64_t fsl_dim[E21_MAX_FSL];
	const uint8_t *fsl_valid[E21_MAX_FSL];     /* item validity of each layer or NULL */
	/* VAR: value i is data[off(i) .. off(i + 1)) */
	uint32_t off_bits;           /* 32 or 64 */
	const uint8_t *offsets;      /* n + 1 little-endian offsets */
	const e21_fsst *fsst;        /* when set, the values are FSST-compressed with
				      * this table (decoded as they are appended) */
	/* STRUCT: one child block per field */
	struct e21_block *kids;
	uint32_t n_kids;
	/* memory owned by this block */
	void *own[6];
	uint32_t n_own;
} e21_block;

void e21_block_init(e21_block *b);
void e21_block_free(e21_block *b);
/* Takes ownership of p (freed with the block); -ENOMEM if the list is full. */
int e21_block_own(e21_block *b, void *p);
/* Offset i of a VAR block (caller checked i <= n). */
static inline uint64_t e21_var_off(const e21_block *b, uint64_t i)
{
	return b->off_bits == 64 ? lfs_le64(b->offsets + i * 8) : lfs_le32(b->offsets + i * 4);
}
/* Checks a VAR block: offsets ascend and stay inside data. */
int e21_var_check(const e21_block *b, lfs_err *err);

/* Context for error messages: "FILE: column C: ... at offset O". */
typedef struct e21_where {
	const char *key;
	uint32_t column;
	uint64_t offset;             /* file offset of what is being decoded */
} e21_where;
int e21_fail(const e21_where *w, lfs_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Block decompression: a whole buffer of n values (levels, dictionaries). */
int e21_block_decode(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
		     e21_block *out, const e21_where *w, lfs_err *err);
/* Mini-block decompression: one chunk's buffers, n values. */
int e21_miniblock_decode(const e21_comp *c, const uint8_t *const *bufs, const size_t *lens,
			 size_t nbufs, uint64_t n, e21_block *out, const e21_where *w,
			 lfs_err *err);
/* Number of buffers a mini-block value encoding uses per chunk. */
int e21_miniblock_nbufs(const e21_comp *c, size_t *n);

/* Per-value (full-zip) decompression of fixed-width values: the bytes of
 * n values laid one after another, bytes_per_value each.  The result may
 * borrow `buf`. */
int e21_fixed_pv_decode(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
			e21_block *out, const e21_where *w, lfs_err *err);
/* Bits per value of a fixed per-value encoding (including zipped validity). */
int e21_fixed_pv_bits(const e21_comp *c, uint64_t *bits);
/* Per-value decompression of variable-width values: a VAR block of n
 * values as stored (after the control words and length prefixes). */
int e21_var_pv_decode(const e21_comp *c, e21_block *in, e21_block *out, const e21_where *w,
		      lfs_err *err);

/* Levels (u16) from a decoded FIXED block of n values. */
int e21_block_to_u16(const e21_block *b, uint16_t *out, uint64_t n, const e21_where *w,
		     lfs_err *err);

/* General-purpose decompression of one buffer (LZ4 with a 4-byte size
 * prefix; zstd raw frame or with an 8-byte size prefix). */
int e21_general_decompress(int scheme, const uint8_t *in, size_t len, uint8_t **out,
			   size_t *out_len, const e21_where *w, lfs_err *err);

/* FastLanes bit unpacking of one 1024-value chunk of `word_bits`-bit words
 * (8, 16, 32, 64) packed to `width` bits: in holds width * 1024 / 8 bytes,
 * out receives 1024 values of word_bits / 8 bytes each. */
void e21_unpack_fastlanes(uint32_t word_bits, uint32_t width, const uint8_t *in, uint8_t *out);


/* ---------------------------------------------------------------------
 * Values of a leaf (enc21_page.c / enc21_field.c)
 */

/* The canonical levels of a leaf: layers from the leaf up to the top-level
 * field; an item layer (leaf, struct) owns one definition level ("null"),
 * a list layer owns two ("null", "empty"); level 0 is "valid everywhere".
 * Repetition level k (1..n_lists) starts a new list at the k-th list layer
 * counted from the leaf, so max_rep starts a new row. */
#define E21_MAX_LAYERS 64
typedef struct e21_plan {
	uint32_t n_layers;
	uint8_t is_list[E21_MAX_LAYERS];
	uint16_t def_base[E21_MAX_LAYERS];  /* canonical def levels owned by inner layers */
	uint16_t max_def;                   /* highest canonical def level */
	uint16_t max_rep;                   /* number of list layers */
	uint16_t max_visible_def;           /* levels of the item layers below the first list */
} e21_plan;

/* What the pages of one leaf decode to for a row range. */
typedef struct e21_leaf {
	const lfs_field *field;       /* the leaf field */
	uint32_t column;
	e21_plan plan;
	uint16_t *rep, *def;          /* canonical levels, NULL while all zero */
	uint64_t n_levels;
	uint64_t cap_levels;
	lfs_column vals;              /* one slot per visible item, of the leaf's type */
} e21_leaf;

/* Appends values [from, from + n) of a decoded block to a leaf's values. */
int e21_vals_append(lfs_column *vals, const e21_block *b, uint64_t from, uint64_t n,
		    const e21_where *w, lfs_err *err);
/* Appends n zero / empty slots. */
int e21_vals_append_zero(lfs_column *vals, uint64_t n, lfs_err *err);
/* Appends n slots, zeroed or not (the caller then fills the innermost
 * fixed-width values itself). */
int e21_vals_grow(lfs_column *vals, uint64_t n, int zero, lfs_err *err);
/* Prepares an empty value column for a leaf field (children for fsl and
 * packed structs). */
int e21_vals_init(lfs_column *vals, const lfs_field *leaf, lfs_err *err);

/* Decodes rows [start, start + count) of one page of a leaf column,
 * appending to leaf. */
int e21_page_read(lfs_f2_file *f, const lfs_f2_column *col, size_t page, uint64_t start,
		  uint64_t count, e21_leaf *leaf, lfs_err *err);

/* Level buffers of a leaf. */
int e21_leaf_reserve_levels(e21_leaf *leaf, uint64_t more, int want_rep, int want_def);

#endif
