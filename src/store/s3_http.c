/* store/s3_http: requests to S3 with libcurl.  See s3.h.
 *
 * Connections: a pool of curl easy handles.  A handle keeps its connections
 * alive between requests (curl_easy_reset leaves them), so taking one from
 * the pool usually means reusing a warm connection.  All handles share one
 * DNS cache and one TLS session cache through a CURLSH.  Any thread may take
 * a handle; one handle serves one request at a time.
 *
 * Every attempt is signed anew (x-amz-date moves on).  Transient failures —
 * 500, 502, 503, 504, 429, 408, resets, timeouts, stalled transfers, and
 * bodies shorter than their Content-Length or their range — are retried after
 * a random pause between 0 and min(cap, base * 2^n) ("full jitter").  A body
 * is never handed up unless every byte of it arrived. */
#include "config.h"
#include "store/s3.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#define POOL_MAX 64
#define ERROR_BODY_MAX (64u << 10)    /* error answers are short; keep this much */
#define LIST_BODY_MAX (64u << 20)     /* a list page of 1000 keys is far below */

struct s3_http {
	const s3_config *cfg;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];
	size_t npool;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

static void share_lock(CURL *handle, curl_lock_data data, curl_lock_access access, void *userp)
{
	s3_http *h = userp;
	(void)handle;
	(void)access;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&h->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userp)
{
	s3_http *h = userp;
	(void)handle;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&h->share_locks[data]);
}

int s3_http_new(const s3_config *cfg, s3_http **out, lfs_err *err)
{
	s3_http *h;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc)
		return lfs_fail(err, -EIO, "libcurl failed to initialize");
	h = calloc(1, sizeof(*h));
	if (!h)
		return lfs_fail(err, -ENOMEM, "out of memory");
	h->cfg = cfg;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->share_locks[i], NULL);
	pthread_mutex_init(&h->pool_lock, NULL);
	h->share = curl_share_init();
	if (!h->share) {
		s3_http_free(h);
		return lfs_fail(err, -ENOMEM, "out of memory (curl share)");
	}
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = h;
	return 0;
}

void s3_http_free(s3_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	if (h->share)
		curl_share_cleanup(h->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->share_locks[i]);
	pthread_mutex_destroy(&h->pool_lock);
	free(h);
}

static CURL *handle_get(s3_http *h)
{
	CURL *c = NULL;
	pthread_mutex_lock(&h->pool_lock);
	if (h->npool > 0)
		c = h->pool[--h->npool];
	pthread_mutex_unlock(&h->pool_lock);
	return c ? c : curl_easy_init();
}

/* A handle goes back with its live connection, unless the pool is full or
 * the transfer failed (then the connection may be in any state). */
static void handle_put(s3_http *h, CURL *c, int healthy)
{
	if (!c)
		return;
	pthread_mutex_lock(&h->pool_lock);
	if (healthy && h->npool < POOL_MAX) {
		h->pool[h->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->pool_lock);
	if (c)
		curl_easy_cleanup(c);
}

/* ---- one transfer ---- */

typedef struct xfer {
	const s3_request *rq;
	s3_response *rs;
	lfs_buf errbody;       /* the body of a non-2xx answer, up to ERROR_BODY_MAX */
	int body_started;
	uint64_t body_pos;     /* object offset of the next body byte */
	int protocol_error;    /* the answer made no sense (e.g. 206 without Content-Range) */
	int too_large;         /* a collected body went past its limit */
} xfer;

static int is_2xx(long status) { return status >= 200 && status < 300; }

/* Content-Range: "bytes FIRST-LAST/TOTAL"; TOTAL is '*' when unknown, and a 416 has '*' in place of FIRST-LAST. */
static void parse_content_range(const char *v, s3_response *rs)
{
	unsigned long long a, b, t;
	char star[2];

	while (*v == ' ')
		v++;
	if (strncasecmp(v, "bytes", 5) != 0)
		return;
	v += 5;
	while (*v == ' ' || *v == '=')
		v++;
	if (sscanf(v, "%llu-%llu/%llu", &a, &b, &t) == 3 && a <= b && b < t) {
		rs->has_range = 1;
		rs->range_first = a;
		rs->range_last = b;
		rs->range_total = t;
		rs->total_known = 1;
	} else if (sscanf(v, "%llu-%llu/%1[*]", &a, &b, star) == 3 && a <= b) {
		rs->has_range = 1;
		rs->range_first = a;
		rs->range_last = b;
	} else if (sscanf(v, "*/%llu", &t) == 1) {
		rs->range_total = t;
		rs->total_known = 1;
	}
}

static void copy_header_value(char *dst, size_t size, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = 0;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
	xfer *x = userp;
	s3_response *rs = x->rs;
	size_t n = size * nitems, len = n;
	char value[256];
	const char *colon;

	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* a new answer (after a 100 Continue, say): forget the last one */
		const char *sp = memchr(data, ' ', len);
		long status = sp ? strtol(sp + 1, NULL, 10) : 0;
		memset(rs, 0, sizeof(*rs));
		rs->status = status;
		return n;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return n;
	copy_header_value(value, sizeof(value), colon + 1, len - (size_t)(colon + 1 - data));
#define IS(name) ((size_t)(colon - data) == strlen(name) && strncasecmp(data, name, strlen(name)) == 0)
	if (IS("content-length")) {
		char *e;
		unsigned long long v = strtoull(value, &e, 10);
		if (*value && !*e && value[0] != '-') {
			rs->has_length = 1;
			rs->length = v;
		}
	} else if (IS("content-range")) {
		parse_content_range(value, rs);
	} else if (IS("etag")) {
		size_t vl = strlen(value);
		const char *v = value;
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v++;
			vl -= 2;
		}
		copy_header_value(rs->etag, sizeof(rs->etag), v, vl);
	} else if (IS("last-modified")) {
		time_t t = curl_getdate(value, NULL);
		/* 0 ("unknown") for no date or one past what ns since 1970 can hold */
		rs->mtime_ns = t > 0 && (int64_t)t < INT64_MAX / 1000000000ll ? (int64_t)t * 1000000000ll : 0;
	} else if (IS("x-amz-bucket-region")) {
		copy_header_value(rs->bucket_region, sizeof(rs->bucket_region), value, strlen(value));
	}
#undef IS
	return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	xfer *x = userp;
	const s3_request *rq = x->rq;
	s3_response *rs = x->rs;
	size_t n = size * nmemb;

	if (!is_2xx(rs->status)) {
		size_t room = ERROR_BODY_MAX > x->errbody.len ? ERROR_BODY_MAX - x->errbody.len : 0;
		if (lfs_buf_append(&x->errbody, data, n < room ? n : room))
			return 0;
		rs->received += n;
		return n;
	}
	if (rq->dest) {
		if (!x->body_started) {
			x->body_started = 1;
			if (rs->status == 206 && rs->has_range) {
				x->body_pos = rs->range_first;
			} else if (rs->status == 200) {
				x->body_pos = 0; /* the server sent the whole object */
			} else {
				x->protocol_error = 1;
				return 0;
			}
		}
		/* copy what falls inside [range_first, range_first + dest_len) */
		uint64_t want_first = rq->range_first, want_end = rq->range_first + rq->dest_len;
		uint64_t got_first = x->body_pos, got_end = x->body_pos + n;
		uint64_t lo = got_first > want_first ? got_first : want_first;
		uint64_t hi = got_end < want_end ? got_end : want_end;
		if (lo < hi)
			memcpy((char *)rq->dest + (lo - want_first), data + (lo - got_first),
			       (size_t)(hi - lo));
		x->body_pos += n;
	} else if (rq->body) {
		if (rq->body->len + n > LIST_BODY_MAX) {
			x->too_large = 1;
			return 0;
		}
		if (lfs_buf_append(rq->body, data, n))
			return 0;
	}
	rs->received += n;
	lfs_stat_add(store_bytes, n);
	return n;
}

/* ---- signing and sending ---- */

static int build_path(lfs_buf *b, const s3_config *cfg, const char *key)
{
	int rc = lfs_buf_puts(b, cfg->base_path);
	if (!rc && key && *key) {
		rc = lfs_buf_putc(b, '/');
		if (!rc)
			rc = s3_uri_encode(b, key, 1);
	} else if (!rc && b->len == 0) {
		rc = lfs_buf_putc(b, '/');
	}
	if (!rc)
		rc = lfs_buf_putc(b, 0);
	if (!rc)
		b->len--;
	return rc;
}

static struct curl_slist *add_header(struct curl_slist *list, int *failed, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static struct curl_slist *add_header(struct curl_slist *list, int *failed, const char *fmt, ...)
{
	char line[2048];
	struct curl_slist *l;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		*failed = 1;
		return list;
	}
	l = curl_slist_append(list, line);
	if (!l) {
		*failed = 1;
		return list;
	}
	return l;
}

/* The headers of one attempt, Authorization included. */
static int make_headers(const s3_config *cfg, const s3_request *rq, const char *path,
			struct curl_slist **out)
{
	char date[17], range[64];
	s3_kv hs[5];
	size_t nh = 0;
	int failed = 0;
	struct curl_slist *list = NULL;

	s3_amz_date(time(NULL), date);
	if (rq->ranged)
		snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)rq->range_first,
			 (unsigned long long)rq->range_last);
	list = add_header(list, &failed, "Host: %s", cfg->host);
	list = add_header(list, &failed, "Accept:"); /* curl's default adds nothing S3 needs */
	if (rq->ranged)
		list = add_header(list, &failed, "Range: %s", range);
	if (!cfg->anonymous) {
		lfs_buf auth;
		s3_sign_req sr;

		hs[nh++] = (s3_kv){ "host", cfg->host };
		hs[nh++] = (s3_kv){ "x-amz-content-sha256", S3_EMPTY_SHA256 };
		hs[nh++] = (s3_kv){ "x-amz-date", date };
		if (cfg->session_token)
			hs[nh++] = (s3_kv){ "x-amz-security-token", cfg->session_token };
		if (rq->ranged)
			hs[nh++] = (s3_kv){ "range", range };
		memset(&sr, 0, sizeof(sr));
		sr.method = rq->method;
		sr.canonical_uri = path;
		sr.query = rq->query;
		sr.nquery = rq->nquery;
		sr.headers = hs;
		sr.nheaders = nh;
		sr.payload_hash = S3_EMPTY_SHA256;
		sr.amz_date = date;
		sr.region = cfg->region;
		sr.service = "s3";
		lfs_buf_init(&auth);
		if (s3_sign(&auth, &sr, cfg->access_key, cfg->secret_key)) {
			lfs_buf_free(&auth);
			curl_slist_free_all(list);
			return -ENOMEM;
		}
		list = add_header(list, &failed, "x-amz-content-sha256: %s", S3_EMPTY_SHA256);
		list = add_header(list, &failed, "x-amz-date: %s", date);
		if (cfg->session_token)
			list = add_header(list, &failed, "x-amz-security-token: %s", cfg->session_token);
		list = add_header(list, &failed, "Authorization: %.*s", (int)auth.len,
				  (const char *)auth.data);
		lfs_buf_free(&auth);
	}
	if (failed) {
		curl_slist_free_all(list);
		return -ENOMEM;
	}
	*out = list;
	return 0;
}

/* What one attempt came to. */
enum outcome { DONE, RETRY, FAIL };

static int retryable_status(long status, const char *code)
{
	if (status == 500 || status == 502 || status == 503 || status == 504 || status == 429 ||
	    status == 408)
		return 1;
	/* S3 says 400 RequestTimeout when the client was too slow: try again */
	return status == 400 && (strcmp(code, "RequestTimeout") == 0 ||
				 strcmp(code, "SlowDown") == 0);
}

static int retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_FUNCTION_NOT_FOUND:
	case CURLE_TOO_MANY_REDIRECTS:
		return 0;
	default:
		return 1;
	}
}

/* Checks that a 2xx answer brought every byte it promised. */
static int body_complete(const s3_request *rq, s3_response *rs, char *why, size_t why_size)
{
	if (strcmp(rq->method, "HEAD") == 0) {
		if (!rs->has_length) {
			snprintf(why, why_size, "HEAD answer without Content-Length");
			return 0;
		}
		rs->object_size = rs->length;
		rs->object_size_known = 1;
		return 1;
	}
	if (rs->has_length && rs->received != rs->length) {
		snprintf(why, why_size, "short body: %llu of %llu bytes (Content-Length)",
			 (unsigned long long)rs->received, (unsigned long long)rs->length);
		return 0;
	}
	if (!rq->dest)
		return 1;
	if (rs->status == 206) {
		uint64_t body_len = rs->range_last - rs->range_first + 1;
		if (!rs->has_range || rs->range_first > rq->range_first) {
			snprintf(why, why_size, "206 answer without the asked range's start");
			return 0;
		}
		if (rs->received != body_len) {
			snprintf(why, why_size, "short body: %llu of %llu bytes (Content-Range)",
				 (unsigned long long)rs->received, (unsigned long long)body_len);
			return 0;
		}
		/* A range may cover more than was asked (on_body keeps only what
		 * was); less only where the object ends. */
		if (rs->range_last < rq->range_last &&
		    (!rs->total_known || rs->range_last + 1 != rs->range_total)) {
			snprintf(why, why_size, "short range: bytes %llu-%llu of %llu-%llu",
				 (unsigned long long)rs->range_first, (unsigned long long)rs->range_last,
				 (unsigned long long)rq->range_first, (unsigned long long)rq->range_last);
			return 0;
		}
		if (rs->total_known) {
			rs->object_size = rs->range_total;
			rs->object_size_known = 1;
		}
		return 1;
	}
	if (rs->status == 200) {
		/* the whole object: without Content-Length, curl vouches for the end */
		rs->object_size = rs->received;
		rs->object_size_known = 1;
		return 1;
	}
	snprintf(why, why_size, "unexpected HTTP %ld for a ranged GET", rs->status);
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Full jitter: uniform in [0, min(cap, base * 2^(retry-1))]. */
static unsigned backoff_ms(const s3_config *cfg, int retry)
{
	static __thread uint64_t rng;
	uint64_t ceiling = cfg->backoff_base_ms;

	if (!rng)
		rng = lfs_now_ns() ^ ((uint64_t)(uintptr_t)&rng << 17) ^ 0x9E3779B97F4A7C15ull;
	for (int i = 1; i < retry && ceiling < cfg->backoff_cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cfg->backoff_cap_ms)
		ceiling = cfg->backoff_cap_ms;
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % (ceiling + 1));
}

static enum outcome attempt(s3_http *h, const s3_request *rq, s3_response *rs, const char *url,
			    const char *path, char *why, size_t why_size)
{
	const s3_config *cfg = h->cfg;
	struct curl_slist *headers = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURLcode cc;
	xfer x;
	CURL *c;
	enum outcome out;
	int head = strcmp(rq->method, "HEAD") == 0;

	memset(rs, 0, sizeof(*rs));
	memset(&x, 0, sizeof(x));
	x.rq = rq;
	x.rs = rs;
	lfs_buf_init(&x.errbody);
	if (rq->body)
		rq->body->len = 0;
	if (make_headers(cfg, rq, path, &headers)) {
		snprintf(why, why_size, "out of memory");
		return FAIL;
	}
	c = handle_get(h);
	if (!c) {
		curl_slist_free_all(headers);
		snprintf(why, why_size, "out of memory (curl handle)");
		return FAIL;
	}
	curl_easy_reset(c);
	errbuf[0] = 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* keys may hold "." segments */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cfg->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, cfg->low_speed_time_s);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "lancefs/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	if (head)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);

	lfs_stat_add(store_requests, 1);
	lfs_stat_add(store_inflight, 1);
	cc = curl_easy_perform(c);
	lfs_stat_sub(store_inflight, 1);
	lfs_debug("%s %s -> %s %ld, %llu bytes", rq->method, rq->what,
		  cc == CURLE_OK ? "HTTP" : curl_easy_strerror(cc), rs->status,
		  (unsigned long long)rs->received);

	if (x.too_large) {
		snprintf(why, why_size, "answer larger than %u bytes", LIST_BODY_MAX);
		out = FAIL;
	} else if (x.protocol_error) {
		snprintf(why, why_size, "HTTP %ld answer without a usable Content-Range", rs->status);
		out = RETRY;
	} else if (cc != CURLE_OK) {
		snprintf(why, why_size, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		out = retryable_curl(cc) ? RETRY : FAIL;
	} else if (is_2xx(rs->status)) {
		out = body_complete(rq, rs, why, why_size) ? DONE : RETRY;
	} else {
		s3_parse_error((const char *)x.errbody.data, x.errbody.len, rs->code,
			       sizeof(rs->code), rs->message, sizeof(rs->message));
		if (retryable_status(rs->status, rs->code)) {
			snprintf(why, why_size, "HTTP %ld%s%s%s%s", rs->status, rs->code[0] ? " " : "",
				 rs->code, rs->message[0] ? ": " : "", rs->message);
			out = RETRY;
		} else {
			out = DONE; /* a final answer for the caller to read */
		}
	}
	lfs_buf_free(&x.errbody);
	curl_slist_free_all(headers);
	/* keep the connection unless the transfer broke or its framing is in
	 * doubt (a short body); an error answer that arrived whole is fine */
	handle_put(h, c,
		   cc == CURLE_OK && !x.protocol_error &&
			   (out == DONE || (out == RETRY && !is_2xx(rs->status))));
	return out;
}

int s3_http_do(s3_http *h, const s3_request *rq, s3_response *rs, lfs_err *err)
{
	const s3_config *cfg = h->cfg;
	lfs_buf path, url;
	char why[512] = "";
	int rc = 0, tries = 0;
	enum outcome out = FAIL;

	lfs_buf_init(&path);
	lfs_buf_init(&url);
	if (build_path(&path, cfg, rq->key) ||
	    lfs_buf_printf(&url, "%s://%s%s", cfg->scheme, cfg->host, (const char *)path.data) ||
	    (rq->nquery && (lfs_buf_putc(&url, '?') || s3_canonical_query(&url, rq->query, rq->nquery))) ||
	    lfs_buf_putc(&url, 0)) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	while (tries < cfg->max_attempts) {
		if (tries > 0) {
			lfs_stat_add(store_retries, 1);
			lfs_info("%s: %s failed (%s); retrying (attempt %d of %d)", rq->what, rq->method,
				 why, tries + 1, cfg->max_attempts);
			sleep_ms(backoff_ms(cfg, tries));
		}
		tries++;
		out = attempt(h, rq, rs, (const char *)url.data, (const char *)path.data, why,
			      sizeof(why));
		if (out != RETRY)
			break;
	}
	if (out == DONE) {
		rc = 0;
	} else {
		lfs_stat_add(store_errors, 1);
		if (out == RETRY)
			rc = lfs_fail(err, -EIO, "%s: %s failed after %d attempts: %s", rq->what,
				      rq->method, tries, why);
		else
			rc = lfs_fail(err, -EIO, "%s: %s failed: %s", rq->what, rq->method, why);
		lfs_error("%s", err ? err->msg : why);
	}
out:
	lfs_buf_free(&path);
	lfs_buf_free(&url);
	return rc;
}

int s3_status_error(const s3_config *cfg, const s3_request *rq, const s3_response *rs,
		    lfs_err *err)
{
	const char *code = rs->code, *msg = rs->message;
	char detail[400];
	int rc;

	snprintf(detail, sizeof(detail), "HTTP %ld%s%s%s%s", rs->status, code[0] ? " " : "", code,
		 msg[0] ? ": " : "", msg);
	if (rs->status == 404) {
		if (strcmp(code, "NoSuchBucket") == 0)
			return lfs_fail(err, -ENOENT, "%s: bucket \"%s\" does not exist at %s (%s)",
					rq->what, cfg->bucket, cfg->endpoint ? cfg->endpoint : "AWS",
					detail);
		return lfs_fail(err, -ENOENT, "%s: no such object (%s)", rq->what,
				code[0] ? detail : "HTTP 404");
	}
	lfs_stat_add(store_errors, 1);
	if (rs->bucket_region[0] && strcmp(rs->bucket_region, cfg->region) != 0) {
		rc = lfs_fail(err, -EIO,
			      "%s: the bucket is in region %s, not %s: use --region %s or "
			      "AWS_REGION=%s (%s)",
			      rq->what, rs->bucket_region, cfg->region, rs->bucket_region,
			      rs->bucket_region, detail);
	} else if (rs->status == 403) {
		if (strcmp(code, "RequestTimeTooSkewed") == 0)
			rc = lfs_fail(err, -EACCES,
				      "%s: access denied: this machine's clock is too far off (%s)",
				      rq->what, detail);
		else if (cfg->anonymous)
			rc = lfs_fail(err, -EACCES,
				      "%s: access denied to an unsigned request (%s); drop "
				      "--no-sign-request to use credentials",
				      rq->what, detail);
		else
			rc = lfs_fail(err, -EACCES,
				      "%s: access denied (%s); credentials from %s, access key id %s",
				      rq->what, detail, cfg->creds_source, cfg->access_key);
	} else if (rs->status == 301 || rs->status == 307) {
		rc = lfs_fail(err, -EIO,
			      "%s: the endpoint redirects (%s): the bucket may be in another region "
			      "than %s",
			      rq->what, detail, cfg->region);
	} else {
		rc = lfs_fail(err, -EIO, "%s: %s failed: %s", rq->what, rq->method, detail);
	}
	if (rc == -EACCES)
		lfs_warn("%s", err ? err->msg : detail);
	else
		lfs_error("%s", err ? err->msg : detail);
	return rc;
}
