/* Mutated S3 answers: list pages and error bodies with bytes changed,
 * removed, inserted and cut off, read many times over.  Whatever comes in,
 * the readers must return (0 or -EIO), never read out of bounds nor overflow
 * (run it under ASan/UBSan).  Seeded, so a failure can be repeated.  TAP. */
#include "store/s3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char seed_doc[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>b</Name><Prefix>p/</Prefix><IsTruncated>true</IsTruncated>"
	"<NextContinuationToken>a&amp;b=</NextContinuationToken>"
	"<Contents><Key>p/a&#x41;&#65;<![CDATA[x]]></Key><Size>12</Size>"
	"<ETag>&quot;e&quot;</ETag><LastModified>2024-01-01T00:00:00.5Z</LastModified></Contents>"
	"<CommonPrefixes><Prefix>p/d/</Prefix></CommonPrefixes><!-- c -->"
	"</ListBucketResult>";
static const char seed_err[] =
	"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please &lt;slow&gt;</Message></Error>";

static uint64_t rng = 0x5DEECE66Dull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t mutate(char *buf, size_t cap, const char *seed, size_t n)
{
	static const char interesting[] = "<>&;/!?[]\"'#x0-9:";
	memcpy(buf, seed, n);
	for (int m = 1 + (int)(next() % 6); m > 0; m--) {
		size_t pos = n ? (size_t)(next() % n) : 0;
		switch (next() % 3) {
		case 0:
			if (n)
				buf[pos] = (char)next();
			break;
		case 1:
			if (n > 1) {
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
			}
			break;
		default:
			if (n + 1 < cap) {
				memmove(buf + pos + 1, buf + pos, n - pos);
				buf[pos] = interesting[next() % (sizeof(interesting) - 1)];
				n++;
			}
		}
	}
	if (next() % 4 == 0 && n)
		n = (size_t)(next() % n); /* cut short, as a dropped connection would */
	return n;
}

int main(void)
{
	char buf[1024];
	long parsed = 0, refused = 0, bad_rc = 0;

	for (int it = 0; it < 40000; it++) {
		int error_doc = it % 4 == 3;
		const char *seed = error_doc ? seed_err : seed_doc;
		size_t n = mutate(buf, sizeof(buf), seed, strlen(seed));
		/* an exact-size copy, so ASan sees any read past the end */
		char *copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		if (error_doc) {
			char code[8], msg[16];
			s3_parse_error(copy, n, code, sizeof(code), msg, sizeof(msg));
			if (strlen(code) >= sizeof(code) || strlen(msg) >= sizeof(msg))
				bad_rc++;
		} else {
			s3_list_page page;
			lfs_err err;
			int rc;
			memset(&page, 0, sizeof(page));
			rc = s3_parse_list(copy, n, "p/", &page, &err);
			if (rc == 0)
				parsed++;
			else if (rc == -EIO)
				refused++;
			else
				bad_rc++;
			s3_list_page_free(&page);
		}
		free(copy);
	}
	printf("1..1\n");
	printf("%sok 1 - 40000 mutated answers: %ld list pages read, %ld refused with EIO, %ld other\n",
	       bad_rc ? "not " : "", parsed, refused, bad_rc);
	return bad_rc ? 1 : 0;
}
