/* cache: the block cache, an lfs_store over another lfs_store. See cache.h
 * for what it does and doc/cache.md for why it is built this way.
 *
 * Locking: one mutex per cache (mu) guards the object table, the block
 * table, the LRU list, the byte count and the read-ahead queue.  It is never
 * held across I/O or a large memcpy: a reader pins the blocks it needs under
 * the lock, then fetches and copies without it, then unpins.  A block's bytes
 * never change once it is READY, so pinned READY blocks are read lock-free.
 */
#include "cache/cache.h"
#include "cache/disk.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_RUN LFS_CACHE_MAX_RUN_BLOCKS
#define MAX_JOBS 64

enum blk_state { BLK_FETCHING, BLK_READY, BLK_FAILED };
enum blk_source { SRC_NONE, SRC_DISK, SRC_BACKING };

/* An immutable object seen through the cache: its size and identity are
 * asked once and never change, so they are read without the lock. */
struct obj {
	struct obj *hnext;
	uint64_t hash;
	char *key;
	lfs_object_info info;
	uint64_t nblocks;
	uint8_t ident[LFS_DISK_IDENT_LEN]; /* names its blocks in the disk tier */
	/* sequential-access detection and read-ahead, under mu */
	int seen;
	uint64_t prev_off;   /* furthest read start so far in this streak */
	uint64_t seq_end;    /* furthest read end so far in this streak */
	unsigned streak;     /* consecutive forward reads */
	unsigned ra_window;  /* current read-ahead window, blocks */
	uint64_t ra_next;    /* first block read-ahead has not been asked for */
};

struct blk {
	struct blk *hnext;
	struct blk *prev, *next; /* LRU (READY blocks only); head = most recent */
	struct obj *obj;
	uint64_t index;
	uint8_t *data;
	size_t len;              /* short for the last block of an object */
	unsigned pins;           /* readers and fetchers using it now */
	uint8_t state;           /* enum blk_state, changes under mu */
	uint8_t in_table;
	uint8_t prefetch;        /* claimed by read-ahead */
	uint8_t source;          /* enum blk_source, set by the fetcher */
	int err;                 /* the fetch's error, when FAILED */
	lfs_err *errmsg;
};

struct job {
	struct obj *obj;
	uint64_t first, count;
};

/* A run of adjacent blocks claimed for one fetch. */
struct run {
	unsigned start, count;
	uint64_t staging;        /* bytes reserved for the staging buffer */
};

struct cache {
	lfs_store *backing;
	lfs_store *self;
	struct cache *reg_next;
	size_t bs;
	unsigned shift;
	uint64_t mem_budget;
	unsigned readahead;
	lfs_cache_immutable_fn immutable;
	void *immutable_arg;
	lfs_disk_tier *disk;

	pthread_mutex_t mu;
	pthread_cond_t fetched;    /* some fetch completed */
	struct obj **otab;
	size_t omask, ocount;
	struct blk **btab;
	size_t bmask, bcount;
	struct blk lru;            /* sentinel */
	uint64_t mem_held;         /* every byte allocated or reserved for data */
	uint64_t evictable;        /* bytes of READY blocks nobody has pinned */

	pthread_cond_t job_cv, idle_cv;
	struct job jobs[MAX_JOBS];
	unsigned jhead, jcount, busy;
	int stopping;
	pthread_t *threads;
	unsigned nthreads;

	lfs_cache_stats st;        /* updated with atomics */
};

#define ST_ADD(c, f, n) __atomic_add_fetch(&(c)->st.f, (uint64_t)(n), __ATOMIC_RELAXED)
#define ST_SUB(c, f, n) __atomic_sub_fetch(&(c)->st.f, (uint64_t)(n), __ATOMIC_RELAXED)
#define ST_GET(c, f) __atomic_load_n(&(c)->st.f, __ATOMIC_RELAXED)

/* ---- the registry: which lfs_store is which cache (for get_stats) ---- */

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cache *registry;

static void registry_add(struct cache *c)
{
	pthread_mutex_lock(&registry_mu);
	c->reg_next = registry;
	registry = c;
	pthread_mutex_unlock(&registry_mu);
}

static void registry_remove(struct cache *c)
{
	pthread_mutex_lock(&registry_mu);
	for (struct cache **pp = &registry; *pp; pp = &(*pp)->reg_next) {
		if (*pp == c) {
			*pp = c->reg_next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_mu);
}

static struct cache *registry_find(lfs_store *s)
{
	struct cache *c;
	pthread_mutex_lock(&registry_mu);
	for (c = registry; c && c->self != s; c = c->reg_next)
		;
	pthread_mutex_unlock(&registry_mu);
	return c;
}

/* ---- hash tables ---- */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

static uint64_t blk_hash(const struct obj *o, uint64_t index)
{
	uint64_t h = (uint64_t)(uintptr_t)o ^ (index * 0x9E3779B97F4A7C15ull);
	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ (h >> 32);
}

static struct obj *obj_find(struct cache *c, const char *key, uint64_t h)
{
	struct obj *o = c->otab[h & c->omask];
	while (o && !(o->hash == h && strcmp(o->key, key) == 0))
		o = o->hnext;
	return o;
}

static void obj_insert(struct cache *c, struct obj *o)
{
	if (c->ocount >= c->omask + 1) {
		size_t nsize = (c->omask + 1) * 2;
		struct obj **ntab = calloc(nsize, sizeof(*ntab));
		if (ntab) {
			for (size_t i = 0; i <= c->omask; i++) {
				struct obj *p = c->otab[i], *next;
				for (; p; p = next) {
					next = p->hnext;
					p->hnext = ntab[p->hash & (nsize - 1)];
					ntab[p->hash & (nsize - 1)] = p;
				}
			}
			free(c->otab);
			c->otab = ntab;
			c->omask = nsize - 1;
		}
	}
	o->hnext = c->otab[o->hash & c->omask];
	c->otab[o->hash & c->omask] = o;
	c->ocount++;
}

static struct blk *blk_find(struct cache *c, const struct obj *o, uint64_t index)
{
	struct blk *b = c->btab[blk_hash(o, index) & c->bmask];
	while (b && !(b->obj == o && b->index == index))
		b = b->hnext;
	return b;
}

static void blk_insert(struct cache *c, struct blk *b)
{
	size_t i;
	if (c->bcount >= c->bmask + 1) {
		size_t nsize = (c->bmask + 1) * 2;
		struct blk **ntab = calloc(nsize, sizeof(*ntab));
		if (ntab) {
			for (i = 0; i <= c->bmask; i++) {
				struct blk *p = c->btab[i], *next;
				for (; p; p = next) {
					size_t k = blk_hash(p->obj, p->index) & (nsize - 1);
					next = p->hnext;
					p->hnext = ntab[k];
					ntab[k] = p;
				}
			}
			free(c->btab);
			c->btab = ntab;
			c->bmask = nsize - 1;
		}
	}
	i = blk_hash(b->obj, b->index) & c->bmask;
	b->hnext = c->btab[i];
	c->btab[i] = b;
	c->bcount++;
	b->in_table = 1;
}

static void blk_remove(struct cache *c, struct blk *b)
{
	struct blk **pp = &c->btab[blk_hash(b->obj, b->index) & c->bmask];
	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
	c->bcount--;
	b->in_table = 0;
}

/* ---- LRU and the byte budget (all under mu) ---- */

static void lru_unlink(struct blk *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void lru_push_head(struct cache *c, struct blk *b)
{
	b->next = c->lru.next;
	b->prev = &c->lru;
	c->lru.next->prev = b;
	c->lru.next = b;
}

static void lru_touch(struct cache *c, struct blk *b)
{
	if (c->lru.next != b) {
		lru_unlink(b);
		lru_push_head(c, b);
	}
}

static void mem_release(struct cache *c, uint64_t bytes)
{
	c->mem_held -= bytes;
	ST_SUB(c, bytes_mem, bytes);
	lfs_stat_sub(cache_bytes_mem, bytes);
}

static void blk_free(struct blk *b)
{
	free(b->data);
	free(b->errmsg);
	free(b);
}

static void blk_pin(struct cache *c, struct blk *b)
{
	if (b->pins++ == 0 && b->state == BLK_READY)
		c->evictable -= b->len;
}

static void blk_unpin(struct cache *c, struct blk *b)
{
	if (--b->pins > 0)
		return;
	if (!b->in_table)
		blk_free(b);
	else if (b->state == BLK_READY)
		c->evictable += b->len;
}

/* Drops the least recently used unpinned block; 0 if there is none. */
static int evict_one(struct cache *c)
{
	struct blk *b;
	for (b = c->lru.prev; b != &c->lru; b = b->prev)
		if (b->pins == 0)
			break;
	if (b == &c->lru)
		return 0;
	lru_unlink(b);
	blk_remove(c, b);
	c->evictable -= b->len;
	mem_release(c, b->len);
	ST_ADD(c, evictions_mem, 1);
	lfs_stat_add(cache_evictions, 1);
	blk_free(b);
	return 1;
}

/* Makes room for bytes more under the budget, evicting as needed; 0 when
 * even an empty LRU would not make room (everything is pinned). */
static int mem_reserve(struct cache *c, uint64_t bytes)
{
	/* Never evict in vain: fail at once if even evicting every unpinned
	 * block would not make room. */
	if (bytes > c->mem_budget || c->mem_held - c->evictable > c->mem_budget - bytes)
		return 0;
	while (c->mem_held + bytes > c->mem_budget)
		if (!evict_one(c))
			return 0;
	c->mem_held += bytes;
	if (c->mem_held > c->st.bytes_mem_peak)
		__atomic_store_n(&c->st.bytes_mem_peak, c->mem_held, __ATOMIC_RELAXED);
	ST_ADD(c, bytes_mem, bytes);
	lfs_stat_add(cache_bytes_mem, bytes);
	return 1;
}

/* ---- blocks of an object ---- */

static size_t blk_len(const struct cache *c, const struct obj *o, uint64_t index)
{
	uint64_t start = index << c->shift, left = o->info.size - start;
	return left < c->bs ? (size_t)left : c->bs;
}

static uint64_t run_bytes(const struct cache *c, const struct obj *o, uint64_t first, uint64_t n)
{
	uint64_t start = first << c->shift, end = (first + n) << c->shift;
	if (end > o->info.size)
		end = o->info.size;
	return end - start;
}

/* Claims, under mu, every block of [first, first+n) that slot[] has no block
 * for: reserves memory, enters FETCHING blocks (pinned once, for the caller)
 * and describes them as runs of adjacent blocks.  Blocks that get no memory
 * stay NULL.  For read-ahead, claiming stops at the first block without
 * memory (*starved is set). */
static unsigned claim_missing(struct cache *c, struct obj *o, uint64_t first, unsigned n,
			      struct blk **slot, uint8_t *mine, struct run *runs, int prefetch,
			      int *starved)
{
	unsigned nruns = 0, i = 0;

	while (i < n) {
		unsigned j = i, k;
		if (slot[i]) {
			i++;
			continue;
		}
		while (j < n && !slot[j])
			j++;
		for (k = i; k < j;) {
			unsigned m = j - k, t;
			uint64_t bytes = 0, staging = 0;
			for (; m > 0; m--) {
				bytes = run_bytes(c, o, first + k, m);
				staging = m > 1 ? bytes : 0;
				if (mem_reserve(c, bytes + staging))
					break;
			}
			if (m == 0) {
				if (prefetch) {
					*starved = 1;
					return nruns;
				}
				k++; /* this block will be read around the cache */
				continue;
			}
			for (t = 0; t < m; t++) {
				struct blk *b = calloc(1, sizeof(*b));
				if (!b)
					break;
				b->obj = o;
				b->index = first + k + t;
				b->len = blk_len(c, o, b->index);
				b->pins = 1;
				b->state = BLK_FETCHING;
				b->prefetch = (uint8_t)prefetch;
				blk_insert(c, b);
				slot[k + t] = b;
				mine[k + t] = 1;
			}
			if (t < m) { /* out of memory for bookkeeping: give back the rest */
				uint64_t used = run_bytes(c, o, first + k, t);
				mem_release(c, bytes + staging - used - (t > 1 ? used : 0));
				staging = t > 1 ? used : 0;
				if (t == 0) {
					if (prefetch) {
						*starved = 1;
						return nruns;
					}
					k++;
					continue;
				}
			}
			runs[nruns].start = k;
			runs[nruns].count = t;
			runs[nruns].staging = staging;
			nruns++;
			k += t;
		}
		i = j;
	}
	return nruns;
}

/* One request to the backing store; a short answer for bytes the object's
 * remembered size promises is an error (the object changed under us). */
static int backing_read(struct cache *c, const struct obj *o, uint64_t off, void *buf, size_t len,
			lfs_err *err)
{
	size_t got = 0;
	int rc = lfs_store_read(c->backing, o->key, off, buf, len, &got, err);
	ST_ADD(c, backing_reads, 1);
	ST_ADD(c, backing_bytes, got);
	if (rc == 0 && got != len)
		rc = lfs_fail(err, -EIO,
			      "%s: object ends at %llu, but it was %llu bytes when first seen"
			      " (changed while mounted?)",
			      o->key, (unsigned long long)(off + got), (unsigned long long)o->info.size);
	return rc;
}

static void fail_blocks(struct blk **blks, unsigned n, int rc, lfs_err *e)
{
	if (!e->msg[0]) /* a backend that gave no reason */
		lfs_fail(e, rc, "%s: block %llu: %s", blks[0]->obj->key,
			 (unsigned long long)blks[0]->index, strerror(rc < 0 ? -rc : rc));
	for (unsigned k = 0; k < n; k++) {
		blks[k]->err = rc;
		blks[k]->errmsg = malloc(sizeof(lfs_err));
		if (blks[k]->errmsg)
			*blks[k]->errmsg = *e;
	}
}

/* Reads blocks blks[0..n) (adjacent, all still without bytes) from the
 * backing store in one request. */
static void fetch_from_backing(struct cache *c, struct obj *o, struct blk **blks, unsigned n)
{
	uint64_t off = blks[0]->index << c->shift;
	size_t total = 0;
	uint8_t *staging;
	lfs_err e;
	int rc;

	e.msg[0] = 0;
	for (unsigned k = 0; k < n; k++)
		total += blks[k]->len;
	if (n == 1) {
		rc = backing_read(c, o, off, blks[0]->data, total, &e);
		if (rc)
			fail_blocks(blks, 1, rc, &e);
		else
			blks[0]->source = SRC_BACKING;
		return;
	}
	staging = malloc(total);
	if (!staging) { /* fall back to one request per block */
		for (unsigned k = 0; k < n; k++)
			fetch_from_backing(c, o, blks + k, 1);
		return;
	}
	rc = backing_read(c, o, off, staging, total, &e);
	if (rc) {
		fail_blocks(blks, n, rc, &e);
	} else {
		size_t pos = 0;
		for (unsigned k = 0; k < n; k++) {
			memcpy(blks[k]->data, staging + pos, blks[k]->len);
			pos += blks[k]->len;
			blks[k]->source = SRC_BACKING;
		}
	}
	free(staging);
}

/* Fills the claimed blocks of one run (without mu): from the disk tier
 * where it has them, the rest from the backing store, adjacent blocks in
 * one request. */
static void fetch_run(struct cache *c, struct obj *o, struct blk **blks, unsigned n)
{
	unsigned k, p;
	for (k = 0; k < n; k++) {
		struct blk *b = blks[k];
		b->data = malloc(b->len ? b->len : 1);
		if (!b->data) {
			lfs_err e = { { 0 } };
			fail_blocks(&blks[k], 1, lfs_fail(&e, -ENOMEM, "%s: out of memory for block %llu",
							  o->key, (unsigned long long)b->index), &e);
			continue;
		}
		if (c->disk && lfs_disk_get(c->disk, o->ident, b->index, b->data, b->len) == 0)
			b->source = SRC_DISK;
	}
	for (k = 0; k < n;) {
		if (blks[k]->source != SRC_NONE || blks[k]->err) {
			k++;
			continue;
		}
		for (p = k; p < n && blks[p]->source == SRC_NONE && !blks[p]->err; p++)
			;
		fetch_from_backing(c, o, blks + k, p - k);
		k = p;
	}
}

/* Publishes the outcome of a run (takes mu): READY blocks join the LRU,
 * failed ones leave the table so the next reader fetches again. */
static void complete_run(struct cache *c, struct blk **blks, unsigned n, uint64_t staging)
{
	pthread_mutex_lock(&c->mu);
	for (unsigned k = 0; k < n; k++) {
		struct blk *b = blks[k];
		if (b->err == 0) {
			b->state = BLK_READY;
			lru_push_head(c, b);
			if (b->source == SRC_DISK) {
				ST_ADD(c, hits_disk, 1);
				lfs_stat_add(cache_hits, 1);
			} else {
				ST_ADD(c, misses, 1);
				lfs_stat_add(cache_misses, 1);
			}
			if (b->prefetch)
				ST_ADD(c, readahead_blocks, 1);
		} else {
			b->state = BLK_FAILED;
			blk_remove(c, b);
			mem_release(c, b->len);
			free(b->data);
			b->data = NULL;
			ST_ADD(c, fetch_errors, 1);
		}
	}
	if (staging)
		mem_release(c, staging);
	pthread_cond_broadcast(&c->fetched);
	pthread_mutex_unlock(&c->mu);
}

static void fetch_runs(struct cache *c, struct obj *o, struct blk **slot, const struct run *runs,
		       unsigned nruns)
{
	for (unsigned r = 0; r < nruns; r++) {
		fetch_run(c, o, slot + runs[r].start, runs[r].count);
		complete_run(c, slot + runs[r].start, runs[r].count, runs[r].staging);
	}
}

/* Writes the blocks this thread fetched from the store to the disk tier,
 * then lets go of every pinned block. */
static void finish_window(struct cache *c, struct blk **slot, const uint8_t *mine, unsigned n)
{
	unsigned k;
	if (c->disk) {
		for (k = 0; k < n; k++) {
			struct blk *b = slot[k];
			/* READY is final: reading state without mu is safe here
			 * because this thread itself published it. */
			if (b && mine[k] && b->err == 0 && b->source == SRC_BACKING)
				lfs_disk_put(c->disk, b->obj->ident, b->index, b->data, b->len);
		}
	}
	pthread_mutex_lock(&c->mu);
	for (k = 0; k < n; k++) {
		if (slot[k])
			blk_unpin(c, slot[k]);
		slot[k] = NULL;
	}
	pthread_mutex_unlock(&c->mu);
}

/* ---- the read path ---- */

static int copy_error(const struct blk *b, const struct obj *o, lfs_err *err)
{
	if (err) {
		if (b->errmsg)
			*err = *b->errmsg;
		else
			lfs_fail(err, b->err, "%s: block %llu could not be fetched", o->key,
				 (unsigned long long)b->index);
	}
	return b->err;
}

/* Serves [roff, rend) ∩ blocks [first, first+n) into buf (which holds
 * [roff, rend)). */
static int read_window(struct cache *c, struct obj *o, uint64_t first, unsigned n, uint64_t roff,
		       uint64_t rend, uint8_t *buf, lfs_err *err)
{
	struct blk *slot[MAX_RUN];
	uint8_t mine[MAX_RUN], ready[MAX_RUN];
	struct run runs[MAX_RUN];
	unsigned nruns, k, hits = 0;
	int retries = 1, rc;

again:
	rc = 0;
	pthread_mutex_lock(&c->mu);
	for (k = 0; k < n; k++) {
		struct blk *b = blk_find(c, o, first + k);
		slot[k] = b;
		mine[k] = 0;
		ready[k] = 0;
		if (b) {
			blk_pin(c, b);
			if (b->state == BLK_READY) {
				lru_touch(c, b);
				ready[k] = 1;
				hits++;
			}
		}
	}
	nruns = claim_missing(c, o, first, n, slot, mine, runs, 0, NULL);
	pthread_mutex_unlock(&c->mu);
	if (hits) {
		ST_ADD(c, hits_mem, hits);
		lfs_stat_add(cache_hits, hits);
		hits = 0;
	}

	fetch_runs(c, o, slot, runs, nruns);

	for (k = 0; k < n && rc == 0; k++) {
		struct blk *b = slot[k];
		uint64_t bstart = (first + k) << c->shift;
		uint64_t s = bstart > roff ? bstart : roff;
		uint64_t e = bstart + c->bs < rend ? bstart + c->bs : rend;

		if (!b) { /* no memory for it: read around the cache */
			ST_ADD(c, bypass_reads, 1);
			rc = backing_read(c, o, s, buf + (s - roff), e - s, err);
			continue;
		}
		if (!ready[k]) {
			int state;
			pthread_mutex_lock(&c->mu);
			if (b->state == BLK_FETCHING) {
				ST_ADD(c, waiting, 1);
				while (b->state == BLK_FETCHING)
					pthread_cond_wait(&c->fetched, &c->mu);
				ST_SUB(c, waiting, 1);
			}
			state = b->state;
			pthread_mutex_unlock(&c->mu);
			if (state == BLK_FAILED) {
				if (!mine[k] && b->prefetch && retries-- > 0) {
					/* Read-ahead's failure is not this reader's:
					 * try once more with a fetch of its own. */
					finish_window(c, slot, mine, n);
					hits = 0;
					goto again;
				}
				rc = copy_error(b, o, err);
				continue;
			}
			if (!mine[k])
				hits++;
		}
		memcpy(buf + (s - roff), b->data + (s - bstart), e - s);
	}
	if (hits) {
		ST_ADD(c, hits_mem, hits);
		lfs_stat_add(cache_hits, hits);
	}
	finish_window(c, slot, mine, n);
	return rc;
}

static int read_blocks(struct cache *c, struct obj *o, uint64_t off, uint64_t len, uint8_t *buf,
		       lfs_err *err)
{
	uint64_t end = off + len, pos = off;
	while (pos < end) {
		uint64_t first = pos >> c->shift, last = (end - 1) >> c->shift;
		unsigned n = last - first + 1 > MAX_RUN ? MAX_RUN : (unsigned)(last - first + 1);
		uint64_t wend = (first + n) << c->shift;
		int rc;
		if (wend > end)
			wend = end;
		rc = read_window(c, o, first, n, pos, wend, buf + (pos - off), err);
		if (rc)
			return rc;
		pos = wend;
	}
	return 0;
}

/* ---- read-ahead ---- */

/* Decides, under mu, whether this read continues a sequential pass over the
 * object (a third forward read in a row) and, when the blocks already asked
 * for run less than half a window ahead of the reader, asks for one more
 * window beyond them.  The window starts at 2 blocks and doubles up to
 * c->readahead, so a reader has at most 1.5 windows fetched ahead of it. */
static int plan_readahead(struct cache *c, struct obj *o, uint64_t off, uint64_t len, struct job *job)
{
	uint64_t end = off + len, next, target, lead;
	int forward = o->seen && off > o->prev_off && off <= o->seq_end + c->bs;
	int nearby = o->seen && off + 2 * c->bs >= o->seq_end && off <= o->seq_end + c->bs;

	if (!forward && !nearby) { /* a jump: start over */
		o->seen = 1;
		o->prev_off = off;
		o->seq_end = end;
		o->streak = 0;
		o->ra_window = 0;
		o->ra_next = 0;
		return 0;
	}
	if (end > o->seq_end)
		o->seq_end = end;
	if (!forward)
		return 0; /* a little back (reordered or repeated): no evidence */
	o->prev_off = off;
	if (++o->streak < 2)
		return 0;
	next = ((end - 1) >> c->shift) + 1;
	if (next >= o->nblocks)
		return 0;
	if (o->ra_next < next)
		o->ra_next = next;
	lead = o->ra_next - next;
	if (o->ra_window == 0)
		o->ra_window = c->readahead < 2 ? c->readahead : 2;
	else if (lead > o->ra_window / 2)
		return 0;
	else
		o->ra_window = o->ra_window * 2 < c->readahead ? o->ra_window * 2 : c->readahead;
	target = o->ra_next + o->ra_window;
	if (target > o->nblocks)
		target = o->nblocks;
	if (target <= o->ra_next)
		return 0;
	job->obj = o;
	job->first = o->ra_next;
	job->count = target - o->ra_next;
	o->ra_next = target;
	return 1;
}

static void enqueue_job(struct cache *c, const struct job *job)
{
	if (c->stopping || c->jcount == MAX_JOBS) {
		job->obj->ra_next = job->first; /* dropped: let a later read ask again */
		return;
	}
	c->jobs[(c->jhead + c->jcount) % MAX_JOBS] = *job;
	c->jcount++;
	pthread_cond_signal(&c->job_cv);
}

static void prefetch(struct cache *c, const struct job *job)
{
	uint64_t idx = job->first, end = job->first + job->count;
	struct obj *o = job->obj;

	while (idx < end) {
		struct blk *slot[MAX_RUN];
		uint8_t mine[MAX_RUN];
		struct run runs[MAX_RUN];
		unsigned n = end - idx > MAX_RUN ? MAX_RUN : (unsigned)(end - idx), nruns, k;
		int starved = 0;

		pthread_mutex_lock(&c->mu);
		if (c->stopping) {
			pthread_mutex_unlock(&c->mu);
			return;
		}
		for (k = 0; k < n; k++) {
			slot[k] = blk_find(c, o, idx + k);
			mine[k] = 0;
			if (slot[k])
				blk_pin(c, slot[k]);
		}
		nruns = claim_missing(c, o, idx, n, slot, mine, runs, 1, &starved);
		pthread_mutex_unlock(&c->mu);

		fetch_runs(c, o, slot, runs, nruns);
		for (k = 0; k < n; k++)
			if (slot[k] && mine[k] && slot[k]->err)
				lfs_debug("cache: read-ahead of %s block %llu failed: %s", o->key,
					  (unsigned long long)slot[k]->index,
					  slot[k]->errmsg ? slot[k]->errmsg->msg : "");
		finish_window(c, slot, mine, n);
		if (starved)
			return; /* no memory to spare: read-ahead is optional */
		idx += n;
	}
}

static void *worker_main(void *arg)
{
	struct cache *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct job job;
		while (!c->stopping && c->jcount == 0)
			pthread_cond_wait(&c->job_cv, &c->mu);
		if (c->stopping)
			break;
		job = c->jobs[c->jhead];
		c->jhead = (c->jhead + 1) % MAX_JOBS;
		c->jcount--;
		c->busy++;
		pthread_mutex_unlock(&c->mu);
		prefetch(c, &job);
		pthread_mutex_lock(&c->mu);
		c->busy--;
		if (c->jcount == 0 && c->busy == 0)
			pthread_cond_broadcast(&c->idle_cv);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* ---- objects ---- */

/* The identity names an object version in the disk tier: a different store,
 * key, size, mtime, ETag or block size gives different block files. */
static int compute_ident(struct cache *c, struct obj *o)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	lfs_buf b;
	int rc;

	lfs_buf_init(&b);
	rc = lfs_buf_printf(&b, "lancefs-cache-1\n%s\n%s\n%" PRIu64 "\n%" PRId64 "\n%s\n%zu",
			    lfs_store_description(c->backing), o->key, o->info.size,
			    o->info.mtime_ns, o->info.etag, c->bs);
	if (rc == 0 && !EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL))
		rc = -EIO;
	lfs_buf_free(&b);
	if (rc)
		return rc;
	memcpy(o->ident, md, LFS_DISK_IDENT_LEN);
	return 0;
}

/* Stats an immutable object once and remembers it. */
static int obj_create(struct cache *c, const char *key, uint64_t h, struct obj **out, lfs_err *err)
{
	lfs_object_info info;
	struct obj *o, *other;
	int rc = lfs_store_stat(c->backing, key, &info, err);
	if (rc)
		return rc;
	/* Keeps every block offset computation far from overflow. */
	if (info.size > (1ull << 62))
		return lfs_fail(err, -EFBIG, "%s: object size %llu is not plausible", key,
				(unsigned long long)info.size);
	o = calloc(1, sizeof(*o));
	if (!o || !(o->key = strdup(key))) {
		free(o);
		return lfs_fail(err, -ENOMEM, "%s: out of memory", key);
	}
	o->hash = h;
	o->info = info;
	o->info.etag[sizeof(o->info.etag) - 1] = 0;
	o->nblocks = (info.size >> c->shift) + ((info.size & (c->bs - 1)) != 0);
	if (compute_ident(c, o) < 0) {
		free(o->key);
		free(o);
		return lfs_fail(err, -EIO, "%s: cannot compute the object's cache identity", key);
	}
	pthread_mutex_lock(&c->mu);
	other = obj_find(c, key, h);
	if (!other)
		obj_insert(c, o);
	pthread_mutex_unlock(&c->mu);
	if (other) { /* another thread stat'ed it first: use its answer */
		free(o->key);
		free(o);
		o = other;
	}
	*out = o;
	return 0;
}

/* ---- the lfs_store operations ---- */

static int cache_read(void *impl, const char *key, uint64_t off, void *buf, size_t len,
		      size_t *got, lfs_err *err)
{
	struct cache *c = impl;
	uint64_t h = str_hash(key);
	struct obj *o;
	struct job job;
	int rc;

	*got = 0;
	for (;;) {
		/* The warm path: one lock for the lookup and read-ahead. */
		pthread_mutex_lock(&c->mu);
		o = obj_find(c, key, h);
		if (o && off < o->info.size && len) {
			if (len > o->info.size - off)
				len = (size_t)(o->info.size - off);
			if (c->nthreads && !lfs_io_exact() && plan_readahead(c, o, off, len, &job))
				enqueue_job(c, &job);
		}
		pthread_mutex_unlock(&c->mu);
		if (o)
			break;
		if (!c->immutable(key, c->immutable_arg)) {
			ST_ADD(c, bypass_reads, 1);
			ST_ADD(c, backing_reads, 1);
			return lfs_store_read(c->backing, key, off, buf, len, got, err);
		}
		rc = obj_create(c, key, h, &o, err);
		if (rc)
			return rc;
	}
	if (off >= o->info.size || len == 0)
		return 0;
	rc = read_blocks(c, o, off, len, buf, err);
	if (rc == 0)
		*got = len;
	return rc;
}

static int cache_stat(void *impl, const char *key, lfs_object_info *out, lfs_err *err)
{
	struct cache *c = impl;
	uint64_t h = str_hash(key);
	struct obj *o;
	int rc;

	pthread_mutex_lock(&c->mu);
	o = obj_find(c, key, h);
	pthread_mutex_unlock(&c->mu);
	if (!o) {
		if (!c->immutable(key, c->immutable_arg))
			return lfs_store_stat(c->backing, key, out, err);
		rc = obj_create(c, key, h, &o, err);
		if (rc)
			return rc;
	}
	*out = o->info;
	return 0;
}

static int cache_list(void *impl, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err)
{
	struct cache *c = impl;
	return lfs_store_list(c->backing, dir, out, n, err);
}

static void stop_workers(struct cache *c)
{
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	pthread_cond_broadcast(&c->job_cv);
	pthread_mutex_unlock(&c->mu);
	for (unsigned i = 0; i < c->nthreads; i++)
		pthread_join(c->threads[i], NULL);
	c->nthreads = 0;
}

/* Frees everything but the backing store. */
static void cache_destroy(struct cache *c)
{
	stop_workers(c);
	free(c->threads);
	if (c->btab) {
		for (size_t i = 0; i <= c->bmask; i++) {
			struct blk *b = c->btab[i], *next;
			for (; b; b = next) {
				next = b->hnext;
				mem_release(c, b->len);
				blk_free(b);
			}
		}
	}
	if (c->otab) {
		for (size_t i = 0; i <= c->omask; i++) {
			struct obj *o = c->otab[i], *next;
			for (; o; o = next) {
				next = o->hnext;
				free(o->key);
				free(o);
			}
		}
	}
	free(c->btab);
	free(c->otab);
	lfs_disk_close(c->disk);
	pthread_cond_destroy(&c->fetched);
	pthread_cond_destroy(&c->job_cv);
	pthread_cond_destroy(&c->idle_cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static void cache_close(void *impl)
{
	struct cache *c = impl;
	lfs_store *backing = c->backing;
	registry_remove(c);
	cache_destroy(c);
	lfs_store_close(backing);
}

static const lfs_store_ops cache_ops = {
	.read = cache_read,
	.stat = cache_stat,
	.list = cache_list,
	.close = cache_close,
};

/* ---- public functions ---- */

void lfs_cache_opts_init(lfs_cache_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->block_size = LFS_CACHE_DEFAULT_BLOCK_SIZE;
	opts->mem_budget = LFS_CACHE_DEFAULT_MEM_BUDGET;
	opts->disk_budget = LFS_CACHE_DEFAULT_DISK_BUDGET;
	opts->readahead = LFS_CACHE_DEFAULT_READAHEAD;
	opts->workers = LFS_CACHE_DEFAULT_WORKERS;
}

int lfs_cache_new(lfs_store *backing, const lfs_cache_opts *user_opts, lfs_store **out, lfs_err *err)
{
	lfs_cache_opts opts;
	struct cache *c;
	char *desc;
	int rc;

	*out = NULL;
	if (user_opts)
		opts = *user_opts;
	else
		lfs_cache_opts_init(&opts);
	if (!opts.block_size)
		opts.block_size = LFS_CACHE_DEFAULT_BLOCK_SIZE;
	if (!opts.mem_budget)
		opts.mem_budget = LFS_CACHE_DEFAULT_MEM_BUDGET;
	if (!opts.disk_budget)
		opts.disk_budget = LFS_CACHE_DEFAULT_DISK_BUDGET;
	if (!opts.workers)
		opts.workers = LFS_CACHE_DEFAULT_WORKERS;
	if (opts.block_size < LFS_CACHE_MIN_BLOCK_SIZE || opts.block_size > LFS_CACHE_MAX_BLOCK_SIZE ||
	    (opts.block_size & (opts.block_size - 1)))
		return lfs_fail(err, -EINVAL,
				"block size %zu: must be a power of two from 4 KiB to 64 MiB",
				opts.block_size);
	if (opts.workers > 64)
		return lfs_fail(err, -EINVAL, "%u read-ahead workers: at most 64", opts.workers);

	c = calloc(1, sizeof(*c));
	if (!c)
		return lfs_fail(err, -ENOMEM, "out of memory");
	c->backing = backing;
	c->bs = opts.block_size;
	c->shift = (unsigned)__builtin_ctzll(opts.block_size);
	c->mem_budget = opts.mem_budget;
	/* A sequential reader has up to 1.5 windows prefetched ahead of it;
	 * keep that well inside the budget so read-ahead does not crowd out
	 * the blocks readers are using. */
	c->readahead = opts.readahead;
	if ((uint64_t)c->readahead > opts.mem_budget / 3 / opts.block_size)
		c->readahead = (unsigned)(opts.mem_budget / 3 / opts.block_size);
	c->immutable = opts.immutable ? opts.immutable : lfs_cache_lance_immutable;
	c->immutable_arg = opts.immutable_arg;
	c->lru.next = c->lru.prev = &c->lru;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->fetched, NULL);
	pthread_cond_init(&c->job_cv, NULL);
	pthread_cond_init(&c->idle_cv, NULL);
	c->omask = 255;
	c->bmask = 1023;
	c->otab = calloc(c->omask + 1, sizeof(*c->otab));
	c->btab = calloc(c->bmask + 1, sizeof(*c->btab));
	if (!c->otab || !c->btab) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if (opts.disk_dir) {
		rc = lfs_disk_open(opts.disk_dir, opts.disk_budget, &c->disk, err);
		if (rc)
			goto fail;
	}
	if (c->readahead) {
		c->threads = calloc(opts.workers, sizeof(*c->threads));
		if (!c->threads) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto fail;
		}
		for (unsigned i = 0; i < opts.workers; i++) {
			rc = pthread_create(&c->threads[i], NULL, worker_main, c);
			if (rc) {
				rc = lfs_fail(err, -rc, "cannot start read-ahead threads: %s", strerror(rc));
				goto fail;
			}
			c->nthreads++;
		}
	}
	desc = lfs_strdup_printf("cache(%s)", lfs_store_description(backing));
	c->self = lfs_store_new(&cache_ops, c, desc ? desc : "cache");
	free(desc);
	if (!c->self) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	registry_add(c);
	*out = c->self;
	return 0;
fail:
	cache_destroy(c);
	return rc;
}

/* The directories of a Lance dataset whose files never change. */
static int is_immutable_dir(const char *name, size_t n)
{
	static const char *const dirs[] = { "data", "_deletions", "_indices", "_transactions" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strlen(dirs[i]) == n && memcmp(dirs[i], name, n) == 0)
			return 1;
	return 0;
}

int lfs_cache_lance_immutable(const char *key, void *arg)
{
	/* The nearest special directory decides: "tree/data/_versions/x"
	 * (a branch called "data") is governed by _versions, not data. */
	enum { NONE, IMMUTABLE, VERSIONS, OTHER } verdict = NONE;
	const char *p = key, *name;
	size_t versions_depth = 0, depth = 0;

	(void)arg;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n;
		if (!slash)
			break;
		n = (size_t)(slash - p);
		depth++;
		if (is_immutable_dir(p, n)) {
			verdict = IMMUTABLE;
		} else if (n == 9 && memcmp(p, "_versions", 9) == 0) {
			verdict = VERSIONS;
			versions_depth = depth;
		} else if (n == 5 && memcmp(p, "_refs", 5) == 0) {
			verdict = OTHER;
		}
		p = slash + 1;
	}
	name = p;
	if (*name == 0)
		return 0;
	if (verdict == IMMUTABLE)
		return 1;
	if (verdict == VERSIONS && versions_depth == depth) {
		size_t n = strlen(name);
		return name[0] != '.' && n > 9 && strcmp(name + n - 9, ".manifest") == 0;
	}
	return 0;
}

int lfs_cache_parse_size(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case 0:
		break;
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case 't':
		shift = 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end) {
		end++;
		if (strcasecmp(end, "ib") != 0 && strcasecmp(end, "b") != 0 && *end != 0)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int lfs_cache_get_stats(lfs_store *cache, lfs_cache_stats *out)
{
	struct cache *c = registry_find(cache);
	uint64_t *dst = (uint64_t *)out;
	const uint64_t *src;

	memset(out, 0, sizeof(*out));
	if (!c)
		return -EINVAL;
	src = (const uint64_t *)&c->st;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	pthread_mutex_lock(&c->mu);
	out->bytes_busy = c->mem_held - c->evictable;
	pthread_mutex_unlock(&c->mu);
	if (c->disk) {
		lfs_disk_stats ds;
		lfs_disk_get_stats(c->disk, &ds);
		out->bytes_disk = ds.bytes;
		out->evictions_disk = ds.evictions;
		out->disk_corrupt = ds.corrupt;
	}
	return 0;
}

int lfs_cache_drain(lfs_store *cache)
{
	struct cache *c = registry_find(cache);
	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&c->mu);
	while (c->jcount || c->busy)
		pthread_cond_wait(&c->idle_cv, &c->mu);
	pthread_mutex_unlock(&c->mu);
	return 0;
}
