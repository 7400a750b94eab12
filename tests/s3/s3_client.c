/* s3_client: drives lancefs's S3 store for tests/s3/test_s3_store.sh.
 *
 *   s3_client ls URI DIR              one level, "d NAME" / "f NAME SIZE ETAG"
 *   s3_client stat URI KEY            "SIZE ETAG MTIME_NS"
 *   s3_client cat URI KEY             the whole object on stdout
 *   s3_client read URI KEY OFF LEN    a range on stdout
 *   s3_client verify URI LOCALDIR [SEED]
 *        compares the store with a local copy: every listing (names, kinds,
 *        sizes), every stat, every object read whole, ranged reads at odd
 *        offsets and across the end
 *   s3_client faults URI LOCALDIR OPS SEED
 *        OPS random reads, stats and lists through a faulty path: each must
 *        give the right answer or -EIO, never wrong bytes; then it creates
 *        $S3_CLIENT_FAULTS_OFF_FILE (the proxy's --off-file) and runs a full
 *        verify with the same store, which must pass
 *   s3_client concurrent URI LOCALDIR THREADS
 *        verify's reads from many threads at once on one store
 *
 * Store options from the environment: S3_CLIENT_MAX_KEYS, S3_CLIENT_PART_SIZE,
 * S3_CLIENT_PARALLEL, S3_CLIENT_ATTEMPTS, S3_CLIENT_TIMEOUT_MS,
 * S3_CLIENT_PROFILE, S3_CLIENT_PATH_STYLE, S3_CLIENT_NO_SIGN.
 * Errors print "error E<NAME>: message"; the exit code says which: 2 ENOENT,
 * 3 EACCES, 4 EIO, 5 EISDIR, 1 anything else.  At the end the store counters
 * go to stderr as "# stats requests=N retries=N errors=N bytes=N". */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int checks, failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	fprintf(stdout, "# FAIL: ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
	fflush(stdout);
}

static const char *errname(int rc)
{
	switch (rc) {
	case -ENOENT: return "ENOENT";
	case -EACCES: return "EACCES";
	case -EIO: return "EIO";
	case -EISDIR: return "EISDIR";
	case -EINVAL: return "EINVAL";
	case -ENOTSUP: return "ENOTSUP";
	default: return "E?";
	}
}

static int exit_code(int rc)
{
	switch (rc) {
	case 0: return 0;
	case -ENOENT: return 2;
	case -EACCES: return 3;
	case -EIO: return 4;
	case -EISDIR: return 5;
	default: return 1;
	}
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? atol(v) : def;
}

static void print_stats(void)
{
	fprintf(stderr, "# stats requests=%llu retries=%llu errors=%llu bytes=%llu inflight=%llu\n",
		(unsigned long long)lfs_stat_get(store_requests),
		(unsigned long long)lfs_stat_get(store_retries),
		(unsigned long long)lfs_stat_get(store_errors),
		(unsigned long long)lfs_stat_get(store_bytes),
		(unsigned long long)lfs_stat_get(store_inflight));
}

/* ---- a small deterministic random source ---- */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- the local copy ---- */

typedef struct local_file {
	char *key;       /* relative path */
	uint8_t *data;
	size_t size;
} local_file;

typedef struct local_tree {
	local_file *files;
	size_t nfiles, cap;
	char **dirs;     /* every directory, "" for the root */
	size_t ndirs, dcap;
} local_tree;

static uint8_t *slurp(const char *path, size_t *size)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*size = done;
	return buf;
}

static void add_dir(local_tree *t, const char *rel)
{
	if (t->ndirs == t->dcap) {
		t->dcap = t->dcap ? t->dcap * 2 : 16;
		t->dirs = realloc(t->dirs, t->dcap * sizeof(*t->dirs));
	}
	t->dirs[t->ndirs++] = strdup(rel);
}

static void scan(local_tree *t, const char *root, const char *rel)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	d = opendir(path);
	if (!d) {
		perror(path);
		exit(1);
	}
	add_dir(t, rel);
	while ((de = readdir(d)) != NULL) {
		char child[4096], full[8192];
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, child);
		if (stat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan(t, root, child);
		} else if (S_ISREG(st.st_mode)) {
			local_file *f;
			if (t->nfiles == t->cap) {
				t->cap = t->cap ? t->cap * 2 : 64;
				t->files = realloc(t->files, t->cap * sizeof(*t->files));
			}
			f = &t->files[t->nfiles++];
			f->key = strdup(child);
			f->data = slurp(full, &f->size);
			if (!f->data) {
				perror(full);
				exit(1);
			}
		}
	}
	closedir(d);
}

static void tree_free(local_tree *t)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		free(t->files[i].key);
		free(t->files[i].data);
	}
	for (size_t i = 0; i < t->ndirs; i++)
		free(t->dirs[i]);
	free(t->files);
	free(t->dirs);
}

static const local_file *find_file(const local_tree *t, const char *key)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (strcmp(t->files[i].key, key) == 0)
			return &t->files[i];
	return NULL;
}

/* The entries a listing of dir must show, sorted. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t expected_names(const local_tree *t, const char *dir, char ***out, int **is_dir)
{
	size_t dl = strlen(dir), n = 0, cap = 16;
	char **names = malloc(cap * sizeof(*names));

	for (size_t pass = 0; pass < 2; pass++) {
		size_t count = pass == 0 ? t->nfiles : t->ndirs;
		for (size_t i = 0; i < count; i++) {
			const char *k = pass == 0 ? t->files[i].key : t->dirs[i];
			const char *rest;
			if (!*k)
				continue;
			if (dl) {
				if (strncmp(k, dir, dl) != 0 || k[dl] != '/')
					continue;
				rest = k + dl + 1;
			} else {
				rest = k;
			}
			if (strchr(rest, '/'))
				continue;
			if (n == cap)
				names = realloc(names, (cap *= 2) * sizeof(*names));
			/* mark directories with a trailing '/' while sorting */
			names[n++] = pass == 0 ? strdup(rest) : lfs_strdup_printf("%s/", rest);
		}
	}
	/* sort by the bare name, as the store does */
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);
		if (l && names[i][l - 1] == '/')
			names[i][l - 1] = '\x01';
	}
	qsort(names, n, sizeof(*names), name_cmp);
	*is_dir = calloc(n ? n : 1, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(names[i]);
		if (l && names[i][l - 1] == '\x01') {
			names[i][l - 1] = 0;
			(*is_dir)[i] = 1;
		}
	}
	*out = names;
	return n;
}

/* ---- checks ---- */

static void check_list(lfs_store *s, const local_tree *t, const char *dir)
{
	lfs_store_entry *ents = NULL;
	size_t n = 0, want_n;
	char **want;
	int *want_dir;
	lfs_err err = { "" };
	int rc;

	checks++;
	want_n = expected_names(t, dir, &want, &want_dir);
	rc = lfs_store_list(s, dir, &ents, &n, &err);
	if (rc) {
		fail("list \"%s\": %s %s", dir, errname(rc), err.msg);
	} else if (n != want_n) {
		fail("list \"%s\": %zu entries, want %zu", dir, n, want_n);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(ents[i].name, want[i]) != 0 || ents[i].is_dir != want_dir[i]) {
				fail("list \"%s\" entry %zu: %s%s, want %s%s", dir, i, ents[i].name,
				     ents[i].is_dir ? "/" : "", want[i], want_dir[i] ? "/" : "");
				break;
			}
			if (!ents[i].is_dir) {
				char *key = lfs_key_join(dir, ents[i].name);
				const local_file *f = find_file(t, key);
				if (!f || ents[i].info.size != f->size)
					fail("list \"%s\": %s has size %llu, want %zu", dir, ents[i].name,
					     (unsigned long long)ents[i].info.size, f ? f->size : 0);
				if (!ents[i].info.etag[0] || ents[i].info.mtime_ns <= 0)
					fail("list \"%s\": %s has no ETag or mtime", dir, ents[i].name);
				/* caches key on (size, mtime, etag): a listing and a stat
				 * of the same object must agree on all three */
				lfs_object_info si;
				lfs_err serr;
				if (lfs_store_stat(s, key, &si, &serr) == 0 &&
				    (si.size != ents[i].info.size || si.mtime_ns != ents[i].info.mtime_ns ||
				     strcmp(si.etag, ents[i].info.etag) != 0))
					fail("list and stat disagree on %s: %llu %lld \"%s\" vs %llu %lld \"%s\"",
					     key, (unsigned long long)ents[i].info.size,
					     (long long)ents[i].info.mtime_ns, ents[i].info.etag,
					     (unsigned long long)si.size, (long long)si.mtime_ns, si.etag);
				free(key);
			}
		}
	}
	lfs_store_entries_free(ents, n);
	for (size_t i = 0; i < want_n; i++)
		free(want[i]);
	free(want);
	free(want_dir);
}

static void check_stat(lfs_store *s, const local_file *f)
{
	lfs_object_info info;
	lfs_err err = { "" };
	int rc;

	checks++;
	rc = lfs_store_stat(s, f->key, &info, &err);
	if (rc)
		fail("stat %s: %s %s", f->key, errname(rc), err.msg);
	else if (info.size != f->size || !info.etag[0] || info.mtime_ns <= 0)
		fail("stat %s: size %llu etag \"%s\" mtime %lld, want size %zu", f->key,
		     (unsigned long long)info.size, info.etag, (long long)info.mtime_ns, f->size);
}

/* Reads [off, off+len) and compares; returns the error, 0, or 1 for wrong bytes. */
static int check_range(lfs_store *s, const local_file *f, uint64_t off, size_t len, int quiet_eio)
{
	uint8_t *buf = malloc(len ? len : 1);
	size_t got = 0, want;
	lfs_err err = { "" };
	int rc;

	__atomic_add_fetch(&checks, 1, __ATOMIC_RELAXED);
	memset(buf, 0xA5, len ? len : 1);
	rc = lfs_store_read(s, f->key, off, buf, len, &got, &err);
	want = off >= f->size ? 0 : f->size - off < len ? (size_t)(f->size - off) : len;
	if (rc) {
		if (!(quiet_eio && rc == -EIO))
			fail("read %s at %llu+%zu: %s %s", f->key, (unsigned long long)off, len,
			     errname(rc), err.msg);
	} else if (got != want) {
		fail("read %s at %llu+%zu: got %zu bytes, want %zu", f->key, (unsigned long long)off,
		     len, got, want);
		rc = 1;
	} else if (want && memcmp(buf, f->data + off, want) != 0) {
		fail("read %s at %llu+%zu: WRONG BYTES", f->key, (unsigned long long)off, len);
		rc = 1;
	}
	free(buf);
	return rc;
}

static void check_file(lfs_store *s, const local_file *f, uint64_t *seed)
{
	uint8_t *all = NULL;
	size_t len = 0;
	lfs_err err = { "" };
	int rc;

	check_stat(s, f);
	checks++;
	rc = lfs_store_read_all(s, f->key, &all, &len, &err);
	if (rc)
		fail("read_all %s: %s %s", f->key, errname(rc), err.msg);
	else if (len != f->size || memcmp(all, f->data, len) != 0)
		fail("read_all %s: %zu bytes, not the %zu of the local file", f->key, len, f->size);
	free(all);
	/* s3rver answers a Range on an empty object with 206, Content-Length 1
	 * and no body (its range end is max(0, size - 1)); the store rightly
	 * refuses that short body, so empty objects get no ranged reads here. */
	if (f->size == 0)
		return;
	/* odd offsets and lengths, some across the end, one at it, one past it */
	for (int i = 0; i < 6; i++) {
		uint64_t off = f->size ? rng_next(seed) % (f->size + 1) : 0;
		size_t n = 1 + (size_t)(rng_next(seed) % (f->size / 2 + 7));
		if (i == 0)
			off = f->size > 1 ? 1 : 0, n = f->size + 10;
		check_range(s, f, off, n, 0);
	}
	check_range(s, f, f->size, 3, 0);
	check_range(s, f, f->size + 1000, 17, 0);
}

static int verify(lfs_store *s, const local_tree *t, uint64_t seed)
{
	for (size_t i = 0; i < t->ndirs; i++)
		check_list(s, t, t->dirs[i]);
	for (size_t i = 0; i < t->nfiles; i++)
		check_file(s, &t->files[i], &seed);
	printf("# verify: %d checks, %d failures\n", checks, failures);
	return failures ? 4 : 0;
}

/* ---- under faults ---- */

static int faults(lfs_store *s, const local_tree *t, long ops, uint64_t seed)
{
	long right = 0, eio = 0, wrong = 0;
	for (long i = 0; i < ops; i++) {
		uint64_t r = rng_next(&seed);
		const local_file *f = &t->files[r % t->nfiles];
		int rc;
		if ((r >> 20) % 10 == 0) {
			/* a stat */
			lfs_object_info info;
			lfs_err err;
			rc = lfs_store_stat(s, f->key, &info, &err);
			if (rc == 0 && info.size != f->size) {
				fail("stat %s under faults: size %llu", f->key, (unsigned long long)info.size);
				wrong++;
			} else if (rc && rc != -EIO) {
				fail("stat %s under faults: %s %s", f->key, errname(rc), err.msg);
				wrong++;
			} else {
				rc ? eio++ : right++;
			}
			continue;
		}
		if ((r >> 20) % 10 == 1) {
			lfs_store_entry *ents = NULL;
			size_t n = 0;
			lfs_err err;
			const char *dir = t->dirs[(r >> 8) % t->ndirs];
			rc = lfs_store_list(s, dir, &ents, &n, &err);
			lfs_store_entries_free(ents, n);
			if (rc && rc != -EIO) {
				fail("list \"%s\" under faults: %s %s", dir, errname(rc), err.msg);
				wrong++;
			} else {
				rc ? eio++ : right++;
			}
			continue;
		}
		uint64_t off = f->size ? rng_next(&seed) % f->size : 0;
		size_t n = 1 + (size_t)(rng_next(&seed) % (f->size + 1));
		if (f->size == 0) /* see check_file */
			continue;
		rc = check_range(s, f, off, n, 1);
		if (rc == 1 || (rc && rc != -EIO))
			wrong++;
		else
			rc ? eio++ : right++;
	}
	printf("# faults: %ld operations: %ld right, %ld -EIO, %ld wrong\n", ops, right, eio, wrong);
	fflush(stdout);
	if (wrong)
		return 4;
	/* tell the proxy that the faulty phase is over (its --off-file) */
	if (getenv("S3_CLIENT_FAULTS_OFF_FILE")) {
		FILE *off = fopen(getenv("S3_CLIENT_FAULTS_OFF_FILE"), "w");
		if (off)
			fclose(off);
	}
	/* the same store, once the faults are over, must serve everything */
	failures = checks = 0;
	return verify(s, t, seed);
}

/* ---- concurrent ---- */

typedef struct conc_arg {
	lfs_store *s;
	const local_tree *t;
	uint64_t seed;
} conc_arg;

static void *conc_worker(void *p)
{
	conc_arg *a = p;
	for (int i = 0; i < 40; i++) {
		const local_file *f = &a->t->files[rng_next(&a->seed) % a->t->nfiles];
		uint64_t off = f->size ? rng_next(&a->seed) % f->size : 0;
		size_t n = 1 + (size_t)(rng_next(&a->seed) % (f->size + 1));
		if (f->size) /* see check_file */
			check_range(a->s, f, off, n, 0);
	}
	return NULL;
}

static int concurrent(lfs_store *s, const local_tree *t, int nthreads)
{
	pthread_t th[64];
	conc_arg args[64];
	if (nthreads > 64)
		nthreads = 64;
	for (int i = 0; i < nthreads; i++) {
		args[i] = (conc_arg){ s, t, 0x1234567ull * (uint64_t)(i + 1) };
		pthread_create(&th[i], NULL, conc_worker, &args[i]);
	}
	for (int i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	printf("# concurrent: %d threads, %d checks, %d failures\n", nthreads, checks, failures);
	return failures ? 4 : 0;
}

static int write_all(const void *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	lfs_store_opts opts;
	lfs_store *s = NULL;
	lfs_err err = { "" };
	local_tree t;
	const char *cmd;
	int rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: s3_client ls|stat|cat|read|verify|faults|concurrent URI ARG...\n");
		return 1;
	}
	if (getenv("S3_CLIENT_LOG"))
		lfs_log_set_level(LFS_LOG_DEBUG);
	else
		lfs_log_set_level(LFS_LOG_WARN);
	memset(&opts, 0, sizeof(opts));
	memset(&t, 0, sizeof(t));
	opts.list_page_keys = (int)env_long("S3_CLIENT_MAX_KEYS", 0);
	opts.read_part_bytes = (size_t)env_long("S3_CLIENT_PART_SIZE", 0);
	opts.read_parallel = (int)env_long("S3_CLIENT_PARALLEL", 0);
	opts.max_attempts = (int)env_long("S3_CLIENT_ATTEMPTS", 0);
	opts.request_timeout_ms = (int)env_long("S3_CLIENT_TIMEOUT_MS", 0);
	opts.connect_timeout_ms = (int)env_long("S3_CLIENT_TIMEOUT_MS", 0);
	opts.profile = getenv("S3_CLIENT_PROFILE");
	opts.path_style = (int)env_long("S3_CLIENT_PATH_STYLE", 0);
	opts.no_sign_request = (int)env_long("S3_CLIENT_NO_SIGN", 0);
	cmd = argv[1];
	rc = lfs_store_open(argv[2], &opts, &s, &err);
	if (rc) {
		printf("error %s: %s\n", errname(rc), err.msg);
		return exit_code(rc);
	}
	if (strcmp(cmd, "ls") == 0) {
		lfs_store_entry *ents = NULL;
		size_t n = 0;
		rc = lfs_store_list(s, argv[3], &ents, &n, &err);
		for (size_t i = 0; !rc && i < n; i++) {
			if (ents[i].is_dir)
				printf("d %s\n", ents[i].name);
			else
				printf("f %s %llu %s\n", ents[i].name,
				       (unsigned long long)ents[i].info.size, ents[i].info.etag);
		}
		lfs_store_entries_free(ents, n);
	} else if (strcmp(cmd, "stat") == 0) {
		lfs_object_info info;
		rc = lfs_store_stat(s, argv[3], &info, &err);
		if (!rc)
			printf("%llu %s %lld\n", (unsigned long long)info.size, info.etag,
			       (long long)info.mtime_ns);
	} else if (strcmp(cmd, "cat") == 0) {
		uint8_t *data = NULL;
		size_t len = 0;
		rc = lfs_store_read_all(s, argv[3], &data, &len, &err);
		if (!rc)
			rc = write_all(data, len);
		free(data);
	} else if (strcmp(cmd, "read") == 0 && argc >= 6) {
		size_t len = (size_t)strtoull(argv[5], NULL, 10), got = 0;
		uint8_t *buf = malloc(len ? len : 1);
		rc = lfs_store_read(s, argv[3], strtoull(argv[4], NULL, 10), buf, len, &got, &err);
		if (!rc)
			rc = write_all(buf, got);
		free(buf);
	} else if (strcmp(cmd, "verify") == 0) {
		scan(&t, argv[3], "");
		rc = verify(s, &t, argc > 4 ? strtoull(argv[4], NULL, 10) : 42) ? -EIO : 0;
		err.msg[0] = 0;
	} else if (strcmp(cmd, "faults") == 0 && argc >= 6) {
		scan(&t, argv[3], "");
		rc = faults(s, &t, atol(argv[4]), strtoull(argv[5], NULL, 10) | 1) ? -EIO : 0;
		err.msg[0] = 0;
	} else if (strcmp(cmd, "concurrent") == 0 && argc >= 5) {
		scan(&t, argv[3], "");
		rc = concurrent(s, &t, atoi(argv[4])) ? -EIO : 0;
		err.msg[0] = 0;
	} else {
		fprintf(stderr, "s3_client: bad command or arguments\n");
		rc = -EINVAL;
	}
	if (rc && err.msg[0])
		printf("error %s: %s\n", errname(rc), err.msg);
	fflush(stdout);
	print_stats();
	tree_free(&t);
	lfs_store_close(s);
	return exit_code(rc);
}
