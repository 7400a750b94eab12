/*
 * util: the few helpers every module shares — logging, error messages,
 * a growable byte buffer, overflow-checked arithmetic and little-endian loads.
 *
 * Error convention (all modules): functions return 0 on success or a negative
 * errno (-EIO for damaged input, -ENOTSUP for unsupported features, -ENOMEM,
 * -ENOENT, ...).  Where a caller needs to know *why*, the function also fills
 * an lfs_err with one human-readable line naming the object, the offset and
 * what was wrong.
 */
#ifndef LFS_UTIL_H
#define LFS_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <string.h>

/* ---- logging ---- */
enum lfs_log_level { LFS_LOG_ERROR = 0, LFS_LOG_WARN, LFS_LOG_INFO, LFS_LOG_DEBUG };

void lfs_log_set_level(enum lfs_log_level level);
enum lfs_log_level lfs_log_get_level(void);
/* After daemonizing, log lines go to syslog instead of stderr. */
void lfs_log_use_syslog(int on);
int lfs_log_parse_level(const char *name, enum lfs_log_level *out);
void lfs_log(enum lfs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define lfs_error(...) lfs_log(LFS_LOG_ERROR, __VA_ARGS__)
#define lfs_warn(...)  lfs_log(LFS_LOG_WARN, __VA_ARGS__)
#define lfs_info(...)  lfs_log(LFS_LOG_INFO, __VA_ARGS__)
#define lfs_debug(...) lfs_log(LFS_LOG_DEBUG, __VA_ARGS__)

/* ---- error messages ---- */
typedef struct lfs_err {
	char msg[512];
} lfs_err;

/* Sets err->msg (if err is not NULL) and returns code, so callers can write
 * `return lfs_fail(err, -EIO, "%s: bad footer at %llu", ...)`. */
int lfs_fail(lfs_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefixes an existing message with context ("manifest 3: " + old). */
void lfs_err_prefix(lfs_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- growable byte buffer ---- */
typedef struct lfs_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
} lfs_buf;

void lfs_buf_init(lfs_buf *b);
void lfs_buf_free(lfs_buf *b);
int lfs_buf_reserve(lfs_buf *b, size_t extra);
int lfs_buf_append(lfs_buf *b, const void *data, size_t len);
int lfs_buf_printf(lfs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int lfs_buf_putc(lfs_buf *b, char c) { return lfs_buf_append(b, &c, 1); }
static inline int lfs_buf_puts(lfs_buf *b, const char *s) { return lfs_buf_append(b, s, strlen(s)); }
/* Hands the bytes to the caller (who frees them) and empties the buffer. */
uint8_t *lfs_buf_steal(lfs_buf *b, size_t *len);

/* ---- checked arithmetic: return 0 on success, -EOVERFLOW on overflow ---- */
static inline int lfs_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_add_overflow(a, b, out) ? -75 /* EOVERFLOW */ : 0;
}
static inline int lfs_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -75 : 0;
}
/* True when [off, off+len) lies inside a buffer of size total. */
static inline int lfs_range_ok(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

/* ---- little-endian loads from possibly unaligned memory ---- */
static inline uint16_t lfs_le16(const void *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t lfs_le32(const void *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t lfs_le64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* ---- growable arrays ----
 * lfs_array_grow makes room for at least `need` items of item_size bytes at
 * *items (capacity *cap, doubled as needed, never below 8); the items keep
 * their values.  -ENOMEM (nothing changed) on overflow or when memory is
 * short.  LFS_ARRAY_GROW(arr, cap, need) is the typed spelling:
 *	if (LFS_ARRAY_GROW(v->items, v->cap, v->n + 1)) return -ENOMEM;
 *	v->items[v->n++] = x; */
int lfs_array_grow(void **items, size_t *cap, size_t need, size_t item_size);
#define LFS_ARRAY_GROW(arr, cap, need)                                                    \
	__extension__({                                                                   \
		void *lfs_p_ = (arr);                                                     \
		int lfs_r_ = lfs_array_grow(&lfs_p_, &(cap), (need), sizeof(*(arr)));     \
		(arr) = lfs_p_;                                                           \
		lfs_r_;                                                                   \
	})

/* ---- binary search ----
 * How many of n items, `stride` bytes apart, have a uint64_t key <= key,
 * where the first item's key is at *first_key and keys ascend: the index
 * just past the last item at or before key (0 when none is).
 * LFS_COUNT_LE(arr, n, member, key) is the typed spelling for an array of
 * structs with a uint64_t member; LFS_COUNT_LE_U64(arr, n, key) for a
 * plain uint64_t array.  Both accept n == 0 with arr NULL. */
size_t lfs_count_le_u64(const void *first_key, size_t n, size_t stride, uint64_t key);
#define LFS_COUNT_LE(arr, n, member, key)                                                 \
	__extension__({                                                                   \
		_Static_assert(__builtin_types_compatible_p(__typeof__((arr)[0].member),  \
							    uint64_t),                    \
			       "LFS_COUNT_LE needs a uint64_t key");                      \
		(n) ? lfs_count_le_u64(&(arr)[0].member, (n), sizeof((arr)[0]), (key))     \
		    : (size_t)0;                                                          \
	})
#define LFS_COUNT_LE_U64(arr, n, key)                                                     \
	__extension__({                                                                   \
		const uint64_t *lfs_a_ = (arr);                                           \
		(n) ? lfs_count_le_u64(lfs_a_, (n), sizeof(uint64_t), (key)) : (size_t)0;  \
	})

/* ---- misc ---- */
void *lfs_xcalloc(size_t n, size_t size); /* NULL on overflow or OOM */
char *lfs_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Monotonic clock in nanoseconds. */
uint64_t lfs_now_ns(void);



/* ---- read-ahead hint ----
 * The Lance readers ask for exactly the byte ranges they decode (whole
 * pages), so reading ahead of them only fetches bytes of other columns;
 * raw/ readers stream files and gain from it.  The hint is per thread:
 * lfs_io_set_exact(1) before exact reads, (0) after; the block cache reads
 * ahead only when it is 0. */
void lfs_io_set_exact(int on);
int lfs_io_exact(void);

/* ---- process-wide counters, shown in .lancefs/stats ---- */
struct lfs_stats {
	uint64_t store_requests;      /* requests sent to the object store */
	uint64_t store_bytes;         /* bytes received from the object store */
	uint64_t store_errors;        /* requests that failed for good */
	uint64_t store_retries;       /* requests sent again after a failure */
	uint64_t store_inflight;      /* requests under way right now */
	uint64_t cache_hits;          /* blocks served from the cache */
	uint64_t cache_misses;        /* blocks fetched from the store */
	uint64_t cache_evictions;     /* blocks dropped to stay under budget */
	uint64_t cache_bytes_mem;     /* bytes held by the memory tier now */
	uint64_t cache_bytes_disk;    /* bytes held by the disk tier now */
	uint64_t fuse_reads;          /* read() calls served */
	uint64_t fuse_read_bytes;     /* bytes returned by read() */
	uint64_t decode_errors;       /* pages or files that failed to decode */
};
extern struct lfs_stats lfs_stats;
#define lfs_stat_add(field, n) __atomic_add_fetch(&lfs_stats.field, (uint64_t)(n), __ATOMIC_RELAXED)
#define lfs_stat_sub(field, n) __atomic_sub_fetch(&lfs_stats.field, (uint64_t)(n), __ATOMIC_RELAXED)
#define lfs_stat_get(field) __atomic_load_n(&lfs_stats.field, __ATOMIC_RELAXED)
/* Prometheus text exposition of every counter. */
int lfs_stats_render(lfs_buf *out);
#endif
