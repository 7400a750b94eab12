/*
 * Helpers shared by the cache tests: TAP output and a counting in-memory
 * backing store (lfs_store_ops over memory buffers) that records every
 * request and can fail or hold reads on demand.
 */
#ifndef TEST_CACHE_UTIL_H
#define TEST_CACHE_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "store/store.h"
#include "util/util.h"

/* ---- TAP ---- */

static int tap_n, tap_failed;

static inline void __attribute__((format(printf, 2, 3))) ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/* ---- the memory store ---- */

#define MS_MAX_OBJS 64
#define MS_LOG 256

struct mobj {
	char key[128];
	uint8_t *data;
	size_t size;
	int64_t mtime_ns;
	char etag[80];
};

struct mstore {
	pthread_mutex_t mu;
	pthread_cond_t gate_cv;
	struct mobj objs[MS_MAX_OBJS];
	int nobjs;
	/* counters */
	uint64_t reads, read_bytes, stats, lists, closes;
	uint64_t log_off[MS_LOG], log_len[MS_LOG]; /* the first MS_LOG reads */
	/* faults */
	int fail_reads;        /* reads fail with -EIO while set */
	int fail_next;         /* so many next reads fail with -EIO */
	int gate_closed;       /* reads wait while set */
	unsigned in_read;      /* reads under way now */
};

/* Deterministic, non-periodic bytes so a misplaced block shows. */
static inline uint8_t pattern_byte(unsigned seed, uint64_t i)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ull + seed * 0xD1B54A32D192ED03ull;
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 32;
	return (uint8_t)x;
}

static inline void ms_init(struct mstore *ms)
{
	memset(ms, 0, sizeof(*ms));
	pthread_mutex_init(&ms->mu, NULL);
	pthread_cond_init(&ms->gate_cv, NULL);
}

static inline struct mobj *ms_find(struct mstore *ms, const char *key)
{
	for (int i = 0; i < ms->nobjs; i++)
		if (strcmp(ms->objs[i].key, key) == 0)
			return &ms->objs[i];
	return NULL;
}

/* Creates or replaces an object filled with pattern `seed`. */
static inline void ms_put(struct mstore *ms, const char *key, size_t size, unsigned seed, const char *etag)
{
	struct mobj *o;
	pthread_mutex_lock(&ms->mu);
	o = ms_find(ms, key);
	if (!o) {
		o = &ms->objs[ms->nobjs++];
		snprintf(o->key, sizeof(o->key), "%s", key);
	}
	free(o->data);
	o->data = malloc(size ? size : 1);
	for (size_t i = 0; i < size; i++)
		o->data[i] = pattern_byte(seed, i);
	o->size = size;
	o->mtime_ns = 1700000000000000000ll + seed;
	snprintf(o->etag, sizeof(o->etag), "%s", etag ? etag : "");
	pthread_mutex_unlock(&ms->mu);
}

static inline void ms_put_bytes(struct mstore *ms, const char *key, const char *text)
{
	struct mobj *o;
	pthread_mutex_lock(&ms->mu);
	o = ms_find(ms, key);
	if (!o) {
		o = &ms->objs[ms->nobjs++];
		snprintf(o->key, sizeof(o->key), "%s", key);
	}
	free(o->data);
	o->size = strlen(text);
	o->data = malloc(o->size + 1);
	memcpy(o->data, text, o->size + 1);
	o->mtime_ns++;
	pthread_mutex_unlock(&ms->mu);
}

static inline int check_pattern(const uint8_t *buf, size_t len, unsigned seed, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern_byte(seed, off + i))
			return 0;
	return 1;
}

static inline int ms_read(void *impl, const char *key, uint64_t off, void *buf, size_t len, size_t *got,
		   lfs_err *err)
{
	struct mstore *ms = impl;
	struct mobj *o;
	int rc = 0;

	pthread_mutex_lock(&ms->mu);
	ms->in_read++;
	pthread_cond_broadcast(&ms->gate_cv);
	while (ms->gate_closed)
		pthread_cond_wait(&ms->gate_cv, &ms->mu);
	ms->in_read--;
	if (ms->reads < MS_LOG) {
		ms->log_off[ms->reads] = off;
		ms->log_len[ms->reads] = len;
	}
	ms->reads++;
	o = ms_find(ms, key);
	if (ms->fail_reads || ms->fail_next > 0) {
		if (ms->fail_next > 0)
			ms->fail_next--;
		rc = lfs_fail(err, -EIO, "%s: injected failure at %llu", key, (unsigned long long)off);
	} else if (!o) {
		rc = lfs_fail(err, -ENOENT, "%s: no such object", key);
	} else {
		size_t n = off >= o->size ? 0 : (o->size - off < len ? o->size - off : len);
		if (n)
			memcpy(buf, o->data + off, n);
		*got = n;
		ms->read_bytes += n;
	}
	pthread_mutex_unlock(&ms->mu);
	return rc;
}

static inline int ms_stat(void *impl, const char *key, lfs_object_info *out, lfs_err *err)
{
	struct mstore *ms = impl;
	struct mobj *o;
	int rc = 0;
	pthread_mutex_lock(&ms->mu);
	ms->stats++;
	o = ms_find(ms, key);
	if (!o) {
		rc = lfs_fail(err, -ENOENT, "%s: no such object", key);
	} else {
		out->size = o->size;
		out->mtime_ns = o->mtime_ns;
		snprintf(out->etag, sizeof(out->etag), "%s", o->etag);
	}
	pthread_mutex_unlock(&ms->mu);
	return rc;
}

static inline int ms_list(void *impl, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err)
{
	struct mstore *ms = impl;
	(void)dir;
	(void)err;
	pthread_mutex_lock(&ms->mu);
	ms->lists++;
	*out = calloc(1, sizeof(**out));
	(*out)[0].name = strdup("listed");
	*n = 1;
	pthread_mutex_unlock(&ms->mu);
	return 0;
}

/* Closing a wrapper only counts: the test owns the mstore and reuses it. */
static inline void ms_close(void *impl)
{
	struct mstore *ms = impl;
	pthread_mutex_lock(&ms->mu);
	ms->closes++;
	pthread_mutex_unlock(&ms->mu);
}

static const lfs_store_ops ms_ops = {
	.read = ms_read, .stat = ms_stat, .list = ms_list, .close = ms_close,
};

static inline uint64_t ms_get(struct mstore *ms, const uint64_t *field)
{
	uint64_t v;
	pthread_mutex_lock(&ms->mu);
	v = *field;
	pthread_mutex_unlock(&ms->mu);
	return v;
}

static inline void ms_set(struct mstore *ms, int *field, int v)
{
	pthread_mutex_lock(&ms->mu);
	*field = v;
	pthread_cond_broadcast(&ms->gate_cv);
	pthread_mutex_unlock(&ms->mu);
}

static inline void ms_free(struct mstore *ms)
{
	for (int i = 0; i < ms->nobjs; i++)
		free(ms->objs[i].data);
	pthread_mutex_destroy(&ms->mu);
	pthread_cond_destroy(&ms->gate_cv);
}

/* A cache over ms with the given knobs (readahead 0 unless asked). */
static inline lfs_store *new_cache(struct mstore *ms, size_t bs, uint64_t budget, unsigned readahead,
			    const char *disk_dir, uint64_t disk_budget)
{
	lfs_cache_opts opts;
	lfs_store *backing = lfs_store_new(&ms_ops, ms, "mem://test"), *c = NULL;
	lfs_err err;
	int rc;

	lfs_cache_opts_init(&opts);
	opts.block_size = bs;
	opts.mem_budget = budget;
	opts.readahead = readahead;
	opts.disk_dir = disk_dir;
	opts.disk_budget = disk_budget;
	rc = lfs_cache_new(backing, &opts, &c, &err);
	if (rc) {
		printf("# lfs_cache_new: %s\n", err.msg);
		lfs_store_close(backing);
		return NULL;
	}
	return c;
}

static inline lfs_cache_stats cstats(lfs_store *c)
{
	lfs_cache_stats st;
	lfs_cache_get_stats(c, &st);
	return st;
}

/* Reads [off, off+len) through the cache and checks the bytes. */
static inline int read_check(lfs_store *c, const char *key, uint64_t off, size_t len, unsigned seed,
		      size_t want_got)
{
	uint8_t *buf = malloc(len ? len : 1);
	size_t got = 12345;
	lfs_err err;
	int rc = lfs_store_read(c, key, off, buf, len, &got, &err), good;
	if (rc)
		printf("# read %s [%llu, +%zu): %s\n", key, (unsigned long long)off, len, err.msg);
	good = rc == 0 && got == want_got && check_pattern(buf, got, seed, off);
	if (rc == 0 && got != want_got)
		printf("# read %s [%llu, +%zu): got %zu, want %zu\n", key, (unsigned long long)off, len,
		       got, want_got);
	free(buf);
	return good;
}

#endif
