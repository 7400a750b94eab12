/* fs/query: the files of query/ — text written by users, results read
 * back.  See fs_impl.h.  The search itself is search/'s; running it is
 * fs.c's (it knows the tables). */
#include "fs/fs_impl.h"
#include "search/search.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct lfs_qfile {
	int refs;               /* under the directory's lock */
	char *name;
	pthread_mutex_t lock;   /* guards the buffers and the state */
	lfs_buf text;           /* what was written */
	lfs_buf results;        /* what reads back once run */
	int ran;                /* results match text */
	struct lfs_qfile *next;
};

struct lfs_qdir {
	pthread_mutex_t lock;
	lfs_qfile *files;
};

lfs_qdir *lfs_qdir_new(void)
{
	lfs_qdir *d = calloc(1, sizeof(*d));
	if (d)
		pthread_mutex_init(&d->lock, NULL);
	return d;
}

static void qfile_free(lfs_qfile *f)
{
	lfs_buf_free(&f->text);
	lfs_buf_free(&f->results);
	pthread_mutex_destroy(&f->lock);
	free(f->name);
	free(f);
}

void lfs_qdir_free(lfs_qdir *d)
{
	if (!d)
		return;
	lfs_qfile *f = d->files;
	while (f) {
		lfs_qfile *next = f->next;
		lfs_qfile_release(f);
		f = next;
	}
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* Files unlinked while open are freed by their last release; they no
 * longer point back at a directory. */
void lfs_qfile_release(lfs_qfile *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
		qfile_free(f);
}

lfs_qfile *lfs_qdir_get(lfs_qdir *d, const char *name)
{
	lfs_qfile *f;
	pthread_mutex_lock(&d->lock);
	for (f = d->files; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			break;
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&d->lock);
	return f;
}

lfs_qfile *lfs_qdir_create(lfs_qdir *d, const char *name)
{
	lfs_qfile *f = lfs_qdir_get(d, name);
	if (f) {
		lfs_qfile_truncate(f, 0);
		return f;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->name = strdup(name))) {
		free(f);
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	lfs_buf_init(&f->text);
	lfs_buf_init(&f->results);
	f->refs = 2; /* the directory's and the caller's */
	pthread_mutex_lock(&d->lock);
	for (lfs_qfile *g = d->files; g; g = g->next) {
		if (strcmp(g->name, name) == 0) { /* created meanwhile by another thread */
			__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&d->lock);
			qfile_free(f);
			lfs_qfile_truncate(g, 0);
			return g;
		}
	}
	f->next = d->files;
	d->files = f;
	pthread_mutex_unlock(&d->lock);
	return f;
}

int lfs_qdir_unlink(lfs_qdir *d, const char *name)
{
	lfs_qfile **p, *f = NULL;
	pthread_mutex_lock(&d->lock);
	for (p = &d->files; *p; p = &(*p)->next) {
		if (strcmp((*p)->name, name) == 0) {
			f = *p;
			*p = f->next;
			break;
		}
	}
	pthread_mutex_unlock(&d->lock);
	if (!f)
		return -ENOENT;
	lfs_qfile_release(f);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lfs_qdir_list(lfs_qdir *d, char ***names, size_t *n)
{
	size_t count = 0, i = 0;
	pthread_mutex_lock(&d->lock);
	for (lfs_qfile *f = d->files; f; f = f->next)
		count++;
	*names = calloc(count ? count : 1, sizeof(char *));
	for (lfs_qfile *f = d->files; *names && f; f = f->next)
		if (((*names)[i] = strdup(f->name)) != NULL)
			i++;
	pthread_mutex_unlock(&d->lock);
	if (!*names)
		return -ENOMEM;
	qsort(*names, i, sizeof(char *), cmp_name);
	*n = i;
	return 0;
}

uint64_t lfs_qfile_size(lfs_qfile *f)
{
	pthread_mutex_lock(&f->lock);
	uint64_t n = f->ran ? f->results.len : f->text.len;
	pthread_mutex_unlock(&f->lock);
	return n;
}

int lfs_qfile_truncate(lfs_qfile *f, uint64_t size)
{
	int rc = 0;
	pthread_mutex_lock(&f->lock);
	if (size <= f->text.len)
		f->text.len = (size_t)size;
	else
		rc = -EINVAL; /* growing a query by truncate makes no sense */
	f->ran = 0;
	lfs_buf_free(&f->results);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

#define QUERY_MAX (64u << 20) /* a query with a long vector is still far smaller */

int lfs_qfile_write(lfs_qfile *f, const void *data, size_t len, uint64_t off)
{
	int rc = 0;
	if (off > QUERY_MAX || len > QUERY_MAX - off)
		return -EFBIG;
	pthread_mutex_lock(&f->lock);
	if (off + len > f->text.len) {
		rc = lfs_buf_reserve(&f->text, (size_t)(off + len - f->text.len) + 1);
		if (!rc) {
			if (off > f->text.len)
				memset(f->text.data + f->text.len, ' ', (size_t)off - f->text.len);
			f->text.len = (size_t)(off + len);
		}
	}
	if (!rc) {
		memcpy(f->text.data + off, data, len);
		f->ran = 0;
		lfs_buf_free(&f->results);
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int lfs_qfile_read(lfs_qfile *f, uint64_t off, size_t len, void *buf, size_t *got)
{
	pthread_mutex_lock(&f->lock);
	const lfs_buf *b = f->ran ? &f->results : &f->text;
	*got = 0;
	if (off < b->len) {
		*got = b->len - (size_t)off < len ? b->len - (size_t)off : len;
		memcpy(buf, b->data + off, *got);
	}
	pthread_mutex_unlock(&f->lock);
	return 0;
}

int lfs_qfile_run(lfs_qfile *f, lfs_qfile_runner run, void *ctx)
{
	lfs_buf results;
	lfs_err err = { "" };
	int rc;

	/* The lock is held while the query runs: readers of this file wait for
	 * its results, other files go on. */
	pthread_mutex_lock(&f->lock);
	if (f->ran) {
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	lfs_buf_init(&results);
	rc = run(ctx, f->text.data ? (const char *)f->text.data : "", f->text.len, &results, &err);
	if (rc) {
		lfs_buf_free(&results);
		lfs_buf_init(&results);
		if (lfs_query_error_line(&results, err.msg[0] ? err.msg : "the query failed"))
			rc = -ENOMEM;
	}
	lfs_buf_free(&f->results);
	f->results = results;
	f->ran = 1;
	pthread_mutex_unlock(&f->lock);
	return rc;
}
