/* util: logging, error strings, byte buffers. See util.h. */
#include "util/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

static enum lfs_log_level log_level = LFS_LOG_WARN;
static int log_to_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void lfs_log_set_level(enum lfs_log_level level) { log_level = level; }
enum lfs_log_level lfs_log_get_level(void) { return log_level; }

void lfs_log_use_syslog(int on)
{
	log_to_syslog = on;
	if (on)
		openlog("lancefs", LOG_PID, LOG_DAEMON);
}

int lfs_log_parse_level(const char *name, enum lfs_log_level *out)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum lfs_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void lfs_log(enum lfs_log_level level, const char *fmt, ...)
{
	static const char *tags[] = { "error", "warning", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_to_syslog) {
		syslog(prio[level], "%s", line);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "lancefs: %s: %s\n", tags[level], line);
	pthread_mutex_unlock(&log_lock);
}

int lfs_fail(lfs_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

void lfs_err_prefix(lfs_err *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Truncating a long message is fine: it is for people to read. */
	size_t n = strnlen(prefix, sizeof(prefix) - 1);
	memcpy(err->msg, prefix, n);
	size_t rest = strnlen(old, sizeof(old));
	if (rest > sizeof(err->msg) - 1 - n)
		rest = sizeof(err->msg) - 1 - n;
	memcpy(err->msg + n, old, rest);
	err->msg[n + rest] = 0;
}

void lfs_buf_init(lfs_buf *b) { b->data = NULL; b->len = b->cap = 0; }

void lfs_buf_free(lfs_buf *b)
{
	free(b->data);
	lfs_buf_init(b);
}

int lfs_buf_reserve(lfs_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (__builtin_add_overflow(b->len, extra, &need))
		return -ENOMEM;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (__builtin_mul_overflow(cap, 2, &cap))
			return -ENOMEM;
	}
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int lfs_buf_append(lfs_buf *b, const void *data, size_t len)
{
	int rc = lfs_buf_reserve(b, len + 1);
	if (rc)
		return rc;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0; /* always NUL-terminated for convenience */
	return 0;
}

int lfs_buf_printf(lfs_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = lfs_buf_reserve(b, (size_t)n + 1);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

uint8_t *lfs_buf_steal(lfs_buf *b, size_t *len)
{
	uint8_t *p = b->data;
	if (len)
		*len = b->len;
	if (!p)
		p = calloc(1, 1);
	lfs_buf_init(b);
	return p;
}

void *lfs_xcalloc(size_t n, size_t size)
{
	if (n == 0 || size == 0)
		return calloc(1, 1);
	return calloc(n, size);
}

char *lfs_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

uint64_t lfs_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct lfs_stats lfs_stats;

int lfs_stats_render(lfs_buf *out)
{
	static const struct {
		const char *name, *type, *help;
		size_t offset;
	} rows[] = {
#define ROW(f, t, h) { "lancefs_" #f, t, h, offsetof(struct lfs_stats, f) }
		ROW(store_requests, "counter", "Requests sent to the object store."),
		ROW(store_bytes, "counter", "Bytes received from the object store."),
		ROW(store_errors, "counter", "Store requests that failed after all retries."),
		ROW(store_retries, "counter", "Store requests retried after a failure."),
		ROW(store_inflight, "gauge", "Store requests under way."),
		ROW(cache_hits, "counter", "Cache blocks served from the cache."),
		ROW(cache_misses, "counter", "Cache blocks fetched from the store."),
		ROW(cache_evictions, "counter", "Cache blocks evicted."),
		ROW(cache_bytes_mem, "gauge", "Bytes held in the memory cache."),
		ROW(cache_bytes_disk, "gauge", "Bytes held in the disk cache."),
		ROW(fuse_reads, "counter", "read() calls served."),
		ROW(fuse_read_bytes, "counter", "Bytes returned by read()."),
		ROW(decode_errors, "counter", "Pages or files that failed to decode."),
#undef ROW
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = __atomic_load_n((uint64_t *)((char *)&lfs_stats + rows[i].offset),
					     __ATOMIC_RELAXED);
		int rc = lfs_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n",
					rows[i].name, rows[i].help, rows[i].name, rows[i].type,
					rows[i].name, (unsigned long long)v);
		if (rc)
			return rc;
	}
	return 0;
}

static __thread int io_exact;

void lfs_io_set_exact(int on) { io_exact = on; }
int lfs_io_exact(void) { return io_exact; }

int lfs_array_grow(void **items, size_t *cap, size_t need, size_t item_size)
{
	size_t ncap = *cap ? *cap : 8;
	size_t bytes;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -ENOMEM;
		ncap *= 2;
	}
	if (__builtin_mul_overflow(ncap, item_size, &bytes))
		return -ENOMEM;
	p = realloc(*items, bytes ? bytes : 1);
	if (!p)
		return -ENOMEM;
	*items = p;
	*cap = ncap;
	return 0;
}

size_t lfs_count_le_u64(const void *first_key, size_t n, size_t stride, uint64_t key)
{
	const unsigned char *base = first_key;
	size_t lo = 0, hi = n; /* items before lo are <= key, items from hi on are > key */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;
		memcpy(&k, base + mid * stride, sizeof(k));
		if (k <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
