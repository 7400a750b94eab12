/* fs/docs: the JSON documents of the tree — schema.json, manifest.json,
 * fragments/ID/fragment.json, indices/NAME.json.  Built with jansson. */
#include "fs/fs_impl.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *kv_object(const lfs_kv *kv, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++) {
		/* metadata values are bytes; show them as text when they are UTF-8 */
		json_t *v = json_stringn((const char *)kv[i].value, kv[i].value_len);
		if (!v)
			v = json_string("<binary>");
		json_object_set_new(o, kv[i].key, v);
	}
	return o;
}

static json_t *field_json(const lfs_field *f)
{
	json_t *o = json_object(), *children = json_array();
	json_object_set_new(o, "name", json_string(f->name));
	json_object_set_new(o, "id", json_integer(f->id));
	json_object_set_new(o, "parent_id", json_integer(f->parent_id));
	json_object_set_new(o, "logical_type", json_string(f->logical_type));
	json_object_set_new(o, "type", json_string(lfs_type_name(f->type.id)));
	json_object_set_new(o, "nullable", json_boolean(f->nullable));
	if (f->type.is_dictionary)
		json_object_set_new(o, "dictionary", json_true());
	if (f->extension_name && *f->extension_name)
		json_object_set_new(o, "extension_name", json_string(f->extension_name));
	json_object_set_new(o, "metadata", kv_object(f->metadata, f->n_metadata));
	for (size_t i = 0; i < f->n_children; i++)
		json_array_append_new(children, field_json(f->children[i]));
	json_object_set_new(o, "children", children);
	return o;
}

static int dump(json_t *root, lfs_buf *out)
{
	char *s;
	int rc;
	if (!root)
		return -ENOMEM;
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!s)
		return -ENOMEM;
	rc = lfs_buf_puts(out, s);
	if (!rc)
		rc = lfs_buf_putc(out, '\n');
	free(s);
	return rc;
}

int lfs_doc_schema(const lfs_manifest *m, lfs_buf *out)
{
	json_t *root = json_object(), *fields = json_array();
	for (size_t i = 0; i < m->schema.n_top; i++)
		json_array_append_new(fields, field_json(m->schema.top[i]));
	json_object_set_new(root, "fields", fields);
	json_object_set_new(root, "metadata", kv_object(m->schema.metadata, m->schema.n_metadata));
	return dump(root, out);
}

void lfs_doc_time(int64_t seconds, int32_t nanos, char out[64])
{
	struct tm tm;
	time_t t = (time_t)seconds;
	gmtime_r(&t, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nanos);
}

static json_t *u64_json(uint64_t v)
{
	/* JSON integers are exact in jansson up to 2^63 - 1 */
	return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

static json_t *data_file_json(const lfs_data_file *df)
{
	json_t *o = json_object(), *fields = json_array(), *cols = json_array();
	char ver[32];
	json_object_set_new(o, "path", json_string(df->path));
	for (size_t i = 0; i < df->n_fields; i++)
		json_array_append_new(fields, json_integer(df->fields[i]));
	for (size_t i = 0; i < df->n_column_indices; i++)
		json_array_append_new(cols, json_integer(df->column_indices[i]));
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "column_indices", cols);
	snprintf(ver, sizeof(ver), "%u.%u", df->major, df->minor);
	json_object_set_new(o, "file_version", json_string(df->major == 0 && df->minor == 0 ? "legacy" : ver));
	json_object_set_new(o, "size_bytes", u64_json(df->size_bytes));
	if (df->has_base_id)
		json_object_set_new(o, "base_id", json_integer(df->base_id));
	return o;
}

static json_t *deletion_json(const lfs_fragment *f)
{
	if (!f->deletion.present)
		return json_null();
	json_t *o = json_object();
	char *path = lfs_deletion_file_path(f);
	json_object_set_new(o, "path", json_string(path ? path : ""));
	free(path);
	json_object_set_new(o, "type", json_string(f->deletion.type == LFS_DEL_BITMAP ? "bitmap" : "arrow"));
	json_object_set_new(o, "read_version", u64_json(f->deletion.read_version));
	json_object_set_new(o, "num_deleted_rows", u64_json(f->deletion.num_deleted));
	return o;
}

static json_t *fragment_json(const lfs_fragment *f)
{
	json_t *o = json_object(), *files = json_array();
	json_object_set_new(o, "id", u64_json(f->id));
	json_object_set_new(o, "physical_rows", u64_json(f->physical_rows));
	json_object_set_new(o, "num_rows", u64_json(lfs_fragment_live_rows(f)));
	for (size_t i = 0; i < f->n_files; i++)
		json_array_append_new(files, data_file_json(&f->files[i]));
	json_object_set_new(o, "files", files);
	json_object_set_new(o, "deletion_file", deletion_json(f));
	return o;
}

static json_t *index_json(const lfs_manifest *m, const lfs_index_meta *ix)
{
	json_t *o = json_object(), *cols = json_array(), *fields = json_array();
	json_object_set_new(o, "name", json_string(ix->name));
	json_object_set_new(o, "uuid", json_string(ix->uuid));
	for (size_t i = 0; i < ix->n_fields; i++) {
		const lfs_field *f = lfs_schema_field_by_id(&m->schema, ix->fields[i]);
		json_array_append_new(fields, json_integer(ix->fields[i]));
		json_array_append_new(cols, f ? json_string(f->name) : json_null());
	}
	json_object_set_new(o, "columns", cols);
	json_object_set_new(o, "fields", fields);
	const char *type = ix->type_url;
	const char *dot = strrchr(type, '.'), *slash = strrchr(type, '/');
	const char *shortname = dot ? dot + 1 : slash ? slash + 1 : type;
	json_object_set_new(o, "type", json_string(shortname));
	json_object_set_new(o, "type_url", json_string(ix->type_url));
	json_object_set_new(o, "dataset_version", u64_json(ix->dataset_version));
	if (ix->has_index_version)
		json_object_set_new(o, "index_version", json_integer(ix->index_version));
	if (ix->has_created_at)
		json_object_set_new(o, "created_at_ms", u64_json(ix->created_at_ms));
	json_t *frags = json_array();
	if (ix->fragment_bitmap_len) {
		/* a roaring bitmap of covered fragment ids, decoded like a deletion vector */
		uint32_t *ids = NULL;
		size_t n = 0;
		if (lfs_deletions_decode(LFS_DEL_BITMAP, ix->fragment_bitmap, ix->fragment_bitmap_len,
					 &ids, &n, NULL) == 0) {
			for (size_t i = 0; i < n; i++)
				json_array_append_new(frags, json_integer(ids[i]));
		} else {
			json_decref(frags);
			frags = json_null();
		}
		free(ids);
	}
	json_object_set_new(o, "fragment_ids", frags);
	return o;
}

int lfs_doc_manifest(const lfs_manifest *m, lfs_buf *out)
{
	json_t *root = json_object(), *frags = json_array(), *ixs = json_array();
	char when[64];
	lfs_doc_time(m->timestamp_s, m->timestamp_ns, when);
	json_object_set_new(root, "version", u64_json(m->version));
	json_object_set_new(root, "timestamp", json_string(when));
	json_t *writer = json_object();
	json_object_set_new(writer, "library", json_string(m->writer_library));
	json_object_set_new(writer, "version", json_string(m->writer_version));
	json_object_set_new(root, "writer", writer);
	json_object_set_new(root, "reader_feature_flags", u64_json(m->reader_flags));
	json_object_set_new(root, "writer_feature_flags", u64_json(m->writer_flags));
	json_object_set_new(root, "data_storage_format", json_string(m->data_format));
	json_object_set_new(root, "data_storage_version", json_string(m->data_format_version));
	json_object_set_new(root, "num_rows", u64_json(lfs_manifest_live_rows(m)));
	if (m->has_max_fragment_id)
		json_object_set_new(root, "max_fragment_id", json_integer(m->max_fragment_id));
	json_object_set_new(root, "tag", *m->tag ? json_string(m->tag) : json_null());
	json_object_set_new(root, "branch", m->branch ? json_string(m->branch) : json_null());
	json_object_set_new(root, "transaction_file", json_string(m->transaction_file));
	json_object_set_new(root, "next_row_id", u64_json(m->next_row_id));
	json_object_set_new(root, "config", kv_object(m->config, m->n_config));
	json_object_set_new(root, "table_metadata", kv_object(m->table_metadata, m->n_table_metadata));
	json_t *bases = json_array();
	for (size_t i = 0; i < m->n_base_paths; i++) {
		json_t *b = json_object();
		json_object_set_new(b, "id", json_integer(m->base_paths[i].id));
		json_object_set_new(b, "name", m->base_paths[i].name ? json_string(m->base_paths[i].name) : json_null());
		json_object_set_new(b, "is_dataset_root", json_boolean(m->base_paths[i].is_dataset_root));
		json_object_set_new(b, "path", json_string(m->base_paths[i].path ? m->base_paths[i].path : ""));
		json_array_append_new(bases, b);
	}
	json_object_set_new(root, "base_paths", bases);
	for (size_t i = 0; i < m->n_fragments; i++)
		json_array_append_new(frags, fragment_json(&m->fragments[i]));
	json_object_set_new(root, "fragments", frags);
	for (size_t i = 0; i < m->n_indices; i++)
		json_array_append_new(ixs, index_json(m, &m->indices[i]));
	json_object_set_new(root, "indices", ixs);
	return dump(root, out);
}

int lfs_doc_fragment(const lfs_manifest *m, size_t fi, lfs_buf *out)
{
	return dump(fragment_json(&m->fragments[fi]), out);
}

int lfs_doc_index(const lfs_manifest *m, size_t i, lfs_buf *out)
{
	return dump(index_json(m, &m->indices[i]), out);
}

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int lfs_parse_iso_time(const char *s, int64_t *seconds, int32_t *nanos)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, frac_digits = 0;
	long frac = 0;
	int offset_s = 0;
	const char *p = s;

	if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
	    parse_digits(&p, 2, &d))
		return -EINVAL;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi))
			return -EINVAL;
		if (*p == ':') {
			p++;
			if (parse_digits(&p, 2, &sec))
				return -EINVAL;
			if (*p == '.' || *p == ',') {
				p++;
				while (*p >= '0' && *p <= '9') {
					if (frac_digits < 9) {
						frac = frac * 10 + (*p - '0');
						frac_digits++;
					}
					p++;
				}
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
			if (parse_digits(&p, 2, &oh))
				return -EINVAL;
			if (*p == ':')
				p++;
			if (*p && parse_digits(&p, 2, &om))
				return -EINVAL;
			offset_s = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	while (frac_digits < 9) {
		frac *= 10;
		frac_digits++;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*seconds = (int64_t)timegm(&tm) - offset_s;
	*nanos = (int32_t)frac;
	return 0;
}
