/* Unit tests of the block cache's memory tier: blocks, EOF, merging, one
 * fetch per block, errors, LRU under a budget, read-ahead. TAP output. */
#include "test_cache_util.h"

#include <sys/stat.h>

#include "cache/disk.h"

#define BS 4096u
#define OBJ "data/a.lance"

/* Waits (no deadline but a generous safety net) until cond(arg) holds. */
static int wait_until(int (*cond)(void *), void *arg)
{
	for (int i = 0; i < 200000; i++) {
		if (cond(arg))
			return 1;
		usleep(100);
	}
	return 0;
}

static void test_rules(void)
{
	uint64_t v = 0;
	ok(lfs_cache_lance_immutable("data/abc.lance", NULL), "data/ files are immutable");
	ok(lfs_cache_lance_immutable("t.lance/data/abc.lance", NULL), "data/ of a table in a database");
	ok(lfs_cache_lance_immutable("_versions/18446744073709551614.manifest", NULL),
	   "manifests are immutable");
	ok(lfs_cache_lance_immutable("_deletions/0-1-2.arrow", NULL) &&
	   lfs_cache_lance_immutable("_indices/u/index.idx", NULL) &&
	   lfs_cache_lance_immutable("_transactions/1-x.txn", NULL),
	   "_deletions, _indices, _transactions are immutable");
	ok(!lfs_cache_lance_immutable("_versions/latest_version_hint.json", NULL), "the hint is not");
	ok(!lfs_cache_lance_immutable("_refs/tags/v1.json", NULL) &&
	   !lfs_cache_lance_immutable("_refs/branches/data.json", NULL), "_refs are not");
	ok(!lfs_cache_lance_immutable("tree/data/_versions/latest_version_hint.json", NULL),
	   "a branch called data does not make its hint immutable");
	ok(lfs_cache_lance_immutable("tree/dev/_versions/5.manifest", NULL), "branch manifests are");
	ok(!lfs_cache_lance_immutable("_versions/x/5.manifest", NULL) &&
	   !lfs_cache_lance_immutable("data", NULL) && !lfs_cache_lance_immutable("other.json", NULL) &&
	   !lfs_cache_lance_immutable("data/", NULL), "other keys are not");

	ok(lfs_cache_parse_size("512M", &v) == 0 && v == 512ull << 20, "parse 512M");
	ok(lfs_cache_parse_size("4KiB", &v) == 0 && v == 4096, "parse 4KiB");
	ok(lfs_cache_parse_size("1g", &v) == 0 && v == 1ull << 30, "parse 1g");
	ok(lfs_cache_parse_size("12345", &v) == 0 && v == 12345, "parse plain bytes");
	ok(lfs_cache_parse_size("12X", &v) < 0 && lfs_cache_parse_size("", &v) < 0 &&
	   lfs_cache_parse_size("-1", &v) < 0 && lfs_cache_parse_size("99999999999T", &v) < 0,
	   "bad sizes are refused");

	/* Reference values of the xxHash 64-bit function. */
	ok(lfs_xxh64("", 0, 0) == 0xEF46DB3751D8E999ull, "xxh64 of the empty string");
	ok(lfs_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ull, "xxh64 of abc");
}

static void test_options(void)
{
	lfs_store *backing = lfs_store_new(&(lfs_store_ops){ 0 }, NULL, "none"), *c = NULL;
	lfs_cache_opts opts;
	lfs_err err;
	lfs_cache_stats st;

	lfs_cache_opts_init(&opts);
	opts.block_size = 3000;
	ok(lfs_cache_new(backing, &opts, &c, &err) == -EINVAL && !c, "block size must be a power of two: %s",
	   err.msg);
	opts.block_size = 1024;
	ok(lfs_cache_new(backing, &opts, &c, &err) == -EINVAL, "block size at least 4 KiB");
	ok(lfs_cache_get_stats(backing, &st) == -EINVAL, "stats of a non-cache store are refused");
	lfs_store_close(backing); /* no close op: nothing else to free */
}

static void test_basics(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 1 << 20, 0, NULL, 0);
	lfs_object_info info;
	lfs_cache_stats st;
	uint64_t r0, s0;
	lfs_err err;
	size_t got;
	uint8_t b;

	ms_put(ms, OBJ, 10000, 1, "e1"); /* blocks: 4096, 4096, 1808 */
	r0 = ms_get(ms, &ms->reads);
	s0 = ms_get(ms, &ms->stats);

	ok(read_check(c, OBJ, 10, 100, 1, 100), "single block read");
	ok(ms_get(ms, &ms->reads) == r0 + 1 && ms->log_off[r0] == 0 && ms->log_len[r0] == BS,
	   "one aligned block request");
	ok(read_check(c, OBJ, 10, 100, 1, 100) && read_check(c, OBJ, 0, BS, 1, BS),
	   "read again");
	ok(ms_get(ms, &ms->reads) == r0 + 1, "a second read fetches nothing");
	st = cstats(c);
	ok(st.hits_mem == 2 && st.misses == 1, "one miss, two hits (%llu, %llu)",
	   (unsigned long long)st.misses, (unsigned long long)st.hits_mem);

	ok(read_check(c, OBJ, 4000, 4300, 1, 4300), "spanning read across three blocks");
	ok(ms_get(ms, &ms->reads) == r0 + 2 && ms->log_off[r0 + 1] == BS &&
	   ms->log_len[r0 + 1] == 10000 - BS, "the two missing blocks came in one request");
	ok(read_check(c, OBJ, 9000, 5000, 1, 1000), "a read across EOF is short");
	ok(read_check(c, OBJ, 10000, 10, 1, 0) && read_check(c, OBJ, 99999, 10, 1, 0),
	   "reads at or past EOF return nothing");
	ok(read_check(c, OBJ, 0, 10000, 1, 10000), "the whole object");
	ok(ms_get(ms, &ms->reads) == r0 + 2, "all of it from the cache");
	ok(lfs_store_stat(c, OBJ, &info, &err) == 0 && info.size == 10000 &&
	   strcmp(info.etag, "e1") == 0, "stat through the cache");
	ok(ms_get(ms, &ms->stats) == s0 + 1, "the object was stat'ed once");
	ok(lfs_store_read(c, "data/missing", 0, &b, 1, &got, &err) == -ENOENT,
	   "a missing object is ENOENT: %s", err.msg);
	ok(lfs_store_read(c, OBJ, 0, &b, 0, &got, &err) == 0 && got == 0, "zero-length read");

	{ /* a read larger than one window of blocks */
		ms_put(ms, "data/big", 40 * BS + 5, 2, "");
		r0 = ms_get(ms, &ms->reads);
		ok(read_check(c, "data/big", 0, 40 * BS + 5, 2, 40 * BS + 5), "a 41-block read");
		ok(ms_get(ms, &ms->reads) == r0 + 3, "in %d requests of at most %u blocks",
		   (int)(ms_get(ms, &ms->reads) - r0), LFS_CACHE_MAX_RUN_BLOCKS);
	}
	lfs_store_close(c);
}

static void test_merge(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 1 << 20, 0, NULL, 0);
	uint64_t r0;

	ms_put(ms, "data/m", 16 * BS, 3, "");
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, "data/m", 5 * BS, 4 * BS, 3, 4 * BS), "read blocks 5..8");
	ok(ms_get(ms, &ms->reads) == r0 + 1 && ms->log_off[r0] == 5 * BS && ms->log_len[r0] == 4 * BS,
	   "adjacent misses merged into one 4-block request");
	ok(read_check(c, "data/m", 3 * BS + 7, 8 * BS - 20, 3, 8 * BS - 20), "read blocks 3..10");
	ok(ms_get(ms, &ms->reads) == r0 + 3 && ms->log_off[r0 + 1] == 3 * BS &&
	   ms->log_len[r0 + 1] == 2 * BS && ms->log_off[r0 + 2] == 9 * BS &&
	   ms->log_len[r0 + 2] == 2 * BS, "the two gaps around cached blocks: one request each");
	lfs_store_close(c);
}

struct reader_arg {
	lfs_store *c;
	const char *key;
	unsigned seed;
	uint64_t off;
	size_t len;
	int rc;
	int good;
	lfs_err err;
};

static void *reader_main(void *p)
{
	struct reader_arg *a = p;
	uint8_t *buf = malloc(a->len);
	size_t got = 0;
	a->rc = lfs_store_read(a->c, a->key, a->off, buf, a->len, &got, &a->err);
	a->good = a->rc == 0 && got == a->len && check_pattern(buf, got, a->seed, a->off);
	free(buf);
	return NULL;
}

struct waiting_cond {
	struct mstore *ms;
	lfs_store *c;
	unsigned want;
};

static int readers_parked(void *p)
{
	struct waiting_cond *w = p;
	unsigned in_read;
	pthread_mutex_lock(&w->ms->mu);
	in_read = w->ms->in_read;
	pthread_mutex_unlock(&w->ms->mu);
	return in_read == 1 && cstats(w->c).waiting == w->want;
}

/* N readers of one block while its fetch is held open: one fetch. */
static void test_single_flight(struct mstore *ms, int fail)
{
	enum { N = 8 };
	lfs_store *c = new_cache(ms, BS, 1 << 20, 0, NULL, 0);
	struct reader_arg a[N];
	pthread_t t[N];
	struct waiting_cond w = { ms, c, N - 1 };
	uint64_t r0;
	int all = 1, parked;
	const char *key = fail ? "data/sf-fail" : "data/sf";

	ms_put(ms, key, 3 * BS, 4, "");
	r0 = ms_get(ms, &ms->reads);
	ms_set(ms, &ms->gate_closed, 1);
	ms_set(ms, &ms->fail_reads, fail);
	for (int i = 0; i < N; i++) {
		a[i] = (struct reader_arg){ .c = c, .key = key, .seed = 4, .off = 100 + i, .len = 1000 };
		pthread_create(&t[i], NULL, reader_main, &a[i]);
	}
	parked = wait_until(readers_parked, &w);
	ms_set(ms, &ms->gate_closed, 0);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	ms_set(ms, &ms->fail_reads, 0);
	ok(parked, "%d readers wait on one in-flight fetch", N - 1);
	ok(ms_get(ms, &ms->reads) == r0 + 1, "one backing request for %d readers (%llu)", N,
	   (unsigned long long)(ms_get(ms, &ms->reads) - r0));
	if (!fail) {
		for (int i = 0; i < N; i++)
			all &= a[i].good;
		ok(all, "every reader got the right bytes");
		ok(cstats(c).misses == 1 && cstats(c).hits_mem == N - 1, "1 miss, %d hits", N - 1);
	} else {
		for (int i = 0; i < N; i++)
			all &= a[i].rc == -EIO && strstr(a[i].err.msg, "injected failure") != NULL;
		ok(all, "every waiter got the fetch's error: %s", a[0].err.msg);
		ok(read_check(c, key, 100, 1000, 4, 1000) && ms_get(ms, &ms->reads) == r0 + 2,
		   "the failure was not cached: the next read fetches again");
		ok(cstats(c).fetch_errors == 1, "one failed fetch counted");
	}
	lfs_store_close(c);
}

static void test_errors(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 1 << 20, 0, NULL, 0);
	uint8_t buf[3 * BS];
	size_t got = 77;
	lfs_err err;
	uint64_t r0;
	int rc;

	ms_put(ms, "data/e", 3 * BS, 5, "");
	ok(read_check(c, "data/e", 0, 10, 5, 10), "block 0 cached");
	ms_set(ms, &ms->fail_reads, 1);
	rc = lfs_store_read(c, "data/e", 0, buf, sizeof(buf), &got, &err);
	ok(rc == -EIO && strstr(err.msg, "injected") && got == 0,
	   "a failed fetch is an error for the reader: %s", err.msg);
	ms_set(ms, &ms->fail_reads, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, "data/e", 0, sizeof(buf), 5, sizeof(buf)), "after the failure, reads work");
	ok(ms_get(ms, &ms->reads) == r0 + 1 && ms->log_off[r0] == BS && ms->log_len[r0] == 2 * BS,
	   "the failed blocks are fetched again (and block 0 was kept)");

	/* The object shrank behind the cache's back: an error, not short data. */
	ms_put(ms, "data/shrinks", 3 * BS, 6, "");
	ok(read_check(c, "data/shrinks", 0, 10, 6, 10), "object seen");
	ms_put(ms, "data/shrinks", BS + 10, 6, "");
	rc = lfs_store_read(c, "data/shrinks", BS, buf, 2 * BS, &got, &err);
	ok(rc == -EIO, "an object shorter than its remembered size is EIO: %s", err.msg);
	lfs_store_close(c);
}

static void test_bypass(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 1 << 20, 0, NULL, 0);
	const char *hint = "_versions/latest_version_hint.json";
	lfs_object_info info;
	lfs_store_entry *ents;
	char buf[64];
	size_t got, n;
	lfs_err err;
	uint64_t r0, s0, l0, cl0;

	ms_put_bytes(ms, hint, "{\"version\": 1}");
	r0 = ms_get(ms, &ms->reads);
	s0 = ms_get(ms, &ms->stats);
	ok(lfs_store_read(c, hint, 0, buf, sizeof(buf), &got, &err) == 0 && got == 14, "hint read");
	ms_put_bytes(ms, hint, "{\"version\": 22}");
	ok(lfs_store_read(c, hint, 0, buf, sizeof(buf), &got, &err) == 0 && got == 15 &&
	   memcmp(buf, "{\"version\": 22}", 15) == 0, "a changed hint is seen at once");
	ok(lfs_store_stat(c, hint, &info, &err) == 0 && info.size == 15 &&
	   lfs_store_stat(c, hint, &info, &err) == 0, "hint stat");
	ok(ms_get(ms, &ms->reads) == r0 + 2 && ms_get(ms, &ms->stats) == s0 + 2,
	   "mutable keys pass through on every read and stat");
	ok(cstats(c).misses == 0 && cstats(c).bytes_mem == 0, "and take no cache memory");
	l0 = ms_get(ms, &ms->lists);
	ok(lfs_store_list(c, "", &ents, &n, &err) == 0 && n == 1 &&
	   strcmp(ents[0].name, "listed") == 0 && ms_get(ms, &ms->lists) == l0 + 1,
	   "listing passes through");
	lfs_store_entries_free(ents, n);
	cl0 = ms_get(ms, &ms->closes);
	lfs_store_close(c);
	ok(ms_get(ms, &ms->closes) == cl0 + 1, "closing the cache closes the backing store");
}

static void test_lru(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 4 * BS, 0, NULL, 0);
	lfs_cache_stats st;
	uint64_t r0;
	int good = 1;

	ms_put(ms, "data/lru", 8 * BS, 7, "");
	r0 = ms_get(ms, &ms->reads);
	for (unsigned i = 0; i < 8; i++)
		good &= read_check(c, "data/lru", i * BS + 1, 100, 7, 100);
	ok(good, "eight blocks read one by one under a 4-block budget");
	ok(ms_get(ms, &ms->reads) == r0 + 8, "eight fetches");
	st = cstats(c);
	ok(st.evictions_mem == 4 && st.bytes_mem == 4 * BS && st.bytes_mem_peak <= 4 * BS,
	   "four evictions, memory at the budget (%llu bytes, peak %llu)",
	   (unsigned long long)st.bytes_mem, (unsigned long long)st.bytes_mem_peak);
	ok(read_check(c, "data/lru", 7 * BS, 10, 7, 10) && read_check(c, "data/lru", 4 * BS, 10, 7, 10) &&
	   ms_get(ms, &ms->reads) == r0 + 8, "the newest blocks are still cached");
	ok(read_check(c, "data/lru", 0, 10, 7, 10) && ms_get(ms, &ms->reads) == r0 + 9,
	   "the oldest block was evicted and is fetched again");
	/* block 4 was used more recently than 5: 5 went, 4 stayed */
	ok(read_check(c, "data/lru", 4 * BS, 10, 7, 10) && ms_get(ms, &ms->reads) == r0 + 9,
	   "recently used block 4 survived the eviction");

	/* A read wider than the whole budget still works, around the cache. */
	ok(read_check(c, "data/lru", 0, 8 * BS, 7, 8 * BS), "a read larger than the budget");
	st = cstats(c);
	ok(st.bytes_mem_peak <= 4 * BS && st.bytes_busy == 0, "the budget held (peak %llu)",
	   (unsigned long long)st.bytes_mem_peak);
	lfs_store_close(c);

	c = new_cache(ms, 4 * BS, 2 * BS, 0, NULL, 0);
	ok(read_check(c, "data/lru", 100, 3 * BS, 7, 3 * BS) && cstats(c).bypass_reads == 1 &&
	   cstats(c).bytes_mem_peak == 0, "a budget smaller than a block: reads go around the cache");
	lfs_store_close(c);
}

/* ---- 16 readers of different objects under a small budget ---- */

struct stress_arg {
	lfs_store *c;
	int id;
	int good;
};

static void *stress_main(void *p)
{
	struct stress_arg *a = p;
	char key[64];
	uint64_t size = 24 * BS + 123, x = (uint64_t)a->id * 7919 + 1;
	uint8_t *buf = malloc(3 * BS);

	snprintf(key, sizeof(key), "data/s%d", a->id);
	a->good = 1;
	/* a sequential pass, then random reads */
	for (uint64_t off = 0; off < size; off += 1500)
		a->good &= read_check(a->c, key, off, 1500, 100 + a->id,
				      off + 1500 <= size ? 1500 : size - off);
	for (int i = 0; i < 150; i++) {
		uint64_t off, len;
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		off = (x >> 20) % size;
		len = 1 + (x >> 45) % (3 * BS);
		a->good &= read_check(a->c, key, off, len, 100 + a->id,
				      off + len <= size ? len : size - off);
	}
	free(buf);
	return NULL;
}

static void test_stress(struct mstore *ms)
{
	enum { N = 16 };
	const uint64_t budget = 10 * BS;
	lfs_store *c = new_cache(ms, BS, budget, 4, NULL, 0);
	struct stress_arg a[N];
	pthread_t t[N];
	lfs_cache_stats st;
	int good = 1;

	for (int i = 0; i < N; i++) {
		char key[64];
		snprintf(key, sizeof(key), "data/s%d", i);
		ms_put(ms, key, 24 * BS + 123, 100 + i, "");
	}
	for (int i = 0; i < N; i++) {
		a[i] = (struct stress_arg){ .c = c, .id = i };
		pthread_create(&t[i], NULL, stress_main, &a[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		good &= a[i].good;
	}
	lfs_cache_drain(c);
	st = cstats(c);
	ok(good, "%d threads read their own objects correctly", N);
	ok(st.bytes_mem_peak <= budget && st.bytes_mem <= budget,
	   "memory never exceeded the budget (peak %llu of %llu)", (unsigned long long)st.bytes_mem_peak,
	   (unsigned long long)budget);
	ok(st.bytes_busy == 0, "nothing left pinned (%llu)", (unsigned long long)st.bytes_busy);
	ok(st.evictions_mem > 0, "with evictions (%llu), hits %llu, misses %llu, bypasses %llu",
	   (unsigned long long)st.evictions_mem, (unsigned long long)st.hits_mem,
	   (unsigned long long)st.misses, (unsigned long long)st.bypass_reads);
	lfs_store_close(c);
	ok(lfs_stat_get(cache_bytes_mem) == 0, "closing the cache gives all memory back");
}

/* ---- read-ahead ---- */

static void test_readahead(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 1 << 20, 4, NULL, 0);
	lfs_cache_stats st;
	uint64_t r0, b0;
	int good = 1;
	const uint64_t size = 64 * BS;

	ms_put(ms, "data/seq", size, 8, "");
	ms_put(ms, "data/rnd", size, 9, "");
	r0 = ms_get(ms, &ms->reads);
	b0 = ms_get(ms, &ms->read_bytes);
	/* Draining after each read lets read-ahead win every race, so the
	 * counts below do not depend on scheduling. */
	for (uint64_t off = 0; off < size; off += 1024) {
		good &= read_check(c, "data/seq", off, 1024, 8, 1024);
		lfs_cache_drain(c);
	}
	st = cstats(c);
	ok(good, "a sequential pass in 1 KiB reads");
	ok(st.readahead_blocks == 63 && st.misses == 64, "read-ahead fetched %llu of the 63 blocks after the first",
	   (unsigned long long)st.readahead_blocks);
	ok(ms_get(ms, &ms->read_bytes) - b0 == size, "every byte was fetched exactly once");
	ok(ms_get(ms, &ms->reads) - r0 <= 20, "in %llu requests (read-ahead asks for whole windows)",
	   (unsigned long long)(ms_get(ms, &ms->reads) - r0));
	ok(st.hits_mem == 64 * 4 - 1, "every read after the first was a hit");

	/* Without draining, readers and read-ahead race; the bytes must still
	 * be right and no block fetched twice. */
	ms_put(ms, "data/seq2", size, 10, "");
	b0 = ms_get(ms, &ms->read_bytes);
	for (uint64_t off = 0; off < size; off += 3000)
		good &= read_check(c, "data/seq2", off, 3000, 10, off + 3000 <= size ? 3000 : size - off);
	lfs_cache_drain(c);
	ok(good && ms_get(ms, &ms->read_bytes) - b0 == size, "racing read-ahead: right bytes, each fetched once");
	st = cstats(c);

	r0 = ms_get(ms, &ms->reads);
	{
		static const unsigned order[] = { 0, 40, 10, 50, 20, 60, 30, 3, 45 };
		for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			good &= read_check(c, "data/rnd", order[i] * BS + 5, 1024, 9, 1024);
			good &= read_check(c, "data/rnd", order[i] * BS + 1029, 1024, 9, 1024);
		}
	}
	lfs_cache_drain(c);
	ok(good, "random reads");
	ok(cstats(c).readahead_blocks == st.readahead_blocks, "random reads trigger no read-ahead");
	ok(ms_get(ms, &ms->reads) - r0 == 9, "one fetch per random block");
	lfs_store_close(c);
}

struct prefetch_cond {
	struct mstore *ms;
	lfs_store *c;
	unsigned waiting;
};

static int prefetch_parked(void *p)
{
	struct prefetch_cond *w = p;
	unsigned in_read;
	pthread_mutex_lock(&w->ms->mu);
	in_read = w->ms->in_read;
	pthread_mutex_unlock(&w->ms->mu);
	return in_read == 1 && cstats(w->c).waiting == w->waiting;
}

/* A reader waiting on a read-ahead fetch that fails fetches for itself. */
static void test_readahead_failure(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 1 << 20, 4, NULL, 0);
	struct prefetch_cond w = { ms, c, 0 };
	/* starts behind the last read, so it asks for no read-ahead itself */
	struct reader_arg a = { .c = c, .key = "data/raf", .seed = 11, .off = 1500, .len = BS };
	pthread_t t;
	int parked, parked2;

	ms_put(ms, "data/raf", 16 * BS, 11, "");
	ok(read_check(c, "data/raf", 0, 1000, 11, 1000) && read_check(c, "data/raf", 1000, 1000, 11, 1000),
	   "two reads: not yet sequential");
	ms_set(ms, &ms->gate_closed, 1);
	ok(read_check(c, "data/raf", 2000, 1000, 11, 1000), "the third forward read starts read-ahead");
	parked = wait_until(prefetch_parked, &w); /* read-ahead's request is held */
	pthread_create(&t, NULL, reader_main, &a);
	w.waiting = 1;
	parked2 = wait_until(prefetch_parked, &w); /* the reader waits for it */
	pthread_mutex_lock(&ms->mu);
	ms->fail_next = 1;
	pthread_mutex_unlock(&ms->mu);
	ms_set(ms, &ms->gate_closed, 0);
	pthread_join(t, NULL);
	lfs_cache_drain(c);
	ok(parked && parked2, "a reader waits on the read-ahead fetch of block 1");
	ok(a.good, "the read-ahead failed, the reader fetched again and got its bytes");
	ok(cstats(c).fetch_errors == 2 && cstats(c).readahead_blocks == 0,
	   "the failed read-ahead of two blocks was counted, nothing cached from it");
	lfs_store_close(c);
}

/* Over the real local store: bytes match the file, read_all works. */
static void test_local(void)
{
	char root[256], path[300], cmd[300];
	const char *tmp = getenv("TMPDIR");
	lfs_store *backing, *c = NULL;
	lfs_cache_opts opts;
	uint8_t *all = NULL;
	size_t len = 0;
	lfs_err err;
	FILE *f;
	int good;

	snprintf(root, sizeof(root), "%s/lancefs-cache-local-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/_versions", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/_versions/18446744073709551614.manifest", root);
	f = fopen(path, "wb");
	for (uint64_t i = 0; i < 3 * BS + 17; i++)
		fputc(pattern_byte(42, i), f);
	fclose(f);
	ok(lfs_store_open_local(root, &backing, &err) == 0, "local store");
	lfs_cache_opts_init(&opts);
	opts.block_size = BS;
	ok(lfs_cache_new(backing, &opts, &c, &err) == 0, "cache over it");
	ok(lfs_store_read_all(c, "_versions/18446744073709551614.manifest", &all, &len, &err) == 0 &&
	   len == 3 * BS + 17 && check_pattern(all, len, 42, 0), "read_all of a manifest through the cache");
	free(all);
	good = read_check(c, "_versions/18446744073709551614.manifest", BS - 5, 2 * BS, 42, 2 * BS);
	ok(good && cstats(c).misses == 4 && cstats(c).hits_mem == 3, "then served from memory");
	lfs_store_close(c);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
}

int main(void)
{
	struct mstore ms;

	ms_init(&ms);
	test_rules();
	test_options();
	test_basics(&ms);
	test_merge(&ms);
	test_single_flight(&ms, 0);
	test_single_flight(&ms, 1);
	test_errors(&ms);
	test_bypass(&ms);
	test_lru(&ms);
	test_stress(&ms);
	test_readahead(&ms);
	test_readahead_failure(&ms);
	test_local();
	ok(lfs_stat_get(cache_hits) > 0 && lfs_stat_get(cache_misses) > 0 &&
	   lfs_stat_get(cache_evictions) > 0 && lfs_stat_get(cache_bytes_mem) == 0,
	   "process-wide counters: %llu hits, %llu misses, %llu evictions",
	   (unsigned long long)lfs_stat_get(cache_hits), (unsigned long long)lfs_stat_get(cache_misses),
	   (unsigned long long)lfs_stat_get(cache_evictions));
	ms_free(&ms);
	return tap_done();
}
