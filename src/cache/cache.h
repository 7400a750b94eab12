/*
 * cache: the block cache between the object store and everything that reads
 * dataset files.
 *
 * Remote reads are slow and priced per request, and the Lance readers ask for
 * many small ranges of the same few files; the cache turns them into a few
 * large, aligned requests and serves repeats from memory (and, optionally,
 * from a directory on local disk that survives remounts).
 *
 * The cache is itself an lfs_store that wraps another one (local or S3), so
 * the code above it is unchanged: build the backing store, wrap it with
 * lfs_cache_new(), and use the result with the lfs_store_* functions.
 *
 * How it works (doc/cache.md has the long version):
 * - Objects are cut into fixed-size blocks (block_size, a power of two).  The
 *   memory tier keeps blocks in one LRU list under a byte budget; every byte
 *   the cache allocates (cached blocks, blocks being fetched or copied out,
 *   staging buffers of merged requests) counts against that budget.  When no
 *   memory can be had, a read goes straight to the backing store instead.
 * - A block is fetched once however many readers want it: later readers wait
 *   for the first fetch.  A failed fetch is not cached; its waiters get the
 *   error.  Adjacent missing blocks of one read become one backing request.
 * - A sequential reader of an object makes the cache fetch the next blocks in
 *   the background (a few worker threads), with a window that grows up to
 *   `readahead` blocks.  Random readers get no read-ahead.
 * - Only immutable objects are cached.  In a Lance dataset every file under
 *   data/, _deletions/, _indices/, _transactions/ and every
 *   _versions/ *.manifest never changes once written; anything else
 *   (_versions/latest_version_hint.json, _refs/...) is passed straight
 *   through to the backing store on every read and stat.  The size and
 *   identity (ETag, mtime) of an immutable object are asked for once, at
 *   first use, and remembered for the life of the cache.
 * - With disk_dir, blocks are also written to files there (atomically: temp
 *   file + rename), named by the object's identity (store, key, size, mtime,
 *   ETag) so a changed object is never served from an old file, and each file
 *   carries an XXH64 checksum so a damaged file is detected, removed and the
 *   block fetched again.  The directory is kept under disk_budget bytes by
 *   dropping the least recently used files.  One process uses a directory at
 *   a time (it is locked with flock).
 *
 * Listing is never cached.  All functions are thread-safe; closing the cache
 * (lfs_store_close) must not race with reads through it.
 */
#ifndef LFS_CACHE_H
#define LFS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/util.h"

#define LFS_CACHE_DEFAULT_BLOCK_SIZE   (1u << 20)              /* 1 MiB */
#define LFS_CACHE_MIN_BLOCK_SIZE       (4u << 10)              /* 4 KiB */
#define LFS_CACHE_MAX_BLOCK_SIZE       (64u << 20)             /* 64 MiB */
#define LFS_CACHE_DEFAULT_MEM_BUDGET   (512ull << 20)          /* 512 MiB */
#define LFS_CACHE_DEFAULT_DISK_BUDGET  (10ull << 30)           /* 10 GiB */
#define LFS_CACHE_DEFAULT_READAHEAD    8u                      /* blocks */
#define LFS_CACHE_DEFAULT_WORKERS      4u
/* Most blocks one backing request covers (merged misses, read-ahead). */
#define LFS_CACHE_MAX_RUN_BLOCKS       16u

/* Says whether the object at key never changes once written (then it may be
 * cached); arg is the opts' immutable_arg. */
typedef int (*lfs_cache_immutable_fn)(const char *key, void *arg);

typedef struct lfs_cache_opts {
	/* Block size in bytes: a power of two in [4 KiB, 64 MiB]; 0 = 1 MiB. */
	size_t block_size;
	/* Bytes the memory tier may hold (all cache allocations); 0 = 512 MiB. */
	uint64_t mem_budget;
	/* Directory of the disk tier, created if missing (its parent must
	 * exist); NULL = no disk tier. */
	const char *disk_dir;
	/* Bytes the disk tier may hold; 0 = 10 GiB. */
	uint64_t disk_budget;
	/* Largest read-ahead window in blocks; 0 = no read-ahead.
	 * lfs_cache_opts_init sets LFS_CACHE_DEFAULT_READAHEAD. */
	unsigned readahead;
	/* Read-ahead worker threads; 0 = LFS_CACHE_DEFAULT_WORKERS. */
	unsigned workers;
	/* Which keys may be cached; NULL = lfs_cache_lance_immutable. */
	lfs_cache_immutable_fn immutable;
	void *immutable_arg;
} lfs_cache_opts;

/* Fills opts with the defaults above (read-ahead on, no disk tier). */
void lfs_cache_opts_init(lfs_cache_opts *opts);

/* Wraps backing in a cache.  opts may be NULL (defaults).  On success the
 * cache owns backing: lfs_store_close(*out) stops the read-ahead workers,
 * frees every block and closes backing too.  On failure backing is left
 * open and still belongs to the caller. */
int lfs_cache_new(lfs_store *backing, const lfs_cache_opts *opts, lfs_store **out, lfs_err *err);

/* The Lance rule: true for files under a data/, _deletions/, _indices/ or
 * _transactions/ directory and for *.manifest files directly under
 * _versions/ (at any depth, so tables of a LanceDB database and branches
 * under tree/ qualify); false for everything else. */
int lfs_cache_lance_immutable(const char *key, void *arg);

/* Parses a size for --cache-size and friends: a decimal number with an
 * optional suffix k, M, G, T (powers of 1024; "KiB", "MB", "G" all work).
 * Returns 0 or -EINVAL. */
int lfs_cache_parse_size(const char *text, uint64_t *out);

/* Counters of one cache (the process-wide ones are in lfs_stats). */
typedef struct lfs_cache_stats {
	uint64_t hits_mem;         /* blocks served from memory */
	uint64_t hits_disk;        /* blocks loaded from the disk tier */
	uint64_t misses;           /* blocks fetched from the backing store */
	uint64_t backing_reads;    /* read requests sent to the backing store */
	uint64_t backing_bytes;    /* bytes those requests returned */
	uint64_t bypass_reads;     /* reads passed through uncached */
	uint64_t evictions_mem;    /* blocks dropped from memory for the budget */
	uint64_t evictions_disk;   /* block files removed for the disk budget */
	uint64_t readahead_blocks; /* blocks fetched by read-ahead */
	uint64_t disk_corrupt;     /* block files found damaged and removed */
	uint64_t fetch_errors;     /* failed block fetches */
	uint64_t bytes_mem;        /* bytes held in memory now */
	uint64_t bytes_mem_peak;   /* the most bytes ever held in memory */
	uint64_t bytes_disk;       /* bytes of block files now */
	uint64_t waiting;          /* readers waiting for another's fetch now */
	uint64_t bytes_busy;       /* of bytes_mem, those pinned or being fetched */
} lfs_cache_stats;

/* Copies the counters of a store made by lfs_cache_new; -EINVAL for any
 * other store. */
int lfs_cache_get_stats(lfs_store *cache, lfs_cache_stats *out);

/* Waits until no read-ahead is queued or running (tests, benchmarks). */
int lfs_cache_drain(lfs_store *cache);

#endif
