/*
 * cache/disk: the on-disk tier of the block cache (internal to src/cache;
 * everyone else uses cache.h).
 *
 * One file per block, named by the object's identity and the block index,
 * under DIR/blocks/XX/ (XX = first byte of the identity, so no directory
 * grows huge).  A file is a 56-byte header (magic, block index, length,
 * identity, XXH64 of the data, XXH64 of the header) followed by the data.
 * Files are written to DIR/tmp/ and renamed into place, so a reader never
 * sees half a file; a file that fails any check is removed and reported as
 * damaged.  The tier keeps an index of its files in memory (loaded by a scan
 * at open) and drops the least recently used ones to stay under its budget.
 * DIR/lock is flock()ed so that two processes never share a directory.
 */
#ifndef LFS_CACHE_DISK_H
#define LFS_CACHE_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

#define LFS_DISK_IDENT_LEN 16
#define LFS_DISK_HEADER_LEN 56

typedef struct lfs_disk_tier lfs_disk_tier;

int lfs_disk_open(const char *dir, uint64_t budget, lfs_disk_tier **out, lfs_err *err);
void lfs_disk_close(lfs_disk_tier *d);

/* Loads block `index` of the object `ident` (exactly len bytes) into buf.
 * 0 = loaded; -ENOENT = not cached; -EIO = the file was damaged (it has been
 * removed). */
int lfs_disk_get(lfs_disk_tier *d, const uint8_t ident[LFS_DISK_IDENT_LEN], uint64_t index,
		 void *buf, size_t len);
/* Stores a block; failures (a full disk, ...) only cost the caching. */
void lfs_disk_put(lfs_disk_tier *d, const uint8_t ident[LFS_DISK_IDENT_LEN], uint64_t index,
		  const void *buf, size_t len);

typedef struct lfs_disk_stats {
	uint64_t bytes;      /* bytes of block files now */
	uint64_t files;      /* block files now */
	uint64_t evictions;  /* files removed for the budget */
	uint64_t corrupt;    /* files found damaged */
} lfs_disk_stats;
void lfs_disk_get_stats(lfs_disk_tier *d, lfs_disk_stats *out);

/* Path of the file that holds a block (caller frees); for tests. */
char *lfs_disk_block_path(lfs_disk_tier *d, const uint8_t ident[LFS_DISK_IDENT_LEN],
			  uint64_t index);

/* XXH64 (the xxHash 64-bit function, written from its specification). */
uint64_t lfs_xxh64(const void *data, size_t len, uint64_t seed);

#endif
