/* format/enc21_page: the structural page layouts of Lance 2.1 / 2.2
 * (lance.encodings21.PageLayout): mini-block, full-zip, all-null /
 * constant and blob.  Each reads the rows a caller wants from one page of
 * a leaf column and appends their levels (renumbered to the leaf's
 * canonical scheme, see enc21.h) and item values to an e21_leaf.
 *
 * What a page needs before any row can be found (the mini-block chunk
 * table and repetition index, its dictionary, an all-null page's levels)
 * is decoded once and kept in the file's per-page cache. */
#include "format/enc21.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/pb.h"

enum { L_MINIBLOCK = 1, L_CONSTANT = 2, L_FULLZIP = 3, L_BLOB = 4, L_SPARSE = 5 };

enum {
	RD_ALL_VALID_ITEM = 1,
	RD_ALL_VALID_LIST = 2,
	RD_NULLABLE_ITEM = 3,
	RD_NULLABLE_LIST = 4,
	RD_EMPTYABLE_LIST = 5,
	RD_NULL_AND_EMPTY_LIST = 6,
};

#define MINIBLOCK_ALIGN 8
/* Writers cut mini-blocks of at most a few thousand items; more is damage. */
#define E21_MAX_CHUNK_ITEMS ((uint64_t)1 << 20)
/* Levels of one page or chunk, at most (2 bytes each once decoded). */
#define E21_MAX_LEVELS ((uint64_t)1 << 26)

typedef struct mb_chunk {
	uint64_t pos, size;          /* absolute file range */
	uint64_t items, first_item;  /* visible items in the chunk; before it */
	uint64_t first_row;          /* repetition index: first row starting in the chunk */
	uint64_t starts;             /* rows starting in the chunk (trailer included) */
	uint8_t has_pre, has_trail;
} mb_chunk;

typedef struct page_state page_state;
struct page_state {
	e21_arena arena;
	int layout;
	uint8_t layers[E21_MAX_LAYERS];
	uint32_t n_layers;
	/* mini-block */
	e21_comp *rep_c, *def_c, *val_c, *dict_c;
	uint64_t num_buffers, num_items, dict_items;
	uint32_t rep_depth;
	int large_chunk;
	mb_chunk *chunks;
	uint64_t n_chunks;
	e21_block dict;
	uint8_t *dict_buf;
	int has_dict;
	/* full-zip */
	uint32_t bits_rep, bits_def;
	int fz_var;
	uint64_t fz_bits;
	e21_comp *fz_c;
	/* constant / all-null */
	int all_null;
	const uint8_t *inline_value;
	size_t inline_len;
	int has_inline;
	e21_comp *crep_c, *cdef_c;
	uint64_t n_rep_values, n_def_values;
	uint16_t *c_rep, *c_def;      /* the page's levels, NULL when absent */
	uint64_t c_levels;
	uint64_t *c_row_start;        /* with repetition: first level of each row, rows + 1 */
	uint8_t *scalar_buf;          /* the scalar value buffer (2.2) */
	size_t scalar_len;
	/* blob */
	page_state *inner;
	/* the PageLayout bytes the descriptions point into */
	uint8_t *desc;
};

typedef struct page_ctx {
	lfs_f2_file *f;
	const lfs_f2_column *col;
	size_t page;
} page_ctx;

static void state_free(void *p)
{
	page_state *s = p;
	if (!s)
		return;
	e21_block_free(&s->dict);
	free(s->dict_buf);
	free(s->chunks);
	free(s->c_rep);
	free(s->c_def);
	free(s->c_row_start);
	free(s->scalar_buf);
	if (s->inner)
		state_free(s->inner);
	e21_arena_free(&s->arena);
	free(s->desc);
	free(s);
}

static e21_where where_of(const page_ctx *pc, uint64_t off)
{
	e21_where w = { lfs_f2_key(pc->f), pc->col->index, off };
	return w;
}

/* ------------------------------------------------------------ parsing */

typedef struct layer_ctx {
	page_state *s;
	int bad;
} layer_ctx;

static int push_layer(void *ctx, uint64_t v)
{
	layer_ctx *l = ctx;
	if (l->s->n_layers >= E21_MAX_LAYERS || v < 1 || v > 6) {
		l->bad = 1;
		return -EIO;
	}
	l->s->layers[l->s->n_layers++] = (uint8_t)v;
	return 0;
}

static int parse_layers(const lfs_pb_field *e, page_state *s, const e21_where *w, lfs_err *err)
{
	layer_ctx lc = { s, 0 };
	if (lfs_pb_packed_varints(e, push_layer, &lc))
		return e21_fail(w, err, -EIO, "bad repetition/definition layer list");
	return 0;
}

static int comp_child(const lfs_pb_field *e, page_state *s, e21_comp **out, const e21_where *w,
		      lfs_err *err)
{
	int rc;
	if (e->wire != LFS_PB_LEN)
		return e21_fail(w, err, -EIO, "malformed page layout");
	rc = e21_comp_parse(e->bytes, e->len, &s->arena, out, err);
	if (rc) {
		char what[sizeof(err->msg)];
		snprintf(what, sizeof(what), "%s", err ? err->msg : "bad encoding");
		return e21_fail(w, err, rc, "%s", what);
	}
	return 0;
}

static int parse_layout(const uint8_t *msg, size_t len, page_state *s, int depth,
			const e21_where *w, lfs_err *err);

static int parse_miniblock(lfs_pb *pb, page_state *s, const e21_where *w, lfs_err *err)
{
	lfs_pb_field e;
	int rc;
	while ((rc = lfs_pb_next(pb, &e)) > 0) {
		switch (e.number) {
		case 1: rc = comp_child(&e, s, &s->rep_c, w, err); break;
		case 2: rc = comp_child(&e, s, &s->def_c, w, err); break;
		case 3: rc = comp_child(&e, s, &s->val_c, w, err); break;
		case 4: rc = comp_child(&e, s, &s->dict_c, w, err); break;
		case 5: s->dict_items = e.u64; rc = 0; break;
		case 6: rc = parse_layers(&e, s, w, err); break;
		case 7: s->num_buffers = e.u64; rc = 0; break;
		case 8:
			s->rep_depth = (uint32_t)e.u64;
			rc = e.u64 > 8 ? e21_fail(w, err, -EIO, "repetition index depth %llu",
						  (unsigned long long)e.u64) : 0;
			break;
		case 9: s->num_items = e.u64; rc = 0; break;
		case 10: s->large_chunk = e.u64 != 0; rc = 0; break;
		default: rc = 0;
		}
		if (rc)
			return rc;
	}
	if (rc < 0)
		return e21_fail(w, err, -EIO, "malformed mini-block layout");
	if (!s->val_c)
		return e21_fail(w, err, -EIO, "mini-block layout without a value encoding");
	return 0;
}

static int parse_fullzip(lfs_pb *pb, page_state *s, const e21_where *w, lfs_err *err)
{
	lfs_pb_field e;
	int rc, have = 0;
	while ((rc = lfs_pb_next(pb, &e)) > 0) {
		rc = 0;
		switch (e.number) {
		case 1: s->bits_rep = (uint32_t)e.u64; break;
		case 2: s->bits_def = (uint32_t)e.u64; break;
		case 3: s->fz_bits = e.u64; s->fz_var = 0; have = 1; break;
		case 4: s->fz_bits = e.u64; s->fz_var = 1; have = 1; break;
		case 7: rc = comp_child(&e, s, &s->fz_c, w, err); break;
		case 8: rc = parse_layers(&e, s, w, err); break;
		default: break;
		}
		if (rc)
			return rc;
	}
	if (rc < 0 || !have || !s->fz_c)
		return e21_fail(w, err, -EIO, "malformed full-zip layout");
	if (s->bits_rep > 16 || s->bits_def > 16)
		return e21_fail(w, err, -EIO, "full-zip control words of %u + %u bits", s->bits_rep,
				s->bits_def);
	return 0;
}

static int parse_constant(lfs_pb *pb, page_state *s, const e21_where *w, lfs_err *err)
{
	lfs_pb_field e;
	int rc;
	while ((rc = lfs_pb_next(pb, &e)) > 0) {
		rc = 0;
		switch (e.number) {
		case 5: rc = parse_layers(&e, s, w, err); break;
		case 6:
			if (e.wire != LFS_PB_LEN)
				return e21_fail(w, err, -EIO, "malformed constant layout");
			s->inline_value = e.bytes;
			s->inline_len = e.len;
			s->has_inline = 1;
			break;
		case 7: rc = comp_child(&e, s, &s->crep_c, w, err); break;
		case 8: rc = comp_child(&e, s, &s->cdef_c, w, err); break;
		case 9: s->n_rep_values = e.u64; break;
		case 10: s->n_def_values = e.u64; break;
		default: break;
		}
		if (rc)
			return rc;
	}
	if (rc < 0)
		return e21_fail(w, err, -EIO, "malformed constant layout");
	return 0;
}

static int parse_blob(lfs_pb *pb, page_state *s, int depth, const e21_where *w, lfs_err *err)
{
	lfs_pb_field e;
	int rc;
	while ((rc = lfs_pb_next(pb, &e)) > 0) {
		rc = 0;
		if (e.number == 1 && e.wire == LFS_PB_LEN) {
			if (s->inner)
				return e21_fail(w, err, -EIO, "blob layout with two inner layouts");
			s->inner = calloc(1, sizeof(*s->inner));
			if (!s->inner)
				return lfs_fail(err, -ENOMEM, "out of memory");
			rc = parse_layout(e.bytes, e.len, s->inner, depth + 1, w, err);
		} else if (e.number == 2) {
			rc = parse_layers(&e, s, w, err);
		}
		if (rc)
			return rc;
	}
	if (rc < 0 || !s->inner)
		return e21_fail(w, err, -EIO, "malformed blob layout");
	return 0;
}

static int parse_layout(const uint8_t *msg, size_t len, page_state *s, int depth,
			const e21_where *w, lfs_err *err)
{
	lfs_pb pb, sub;
	lfs_pb_field fl;
	int rc;

	if (depth > 2)
		return e21_fail(w, err, -EIO, "page layouts nested too deeply");
	lfs_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &fl)) > 0) {
		if (fl.wire != LFS_PB_LEN || fl.number < 1 || fl.number > 5)
			continue;
		if (s->layout)
			return e21_fail(w, err, -EIO, "page layout holds two layouts");
		s->layout = (int)fl.number;
		lfs_pb_sub(&fl, &sub);
		switch (s->layout) {
		case L_MINIBLOCK: rc = parse_miniblock(&sub, s, w, err); break;
		case L_CONSTANT: rc = parse_constant(&sub, s, w, err); break;
		case L_FULLZIP: rc = parse_fullzip(&sub, s, w, err); break;
		case L_BLOB: rc = parse_blob(&sub, s, depth, w, err); break;
		default:
			return e21_fail(w, err, -ENOTSUP, "the sparse page layout (file version 2.3) is not supported");
		}
		if (rc)
			return rc;
	}
	if (rc < 0)
		return e21_fail(w, err, -EIO, "malformed page layout");
	if (!s->layout)
		return e21_fail(w, err, -ENOTSUP, "page layout of an unknown kind");
	if (s->n_layers == 0)
		return e21_fail(w, err, -EIO, "page layout without repetition/definition layers");
	return 0;
}

/* ------------------------------------------------------------ levels */

/* Maps the page's definition levels onto the leaf's canonical ones; checks
 * that the page's layers have the field's shape.  map has room for
 * 2 * E21_MAX_LAYERS + 1 entries; *max_def gets the page's highest level
 * and *max_vis the highest one still naming an item. */
static int def_map(const page_state *s, const e21_plan *plan, uint16_t *map, uint16_t *max_def,
		   uint16_t *max_vis, const e21_where *w, lfs_err *err)
{
	uint16_t pc = 0;
	int seen_list = 0;
	if (s->n_layers != plan->n_layers)
		return e21_fail(w, err, -EIO, "page has %u structural layers but the field has %u",
				s->n_layers, plan->n_layers);
	map[0] = 0;
	*max_vis = 0;
	for (uint32_t k = 0; k < s->n_layers; k++) {
		int is_list = s->layers[k] == RD_ALL_VALID_LIST || s->layers[k] == RD_NULLABLE_LIST ||
			      s->layers[k] == RD_EMPTYABLE_LIST || s->layers[k] == RD_NULL_AND_EMPTY_LIST;
		uint16_t base = plan->def_base[k];
		if (is_list != plan->is_list[k])
			return e21_fail(w, err, -EIO, "page layer %u is a %s but the field has a %s there",
					k, is_list ? "list" : "struct/item", plan->is_list[k] ? "list" : "struct/item");
		switch (s->layers[k]) {
		case RD_NULLABLE_ITEM:
		case RD_NULLABLE_LIST:
			map[++pc] = base + 1;
			break;
		case RD_EMPTYABLE_LIST:
			map[++pc] = base + 2;
			break;
		case RD_NULL_AND_EMPTY_LIST:
			map[++pc] = base + 1;
			map[++pc] = base + 2;
			break;
		default:
			break;
		}
		if (is_list)
			seen_list = 1;
		if (!seen_list)
			*max_vis = pc;
	}
	*max_def = pc;
	return 0;
}

int e21_leaf_reserve_levels(e21_leaf *leaf, uint64_t more, int want_rep, int want_def)
{
	uint64_t need = leaf->n_levels + more;
	if (need > leaf->cap_levels || (want_rep && !leaf->rep) || (want_def && !leaf->def)) {
		uint64_t cap = need > leaf->cap_levels ? need + need / 2 + 64 : leaf->cap_levels;
		if (cap > SIZE_MAX / 4)
			return -ENOMEM;
		if (leaf->rep || want_rep) {
			uint16_t *p = realloc(leaf->rep, (size_t)cap * 2);
			if (!p)
				return -ENOMEM;
			if (!leaf->rep)
				memset(p, 0, (size_t)leaf->n_levels * 2);
			leaf->rep = p;
		}
		if (leaf->def || want_def) {
			uint16_t *p = realloc(leaf->def, (size_t)cap * 2);
			if (!p)
				return -ENOMEM;
			if (!leaf->def)
				memset(p, 0, (size_t)leaf->n_levels * 2);
			leaf->def = p;
		}
		leaf->cap_levels = cap;
	}
	return 0;
}

/* Appends n levels (page numbering; rep or def may be NULL = all zero). */
static int append_levels(e21_leaf *leaf, const uint16_t *rep, const uint16_t *def, uint64_t n,
			 const uint16_t *map, uint16_t page_max_def, const e21_where *w,
			 lfs_err *err)
{
	if (n == 0)
		return 0;
	if (e21_leaf_reserve_levels(leaf, n, rep != NULL, def != NULL))
		return lfs_fail(err, -ENOMEM, "out of memory");
	if (leaf->rep) {
		uint16_t *dst = leaf->rep + leaf->n_levels;
		if (rep) {
			for (uint64_t i = 0; i < n; i++) {
				if (rep[i] > leaf->plan.max_rep)
					return e21_fail(w, err, -EIO, "repetition level %u exceeds %u",
							rep[i], leaf->plan.max_rep);
				dst[i] = rep[i];
			}
		} else {
			memset(dst, 0, (size_t)n * 2);
		}
	}
	if (leaf->def) {
		uint16_t *dst = leaf->def + leaf->n_levels;
		if (def) {
			for (uint64_t i = 0; i < n; i++) {
				if (def[i] > page_max_def)
					return e21_fail(w, err, -EIO, "definition level %u exceeds %u",
							def[i], page_max_def);
				dst[i] = map[def[i]];
			}
		} else {
			memset(dst, 0, (size_t)n * 2);
		}
	}
	leaf->n_levels += n;
	return 0;
}

/* ------------------------------------------------------------ state */

static int decode_levels_buf(const e21_comp *c, const uint8_t *buf, size_t len, uint64_t n,
			     uint16_t **out, const e21_where *w, lfs_err *err)
{
	e21_block b;
	int rc;
	*out = NULL;
	if (n > E21_MAX_LEVELS)
		return e21_fail(w, err, -EIO, "%llu levels is implausible", (unsigned long long)n);
	uint16_t *v = malloc((size_t)n * 2 + 2);
	if (!v)
		return lfs_fail(err, -ENOMEM, "out of memory");
	if (!c) {
		/* raw u16 levels */
		if (len < n * 2) {
			free(v);
			return e21_fail(w, err, -EIO, "level buffer of %zu bytes holds fewer than %llu levels",
					len, (unsigned long long)n);
		}
		memcpy(v, buf, (size_t)n * 2);
		*out = v;
		return 0;
	}
	rc = e21_block_decode(c, buf, len, n, &b, w, err);
	if (!rc)
		rc = e21_block_to_u16(&b, v, n, w, err);
	e21_block_free(&b);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

static int build_miniblock(const page_ctx *pc, page_state *s, lfs_err *err)
{
	const lfs_f2_page *pg = &pc->col->pages[pc->page];
	e21_where w = where_of(pc, pg->meta_offset);
	uint8_t *meta = NULL;
	size_t want = 2 + (s->dict_c ? 1 : 0) + (s->rep_depth ? 1 : 0);
	int rc;

	if (pg->n_bufs < want)
		return e21_fail(&w, err, -EIO, "mini-block page has %zu buffers, needs %zu", pg->n_bufs,
				want);
	lfs_f2_buf mb = pg->bufs[0], data = pg->bufs[1];
	size_t word = s->large_chunk ? 4 : 2;
	if (mb.size % word)
		return e21_fail(&w, err, -EIO, "chunk table of %llu bytes", (unsigned long long)mb.size);
	if (mb.size / word > (1u << 26))
		return e21_fail(&w, err, -EIO, "chunk table of %llu bytes is implausible",
				(unsigned long long)mb.size);
	rc = lfs_f2_read_alloc(pc->f, pc->col->index, mb.pos, mb.size, &meta, err);
	if (rc)
		return rc;
	s->n_chunks = mb.size / word;
	s->chunks = lfs_xcalloc(s->n_chunks ? s->n_chunks : 1, sizeof(*s->chunks));
	if (!s->chunks) {
		free(meta);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	uint64_t pos = data.pos, items = 0;
	for (uint64_t i = 0; i < s->n_chunks; i++) {
		uint64_t wd = word == 4 ? lfs_le32(meta + 4 * i) : lfs_le16(meta + 2 * i);
		uint64_t log = wd & 15, bytes = ((wd >> 4) + 1) * MINIBLOCK_ALIGN, n;
		if (i + 1 < s->n_chunks) {
			n = (uint64_t)1 << log;
		} else {
			if (items > s->num_items) {
				free(meta);
				return e21_fail(&w, err, -EIO, "chunks hold more than the page's %llu items",
						(unsigned long long)s->num_items);
			}
			n = s->num_items - items;
		}
		if (n == 0 || n > E21_MAX_CHUNK_ITEMS) {
			free(meta);
			return e21_fail(&w, err, -EIO, "chunk %llu holds %llu items",
					(unsigned long long)i, (unsigned long long)n);
		}
		if (pos + bytes > data.pos + data.size || pos + bytes < pos) {
			free(meta);
			return e21_fail(&w, err, -EIO, "chunk %llu (%llu bytes) overruns the page's data buffer",
					(unsigned long long)i, (unsigned long long)bytes);
		}
		s->chunks[i].pos = pos;
		s->chunks[i].size = bytes;
		s->chunks[i].items = n;
		s->chunks[i].first_item = items;
		pos += bytes;
		items += n;
	}
	free(meta);
	if (items != s->num_items || (s->n_chunks == 0 && s->num_items))
		return e21_fail(&w, err, -EIO, "chunks hold %llu items, the page %llu",
				(unsigned long long)items, (unsigned long long)s->num_items);
	if (s->rep_depth) {
		lfs_f2_buf ri = pg->bufs[pg->n_bufs - 1];
		uint64_t stride = (uint64_t)s->rep_depth + 1, row = 0;
		uint8_t *rb;
		int pre = 0;
		if (ri.size != s->n_chunks * stride * 8)
			return e21_fail(&w, err, -EIO, "repetition index of %llu bytes for %llu chunks",
					(unsigned long long)ri.size, (unsigned long long)s->n_chunks);
		rc = lfs_f2_read_alloc(pc->f, pc->col->index, ri.pos, ri.size, &rb, err);
		if (rc)
			return rc;
		for (uint64_t i = 0; i < s->n_chunks; i++) {
			uint64_t ends = lfs_le64(rb + 8 * stride * i);
			uint64_t partial = lfs_le64(rb + 8 * stride * i + 8);
			uint64_t starts = ends + (partial > 0) - (uint64_t)pre;
			if (ends + (partial > 0) < (uint64_t)pre) {
				free(rb);
				return e21_fail(&w, err, -EIO, "repetition index entry %llu is inconsistent",
						(unsigned long long)i);
			}
			s->chunks[i].first_row = row;
			s->chunks[i].starts = starts;
			s->chunks[i].has_pre = (uint8_t)pre;
			s->chunks[i].has_trail = partial > 0;
			pre = partial > 0;
			row += starts;
		}
		free(rb);
		if (row != pg->num_rows)
			return e21_fail(&w, err, -EIO, "repetition index counts %llu rows, the page %llu",
					(unsigned long long)row, (unsigned long long)pg->num_rows);
	}
	if (s->dict_c) {
		lfs_f2_buf db = pg->bufs[2];
		e21_where dw = where_of(pc, db.pos);
		rc = lfs_f2_read_alloc(pc->f, pc->col->index, db.pos, db.size, &s->dict_buf, err);
		if (rc)
			return rc;
		if (s->dict_items > (1u << 28))
			return e21_fail(&dw, err, -EIO, "dictionary of %llu items is implausible",
					(unsigned long long)s->dict_items);
		rc = e21_block_decode(s->dict_c, s->dict_buf, (size_t)db.size, s->dict_items, &s->dict,
				      &dw, err);
		if (rc)
			return rc;
		s->has_dict = 1;
	}
	return 0;
}

/* Reads the scalar of a constant page: inline bytes, or a value buffer
 * ([u32 buffers][u32 size]... then the buffers) holding a one-value Arrow
 * array's buffers. */
static int build_constant(const page_ctx *pc, page_state *s, lfs_err *err)
{
	const lfs_f2_page *pg = &pc->col->pages[pc->page];
	e21_where w = where_of(pc, pg->meta_offset);
	int value_buf = -1, rep_buf = -1, def_buf = -1, rc;

	if (s->has_inline) {
		if (pg->n_bufs == 2) {
			rep_buf = 0;
			def_buf = 1;
		} else if (pg->n_bufs != 0) {
			return e21_fail(&w, err, -EIO, "constant page with an inline value and %zu buffers",
					pg->n_bufs);
		}
	} else {
		switch (pg->n_bufs) {
		case 0:
			s->all_null = 1;
			break;
		case 1:
			value_buf = 0;
			break;
		case 2:
			s->all_null = 1;
			rep_buf = 0;
			def_buf = 1;
			break;
		case 3:
			value_buf = 0;
			rep_buf = 1;
			def_buf = 2;
			break;
		default:
			return e21_fail(&w, err, -EIO, "constant page with %zu buffers", pg->n_bufs);
		}
	}
	if (value_buf >= 0) {
		lfs_f2_buf b = pg->bufs[value_buf];
		if (b.size > (1u << 20))
			return e21_fail(&w, err, -EIO, "constant value of %llu bytes is implausible",
					(unsigned long long)b.size);
		rc = lfs_f2_read_alloc(pc->f, pc->col->index, b.pos, b.size, &s->scalar_buf, err);
		if (rc)
			return rc;
		s->scalar_len = (size_t)b.size;
	}
	/* Levels: compressed when the layout names a compression (2.2), raw
	 * u16 otherwise; an empty buffer means the levels are all zero. */
	for (int k = 0; k < 2; k++) {
		int bi = k == 0 ? rep_buf : def_buf;
		uint16_t **dst = k == 0 ? &s->c_rep : &s->c_def;
		const e21_comp *c = k == 0 ? s->crep_c : s->cdef_c;
		uint64_t n;
		uint8_t *raw;
		if (bi < 0 || pg->bufs[bi].size == 0)
			continue;
		lfs_f2_buf b = pg->bufs[bi];
		e21_where lw = where_of(pc, b.pos);
		n = c ? (k == 0 ? s->n_rep_values : s->n_def_values) : b.size / 2;
		if (!c && (k == 0 ? s->n_rep_values : s->n_def_values))
			n = k == 0 ? s->n_rep_values : s->n_def_values;
		rc = lfs_f2_read_alloc(pc->f, pc->col->index, b.pos, b.size, &raw, err);
		if (rc)
			return rc;
		rc = decode_levels_buf(c, raw, (size_t)b.size, n, dst, &lw, err);
		free(raw);
		if (rc)
			return rc;
		if (k == 1 && s->c_rep && s->c_levels != n)
			return e21_fail(&lw, err, -EIO, "%llu repetition levels but %llu definition levels",
					(unsigned long long)s->c_levels, (unsigned long long)n);
		s->c_levels = n;
	}
	if (!s->c_rep && !s->c_def)
		s->c_levels = pg->num_rows;
	if (s->c_rep) {
		/* Row r covers levels [c_row_start[r], c_row_start[r + 1]). */
		uint64_t rows = 0;
		uint16_t max_rep = 0;
		for (uint32_t k = 0; k < s->n_layers; k++)
			max_rep += s->layers[k] == RD_ALL_VALID_LIST || s->layers[k] == RD_NULLABLE_LIST ||
				   s->layers[k] == RD_EMPTYABLE_LIST ||
				   s->layers[k] == RD_NULL_AND_EMPTY_LIST;
		s->c_row_start = lfs_xcalloc(pg->num_rows + 1, sizeof(*s->c_row_start));
		if (!s->c_row_start)
			return lfs_fail(err, -ENOMEM, "out of memory");
		for (uint64_t i = 0; i < s->c_levels; i++) {
			if (s->c_rep[i] != max_rep)
				continue;
			if (rows >= pg->num_rows)
				return e21_fail(&w, err, -EIO, "constant page levels hold more than %llu rows",
						(unsigned long long)pg->num_rows);
			s->c_row_start[rows++] = i;
		}
		if (rows != pg->num_rows || (s->c_levels && s->c_row_start[0] != 0))
			return e21_fail(&w, err, -EIO, "constant page levels hold %llu rows, the page %llu",
					(unsigned long long)rows, (unsigned long long)pg->num_rows);
		s->c_row_start[rows] = s->c_levels;
	} else if (s->c_levels != pg->num_rows) {
		return e21_fail(&w, err, -EIO, "constant page has %llu levels for %llu rows",
				(unsigned long long)s->c_levels, (unsigned long long)pg->num_rows);
	}
	return 0;
}

static int build_state(void *ctx, void **out, lfs_err *err)
{
	const page_ctx *pc = ctx;
	const lfs_f2_page *pg = &pc->col->pages[pc->page];
	e21_where w = where_of(pc, pg->meta_offset);
	page_state *s;
	const char *url = pg->encoding.type_url;
	size_t ul = strlen(url), want = strlen("lance.encodings21.PageLayout");
	int rc;

	if (ul < want || strcmp(url + ul - want, "lance.encodings21.PageLayout") != 0 ||
	    (ul > want && url[ul - want - 1] != '/' && url[ul - want - 1] != '.'))
		return e21_fail(&w, err, -ENOTSUP, "page %zu: encoding %s is not supported", pc->page,
				url[0] ? url : "(none)");
	s = calloc(1, sizeof(*s));
	if (!s)
		return lfs_fail(err, -ENOMEM, "out of memory");
	/* Keep a private copy of the description: parsed nodes point into it. */
	s->desc = malloc(pg->encoding.value_len + 1);
	if (!s->desc) {
		free(s);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	if (pg->encoding.value_len)
		memcpy(s->desc, pg->encoding.value, pg->encoding.value_len);
	rc = parse_layout(s->desc, pg->encoding.value_len, s, 0, &w, err);
	if (!rc) {
		switch (s->layout) {
		case L_MINIBLOCK: rc = build_miniblock(pc, s, err); break;
		case L_CONSTANT: rc = build_constant(pc, s, err); break;
		case L_BLOB:
			if (s->inner->layout == L_MINIBLOCK)
				rc = build_miniblock(pc, s->inner, err);
			else if (s->inner->layout != L_FULLZIP)
				rc = e21_fail(&w, err, -ENOTSUP, "blob descriptions in a %s layout",
					      s->inner->layout == L_CONSTANT ? "constant" : "nested");
			break;
		default: break;
		}
	}
	if (rc) {
		state_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ------------------------------------------------------------ mini-block read */

typedef struct chunk_view {
	uint16_t *rep, *def;          /* page numbering; NULL when absent */
	uint64_t n_levels;
	e21_block vals;
} chunk_view;

static void chunk_view_free(chunk_view *v)
{
	free(v->rep);
	free(v->def);
	e21_block_free(&v->vals);
	memset(v, 0, sizeof(*v));
}

static size_t pad8(size_t x) { return (x + 7) & ~(size_t)7; }

/* Splits and decodes one chunk: a header of u16 level count, u16 rep and
 * def sizes (when present) and one size per value buffer (u16, or u32 for
 * 2.2 large chunks), each part padded to 8 bytes. */
static int decode_chunk(const page_state *s, const mb_chunk *ch, const uint8_t *bytes,
			chunk_view *v, const e21_where *w, lfs_err *err)
{
	size_t size = (size_t)ch->size, off = 0, bufw = s->large_chunk ? 4 : 2;
	uint64_t rep_size = 0, def_size = 0, nl;
	const uint8_t *bufs[E21_MAX_FSL + 2];
	size_t lens[E21_MAX_FSL + 2];
	size_t nb = (size_t)s->num_buffers;
	int rc;

	memset(v, 0, sizeof(*v));
	e21_block_init(&v->vals);
	if (nb > E21_MAX_FSL + 2)
		return e21_fail(w, err, -EIO, "mini-block with %zu buffers", nb);
	size_t hdr = 2 + (s->rep_c ? 2 : 0) + (s->def_c ? 2 : 0) + nb * bufw;
	if (hdr > size)
		return e21_fail(w, err, -EIO, "chunk of %zu bytes is shorter than its header", size);
	nl = lfs_le16(bytes);
	off = 2;
	if (s->rep_c) {
		rep_size = lfs_le16(bytes + off);
		off += 2;
	}
	if (s->def_c) {
		def_size = lfs_le16(bytes + off);
		off += 2;
	}
	for (size_t i = 0; i < nb; i++, off += bufw)
		lens[i] = bufw == 4 ? lfs_le32(bytes + off) : lfs_le16(bytes + off);
	off = pad8(off);
	const uint8_t *rep_b = NULL, *def_b = NULL;
	if (s->rep_c) {
		if (rep_size > size - off)
			return e21_fail(w, err, -EIO, "chunk repetition levels overrun the chunk");
		rep_b = bytes + off;
		off = pad8(off + (size_t)rep_size);
		if (off > size)
			off = size;
	}
	if (s->def_c) {
		if (def_size > size - off)
			return e21_fail(w, err, -EIO, "chunk definition levels overrun the chunk");
		def_b = bytes + off;
		off = pad8(off + (size_t)def_size);
		if (off > size)
			off = size;
	}
	for (size_t i = 0; i < nb; i++) {
		if (lens[i] > size - off)
			return e21_fail(w, err, -EIO, "chunk buffer %zu (%zu bytes) overruns the chunk", i,
					lens[i]);
		bufs[i] = bytes + off;
		off = pad8(off + lens[i]);
		if (off > size)
			off = size;
	}
	if (s->rep_c || s->def_c) {
		if (nl < ch->items)
			return e21_fail(w, err, -EIO, "chunk has %llu levels for %llu items",
					(unsigned long long)nl, (unsigned long long)ch->items);
		v->n_levels = nl;
		if (s->rep_c) {
			rc = decode_levels_buf(s->rep_c, rep_b, (size_t)rep_size, nl, &v->rep, w, err);
			if (rc)
				return rc;
		}
		if (s->def_c) {
			rc = decode_levels_buf(s->def_c, def_b, (size_t)def_size, nl, &v->def, w, err);
			if (rc)
				return rc;
		}
	} else {
		v->n_levels = ch->items;
	}
	return e21_miniblock_decode(s->val_c, bufs, lens, nb, ch->items, &v->vals, w, err);
}

/* Appends visible items [from, from + n) of a chunk to the leaf, looking
 * dictionary indices up.  The items' levels are [la, lb) of the chunk (def
 * in page numbering, NULL when all valid; max_vis says which levels are
 * items): a null item may carry any index and gets a zero slot, a valid one
 * must name an entry of the dictionary. */
static int append_items(const page_state *s, e21_leaf *leaf, const e21_block *vals, uint64_t from,
			uint64_t n, const uint16_t *def, uint64_t la, uint64_t lb, uint16_t max_vis,
			int has_rep, const e21_where *w, lfs_err *err)
{
	if (!s->has_dict)
		return e21_vals_append(&leaf->vals, vals, from, n, w, err);
	if (vals->kind != E21_B_FIXED || vals->per_value != 1 ||
	    !(vals->bits == 8 || vals->bits == 16 || vals->bits == 32 || vals->bits == 64))
		return e21_fail(w, err, -EIO, "dictionary indices are not integers");
	/* First the index of every item (UINT64_MAX for nulls), checked. */
	uint64_t *idx = malloc((size_t)(n ? n : 1) * sizeof(*idx)), bytes = 0;
	const e21_block *d = &s->dict;
	uint64_t l = la;
	int rc = 0;
	if (!idx)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (uint64_t j = 0; j < n; j++) {
		uint64_t i = from + j, k;
		int valid = 1;
		if (def) {
			/* the next level that is an item */
			while (l < lb && has_rep && def[l] > max_vis)
				l++;
			if (l >= lb) {
				free(idx);
				return e21_fail(w, err, -EIO, "dictionary items without levels");
			}
			valid = def[l++] == 0;
		}
		switch (vals->bits) {
		case 8: k = vals->data[i]; break;
		case 16: k = lfs_le16(vals->data + 2 * i); break;
		case 32: k = lfs_le32(vals->data + 4 * i); break;
		default: k = lfs_le64(vals->data + 8 * i); break;
		}
		if (!valid) {
			k = UINT64_MAX;
		} else if (k >= d->n) {
			free(idx);
			return e21_fail(w, err, -EIO, "dictionary index %llu of %llu entries",
					(unsigned long long)k, (unsigned long long)d->n);
		} else if (d->kind == E21_B_VAR) {
			bytes += e21_var_off(d, k + 1) - e21_var_off(d, k);
		}
		idx[j] = k;
	}
	lfs_column *c = &leaf->vals;
	if (d->kind == E21_B_VAR && lfs_type_is_var_width(&c->type) && c->offsets) {
		/* strings: size once, then copy */
		uint64_t len = c->length, base = c->offsets[len];
		rc = e21_vals_grow(c, n, 0, err);
		uint8_t *p = rc ? NULL : realloc(c->data, (size_t)(base + bytes) + 1);
		if (!rc && !p)
			rc = lfs_fail(err, -ENOMEM, "out of memory");
		if (!rc) {
			c->data = p;
			uint64_t at = base;
			for (uint64_t j = 0; j < n; j++) {
				if (idx[j] != UINT64_MAX) {
					uint64_t a = e21_var_off(d, idx[j]), z = e21_var_off(d, idx[j] + 1);
					memcpy(p + at, d->data + a, (size_t)(z - a));
					at += z - a;
				}
				c->offsets[len + j + 1] = at;
			}
			c->data_len = at;
		}
	} else if (d->kind == E21_B_FIXED && d->per_value == 1 && c->width &&
		   d->bits == (uint64_t)c->width * 8 && !c->validity) {
		/* fixed width: copy each value's bytes */
		uint64_t len = c->length;
		size_t wd = c->width;
		rc = e21_vals_grow(c, n, 0, err);
		for (uint64_t j = 0; !rc && j < n; j++) {
			if (idx[j] == UINT64_MAX)
				memset(c->values + (len + j) * wd, 0, wd);
			else
				memcpy(c->values + (len + j) * wd, d->data + idx[j] * wd, wd);
		}
	} else {
		for (uint64_t j = 0; !rc && j < n; j++)
			rc = idx[j] == UINT64_MAX ? e21_vals_append_zero(c, 1, err)
						  : e21_vals_append(c, d, idx[j], 1, w, err);
	}
	free(idx);
	return rc;
}

static int miniblock_read(const page_ctx *pc, const page_state *s, uint64_t start, uint64_t count,
			  e21_leaf *leaf, lfs_err *err)
{
	const lfs_f2_page *pg = &pc->col->pages[pc->page];
	e21_where w = where_of(pc, pg->meta_offset);
	uint16_t map[2 * E21_MAX_LAYERS + 2], max_def, max_vis;
	uint16_t max_rep = leaf->plan.max_rep;
	uint64_t c0, c1, end = start + count;
	uint8_t *bytes = NULL;
	int rc;

	rc = def_map(s, &leaf->plan, map, &max_def, &max_vis, &w, err);
	if (rc)
		return rc;
	if (count == 0 || s->n_chunks == 0)
		return count == 0 ? 0 : e21_fail(&w, err, -EIO, "page has no chunks");
	if (max_rep > 0 && !s->rep_c)
		return e21_fail(&w, err, -EIO, "list page without repetition levels");
	if (max_rep == 0) {
		/* Rows are items: find the chunks by item counts. */
		if (s->num_items != pg->num_rows)
			return e21_fail(&w, err, -EIO, "page has %llu items for %llu rows",
					(unsigned long long)s->num_items, (unsigned long long)pg->num_rows);
		uint64_t lo = 0, hi = s->n_chunks;
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (s->chunks[mid].first_item <= start)
				lo = mid;
			else
				hi = mid;
		}
		c0 = lo;
		c1 = c0;
		while (c1 + 1 < s->n_chunks && s->chunks[c1 + 1].first_item < end)
			c1++;
	} else if (s->rep_depth) {
		/* The chunk where row `start` begins, then through the chunk
		 * where row end-1 ends. */
		uint64_t lo = 0, hi = s->n_chunks;
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (s->chunks[mid].first_row <= start)
				lo = mid;
			else
				hi = mid;
		}
		while (lo < s->n_chunks && s->chunks[lo].first_row + s->chunks[lo].starts <= start)
			lo++;
		if (lo >= s->n_chunks)
			return e21_fail(&w, err, -EIO, "repetition index has no chunk for row %llu",
					(unsigned long long)start);
		c0 = lo;
		/* The last chunk where a wanted row starts ... */
		lo = c0;
		hi = s->n_chunks;
		while (hi - lo > 1) {
			uint64_t mid = lo + (hi - lo) / 2;
			if (s->chunks[mid].first_row <= end - 1)
				lo = mid;
			else
				hi = mid;
		}
		c1 = lo;
		/* ... and, when the last wanted row is that chunk's trailer, the
		 * chunks it runs on into. */
		if (s->chunks[c1].has_trail &&
		    s->chunks[c1].first_row + s->chunks[c1].starts == end) {
			while (c1 + 1 < s->n_chunks) {
				c1++;
				if (s->chunks[c1].starts > 0 || !s->chunks[c1].has_trail)
					break;
			}
		}
	} else {
		/* Lists without a repetition index: scan from the start. */
		c0 = 0;
		c1 = s->n_chunks - 1;
	}

	uint64_t from = s->chunks[c0].pos, to = s->chunks[c1].pos + s->chunks[c1].size;
	rc = lfs_f2_read_alloc(pc->f, pc->col->index, from, to - from, &bytes, err);
	if (rc)
		return rc;

	/* Row bookkeeping for lists: `row` is the row the next level belongs
	 * to once a row start is seen; before the first start in c0 levels
	 * belong to an earlier row. */
	uint64_t row = (max_rep > 0 && s->rep_depth) ? s->chunks[c0].first_row : 0;
	int started = 0, done = 0;
	uint64_t rows_taken = 0;
	for (uint64_t c = c0; c <= c1 && !done; c++) {
		const mb_chunk *ch = &s->chunks[c];
		chunk_view v;
		e21_where cw = where_of(pc, ch->pos);
		rc = decode_chunk(s, ch, bytes + (ch->pos - from), &v, &cw, err);
		if (rc) {
			chunk_view_free(&v);
			break;
		}
		uint64_t la, lb, ia, ib;
		if (max_rep == 0) {
			uint64_t a = start > ch->first_item ? start - ch->first_item : 0;
			uint64_t b = end - ch->first_item < ch->items ? end - ch->first_item : ch->items;
			if (v.n_levels != ch->items) {
				chunk_view_free(&v);
				rc = e21_fail(&cw, err, -EIO, "chunk has %llu levels for %llu items",
					      (unsigned long long)v.n_levels, (unsigned long long)ch->items);
				break;
			}
			la = ia = a;
			lb = ib = b;
			rows_taken += b - a;
		} else {
			/* Walk the levels: find [la, lb) of wanted rows and the
			 * items among them. */
			uint64_t item = 0;
			la = lb = v.n_levels;
			ia = ib = 0;
			int have_a = 0;
			for (uint64_t j = 0; j < v.n_levels; j++) {
				if (v.rep[j] == max_rep) {
					if (started)
						row++;
					started = 1;
					if (row >= end) {
						done = 1;
						lb = j;
						ib = item;
						break;
					}
					if (row >= start)
						rows_taken++;
				}
				if (started && row >= start && !have_a) {
					la = j;
					ia = item;
					have_a = 1;
				}
				if (!v.def || v.def[j] <= max_vis)
					item++;
			}
			if (!done)
				ib = item;
			if (!have_a) {
				la = lb;
				ia = ib;
			}
			if (item > ch->items || (!done && item != ch->items)) {
				chunk_view_free(&v);
				rc = e21_fail(&cw, err, -EIO, "chunk levels name %llu items, the chunk holds %llu",
					      (unsigned long long)item, (unsigned long long)ch->items);
				break;
			}
		}
		rc = append_levels(leaf, v.rep ? v.rep + la : NULL, v.def ? v.def + la : NULL, lb - la,
				   map, max_def, &cw, err);
		if (!rc && ib > ia)
			rc = append_items(s, leaf, &v.vals, ia, ib - ia, v.def, la, lb, max_vis,
					  v.rep != NULL, &cw, err);
		if (!rc && !v.rep && !v.def && max_rep == 0) {
			/* levels stayed implicit: nothing more to do */
		}
		chunk_view_free(&v);
		if (rc)
			break;
	}
	free(bytes);
	if (rc)
		return rc;
	if (rows_taken != count)
		return e21_fail(&w, err, -EIO, "page yielded %llu of the %llu rows wanted",
				(unsigned long long)rows_taken, (unsigned long long)count);
	return 0;
}

/* ------------------------------------------------------------ full-zip read */

static uint64_t read_uint(const uint8_t *p, size_t w)
{
	switch (w) {
	case 1: return p[0];
	case 2: return lfs_le16(p);
	case 4: return lfs_le32(p);
	default: return lfs_le64(p);
	}
}

/* Whether full-zip values of this encoding can be read straight into the
 * leaf's value buffer (no control words, no zipped validity). */
static lfs_column *direct_target(const page_state *s, e21_leaf *leaf, uint64_t *bytes_per_value)
{
	lfs_column *c = &leaf->vals;
	const e21_comp *x = s->fz_c;
	uint64_t per = 1;
	while (x->kind == E21_C_FSL) {
		if (x->has_validity || c->type.id != LFS_T_FIXED_SIZE_LIST || c->n_children != 1 ||
		    c->type.list_size <= 0 || (uint64_t)c->type.list_size != x->dim)
			return NULL;
		per *= x->dim;
		c = &c->children[0];
		x = x->values;
		if (!x)
			return NULL;
	}
	if (x->kind != E21_C_FLAT || x->buf_scheme || c->width == 0 || x->bits != (uint64_t)c->width * 8)
		return NULL;
	*bytes_per_value = per * c->width;
	return c;
}

static int fullzip_read(const page_ctx *pc, const page_state *s, uint64_t start, uint64_t count,
			e21_leaf *leaf, lfs_err *err)
{
	const lfs_f2_page *pg = &pc->col->pages[pc->page];
	e21_where w = where_of(pc, pg->meta_offset);
	uint16_t map[2 * E21_MAX_LAYERS + 2], max_def, max_vis;
	uint16_t max_rep = leaf->plan.max_rep;
	size_t cw = 0;
	uint64_t a, b, vbytes = 0;
	int rc;

	rc = def_map(s, &leaf->plan, map, &max_def, &max_vis, &w, err);
	if (rc)
		return rc;
	if (count == 0)
		return 0;
	if (pg->n_bufs < 1)
		return e21_fail(&w, err, -EIO, "full-zip page without a data buffer");
	if (max_rep > 0 && s->bits_rep == 0)
		return e21_fail(&w, err, -EIO, "list page without repetition levels");
	if (s->bits_rep + s->bits_def > 0)
		cw = s->bits_rep + s->bits_def <= 8 ? 1 : s->bits_rep + s->bits_def <= 16 ? 2 : 4;
	if (!s->fz_var) {
		int prc = e21_fixed_pv_bits(s->fz_c, &vbytes);
		if (prc == -ENOTSUP || (!prc && vbytes % 8 && vbytes == s->fz_bits))
			return e21_fail(&w, err, -ENOTSUP,
					"full-zip values of %llu bits in a %s encoding are not supported",
					(unsigned long long)s->fz_bits, e21_comp_name(s->fz_c->kind));
		if (prc || vbytes % 8 || vbytes == 0 || vbytes != s->fz_bits)
			return e21_fail(&w, err, -EIO, "full-zip values of %llu bits do not match their encoding",
					(unsigned long long)s->fz_bits);
		vbytes /= 8;
	} else if (s->fz_bits != 8 && s->fz_bits != 16 && s->fz_bits != 32 && s->fz_bits != 64) {
		return e21_fail(&w, err, -EIO, "full-zip lengths of %llu bits",
				(unsigned long long)s->fz_bits);
	}
	lfs_f2_buf data = pg->bufs[0];
	if (pg->n_bufs >= 2) {
		/* Repetition index: rows + 1 byte offsets into the data buffer. */
		lfs_f2_buf ri = pg->bufs[1];
		uint64_t per = pg->num_rows + 1;
		uint8_t e[16];
		if (ri.size % per || !(ri.size / per == 1 || ri.size / per == 2 || ri.size / per == 4 ||
				       ri.size / per == 8))
			return e21_fail(&w, err, -EIO, "repetition index of %llu bytes for %llu rows",
					(unsigned long long)ri.size, (unsigned long long)pg->num_rows);
		size_t ew = (size_t)(ri.size / per);
		rc = lfs_f2_read(pc->f, pc->col->index, ri.pos + start * ew, ew, e, err);
		if (!rc)
			rc = lfs_f2_read(pc->f, pc->col->index, ri.pos + (start + count) * ew, ew, e + 8,
					 err);
		if (rc)
			return rc;
		a = read_uint(e, ew);
		b = read_uint(e + 8, ew);
	} else {
		if (max_rep > 0 || s->fz_var)
			return e21_fail(&w, err, -EIO, "full-zip page needs a repetition index");
		a = start * (cw + vbytes);
		b = (start + count) * (cw + vbytes);
	}
	if (a > b || b > data.size)
		return e21_fail(&w, err, -EIO, "rows %llu..%llu map to bytes %llu..%llu of a %llu-byte buffer",
				(unsigned long long)start, (unsigned long long)(start + count),
				(unsigned long long)a, (unsigned long long)b,
				(unsigned long long)data.size);

	/* Fast path: plain fixed-width values without control words are read
	 * straight into the leaf's values. */
	if (cw == 0 && !s->fz_var && pg->n_bufs == 1) {
		uint64_t bpv;
		lfs_column *t = direct_target(s, leaf, &bpv);
		if (t && bpv == vbytes) {
			uint64_t have = t->length * t->width;
			e21_where dw = where_of(pc, data.pos + a);
			rc = e21_vals_grow(&leaf->vals, count, 0, err);
			if (rc)
				return rc;
			rc = lfs_f2_read(pc->f, pc->col->index, data.pos + a, b - a, t->values + have,
					 err);
			if (rc)
				return rc;
			return append_levels(leaf, NULL, NULL, count, map, max_def, &dw, err);
		}
	}

	uint8_t *buf;
	rc = lfs_f2_read_alloc(pc->f, pc->col->index, data.pos + a, b - a, &buf, err);
	if (rc)
		return rc;
	e21_where bw = where_of(pc, data.pos + a);
	uint64_t cap = count + 16, n = 0, rows = 0, visible = 0;
	uint16_t *rep = NULL, *def = NULL;
	uint8_t *vis_valid = NULL;            /* per visible item: not null */
	uint64_t *voffs = NULL;               /* var: offsets of the valid values' bytes */
	uint8_t *vdata = NULL;                /* fixed: values of visible items */
	uint64_t nvalid = 0;
	size_t pos = 0, len = (size_t)(b - a);
	uint16_t def_mask = (uint16_t)((1u << s->bits_def) - 1);

	rep = s->bits_rep ? malloc(cap * 2) : NULL;
	def = s->bits_def ? malloc(cap * 2) : NULL;
	vis_valid = malloc((size_t)cap);
	voffs = s->fz_var ? malloc((size_t)(cap + 1) * 8) : NULL;
	if ((s->bits_rep && !rep) || (s->bits_def && !def) || !vis_valid || (s->fz_var && !voffs)) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (voffs)
		voffs[0] = 0;
	if (!s->fz_var) {
		vdata = malloc((size_t)((len / (vbytes + cw) + 1) * vbytes) + 16);
		if (!vdata) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
	}
	/* For variable-width values the bytes are gathered into buf itself
	 * (compacted in place: we only ever write behind the read position). */
	size_t vout = 0;
	while (pos < len) {
		uint16_t r = 0, d = 0;
		if (n == cap) {
			cap *= 2;
			uint16_t *nr = rep ? realloc(rep, cap * 2) : NULL;
			if (rep && !nr) {
				rc = lfs_fail(err, -ENOMEM, "out of memory");
				goto out;
			}
			if (rep)
				rep = nr;
			uint16_t *nd = def ? realloc(def, cap * 2) : NULL;
			if (def && !nd) {
				rc = lfs_fail(err, -ENOMEM, "out of memory");
				goto out;
			}
			if (def)
				def = nd;
			uint8_t *nv = realloc(vis_valid, (size_t)cap);
			if (!nv) {
				rc = lfs_fail(err, -ENOMEM, "out of memory");
				goto out;
			}
			vis_valid = nv;
			if (voffs) {
				uint64_t *no = realloc(voffs, (size_t)(cap + 1) * 8);
				if (!no) {
					rc = lfs_fail(err, -ENOMEM, "out of memory");
					goto out;
				}
				voffs = no;
			}
		}
		if (cw) {
			if (len - pos < cw) {
				rc = e21_fail(&bw, err, -EIO, "control word cut short");
				goto out;
			}
			uint32_t word = (uint32_t)read_uint(buf + pos, cw);
			pos += cw;
			d = (uint16_t)(word & def_mask);
			r = (uint16_t)(s->bits_def ? word >> s->bits_def : word);
			if (!s->bits_def)
				d = 0;
		}
		if (rep)
			rep[n] = r;
		if (def)
			def[n] = d;
		if (!rep || r == max_rep)
			rows++;
		else if (n == 0) {
			rc = e21_fail(&bw, err, -EIO, "row %llu does not start at its index entry",
				      (unsigned long long)(start));
			goto out;
		}
		n++;
		int is_visible = !rep || d <= max_vis;
		if (!is_visible)
			continue;
		if (!s->fz_var) {
			if (len - pos < vbytes) {
				rc = e21_fail(&bw, err, -EIO, "value cut short");
				goto out;
			}
			memcpy(vdata + visible * vbytes, buf + pos, (size_t)vbytes);
			pos += (size_t)vbytes;
			vis_valid[visible++] = d == 0;
		} else {
			size_t lw = (size_t)s->fz_bits / 8;
			if (d == 0) {
				uint64_t l;
				if (len - pos < lw) {
					rc = e21_fail(&bw, err, -EIO, "value length cut short");
					goto out;
				}
				l = read_uint(buf + pos, lw);
				pos += lw;
				if (l > len - pos) {
					rc = e21_fail(&bw, err, -EIO, "value of %llu bytes overruns the page",
						      (unsigned long long)l);
					goto out;
				}
				memmove(buf + vout, buf + pos, (size_t)l);
				vout += (size_t)l;
				pos += (size_t)l;
				voffs[++nvalid] = vout;
			}
			vis_valid[visible++] = d == 0;
		}
	}
	if (rows != count) {
		rc = e21_fail(&bw, err, -EIO, "bytes of rows %llu..%llu hold %llu rows",
			      (unsigned long long)start, (unsigned long long)(start + count),
			      (unsigned long long)rows);
		goto out;
	}
	rc = append_levels(leaf, rep, def, n, map, max_def, &bw, err);
	if (rc)
		goto out;
	{
		e21_block raw, dec;
		e21_block_init(&raw);
		if (!s->fz_var) {
			rc = e21_fixed_pv_decode(s->fz_c, vdata, (size_t)(visible * vbytes), visible, &dec,
						 &bw, err);
			if (!rc) {
				rc = e21_vals_append(&leaf->vals, &dec, 0, visible, &bw, err);
				e21_block_free(&dec);
			}
		} else {
			raw.kind = E21_B_VAR;
			raw.n = nvalid;
			raw.data = buf;
			raw.data_len = vout;
			raw.off_bits = 64;
			raw.offsets = (const uint8_t *)voffs;
			rc = e21_var_pv_decode(s->fz_c, &raw, &dec, &bw, err);
			if (!rc) {
				/* Interleave the valid values with empty null slots. */
				uint64_t k = 0, i = 0;
				while (!rc && i < visible) {
					uint64_t j = i;
					if (!vis_valid[i]) {
						while (j < visible && !vis_valid[j])
							j++;
						rc = e21_vals_append_zero(&leaf->vals, j - i, err);
					} else {
						while (j < visible && vis_valid[j])
							j++;
						rc = e21_vals_append(&leaf->vals, &dec, k, j - i, &bw, err);
						k += j - i;
					}
					i = j;
				}
				e21_block_free(&dec);
			}
			e21_block_free(&raw);
		}
	}
out:
	free(buf);
	free(rep);
	free(def);
	free(vis_valid);
	free(voffs);
	free(vdata);
	return rc;
}

/* ------------------------------------------------------------ constant read */

/* The scalar of a constant page as a one-value block for the leaf. */
static int constant_scalar(const page_state *s, const e21_leaf *leaf, e21_block *b,
			   const e21_where *w, lfs_err *err)
{
	const lfs_column *v = &leaf->vals;
	e21_block_init(b);
	if (s->has_inline) {
		if (v->type.id == LFS_T_BOOL && s->inline_len >= 1) {
			b->kind = E21_B_FIXED;
			b->n = 1;
			b->bits = 1;
			b->data = s->inline_value;
			b->data_len = s->inline_len;
			return 0;
		}
		if (v->width == 0 || s->inline_len != v->width)
			return e21_fail(w, err, -EIO, "constant of %zu bytes for a %s field",
					s->inline_len, lfs_type_name(v->type.id));
		b->kind = E21_B_FIXED;
		b->n = 1;
		b->bits = (uint64_t)v->width * 8;
		b->data = s->inline_value;
		b->data_len = s->inline_len;
		return 0;
	}
	/* Value buffer: [u32 count][u32 size]*count, then the buffers. */
	const uint8_t *p = s->scalar_buf;
	size_t len = s->scalar_len, off;
	uint32_t nb;
	if (len < 4)
		return e21_fail(w, err, -EIO, "constant value buffer of %zu bytes", len);
	nb = lfs_le32(p);
	if (nb == 0 || nb > 4 || len < 4 + 4 * (size_t)nb)
		return e21_fail(w, err, -EIO, "constant value with %u buffers", nb);
	size_t sz[4], at[4];
	off = 4 + 4 * (size_t)nb;
	for (uint32_t i = 0; i < nb; i++) {
		sz[i] = lfs_le32(p + 4 + 4 * i);
		if (sz[i] > len - off)
			return e21_fail(w, err, -EIO, "constant value buffer overruns");
		at[i] = off;
		off += sz[i];
	}
	if (lfs_type_is_var_width(&v->type)) {
		if (nb != 2 || !(sz[0] == 8 || sz[0] == 16))
			return e21_fail(w, err, -EIO, "constant string value with %u buffers", nb);
		b->kind = E21_B_VAR;
		b->n = 1;
		b->off_bits = sz[0] == 8 ? 32 : 64;
		b->offsets = p + at[0];
		b->data = p + at[1];
		b->data_len = sz[1];
		if (e21_var_check(b, err))
			return e21_fail(w, err, -EIO, "constant string value has bad offsets");
		return 0;
	}
	if (v->type.id == LFS_T_BOOL && sz[0] >= 1) {
		b->kind = E21_B_FIXED;
		b->n = 1;
		b->bits = 1;
		b->data = p + at[0];
		b->data_len = sz[0];
		return 0;
	}
	if (v->width == 0 || sz[0] != v->width)
		return e21_fail(w, err, -EIO, "constant of %zu bytes for a %s field", sz[0],
				lfs_type_name(v->type.id));
	b->kind = E21_B_FIXED;
	b->n = 1;
	b->bits = (uint64_t)v->width * 8;
	b->data = p + at[0];
	b->data_len = sz[0];
	return 0;
}

static int constant_read(const page_ctx *pc, const page_state *s, uint64_t start, uint64_t count,
			 e21_leaf *leaf, lfs_err *err)
{
	const lfs_f2_page *pg = &pc->col->pages[pc->page];
	e21_where w = where_of(pc, pg->meta_offset);
	uint16_t map[2 * E21_MAX_LAYERS + 2], max_def, max_vis;
	uint64_t la, lb, first;
	e21_block scalar;
	int rc;

	rc = def_map(s, &leaf->plan, map, &max_def, &max_vis, &w, err);
	if (rc)
		return rc;
	if (leaf->plan.max_rep > 0 && !s->c_rep)
		return e21_fail(&w, err, -EIO, "list page without repetition levels");
	if (s->c_rep) {
		la = s->c_row_start[start];
		lb = s->c_row_start[start + count];
	} else {
		la = start;
		lb = start + count;
	}
	if (s->all_null && !s->c_def && s->layers[0] != RD_NULLABLE_ITEM)
		return e21_fail(&w, err, -EIO, "all-null page whose items cannot be null");
	first = leaf->n_levels;
	/* An all-null page has no valid items: definition levels are needed
	 * even where the page stores none. */
	if (s->all_null && e21_leaf_reserve_levels(leaf, lb - la, 0, 1))
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = append_levels(leaf, s->c_rep ? s->c_rep + la : NULL, s->c_def ? s->c_def + la : NULL,
			   lb - la, map, max_def, &w, err);
	if (rc)
		return rc;
	if (!s->all_null) {
		rc = constant_scalar(s, leaf, &scalar, &w, err);
		if (rc)
			return rc;
	}
	/* One value per visible item: the scalar where valid, zero where null. */
	uint64_t run = 0;
	int run_valid = 0;
	for (uint64_t k = first; k <= leaf->n_levels; k++) {
		int vis = 0, valid = 0;
		if (k < leaf->n_levels) {
			uint16_t d = leaf->def ? leaf->def[k] : 0;
			vis = d <= leaf->plan.max_visible_def;
			if (vis && s->all_null && d == 0)
				leaf->def[k] = d = 1;
			valid = d == 0;
		}
		if (k < leaf->n_levels && !vis)
			continue;
		if (k < leaf->n_levels && (run == 0 || valid == run_valid)) {
			run_valid = valid;
			run++;
			continue;
		}
		/* Flush the run. */
		if (run_valid) {
			for (uint64_t r = 0; r < run && !rc; r++)
				rc = e21_vals_append(&leaf->vals, &scalar, 0, 1, &w, err);
		} else if (run) {
			rc = e21_vals_append_zero(&leaf->vals, run, err);
		}
		if (rc)
			return rc;
		run = k < leaf->n_levels ? 1 : 0;
		run_valid = valid;
	}
	return 0;
}

/* ------------------------------------------------------------ blob read */

/* A synthetic leaf field for blob descriptions: struct<position: uint64,
 * size: uint64>. */
static void blob_desc_field(lfs_field *st, lfs_field *kids, lfs_field **kidp)
{
	memset(st, 0, sizeof(*st));
	memset(kids, 0, 2 * sizeof(*kids));
	st->name = "descriptions";
	st->type.id = LFS_T_STRUCT;
	st->children = kidp;
	st->n_children = 2;
	for (int i = 0; i < 2; i++) {
		kids[i].name = i ? "size" : "position";
		kids[i].type.id = LFS_T_UINT64;
		kids[i].parent = st;
		kidp[i] = &kids[i];
	}
}

static int blob_read(const page_ctx *pc, const page_state *s, uint64_t start, uint64_t count,
		     e21_leaf *leaf, lfs_err *err)
{
	const lfs_f2_page *pg = &pc->col->pages[pc->page];
	e21_where w = where_of(pc, pg->meta_offset);
	uint16_t map[2 * E21_MAX_LAYERS + 2], max_def, max_vis;
	lfs_field st, kids[2], *kidp[2];
	e21_leaf inner;
	uint16_t *def = NULL;
	int rc;

	rc = def_map(s, &leaf->plan, map, &max_def, &max_vis, &w, err);
	if (rc)
		return rc;
	if (leaf->plan.max_rep > 0)
		return e21_fail(&w, err, -ENOTSUP, "blobs inside lists are not supported");
	if (!lfs_type_is_var_width(&leaf->vals.type))
		return e21_fail(&w, err, -EIO, "blob page for a %s field",
				lfs_type_name(leaf->vals.type.id));
	blob_desc_field(&st, kids, kidp);
	memset(&inner, 0, sizeof(inner));
	inner.field = &st;
	inner.column = leaf->column;
	inner.plan.n_layers = 1;
	inner.plan.max_def = 1;
	inner.plan.max_visible_def = 1;
	rc = e21_vals_init(&inner.vals, &st, err);
	if (rc)
		return rc;
	if (s->inner->layout == L_MINIBLOCK)
		rc = miniblock_read(pc, s->inner, start, count, &inner, err);
	else
		rc = fullzip_read(pc, s->inner, start, count, &inner, err);
	if (!rc && (inner.vals.length != count || inner.vals.n_children != 2))
		rc = e21_fail(&w, err, -EIO, "blob descriptions decoded to %llu rows, not %llu",
			      (unsigned long long)inner.vals.length, (unsigned long long)count);
	if (rc)
		goto out;
	const uint8_t *posv = inner.vals.children[0].values, *sizev = inner.vals.children[1].values;
	uint64_t total = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t p = lfs_le64(posv + 8 * i), z = lfs_le64(sizev + 8 * i);
		if (z == 0 && p != 0) {
			if ((p & 0xffff) != 0) {
				rc = e21_fail(&w, err, -ENOTSUP, "blob with repetition levels");
				goto out;
			}
			if (!def) {
				def = calloc(count, 2);
				if (!def) {
					rc = lfs_fail(err, -ENOMEM, "out of memory");
					goto out;
				}
			}
			def[i] = (uint16_t)((p >> 16) & 0xffff);
		} else if (z > 0) {
			if (!lfs_range_ok(p, z, lfs_f2_size(pc->f)) || total + z < total) {
				rc = e21_fail(&w, err, -EIO, "blob %llu (%llu bytes at %llu) lies outside the file",
					      (unsigned long long)(start + i), (unsigned long long)z,
					      (unsigned long long)p);
				goto out;
			}
			total += z;
		}
	}
	rc = append_levels(leaf, NULL, def, count, map, max_def, &w, err);
	if (rc)
		goto out;
	{
		/* Read every blob straight into the value bytes. */
		lfs_column *v = &leaf->vals;
		uint64_t base = v->length ? v->offsets[v->length] : 0;
		rc = e21_vals_append_zero(v, count, err);
		if (rc)
			goto out;
		if (total > (1ull << 34)) {
			rc = e21_fail(&w, err, -EIO, "blobs of %llu bytes are too large to read at once",
				      (unsigned long long)total);
			goto out;
		}
		uint8_t *d = realloc(v->data, (size_t)(base + total) + 1);
		if (!d) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		v->data = d;
		uint64_t at = base, first = v->length - count;
		for (uint64_t i = 0; i < count; i++) {
			uint64_t p = lfs_le64(posv + 8 * i), z = lfs_le64(sizev + 8 * i);
			if (z > 0) {
				rc = lfs_f2_read(pc->f, pc->col->index, p, z, d + at, err);
				if (rc)
					goto out;
				at += z;
			}
			v->offsets[first + i + 1] = at;
		}
		v->data_len = at;
	}
out:
	free(def);
	lfs_column_free(&inner.vals);
	free(inner.rep);
	free(inner.def);
	return rc;
}

/* ------------------------------------------------------------ entry */

int e21_page_read(lfs_f2_file *f, const lfs_f2_column *col, size_t page, uint64_t start,
		  uint64_t count, e21_leaf *leaf, lfs_err *err)
{
	page_ctx pc = { f, col, page };
	void *st;
	int rc;

	rc = lfs_f2_page_cache(f, col, page, build_state, &pc, state_free, &st, err);
	if (rc)
		return rc;
	const page_state *s = st;
	switch (s->layout) {
	case L_MINIBLOCK: return miniblock_read(&pc, s, start, count, leaf, err);
	case L_FULLZIP: return fullzip_read(&pc, s, start, count, leaf, err);
	case L_CONSTANT: return constant_read(&pc, s, start, count, leaf, err);
	case L_BLOB: return blob_read(&pc, s, start, count, leaf, err);
	}
	e21_where w = where_of(&pc, col->pages[page].meta_offset);
	return e21_fail(&w, err, -ENOTSUP, "page layout %d is not supported", s->layout);
}
