/* bench/knn_query: runs a query file through lfs_query_run over a Lance table
 * on local disk, the way a query/ file on a mount runs, and reports how long
 * it took.  Used by bench/knn.sh (timings) and handy by hand (results).
 *
 *   knn_query [-n RUNS] [-w WARMUP] [-t THREADS] [-c] [-q] TABLE_DIR QUERY_FILE
 *
 * -n  runs to time (default 1); the results of the last run go to stdout
 * -w  untimed runs first (default 0)
 * -t  worker threads (default: one per CPU)
 * -c  read through lancefs's block cache, as a mount does (default: the
 *     local store directly)
 * -q  do not print the results
 * stderr gets one line per timed run: "run N: MS ms", then "median: MS ms".
 * Each run opens the version's row source afresh, like a new query file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "format/dataset.h"
#include "fs/fs_impl.h"
#include "search/search.h"
#include "store/store.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			char *b = realloc(buf, cap);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	int runs = 1, warmup = 0, quiet = 0, cached = 0, opt;
	lfs_err err = { "" };
	lfs_store *store = NULL;
	lfs_dataset *ds = NULL;
	lfs_query *q = NULL;
	int rc;

	while ((opt = getopt(argc, argv, "n:w:t:cq")) != -1) {
		switch (opt) {
		case 'n': runs = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 't': lfs_search_set_threads((unsigned)atoi(optarg)); break;
		case 'c': cached = 1; break;
		case 'q': quiet = 1; break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || runs < 1 || warmup < 0)
		goto usage;

	size_t qlen;
	char *qtext = slurp(argv[optind + 1], &qlen);
	if (!qtext) {
		fprintf(stderr, "knn_query: cannot read %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	rc = lfs_query_parse(qtext, qlen, &q, &err);
	free(qtext);
	if (rc) {
		fprintf(stderr, "knn_query: %s\n", err.msg);
		return 1;
	}
	rc = lfs_store_open_local(argv[optind], &store, &err);
	if (!rc && cached) {
		lfs_cache_opts co;
		lfs_store *c;
		lfs_cache_opts_init(&co);
		rc = lfs_cache_new(store, &co, &c, &err);
		if (!rc)
			store = c;
	}
	if (!rc)
		rc = lfs_dataset_open(store, "", &ds, &err);
	if (rc) {
		fprintf(stderr, "knn_query: %s: %s\n", argv[optind], err.msg);
		return 1;
	}
	uint64_t v = lfs_dataset_latest(ds);
	if (lfs_query_tag(q)) {
		lfs_tag *tags;
		size_t nt;
		int found = 0;
		if (lfs_dataset_tags(ds, &tags, &nt, &err) == 0) {
			for (size_t i = 0; i < nt; i++)
				if (strcmp(tags[i].name, lfs_query_tag(q)) == 0) {
					v = tags[i].version;
					found = 1;
				}
			lfs_tags_free(tags, nt);
		}
		if (!found) {
			fprintf(stderr, "knn_query: no tag %s\n", lfs_query_tag(q));
			return 1;
		}
	} else {
		lfs_query_version(q, &v);
	}

	double *ms = calloc((size_t)runs, sizeof(double));
	lfs_buf out;
	lfs_buf_init(&out);
	for (int i = 0; i < warmup + runs; i++) {
		lfs_version *ver;
		lfs_source *src;
		uint64_t t0 = lfs_now_ns();
		out.len = 0;
		rc = lfs_dataset_version(ds, v, &ver, &err);
		if (!rc) {
			rc = lfs_source_new(ver, LFS_SCOPE_TABLE, 0, &src, &err);
			lfs_version_release(ver);
		}
		if (!rc) {
			rc = lfs_query_run(q, lfs_source_rows(src), &out, &err);
			lfs_source_free(src);
		}
		double t = (double)(lfs_now_ns() - t0) / 1e6;
		if (rc) {
			fprintf(stderr, "knn_query: %s\n", err.msg);
			if (!quiet) {
				lfs_buf e;
				lfs_buf_init(&e);
				lfs_query_error_line(&e, err.msg);
				fwrite(e.data, 1, e.len, stdout);
				lfs_buf_free(&e);
			}
			return 2;
		}
		if (i >= warmup) {
			ms[i - warmup] = t;
			fprintf(stderr, "run %d: %.2f ms\n", i - warmup + 1, t);
		}
	}
	qsort(ms, (size_t)runs, sizeof(double), cmp_double);
	fprintf(stderr, "median: %.2f ms\n",
		runs % 2 ? ms[runs / 2] : (ms[runs / 2 - 1] + ms[runs / 2]) / 2);
	if (!quiet && out.len)
		fwrite(out.data, 1, out.len, stdout);
	lfs_buf_free(&out);
	free(ms);
	lfs_query_free(q);
	lfs_dataset_close(ds);
	lfs_store_close(store);
	return 0;
usage:
	fprintf(stderr, "usage: knn_query [-n RUNS] [-w WARMUP] [-t THREADS] [-c] [-q] TABLE_DIR QUERY_FILE\n");
	return 2;
}
