/* store/s3_config: bucket, region, endpoint and credentials, found where the
 * AWS command line tools and LanceDB look for them.  See s3.h and doc/s3.md.
 *
 * Order (first wins):
 *   credentials  --no-sign-request; AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY
 *                (+ AWS_SESSION_TOKEN) unless a profile was given as an
 *                option; the profile in the shared credentials file; the
 *                profile in the config file; the variables again when the
 *                profile given as an option has settings but no keys
 *   profile      opts->profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default"
 *   region       opts->region, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 *                region, "auto" for an R2 endpoint, "us-east-1"
 *   endpoint     opts->endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
 *                profile's s3 endpoint_url (nested or in its services
 *                section), the profile's endpoint_url, AWS itself
 */
#include "store/s3.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_REQUEST_TIMEOUT_MS 30000
#define DEFAULT_MAX_ATTEMPTS 10
#define DEFAULT_LIST_KEYS 1000
#define DEFAULT_PART_SIZE (8u << 20)
#define DEFAULT_PARALLEL 8

/* An unset and an empty variable mean the same to the AWS tools. */
static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int env_true(const char *name)
{
	const char *v = env(name);
	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

int s3_parse_uri(const char *uri, char **bucket, char **prefix, lfs_err *err)
{
	const char *p, *slash, *start, *end;

	*bucket = *prefix = NULL;
	if (strncmp(uri, "s3://", 5) != 0)
		return lfs_fail(err, -EINVAL, "%s: not an s3:// URI", uri);
	p = uri + 5;
	slash = strchr(p, '/');
	end = slash ? slash : p + strlen(p);
	if (end == p)
		return lfs_fail(err, -EINVAL, "%s: no bucket name (use s3://BUCKET/PREFIX)", uri);
	for (const char *c = p; c < end; c++) {
		/* Bucket names are DNS labels: lower case letters, digits, '.', '-'
		 * (and '_' or capitals in old buckets).  Anything else is a typo. */
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			return lfs_fail(err, -EINVAL, "%s: '%c' cannot be in a bucket name", uri, *c);
	}
	*bucket = strndup(p, (size_t)(end - p));
	start = slash ? slash : end;
	while (*start == '/')
		start++;
	end = start + strlen(start);
	while (end > start && end[-1] == '/')
		end--;
	*prefix = strndup(start, (size_t)(end - start));
	if (!*bucket || !*prefix) {
		free(*bucket);
		free(*prefix);
		*bucket = *prefix = NULL;
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- the shared files ---- */

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	*e = 0;
	return s;
}

/* Is this "[...]" header line the section we look for?  The config file
 * names profiles "[profile NAME]" but the default one "[default]"; the
 * credentials file names them "[NAME]".  Both forms are accepted in both. */
static int section_matches(const char *line, const char *section)
{
	char buf[512];
	size_t n = strlen(line);
	char *inner;

	if (n < 2 || line[0] != '[' || line[n - 1] != ']' || n - 2 >= sizeof(buf))
		return 0;
	memcpy(buf, line + 1, n - 2);
	buf[n - 2] = 0;
	inner = trim(buf);
	if (strcmp(inner, section) == 0)
		return 1;
	/* "profile NAME" <-> "NAME" */
	if (strncmp(section, "profile ", 8) == 0 && strcmp(inner, section + 8) == 0)
		return 1;
	if (strncmp(inner, "profile", 7) == 0 && (inner[7] == ' ' || inner[7] == '\t')) {
		const char *name = inner + 8;
		while (*name == ' ' || *name == '\t')
			name++;
		if (strcmp(name, section) == 0)
			return 1;
	}
	return 0;
}

int s3_ini_get(const char *path, const char *section, const char *key, char **out)
{
	char line[4096];
	char parent[128] = "", child[128] = "";
	int in_section = 0, found = 0;
	const char *dot;
	char nested[128] = ""; /* the nested block we are in ("s3"), if any */
	FILE *f;

	*out = NULL;
	dot = strchr(key, '.');
	if (dot) {
		size_t pl = (size_t)(dot - key);
		if (pl >= sizeof(parent) || strlen(dot + 1) >= sizeof(child))
			return -EINVAL;
		memcpy(parent, key, pl);
		parent[pl] = 0;
		strcpy(child, dot + 1);
	}
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ENOENT : -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		int indented = line[0] == ' ' || line[0] == '\t';
		char *s = trim(line), *eq, *name, *value;

		if (*s == 0 || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			in_section = section_matches(s, section);
			nested[0] = 0;
			continue;
		}
		if (!in_section)
			continue;
		eq = strchr(s, '=');
		if (!eq)
			continue;
		*eq = 0;
		name = trim(s);
		value = trim(eq + 1);
		if (!indented) {
			/* "s3 =" with nothing after opens a nested block */
			if (*value == 0 && strlen(name) < sizeof(nested))
				strcpy(nested, name);
			else
				nested[0] = 0;
			if (!dot && strcmp(name, key) == 0 && *value)
				found = 1;
		} else if (dot && nested[0] && strcmp(nested, parent) == 0 && strcmp(name, child) == 0) {
			found = 1;
		}
		if (found) {
			*out = strdup(value);
			if (!*out) {
				fclose(f);
				return -ENOMEM;
			}
		}
	}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/* Whether a file has a section at all (to tell "no such profile"). */
static int ini_has_section(const char *path, const char *section)
{
	char line[4096];
	int has = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (!has && fgets(line, sizeof(line), f)) {
		char *s = trim(line);
		if (*s == '[' && section_matches(s, section))
			has = 1;
	}
	fclose(f);
	return has;
}

static char *home_path(const char *rel)
{
	const char *home = env("HOME");
	if (!home) {
		struct passwd pw, *res = NULL;
		static __thread char pwbuf[4096];
		if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 && res)
			home = res->pw_dir;
	}
	if (!home)
		return NULL;
	return lfs_strdup_printf("%s/%s", home, rel);
}

/* AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE may start with "~/". */
static char *shared_file(const char *var, const char *def)
{
	const char *v = env(var);
	if (!v)
		return home_path(def);
	if (v[0] == '~' && v[1] == '/')
		return home_path(v + 2);
	return strdup(v);
}

typedef struct aws_files {
	char *credentials;   /* path of the shared credentials file */
	char *config;        /* path of the config file */
	const char *profile; /* the profile name */
	char *cfg_section;   /* "profile NAME" or "default" */
} aws_files;

/* A setting of the profile in the config file. */
static char *config_get(const aws_files *f, const char *key)
{
	char *v = NULL;
	if (f->config && s3_ini_get(f->config, f->cfg_section, key, &v) == 0)
		return v;
	return NULL;
}

/* ---- endpoint ---- */

static int host_is_ip_or_local(const char *host)
{
	unsigned char addr[16];
	char buf[256];
	size_t n = strlen(host);

	if (n >= sizeof(buf))
		return 0;
	if (host[0] == '[')
		return 1; /* an IPv6 literal */
	memcpy(buf, host, n + 1);
	if (inet_pton(AF_INET, buf, addr) == 1)
		return 1;
	if (strcasecmp(buf, "localhost") == 0)
		return 1;
	return n > 10 && strcasecmp(buf + n - 10, ".localhost") == 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* A bucket that can be a DNS label of a TLS host name. */
static int bucket_dns_ok(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63)
		return 0;
	for (const char *c = b; *c; c++)
		if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-'))
			return 0; /* dots break the TLS wildcard name; '_' and capitals DNS */
	return b[0] != '-' && b[n - 1] != '-';
}

typedef struct endpoint_parts {
	char scheme[8];
	char authority[256]; /* host[:port] */
	char hostname[256];  /* host alone */
	char path[512];      /* "" or "/some/path" without trailing '/' */
} endpoint_parts;

static int parse_endpoint(const char *url, endpoint_parts *ep, lfs_err *err)
{
	const char *p = url, *auth, *slash;
	size_t n;

	memset(ep, 0, sizeof(*ep));
	if (strncasecmp(p, "https://", 8) == 0) {
		strcpy(ep->scheme, "https");
		p += 8;
	} else if (strncasecmp(p, "http://", 7) == 0) {
		strcpy(ep->scheme, "http");
		p += 7;
	} else if (strstr(p, "://")) {
		return lfs_fail(err, -EINVAL, "endpoint %s: only http:// and https:// are supported", url);
	} else {
		strcpy(ep->scheme, "https"); /* a bare host name, as the AWS tools allow */
	}
	auth = p;
	slash = strchr(auth, '/');
	n = slash ? (size_t)(slash - auth) : strlen(auth);
	if (n == 0 || n >= sizeof(ep->authority))
		return lfs_fail(err, -EINVAL, "endpoint %s: no host name", url);
	if (memchr(auth, '@', n))
		return lfs_fail(err, -EINVAL,
				"endpoint: user names or passwords in the endpoint URL are not supported");
	if (memchr(auth, '?', n) || memchr(auth, '#', n))
		return lfs_fail(err, -EINVAL, "endpoint %s: unexpected '?' or '#'", url);
	memcpy(ep->authority, auth, n);
	ep->authority[n] = 0;
	/* the host name without the port; an IPv6 literal keeps its brackets */
	strcpy(ep->hostname, ep->authority);
	if (ep->hostname[0] == '[') {
		char *close = strchr(ep->hostname, ']');
		if (!close)
			return lfs_fail(err, -EINVAL, "endpoint %s: unclosed '['", url);
		close[1] = 0;
	} else {
		char *colon = strchr(ep->hostname, ':');
		if (colon)
			*colon = 0;
	}
	if (slash) {
		size_t pl = strlen(slash);
		while (pl > 0 && slash[pl - 1] == '/')
			pl--;
		if (pl >= sizeof(ep->path))
			return lfs_fail(err, -EINVAL, "endpoint %s: path too long", url);
		memcpy(ep->path, slash, pl);
		ep->path[pl] = 0;
	}
	return 0;
}

/* The AWS endpoint of a region. */
static char *aws_endpoint(const char *region)
{
	const char *suffix = strncmp(region, "cn-", 3) == 0 ? "amazonaws.com.cn" : "amazonaws.com";
	return lfs_strdup_printf("https://s3.%s.%s", region, suffix);
}

/* ---- credentials ---- */

/* Secrets are wiped before their memory goes back to malloc. */
static void free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* Keys from the profile in one file; 1 if both keys were there. */
static int creds_from_file(s3_config *cfg, const char *path, const char *section)
{
	char *ak = NULL, *sk = NULL, *tok = NULL;

	if (!path)
		return 0;
	s3_ini_get(path, section, "aws_access_key_id", &ak);
	s3_ini_get(path, section, "aws_secret_access_key", &sk);
	if (!ak || !sk) {
		free(ak);
		if (sk)
			free_secret(sk);
		return 0;
	}
	s3_ini_get(path, section, "aws_session_token", &tok);
	cfg->access_key = ak;
	cfg->secret_key = sk;
	cfg->session_token = tok;
	cfg->creds_source = lfs_strdup_printf("profile \"%s\" in %s", cfg->profile, path);
	return 1;
}

/* What the profile uses that lancefs cannot do yet, for the error message. */
static const char *unsupported_source(const aws_files *f)
{
	static const char *keys[] = { "credential_process", "role_arn", "sso_session",
				      "sso_start_url", "web_identity_token_file" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char *v = config_get(f, keys[i]);
		if (v) {
			free(v);
			return keys[i];
		}
	}
	return NULL;
}

static int load_credentials(s3_config *cfg, const lfs_store_opts *opts, const aws_files *f,
			    int explicit_profile, lfs_err *err)
{
	const char *ak = env("AWS_ACCESS_KEY_ID"), *sk = env("AWS_SECRET_ACCESS_KEY");
	const char *why;

	if (opts && opts->no_sign_request) {
		cfg->anonymous = 1;
		cfg->creds_source = strdup("none (--no-sign-request)");
		return 0;
	}
	if (!explicit_profile && ak && sk) {
		const char *tok = env("AWS_SESSION_TOKEN");
		cfg->access_key = strdup(ak);
		cfg->secret_key = strdup(sk);
		cfg->session_token = tok ? strdup(tok) : NULL;
		cfg->creds_source = strdup("the environment (AWS_ACCESS_KEY_ID)");
		if (!cfg->access_key || !cfg->secret_key || (tok && !cfg->session_token))
			return lfs_fail(err, -ENOMEM, "out of memory");
		return 0;
	}
	if (creds_from_file(cfg, f->credentials, f->profile))
		return 0;
	if (creds_from_file(cfg, f->config, f->cfg_section))
		return 0;
	if (explicit_profile && ak && sk &&
	    ((f->credentials && ini_has_section(f->credentials, f->profile)) ||
	     (f->config && ini_has_section(f->config, f->cfg_section)))) {
		/* a profile with settings but no keys (an endpoint, a region):
		 * the keys may come from the environment */
		const char *tok = env("AWS_SESSION_TOKEN");
		cfg->access_key = strdup(ak);
		cfg->secret_key = strdup(sk);
		cfg->session_token = tok ? strdup(tok) : NULL;
		cfg->creds_source = lfs_strdup_printf(
			"the environment (AWS_ACCESS_KEY_ID; profile \"%s\" has no keys)", f->profile);
		if (!cfg->access_key || !cfg->secret_key || (tok && !cfg->session_token))
			return lfs_fail(err, -ENOMEM, "out of memory");
		return 0;
	}
	if (explicit_profile || env("AWS_PROFILE") || env("AWS_DEFAULT_PROFILE")) {
		int exists = (f->credentials && ini_has_section(f->credentials, f->profile)) ||
			     (f->config && ini_has_section(f->config, f->cfg_section));
		if (!exists)
			return lfs_fail(err, -EINVAL,
					"AWS profile \"%s\" not found in %s or %s", f->profile,
					f->credentials ? f->credentials : "(no credentials file)",
					f->config ? f->config : "(no config file)");
	}
	why = unsupported_source(f);
	if (why)
		return lfs_fail(err, -ENOTSUP,
				"AWS profile \"%s\" gets its credentials with %s, which lancefs does not "
				"support yet; export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and "
				"AWS_SESSION_TOKEN) instead",
				f->profile, why);
	return lfs_fail(err, -EACCES,
			"no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
			"or put them in profile \"%s\" of %s, or use --no-sign-request for a "
			"public bucket",
			f->profile, f->credentials ? f->credentials : "~/.aws/credentials");
}

/* ---- putting it together ---- */

static int set_addressing(s3_config *cfg, const endpoint_parts *ep, const char *style,
			  int aws_hosted, lfs_err *err)
{
	lfs_buf enc;
	int virtual_host;

	if (cfg->path_style)
		virtual_host = 0;
	else if (style && strcasecmp(style, "path") == 0)
		virtual_host = 0;
	else if (style && strcasecmp(style, "virtual") == 0)
		virtual_host = 1;
	else /* "auto": virtual on AWS, path on everything else */
		virtual_host = aws_hosted && !host_is_ip_or_local(ep->hostname);
	if (virtual_host && !bucket_dns_ok(cfg->bucket)) {
		if (style && strcasecmp(style, "virtual") == 0)
			lfs_warn("bucket \"%s\" cannot be a host name; using path-style requests",
				 cfg->bucket);
		virtual_host = 0;
	}
	cfg->path_style = !virtual_host;
	cfg->scheme = strdup(ep->scheme);
	lfs_buf_init(&enc);
	if (virtual_host) {
		cfg->host = lfs_strdup_printf("%s.%s", cfg->bucket, ep->authority);
		cfg->base_path = strdup(ep->path);
	} else {
		cfg->host = strdup(ep->authority);
		if (lfs_buf_puts(&enc, ep->path) || lfs_buf_putc(&enc, '/') ||
		    s3_uri_encode(&enc, cfg->bucket, 0) || lfs_buf_putc(&enc, 0)) {
			lfs_buf_free(&enc);
			return lfs_fail(err, -ENOMEM, "out of memory");
		}
		cfg->base_path = (char *)enc.data;
	}
	if (!cfg->scheme || !cfg->host || !cfg->base_path)
		return lfs_fail(err, -ENOMEM, "out of memory");
	cfg->base_url = lfs_strdup_printf("%s://%s%s", cfg->scheme, cfg->host, cfg->base_path);
	return cfg->base_url ? 0 : lfs_fail(err, -ENOMEM, "out of memory");
}

static int positive_or(long v, long def)
{
	return v > 0 ? (int)v : (int)def;
}

int s3_config_load(const char *uri, const lfs_store_opts *opts, s3_config *cfg, lfs_err *err)
{
	aws_files f = { 0 };
	endpoint_parts ep;
	char *style = NULL, *v = NULL;
	int explicit_profile, rc, aws_hosted;

	memset(cfg, 0, sizeof(*cfg));
	rc = s3_parse_uri(uri, &cfg->bucket, &cfg->prefix, err);
	if (rc)
		return rc;

	explicit_profile = opts && opts->profile && *opts->profile;
	f.profile = explicit_profile ? opts->profile : env("AWS_PROFILE");
	if (!f.profile)
		f.profile = env("AWS_DEFAULT_PROFILE");
	if (!f.profile)
		f.profile = "default";
	cfg->profile = strdup(f.profile);
	f.credentials = shared_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	f.config = shared_file("AWS_CONFIG_FILE", ".aws/config");
	f.cfg_section = strcmp(f.profile, "default") == 0 ? strdup("default")
							  : lfs_strdup_printf("profile %s", f.profile);
	if (!cfg->profile || !f.cfg_section) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}

	/* endpoint */
	if (opts && opts->endpoint && *opts->endpoint) {
		cfg->endpoint = strdup(opts->endpoint);
	} else if (!env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
		const char *e = env("AWS_ENDPOINT_URL_S3");
		if (!e)
			e = env("AWS_ENDPOINT_URL");
		if (e) {
			cfg->endpoint = strdup(e);
		} else {
			char *services = config_get(&f, "services");
			cfg->endpoint = config_get(&f, "s3.endpoint_url");
			if (!cfg->endpoint && services && f.config) {
				char *sec = lfs_strdup_printf("services %s", services);
				if (sec)
					s3_ini_get(f.config, sec, "s3.endpoint_url", &cfg->endpoint);
				free(sec);
			}
			free(services);
			if (!cfg->endpoint)
				cfg->endpoint = config_get(&f, "endpoint_url");
		}
	}

	/* region */
	if (opts && opts->region && *opts->region)
		cfg->region = strdup(opts->region);
	else if (env("AWS_REGION"))
		cfg->region = strdup(env("AWS_REGION"));
	else if (env("AWS_DEFAULT_REGION"))
		cfg->region = strdup(env("AWS_DEFAULT_REGION"));
	else
		cfg->region = config_get(&f, "region");

	if (cfg->endpoint) {
		rc = parse_endpoint(cfg->endpoint, &ep, err);
		if (rc)
			goto out;
		/* Cloudflare R2 signs with the region "auto". */
		if (!cfg->region && ends_with(ep.hostname, ".r2.cloudflarestorage.com"))
			cfg->region = strdup("auto");
		aws_hosted = ends_with(ep.hostname, ".amazonaws.com") ||
			     ends_with(ep.hostname, ".amazonaws.com.cn");
	} else {
		char *url;
		if (!cfg->region)
			cfg->region = strdup("us-east-1");
		url = cfg->region ? aws_endpoint(cfg->region) : NULL;
		if (!url) {
			rc = lfs_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
		rc = parse_endpoint(url, &ep, err);
		free(url);
		if (rc)
			goto out;
		aws_hosted = 1;
	}
	if (!cfg->region)
		cfg->region = strdup("us-east-1");
	if (!cfg->region) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (const char *c = cfg->region; *c; c++) {
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_') {
			rc = lfs_fail(err, -EINVAL, "region \"%s\" is not a region name", cfg->region);
			goto out;
		}
	}

	/* addressing */
	cfg->path_style = opts && opts->path_style;
	style = config_get(&f, "s3.addressing_style");
	rc = set_addressing(cfg, &ep, style, aws_hosted, err);
	if (rc)
		goto out;

	/* TLS, timeouts, attempts, sizes */
	if (opts && opts->ca_file && *opts->ca_file)
		cfg->ca_file = strdup(opts->ca_file);
	else if (env("AWS_CA_BUNDLE"))
		cfg->ca_file = strdup(env("AWS_CA_BUNDLE"));
	else
		cfg->ca_file = config_get(&f, "ca_bundle");
	cfg->connect_timeout_ms = positive_or(opts ? opts->connect_timeout_ms : 0,
					      DEFAULT_CONNECT_TIMEOUT_MS);
	{
		long ms = positive_or(opts ? opts->request_timeout_ms : 0, DEFAULT_REQUEST_TIMEOUT_MS);
		cfg->low_speed_time_s = (ms + 999) / 1000;
	}
	if (opts && opts->max_attempts > 0) {
		cfg->max_attempts = opts->max_attempts;
	} else {
		const char *e = env("AWS_MAX_ATTEMPTS");
		v = e ? NULL : config_get(&f, "max_attempts");
		cfg->max_attempts = positive_or(e ? atol(e) : v ? atol(v) : 0, DEFAULT_MAX_ATTEMPTS);
		free(v);
		v = NULL;
	}
	if (cfg->max_attempts > 100)
		cfg->max_attempts = 100;
	cfg->list_max_keys = positive_or(opts ? opts->list_page_keys : 0, DEFAULT_LIST_KEYS);
	if (cfg->list_max_keys > 1000)
		cfg->list_max_keys = 1000;
	cfg->part_size = opts && opts->read_part_bytes ? opts->read_part_bytes : DEFAULT_PART_SIZE;
	if (cfg->part_size < 4096)
		cfg->part_size = 4096;
	cfg->max_parallel = positive_or(opts ? opts->read_parallel : 0, DEFAULT_PARALLEL);
	if (cfg->max_parallel > 64)
		cfg->max_parallel = 64;
	cfg->backoff_base_ms = 100;
	cfg->backoff_cap_ms = 5000;

	/* credentials last: their errors are the ones people need to read */
	rc = load_credentials(cfg, opts, &f, explicit_profile, err);
	if (rc)
		goto out;
	if (!cfg->creds_source) {
		rc = lfs_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
out:
	free(style);
	free(f.credentials);
	free(f.config);
	free(f.cfg_section);
	return rc;
}

void s3_config_free(s3_config *cfg)
{
	free(cfg->bucket);
	free(cfg->prefix);
	free(cfg->region);
	free(cfg->endpoint);
	free(cfg->scheme);
	free(cfg->host);
	free(cfg->base_url);
	free(cfg->base_path);
	free(cfg->access_key);
	free_secret(cfg->secret_key);
	free_secret(cfg->session_token);
	free(cfg->creds_source);
	free(cfg->profile);
	free(cfg->ca_file);
	memset(cfg, 0, sizeof(*cfg));
}
