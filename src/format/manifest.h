/*
 * format/manifest: Lance's table format — the manifest of one version
 * (schema, fragments, data files, deletion files, indices), version file
 * names, logical types, tags and deletion vectors.
 *
 * Everything here decodes bytes already in memory; nothing does I/O.
 * The dataset layer (format/dataset.h) fetches the bytes through a store.
 */
#ifndef LFS_MANIFEST_H
#define LFS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "util/util.h"

/* Reader feature flags lancefs understands (manifest.reader_feature_flags). */
#define LFS_FEATURE_DELETION_FILES 1u
#define LFS_FEATURE_STABLE_ROW_IDS 2u
#define LFS_FEATURE_USE_V2_FORMAT  4u
#define LFS_FEATURE_TABLE_CONFIG   8u
#define LFS_FEATURE_BASE_PATHS     16u
#define LFS_FEATURE_NO_TXN_FILES   32u
#define LFS_FEATURES_KNOWN (LFS_FEATURE_DELETION_FILES | LFS_FEATURE_STABLE_ROW_IDS | \
			    LFS_FEATURE_USE_V2_FORMAT | LFS_FEATURE_TABLE_CONFIG | \
			    LFS_FEATURE_BASE_PATHS | LFS_FEATURE_NO_TXN_FILES)

typedef struct lfs_kv {
	char *key;
	uint8_t *value; /* NUL-terminated for convenience; may hold binary */
	size_t value_len;
} lfs_kv;

/* One schema field (lance.file.Field).  The manifest keeps them flat, in
 * order; children are linked after decoding so that a field knows its own. */
typedef struct lfs_field {
	char *name;
	int32_t id;
	int32_t parent_id;          /* -1 at the top level */
	int kind;                   /* Field.Type: 0 parent, 1 repeated, 2 leaf */
	char *logical_type;         /* "int64", "fixed_size_list:float:16", ... */
	lfs_type type;              /* parsed from logical_type */
	int nullable;
	char *extension_name;
	lfs_kv *metadata;
	size_t n_metadata;
	int legacy_encoding;        /* Field.encoding (legacy files): 1 plain, 2 var binary, 3 dict */
	int64_t dict_offset, dict_length; /* Field.dictionary (legacy files) */
	struct lfs_field **children;
	size_t n_children;
	struct lfs_field *parent;
} lfs_field;

typedef struct lfs_schema {
	lfs_field *fields;          /* flat, in manifest order */
	size_t n_fields;
	lfs_field **top;            /* top-level fields, in order */
	size_t n_top;
	lfs_kv *metadata;
	size_t n_metadata;
} lfs_schema;

typedef struct lfs_data_file {
	char *path;                 /* relative to the dataset's data/ directory */
	int32_t *fields;            /* field ids held */
	size_t n_fields;
	int32_t *column_indices;    /* top-level column index of each field (v2), or empty */
	size_t n_column_indices;
	uint32_t major, minor;      /* file version; 0.0 means legacy (0.1/0.2) */
	uint64_t size_bytes;        /* 0 = unknown */
	int has_base_id;
	uint32_t base_id;
} lfs_data_file;

enum lfs_deletion_type { LFS_DEL_ARROW = 0, LFS_DEL_BITMAP = 1 };

typedef struct lfs_deletion_file {
	int present;
	enum lfs_deletion_type type;
	uint64_t read_version;
	uint64_t id;
	uint64_t num_deleted;
	int has_base_id;
	uint32_t base_id;
} lfs_deletion_file;

typedef struct lfs_fragment {
	uint64_t id;
	lfs_data_file *files;
	size_t n_files;
	lfs_deletion_file deletion;
	uint64_t physical_rows;
	int has_row_id_sequence;    /* stable row ids present */
} lfs_fragment;

typedef struct lfs_index_meta {
	char uuid[37];
	char *name;
	int32_t *fields;
	size_t n_fields;
	uint64_t dataset_version;
	uint8_t *fragment_bitmap;   /* roaring, portable serialization */
	size_t fragment_bitmap_len;
	char *type_url;             /* index_details type URL, "" if none */
	int has_index_version;
	int32_t index_version;
	int has_created_at;
	uint64_t created_at_ms;
} lfs_index_meta;

typedef struct lfs_base_path {
	uint32_t id;
	char *name;
	int is_dataset_root;
	char *path;
} lfs_base_path;

typedef struct lfs_manifest {
	uint64_t version;
	int64_t timestamp_s;        /* creation time, UTC */
	int32_t timestamp_ns;
	char *writer_library, *writer_version;
	char *tag;
	uint64_t reader_flags, writer_flags;
	int has_max_fragment_id;
	uint32_t max_fragment_id;
	int has_index_section;
	uint64_t index_section;     /* file position of the IndexSection */
	char *transaction_file;
	uint64_t next_row_id;
	char *data_format, *data_format_version; /* "lance", "2.1" */
	lfs_kv *config;
	size_t n_config;
	lfs_kv *table_metadata;
	size_t n_table_metadata;
	lfs_base_path *base_paths;
	size_t n_base_paths;
	char *branch;               /* NULL on main */
	lfs_schema schema;
	lfs_fragment *fragments;
	size_t n_fragments;
	lfs_index_meta *indices;    /* filled by lfs_manifest_decode_indices */
	size_t n_indices;
	uint32_t file_major, file_minor; /* from the manifest file's footer */
} lfs_manifest;

/* Decodes a whole manifest file (the bytes of NNN.manifest): finds the
 * metadata block through the footer, decodes the Manifest message and, when
 * the manifest has an index section, the indices.  -EIO with a message
 * naming what is wrong for damaged bytes. */
int lfs_manifest_parse_file(const uint8_t *file, size_t len, lfs_manifest **out, lfs_err *err);
/* Decodes a bare lance.table.Manifest protobuf message. */
int lfs_manifest_decode(const uint8_t *msg, size_t len, lfs_manifest **out, lfs_err *err);
void lfs_manifest_free(lfs_manifest *m);

/* Number of rows still live in a fragment (physical minus deleted). */
uint64_t lfs_fragment_live_rows(const lfs_fragment *f);
uint64_t lfs_manifest_live_rows(const lfs_manifest *m);
const lfs_field *lfs_schema_field_by_id(const lfs_schema *s, int32_t id);
const lfs_field *lfs_schema_top_by_name(const lfs_schema *s, const char *name);
/* The dotted path of a field from the top ("st.a.b"), for messages; "?" for
 * a field without a name.  Always NUL-terminates buf (n > 0). */
void lfs_field_path(const lfs_field *f, char *buf, size_t n);

/* Parses a Lance logical type string ("timestamp:us:UTC", ...). */
int lfs_parse_logical_type(const char *s, lfs_type *out);

/* Version file names: "N.manifest" or the 20-digit inverted form
 * (2^64 - 1 - N).  Returns 0 and the version, or -EINVAL for other names. */
int lfs_version_from_filename(const char *name, uint64_t *version);

/* The path (relative to the dataset root) of a fragment's deletion file. */
char *lfs_deletion_file_path(const lfs_fragment *f);

/* Deletion vectors: decodes a deletion file into a sorted array of deleted
 * physical row offsets.  Arrow IPC files (.arrow) and roaring bitmaps (.bin). */
int lfs_deletions_decode(enum lfs_deletion_type type, const uint8_t *bytes, size_t len,
			 uint32_t **offsets, size_t *n, lfs_err *err);

/* Tags: _refs/tags/NAME.json → version (and branch, or NULL for main). */
int lfs_tag_decode(const uint8_t *json, size_t len, uint64_t *version, char **branch, lfs_err *err);

#endif
