/* store/local: objects are files under a root directory. See store.h. */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct local_store {
	int root_fd; /* the dataset root, opened once; keys are resolved with *at() */
	char *root;
};

/* Keys come from manifests and directory listings, which may be damaged or
 * hostile: never let one climb out of the root. */
static int key_is_safe(const char *key)
{
	const char *p = key;
	if (key[0] == '/')
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (!slash)
			break;
		p = slash + 1;
	}
	return 1;
}

static int local_read(void *impl, const char *key, uint64_t off, void *buf, size_t len,
		      size_t *got, lfs_err *err)
{
	struct local_store *ls = impl;
	size_t done = 0;
	int fd;

	if (!key_is_safe(key))
		return lfs_fail(err, -EINVAL, "%s: key escapes the dataset root", key);
	fd = openat(ls->root_fd, key, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lfs_fail(err, -errno, "%s/%s: %s", ls->root, key, strerror(errno));
	lfs_stat_add(store_requests, 1);
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			lfs_stat_add(store_errors, 1);
			return lfs_fail(err, -EIO, "%s/%s: read at %llu: %s", ls->root, key,
					(unsigned long long)(off + done), strerror(e));
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	lfs_stat_add(store_bytes, done);
	*got = done;
	return 0;
}

static void fill_info(const struct stat *st, lfs_object_info *out)
{
	out->size = (uint64_t)st->st_size;
	out->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000ll + st->st_mtim.tv_nsec;
	out->etag[0] = 0;
}

static int local_stat(void *impl, const char *key, lfs_object_info *out, lfs_err *err)
{
	struct local_store *ls = impl;
	struct stat st;

	if (!key_is_safe(key))
		return lfs_fail(err, -EINVAL, "%s: key escapes the dataset root", key);
	if (fstatat(ls->root_fd, *key ? key : ".", &st, 0) < 0)
		return lfs_fail(err, -errno, "%s/%s: %s", ls->root, key, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return lfs_fail(err, -EISDIR, "%s/%s: not a file", ls->root, key);
	fill_info(&st, out);
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const lfs_store_entry *)a)->name, ((const lfs_store_entry *)b)->name);
}

static int local_list(void *impl, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err)
{
	struct local_store *ls = impl;
	lfs_store_entry *entries = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int fd;

	if (!key_is_safe(dir))
		return lfs_fail(err, -EINVAL, "%s: key escapes the dataset root", dir);
	fd = openat(ls->root_fd, *dir ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lfs_fail(err, -errno, "%s/%s: %s", ls->root, dir, strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return lfs_fail(err, -errno, "%s/%s: %s", ls->root, dir, strerror(errno));
	}
	lfs_stat_add(store_requests, 1);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue; /* vanished while listing */
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			lfs_store_entry *p = realloc(entries, ncap * sizeof(*p));
			if (!p)
				goto oom;
			entries = p;
			cap = ncap;
		}
		memset(&entries[count], 0, sizeof(entries[count]));
		entries[count].name = strdup(de->d_name);
		if (!entries[count].name)
			goto oom;
		entries[count].is_dir = S_ISDIR(st.st_mode);
		if (!entries[count].is_dir)
			fill_info(&st, &entries[count].info);
		count++;
	}
	closedir(d);
	if (count)
		qsort(entries, count, sizeof(*entries), entry_cmp);
	*out = entries;
	*n = count;
	return 0;
oom:
	closedir(d);
	lfs_store_entries_free(entries, count);
	return lfs_fail(err, -ENOMEM, "%s/%s: out of memory listing", ls->root, dir);
}

static void local_close(void *impl)
{
	struct local_store *ls = impl;
	close(ls->root_fd);
	free(ls->root);
	free(ls);
}

static const lfs_store_ops local_ops = {
	.read = local_read,
	.stat = local_stat,
	.list = local_list,
	.close = local_close,
};

int lfs_store_open_local(const char *dir, lfs_store **out, lfs_err *err)
{
	struct local_store *ls;
	char *desc;

	*out = NULL;
	ls = calloc(1, sizeof(*ls));
	if (!ls)
		return lfs_fail(err, -ENOMEM, "out of memory");
	ls->root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ls->root_fd < 0) {
		int e = errno;
		free(ls);
		return lfs_fail(err, -e, "%s: %s", dir, strerror(e));
	}
	ls->root = realpath(dir, NULL);
	if (!ls->root)
		ls->root = strdup(dir);
	desc = lfs_strdup_printf("file://%s", ls->root);
	*out = lfs_store_new(&local_ops, ls, desc);
	free(desc);
	if (!*out) {
		local_close(ls);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	return 0;
}
