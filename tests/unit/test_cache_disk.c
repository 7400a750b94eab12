/* Unit tests of the block cache's disk tier: survives a new cache, keyed by
 * object identity, damaged files detected, budget, atomic writes. TAP. */
#include "test_cache_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "cache/disk.h"

#define BS 4096u
#define OBJ "data/d.lance"
#define SIZE (3 * BS + 500) /* four blocks, the last short */

static char dir[256];

/* Every block file under DIR/blocks, in no particular order. */
static int list_blocks(char paths[][512], int max)
{
	int n = 0;
	for (int i = 0; i < 256; i++) {
		char sub[300];
		struct dirent *de;
		DIR *d;
		snprintf(sub, sizeof(sub), "%s/blocks/%02x", dir, i);
		d = opendir(sub);
		if (!d)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			if (n < max)
				if (snprintf(paths[n], 512, "%s/%s", sub, de->d_name) >= 512)
					paths[n][0] = 0;
			n++;
		}
		closedir(d);
	}
	return n;
}

static int count_dir(const char *sub)
{
	char path[300];
	struct dirent *de;
	int n = 0;
	DIR *d;
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The file holding a block: the one whose header names that index. */
static int find_block_file(uint64_t index, char *out)
{
	char paths[64][512];
	int n = list_blocks(paths, 64);
	for (int i = 0; i < n && i < 64; i++) {
		uint8_t h[LFS_DISK_HEADER_LEN];
		int fd = open(paths[i], O_RDONLY);
		int good = fd >= 0 && pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h);
		if (fd >= 0)
			close(fd);
		if (good && lfs_le64(h + 8) == index) {
			memcpy(out, paths[i], 512);
			return 1;
		}
	}
	return 0;
}

/* Starts a test on an empty cache directory. */
static void reset_dir(void)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not empty %s\n", dir);
}

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b = 0;
	if (pread(fd, &b, 1, off) != 1)
		printf("# cannot read %s\n", path);
	b ^= 0x40;
	if (pwrite(fd, &b, 1, off) != 1)
		printf("# cannot write %s\n", path);
	close(fd);
}

static void test_survives(struct mstore *ms)
{
	lfs_store *c = new_cache(ms, BS, 1 << 20, 0, dir, 0), *c2;
	char paths[16][512];
	lfs_cache_stats st;
	uint64_t r0;
	lfs_err err;
	lfs_cache_opts opts;
	lfs_store *backing;

	ms_put(ms, OBJ, SIZE, 1, "etag-1");
	ok(c != NULL, "cache with a disk tier in %s", dir);
	ok(read_check(c, OBJ, 0, SIZE, 1, SIZE), "first read");
	st = cstats(c);
	ok(st.misses == 4 && st.bytes_disk == 4 * LFS_DISK_HEADER_LEN + SIZE,
	   "four blocks written to disk (%llu bytes)", (unsigned long long)st.bytes_disk);
	ok(list_blocks(paths, 16) == 4 && count_dir("tmp") == 0, "four block files, no temp files left");
	ok(lfs_stat_get(cache_bytes_disk) == st.bytes_disk, "cache_bytes_disk counts them");

	/* A second process on the same directory is refused. */
	backing = lfs_store_new(&ms_ops, ms, "mem://test");
	lfs_cache_opts_init(&opts);
	opts.block_size = BS;
	opts.disk_dir = dir;
	c2 = NULL;
	ok(lfs_cache_new(backing, &opts, &c2, &err) == -EBUSY && !c2,
	   "a directory in use is refused: %s", err.msg);
	lfs_store_close(backing);
	lfs_store_close(c);
	ok(lfs_stat_get(cache_bytes_disk) == 0, "closing forgets the disk bytes");

	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE, 1, SIZE), "a new cache over the same directory");
	st = cstats(c);
	ok(ms_get(ms, &ms->reads) == r0 && st.hits_disk == 4 && st.misses == 0,
	   "served with zero backing reads (%llu disk hits)", (unsigned long long)st.hits_disk);
	ok(st.bytes_disk == 4 * LFS_DISK_HEADER_LEN + SIZE, "the scan found every file");
	ok(read_check(c, OBJ, 100, 5000, 1, 5000) && cstats(c).hits_mem == 2,
	   "then from memory");
	lfs_store_close(c);

	/* Another block size names other files: nothing wrong is served. */
	c = new_cache(ms, 2 * BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE, 1, SIZE) && ms_get(ms, &ms->reads) == r0 + 1 &&
	   cstats(c).disk_corrupt == 0, "a different block size does not reuse the files");
	lfs_store_close(c);
}

static void test_changed(struct mstore *ms)
{
	lfs_store *c;
	uint64_t r0;

	/* Same size, new ETag and bytes. */
	ms_put(ms, OBJ, SIZE, 2, "etag-2");
	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE, 2, SIZE), "an object with a new ETag reads its new bytes");
	ok(ms_get(ms, &ms->reads) > r0 && cstats(c).hits_disk == 0, "fetched, not served from disk");
	lfs_store_close(c);

	/* New size. */
	ms_put(ms, OBJ, SIZE + 7, 3, "etag-2");
	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE + 7, 3, SIZE + 7) && ms_get(ms, &ms->reads) > r0 &&
	   cstats(c).hits_disk == 0, "an object with a new size is fetched again");
	lfs_store_close(c);

	/* Same size and ETag but a new mtime (a local file rewritten). */
	ms_put(ms, OBJ, SIZE + 7, 4, "etag-2");
	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE + 7, 4, SIZE + 7) && ms_get(ms, &ms->reads) > r0,
	   "an object with a new mtime is fetched again");
	lfs_store_close(c);
}

static void test_corrupt(struct mstore *ms)
{
	lfs_store *c;
	char path[512];
	uint64_t r0;
	struct stat st;

	reset_dir();
	ms_put(ms, OBJ, SIZE, 5, "etag-5");
	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	ok(read_check(c, OBJ, 0, SIZE, 5, SIZE), "fill the disk tier");
	lfs_store_close(c);

	/* a data byte of block 1 */
	ok(find_block_file(1, path), "found block 1's file");
	flip_byte(path, LFS_DISK_HEADER_LEN + 1000);
	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE, 5, SIZE), "a flipped data byte: the bytes are still right");
	ok(ms_get(ms, &ms->reads) == r0 + 1 && ms->log_off[r0] == BS && ms->log_len[r0] == BS &&
	   cstats(c).disk_corrupt == 1 && cstats(c).hits_disk == 3,
	   "the damaged block alone was detected and fetched again");
	lfs_store_close(c);
	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE, 5, SIZE) && ms_get(ms, &ms->reads) == r0,
	   "and written again: the next cache needs no backing read");
	lfs_store_close(c);

	/* a header byte (the block index) of block 3, and block 2 truncated */
	ok(find_block_file(3, path), "found block 3's file");
	flip_byte(path, 9);
	ok(find_block_file(2, path) && stat(path, &st) == 0 && truncate(path, st.st_size - 1) == 0,
	   "truncated block 2's file");
	c = new_cache(ms, BS, 1 << 20, 0, dir, 0);
	r0 = ms_get(ms, &ms->reads);
	ok(read_check(c, OBJ, 0, SIZE, 5, SIZE), "damaged header and short file: right bytes");
	ok(ms_get(ms, &ms->reads) == r0 + 1 && ms->log_off[r0] == 2 * BS &&
	   ms->log_len[r0] == SIZE - 2 * BS && cstats(c).disk_corrupt == 2,
	   "both detected; the two blocks fetched in one request");
	lfs_store_close(c);
}

static void test_budget(struct mstore *ms)
{
	const uint64_t budget = 5 * (BS + LFS_DISK_HEADER_LEN);
	char paths[64][512];
	lfs_cache_stats st;
	lfs_store *c;
	int n;

	reset_dir();
	ms_put(ms, "data/big", 12 * BS, 6, "");
	c = new_cache(ms, BS, 1 << 20, 0, dir, budget);
	ok(read_check(c, "data/big", 0, 12 * BS, 6, 12 * BS), "twelve blocks through a 5-block disk budget");
	st = cstats(c);
	n = list_blocks(paths, 64);
	ok(st.bytes_disk <= budget && st.evictions_disk > 0,
	   "the disk tier stays under its budget (%llu of %llu bytes, %llu evictions)",
	   (unsigned long long)st.bytes_disk, (unsigned long long)budget,
	   (unsigned long long)st.evictions_disk);
	ok(n == 5, "five files remain on disk (%d)", n);
	lfs_store_close(c);

	/* The newest blocks survived: a new cache serves them from disk. */
	c = new_cache(ms, BS, 1 << 20, 0, dir, budget);
	ok(read_check(c, "data/big", 7 * BS, 5 * BS, 6, 5 * BS) && cstats(c).hits_disk == 5 &&
	   cstats(c).misses == 0, "the most recently used five are the ones kept");
	lfs_store_close(c);
}

/* Concurrent readers over the disk tier: all bytes right, files valid. */
struct par_arg {
	lfs_store *c;
	int id;
	int good;
};

static void *par_main(void *p)
{
	struct par_arg *a = p;
	for (int round = 0; round < 3; round++)
		for (unsigned i = 0; i < 12; i++) {
			unsigned b = (i * 5 + (unsigned)a->id) % 12;
			a->good &= read_check(a->c, "data/big", b * BS + 3, BS, 6, b == 11 ? BS - 3 : BS);
		}
	return NULL;
}

static void test_parallel(struct mstore *ms)
{
	enum { N = 8 };
	struct par_arg a[N];
	pthread_t t[N];
	lfs_store *c = new_cache(ms, BS, 6 * BS, 4, dir, 8 * (BS + LFS_DISK_HEADER_LEN));
	int good = 1;

	for (int i = 0; i < N; i++) {
		a[i] = (struct par_arg){ .c = c, .id = i, .good = 1 };
		pthread_create(&t[i], NULL, par_main, &a[i]);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		good &= a[i].good;
	}
	lfs_cache_drain(c);
	ok(good && cstats(c).disk_corrupt == 0 && cstats(c).bytes_mem_peak <= 6 * BS,
	   "%d threads over small memory and disk budgets", N);
	lfs_store_close(c);
}

int main(void)
{
	struct mstore ms;
	char cmd[300];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/lancefs-cache-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	strcat(dir, "/cache"); /* created by the cache itself */
	ms_init(&ms);
	test_survives(&ms);
	test_changed(&ms);
	test_corrupt(&ms);
	test_budget(&ms);
	test_parallel(&ms);
	ms_free(&ms);
	dir[strlen(dir) - strlen("/cache")] = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
