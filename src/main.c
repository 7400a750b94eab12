/*
 * main: the lancefs command line.
 *
 *   lancefs mount [options] URI MOUNTPOINT
 *   lancefs inspect [options] URI      print the newest manifest as JSON
 *   lancefs --help | --version
 *
 * Options are parsed here; the object store is opened here so that a bad
 * URI or credential fails before the daemon forks; the cache is put in
 * front of the store after the fork (fs.c calls make_cached_store), since
 * its worker threads would not survive the fork.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "format/dataset.h"
#include "fs/fs.h"
#include "fs/fs_impl.h"
#include "store/store.h"
#include "util/util.h"

static lfs_cache_opts cache_opts;

static void usage(FILE *to)
{
	fprintf(to,
		"usage: lancefs mount [options] URI MOUNTPOINT\n"
		"       lancefs inspect [options] URI\n"
		"       lancefs --help | --version\n"
		"\n"
		"Mounts a Lance dataset read-only: versions, columns and fragments become files.\n"
		"URI is a path, file:///path, s3://bucket/prefix, or a LanceDB database directory.\n"
		"\n"
		"Mount options:\n"
		"  -f                    stay in the foreground\n"
		"  -d                    FUSE debug output (implies -f)\n"
		"  -s                    single-threaded\n"
		"  -o OPT[,OPT...]       FUSE mount options (allow_other, ...)\n"
		"  --log-level LEVEL     error, warn (default), info or debug\n"
		"  --refresh SECONDS     poll for new versions this often (default 5, 0 = never)\n"
		"  --cache-size SIZE     memory for the block cache (default 512M)\n"
		"  --block-size SIZE     cache block size, a power of two (default 1M)\n"
		"  --cache-dir DIR       keep cached blocks on disk too, across mounts\n"
		"  --cache-disk-size SIZE  bytes the disk tier may hold (default 10G)\n"
		"  --readahead BLOCKS    read-ahead window for sequential readers (default 8)\n"
		"S3 options (also AWS_* variables and ~/.aws files):\n"
		"  --endpoint URL        S3-compatible endpoint (R2: https://ACCOUNT.r2.cloudflarestorage.com)\n"
		"  --region REGION       signing region (R2: auto)\n"
		"  --profile NAME        profile in ~/.aws/credentials and ~/.aws/config\n"
		"  --path-style          bucket in the URL path instead of the host name\n"
		"  --no-sign-request     anonymous requests (public buckets)\n"
		"  --ca-file FILE        CA certificates to verify TLS with\n"
		"\n"
		"Unmount with: fusermount3 -u MOUNTPOINT\n");
}

enum {
	OPT_LOG_LEVEL = 1000, OPT_REFRESH, OPT_CACHE_SIZE, OPT_BLOCK_SIZE, OPT_CACHE_DIR,
	OPT_CACHE_DISK_SIZE, OPT_READAHEAD, OPT_ENDPOINT, OPT_REGION, OPT_PROFILE,
	OPT_PATH_STYLE, OPT_NO_SIGN, OPT_CA_FILE, OPT_HELP, OPT_VERSION,
};

static const struct option long_opts[] = {
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "refresh", required_argument, NULL, OPT_REFRESH },
	{ "cache-size", required_argument, NULL, OPT_CACHE_SIZE },
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "cache-disk-size", required_argument, NULL, OPT_CACHE_DISK_SIZE },
	{ "readahead", required_argument, NULL, OPT_READAHEAD },
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "path-style", no_argument, NULL, OPT_PATH_STYLE },
	{ "no-sign-request", no_argument, NULL, OPT_NO_SIGN },
	{ "ca-file", required_argument, NULL, OPT_CA_FILE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

struct cli {
	lfs_store_opts store;
	unsigned refresh_s;
	int foreground, debug, single;
	char **fuse_opts;   /* -o values */
	size_t n_fuse_opts;
};

static int parse_size_arg(const char *name, const char *text, uint64_t *out)
{
	if (lfs_cache_parse_size(text, out) == 0)
		return 0;
	fprintf(stderr, "lancefs: %s: cannot read size \"%s\" (use e.g. 512M, 4G)\n", name, text);
	return -1;
}

static int parse_options(int argc, char **argv, struct cli *cli)
{
	int c;
	uint64_t v;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+fdso:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'f': cli->foreground = 1; break;
		case 'd': cli->debug = cli->foreground = 1; break;
		case 's': cli->single = 1; break;
		case 'o': {
			char **p = realloc(cli->fuse_opts, (cli->n_fuse_opts + 1) * sizeof(*p));
			if (!p)
				return -1;
			cli->fuse_opts = p;
			p[cli->n_fuse_opts++] = optarg;
			break;
		}
		case OPT_LOG_LEVEL: {
			enum lfs_log_level level;
			if (lfs_log_parse_level(optarg, &level)) {
				fprintf(stderr, "lancefs: --log-level: expected error, warn, info or debug\n");
				return -1;
			}
			lfs_log_set_level(level);
			break;
		}
		case OPT_REFRESH:
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (*end || errno || v > 86400 * 365) {
				fprintf(stderr, "lancefs: --refresh: expected seconds\n");
				return -1;
			}
			cli->refresh_s = (unsigned)v;
			break;
		case OPT_CACHE_SIZE:
			if (parse_size_arg("--cache-size", optarg, &cache_opts.mem_budget))
				return -1;
			break;
		case OPT_BLOCK_SIZE:
			if (parse_size_arg("--block-size", optarg, &v))
				return -1;
			cache_opts.block_size = (size_t)v;
			break;
		case OPT_CACHE_DIR: cache_opts.disk_dir = optarg; break;
		case OPT_CACHE_DISK_SIZE:
			if (parse_size_arg("--cache-disk-size", optarg, &cache_opts.disk_budget))
				return -1;
			break;
		case OPT_READAHEAD:
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (*end || errno || v > 1024) {
				fprintf(stderr, "lancefs: --readahead: expected a number of blocks\n");
				return -1;
			}
			cache_opts.readahead = (unsigned)v;
			break;
		case OPT_ENDPOINT: cli->store.endpoint = optarg; break;
		case OPT_REGION: cli->store.region = optarg; break;
		case OPT_PROFILE: cli->store.profile = optarg; break;
		case OPT_PATH_STYLE: cli->store.path_style = 1; break;
		case OPT_NO_SIGN: cli->store.no_sign_request = 1; break;
		case OPT_CA_FILE: cli->store.ca_file = optarg; break;
		case 'h':
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION: printf("lancefs %s\n", PACKAGE_VERSION); exit(0);
		default: return -1;
		}
	}
	return 0;
}

static int make_cached_store(lfs_store *base, lfs_store **out, lfs_err *err)
{
	return lfs_cache_new(base, &cache_opts, out, err);
}

static int cmd_mount(int argc, char **argv)
{
	struct cli cli = { .refresh_s = 5 };
	lfs_store *store;
	lfs_err err;
	char *fargv[64];
	int fargc = 0, rc;

	if (parse_options(argc, argv, &cli))
		goto usage;
	if (argc - optind != 2) {
		fprintf(stderr, "lancefs: mount needs a URI and a mount point\n");
		goto usage;
	}
	const char *uri = argv[optind], *mountpoint = argv[optind + 1];
	rc = lfs_store_open(uri, &cli.store, &store, &err);
	if (rc) {
		fprintf(stderr, "lancefs: %s\n", err.msg);
		free(cli.fuse_opts);
		return 1;
	}
	fargv[fargc++] = "lancefs";
	fargv[fargc++] = (char *)mountpoint;
	if (cli.foreground)
		fargv[fargc++] = "-f";
	if (cli.debug)
		fargv[fargc++] = "-d";
	if (cli.single)
		fargv[fargc++] = "-s";
	/* everything but query/ refuses writes itself (EROFS), so the mount is
	 * not "ro"; the subtype names us in /proc/mounts */
	fargv[fargc++] = "-o";
	fargv[fargc++] = "default_permissions,subtype=lancefs,fsname=lancefs";
	for (size_t i = 0; i < cli.n_fuse_opts && fargc < 62; i++) {
		fargv[fargc++] = "-o";
		fargv[fargc++] = cli.fuse_opts[i];
	}
	fargv[fargc] = NULL;
	lfs_mount_opts mo = { .uri = uri, .store = store, .refresh_s = cli.refresh_s };
	rc = lfs_fs_run(&mo, make_cached_store, fargc, fargv);
	free(cli.fuse_opts);
	return rc;
usage:
	free(cli.fuse_opts);
	usage(stderr);
	return 2;
}

static int cmd_inspect(int argc, char **argv)
{
	struct cli cli = { 0 };
	lfs_store *store;
	lfs_dataset *ds;
	lfs_version *ver;
	lfs_err err;
	lfs_buf b;
	int rc;

	if (parse_options(argc, argv, &cli) || argc - optind != 1) {
		free(cli.fuse_opts);
		usage(stderr);
		return 2;
	}
	free(cli.fuse_opts);
	rc = lfs_store_open(argv[optind], &cli.store, &store, &err);
	if (!rc)
		rc = lfs_dataset_open(store, "", &ds, &err);
	else
		store = NULL;
	if (rc) {
		fprintf(stderr, "lancefs: %s\n", err.msg);
		lfs_store_close(store);
		return 1;
	}
	rc = lfs_dataset_version(ds, lfs_dataset_latest(ds), &ver, &err);
	lfs_buf_init(&b);
	if (!rc) {
		rc = lfs_doc_manifest(lfs_version_manifest(ver), &b);
		lfs_version_release(ver);
		if (!rc)
			fwrite(b.data, 1, b.len, stdout);
	} else {
		fprintf(stderr, "lancefs: %s\n", err.msg);
	}
	lfs_buf_free(&b);
	lfs_dataset_close(ds);
	lfs_store_close(store);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	/* Cache blocks and decoded chunks are large and short-lived: keep them
	 * in their own mappings so that freeing them gives the memory back
	 * (glibc would otherwise raise its threshold and keep freed blocks in
	 * the heap, growing the daemon past its --cache-size). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	lfs_cache_opts_init(&cache_opts);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("lancefs %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "mount") == 0)
		return cmd_mount(argc - 1, argv + 1);
	if (strcmp(argv[1], "inspect") == 0)
		return cmd_inspect(argc - 1, argv + 1);
	fprintf(stderr, "lancefs: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return 2;
}
