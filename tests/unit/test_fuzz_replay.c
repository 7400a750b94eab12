/* Replays the 2.1/2.2 fuzz harness (tests/fuzz/fuzz_pages.c) in every
 * `make check`, without clang or libFuzzer:
 *   - over the committed seeds in tests/fuzz/corpus/pages (regressions);
 *   - over every dataset in tests/unit/data/file2 as written;
 *   - over a few thousand deterministic mutations of some of them: bit
 *     flips (most in the metadata at the end), bytes set to 0x00 / 0xff /
 *     0x80, truncated files, and removed byte runs.
 * The harness aborts on any crash-worthy outcome; the sanitizer builds
 * catch out-of-bounds accesses.
 *
 *   test_fuzz_replay --write-seeds DIR   writes the datasets as seeds
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_file2_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int n_test, failed;

static void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failed++;
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* The fuzz input for a dataset directory: [u8 0][u32 manifest length]
 * [manifest][data file]. */
static uint8_t *make_input(const char *dir, size_t *len, size_t *data_at)
{
	char path[8192];
	DIR *d;
	struct dirent *de;
	uint8_t *man = NULL, *dat = NULL, *in = NULL;
	size_t ml = 0, dl = 0;
	uint64_t best = 0;
	char best_name[512] = "";

	snprintf(path, sizeof(path), "%s/_versions", dir);
	d = opendir(path);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		uint64_t v;
		if (lfs_version_from_filename(de->d_name, &v) || (best_name[0] && v <= best))
			continue;
		best = v;
		snprintf(best_name, sizeof(best_name), "%s", de->d_name);
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/_versions/%s", dir, best_name);
	man = f2fx_slurp(path, &ml);
	snprintf(path, sizeof(path), "%s/data", dir);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 6 && strcmp(de->d_name + l - 6, ".lance") == 0) {
			snprintf(path, sizeof(path), "%s/data/%s", dir, de->d_name);
			dat = f2fx_slurp(path, &dl);
			break;
		}
	}
	if (d)
		closedir(d);
	if (man && dat && (in = malloc(5 + ml + dl))) {
		uint32_t m32 = (uint32_t)ml;
		in[0] = 0;
		memcpy(in + 1, &m32, 4);
		memcpy(in + 5, man, ml);
		memcpy(in + 5 + ml, dat, dl);
		*len = 5 + ml + dl;
		*data_at = 5 + ml;
	}
	free(man);
	free(dat);
	return in;
}

/* Mutations of one input, confined to the data file part. */
static void mutate_and_run(const uint8_t *in, size_t len, size_t data_at, int rounds, uint64_t seed)
{
	uint8_t *buf = malloc(len);
	size_t dlen = len - data_at;
	for (int r = 0; r < rounds; r++) {
		size_t n = len;
		memcpy(buf, in, len);
		uint64_t kind = lcg(&seed) % 8;
		/* most damage goes to the metadata near the end of the file */
		size_t meta = dlen > 600 ? dlen - 600 : 0;
		size_t at = data_at + (lcg(&seed) % 4 ? meta + lcg(&seed) % (dlen - meta)
						       : lcg(&seed) % dlen);
		switch (kind) {
		case 0:
		case 1:
			buf[at] ^= (uint8_t)(1u << (lcg(&seed) % 8));
			break;
		case 2:
			buf[at] = 0;
			break;
		case 3:
			buf[at] = 0xff;
			break;
		case 4:
			buf[at] = 0x80;
			break;
		case 5: /* a truncated file */
			n = data_at + lcg(&seed) % dlen;
			break;
		case 6: { /* remove a run of bytes (keeps the footer) */
			size_t k = 1 + lcg(&seed) % 64;
			if (at + k < len) {
				memmove(buf + at, buf + at + k, len - at - k);
				n = len - k;
			}
			break;
		}
		default: /* several flips at once */
			for (int k = 0; k < 8; k++) {
				size_t p = data_at + lcg(&seed) % dlen;
				buf[p] ^= (uint8_t)lcg(&seed);
			}
			break;
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096], path[8300];
	DIR *d;
	struct dirent *de;
	char *names[256];
	size_t n = 0;

	if (!top)
		top = "..";
	snprintf(dir, sizeof(dir), "%s/tests/unit/data/file2", top);
	d = opendir(dir);
	if (!d) {
		printf("1..1\nnot ok 1 - %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((de = readdir(d)) && n < 256) {
		size_t l = strlen(de->d_name);
		if (l > 13 && strcmp(de->d_name + l - 13, ".expected.zst") == 0)
			names[n++] = strndup(de->d_name, l - 13);
	}
	closedir(d);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		for (size_t i = 0; i < n; i++) {
			size_t len, at;
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			uint8_t *in = make_input(path, &len, &at);
			snprintf(path, sizeof(path), "%s/%s.seed", argv[2], names[i]);
			FILE *fp = in ? fopen(path, "wb") : NULL;
			if (fp) {
				fwrite(in, 1, len, fp);
				fclose(fp);
			}
			free(in);
		}
		return 0;
	}

	/* 1. committed seeds (and crash regressions) */
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/pages", top);
	d = opendir(path);
	size_t seeds = 0;
	while (d && (de = readdir(d))) {
		char p2[8700];
		size_t len;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof(p2), "%s/%s", path, de->d_name);
		uint8_t *in = f2fx_slurp(p2, &len);
		if (in) {
			LLVMFuzzerTestOneInput(in, len);
			seeds++;
		}
		free(in);
	}
	if (d)
		closedir(d);
	ok(1, "%zu committed seeds replayed", seeds);

	/* 2. every dataset as written, 3. mutations of the small ones */
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len, at;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		uint8_t *in = make_input(path, &len, &at);
		if (!in) {
			ok(0, "%s: cannot build the input", names[i]);
			continue;
		}
		LLVMFuzzerTestOneInput(in, len);
		/* the mutation budget goes to files that decode fast */
		int rounds = len - at < 20000 ? 300 : len - at < 50000 ? 60 : 15;
		/* FUZZ_REPLAY_SCALE=N runs N times as many (by hand, for a deeper look) */
		if (getenv("FUZZ_REPLAY_SCALE"))
			rounds *= atoi(getenv("FUZZ_REPLAY_SCALE")) > 0 ? atoi(getenv("FUZZ_REPLAY_SCALE")) : 1;
		mutate_and_run(in, len, at, rounds, 0x5eed + i);
		total += (size_t)rounds;
		ok(1, "%s: decoded as written and under %d mutations", names[i], rounds);
		free(in);
		free(names[i]);
	}
	ok(total >= 2000, "%zu mutations in all", total);
	printf("1..%d\n", n_test);
	return failed ? 1 : 0;
}
