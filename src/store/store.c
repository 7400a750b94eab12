/* store: the dispatching front of the object-store interface. See store.h. */
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct lfs_store {
	const lfs_store_ops *ops;
	void *impl;
	char *description;
};

lfs_store *lfs_store_new(const lfs_store_ops *ops, void *impl, const char *description)
{
	lfs_store *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ops = ops;
	s->impl = impl;
	s->description = strdup(description ? description : "");
	if (!s->description) {
		free(s);
		return NULL;
	}
	return s;
}

int lfs_store_open(const char *uri, const lfs_store_opts *opts, lfs_store **out, lfs_err *err)
{
	if (strncmp(uri, "s3://", 5) == 0)
		return lfs_store_open_s3(uri, opts, out, err);
	if (strncmp(uri, "file://", 7) == 0)
		return lfs_store_open_local(uri + 7, out, err);
	if (strstr(uri, "://"))
		return lfs_fail(err, -ENOTSUP, "%s: unsupported URI scheme (use a path, file:// or s3://)", uri);
	return lfs_store_open_local(uri, out, err);
}

int lfs_store_read(lfs_store *s, const char *key, uint64_t off, void *buf, size_t len,
		   size_t *got, lfs_err *err)
{
	*got = 0;
	if (len == 0)
		return 0;
	return s->ops->read(s->impl, key, off, buf, len, got, err);
}

int lfs_store_read_exact(lfs_store *s, const char *key, uint64_t off, void *buf, size_t len,
			 lfs_err *err)
{
	size_t got = 0;
	int rc = lfs_store_read(s, key, off, buf, len, &got, err);
	if (rc)
		return rc;
	if (got != len)
		return lfs_fail(err, -EIO, "%s: object ends at %llu, before %llu bytes at offset %llu",
				key, (unsigned long long)(off + got), (unsigned long long)len,
				(unsigned long long)off);
	return 0;
}

int lfs_store_read_all(lfs_store *s, const char *key, uint8_t **out, size_t *len, lfs_err *err)
{
	lfs_object_info info;
	uint8_t *buf;
	int rc;

	*out = NULL;
	*len = 0;
	rc = lfs_store_stat(s, key, &info, err);
	if (rc)
		return rc;
	if (info.size > (uint64_t)SIZE_MAX - 1)
		return lfs_fail(err, -EFBIG, "%s: object too large", key);
	buf = malloc(info.size + 1);
	if (!buf)
		return lfs_fail(err, -ENOMEM, "%s: out of memory for %llu bytes", key,
				(unsigned long long)info.size);
	rc = lfs_store_read_exact(s, key, 0, buf, info.size, err);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[info.size] = 0;
	*out = buf;
	*len = info.size;
	return 0;
}

int lfs_store_stat(lfs_store *s, const char *key, lfs_object_info *out, lfs_err *err)
{
	memset(out, 0, sizeof(*out));
	return s->ops->stat(s->impl, key, out, err);
}

int lfs_store_list(lfs_store *s, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err)
{
	*out = NULL;
	*n = 0;
	return s->ops->list(s->impl, dir, out, n, err);
}

void lfs_store_entries_free(lfs_store_entry *entries, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(entries[i].name);
	free(entries);
}

const char *lfs_store_description(const lfs_store *s) { return s->description; }

void lfs_store_close(lfs_store *s)
{
	if (!s)
		return;
	if (s->ops->close)
		s->ops->close(s->impl);
	free(s->description);
	free(s);
}

char *lfs_key_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 0 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 0)
		return strdup(b);
	if (*b == 0)
		return strndup(a, la);
	return lfs_strdup_printf("%.*s/%s", (int)la, a, b);
}
