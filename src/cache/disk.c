/* cache/disk: the on-disk tier of the block cache. See disk.h. */
#include "cache/disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* ---- XXH64, from the xxHash specification ---- */

#define XXH_P1 0x9E3779B185EBCA87ull
#define XXH_P2 0xC2B2AE3D27D4EB4Full
#define XXH_P3 0x165667B19E3779F9ull
#define XXH_P4 0x85EBCA77C2B2AE63ull
#define XXH_P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t xxh_round(uint64_t acc, uint64_t input)
{
	acc += input * XXH_P2;
	acc = rotl64(acc, 31);
	return acc * XXH_P1;
}

static inline uint64_t xxh_merge(uint64_t acc, uint64_t v)
{
	acc ^= xxh_round(0, v);
	return acc * XXH_P1 + XXH_P4;
}

uint64_t lfs_xxh64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data, *end = p + len;
	uint64_t h;

	if (len >= 32) {
		uint64_t v1 = seed + XXH_P1 + XXH_P2, v2 = seed + XXH_P2, v3 = seed, v4 = seed - XXH_P1;
		const uint8_t *limit = end - 32;
		do {
			v1 = xxh_round(v1, lfs_le64(p));
			v2 = xxh_round(v2, lfs_le64(p + 8));
			v3 = xxh_round(v3, lfs_le64(p + 16));
			v4 = xxh_round(v4, lfs_le64(p + 24));
			p += 32;
		} while (p <= limit);
		h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) + rotl64(v4, 18);
		h = xxh_merge(h, v1);
		h = xxh_merge(h, v2);
		h = xxh_merge(h, v3);
		h = xxh_merge(h, v4);
	} else {
		h = seed + XXH_P5;
	}
	h += (uint64_t)len;
	while (end - p >= 8) {
		h ^= xxh_round(0, lfs_le64(p));
		h = rotl64(h, 27) * XXH_P1 + XXH_P4;
		p += 8;
	}
	if (end - p >= 4) {
		h ^= (uint64_t)lfs_le32(p) * XXH_P1;
		h = rotl64(h, 23) * XXH_P2 + XXH_P3;
		p += 4;
	}
	while (p < end) {
		h ^= (uint64_t)*p * XXH_P5;
		h = rotl64(h, 11) * XXH_P1;
		p++;
	}
	h ^= h >> 33;
	h *= XXH_P2;
	h ^= h >> 29;
	h *= XXH_P3;
	h ^= h >> 32;
	return h;
}

/* ---- the index of block files ---- */

static const char block_magic[8] = { 'L', 'F', 'S', 'B', 'L', 'K', '0', '1' };

/* 32 hex digits of identity, '-', 16 hex digits of block index, ".blk" */
#define NAME_LEN (2 * LFS_DISK_IDENT_LEN + 1 + 16 + 4)

struct dent {
	struct dent *hnext;
	struct dent *prev, *next; /* LRU: head side is the most recently used */
	uint8_t ident[LFS_DISK_IDENT_LEN];
	uint64_t index;
	uint64_t size;            /* bytes of the file, header included */
	int64_t mtime_ns;         /* used only while loading */
};

struct lfs_disk_tier {
	char *dir;
	int lock_fd;
	uint64_t budget;
	pthread_mutex_t mu;
	struct dent **tab;
	size_t mask, count;
	struct dent lru;          /* sentinel */
	uint64_t bytes;
	uint64_t evictions, corrupt;
	uint64_t tmp_seq;
};

static uint64_t dent_hash(const uint8_t *ident, uint64_t index)
{
	/* The identity is already a cryptographic hash: its bytes are random. */
	return lfs_le64(ident) ^ (index * 0x9E3779B97F4A7C15ull);
}

static struct dent *dent_find(lfs_disk_tier *d, const uint8_t *ident, uint64_t index)
{
	struct dent *e = d->tab[dent_hash(ident, index) & d->mask];
	while (e && !(e->index == index && memcmp(e->ident, ident, LFS_DISK_IDENT_LEN) == 0))
		e = e->hnext;
	return e;
}

static void dent_grow(lfs_disk_tier *d)
{
	size_t nsize = (d->mask + 1) * 2;
	struct dent **ntab = calloc(nsize, sizeof(*ntab));
	if (!ntab)
		return; /* keep the longer chains */
	for (size_t i = 0; i <= d->mask; i++) {
		struct dent *e = d->tab[i], *next;
		for (; e; e = next) {
			next = e->hnext;
			size_t b = dent_hash(e->ident, e->index) & (nsize - 1);
			e->hnext = ntab[b];
			ntab[b] = e;
		}
	}
	free(d->tab);
	d->tab = ntab;
	d->mask = nsize - 1;
}

static void lru_unlink(struct dent *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_push_head(lfs_disk_tier *d, struct dent *e)
{
	e->next = d->lru.next;
	e->prev = &d->lru;
	d->lru.next->prev = e;
	d->lru.next = e;
}

static void dent_insert(lfs_disk_tier *d, struct dent *e)
{
	size_t b;
	if (d->count >= d->mask + 1)
		dent_grow(d);
	b = dent_hash(e->ident, e->index) & d->mask;
	e->hnext = d->tab[b];
	d->tab[b] = e;
	d->count++;
	lru_push_head(d, e);
	d->bytes += e->size;
	lfs_stat_add(cache_bytes_disk, e->size);
}

static void dent_remove(lfs_disk_tier *d, struct dent *e)
{
	struct dent **pp = &d->tab[dent_hash(e->ident, e->index) & d->mask];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	d->count--;
	lru_unlink(e);
	d->bytes -= e->size;
	lfs_stat_sub(cache_bytes_disk, e->size);
}

static void format_name(char *out, const uint8_t *ident, uint64_t index)
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < LFS_DISK_IDENT_LEN; i++) {
		out[2 * i] = hex[ident[i] >> 4];
		out[2 * i + 1] = hex[ident[i] & 15];
	}
	snprintf(out + 2 * LFS_DISK_IDENT_LEN, NAME_LEN + 1 - 2 * LFS_DISK_IDENT_LEN,
		 "-%016" PRIx64 ".blk", index);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int parse_name(const char *name, uint8_t *ident, uint64_t *index)
{
	uint64_t v = 0;
	if (strlen(name) != NAME_LEN || name[2 * LFS_DISK_IDENT_LEN] != '-' ||
	    strcmp(name + NAME_LEN - 4, ".blk") != 0)
		return -1;
	for (int i = 0; i < LFS_DISK_IDENT_LEN; i++) {
		int hi = hexval(name[2 * i]), lo = hexval(name[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		ident[i] = (uint8_t)(hi << 4 | lo);
	}
	for (int i = 0; i < 16; i++) {
		int x = hexval(name[2 * LFS_DISK_IDENT_LEN + 1 + i]);
		if (x < 0)
			return -1;
		v = v << 4 | (uint64_t)x;
	}
	*index = v;
	return 0;
}

char *lfs_disk_block_path(lfs_disk_tier *d, const uint8_t ident[LFS_DISK_IDENT_LEN], uint64_t index)
{
	char name[NAME_LEN + 1];
	format_name(name, ident, index);
	return lfs_strdup_printf("%s/blocks/%.2s/%s", d->dir, name, name);
}

/* ---- opening: lock, directories, the scan ---- */

static int mkdir_ok(const char *path, lfs_err *err)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return lfs_fail(err, -errno, "cache dir %s: %s", path, strerror(errno));
}

static int make_dirs(lfs_disk_tier *d, lfs_err *err)
{
	char path[4096];
	int rc = mkdir_ok(d->dir, err);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/blocks", d->dir);
	if ((rc = mkdir_ok(path, err)) != 0)
		return rc;
	snprintf(path, sizeof(path), "%s/tmp", d->dir);
	if ((rc = mkdir_ok(path, err)) != 0)
		return rc;
	for (int i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/blocks/%02x", d->dir, i);
		if ((rc = mkdir_ok(path, err)) != 0)
			return rc;
	}
	return 0;
}

static int take_lock(lfs_disk_tier *d, lfs_err *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/lock", d->dir);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0)
		return lfs_fail(err, -errno, "cache dir %s: %s", path, strerror(errno));
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (e == EWOULDBLOCK)
			return lfs_fail(err, -EBUSY, "cache dir %s is in use by another process", d->dir);
		return lfs_fail(err, -e, "cache dir %s: lock: %s", d->dir, strerror(e));
	}
	return 0;
}

/* Temp files left by a process that died mid-write are garbage. */
static void clean_tmp(lfs_disk_tier *d)
{
	char path[4096];
	struct dirent *de;
	DIR *dir;
	snprintf(path, sizeof(path), "%s/tmp", d->dir);
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(dirfd(dir), de->d_name, 0);
	closedir(dir);
}

static int dent_cmp_mtime(const void *a, const void *b)
{
	const struct dent *x = *(struct dent *const *)a, *y = *(struct dent *const *)b;
	return (x->mtime_ns > y->mtime_ns) - (x->mtime_ns < y->mtime_ns);
}

/* Reads what the directory holds into the index, oldest use (mtime, which
 * lfs_disk_get refreshes) at the LRU tail. */
static int scan(lfs_disk_tier *d, lfs_err *err)
{
	struct dent **all = NULL;
	size_t n = 0, cap = 0;
	char path[4096];

	for (int i = 0; i < 256; i++) {
		struct dirent *de;
		DIR *dir;
		snprintf(path, sizeof(path), "%s/blocks/%02x", d->dir, i);
		dir = opendir(path);
		if (!dir)
			continue;
		while ((de = readdir(dir)) != NULL) {
			struct stat st;
			struct dent *e;
			uint8_t ident[LFS_DISK_IDENT_LEN];
			uint64_t index;
			if (parse_name(de->d_name, ident, &index) < 0 || ident[0] != i)
				continue;
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			if (n == cap) {
				size_t ncap = cap ? 2 * cap : 256;
				struct dent **p = realloc(all, ncap * sizeof(*p));
				if (!p)
					goto oom;
				all = p;
				cap = ncap;
			}
			e = calloc(1, sizeof(*e));
			if (!e)
				goto oom;
			memcpy(e->ident, ident, sizeof(ident));
			e->index = index;
			e->size = (uint64_t)st.st_size;
			e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000ll + st.st_mtim.tv_nsec;
			all[n++] = e;
			continue;
oom:
			closedir(dir);
			for (size_t k = 0; k < n; k++)
				free(all[k]);
			free(all);
			return lfs_fail(err, -ENOMEM, "cache dir %s: out of memory while scanning", d->dir);
		}
		closedir(dir);
	}
	if (n)
		qsort(all, n, sizeof(*all), dent_cmp_mtime);
	for (size_t k = 0; k < n; k++)
		dent_insert(d, all[k]); /* newest ends up at the head */
	free(all);
	return 0;
}

static void unlink_block(lfs_disk_tier *d, const uint8_t *ident, uint64_t index)
{
	char *path = lfs_disk_block_path(d, ident, index);
	if (path)
		unlink(path);
	free(path);
}

/* Drops the least recently used files until the tier fits its budget. */
static void enforce_budget(lfs_disk_tier *d)
{
	for (;;) {
		struct dent *victim;
		pthread_mutex_lock(&d->mu);
		if (d->bytes <= d->budget || d->lru.prev == &d->lru) {
			pthread_mutex_unlock(&d->mu);
			return;
		}
		victim = d->lru.prev;
		dent_remove(d, victim);
		d->evictions++;
		lfs_stat_add(cache_evictions, 1);
		pthread_mutex_unlock(&d->mu);
		/* Unlinking after the lock is dropped: a concurrent get that
		 * still opens the file reads a whole, valid block. */
		unlink_block(d, victim->ident, victim->index);
		free(victim);
	}
}

int lfs_disk_open(const char *dir, uint64_t budget, lfs_disk_tier **out, lfs_err *err)
{
	lfs_disk_tier *d;
	int rc;

	*out = NULL;
	if (strlen(dir) > 3000)
		return lfs_fail(err, -ENAMETOOLONG, "cache dir path too long");
	d = calloc(1, sizeof(*d));
	if (!d)
		return lfs_fail(err, -ENOMEM, "out of memory");
	d->lock_fd = -1;
	d->budget = budget;
	d->lru.next = d->lru.prev = &d->lru;
	d->mask = 1023;
	d->tab = calloc(d->mask + 1, sizeof(*d->tab));
	d->dir = strdup(dir);
	if (!d->tab || !d->dir) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	while (strlen(d->dir) > 1 && d->dir[strlen(d->dir) - 1] == '/')
		d->dir[strlen(d->dir) - 1] = 0;
	pthread_mutex_init(&d->mu, NULL);
	if ((rc = mkdir_ok(d->dir, err)) != 0 || (rc = take_lock(d, err)) != 0 ||
	    (rc = make_dirs(d, err)) != 0)
		goto fail_mu;
	clean_tmp(d);
	if ((rc = scan(d, err)) != 0)
		goto fail_mu;
	enforce_budget(d);
	*out = d;
	return 0;
fail_mu:
	pthread_mutex_destroy(&d->mu);
fail:
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->tab);
	free(d->dir);
	free(d);
	return rc;
}

void lfs_disk_close(lfs_disk_tier *d)
{
	if (!d)
		return;
	while (d->lru.next != &d->lru) {
		struct dent *e = d->lru.next;
		dent_remove(d, e);
		free(e);
	}
	pthread_mutex_destroy(&d->mu);
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* releases the flock */
	free(d->tab);
	free(d->dir);
	free(d);
}

/* ---- reading and writing blocks ---- */

static void make_header(uint8_t *h, const uint8_t *ident, uint64_t index, const void *buf, size_t len)
{
	uint64_t v;
	memcpy(h, block_magic, 8);
	v = index;
	memcpy(h + 8, &v, 8);
	v = len;
	memcpy(h + 16, &v, 8);
	memcpy(h + 24, ident, LFS_DISK_IDENT_LEN);
	v = lfs_xxh64(buf, len, index);
	memcpy(h + 40, &v, 8);
	v = lfs_xxh64(h, 48, 0);
	memcpy(h + 48, &v, 8);
}

/* Forgets a damaged or vanished file. */
static void drop_entry(lfs_disk_tier *d, const uint8_t *ident, uint64_t index, int damaged)
{
	struct dent *e;
	pthread_mutex_lock(&d->mu);
	e = dent_find(d, ident, index);
	if (e)
		dent_remove(d, e);
	if (damaged)
		d->corrupt++;
	pthread_mutex_unlock(&d->mu);
	free(e);
	if (damaged)
		unlink_block(d, ident, index);
}

static int read_full(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int lfs_disk_get(lfs_disk_tier *d, const uint8_t ident[LFS_DISK_IDENT_LEN], uint64_t index,
		 void *buf, size_t len)
{
	uint8_t h[LFS_DISK_HEADER_LEN], want[LFS_DISK_HEADER_LEN];
	const char *why = NULL;
	struct dent *e;
	struct stat st;
	char *path;
	int fd;

	pthread_mutex_lock(&d->mu);
	e = dent_find(d, ident, index);
	if (e) {
		lru_unlink(e);
		lru_push_head(d, e);
	}
	pthread_mutex_unlock(&d->mu);
	if (!e)
		return -ENOENT;

	path = lfs_disk_block_path(d, ident, index);
	if (!path)
		return -ENOENT;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(path);
		drop_entry(d, ident, index, 0);
		return -ENOENT;
	}
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size != LFS_DISK_HEADER_LEN + (uint64_t)len)
		why = "wrong size";
	else if (read_full(fd, h, sizeof(h), 0) < 0 || read_full(fd, buf, len, sizeof(h)) < 0)
		why = "read failed";
	if (!why) {
		/* Every header byte is checked: rebuilding the header from what
		 * we expect and the data we read must give the same bytes. */
		make_header(want, ident, index, buf, len);
		if (memcmp(h, want, 40) != 0)
			why = "header does not match the block";
		else if (memcmp(h + 40, want + 40, 16) != 0)
			why = "checksum mismatch";
	}
	if (why) {
		close(fd);
		lfs_warn("cache: block file %s is damaged (%s); fetching the block again", path, why);
		free(path);
		drop_entry(d, ident, index, 1);
		return -EIO;
	}
	/* The mtime orders files by last use when the next mount scans. */
	futimens(fd, NULL);
	close(fd);
	free(path);
	return 0;
}

void lfs_disk_put(lfs_disk_tier *d, const uint8_t ident[LFS_DISK_IDENT_LEN], uint64_t index,
		  const void *buf, size_t len)
{
	uint8_t h[LFS_DISK_HEADER_LEN];
	uint64_t size = LFS_DISK_HEADER_LEN + (uint64_t)len;
	char tmp[4096], *path;
	struct iovec iov[2];
	struct dent *e;
	size_t done = 0;
	int fd, present;

	if (size > d->budget)
		return;
	pthread_mutex_lock(&d->mu);
	present = dent_find(d, ident, index) != NULL;
	pthread_mutex_unlock(&d->mu);
	if (present)
		return;

	make_header(h, ident, index, buf, len);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%ld.%" PRIu64, d->dir, (long)getpid(),
		 __atomic_add_fetch(&d->tmp_seq, 1, __ATOMIC_RELAXED));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		lfs_debug("cache: cannot create %s: %s", tmp, strerror(errno));
		return;
	}
	while (done < size) {
		ssize_t n;
		if (done < sizeof(h)) {
			iov[0].iov_base = h + done;
			iov[0].iov_len = sizeof(h) - done;
			iov[1].iov_base = (void *)buf;
			iov[1].iov_len = len;
			n = writev(fd, iov, 2);
		} else {
			n = write(fd, (const char *)buf + (done - sizeof(h)), size - done);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			lfs_debug("cache: writing %s: %s", tmp, n < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(tmp);
			return;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0) {
		unlink(tmp);
		return;
	}
	path = lfs_disk_block_path(d, ident, index);
	if (!path || rename(tmp, path) < 0) {
		unlink(tmp);
		free(path);
		return;
	}
	free(path);

	e = calloc(1, sizeof(*e));
	if (!e)
		return; /* the file stays untracked until the next scan */
	memcpy(e->ident, ident, LFS_DISK_IDENT_LEN);
	e->index = index;
	e->size = size;
	pthread_mutex_lock(&d->mu);
	if (dent_find(d, ident, index)) {
		pthread_mutex_unlock(&d->mu);
		free(e); /* a concurrent put of the same block won; same bytes */
		return;
	}
	dent_insert(d, e);
	pthread_mutex_unlock(&d->mu);
	enforce_budget(d);
}

void lfs_disk_get_stats(lfs_disk_tier *d, lfs_disk_stats *out)
{
	pthread_mutex_lock(&d->mu);
	out->bytes = d->bytes;
	out->files = d->count;
	out->evictions = d->evictions;
	out->corrupt = d->corrupt;
	pthread_mutex_unlock(&d->mu);
}
