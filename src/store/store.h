/*
 * store: object stores behind one interface.
 *
 * Everything above this module (cache, format readers, fs) reads dataset
 * files only through an lfs_store: read a byte range of an object, ask an
 * object's size and identity, list the objects under a prefix.  Backends:
 * local files (store/local.c) and S3-compatible object stores (store/s3.c).
 * The block cache (cache/) is itself an lfs_store that wraps another one.
 *
 * Keys are '/'-separated paths relative to the store's root (no leading
 * slash), e.g. "_versions/1.manifest".  All functions are thread-safe.
 * Errors are negative errnos; -ENOENT for a missing object, -EACCES for a
 * refused credential, -EIO for everything that went wrong on the way.
 */
#ifndef LFS_STORE_H
#define LFS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

typedef struct lfs_store lfs_store;

/* What identifies one version of an object: a changed object has a changed
 * size, mtime or etag, so caches key on all three. */
typedef struct lfs_object_info {
	uint64_t size;
	int64_t mtime_ns;   /* modification time, ns since the epoch (0 if unknown) */
	char etag[80];      /* S3 ETag, or "" for local files */
} lfs_object_info;

typedef struct lfs_store_entry {
	char *name;          /* the entry's name inside the listed directory */
	int is_dir;          /* a common prefix (S3) or a directory (local) */
	lfs_object_info info; /* for objects only */
} lfs_store_entry;

/* The operations a backend provides. */
typedef struct lfs_store_ops {
	/* Read up to len bytes at off; *got is len unless the object ends first. */
	int (*read)(void *impl, const char *key, uint64_t off, void *buf, size_t len,
		    size_t *got, lfs_err *err);
	int (*stat)(void *impl, const char *key, lfs_object_info *out, lfs_err *err);
	/* One level under dir ("" for the root), sorted by name. */
	int (*list)(void *impl, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err);
	void (*close)(void *impl);
} lfs_store_ops;

/* Options for opening a store from a URI. */
typedef struct lfs_store_opts {
	const char *endpoint;     /* S3: endpoint URL (else AWS_ENDPOINT_URL or AWS) */
	const char *region;       /* S3: region (else AWS_REGION, AWS_DEFAULT_REGION, config) */
	const char *profile;      /* S3: profile in ~/.aws/credentials and ~/.aws/config */
	const char *ca_file;      /* S3: CA bundle for TLS verification */
	int path_style;           /* S3: bucket in the path rather than the host name */
	int no_sign_request;      /* S3: anonymous requests (public buckets) */
	int connect_timeout_ms;   /* S3: 0 = default */
	int request_timeout_ms;   /* S3: a stalled transfer fails after this; 0 = default */
	int max_attempts;         /* S3: tries per request, 0 = default */
	int list_page_keys;       /* S3: keys per ListObjectsV2 page (max-keys), 0 = 1000 */
	size_t read_part_bytes;   /* S3: larger reads are split into parts of this size, fetched
				     in parallel; 0 = 8 MiB */
	int read_parallel;        /* S3: parts of one read in flight at once, 0 = 8 */
} lfs_store_opts;

/* Wraps a backend.  The store owns impl and calls ops->close on it. */
lfs_store *lfs_store_new(const lfs_store_ops *ops, void *impl, const char *description);

/* Opens "file:///path", "/path", "relative/path" or "s3://bucket/prefix". */
int lfs_store_open(const char *uri, const lfs_store_opts *opts, lfs_store **out, lfs_err *err);
/* The local backend rooted at a directory. */
int lfs_store_open_local(const char *dir, lfs_store **out, lfs_err *err);
/* The S3 backend (store/s3.c). */
int lfs_store_open_s3(const char *uri, const lfs_store_opts *opts, lfs_store **out, lfs_err *err);

int lfs_store_read(lfs_store *s, const char *key, uint64_t off, void *buf, size_t len,
		   size_t *got, lfs_err *err);
/* Reads exactly len bytes or fails with -EIO ("object ends early"). */
int lfs_store_read_exact(lfs_store *s, const char *key, uint64_t off, void *buf, size_t len,
			 lfs_err *err);
/* Reads a whole object into a fresh buffer (caller frees). */
int lfs_store_read_all(lfs_store *s, const char *key, uint8_t **out, size_t *len, lfs_err *err);
int lfs_store_stat(lfs_store *s, const char *key, lfs_object_info *out, lfs_err *err);
int lfs_store_list(lfs_store *s, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err);
void lfs_store_entries_free(lfs_store_entry *entries, size_t n);
const char *lfs_store_description(const lfs_store *s);
void lfs_store_close(lfs_store *s);

/* Joins two key parts with one '/' (either may be ""); caller frees. */
char *lfs_key_join(const char *a, const char *b);

#endif
