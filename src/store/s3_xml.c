/* store/s3_xml: the small XML documents S3 answers with.  See s3.h.
 *
 * S3's answers are plain: elements, text, an XML declaration, a default
 * namespace attribute, the five predefined entities and numeric character
 * references.  This reader handles exactly that (plus comments and CDATA)
 * and refuses anything it does not understand with -EIO, rather than guess. */
#include "store/s3.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define XML_MAX_DEPTH 32

typedef struct xml_state {
	char path[1024];
	size_t depth;
	size_t path_len[XML_MAX_DEPTH + 1]; /* path length before each open element */
	lfs_buf text;                        /* decoded text of the innermost element */
} xml_state;

static int utf8_put(lfs_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -EIO;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return lfs_buf_append(b, u, n);
}

/* Decodes text between tags (entities included) onto b. */
static int append_text(lfs_buf *b, const char *p, const char *end)
{
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *semi;
		size_t n;
		int rc;

		if (!amp)
			return lfs_buf_append(b, p, (size_t)(end - p));
		if ((rc = lfs_buf_append(b, p, (size_t)(amp - p))))
			return rc;
		semi = memchr(amp, ';', (size_t)(end - amp));
		if (!semi || semi - amp > 12)
			return -EIO;
		n = (size_t)(semi - amp - 1);
		if (n == 2 && memcmp(amp + 1, "lt", 2) == 0)
			rc = lfs_buf_putc(b, '<');
		else if (n == 2 && memcmp(amp + 1, "gt", 2) == 0)
			rc = lfs_buf_putc(b, '>');
		else if (n == 3 && memcmp(amp + 1, "amp", 3) == 0)
			rc = lfs_buf_putc(b, '&');
		else if (n == 4 && memcmp(amp + 1, "quot", 4) == 0)
			rc = lfs_buf_putc(b, '"');
		else if (n == 4 && memcmp(amp + 1, "apos", 4) == 0)
			rc = lfs_buf_putc(b, '\'');
		else if (n >= 2 && amp[1] == '#') {
			char num[16];
			char *nend;
			int hex = amp[2] == 'x' || amp[2] == 'X';
			size_t digits = n - 1 - (size_t)hex;
			unsigned long cp;
			if (digits == 0 || digits >= sizeof(num))
				return -EIO;
			memcpy(num, amp + 2 + hex, digits);
			num[digits] = 0;
			cp = strtoul(num, &nend, hex ? 16 : 10);
			if (*nend)
				return -EIO;
			rc = utf8_put(b, cp);
		} else {
			return -EIO;
		}
		if (rc)
			return rc;
		p = semi + 1;
	}
	return 0;
}

/* Finds needle in [p, end). */
static const char *find(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);
	while (p + n <= end) {
		const char *c = memchr(p, needle[0], (size_t)(end - p));
		if (!c || c + n > end)
			return NULL;
		if (memcmp(c, needle, n) == 0)
			return c;
		p = c + 1;
	}
	return NULL;
}

/* The end of a tag: the '>' that is not inside a quoted attribute value. */
static const char *tag_end(const char *p, const char *end)
{
	char quote = 0;
	for (; p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '>') {
			return p;
		}
	}
	return NULL;
}

static int is_name_end(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '>';
}

/* Pushes an element name (without any "ns:" prefix) onto the path. */
static int push(xml_state *st, const char *name, size_t n)
{
	const char *colon = memchr(name, ':', n);
	if (colon) {
		n -= (size_t)(colon + 1 - name);
		name = colon + 1;
	}
	if (n == 0 || st->depth >= XML_MAX_DEPTH)
		return -EIO;
	st->path_len[st->depth] = strlen(st->path);
	if (st->path_len[st->depth] + n + 2 > sizeof(st->path))
		return -EIO;
	if (st->depth > 0)
		strcat(st->path, "/");
	strncat(st->path, name, n);
	st->depth++;
	st->text.len = 0;
	return 0;
}

static int pop(xml_state *st, const char *name, size_t n, s3_xml_end_fn on_end, void *ctx)
{
	const char *colon = memchr(name, ':', n);
	const char *last;
	int rc;

	if (colon) {
		n -= (size_t)(colon + 1 - name);
		name = colon + 1;
	}
	if (st->depth == 0)
		return -EIO;
	last = strrchr(st->path, '/');
	last = last ? last + 1 : st->path;
	if (strlen(last) != n || memcmp(last, name, n) != 0)
		return -EIO; /* mismatched end tag */
	if ((rc = lfs_buf_putc(&st->text, 0)))
		return rc;
	st->text.len--;
	rc = on_end(ctx, st->path, (const char *)st->text.data, st->text.len);
	st->depth--;
	st->path[st->path_len[st->depth]] = 0;
	st->text.len = 0;
	return rc;
}

int s3_xml_walk(const char *xml, size_t len, s3_xml_end_fn on_end, void *ctx)
{
	const char *p = xml, *end = xml + len;
	xml_state st;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	lfs_buf_init(&st.text);
	while (p < end && !rc) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *gt;

		if (!lt) {
			/* only white space may follow the root element */
			for (; p < end; p++)
				if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
					rc = -EIO;
			break;
		}
		if (st.depth > 0)
			rc = append_text(&st.text, p, lt);
		if (rc)
			break;
		p = lt;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			const char *c = find(p + 4, end, "-->");
			if (!c)
				rc = -EIO;
			p = c ? c + 3 : end;
		} else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
			const char *c = find(p + 9, end, "]]>");
			if (!c || st.depth == 0)
				rc = -EIO;
			else
				rc = lfs_buf_append(&st.text, p + 9, (size_t)(c - p - 9));
			p = c ? c + 3 : end;
		} else if (end - p >= 2 && (p[1] == '?' || p[1] == '!')) {
			/* the XML declaration, a DOCTYPE: nothing we need */
			gt = tag_end(p, end);
			if (!gt)
				rc = -EIO;
			p = gt ? gt + 1 : end;
		} else if (end - p >= 2 && p[1] == '/') {
			const char *name = p + 2, *ne = name;
			gt = memchr(p, '>', (size_t)(end - p));
			if (!gt) {
				rc = -EIO;
				break;
			}
			while (ne < gt && !is_name_end(*ne))
				ne++;
			rc = pop(&st, name, (size_t)(ne - name), on_end, ctx);
			p = gt + 1;
		} else {
			const char *name = p + 1, *ne = name;
			gt = tag_end(p, end);
			if (!gt) {
				rc = -EIO;
				break;
			}
			while (ne < gt && !is_name_end(*ne))
				ne++;
			rc = push(&st, name, (size_t)(ne - name));
			if (!rc && gt[-1] == '/')
				rc = pop(&st, name, (size_t)(ne - name), on_end, ctx);
			p = gt + 1;
		}
	}
	if (!rc && st.depth != 0)
		rc = -EIO; /* the document ended inside an element: a cut-off answer */
	lfs_buf_free(&st.text);
	return rc;
}

/* ---- ListObjectsV2 pages ---- */

int64_t s3_parse_iso8601(const char *s)
{
	struct tm tm;
	const char *rest;
	int64_t ns = 0;

	memset(&tm, 0, sizeof(tm));
	rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	if (*rest == '.') {
		int64_t scale = 100000000;
		for (rest++; *rest >= '0' && *rest <= '9'; rest++) {
			ns += (*rest - '0') * scale;
			scale /= 10;
		}
	}
	if (*rest != 'Z' && *rest != 0 && strcmp(rest, "+00:00") != 0)
		return -1;
	{
		time_t t = timegm(&tm);
		/* outside 1970..2262 it does not fit in ns since the epoch */
		if (t < 0 || (int64_t)t > INT64_MAX / 1000000000ll - 1)
			return -1;
		return (int64_t)t * 1000000000ll + ns;
	}
}

typedef struct list_ctx {
	s3_list_page *page;
	const char *prefix;
	size_t prefix_len;
	/* the <Contents> being read */
	char *key;
	uint64_t size;
	int64_t mtime_ns;
	char etag[80];
	int bad;
} list_ctx;

static int add_entry(list_ctx *lc, const char *name, size_t n, int is_dir)
{
	s3_list_page *pg = lc->page;
	lfs_store_entry *e;

	if (pg->n == pg->cap) {
		size_t ncap = pg->cap ? pg->cap * 2 : 64;
		lfs_store_entry *p = realloc(pg->entries, ncap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		pg->entries = p;
		pg->cap = ncap;
	}
	e = &pg->entries[pg->n];
	memset(e, 0, sizeof(*e));
	e->name = strndup(name, n);
	if (!e->name)
		return -ENOMEM;
	e->is_dir = is_dir;
	if (!is_dir) {
		e->info.size = lc->size;
		e->info.mtime_ns = lc->mtime_ns;
		memcpy(e->info.etag, lc->etag, sizeof(e->info.etag));
	}
	pg->n++;
	return 0;
}

/* Copies an ETag without its quotes. */
static void copy_etag(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= 2 && src[0] == '"' && src[n - 1] == '"') {
		src++;
		n -= 2;
	}
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int list_on_end(void *ctx, const char *path, const char *text, size_t len)
{
	list_ctx *lc = ctx;
	const char *leaf;

	if (strncmp(path, "ListBucketResult", 16) != 0)
		return path[0] && strchr(path, '/') == NULL ? -EIO : 0; /* another root: not a list */
	leaf = path + 16;
	if (strcmp(leaf, "/Contents/Key") == 0) {
		free(lc->key);
		lc->key = strndup(text, len);
		return lc->key ? 0 : -ENOMEM;
	}
	if (strcmp(leaf, "/Contents/Size") == 0) {
		char *e;
		lc->size = strtoull(text, &e, 10);
		if (len == 0 || *e || text[0] == '-')
			lc->bad = 1;
		return 0;
	}
	if (strcmp(leaf, "/Contents/LastModified") == 0) {
		/* Whole seconds, as HEAD's Last-Modified gives them, so a list and
		 * a stat of the same object agree. */
		int64_t t = s3_parse_iso8601(text);
		lc->mtime_ns = t < 0 ? 0 : t / 1000000000ll * 1000000000ll;
		return 0;
	}
	if (strcmp(leaf, "/Contents/ETag") == 0) {
		copy_etag(lc->etag, sizeof(lc->etag), text, len);
		return 0;
	}
	if (strcmp(leaf, "/Contents") == 0) {
		int rc = 0;
		if (!lc->key || lc->bad) {
			rc = -EIO;
		} else if (strncmp(lc->key, lc->prefix, lc->prefix_len) == 0) {
			const char *name = lc->key + lc->prefix_len;
			lc->page->keys_seen++;
			/* "dir/" markers and keys deeper down (a server that ignored
			 * the delimiter) are no entries of this directory */
			if (*name && !strchr(name, '/'))
				rc = add_entry(lc, name, strlen(name), 0);
		}
		free(lc->key);
		lc->key = NULL;
		lc->size = 0;
		lc->mtime_ns = 0;
		lc->etag[0] = 0;
		lc->bad = 0;
		return rc;
	}
	if (strcmp(leaf, "/CommonPrefixes/Prefix") == 0) {
		if (len > lc->prefix_len && strncmp(text, lc->prefix, lc->prefix_len) == 0) {
			const char *name = text + lc->prefix_len;
			size_t n = len - lc->prefix_len;
			while (n > 0 && name[n - 1] == '/')
				n--;
			lc->page->keys_seen++;
			if (n > 0 && !memchr(name, '/', n))
				return add_entry(lc, name, n, 1);
		}
		return 0;
	}
	if (strcmp(leaf, "/IsTruncated") == 0) {
		lc->page->truncated = len == 4 && memcmp(text, "true", 4) == 0;
		return 0;
	}
	if (strcmp(leaf, "/NextContinuationToken") == 0) {
		free(lc->page->next_token);
		lc->page->next_token = strndup(text, len);
		return lc->page->next_token ? 0 : -ENOMEM;
	}
	return 0;
}

int s3_parse_list(const char *xml, size_t len, const char *prefix, s3_list_page *page,
		  lfs_err *err)
{
	list_ctx lc;
	int rc;

	memset(&lc, 0, sizeof(lc));
	lc.page = page;
	lc.prefix = prefix;
	lc.prefix_len = strlen(prefix);
	page->truncated = 0;
	free(page->next_token);
	page->next_token = NULL;
	rc = s3_xml_walk(xml, len, list_on_end, &lc);
	free(lc.key);
	if (rc == -ENOMEM)
		return lfs_fail(err, rc, "out of memory reading a list answer");
	if (rc)
		return lfs_fail(err, -EIO, "the list answer is not a ListBucketResult this reader understands");
	if (page->truncated && (!page->next_token || !*page->next_token))
		return lfs_fail(err, -EIO, "the list answer is truncated but has no NextContinuationToken");
	return 0;
}

void s3_list_page_free(s3_list_page *page)
{
	lfs_store_entries_free(page->entries, page->n);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/* ---- error bodies ---- */

typedef struct err_ctx {
	char *code, *message;
	size_t code_size, message_size;
} err_ctx;

static void copy_text(char *dst, size_t size, const char *src, size_t n)
{
	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
	/* keep the message one printable line */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)dst[i] < 0x20)
			dst[i] = ' ';
}

static int error_on_end(void *ctx, const char *path, const char *text, size_t len)
{
	err_ctx *ec = ctx;
	if (strcmp(path, "Error/Code") == 0)
		copy_text(ec->code, ec->code_size, text, len);
	else if (strcmp(path, "Error/Message") == 0)
		copy_text(ec->message, ec->message_size, text, len);
	return 0;
}

void s3_parse_error(const char *xml, size_t len, char *code, size_t code_size, char *message,
		    size_t message_size)
{
	err_ctx ec = { code, message, code_size, message_size };
	if (code_size)
		code[0] = 0;
	if (message_size)
		message[0] = 0;
	if (len)
		s3_xml_walk(xml, len, error_on_end, &ec);
}
