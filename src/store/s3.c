/* store/s3: S3-compatible object stores (AWS S3, Cloudflare R2, MinIO, ...)
 * behind the lfs_store interface.  See store.h for the contract, s3.h for
 * the pieces, doc/s3.md for configuration.
 *
 * read   ranged GETs; a read larger than one part is split into parts that
 *        several threads fetch at once, each on its own pooled connection.
 *        The parts must agree on the object's size and ETag, so a read never
 *        mixes two versions of an object.
 * stat   HEAD; a missing key that is a prefix of other keys is a directory.
 * list   ListObjectsV2 with delimiter "/", page after page. */
#include "store/s3.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct s3_store {
	s3_config cfg;
	s3_http *http;
};

/* Keys come from manifests and listings: refuse ones that could mean
 * something else than the object they name. */
static int key_is_safe(const char *key)
{
	const char *p = key;
	if (key[0] == '/')
		return 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if ((n == 2 && p[0] == '.' && p[1] == '.') || (n == 1 && p[0] == '.'))
			return 0;
		if (!slash)
			break;
		p = slash + 1;
	}
	return 1;
}

/* The object's key in the bucket, and its name for messages. */
static int object_names(const struct s3_store *s, const char *key, char **full, char **what,
			lfs_err *err)
{
	*full = *what = NULL;
	if (!key_is_safe(key))
		return lfs_fail(err, -EINVAL, "%s: key is not a plain relative path", key);
	*full = lfs_key_join(s->cfg.prefix, key);
	if (*full)
		*what = lfs_strdup_printf("s3://%s/%s", s->cfg.bucket, *full);
	if (!*full || !*what) {
		free(*full);
		*full = NULL;
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- read ---- */

typedef struct part {
	uint64_t off;
	size_t len;
	void *dest;
	int rc;
	lfs_err err;
	size_t got;              /* bytes of this part that exist */
	int size_known;
	uint64_t object_size;
	char etag[80];
} part;

typedef struct read_job {
	struct s3_store *s;
	const char *key;         /* full key */
	const char *what;
	part *parts;
	size_t nparts;
	size_t next;             /* the next part to fetch (atomic) */
} read_job;

static void fetch_part(read_job *job, part *p)
{
	s3_request rq;
	s3_response rs;

	memset(&rq, 0, sizeof(rq));
	rq.method = "GET";
	rq.key = job->key;
	rq.ranged = 1;
	rq.range_first = p->off;
	rq.range_last = p->off + p->len - 1;
	rq.dest = p->dest;
	rq.dest_len = p->len;
	rq.what = job->what;
	p->rc = s3_http_do(job->s->http, &rq, &rs, &p->err);
	if (p->rc)
		return;
	if (rs.status == 416) {
		/* the range starts at or after the end of the object */
		p->got = 0;
		p->size_known = rs.total_known;
		p->object_size = rs.range_total;
		if (rs.total_known && rs.range_total > p->off) {
			p->rc = lfs_fail(&p->err, -EIO, "%s: HTTP 416 for bytes %llu.. of a %llu-byte object",
					 job->what, (unsigned long long)p->off,
					 (unsigned long long)rs.range_total);
		}
		return;
	}
	if (rs.status != 200 && rs.status != 206) {
		p->rc = s3_status_error(&job->s->cfg, &rq, &rs, &p->err);
		return;
	}
	p->size_known = rs.object_size_known;
	p->object_size = rs.object_size;
	memcpy(p->etag, rs.etag, sizeof(p->etag));
	if (rs.status == 206) {
		/* the answer covers [range_first, range_last] , which holds every byte of ours that exists */
		uint64_t end = rs.range_last < rq.range_last ? rs.range_last : rq.range_last;
		p->got = end >= p->off ? (size_t)(end - p->off + 1) : 0;
	} else {
		uint64_t size = rs.object_size;
		p->got = size <= p->off ? 0 : size - p->off < p->len ? (size_t)(size - p->off) : p->len;
	}
}

static void *read_worker(void *arg)
{
	read_job *job = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED);
		if (i >= job->nparts)
			break;
		fetch_part(job, &job->parts[i]);
	}
	return NULL;
}

/* Puts the parts together: errors first, then one size and one ETag for
 * all, then the bytes up to where the object ends. */
static int combine_parts(read_job *job, uint64_t off, size_t *got, lfs_err *err)
{
	const part *ref = NULL;
	size_t total = 0;
	int ended = 0;

	for (size_t i = 0; i < job->nparts; i++) {
		const part *p = &job->parts[i];
		if (p->rc) {
			if (err)
				*err = p->err;
			return p->rc;
		}
	}
	for (size_t i = 0; i < job->nparts; i++) {
		const part *p = &job->parts[i];
		if (!p->size_known)
			continue;
		if (!ref) {
			ref = p;
			continue;
		}
		if (p->object_size != ref->object_size ||
		    (p->etag[0] && ref->etag[0] && strcmp(p->etag, ref->etag) != 0)) {
			lfs_stat_add(store_errors, 1);
			lfs_error("%s: object changed while being read (size %llu, ETag %s, then %llu, %s)",
				  job->what, (unsigned long long)ref->object_size, ref->etag,
				  (unsigned long long)p->object_size, p->etag);
			return lfs_fail(err, -EIO, "%s: the object changed while it was being read",
					job->what);
		}
	}
	for (size_t i = 0; i < job->nparts; i++) {
		const part *p = &job->parts[i];
		if (ended && p->got) {
			return lfs_fail(err, -EIO, "%s: parts disagree on where the object ends at %llu",
					job->what, (unsigned long long)(off + total));
		}
		total += p->got;
		if (p->got < p->len)
			ended = 1;
	}
	*got = total;
	return 0;
}

static int s3_read(void *impl, const char *key, uint64_t off, void *buf, size_t len,
		   size_t *got, lfs_err *err)
{
	struct s3_store *s = impl;
	size_t part_size = s->cfg.part_size, nparts, nthreads;
	pthread_t threads[64];
	size_t started = 0;
	char *full, *what;
	read_job job;
	uint64_t last;
	int rc;

	*got = 0;
	if (len == 0)
		return 0;
	if (lfs_add_u64(off, len - 1, &last))
		return lfs_fail(err, -EINVAL, "%s: read past 2^64", key);
	rc = object_names(s, key, &full, &what, err);
	if (rc)
		return rc;
	/* one request up to 1.5 parts; beyond, parts of part_size */
	nparts = len <= part_size + part_size / 2 ? 1 : (len + part_size - 1) / part_size;
	memset(&job, 0, sizeof(job));
	job.s = s;
	job.key = full;
	job.what = what;
	job.nparts = nparts;
	job.parts = lfs_xcalloc(nparts, sizeof(part));
	if (!job.parts) {
		free(full);
		free(what);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < nparts; i++) {
		size_t start = nparts == 1 ? 0 : i * part_size;
		job.parts[i].off = off + start;
		job.parts[i].len = i + 1 == nparts ? len - start : part_size;
		job.parts[i].dest = (char *)buf + start;
	}
	nthreads = nparts < (size_t)s->cfg.max_parallel ? nparts : (size_t)s->cfg.max_parallel;
	if (nthreads > sizeof(threads) / sizeof(threads[0]))
		nthreads = sizeof(threads) / sizeof(threads[0]);
	/* this thread is one of the workers */
	for (size_t i = 1; i < nthreads; i++) {
		if (pthread_create(&threads[started], NULL, read_worker, &job) != 0)
			break; /* fewer threads only means slower */
		started++;
	}
	read_worker(&job);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	rc = combine_parts(&job, off, got, err);
	free(job.parts);
	free(full);
	free(what);
	return rc;
}

/* ---- list ---- */

static int entry_cmp(const void *a, const void *b)
{
	const lfs_store_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : y->is_dir - x->is_dir; /* a directory before a same-named object */
}

/* One page of a listing.  An answer that is complete HTTP but not a whole
 * list (cut short by something on the way) is asked for again, like any
 * other short body. */
static int fetch_list_page(struct s3_store *s, const s3_request *rq, const char *prefix,
			   s3_list_page *page, lfs_err *err)
{
	size_t n0 = page->n, seen0 = page->keys_seen;
	int rc;

	for (int tries = 1;; tries++) {
		s3_response rs;
		rc = s3_http_do(s->http, rq, &rs, err);
		if (rc)
			return rc;
		if (rs.status != 200)
			return s3_status_error(&s->cfg, rq, &rs, err);
		rc = s3_parse_list((const char *)rq->body->data, rq->body->len, prefix, page, err);
		if (rc == 0 || rc == -ENOMEM)
			return rc;
		/* forget what the broken page added */
		for (size_t i = n0; i < page->n; i++)
			free(page->entries[i].name);
		page->n = n0;
		page->keys_seen = seen0;
		lfs_err_prefix(err, "%s: ", rq->what);
		if (tries >= s->cfg.max_attempts) {
			lfs_stat_add(store_errors, 1);
			lfs_error("%s", err ? err->msg : "bad list answer");
			return rc;
		}
		lfs_stat_add(store_retries, 1);
		lfs_info("%s (attempt %d of %d); asking again", err ? err->msg : "bad list answer",
			 tries, s->cfg.max_attempts);
	}
}

/* Lists one level under prefix (which ends with '/' or is ""), every page. */
static int list_prefix(struct s3_store *s, const char *prefix, const char *what, int max_keys,
		       int all_pages, s3_list_page *page, lfs_err *err)
{
	char max_keys_str[16];
	char *token = NULL;
	lfs_buf body;
	int rc = 0;

	snprintf(max_keys_str, sizeof(max_keys_str), "%d", max_keys);
	lfs_buf_init(&body);
	for (unsigned pages = 0;; pages++) {
		s3_kv q[5];
		size_t nq = 0;
		s3_request rq;

		if (pages >= 1000000) { /* 10^9 keys in one directory: something loops */
			rc = lfs_fail(err, -EIO, "%s: listing does not end", what);
			break;
		}
		q[nq++] = (s3_kv){ "list-type", "2" };
		q[nq++] = (s3_kv){ "prefix", prefix };
		q[nq++] = (s3_kv){ "delimiter", "/" };
		q[nq++] = (s3_kv){ "max-keys", max_keys_str };
		if (token)
			q[nq++] = (s3_kv){ "continuation-token", token };
		memset(&rq, 0, sizeof(rq));
		rq.method = "GET";
		rq.key = "";
		rq.query = q;
		rq.nquery = nq;
		rq.body = &body;
		rq.what = what;
		rc = fetch_list_page(s, &rq, prefix, page, err);
		if (rc)
			break;
		if (!page->truncated || !all_pages)
			break;
		if (token && strcmp(token, page->next_token) == 0) {
			rc = lfs_fail(err, -EIO, "%s: the server repeats continuation token", what);
			break;
		}
		free(token);
		token = strdup(page->next_token);
		if (!token) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			break;
		}
	}
	free(token);
	lfs_buf_free(&body);
	return rc;
}

static int s3_list(void *impl, const char *dir, lfs_store_entry **out, size_t *n, lfs_err *err)
{
	struct s3_store *s = impl;
	s3_list_page page;
	char *full, *what, *prefix;
	size_t kept = 0;
	int rc;

	size_t dl = strlen(dir);
	char *trimmed;

	while (dl > 0 && dir[dl - 1] == '/')
		dl--; /* "a/" lists as "a" */
	trimmed = strndup(dir, dl);
	if (!trimmed)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = object_names(s, trimmed, &full, &what, err);
	free(trimmed);
	if (rc)
		return rc;
	prefix = *full ? lfs_strdup_printf("%s/", full) : strdup("");
	if (!prefix) {
		free(full);
		free(what);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	memset(&page, 0, sizeof(page));
	rc = list_prefix(s, prefix, what, s->cfg.list_max_keys, 1, &page, err);
	if (!rc && page.keys_seen == 0 && *prefix)
		rc = lfs_fail(err, -ENOENT, "%s: no such directory (no keys under %s)", what, prefix);
	if (!rc) {
		/* sorted by name; a name that is both an object and a prefix
		 * shows once, as the directory */
		if (page.n)
			qsort(page.entries, page.n, sizeof(*page.entries), entry_cmp);
		for (size_t i = 0; i < page.n; i++) {
			if (kept > 0 && strcmp(page.entries[kept - 1].name, page.entries[i].name) == 0) {
				free(page.entries[i].name);
				continue;
			}
			page.entries[kept++] = page.entries[i];
		}
		page.n = kept;
		*out = page.entries;
		*n = page.n;
		page.entries = NULL;
		page.n = 0;
	}
	s3_list_page_free(&page);
	free(prefix);
	free(full);
	free(what);
	return rc;
}

/* ---- stat ---- */

static int s3_stat(void *impl, const char *key, lfs_object_info *out, lfs_err *err)
{
	struct s3_store *s = impl;
	s3_request rq;
	s3_response rs;
	char *full, *what;
	int rc;

	rc = object_names(s, key, &full, &what, err);
	if (rc)
		return rc;
	if (!*key) {
		rc = lfs_fail(err, -EISDIR, "%s: the store's root is a directory", what);
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = "HEAD";
	rq.key = full;
	rq.what = what;
	rc = s3_http_do(s->http, &rq, &rs, err);
	if (rc)
		goto out;
	if (rs.status == 200) {
		out->size = rs.object_size;
		out->mtime_ns = rs.mtime_ns;
		memcpy(out->etag, rs.etag, sizeof(out->etag));
		goto out;
	}
	if (rs.status == 403 && !rs.code[0]) {
		/* A HEAD answer has no body, so no reason: ask a 1-byte GET for
		 * one (SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied). */
		s3_request g = rq;
		s3_response grs;
		lfs_err gerr;
		char byte;
		g.method = "GET";
		g.ranged = 1;
		g.range_first = g.range_last = 0;
		g.dest = &byte;
		g.dest_len = 1;
		if (s3_http_do(s->http, &g, &grs, &gerr) == 0 && grs.status == 403 && grs.code[0]) {
			rc = s3_status_error(&s->cfg, &g, &grs, err);
			goto out;
		}
	}
	rc = s3_status_error(&s->cfg, &rq, &rs, err);
	if (rc == -ENOENT) {
		/* no object, but maybe keys below it: then it is a directory */
		s3_list_page page;
		lfs_err lerr;
		char *prefix = lfs_strdup_printf("%s/", full);
		int lrc;

		if (!prefix) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		memset(&page, 0, sizeof(page));
		lrc = list_prefix(s, prefix, what, 1, 0, &page, &lerr);
		if (lrc == 0 && page.keys_seen > 0)
			rc = lfs_fail(err, -EISDIR, "%s: a directory, not an object", what);
		else if (lrc != 0 && lrc != -ENOENT)
			; /* keep the HEAD's -ENOENT; the list's trouble is its own */
		else if (lrc == -ENOENT && err)
			*err = lerr; /* NoSuchBucket says more than a bare 404 */
		s3_list_page_free(&page);
		free(prefix);
	}
out:
	free(full);
	free(what);
	return rc;
}

static void s3_close(void *impl)
{
	struct s3_store *s = impl;
	if (!s)
		return;
	s3_http_free(s->http);
	s3_config_free(&s->cfg);
	free(s);
}

static const lfs_store_ops s3_ops = {
	.read = s3_read,
	.stat = s3_stat,
	.list = s3_list,
	.close = s3_close,
};

int lfs_store_open_s3(const char *uri, const lfs_store_opts *opts, lfs_store **out, lfs_err *err)
{
	struct s3_store *s;
	char *desc;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = s3_config_load(uri, opts, &s->cfg, err);
	if (!rc)
		rc = s3_http_new(&s->cfg, &s->http, err);
	if (rc) {
		s3_close(s);
		return rc;
	}
	lfs_info("s3://%s/%s: %s, region %s, %s-style requests, credentials from %s%s%s",
		 s->cfg.bucket, s->cfg.prefix, s->cfg.base_url, s->cfg.region,
		 s->cfg.path_style ? "path" : "virtual-hosted", s->cfg.creds_source,
		 s->cfg.access_key ? ", access key id " : "",
		 s->cfg.access_key ? s->cfg.access_key : "");
	desc = *s->cfg.prefix ? lfs_strdup_printf("s3://%s/%s", s->cfg.bucket, s->cfg.prefix)
			      : lfs_strdup_printf("s3://%s", s->cfg.bucket);
	*out = desc ? lfs_store_new(&s3_ops, s, desc) : NULL;
	free(desc);
	if (!*out) {
		s3_close(s);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	return 0;
}
