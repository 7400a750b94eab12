/* store/s3_sign: AWS Signature Version 4.  See s3.h.
 *
 * The steps follow AWS's public description of SigV4: a canonical request
 * (method, path, sorted query, sorted lower-case headers, the signed header
 * names, the payload hash), its SHA-256 in a string to sign with the date and
 * scope, and an HMAC-SHA256 chain from "AWS4" + secret over date, region,
 * service and "aws4_request" that gives the signing key. */
#include "store/s3.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char hexdigits_upper[] = "0123456789ABCDEF";
static const char hexdigits_lower[] = "0123456789abcdef";

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int s3_uri_encode(lfs_buf *out, const char *s, int keep_slash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;
		if (is_unreserved(*p) || (keep_slash && *p == '/')) {
			rc = lfs_buf_putc(out, (char)*p);
		} else {
			char esc[3] = { '%', hexdigits_upper[*p >> 4], hexdigits_upper[*p & 15] };
			rc = lfs_buf_append(out, esc, 3);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static void hex_lower(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits_lower[in[i] >> 4];
		out[2 * i + 1] = hexdigits_lower[in[i] & 15];
	}
	out[2 * n] = 0;
}

void s3_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		/* Only on a broken OpenSSL; an all-zero hash makes the server refuse. */
		memset(out, '0', 64);
		out[64] = 0;
		return;
	}
	hex_lower(md, 32, out);
}

void s3_amz_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- canonical query ---- */

typedef struct enc_pair {
	char *name;
	char *value;
} enc_pair;

static int enc_pair_cmp(const void *a, const void *b)
{
	const enc_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s)
{
	lfs_buf b;
	lfs_buf_init(&b);
	if (s3_uri_encode(&b, s, 0) || lfs_buf_putc(&b, 0)) {
		lfs_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

int s3_canonical_query(lfs_buf *out, const s3_kv *query, size_t n)
{
	enc_pair *pairs;
	int rc = 0;

	if (n == 0)
		return 0;
	pairs = lfs_xcalloc(n, sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++) {
		pairs[i].name = encode_dup(query[i].name);
		pairs[i].value = encode_dup(query[i].value ? query[i].value : "");
		if (!pairs[i].name || !pairs[i].value)
			rc = -ENOMEM;
	}
	if (!rc) {
		/* Sorting the encoded strings byte by byte is what SigV4 asks. */
		qsort(pairs, n, sizeof(*pairs), enc_pair_cmp);
		for (size_t i = 0; i < n && !rc; i++)
			rc = lfs_buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].name,
					    pairs[i].value);
	}
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
	return rc;
}

/* Puts a NUL after the bytes without counting it, so data is a C string. */
static int nul_terminate(lfs_buf *b)
{
	int rc = lfs_buf_reserve(b, 1);
	if (!rc)
		b->data[b->len] = 0;
	return rc;
}

/* ---- canonical headers ---- */

typedef struct canon_header {
	char *name;   /* lower case */
	char *value;  /* trimmed, inner runs of spaces collapsed */
	size_t order; /* position in the request, to keep repeated headers in order */
} canon_header;

static int canon_header_cmp(const void *a, const void *b)
{
	const canon_header *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s);
	if (d)
		for (char *p = d; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return d;
}

/* Trims leading and trailing white space and turns every run of spaces or
 * tabs inside into one space. */
static char *trim_collapse_dup(const char *s)
{
	size_t n = strlen(s), j = 0;
	char *d = malloc(n + 1);
	int in_space = 0;

	if (!d)
		return NULL;
	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			in_space = 1;
			continue;
		}
		if (in_space && j > 0)
			d[j++] = ' ';
		in_space = 0;
		d[j++] = *s;
	}
	d[j] = 0;
	return d;
}

int s3_canonical_request(lfs_buf *out, lfs_buf *signed_headers, const s3_sign_req *r)
{
	canon_header *hs = NULL;
	size_t n = r->nheaders;
	int rc = 0;

	if (n) {
		hs = lfs_xcalloc(n, sizeof(*hs));
		if (!hs)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		hs[i].name = lower_dup(r->headers[i].name);
		hs[i].value = trim_collapse_dup(r->headers[i].value ? r->headers[i].value : "");
		hs[i].order = i;
		if (!hs[i].name || !hs[i].value)
			rc = -ENOMEM;
	}
	if (rc)
		goto done;
	if (n)
		qsort(hs, n, sizeof(*hs), canon_header_cmp);

	rc = lfs_buf_printf(out, "%s\n%s\n", r->method,
			    r->canonical_uri && *r->canonical_uri ? r->canonical_uri : "/");
	if (!rc)
		rc = s3_canonical_query(out, r->query, r->nquery);
	if (!rc)
		rc = lfs_buf_putc(out, '\n');
	/* One line per header name; repeated names join their values by ','. */
	for (size_t i = 0; i < n && !rc; i++) {
		int repeat = i > 0 && strcmp(hs[i].name, hs[i - 1].name) == 0;
		if (repeat) {
			rc = lfs_buf_printf(out, ",%s", hs[i].value);
			continue;
		}
		if (i > 0)
			rc = lfs_buf_putc(out, '\n');
		if (!rc)
			rc = lfs_buf_printf(out, "%s:%s", hs[i].name, hs[i].value);
		if (!rc && signed_headers)
			rc = lfs_buf_printf(signed_headers, "%s%s", signed_headers->len ? ";" : "",
					    hs[i].name);
	}
	if (!rc && n)
		rc = lfs_buf_putc(out, '\n');
	if (!rc)
		rc = lfs_buf_putc(out, '\n');
	if (!rc && signed_headers) {
		/* the signed header list is a line of the request too */
		rc = lfs_buf_append(out, signed_headers->data, signed_headers->len);
	}
	if (!rc)
		rc = lfs_buf_printf(out, "\n%s", r->payload_hash ? r->payload_hash : S3_EMPTY_SHA256);
	if (!rc && signed_headers)
		rc = nul_terminate(signed_headers);
	if (!rc)
		rc = nul_terminate(out);
done:
	for (size_t i = 0; i < n; i++) {
		free(hs[i].name);
		free(hs[i].value);
	}
	free(hs);
	return rc;
}

/* ---- the signature ---- */

static int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
		       unsigned char out[32])
{
	unsigned int outlen = 0;
	if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) || outlen != 32)
		return -EIO;
	return 0;
}

int s3_sign(lfs_buf *authorization, const s3_sign_req *r, const char *access_key,
	    const char *secret_key)
{
	lfs_buf creq, signed_headers, sts, kstart;
	unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
	char creq_hash[65], sig_hex[65], date[9];
	int rc;

	if (!r->amz_date || strlen(r->amz_date) != 16)
		return -EINVAL;
	memcpy(date, r->amz_date, 8);
	date[8] = 0;

	lfs_buf_init(&creq);
	lfs_buf_init(&signed_headers);
	lfs_buf_init(&sts);
	lfs_buf_init(&kstart);
	rc = s3_canonical_request(&creq, &signed_headers, r);
	if (rc)
		goto out;
	s3_sha256_hex(creq.data, creq.len, creq_hash);
	rc = lfs_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date,
			    date, r->region, r->service, creq_hash);
	if (rc)
		goto out;
	rc = lfs_buf_printf(&kstart, "AWS4%s", secret_key);
	if (rc)
		goto out;
	rc = hmac_sha256(kstart.data, kstart.len, date, strlen(date), k1);
	if (!rc)
		rc = hmac_sha256(k1, 32, r->region, strlen(r->region), k2);
	if (!rc)
		rc = hmac_sha256(k2, 32, r->service, strlen(r->service), k3);
	if (!rc)
		rc = hmac_sha256(k3, 32, "aws4_request", 12, k4);
	if (!rc)
		rc = hmac_sha256(k4, 32, sts.data, sts.len, sig);
	if (rc)
		goto out;
	hex_lower(sig, 32, sig_hex);
	rc = lfs_buf_printf(authorization,
			    "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
			    "SignedHeaders=%.*s, Signature=%s",
			    access_key, date, r->region, r->service, (int)signed_headers.len,
			    (const char *)signed_headers.data, sig_hex);
	if (!rc)
		rc = nul_terminate(authorization);
out:
	/* The derived keys are as good as the secret for a day: wipe them. */
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(k3, sizeof(k3));
	OPENSSL_cleanse(k4, sizeof(k4));
	if (kstart.data)
		OPENSSL_cleanse(kstart.data, kstart.cap);
	lfs_buf_free(&kstart);
	lfs_buf_free(&creq);
	lfs_buf_free(&signed_headers);
	lfs_buf_free(&sts);
	return rc;
}
