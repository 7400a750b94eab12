/* Unit tests of the S3 backend's pieces that need no server: the SigV4
 * signer against vectors from AWS's public documentation and SigV4 test
 * suite, configuration from AWS_* variables and ~/.aws files, URI parsing,
 * and the XML answers.  TAP output. */
#include "store/s3.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int test_no;
static int failures;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", cond ? "" : "not ", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failures++;
}

static void is_str(const char *got, const char *want, const char *name)
{
	int same = got && want && strcmp(got, want) == 0;
	ok(same, "%s", name);
	if (!same) {
		printf("#   got:  %s\n", got ? got : "(null)");
		printf("#   want: %s\n", want ? want : "(null)");
	}
}

/* ---- SigV4 ---- */

/* The examples of "Signature Calculations for the Authorization Header"
 * in the Amazon S3 API reference: bucket examplebucket, 2013-05-24. */
#define S3DOC_AK "AKIAIOSFODNN7EXAMPLE"
#define S3DOC_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3DOC_DATE "20130524T000000Z"
#define S3DOC_HOST "examplebucket.s3.amazonaws.com"

static char *sign(const char *method, const char *uri, const s3_kv *q, size_t nq,
		  const s3_kv *h, size_t nh, const char *date, const char *region,
		  const char *service, const char *ak, const char *sk)
{
	s3_sign_req r;
	lfs_buf out;
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.canonical_uri = uri;
	r.query = q;
	r.nquery = nq;
	r.headers = h;
	r.nheaders = nh;
	r.payload_hash = S3_EMPTY_SHA256;
	r.amz_date = date;
	r.region = region;
	r.service = service;
	lfs_buf_init(&out);
	if (s3_sign(&out, &r, ak, sk)) {
		lfs_buf_free(&out);
		return NULL;
	}
	return (char *)out.data;
}

static void test_s3_doc_examples(void)
{
	/* GET Object, first 10 bytes */
	s3_kv h1[] = { { "Host", S3DOC_HOST }, { "Range", "bytes=0-9" },
		       { "x-amz-content-sha256", S3_EMPTY_SHA256 }, { "x-amz-date", S3DOC_DATE } };
	s3_sign_req r;
	lfs_buf creq, sh;
	char *auth;

	memset(&r, 0, sizeof(r));
	r.method = "GET";
	r.canonical_uri = "/test.txt";
	r.headers = h1;
	r.nheaders = 4;
	r.payload_hash = S3_EMPTY_SHA256;
	r.amz_date = S3DOC_DATE;
	r.region = "us-east-1";
	r.service = "s3";
	lfs_buf_init(&creq);
	lfs_buf_init(&sh);
	ok(s3_canonical_request(&creq, &sh, &r) == 0, "canonical request builds");
	is_str((const char *)creq.data,
	       "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
	       "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
	       "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "S3 doc GET Object: canonical request");
	is_str((const char *)sh.data, "host;range;x-amz-content-sha256;x-amz-date",
	       "S3 doc GET Object: signed headers");
	lfs_buf_free(&creq);
	lfs_buf_free(&sh);

	auth = sign("GET", "/test.txt", NULL, 0, h1, 4, S3DOC_DATE, "us-east-1", "s3", S3DOC_AK,
		    S3DOC_SK);
	is_str(auth,
	       "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
	       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
	       "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	       "S3 doc GET Object: Authorization");
	free(auth);

	/* GET Bucket lifecycle: a parameter without a value */
	s3_kv h2[] = { { "host", S3DOC_HOST }, { "x-amz-content-sha256", S3_EMPTY_SHA256 },
		       { "x-amz-date", S3DOC_DATE } };
	s3_kv q2[] = { { "lifecycle", "" } };
	auth = sign("GET", "/", q2, 1, h2, 3, S3DOC_DATE, "us-east-1", "s3", S3DOC_AK, S3DOC_SK);
	ok(auth && strstr(auth, "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
	   "S3 doc GET Bucket lifecycle: signature");
	free(auth);

	/* GET Bucket (List Objects), parameters given out of order */
	s3_kv q3[] = { { "prefix", "J" }, { "max-keys", "2" } };
	auth = sign("GET", "/", q3, 2, h2, 3, S3DOC_DATE, "us-east-1", "s3", S3DOC_AK, S3DOC_SK);
	ok(auth && strstr(auth, "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
	   "S3 doc List Objects: signature");
	free(auth);
}

/* AWS's SigV4 test suite: AKIDEXAMPLE, 2015-08-30, us-east-1, service "service". */
#define SUITE_AK "AKIDEXAMPLE"
#define SUITE_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
#define SUITE_HOST "example.amazonaws.com"
#define SUITE_AUTHZ "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "

static void suite_case(const char *name, const char *method, const char *raw_path,
		       const s3_kv *q, size_t nq, const s3_kv *extra, size_t nextra,
		       const char *want)
{
	s3_kv h[8];
	size_t nh = 0;
	lfs_buf path;
	char *auth;

	h[nh++] = (s3_kv){ "Host", SUITE_HOST };
	for (size_t i = 0; i < nextra; i++)
		h[nh++] = extra[i];
	h[nh++] = (s3_kv){ "X-Amz-Date", SUITE_DATE };
	lfs_buf_init(&path);
	s3_uri_encode(&path, raw_path, 1);
	lfs_buf_putc(&path, 0);
	auth = sign(method, (const char *)path.data, q, nq, h, nh, SUITE_DATE, "us-east-1", "service",
		    SUITE_AK, SUITE_SK);
	is_str(auth, want, name);
	free(auth);
	lfs_buf_free(&path);
}

static void test_suite(void)
{
	static const char unreserved[] =
		"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	suite_case("suite get-vanilla", "GET", "/", NULL, 0, NULL, 0,
		   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
			       "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	{
		s3_kv q[] = { { "Param2", "value2" }, { "Param1", "value1" } };
		suite_case("suite get-vanilla-query-order-key-case", "GET", "/", q, 2, NULL, 0,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
				       "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
	}
	{
		s3_kv q[] = { { "Param1", "value2" }, { "Param1", "Value1" } };
		suite_case("suite get-vanilla-query-order-key (same name, sorted by value)", "GET", "/",
			   q, 2, NULL, 0,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
				       "Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
	}
	{
		s3_kv q[] = { { "Param-3", "Value3" }, { "Param", "Value2" }, { "\xE1\x88\xB4", "Value1" } };
		suite_case("suite get-vanilla-query-order-encoded (sorted after encoding)", "GET", "/", q,
			   3, NULL, 0,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
				       "Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac");
	}
	{
		s3_kv q[] = { { unreserved, unreserved } };
		suite_case("suite get-vanilla-query-unreserved", "GET", "/", q, 1, NULL, 0,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
				       "Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
	}
	{
		s3_kv q[] = { { "\xE1\x88\xB4", "bar" } };
		suite_case("suite get-vanilla-utf8-query", "GET", "/", q, 1, NULL, 0,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
				       "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
	}
	suite_case("suite get-utf8 (path)", "GET", "/\xE1\x88\xB4", NULL, 0, NULL, 0,
		   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
			       "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
	suite_case("suite get-space (path)", "GET", "/example space/", NULL, 0, NULL, 0,
		   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
			       "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
	suite_case("suite get-special-character (path)", "GET", "/example/$delete", NULL, 0, NULL, 0,
		   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
			       "Signature=a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27");
	{
		char path[128];
		snprintf(path, sizeof(path), "/%s", unreserved);
		suite_case("suite get-unreserved (path)", "GET", path, NULL, 0, NULL, 0,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date, "
				       "Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
	}
	{
		s3_kv h[] = { { "My-Header1", " value1" }, { "My-Header2", " \"a   b   c\"" } };
		suite_case("suite get-header-value-trim", "GET", "/", NULL, 0, h, 2,
			   SUITE_AUTHZ "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
				       "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
	}
	{
		s3_kv h[] = { { "My-Header1", "value2" }, { "My-Header1", "value2" },
			      { "My-Header1", "value1" } };
		suite_case("suite get-header-key-duplicate", "GET", "/", NULL, 0, h, 3,
			   SUITE_AUTHZ "SignedHeaders=host;my-header1;x-amz-date, "
				       "Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
	}
	{
		s3_kv h[] = { { "x-amz-security-token",
				"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267" } };
		suite_case("suite get-vanilla-with-session-token", "GET", "/", NULL, 0, h, 1,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date;x-amz-security-token, "
				       "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
	}
	{
		s3_kv h[] = { { "X-Amz-Security-Token",
				"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==" } };
		suite_case("suite post-sts-header-before", "POST", "/", NULL, 0, h, 1,
			   SUITE_AUTHZ "SignedHeaders=host;x-amz-date;x-amz-security-token, "
				       "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
	}
}

static void test_encoding(void)
{
	lfs_buf b;
	s3_kv q[] = { { "list-type", "2" }, { "prefix", "data sets/a+b=c/" }, { "delimiter", "/" },
		      { "max-keys", "1000" }, { "continuation-token", "1/2+3==" } };

	lfs_buf_init(&b);
	s3_canonical_query(&b, q, 5);
	lfs_buf_putc(&b, 0);
	is_str((const char *)b.data,
	       "continuation-token=1%2F2%2B3%3D%3D&delimiter=%2F&list-type=2&max-keys=1000&"
	       "prefix=data%20sets%2Fa%2Bb%3Dc%2F",
	       "ListObjectsV2 query: every reserved byte encoded, sorted by name");
	lfs_buf_free(&b);

	lfs_buf_init(&b);
	s3_uri_encode(&b, "data/a b/\xc3\xa9*()!'~.lance", 1);
	lfs_buf_putc(&b, 0);
	is_str((const char *)b.data, "data/a%20b/%C3%A9%2A%28%29%21%27~.lance",
	       "key path: '/' kept, RFC 3986 reserved and UTF-8 bytes encoded");
	lfs_buf_free(&b);

	char hex[65];
	s3_sha256_hex("", 0, hex);
	is_str(hex, S3_EMPTY_SHA256, "SHA-256 of the empty body");
	char date[17];
	s3_amz_date(1369353600, date);
	is_str(date, "20130524T000000Z", "x-amz-date format");
}

/* ---- URIs ---- */

static void uri_case(const char *uri, const char *bucket, const char *prefix)
{
	char *b = NULL, *p = NULL;
	lfs_err err = { "" };
	int rc = s3_parse_uri(uri, &b, &p, &err);
	if (!bucket) {
		ok(rc == -EINVAL && err.msg[0], "%s is refused (%s)", uri, err.msg);
	} else {
		ok(rc == 0 && b && p && strcmp(b, bucket) == 0 && strcmp(p, prefix) == 0,
		   "%s -> bucket \"%s\", prefix \"%s\"", uri, bucket, prefix);
	}
	free(b);
	free(p);
}

static void test_uris(void)
{
	uri_case("s3://bucket", "bucket", "");
	uri_case("s3://bucket/", "bucket", "");
	uri_case("s3://my.bucket/db/images.lance", "my.bucket", "db/images.lance");
	uri_case("s3://b-1/a/b/c.lance/", "b-1", "a/b/c.lance");
	uri_case("s3://b//x//", "b", "x");
	uri_case("s3://", NULL, NULL);
	uri_case("s3:///prefix", NULL, NULL);
	uri_case("s3://bu cket/x", NULL, NULL);
	uri_case("http://bucket/x", NULL, NULL);
}

/* ---- configuration ---- */

static char tmpdir[256];

static void write_file(const char *rel, const char *text)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void clear_env(void)
{
	static const char *vars[] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
				      "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
				      "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE",
				      "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
				      "AWS_CONFIG_FILE", "AWS_CA_BUNDLE", "AWS_MAX_ATTEMPTS",
				      "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" };
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", tmpdir, 1);
}

static int load(const char *uri, const lfs_store_opts *opts, s3_config *cfg, lfs_err *err)
{
	err->msg[0] = 0;
	return s3_config_load(uri, opts, cfg, err);
}

static void test_config(void)
{
	s3_config cfg;
	lfs_err err;
	lfs_store_opts opts;
	char path[512];
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s/lancefs-test-s3-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/.aws", tmpdir);
	mkdir(path, 0700);
	write_file(".aws/credentials",
		   "# shared credentials\n"
		   "[default]\n"
		   "aws_access_key_id = AKIDDEFAULT\n"
		   "aws_secret_access_key = defaultSECRETdefault\n"
		   "\n"
		   "[work]\n"
		   "aws_access_key_id=AKIDWORK\n"
		   "aws_secret_access_key=workSECRETwork\n"
		   "aws_session_token = workTOKEN\n");
	write_file(".aws/config",
		   "[default]\n"
		   "region = eu-central-1\n"
		   "\n"
		   "[profile work]\n"
		   "region = us-west-2\n"
		   "endpoint_url = http://10.1.2.3:9000\n"
		   "\n"
		   "[profile r2]\n"
		   "aws_access_key_id = AKIDR2\n"
		   "aws_secret_access_key = r2SECRETr2\n"
		   "s3 =\n"
		   "  endpoint_url = https://0123abcd.r2.cloudflarestorage.com\n"
		   "  addressing_style = virtual\n"
		   "region_unused = x\n"
		   "\n"
		   "[profile svc]\n"
		   "aws_access_key_id = AKIDSVC\n"
		   "aws_secret_access_key = svcSECRETsvc\n"
		   "services = local-s3\n"
		   "\n"
		   "[services local-s3]\n"
		   "s3 =\n"
		   "  endpoint_url = http://localhost:4566\n"
		   "\n"
		   "[profile sso]\n"
		   "sso_session = corp\n"
		   "region = us-east-2\n");

	/* the default profile, AWS itself */
	clear_env();
	rc = load("s3://bucket/data/x.lance", NULL, &cfg, &err);
	ok(rc == 0, "default profile loads (%s)", err.msg);
	is_str(cfg.access_key, "AKIDDEFAULT", "default profile: access key from ~/.aws/credentials");
	is_str(cfg.region, "eu-central-1", "default profile: region from ~/.aws/config [default]");
	is_str(cfg.host, "bucket.s3.eu-central-1.amazonaws.com", "AWS: virtual-hosted style host");
	is_str(cfg.base_path, "", "AWS: virtual-hosted style has no bucket in the path");
	is_str(cfg.prefix, "data/x.lance", "prefix from the URI");
	ok(cfg.creds_source && !strstr(cfg.creds_source, "SECRET"),
	   "the credentials' source names no secret (%s)", cfg.creds_source);
	s3_config_free(&cfg);

	/* environment keys win over the default profile; AWS_REGION over config */
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envSECRETenv", 1);
	setenv("AWS_SESSION_TOKEN", "envTOKEN", 1);
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	rc = load("s3://bucket", NULL, &cfg, &err);
	ok(rc == 0, "environment credentials load");
	is_str(cfg.access_key, "AKIDENV", "AWS_ACCESS_KEY_ID wins over the default profile");
	is_str(cfg.session_token, "envTOKEN", "AWS_SESSION_TOKEN read");
	is_str(cfg.region, "ap-south-1", "AWS_DEFAULT_REGION wins over the profile's region");
	s3_config_free(&cfg);
	setenv("AWS_REGION", "sa-east-1", 1);
	rc = load("s3://bucket", NULL, &cfg, &err);
	is_str(cfg.region, "sa-east-1", "AWS_REGION wins over AWS_DEFAULT_REGION");
	s3_config_free(&cfg);

	/* an explicit profile option wins over environment keys */
	memset(&opts, 0, sizeof(opts));
	opts.profile = "work";
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envSECRETenv", 1);
	rc = load("s3://bucket/p", &opts, &cfg, &err);
	ok(rc == 0, "--profile work loads (%s)", err.msg);
	is_str(cfg.access_key, "AKIDWORK", "--profile wins over AWS_ACCESS_KEY_ID");
	is_str(cfg.session_token, "workTOKEN", "profile's aws_session_token read");
	is_str(cfg.region, "us-west-2", "profile's region from [profile work]");
	is_str(cfg.host, "10.1.2.3:9000", "profile's endpoint_url; an IP endpoint");
	ok(cfg.path_style, "an IP endpoint means path-style requests");
	is_str(cfg.base_url, "http://10.1.2.3:9000/bucket", "path-style base URL");
	s3_config_free(&cfg);

	/* an explicit profile with settings but no keys: keys from the environment */
	memset(&opts, 0, sizeof(opts));
	opts.profile = "svc-nokeys";
	write_file(".aws/config2", "[profile svc-nokeys]\nregion = eu-north-1\n");
	snprintf(path, sizeof(path), "%s/.aws/config2", tmpdir);
	setenv("AWS_CONFIG_FILE", path, 1);
	rc = load("s3://bucket/p", &opts, &cfg, &err);
	ok(rc == 0 && cfg.access_key && strcmp(cfg.access_key, "AKIDENV") == 0 &&
		   strcmp(cfg.region, "eu-north-1") == 0,
	   "--profile without keys: region from it, keys from the environment (%s)", err.msg);
	s3_config_free(&cfg);
	unsetenv("AWS_CONFIG_FILE");

	/* AWS_PROFILE, and the files moved elsewhere */
	clear_env();
	snprintf(path, sizeof(path), "%s/.aws/credentials", tmpdir);
	write_file("creds2", "[work]\naws_access_key_id = AKIDMOVED\naws_secret_access_key = m\n");
	snprintf(path, sizeof(path), "%s/creds2", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	setenv("AWS_PROFILE", "work", 1);
	rc = load("s3://bucket", NULL, &cfg, &err);
	is_str(cfg.access_key, "AKIDMOVED", "AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE honoured");
	is_str(cfg.region, "us-west-2", "~/.aws/config still read for the region");
	s3_config_free(&cfg);
	write_file("config2", "[profile work]\nregion = af-south-1\n");
	snprintf(path, sizeof(path), "%s/config2", tmpdir);
	setenv("AWS_CONFIG_FILE", path, 1);
	rc = load("s3://bucket", NULL, &cfg, &err);
	is_str(cfg.region, "af-south-1", "AWS_CONFIG_FILE honoured");
	s3_config_free(&cfg);

	/* R2: nested s3 settings, region "auto" */
	clear_env();
	setenv("AWS_PROFILE", "r2", 1);
	rc = load("s3://lance-data/db", NULL, &cfg, &err);
	ok(rc == 0, "R2 profile loads (%s)", err.msg);
	is_str(cfg.access_key, "AKIDR2", "keys from [profile r2] in the config file");
	is_str(cfg.region, "auto", "an R2 endpoint signs for region \"auto\"");
	is_str(cfg.host, "lance-data.0123abcd.r2.cloudflarestorage.com",
	       "nested s3 addressing_style = virtual");
	is_str(cfg.scheme, "https", "R2 over https");
	s3_config_free(&cfg);
	memset(&opts, 0, sizeof(opts));
	opts.endpoint = "https://0123abcd.r2.cloudflarestorage.com";
	opts.region = "auto";
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envSECRETenv", 1);
	rc = load("s3://lance-data/db", &opts, &cfg, &err);
	is_str(cfg.base_url, "https://0123abcd.r2.cloudflarestorage.com/lance-data",
	       "R2 account endpoint from the options: path style");
	is_str(cfg.region, "auto", "region auto from the options");
	s3_config_free(&cfg);

	/* services section; localhost means path style */
	clear_env();
	setenv("AWS_PROFILE", "svc", 1);
	rc = load("s3://b", NULL, &cfg, &err);
	is_str(cfg.base_url, "http://localhost:4566/b", "endpoint from [services NAME] s3 endpoint_url");
	ok(cfg.path_style, "localhost means path-style requests");
	is_str(cfg.region, "us-east-1", "no region anywhere: us-east-1");
	s3_config_free(&cfg);

	/* endpoint variables, and their order */
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envSECRETenv", 1);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/", 1);
	rc = load("s3://b/x", NULL, &cfg, &err);
	is_str(cfg.base_url, "http://127.0.0.1:1/b", "AWS_ENDPOINT_URL");
	s3_config_free(&cfg);
	setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.2:2", 1);
	rc = load("s3://b/x", NULL, &cfg, &err);
	is_str(cfg.base_url, "http://127.0.0.2:2/b", "AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL");
	s3_config_free(&cfg);
	memset(&opts, 0, sizeof(opts));
	opts.endpoint = "minio.example:9000";
	opts.path_style = 1;
	rc = load("s3://b/x", &opts, &cfg, &err);
	is_str(cfg.base_url, "https://minio.example:9000/b",
	       "the endpoint option wins; a bare host means https");
	s3_config_free(&cfg);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	rc = load("s3://bkt/x", NULL, &cfg, &err);
	is_str(cfg.host, "bkt.s3.eu-central-1.amazonaws.com", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	s3_config_free(&cfg);
	rc = load("s3://b/x", NULL, &cfg, &err);
	is_str(cfg.base_url, "https://s3.eu-central-1.amazonaws.com/b",
	       "a bucket name that cannot be a DNS label uses path style");
	s3_config_free(&cfg);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");

	/* addressing on AWS */
	setenv("AWS_REGION", "cn-north-1", 1);
	rc = load("s3://b.with.dots/x", NULL, &cfg, &err);
	is_str(cfg.base_url, "https://s3.cn-north-1.amazonaws.com.cn/b.with.dots",
	       "a dotted bucket on AWS uses path style (TLS names); China's domain");
	s3_config_free(&cfg);
	unsetenv("AWS_REGION");
	memset(&opts, 0, sizeof(opts));
	opts.path_style = 1;
	rc = load("s3://bucket/x", &opts, &cfg, &err);
	is_str(cfg.base_url, "https://s3.eu-central-1.amazonaws.com/bucket", "--path-style on AWS");
	s3_config_free(&cfg);

	/* anonymous */
	clear_env();
	memset(&opts, 0, sizeof(opts));
	opts.no_sign_request = 1;
	opts.profile = NULL;
	rc = load("s3://public", &opts, &cfg, &err);
	ok(rc == 0 && cfg.anonymous && !cfg.access_key, "--no-sign-request: no credentials needed");
	s3_config_free(&cfg);

	/* failures */
	clear_env();
	setenv("HOME", "/nonexistent-lancefs-home", 1);
	rc = load("s3://b", NULL, &cfg, &err);
	ok(rc == -EACCES && strstr(err.msg, "AWS_ACCESS_KEY_ID") && strstr(err.msg, "--no-sign-request"),
	   "no credentials: a message that says where to put them (%s)", err.msg);
	s3_config_free(&cfg);
	clear_env();
	setenv("AWS_PROFILE", "nosuch", 1);
	rc = load("s3://b", NULL, &cfg, &err);
	ok(rc == -EINVAL && strstr(err.msg, "\"nosuch\" not found"), "unknown profile: %s", err.msg);
	s3_config_free(&cfg);
	clear_env();
	setenv("AWS_PROFILE", "sso", 1);
	rc = load("s3://b", NULL, &cfg, &err);
	ok(rc == -ENOTSUP && strstr(err.msg, "sso_session"), "SSO profile: %s", err.msg);
	s3_config_free(&cfg);
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envSECRETenv", 1);
	memset(&opts, 0, sizeof(opts));
	opts.endpoint = "ftp://host";
	rc = load("s3://b", &opts, &cfg, &err);
	ok(rc == -EINVAL && !strstr(err.msg, "SECRET"), "ftp endpoint refused: %s", err.msg);
	s3_config_free(&cfg);
	opts.endpoint = "https://user:envSECRETenv@host";
	rc = load("s3://b", &opts, &cfg, &err);
	ok(rc == -EINVAL && !strstr(err.msg, "SECRET"),
	   "a password in the endpoint URL is refused without repeating it: %s", err.msg);
	s3_config_free(&cfg);

	/* options with defaults and limits */
	memset(&opts, 0, sizeof(opts));
	rc = load("s3://b", &opts, &cfg, &err);
	ok(cfg.max_attempts == 10 && cfg.list_max_keys == 1000 && cfg.part_size == 8u << 20 &&
		   cfg.connect_timeout_ms == 10000 && cfg.low_speed_time_s == 30,
	   "defaults: 10 attempts, 1000 keys a page, 8 MiB parts, 10 s connect, 30 s stall");
	s3_config_free(&cfg);
	opts.max_attempts = 3;
	opts.list_page_keys = 5000;
	opts.request_timeout_ms = 1500;
	rc = load("s3://b", &opts, &cfg, &err);
	ok(cfg.max_attempts == 3 && cfg.list_max_keys == 1000 && cfg.low_speed_time_s == 2,
	   "options: attempts, max-keys capped at 1000, stall time rounded up to seconds");
	s3_config_free(&cfg);
}

static void test_ini(void)
{
	char path[512], *v = NULL;
	snprintf(path, sizeof(path), "%s/.aws/config", tmpdir);
	ok(s3_ini_get(path, "profile r2", "s3.addressing_style", &v) == 0 && v &&
		   strcmp(v, "virtual") == 0,
	   "nested key read");
	free(v);
	v = NULL;
	ok(s3_ini_get(path, "profile r2", "region_unused", &v) == 0 && v && strcmp(v, "x") == 0,
	   "a key after a nested block belongs to the profile again");
	free(v);
	v = NULL;
	ok(s3_ini_get(path, "profile r2", "endpoint_url", &v) == -ENOENT && !v,
	   "a nested key is not a top-level key");
	ok(s3_ini_get(path, "profile none", "region", &v) == -ENOENT, "missing section");
	ok(s3_ini_get("/nonexistent/file", "default", "region", &v) == -ENOENT, "missing file");
}

/* ---- XML ---- */

static void test_xml(void)
{
	static const char page1[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>b</Name><Prefix>ds/data/</Prefix><KeyCount>4</KeyCount><MaxKeys>4</MaxKeys>"
		"<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
		"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
		"<Contents><Key>ds/data/</Key><Size>0</Size></Contents>"
		"<Contents><Key>ds/data/a&amp;b &lt;1&gt;.lance</Key>"
		"<LastModified>2024-05-01T12:34:56.789Z</LastModified>"
		"<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag><Size>12345</Size>"
		"<StorageClass>STANDARD</StorageClass></Contents>"
		"<Contents><Key><![CDATA[ds/data/x<y>.lance]]></Key><Size>7</Size>"
		"<LastModified>2024-05-01T12:34:56Z</LastModified><ETag>\"abc-2\"</ETag></Contents>"
		"<CommonPrefixes><Prefix>ds/data/sub&#x2F;dir/</Prefix></CommonPrefixes>"
		"<CommonPrefixes><Prefix>ds/data/caf&#233;/</Prefix></CommonPrefixes>"
		"</ListBucketResult>\n";
	s3_list_page page;
	lfs_err err;
	int rc;

	memset(&page, 0, sizeof(page));
	rc = s3_parse_list(page1, strlen(page1), "ds/data/", &page, &err);
	ok(rc == 0, "list page parses");
	ok(page.truncated && page.next_token &&
		   strcmp(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=") == 0,
	   "IsTruncated and NextContinuationToken");
	ok(page.n == 3, "the directory marker and the nested prefix are no entries (%zu)", page.n);
	ok(page.keys_seen == 5, "keys seen count the marker (%zu)", page.keys_seen);
	if (page.n == 3) {
		is_str(page.entries[0].name, "a&b <1>.lance", "entities decoded in a key");
		ok(page.entries[0].info.size == 12345 && !page.entries[0].is_dir, "size of an object");
		is_str(page.entries[0].info.etag, "9b2cf535f27731c974343645a3985328", "ETag without quotes");
		ok(page.entries[0].info.mtime_ns == 1714566896ll * 1000000000ll,
		   "LastModified in whole seconds (%lld)", (long long)page.entries[0].info.mtime_ns);
		is_str(page.entries[1].name, "x<y>.lance", "CDATA key");
		is_str(page.entries[1].info.etag, "abc-2", "multipart ETag");
		is_str(page.entries[2].name, "caf\xc3\xa9", "a common prefix is a directory, UTF-8 decoded");
		ok(page.entries[2].is_dir, "is_dir set for a common prefix");
	}
	s3_list_page_free(&page);

	static const char cut[] = "<ListBucketResult><Contents><Key>a</Key><Size>1</Si";
	memset(&page, 0, sizeof(page));
	ok(s3_parse_list(cut, strlen(cut), "", &page, &err) == -EIO, "a cut-off page is -EIO: %s", err.msg);
	s3_list_page_free(&page);
	static const char notruncated[] = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
	memset(&page, 0, sizeof(page));
	ok(s3_parse_list(notruncated, strlen(notruncated), "", &page, &err) == -EIO,
	   "truncated without a token is -EIO");
	s3_list_page_free(&page);
	static const char badsize[] = "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>";
	memset(&page, 0, sizeof(page));
	ok(s3_parse_list(badsize, strlen(badsize), "", &page, &err) == -EIO, "a negative size is -EIO");
	s3_list_page_free(&page);
	static const char error_doc[] = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code></Error>";
	memset(&page, 0, sizeof(page));
	ok(s3_parse_list(error_doc, strlen(error_doc), "", &page, &err) == -EIO,
	   "an Error document is not a list");
	s3_list_page_free(&page);
	static const char mismatched[] = "<ListBucketResult><Name>b</Nam></ListBucketResult>";
	memset(&page, 0, sizeof(page));
	ok(s3_parse_list(mismatched, strlen(mismatched), "", &page, &err) == -EIO, "mismatched tags are -EIO");
	s3_list_page_free(&page);

	char code[64], msg[256];
	static const char e1[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
		"<Message>Please reduce your\nrequest rate.</Message><RequestId>x</RequestId></Error>";
	s3_parse_error(e1, strlen(e1), code, sizeof(code), msg, sizeof(msg));
	is_str(code, "SlowDown", "error Code");
	is_str(msg, "Please reduce your request rate.", "error Message on one line");
	s3_parse_error("garbage", 7, code, sizeof(code), msg, sizeof(msg));
	ok(code[0] == 0 && msg[0] == 0, "no Code from a body that is not XML");

	ok(s3_parse_iso8601("1970-01-01T00:00:01.5Z") == 1500000000ll, "ISO 8601 with fraction");
	ok(s3_parse_iso8601("yesterday") == -1, "ISO 8601 garbage");
	ok(s3_parse_iso8601("9999-12-31T23:59:59Z") == -1 && s3_parse_iso8601("0001-01-01T00:00:00Z") == -1,
	   "ISO 8601 times that do not fit in ns since 1970 are unknown, not overflowed");
}

int main(void)
{
	char cmd[600];

	test_s3_doc_examples();
	test_suite();
	test_encoding();
	test_uris();
	test_config();
	test_ini();
	test_xml();
	printf("1..%d\n", test_no);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (tmpdir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return failures ? 1 : 0;
}
