/* format/dataset: versions, manifests and data files of one table, read
 * through a store.  See dataset.h. */
#include "format/dataset.h"
#include "format/lfile.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct version_name {
	uint64_t version;
	char *file;                 /* name inside _versions/ */
};

/* Per-fragment state of a loaded version, filled on first use. */
struct frag_state {
	lfs_lfile **files;          /* one per DataFile, opened lazily */
	int deletions_loaded;
	uint32_t *deleted;
	size_t n_deleted;
};

struct lfs_version {
	int refs;                   /* protected by the dataset's lock */
	lfs_dataset *ds;
	lfs_manifest *m;
	pthread_mutex_t lock;       /* guards frags' lazy state */
	struct frag_state *frags;
	struct lfs_version *next;   /* in the dataset's list of loaded versions */
};

struct lfs_dataset {
	lfs_store *store;
	char *root;                 /* key prefix of the table ("" or "x.lance") */
	char *base_root;            /* a branch: the main table's root, where its
				     * dataset-root base paths point; else NULL */
	pthread_mutex_t lock;
	struct version_name *names; /* ascending by version */
	size_t n_names;
	lfs_version *loaded;
};

static char *table_key(const lfs_dataset *ds, const char *rel)
{
	return lfs_key_join(ds->root, rel);
}

/* ---------------------------------------------------------------- versions */

static int cmp_version_name(const void *a, const void *b)
{
	uint64_t x = ((const struct version_name *)a)->version;
	uint64_t y = ((const struct version_name *)b)->version;
	return x < y ? -1 : x > y;
}

static void free_names(struct version_name *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i].file);
	free(names);
}

/* Reads _versions/ into a sorted list of (version, file name). */
static int list_versions(lfs_dataset *ds, struct version_name **out, size_t *n, lfs_err *err)
{
	lfs_store_entry *entries;
	size_t count, w = 0;
	char *dir = table_key(ds, "_versions");
	struct version_name *names;
	int rc;

	*out = NULL;
	*n = 0;
	if (!dir)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = lfs_store_list(ds->store, dir, &entries, &count, err);
	free(dir);
	if (rc)
		return rc;
	names = calloc(count ? count : 1, sizeof(*names));
	if (!names) {
		lfs_store_entries_free(entries, count);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < count; i++) {
		uint64_t v;
		if (entries[i].is_dir || lfs_version_from_filename(entries[i].name, &v))
			continue; /* latest_version_hint.json, temp files, ... */
		names[w].version = v;
		names[w].file = entries[i].name;
		entries[i].name = NULL;
		w++;
	}
	lfs_store_entries_free(entries, count);
	qsort(names, w, sizeof(*names), cmp_version_name);
	/* Both naming schemes for one version: keep one. */
	size_t u = 0;
	for (size_t i = 0; i < w; i++) {
		if (u > 0 && names[u - 1].version == names[i].version) {
			free(names[i].file);
			continue;
		}
		names[u++] = names[i];
	}
	*out = names;
	*n = u;
	return 0;
}

static const struct version_name *find_name(const lfs_dataset *ds, uint64_t v)
{
	size_t lo = 0, hi = ds->n_names;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ds->names[mid].version < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ds->n_names && ds->names[lo].version == v ? &ds->names[lo] : NULL;
}

int lfs_dataset_probe(lfs_store *store, const char *root)
{
	lfs_store_entry *entries;
	size_t n;
	char *dir = lfs_key_join(root, "_versions");
	int rc = dir ? lfs_store_list(store, dir, &entries, &n, NULL) : -ENOMEM;
	free(dir);
	if (rc)
		return 0;
	lfs_store_entries_free(entries, n);
	return 1;
}

static int load_manifest(lfs_dataset *ds, const char *file, lfs_manifest **out, lfs_err *err)
{
	char *rel = lfs_strdup_printf("_versions/%s", file);
	char *key = rel ? table_key(ds, rel) : NULL;
	uint8_t *bytes = NULL;
	size_t len;
	int rc;

	free(rel);
	if (!key)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = lfs_store_read_all(ds->store, key, &bytes, &len, err);
	if (!rc) {
		rc = lfs_manifest_parse_file(bytes, len, out, err);
		if (rc)
			lfs_err_prefix(err, "%s: ", key);
	}
	if (!rc && ((*out)->reader_flags & ~(uint64_t)LFS_FEATURES_KNOWN)) {
		rc = lfs_fail(err, -ENOTSUP,
			      "%s: the dataset needs reader feature flags 0x%llx, which lancefs does not know",
			      key, (unsigned long long)((*out)->reader_flags & ~(uint64_t)LFS_FEATURES_KNOWN));
		lfs_manifest_free(*out);
		*out = NULL;
	}
	free(bytes);
	free(key);
	return rc;
}

static int dataset_open(lfs_store *store, const char *root, const char *base_root,
			lfs_dataset **out, lfs_err *err);

int lfs_dataset_open(lfs_store *store, const char *root, lfs_dataset **out, lfs_err *err)
{
	return dataset_open(store, root, NULL, out, err);
}

int lfs_dataset_open_branch(lfs_store *store, const char *main_root, const char *name,
			    lfs_dataset **out, lfs_err *err)
{
	char *rel = lfs_strdup_printf("tree/%s", name);
	char *root = rel ? lfs_key_join(main_root, rel) : NULL;
	int rc;
	free(rel);
	if (!root)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = dataset_open(store, root, main_root, out, err);
	free(root);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lfs_dataset_branches(lfs_dataset *ds, char ***names, size_t *n, lfs_err *err)
{
	lfs_store_entry *entries;
	size_t count, w = 0;
	char *dir = table_key(ds, "_refs/branches");
	int rc;

	*names = NULL;
	*n = 0;
	if (!dir)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = lfs_store_list(ds->store, dir, &entries, &count, err);
	free(dir);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	*names = calloc(count ? count : 1, sizeof(char *));
	for (size_t i = 0; *names && i < count; i++) {
		size_t len = strlen(entries[i].name);
		if (entries[i].is_dir || len <= 5 || strcmp(entries[i].name + len - 5, ".json") != 0)
			continue;
		if (((*names)[w] = strndup(entries[i].name, len - 5)) != NULL)
			w++;
	}
	lfs_store_entries_free(entries, count);
	if (!*names)
		return lfs_fail(err, -ENOMEM, "out of memory");
	qsort(*names, w, sizeof(char *), cmp_str);
	*n = w;
	return 0;
}

static int dataset_open(lfs_store *store, const char *root, const char *base_root,
			lfs_dataset **out, lfs_err *err)
{
	lfs_dataset *ds;
	lfs_version *ver;
	int rc;

	*out = NULL;
	ds = calloc(1, sizeof(*ds));
	if (!ds)
		return lfs_fail(err, -ENOMEM, "out of memory");
	ds->store = store;
	ds->root = strdup(root);
	ds->base_root = base_root ? strdup(base_root) : NULL;
	pthread_mutex_init(&ds->lock, NULL);
	if (!ds->root || (base_root && !ds->base_root)) {
		lfs_dataset_close(ds);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	rc = list_versions(ds, &ds->names, &ds->n_names, err);
	if (rc == -ENOENT || rc == -ENOTDIR)
		rc = lfs_fail(err, -ENOENT, "%s%s%s: not a Lance dataset (no _versions/ directory)",
			      lfs_store_description(store), *root ? "/" : "", root);
	else if (rc == 0 && ds->n_names == 0)
		rc = lfs_fail(err, -ENOENT, "%s%s%s/_versions: no manifest files: not a Lance dataset",
			      lfs_store_description(store), *root ? "/" : "", root);
	if (!rc) {
		rc = lfs_dataset_version(ds, ds->names[ds->n_names - 1].version, &ver, err);
		if (!rc)
			lfs_version_release(ver);
	}
	if (rc) {
		lfs_dataset_close(ds);
		return rc;
	}
	*out = ds;
	return 0;
}

static void version_free(lfs_version *ver)
{
	if (ver->frags) {
		for (size_t i = 0; i < ver->m->n_fragments; i++) {
			struct frag_state *fs = &ver->frags[i];
			if (fs->files)
				for (size_t j = 0; j < ver->m->fragments[i].n_files; j++)
					lfs_lfile_close(fs->files[j]);
			free(fs->files);
			free(fs->deleted);
		}
		free(ver->frags);
	}
	lfs_manifest_free(ver->m);
	pthread_mutex_destroy(&ver->lock);
	free(ver);
}

void lfs_dataset_close(lfs_dataset *ds)
{
	if (!ds)
		return;
	lfs_version *ver = ds->loaded;
	while (ver) {
		lfs_version *next = ver->next;
		version_free(ver);
		ver = next;
	}
	free_names(ds->names, ds->n_names);
	pthread_mutex_destroy(&ds->lock);
	free(ds->root);
	free(ds->base_root);
	free(ds);
}

int lfs_dataset_refresh(lfs_dataset *ds, lfs_err *err)
{
	struct version_name *names;
	size_t n;
	int changed, rc = list_versions(ds, &names, &n, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&ds->lock);
	changed = n != ds->n_names;
	for (size_t i = 0; !changed && i < n; i++)
		changed = names[i].version != ds->names[i].version;
	if (changed && n > 0) {
		free_names(ds->names, ds->n_names);
		ds->names = names;
		ds->n_names = n;
		names = NULL;
		n = 0;
	}
	pthread_mutex_unlock(&ds->lock);
	free_names(names, n);
	return changed;
}

int lfs_dataset_versions(lfs_dataset *ds, uint64_t **versions, size_t *n)
{
	pthread_mutex_lock(&ds->lock);
	*versions = malloc((ds->n_names ? ds->n_names : 1) * sizeof(uint64_t));
	if (!*versions) {
		pthread_mutex_unlock(&ds->lock);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ds->n_names; i++)
		(*versions)[i] = ds->names[i].version;
	*n = ds->n_names;
	pthread_mutex_unlock(&ds->lock);
	return 0;
}

uint64_t lfs_dataset_latest(lfs_dataset *ds)
{
	pthread_mutex_lock(&ds->lock);
	uint64_t v = ds->n_names ? ds->names[ds->n_names - 1].version : 0;
	pthread_mutex_unlock(&ds->lock);
	return v;
}

int lfs_dataset_has_version(lfs_dataset *ds, uint64_t v)
{
	pthread_mutex_lock(&ds->lock);
	int found = find_name(ds, v) != NULL;
	pthread_mutex_unlock(&ds->lock);
	return found;
}

int lfs_dataset_version(lfs_dataset *ds, uint64_t v, lfs_version **out, lfs_err *err)
{
	lfs_version *ver;
	char *file;
	lfs_manifest *m;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&ds->lock);
	for (ver = ds->loaded; ver; ver = ver->next) {
		if (ver->m->version == v) {
			ver->refs++;
			pthread_mutex_unlock(&ds->lock);
			*out = ver;
			return 0;
		}
	}
	const struct version_name *name = find_name(ds, v);
	file = name ? strdup(name->file) : NULL;
	pthread_mutex_unlock(&ds->lock);
	if (!name)
		return lfs_fail(err, -ENOENT, "version %llu does not exist", (unsigned long long)v);
	if (!file)
		return lfs_fail(err, -ENOMEM, "out of memory");

	/* Decode outside the lock: a slow store must not stall other versions. */
	rc = load_manifest(ds, file, &m, err);
	free(file);
	if (rc)
		return rc;
	if (m->version != v) {
		lfs_fail(err, -EIO, "_versions/ file for version %llu holds version %llu",
			 (unsigned long long)v, (unsigned long long)m->version);
		lfs_manifest_free(m);
		return -EIO;
	}
	ver = calloc(1, sizeof(*ver));
	if (ver)
		ver->frags = calloc(m->n_fragments ? m->n_fragments : 1, sizeof(*ver->frags));
	if (!ver || !ver->frags) {
		free(ver);
		lfs_manifest_free(m);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	ver->ds = ds;
	ver->m = m;
	ver->refs = 2; /* the dataset's list and the caller */
	pthread_mutex_init(&ver->lock, NULL);

	pthread_mutex_lock(&ds->lock);
	for (lfs_version *other = ds->loaded; other; other = other->next) {
		if (other->m->version == v) { /* another thread won the race */
			other->refs++;
			pthread_mutex_unlock(&ds->lock);
			ver->refs = 1;
			version_free(ver);
			*out = other;
			return 0;
		}
	}
	ver->next = ds->loaded;
	ds->loaded = ver;
	pthread_mutex_unlock(&ds->lock);
	*out = ver;
	return 0;
}

void lfs_version_retain(lfs_version *ver)
{
	pthread_mutex_lock(&ver->ds->lock);
	ver->refs++;
	pthread_mutex_unlock(&ver->ds->lock);
}

void lfs_version_release(lfs_version *ver)
{
	if (!ver)
		return;
	/* The dataset's own reference keeps loaded versions alive until close;
	 * versions are small next to the data they describe. */
	pthread_mutex_lock(&ver->ds->lock);
	ver->refs--;
	pthread_mutex_unlock(&ver->ds->lock);
}

const lfs_manifest *lfs_version_manifest(const lfs_version *ver) { return ver->m; }
uint64_t lfs_version_number(const lfs_version *ver) { return ver->m->version; }
lfs_store *lfs_dataset_store(lfs_dataset *ds) { return ds->store; }
const char *lfs_dataset_root(lfs_dataset *ds) { return ds->root; }

/* -------------------------------------------------------------------- tags */

static int cmp_tag(const void *a, const void *b)
{
	return strcmp(((const lfs_tag *)a)->name, ((const lfs_tag *)b)->name);
}

void lfs_tags_free(lfs_tag *tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tags[i].name);
		free(tags[i].branch);
	}
	free(tags);
}

int lfs_dataset_tags(lfs_dataset *ds, lfs_tag **tags, size_t *n, lfs_err *err)
{
	lfs_store_entry *entries;
	size_t count, w = 0;
	char *dir = table_key(ds, "_refs/tags");
	int rc;

	*tags = NULL;
	*n = 0;
	if (!dir)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = lfs_store_list(ds->store, dir, &entries, &count, err);
	if (rc) {
		free(dir);
		return rc == -ENOENT ? 0 : rc;
	}
	*tags = calloc(count ? count : 1, sizeof(**tags));
	for (size_t i = 0; *tags && i < count; i++) {
		size_t len = strlen(entries[i].name);
		uint8_t *bytes;
		size_t blen;
		lfs_err terr;
		if (entries[i].is_dir || len <= 5 || strcmp(entries[i].name + len - 5, ".json") != 0)
			continue;
		char *key = lfs_key_join(dir, entries[i].name);
		if (!key)
			continue;
		rc = lfs_store_read_all(ds->store, key, &bytes, &blen, &terr);
		if (!rc) {
			rc = lfs_tag_decode(bytes, blen, &(*tags)[w].version, &(*tags)[w].branch, &terr);
			free(bytes);
		}
		if (rc) {
			lfs_warn("%s: skipping tag: %s", key, terr.msg);
		} else {
			(*tags)[w].name = strndup(entries[i].name, len - 5);
			if ((*tags)[w].name)
				w++;
			else
				free((*tags)[w].branch);
		}
		free(key);
	}
	free(dir);
	lfs_store_entries_free(entries, count);
	if (!*tags)
		return lfs_fail(err, -ENOMEM, "out of memory");
	qsort(*tags, w, sizeof(**tags), cmp_tag);
	*n = w;
	return 0;
}

/* --------------------------------------------------------------- fragments */

int lfs_version_deletions(lfs_version *ver, size_t fi, const uint32_t **offsets, size_t *n,
			  lfs_err *err)
{
	const lfs_fragment *frag;
	struct frag_state *fs;
	int rc = 0;

	*offsets = NULL;
	*n = 0;
	if (fi >= ver->m->n_fragments)
		return lfs_fail(err, -EINVAL, "no fragment index %zu", fi);
	frag = &ver->m->fragments[fi];
	fs = &ver->frags[fi];
	if (!frag->deletion.present)
		return 0;
	pthread_mutex_lock(&ver->lock);
	if (!fs->deletions_loaded) {
		char *rel = lfs_deletion_file_path(frag);
		/* a branch's deletion file with a base id lives in the main table */
		const char *root = frag->deletion.has_base_id ? ver->ds->base_root : ver->ds->root;
		char *key = rel && root ? lfs_key_join(root, rel) : NULL;
		uint8_t *bytes = NULL;
		size_t len;
		free(rel);
		if (!root) {
			rc = lfs_fail(err, -ENOTSUP, "fragment %llu: its deletion file lives under another base path, which lancefs cannot reach",
				      (unsigned long long)frag->id);
		} else if (!key) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
		} else {
			rc = lfs_store_read_all(ver->ds->store, key, &bytes, &len, err);
			if (!rc)
				rc = lfs_deletions_decode(frag->deletion.type, bytes, len, &fs->deleted,
							  &fs->n_deleted, err);
			if (!rc && fs->n_deleted && fs->deleted[fs->n_deleted - 1] >= frag->physical_rows)
				rc = lfs_fail(err, -EIO, "deleted offset %u is past the fragment's %llu rows",
					      fs->deleted[fs->n_deleted - 1],
					      (unsigned long long)frag->physical_rows);
			if (rc) {
				lfs_err_prefix(err, "%s: ", key);
				free(fs->deleted);
				fs->deleted = NULL;
				fs->n_deleted = 0;
			}
			free(bytes);
		}
		free(key);
		fs->deletions_loaded = rc == 0;
	}
	if (!rc) {
		*offsets = fs->deleted;
		*n = fs->n_deleted;
	}
	pthread_mutex_unlock(&ver->lock);
	return rc;
}

static int file_has_field(const lfs_data_file *df, const lfs_field *field)
{
	for (size_t j = 0; j < df->n_fields; j++)
		if (df->fields[j] == field->id)
			return 1;
	/* v2 files list the leaves of nested fields (a list's item, not the list) */
	for (size_t c = 0; c < field->n_children; c++)
		if (field->children[c]->id >= 0 && file_has_field(df, field->children[c]))
			return 1;
	return 0;
}

/* The DataFile of fragment fi holding a top-level field, or -1. */
static int file_for_field(const lfs_fragment *frag, const lfs_field *field)
{
	/* Later files win: a column rewritten by a merge lives in a newer file,
	 * and the older file's entry is tombstoned (-2). */
	for (size_t i = frag->n_files; i-- > 0;)
		if (file_has_field(&frag->files[i], field))
			return (int)i;
	return -1;
}

/* Where a data file lives: data/ of this table, or, for a file shared by a
 * branch with the main table, data/ of the main table (the branch's base
 * path names the main table's root). */
static int data_file_key(const lfs_version *ver, const lfs_data_file *df, char **key, lfs_err *err)
{
	const char *root = ver->ds->root;
	char *rel;

	if (df->has_base_id) {
		const lfs_base_path *bp = NULL;
		for (size_t i = 0; i < ver->m->n_base_paths; i++)
			if (ver->m->base_paths[i].id == df->base_id)
				bp = &ver->m->base_paths[i];
		if (!bp)
			return lfs_fail(err, -EIO, "data file %s names base path %u, which the manifest lacks",
					df->path, df->base_id);
		if (!bp->is_dataset_root || !ver->ds->base_root)
			return lfs_fail(err, -ENOTSUP,
					"data file %s lives under base path %s, which lancefs cannot reach",
					df->path, bp->path ? bp->path : "?");
		root = ver->ds->base_root;
	}
	rel = lfs_strdup_printf("data/%s", df->path);
	*key = rel ? lfs_key_join(root, rel) : NULL;
	free(rel);
	return *key ? 0 : lfs_fail(err, -ENOMEM, "out of memory");
}

static int open_file(lfs_version *ver, size_t fi, size_t di, lfs_lfile **out, lfs_err *err)
{
	const lfs_data_file *df = &ver->m->fragments[fi].files[di];
	struct frag_state *fs = &ver->frags[fi];
	int rc = 0;

	pthread_mutex_lock(&ver->lock);
	if (!fs->files)
		fs->files = calloc(ver->m->fragments[fi].n_files, sizeof(*fs->files));
	if (!fs->files) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
	} else if (!fs->files[di]) {
		char *key = NULL;
		rc = data_file_key(ver, df, &key, err);
		if (!rc)
			rc = lfs_lfile_open(ver->ds->store, key, df->size_bytes, df, &ver->m->schema,
					    &fs->files[di], err);
		free(key);
	}
	*out = rc ? NULL : fs->files[di];
	pthread_mutex_unlock(&ver->lock);
	return rc;
}

/* A column of `count` nulls of the field's type (children included). */
static int null_column(const lfs_field *field, uint64_t count, lfs_column *out)
{
	int rc;
	lfs_column_init(out, &field->type);
	rc = lfs_column_alloc(out, count, 1);
	if (rc)
		return rc;
	out->null_count = count;
	if (field->n_children == 0)
		return 0;
	rc = lfs_column_alloc_children(out, (uint32_t)field->n_children);
	if (rc)
		return rc;
	for (size_t i = 0; i < field->n_children; i++) {
		uint64_t child_rows = 0;
		if (field->type.id == LFS_T_STRUCT)
			child_rows = count;
		else if (field->type.id == LFS_T_FIXED_SIZE_LIST)
			child_rows = count * (uint64_t)field->type.list_size;
		lfs_column_free(&out->children[i]);
		rc = null_column(field->children[i], child_rows, &out->children[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int lfs_version_read(lfs_version *ver, size_t fi, const lfs_field *field, uint64_t start,
		     uint64_t count, lfs_column *out, lfs_err *err)
{
	const lfs_fragment *frag;
	lfs_lfile *file;
	uint64_t end;
	int di, rc;

	if (fi >= ver->m->n_fragments)
		return lfs_fail(err, -EINVAL, "no fragment index %zu", fi);
	frag = &ver->m->fragments[fi];
	if (lfs_add_u64(start, count, &end) || end > frag->physical_rows)
		return lfs_fail(err, -EINVAL, "rows %llu+%llu are past fragment %llu's %llu rows",
				(unsigned long long)start, (unsigned long long)count,
				(unsigned long long)frag->id, (unsigned long long)frag->physical_rows);
	di = file_for_field(frag, field);
	if (di < 0) {
		rc = null_column(field, count, out);
		if (rc) {
			lfs_column_free(out);
			return lfs_fail(err, rc, "out of memory");
		}
		return 0;
	}
	rc = open_file(ver, fi, (size_t)di, &file, err);
	if (rc)
		return rc;
	if (lfs_lfile_num_rows(file) < frag->physical_rows)
		return lfs_fail(err, -EIO, "data/%s holds %llu rows, fragment %llu says %llu",
				frag->files[di].path, (unsigned long long)lfs_lfile_num_rows(file),
				(unsigned long long)frag->id, (unsigned long long)frag->physical_rows);
	return lfs_lfile_read(file, field, start, count, out, err);
}

int lfs_version_page_starts(lfs_version *ver, size_t fi, const lfs_field *field,
			    uint64_t **starts, size_t *n, lfs_err *err)
{
	lfs_lfile *file;
	int di, rc;

	*starts = NULL;
	*n = 0;
	if (fi >= ver->m->n_fragments)
		return lfs_fail(err, -EINVAL, "no fragment index %zu", fi);
	di = file_for_field(&ver->m->fragments[fi], field);
	if (di < 0) {
		*starts = calloc(1, sizeof(uint64_t));
		*n = *starts ? 1 : 0;
		return *starts ? 0 : -ENOMEM;
	}
	rc = open_file(ver, fi, (size_t)di, &file, err);
	if (rc)
		return rc;
	return lfs_lfile_page_starts(file, field, starts, n, err);
}
