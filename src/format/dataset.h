/*
 * format/dataset: one Lance table as a history of versions, read through a
 * store.  This is where the table format meets I/O: it lists _versions/,
 * fetches and decodes manifests, deletion files and tags, and opens data
 * files (format/lfile.h) on demand.
 *
 * A version, once loaded, is immutable and shared: lfs_version handles are
 * reference-counted so that open files keep the version they were opened at
 * while the dataset moves on.  All functions are thread-safe.
 */
#ifndef LFS_DATASET_H
#define LFS_DATASET_H

#include <stdint.h>

#include "column/column.h"
#include "format/manifest.h"
#include "store/store.h"
#include "util/util.h"

typedef struct lfs_dataset lfs_dataset;
typedef struct lfs_version lfs_version;

/* Opens the table at `root` (a key prefix inside the store, "" for the
 * store's root): lists its versions and decodes the newest manifest, so a
 * directory that is not a Lance table, a damaged newest manifest or an
 * unknown reader feature flag fails here with a message naming the file. */
int lfs_dataset_open(lfs_store *store, const char *root, lfs_dataset **out, lfs_err *err);
void lfs_dataset_close(lfs_dataset *ds);
/* Opens branch `name` of the table at main_root: its versions live under
 * main_root/tree/NAME, and data files it shares with main are found
 * through its base paths, which point at the main table's root. */
int lfs_dataset_open_branch(lfs_store *store, const char *main_root, const char *name,
			    lfs_dataset **out, lfs_err *err);
/* The names of the table's branches (from _refs/branches/NAME.json),
 * sorted; caller frees each and the array. */
int lfs_dataset_branches(lfs_dataset *ds, char ***names, size_t *n, lfs_err *err);
/* Whether `root` looks like a Lance table (has a _versions/ directory). */
int lfs_dataset_probe(lfs_store *store, const char *root);

/* Lists _versions/ again.  Returns 1 when the set of versions changed. */
int lfs_dataset_refresh(lfs_dataset *ds, lfs_err *err);
/* The known versions, ascending (a snapshot: caller frees *versions). */
int lfs_dataset_versions(lfs_dataset *ds, uint64_t **versions, size_t *n);
uint64_t lfs_dataset_latest(lfs_dataset *ds);
int lfs_dataset_has_version(lfs_dataset *ds, uint64_t v);

/* Loads (or finds) version v.  The handle must be released. */
int lfs_dataset_version(lfs_dataset *ds, uint64_t v, lfs_version **out, lfs_err *err);
void lfs_version_retain(lfs_version *ver);
void lfs_version_release(lfs_version *ver);
const lfs_manifest *lfs_version_manifest(const lfs_version *ver);
uint64_t lfs_version_number(const lfs_version *ver);

/* Tags: names and versions, sorted by name (caller frees with
 * lfs_tags_free).  Damaged tag files are skipped with a warning. */
typedef struct lfs_tag {
	char *name;
	uint64_t version;
	char *branch;   /* NULL: main */
} lfs_tag;
int lfs_dataset_tags(lfs_dataset *ds, lfs_tag **tags, size_t *n, lfs_err *err);
void lfs_tags_free(lfs_tag *tags, size_t n);

/* The deleted physical offsets of fragment index fi (sorted, unique);
 * loaded once per version.  *n = 0 for a fragment without deletions. */
int lfs_version_deletions(lfs_version *ver, size_t fi, const uint32_t **offsets, size_t *n,
			  lfs_err *err);

/* Decodes physical rows [start, start + count) of a top-level field of
 * fragment fi into out.  A field the fragment has no data file for reads
 * as all nulls (that is what Lance does after a column was added). */
int lfs_version_read(lfs_version *ver, size_t fi, const lfs_field *field, uint64_t start,
		     uint64_t count, lfs_column *out, lfs_err *err);
/* Page row starts of a field in fragment fi (see lfs_lfile_page_starts). */
int lfs_version_page_starts(lfs_version *ver, size_t fi, const lfs_field *field,
			    uint64_t **starts, size_t *n, lfs_err *err);

/* The store and key prefix of the table, for raw/. */
lfs_store *lfs_dataset_store(lfs_dataset *ds);
const char *lfs_dataset_root(lfs_dataset *ds);

#endif
