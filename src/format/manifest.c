/*
 * format/manifest: decoding lance.table.Manifest (and the lance.file.Field
 * schema inside it) with the wire reader of pb.h.  See manifest.h.
 *
 * Field numbers follow protos/table.proto and protos/file.proto of Lance.
 * Unknown fields are skipped, as protobuf requires, so newer writers that
 * add fields still decode; unknown *reader feature flags* are refused by
 * the dataset layer instead.
 */
#include "format/manifest.h"
#include "format/pb.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- helpers */

#define TRY(expr) do { int rc_ = (expr); if (rc_) return rc_; } while (0)

/* Grows a typed array by one zeroed element; returns it or NULL. */
static void *grow(void **arr, size_t *n, size_t elem)
{
	void *p = realloc(*arr, (*n + 1) * elem);
	if (!p)
		return NULL;
	memset((char *)p + *n * elem, 0, elem);
	*arr = p;
	return (char *)p + (*n)++ * elem;
}

static int dup_str(const lfs_pb_field *f, char **out)
{
	if (f->wire != LFS_PB_LEN)
		return -EIO;
	free(*out);
	*out = lfs_pb_strdup(f);
	return *out ? 0 : -ENOMEM;
}

/* A map<string, bytes|string> entry: key = 1, value = 2. */
static int decode_kv(const lfs_pb_field *f, lfs_kv **arr, size_t *n)
{
	lfs_pb sub;
	lfs_pb_field e;
	lfs_kv *kv;
	int rc;

	if (f->wire != LFS_PB_LEN)
		return -EIO;
	kv = grow((void **)arr, n, sizeof(**arr));
	if (!kv)
		return -ENOMEM;
	lfs_pb_sub(f, &sub);
	while ((rc = lfs_pb_next(&sub, &e)) > 0) {
		if (e.number == 1) {
			TRY(dup_str(&e, &kv->key));
		} else if (e.number == 2) {
			if (e.wire != LFS_PB_LEN)
				return -EIO;
			free(kv->value);
			kv->value = (uint8_t *)lfs_pb_strdup(&e);
			if (!kv->value)
				return -ENOMEM;
			kv->value_len = e.len;
		}
	}
	if (rc < 0)
		return rc;
	if (!kv->key && !(kv->key = strdup("")))
		return -ENOMEM;
	if (!kv->value && !(kv->value = (uint8_t *)strdup("")))
		return -ENOMEM;
	return 0;
}

static void free_kvs(lfs_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

struct i32_array {
	int32_t **arr;
	size_t *n;
};

static int push_i32(void *ctx, uint64_t v)
{
	struct i32_array *a = ctx;
	int32_t *slot = grow((void **)a->arr, a->n, sizeof(int32_t));
	if (!slot)
		return -ENOMEM;
	*slot = (int32_t)(int64_t)v; /* negative int32s travel as 64-bit varints */
	return 0;
}

static int decode_i32s(const lfs_pb_field *f, int32_t **arr, size_t *n)
{
	struct i32_array a = { arr, n };
	return lfs_pb_packed_varints(f, push_i32, &a);
}

/* ---------------------------------------------------------- logical types */

static int parse_unit(const char *s, size_t len, enum lfs_time_unit *unit)
{
	static const char *names[] = { "s", "ms", "us", "ns" };
	for (int i = 0; i < 4; i++) {
		if (strlen(names[i]) == len && strncmp(s, names[i], len) == 0) {
			*unit = (enum lfs_time_unit)i;
			return 0;
		}
	}
	return -ENOTSUP;
}

static int parse_int_suffix(const char *s, int32_t *out)
{
	char *end;
	long v;
	if (!*s)
		return -ENOTSUP;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > INT32_MAX)
		return -ENOTSUP;
	*out = (int32_t)v;
	return 0;
}

int lfs_parse_logical_type(const char *s, lfs_type *out)
{
	static const struct { const char *name; enum lfs_type_id id; } simple[] = {
		{ "null", LFS_T_NULL }, { "bool", LFS_T_BOOL },
		{ "int8", LFS_T_INT8 }, { "int16", LFS_T_INT16 },
		{ "int32", LFS_T_INT32 }, { "int64", LFS_T_INT64 },
		{ "uint8", LFS_T_UINT8 }, { "uint16", LFS_T_UINT16 },
		{ "uint32", LFS_T_UINT32 }, { "uint64", LFS_T_UINT64 },
		{ "halffloat", LFS_T_FLOAT16 }, { "float", LFS_T_FLOAT32 },
		{ "double", LFS_T_FLOAT64 }, { "string", LFS_T_UTF8 },
		{ "large_string", LFS_T_LARGE_UTF8 }, { "binary", LFS_T_BINARY },
		{ "large_binary", LFS_T_LARGE_BINARY }, { "json", LFS_T_LARGE_BINARY },
		{ "list", LFS_T_LIST }, { "list.struct", LFS_T_LIST },
		{ "large_list", LFS_T_LARGE_LIST }, { "large_list.struct", LFS_T_LARGE_LIST },
		{ "struct", LFS_T_STRUCT }, { "map", LFS_T_MAP },
	};
	const char *colon;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		if (strcmp(s, simple[i].name) == 0) {
			out->id = simple[i].id;
			return 0;
		}
	}
	if (strcmp(s, "date32:day") == 0) {
		out->id = LFS_T_DATE32;
		out->unit = LFS_UNIT_DAY;
		return 0;
	}
	if (strcmp(s, "date64:ms") == 0) {
		out->id = LFS_T_DATE64;
		out->unit = LFS_UNIT_MS;
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon)
		return -ENOTSUP;
	if (strncmp(s, "time32:", 7) == 0 || strncmp(s, "time64:", 7) == 0 ||
	    strncmp(s, "duration:", 9) == 0) {
		out->id = s[0] == 'd' ? LFS_T_DURATION : s[4] == '3' ? LFS_T_TIME32 : LFS_T_TIME64;
		TRY(parse_unit(colon + 1, strlen(colon + 1), &out->unit));
		if (out->id == LFS_T_TIME32 && out->unit > LFS_UNIT_MS)
			return -ENOTSUP;
		if (out->id == LFS_T_TIME64 && out->unit < LFS_UNIT_US)
			return -ENOTSUP;
		return 0;
	}
	if (strncmp(s, "timestamp:", 10) == 0) {
		const char *unit = s + 10, *tz = strchr(unit, ':');
		out->id = LFS_T_TIMESTAMP;
		if (!tz)
			return parse_unit(unit, strlen(unit), &out->unit);
		TRY(parse_unit(unit, (size_t)(tz - unit), &out->unit));
		tz++;
		if (strcmp(tz, "-") != 0) {
			if (strlen(tz) >= sizeof(out->tz))
				return -ENOTSUP;
			strcpy(out->tz, tz);
		}
		return 0;
	}
	if (strncmp(s, "decimal:", 8) == 0) {
		int32_t bits;
		char buf[64];
		char *p1, *p2;
		if (strlen(s) >= sizeof(buf))
			return -ENOTSUP;
		strcpy(buf, s + 8);
		p1 = strchr(buf, ':');
		p2 = p1 ? strchr(p1 + 1, ':') : NULL;
		if (!p2)
			return -ENOTSUP;
		*p1 = *p2 = 0;
		TRY(parse_int_suffix(buf, &bits));
		TRY(parse_int_suffix(p1 + 1, &out->precision));
		/* scale may be negative in Arrow */
		out->scale = (int32_t)strtol(p2 + 1, NULL, 10);
		if (bits == 128) {
			out->id = LFS_T_DECIMAL128;
			out->byte_width = 16;
		} else if (bits == 256) {
			out->id = LFS_T_DECIMAL256;
			out->byte_width = 32;
		} else {
			return -ENOTSUP;
		}
		return 0;
	}
	if (strcmp(s, "lance.bfloat16") == 0) {
		/* bfloat16 vector items: two raw bytes each (Arrow has no bfloat16) */
		out->id = LFS_T_FIXED_SIZE_BINARY;
		out->byte_width = 2;
		return 0;
	}
	if (strncmp(s, "fixed_size_binary:", 18) == 0) {
		out->id = LFS_T_FIXED_SIZE_BINARY;
		return parse_int_suffix(s + 18, &out->byte_width);
	}
	if (strncmp(s, "fixed_size_list:", 16) == 0) {
		const char *last = strrchr(s, ':');
		if (last <= s + 15)
			return -ENOTSUP;
		out->id = LFS_T_FIXED_SIZE_LIST;
		return parse_int_suffix(last + 1, &out->list_size);
	}
	if (strncmp(s, "dict:", 5) == 0) {
		/* dict:VALUE:KEY:ORDERED — the value type may itself hold colons */
		char buf[128];
		char *p;
		if (strlen(s + 5) >= sizeof(buf))
			return -ENOTSUP;
		strcpy(buf, s + 5);
		for (int i = 0; i < 2; i++) {
			p = strrchr(buf, ':');
			if (!p)
				return -ENOTSUP;
			*p = 0;
		}
		TRY(lfs_parse_logical_type(buf, out));
		out->is_dictionary = 1;
		return 0;
	}
	return -ENOTSUP;
}

/* The element type of "fixed_size_list:INNER:N", INNER may hold colons. */
static int fsl_inner_type(const char *logical, char **inner)
{
	const char *start = logical + strlen("fixed_size_list:");
	const char *last = strrchr(logical, ':');
	if (!last || last < start)
		return -ENOTSUP;
	*inner = strndup(start, (size_t)(last - start));
	return *inner ? 0 : -ENOMEM;
}

/* ------------------------------------------------------------------ schema */

static int decode_field(const lfs_pb_field *f, lfs_field *field)
{
	lfs_pb sub, dsub;
	lfs_pb_field e, d;
	int rc;

	if (f->wire != LFS_PB_LEN)
		return -EIO;
	/* proto3 leaves out fields equal to 0: a child of field 0 has no
	 * parent_id on the wire (top-level fields carry -1 explicitly) */
	field->parent_id = 0;
	lfs_pb_sub(f, &sub);
	while ((rc = lfs_pb_next(&sub, &e)) > 0) {
		switch (e.number) {
		case 1: field->kind = (int)e.u64; break;
		case 2: TRY(dup_str(&e, &field->name)); break;
		case 3: field->id = (int32_t)(int64_t)e.u64; break;
		case 4: field->parent_id = (int32_t)(int64_t)e.u64; break;
		case 5: TRY(dup_str(&e, &field->logical_type)); break;
		case 6: field->nullable = e.u64 != 0; break;
		case 7: field->legacy_encoding = (int)e.u64; break;
		case 8:
			if (e.wire != LFS_PB_LEN)
				return -EIO;
			lfs_pb_sub(&e, &dsub);
			while ((rc = lfs_pb_next(&dsub, &d)) > 0) {
				if (d.number == 1)
					field->dict_offset = (int64_t)d.u64;
				else if (d.number == 2)
					field->dict_length = (int64_t)d.u64;
			}
			if (rc < 0)
				return rc;
			break;
		case 9: TRY(dup_str(&e, &field->extension_name)); break;
		case 10: TRY(decode_kv(&e, &field->metadata, &field->n_metadata)); break;
		default: break;
		}
	}
	if (rc < 0)
		return rc;
	if (!field->name && !(field->name = strdup("")))
		return -ENOMEM;
	if (!field->logical_type && !(field->logical_type = strdup("")))
		return -ENOMEM;
	return 0;
}

static void free_field_contents(lfs_field *f)
{
	free(f->name);
	free(f->logical_type);
	free(f->extension_name);
	free_kvs(f->metadata, f->n_metadata);
	free(f->children);
}

static void free_schema(lfs_schema *s)
{
	for (size_t i = 0; i < s->n_fields; i++)
		free_field_contents(&s->fields[i]);
	free(s->fields);
	free(s->top);
	free_kvs(s->metadata, s->n_metadata);
	memset(s, 0, sizeof(*s));
}

static int add_child(lfs_field *parent, lfs_field *child)
{
	lfs_field **slot = grow((void **)&parent->children, &parent->n_children, sizeof(child));
	if (!slot)
		return -ENOMEM;
	*slot = child;
	child->parent = parent;
	return 0;
}

/* Fixed-size lists are one leaf field in Lance's schema; give them a
 * synthetic "item" child so that consumers see the element type the same
 * way as for lists.  The synthetic fields live after the real ones, in room
 * that reserve_fsl_items made before any pointer into the array was taken. */
#define FSL_MAX_DEPTH 4

static int reserve_fsl_items(lfs_schema *s)
{
	size_t n_fsl = 0;
	for (size_t i = 0; i < s->n_fields; i++)
		if (s->fields[i].type.id == LFS_T_FIXED_SIZE_LIST)
			n_fsl++;
	if (n_fsl == 0)
		return 0;
	lfs_field *p = realloc(s->fields, (s->n_fields + n_fsl * FSL_MAX_DEPTH) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->fields = p;
	return 0;
}

static int add_fsl_items(lfs_schema *s, size_t capacity, lfs_err *err)
{
	for (size_t i = 0; i < s->n_fields; i++) {
		lfs_field *f = &s->fields[i];
		char *inner = NULL;
		if (f->type.id != LFS_T_FIXED_SIZE_LIST || f->n_children != 0)
			continue;
		if (s->n_fields == capacity)
			return lfs_fail(err, -ENOTSUP, "field %s: fixed_size_list nested too deeply", f->name);
		TRY(fsl_inner_type(f->logical_type, &inner));
		lfs_field *item = &s->fields[s->n_fields++];
		memset(item, 0, sizeof(*item));
		item->name = strdup("item");
		item->logical_type = inner;
		item->id = -1;
		item->parent_id = f->id;
		item->nullable = 1;
		item->kind = 2;
		if (!item->name)
			return -ENOMEM;
		if (lfs_parse_logical_type(inner, &item->type))
			return lfs_fail(err, -ENOTSUP, "field %s: unsupported element type %s",
					f->name, inner);
		TRY(add_child(f, item));
	}
	return 0;
}

/* Children are linked after all fields are read, since the fields array
 * moves while it grows. */
static int link_schema(lfs_schema *s, lfs_err *err)
{
	for (size_t i = 0; i < s->n_fields; i++) {
		lfs_field *f = &s->fields[i];
		if (lfs_parse_logical_type(f->logical_type, &f->type))
			return lfs_fail(err, -ENOTSUP, "field %s (id %d): unsupported logical type \"%s\"",
					f->name, f->id, f->logical_type);
	}
	size_t n_fsl = 0;
	for (size_t i = 0; i < s->n_fields; i++)
		n_fsl += s->fields[i].type.id == LFS_T_FIXED_SIZE_LIST;
	size_t capacity = s->n_fields + n_fsl * FSL_MAX_DEPTH;
	TRY(reserve_fsl_items(s));
	for (size_t i = 0; i < s->n_fields; i++) {
		lfs_field *f = &s->fields[i];
		if (f->parent_id < 0) {
			lfs_field **slot = grow((void **)&s->top, &s->n_top, sizeof(f));
			if (!slot)
				return -ENOMEM;
			*slot = f;
			continue;
		}
		lfs_field *parent = NULL;
		for (size_t j = 0; j < s->n_fields; j++) {
			if (s->fields[j].id == f->parent_id && j != i) {
				parent = &s->fields[j];
				break;
			}
		}
		if (!parent)
			return lfs_fail(err, -EIO, "field %s (id %d): parent id %d does not exist",
					f->name, f->id, f->parent_id);
		TRY(add_child(parent, f));
	}
	/* A cycle through parent ids would make every walk loop forever. */
	for (size_t i = 0; i < s->n_fields; i++) {
		size_t depth = 0;
		for (lfs_field *p = s->fields[i].parent; p; p = p->parent)
			if (++depth > s->n_fields)
				return lfs_fail(err, -EIO, "field %s: parent ids form a cycle",
						s->fields[i].name);
	}
	return add_fsl_items(s, capacity, err);
}

/* ---------------------------------------------------------------- fragments */

static int data_file_field(void *ctx, const lfs_pb_field *e)
{
	lfs_data_file *df = ctx;
	switch (e->number) {
	case 1: return dup_str(e, &df->path);
	case 2: return decode_i32s(e, &df->fields, &df->n_fields);
	case 3: return decode_i32s(e, &df->column_indices, &df->n_column_indices);
	case 4: df->major = (uint32_t)e->u64; return 0;
	case 5: df->minor = (uint32_t)e->u64; return 0;
	case 6: df->size_bytes = e->u64; return 0;
	case 7: df->has_base_id = 1; df->base_id = (uint32_t)e->u64; return 0;
	default: return 0;
	}
}

static int decode_data_file(const lfs_pb_field *f, lfs_data_file *df)
{
	TRY(lfs_pb_each(f, data_file_field, df));
	if (!df->path || !*df->path)
		return -EIO;
	return 0;
}

static int deletion_file_field(void *ctx, const lfs_pb_field *e)
{
	lfs_deletion_file *del = ctx;
	switch (e->number) {
	case 1: del->type = e->u64 ? LFS_DEL_BITMAP : LFS_DEL_ARROW; return 0;
	case 2: del->read_version = e->u64; return 0;
	case 3: del->id = e->u64; return 0;
	case 4: del->num_deleted = e->u64; return 0;
	case 7: del->has_base_id = 1; del->base_id = (uint32_t)e->u64; return 0;
	default: return 0;
	}
}

static int decode_deletion_file(const lfs_pb_field *f, lfs_deletion_file *del)
{
	if (f->wire != LFS_PB_LEN)
		return -EIO;
	del->present = 1;
	return lfs_pb_each(f, deletion_file_field, del);
}

static int fragment_field(void *ctx, const lfs_pb_field *e)
{
	lfs_fragment *frag = ctx;
	switch (e->number) {
	case 1: frag->id = e->u64; return 0;
	case 2: {
		lfs_data_file *df = grow((void **)&frag->files, &frag->n_files, sizeof(*df));
		return df ? decode_data_file(e, df) : -ENOMEM;
	}
	case 3: return decode_deletion_file(e, &frag->deletion);
	case 4: frag->physical_rows = e->u64; return 0;
	case 5: case 6: frag->has_row_id_sequence = 1; return 0;
	default: return 0;
	}
}

static int decode_fragment(const lfs_pb_field *f, lfs_fragment *frag)
{
	TRY(lfs_pb_each(f, fragment_field, frag));
	if (frag->deletion.present && frag->deletion.num_deleted > frag->physical_rows)
		return -EIO;
	return 0;
}

static void free_fragment(lfs_fragment *frag)
{
	for (size_t i = 0; i < frag->n_files; i++) {
		free(frag->files[i].path);
		free(frag->files[i].fields);
		free(frag->files[i].column_indices);
	}
	free(frag->files);
}

/* ------------------------------------------------------------------ indices */

static int decode_index(const lfs_pb_field *f, lfs_index_meta *ix)
{
	lfs_pb sub, inner;
	lfs_pb_field e, g;
	int rc;

	if (f->wire != LFS_PB_LEN)
		return -EIO;
	lfs_pb_sub(f, &sub);
	while ((rc = lfs_pb_next(&sub, &e)) > 0) {
		switch (e.number) {
		case 1: /* UUID { bytes uuid = 1 } */
			if (e.wire != LFS_PB_LEN)
				return -EIO;
			lfs_pb_sub(&e, &inner);
			while ((rc = lfs_pb_next(&inner, &g)) > 0) {
				if (g.number == 1 && g.wire == LFS_PB_LEN && g.len == 16) {
					static const char hex[] = "0123456789abcdef";
					char *o = ix->uuid;
					for (int i = 0; i < 16; i++) {
						if (i == 4 || i == 6 || i == 8 || i == 10)
							*o++ = '-';
						*o++ = hex[g.bytes[i] >> 4];
						*o++ = hex[g.bytes[i] & 15];
					}
					*o = 0;
				}
			}
			if (rc < 0)
				return rc;
			break;
		case 2: TRY(decode_i32s(&e, &ix->fields, &ix->n_fields)); break;
		case 3: TRY(dup_str(&e, &ix->name)); break;
		case 4: ix->dataset_version = e.u64; break;
		case 5:
			if (e.wire != LFS_PB_LEN)
				return -EIO;
			free(ix->fragment_bitmap);
			ix->fragment_bitmap = malloc(e.len ? e.len : 1);
			if (!ix->fragment_bitmap)
				return -ENOMEM;
			memcpy(ix->fragment_bitmap, e.bytes, e.len);
			ix->fragment_bitmap_len = e.len;
			break;
		case 6: /* google.protobuf.Any { type_url = 1, value = 2 } */
			if (e.wire != LFS_PB_LEN)
				return -EIO;
			lfs_pb_sub(&e, &inner);
			while ((rc = lfs_pb_next(&inner, &g)) > 0)
				if (g.number == 1)
					TRY(dup_str(&g, &ix->type_url));
			if (rc < 0)
				return rc;
			break;
		case 7: ix->has_index_version = 1; ix->index_version = (int32_t)(int64_t)e.u64; break;
		case 8: ix->has_created_at = 1; ix->created_at_ms = e.u64; break;
		default: break;
		}
	}
	if (rc < 0)
		return rc;
	if (!ix->name && !(ix->name = strdup("")))
		return -ENOMEM;
	if (!ix->type_url && !(ix->type_url = strdup("")))
		return -ENOMEM;
	return 0;
}

static int decode_index_section(const uint8_t *msg, size_t len, lfs_manifest *m)
{
	lfs_pb pb;
	lfs_pb_field e;
	int rc;

	lfs_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &e)) > 0) {
		if (e.number != 1)
			continue;
		lfs_index_meta *ix = grow((void **)&m->indices, &m->n_indices, sizeof(*ix));
		if (!ix)
			return -ENOMEM;
		TRY(decode_index(&e, ix));
	}
	return rc < 0 ? rc : 0;
}

/* ----------------------------------------------------------------- manifest */

/* A message of two strings, fields 1 and 2 (WriterVersion, DataStorageFormat). */
struct two_strings {
	char **first, **second;
};

static int two_strings_field(void *ctx, const lfs_pb_field *e)
{
	struct two_strings *t = ctx;
	if (e->number == 1)
		return dup_str(e, t->first);
	if (e->number == 2)
		return dup_str(e, t->second);
	return 0;
}

static int decode_sub_strings(const lfs_pb_field *f, char **first, char **second)
{
	struct two_strings t = { first, second };
	return lfs_pb_each(f, two_strings_field, &t);
}

static int base_path_field(void *ctx, const lfs_pb_field *e)
{
	lfs_base_path *bp = ctx;
	switch (e->number) {
	case 1: bp->id = (uint32_t)e->u64; return 0;
	case 2: return dup_str(e, &bp->name);
	case 3: bp->is_dataset_root = e->u64 != 0; return 0;
	case 4: return dup_str(e, &bp->path);
	default: return 0;
	}
}

static int decode_base_path(const lfs_pb_field *f, lfs_base_path *bp)
{
	return lfs_pb_each(f, base_path_field, bp);
}

static int timestamp_field(void *ctx, const lfs_pb_field *e)
{
	lfs_manifest *m = ctx;
	if (e->number == 1)
		m->timestamp_s = (int64_t)e->u64;
	else if (e->number == 2)
		m->timestamp_ns = (int32_t)e->u64;
	return 0;
}

static int decode_timestamp(const lfs_pb_field *f, lfs_manifest *m)
{
	return lfs_pb_each(f, timestamp_field, m);
}

static int decode_manifest_field(const lfs_pb_field *e, lfs_manifest *m)
{
	switch (e->number) {
	case 1: {
		lfs_field *f = grow((void **)&m->schema.fields, &m->schema.n_fields, sizeof(*f));
		return f ? decode_field(e, f) : -ENOMEM;
	}
	case 2: {
		lfs_fragment *frag = grow((void **)&m->fragments, &m->n_fragments, sizeof(*frag));
		return frag ? decode_fragment(e, frag) : -ENOMEM;
	}
	case 3: m->version = e->u64; return 0;
	case 5: return decode_kv(e, &m->schema.metadata, &m->schema.n_metadata);
	case 6: m->has_index_section = 1; m->index_section = e->u64; return 0;
	case 7: return decode_timestamp(e, m);
	case 8: return dup_str(e, &m->tag);
	case 9: m->reader_flags = e->u64; return 0;
	case 10: m->writer_flags = e->u64; return 0;
	case 11: m->has_max_fragment_id = 1; m->max_fragment_id = (uint32_t)e->u64; return 0;
	case 12: return dup_str(e, &m->transaction_file);
	case 13: return decode_sub_strings(e, &m->writer_library, &m->writer_version);
	case 14: m->next_row_id = e->u64; return 0;
	case 15: return decode_sub_strings(e, &m->data_format, &m->data_format_version);
	case 16: return decode_kv(e, &m->config, &m->n_config);
	case 18: {
		lfs_base_path *bp = grow((void **)&m->base_paths, &m->n_base_paths, sizeof(*bp));
		return bp ? decode_base_path(e, bp) : -ENOMEM;
	}
	case 19: return decode_kv(e, &m->table_metadata, &m->n_table_metadata);
	case 20: return dup_str(e, &m->branch);
	default: return 0;
	}
}

static int fill_empty_strings(lfs_manifest *m)
{
	char **strs[] = { &m->writer_library, &m->writer_version, &m->tag, &m->transaction_file,
			  &m->data_format, &m->data_format_version };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!*strs[i] && !(*strs[i] = strdup("")))
			return -ENOMEM;
	return 0;
}

int lfs_manifest_decode(const uint8_t *msg, size_t len, lfs_manifest **out, lfs_err *err)
{
	lfs_manifest *m;
	lfs_pb pb;
	lfs_pb_field e;
	int rc;

	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return lfs_fail(err, -ENOMEM, "out of memory");
	lfs_pb_init(&pb, msg, len);
	while ((rc = lfs_pb_next(&pb, &e)) > 0) {
		rc = decode_manifest_field(&e, m);
		if (rc)
			break;
	}
	if (rc < 0) {
		lfs_manifest_free(m);
		if (rc == -ENOMEM)
			return lfs_fail(err, rc, "out of memory decoding the manifest");
		return lfs_fail(err, -EIO, "damaged manifest message (protobuf field %u near byte %zu)",
				e.number, (size_t)(pb.p - msg));
	}
	rc = fill_empty_strings(m);
	if (!rc)
		rc = link_schema(&m->schema, err);
	else
		lfs_fail(err, rc, "out of memory");
	if (rc) {
		lfs_manifest_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

int lfs_manifest_parse_file(const uint8_t *file, size_t len, lfs_manifest **out, lfs_err *err)
{
	uint64_t pos, msg_len;
	lfs_manifest *m;
	int rc;

	*out = NULL;
	if (len < 16)
		return lfs_fail(err, -EIO, "%zu bytes is too short for a manifest", len);
	if (memcmp(file + len - 4, "LANC", 4) != 0)
		return lfs_fail(err, -EIO, "no LANC magic in the last 4 bytes: not a Lance manifest");
	pos = lfs_le64(file + len - 16);
	if (pos > len - 16 || len - 16 - pos < 4)
		return lfs_fail(err, -EIO, "metadata position %llu is outside the file (%zu bytes)",
				(unsigned long long)pos, len);
	msg_len = lfs_le32(file + pos);
	if (msg_len > len - 16 - pos - 4)
		return lfs_fail(err, -EIO, "metadata length %llu at offset %llu runs past the footer",
				(unsigned long long)msg_len, (unsigned long long)pos);
	rc = lfs_manifest_decode(file + pos + 4, (size_t)msg_len, &m, err);
	if (rc) {
		lfs_err_prefix(err, "at offset %llu: ", (unsigned long long)pos + 4);
		return rc;
	}
	m->file_major = lfs_le16(file + len - 8);
	m->file_minor = lfs_le16(file + len - 6);
	if (m->has_index_section) {
		uint64_t ip = m->index_section, ilen;
		if (ip > len - 16 || len - 16 - ip < 4) {
			rc = lfs_fail(err, -EIO, "index section position %llu is outside the file",
				      (unsigned long long)ip);
		} else {
			ilen = lfs_le32(file + ip);
			if (ilen > len - 16 - ip - 4)
				rc = lfs_fail(err, -EIO, "index section at %llu runs past the footer",
					      (unsigned long long)ip);
			else if ((rc = decode_index_section(file + ip + 4, (size_t)ilen, m)) != 0)
				rc = lfs_fail(err, rc == -ENOMEM ? rc : -EIO,
					      "damaged index section at offset %llu",
					      (unsigned long long)ip);
		}
		if (rc) {
			lfs_manifest_free(m);
			return rc;
		}
	}
	*out = m;
	return 0;
}

void lfs_manifest_free(lfs_manifest *m)
{
	if (!m)
		return;
	free_schema(&m->schema);
	for (size_t i = 0; i < m->n_fragments; i++)
		free_fragment(&m->fragments[i]);
	free(m->fragments);
	for (size_t i = 0; i < m->n_indices; i++) {
		free(m->indices[i].name);
		free(m->indices[i].fields);
		free(m->indices[i].fragment_bitmap);
		free(m->indices[i].type_url);
	}
	free(m->indices);
	for (size_t i = 0; i < m->n_base_paths; i++) {
		free(m->base_paths[i].name);
		free(m->base_paths[i].path);
	}
	free(m->base_paths);
	free_kvs(m->config, m->n_config);
	free_kvs(m->table_metadata, m->n_table_metadata);
	free(m->writer_library);
	free(m->writer_version);
	free(m->tag);
	free(m->transaction_file);
	free(m->data_format);
	free(m->data_format_version);
	free(m->branch);
	free(m);
}

/* ---------------------------------------------------------------- queries */

uint64_t lfs_fragment_live_rows(const lfs_fragment *f)
{
	uint64_t del = f->deletion.present ? f->deletion.num_deleted : 0;
	return del <= f->physical_rows ? f->physical_rows - del : 0;
}

uint64_t lfs_manifest_live_rows(const lfs_manifest *m)
{
	uint64_t n = 0;
	for (size_t i = 0; i < m->n_fragments; i++)
		n += lfs_fragment_live_rows(&m->fragments[i]);
	return n;
}

const lfs_field *lfs_schema_field_by_id(const lfs_schema *s, int32_t id)
{
	for (size_t i = 0; i < s->n_fields; i++)
		if (s->fields[i].id == id)
			return &s->fields[i];
	return NULL;
}

const lfs_field *lfs_schema_top_by_name(const lfs_schema *s, const char *name)
{
	for (size_t i = 0; i < s->n_top; i++)
		if (strcmp(s->top[i]->name, name) == 0)
			return s->top[i];
	return NULL;
}

void lfs_field_path(const lfs_field *f, char *buf, size_t n)
{
	const lfs_field *chain[16];
	size_t depth = 0, used = 0;

	if (n == 0)
		return;
	for (const lfs_field *p = f; p && depth < 16; p = p->parent)
		chain[depth++] = p;
	buf[0] = 0;
	while (depth > 0 && used < n) {
		const lfs_field *x = chain[--depth];
		int w = snprintf(buf + used, n - used, "%s%s", used ? "." : "",
				 x->name ? x->name : "?");
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (!buf[0])
		snprintf(buf, n, "?");
}

int lfs_version_from_filename(const char *name, uint64_t *version)
{
	const char *dot = strrchr(name, '.');
	uint64_t v = 0;
	size_t digits;

	if (!dot || strcmp(dot, ".manifest") != 0 || dot == name)
		return -EINVAL;
	digits = (size_t)(dot - name);
	for (const char *p = name; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -EINVAL;
	}
	/* The new scheme writes 2^64 - 1 - N with exactly 20 digits so that names
	 * sort newest first; the old one writes N itself. */
	*version = digits == 20 ? UINT64_MAX - v : v;
	return 0;
}

char *lfs_deletion_file_path(const lfs_fragment *f)
{
	return lfs_strdup_printf("_deletions/%llu-%llu-%llu.%s", (unsigned long long)f->id,
				 (unsigned long long)f->deletion.read_version,
				 (unsigned long long)f->deletion.id,
				 f->deletion.type == LFS_DEL_BITMAP ? "bin" : "arrow");
}
