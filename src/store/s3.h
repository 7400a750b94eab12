/*
 * store/s3 internals: the pieces of the S3 backend, private to src/store/s3*.c
 * and its unit tests (tests/unit/test_s3.c).  The rest of lancefs sees only
 * lfs_store_open_s3() in store.h.
 *
 *   s3_sign.c    AWS Signature Version 4: canonical request, signing key, the
 *                Authorization header (HMAC-SHA256 from OpenSSL)
 *   s3_config.c  where bucket, region, endpoint and credentials come from: the
 *                URI, lfs_store_opts, AWS_* variables, ~/.aws/credentials and
 *                ~/.aws/config, as the AWS tools read them
 *   s3_xml.c     the little XML S3 answers with: list pages and error bodies
 *   s3_http.c    libcurl: a pool of reusable handles, signing each attempt,
 *                retries with backoff, checks that no short body gets through
 *   s3.c         the lfs_store operations: ranged reads (split into parallel
 *                parts when large), HEAD, ListObjectsV2 with pagination
 *
 * Secrets (the secret key and session token) never go into a log line or an
 * error message: only the access key id and where the credentials came from.
 */
#ifndef LFS_STORE_S3_H
#define LFS_STORE_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "store/store.h"
#include "util/util.h"

/* ---- SigV4 (s3_sign.c) ---- */

/* A name and a value: a query parameter (raw, not yet percent-encoded) or a
 * header (any case; the signer lowercases names and trims values). */
typedef struct s3_kv {
	const char *name;
	const char *value;
} s3_kv;

typedef struct s3_sign_req {
	const char *method;        /* "GET", "HEAD", ... */
	const char *canonical_uri; /* the path exactly as sent: already percent-encoded */
	const s3_kv *query;        /* raw parameters in any order */
	size_t nquery;
	const s3_kv *headers;      /* every header to sign, including host and x-amz-date */
	size_t nheaders;
	const char *payload_hash;  /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
	const char *amz_date;      /* "YYYYMMDDTHHMMSSZ", the x-amz-date value */
	const char *region;        /* "us-east-1", "auto" for R2, ... */
	const char *service;       /* "s3" */
} s3_sign_req;

/* SHA-256 of the empty body, the x-amz-content-sha256 of GET and HEAD. */
#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Percent-encodes per RFC 3986 as SigV4 wants it: A-Z a-z 0-9 - . _ ~ stay,
 * every other byte becomes %XX (upper-case hex); '/' stays if keep_slash. */
int s3_uri_encode(lfs_buf *out, const char *s, int keep_slash);
/* name=value pairs, both encoded, sorted by encoded name then value, joined
 * by '&' (a parameter without value still gets its '='). */
int s3_canonical_query(lfs_buf *out, const s3_kv *query, size_t n);
/* The canonical request; signed_headers receives "host;x-amz-date;...". */
int s3_canonical_request(lfs_buf *out, lfs_buf *signed_headers, const s3_sign_req *r);
/* The full Authorization header value ("AWS4-HMAC-SHA256 Credential=..."). */
int s3_sign(lfs_buf *authorization, const s3_sign_req *r, const char *access_key,
	    const char *secret_key);
void s3_sha256_hex(const void *data, size_t len, char out[65]);
/* "YYYYMMDDTHHMMSSZ" of a UTC time. */
void s3_amz_date(time_t t, char out[17]);

/* ---- configuration (s3_config.c) ---- */

typedef struct s3_config {
	char *bucket;
	char *prefix;           /* "" or "a/b": no leading or trailing '/' */
	char *region;           /* what requests are signed for */
	char *endpoint;         /* the configured endpoint URL, NULL for AWS itself */
	int path_style;         /* bucket in the path rather than the host name */
	char *scheme;           /* "https" or "http" */
	char *host;             /* the Host header: name[:port] */
	char *base_url;         /* scheme://host[/endpoint path][/bucket], no trailing '/' */
	char *base_path;        /* the path part of base_url ("" or "/bucket" or ...) */
	int anonymous;          /* no signature at all */
	char *access_key;
	char *secret_key;       /* never logged */
	char *session_token;    /* never logged */
	char *creds_source;     /* where the credentials came from, for messages */
	char *profile;          /* the profile read (for messages), NULL if none */
	char *ca_file;
	long connect_timeout_ms;
	long low_speed_time_s;  /* a transfer slower than 1 byte/s this long fails */
	int max_attempts;
	int list_max_keys;      /* max-keys of each ListObjectsV2 page */
	size_t part_size;       /* large reads are split into parts of this size */
	int max_parallel;       /* parts in flight at once for one read */
	unsigned backoff_base_ms;
	unsigned backoff_cap_ms;
} s3_config;

/* Fills cfg from the URI "s3://bucket/prefix", opts (may be NULL), the
 * environment and the shared AWS files.  Frees nothing on failure but what it
 * allocated; call s3_config_free() in every case. */
int s3_config_load(const char *uri, const lfs_store_opts *opts, s3_config *cfg, lfs_err *err);
void s3_config_free(s3_config *cfg);

/* Splits "s3://bucket/some/prefix/" into "bucket" and "some/prefix". */
int s3_parse_uri(const char *uri, char **bucket, char **prefix, lfs_err *err);

/* Reads the value of key in one section of an AWS shared file (credentials
 * or config syntax: "[name]" or "[profile name]").  A key of the form
 * "s3.endpoint_url" reads a nested setting ("s3 =" then indented lines).
 * Returns 0 and a fresh string, -ENOENT if absent, other errors on I/O. */
int s3_ini_get(const char *path, const char *section, const char *key, char **out);

/* ---- XML answers (s3_xml.c) ---- */

/* Walks an XML document and calls on_end for every element that closes, with
 * its path from the root ("ListBucketResult/Contents/Key") and its decoded
 * text.  Returns 0, the first non-zero value of on_end, or -EIO for XML it
 * cannot read. */
typedef int (*s3_xml_end_fn)(void *ctx, const char *path, const char *text, size_t len);
int s3_xml_walk(const char *xml, size_t len, s3_xml_end_fn on_end, void *ctx);

/* One page of ListObjectsV2, names made relative to the listed prefix. */
typedef struct s3_list_page {
	lfs_store_entry *entries;
	size_t n, cap;
	size_t keys_seen;       /* keys and prefixes under the prefix, markers included */
	int truncated;
	char *next_token;       /* NextContinuationToken, NULL if none */
} s3_list_page;

/* Appends the objects and common prefixes of one page under prefix (which
 * ends with '/' or is "") to page->entries; keys outside prefix and the
 * prefix's own directory marker are skipped. */
int s3_parse_list(const char *xml, size_t len, const char *prefix, s3_list_page *page,
		  lfs_err *err);
void s3_list_page_free(s3_list_page *page);

/* The Code and Message of an S3 error body ("" when absent). */
void s3_parse_error(const char *xml, size_t len, char *code, size_t code_size, char *message,
		    size_t message_size);

/* "2009-10-12T17:50:30.000Z" -> ns since the epoch; -1 if unreadable. */
int64_t s3_parse_iso8601(const char *s);

/* ---- HTTP (s3_http.c) ---- */

typedef struct s3_http s3_http;

typedef struct s3_request {
	const char *method;       /* "GET" or "HEAD" */
	const char *key;          /* full object key ("" for the bucket itself) */
	const s3_kv *query;
	size_t nquery;
	int ranged;               /* send Range: bytes=range_first-range_last */
	uint64_t range_first;
	uint64_t range_last;      /* inclusive */
	void *dest;               /* ranged GET: the body's bytes go here */
	size_t dest_len;          /* = range_last - range_first + 1 */
	lfs_buf *body;            /* other GETs: the body is collected here */
	const char *what;         /* the object's name for messages ("s3://b/k") */
} s3_request;

typedef struct s3_response {
	long status;
	int has_length;
	uint64_t length;          /* Content-Length */
	int has_range;
	uint64_t range_first, range_last, range_total; /* Content-Range */
	int total_known;          /* range_total is known */
	uint64_t received;        /* body bytes that arrived */
	uint64_t object_size;     /* a 2xx GET/HEAD (or 416): the object's size, if known */
	int object_size_known;
	char etag[80];
	int64_t mtime_ns;
	char bucket_region[64];   /* x-amz-bucket-region */
	char code[64];            /* S3 error Code and Message from the body */
	char message[256];
} s3_response;

int s3_http_new(const s3_config *cfg, s3_http **out, lfs_err *err);
void s3_http_free(s3_http *h);

/* Sends the request, retrying transient failures (5xx, 429, resets,
 * timeouts, short bodies) with exponential backoff and full jitter.  Returns 0
 * with rs filled for a final answer (2xx with a complete body, or a status
 * that retrying would not change: 3xx, 4xx); -EIO when the attempts ran out
 * or the transfer cannot work (bad URL, TLS verification, ...). */
int s3_http_do(s3_http *h, const s3_request *rq, s3_response *rs, lfs_err *err);

/* Turns a final non-2xx answer into an errno and a message:
 * 404 -> -ENOENT (NoSuchKey, NoSuchBucket), 403 -> -EACCES, else -EIO. */
int s3_status_error(const s3_config *cfg, const s3_request *rq, const s3_response *rs,
		    lfs_err *err);

#endif
