/*
 * Replays the legacy fuzz check (tests/fuzz/fuzz_legacy.c) in every
 * `make check`: over the committed LanceDB-written data files, over saved
 * fuzzer findings (tests/unit/data/legacy/fuzz/, if any), and over a few
 * thousand deterministic mutations of the real files — bit flips, 64-bit
 * words overwritten with extreme values, truncations and cut-outs.  Every
 * case must decode to well-formed columns or fail with -EIO/-ENOTSUP and a
 * message naming the file and column; run under ASan/UBSan it must also
 * never read out of bounds.  (Flipped bits inside the values themselves
 * decode to other values: legacy files carry no checksums.)
 */
#include "test_legacy_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUTATIONS_PER_FILE 3000

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure names a reproducible case */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static uint64_t below(uint64_t n)
{
	return n ? rng() % n : 0;
}

/* Picks a byte position; half of them in the file's last quarter, where the
 * positions, the page table and the metadata live. */
static size_t pick(size_t size)
{
	if (rng() & 1)
		return (size_t)below(size);
	return size - 1 - (size_t)below(size / 4 + 1);
}

/* Writes mutation `kind` of `orig` into buf; returns the new size. */
static size_t mutate(const uint8_t *orig, size_t size, uint8_t *buf, unsigned kind, char *what,
		     size_t what_len)
{
	static const uint64_t extremes[] = {
		0, 1, 0xffffffffffffffffull, 0x7fffffff, 0x80000000ull, 0xffffffffull,
		0x7fffffffffffffffull, 0x8000000000000000ull, 1ull << 32, 1ull << 40,
	};
	memcpy(buf, orig, size);
	switch (kind % 4) {
	case 0: { /* flip 1..3 bits */
		unsigned n = 1 + (unsigned)below(3);
		size_t at = 0;
		for (unsigned i = 0; i < n; i++) {
			at = pick(size);
			buf[at] ^= (uint8_t)(1u << below(8));
		}
		snprintf(what, what_len, "%u bit flips, last at %zu", n, at);
		return size;
	}
	case 1: { /* an 8-byte word (or a 4-byte one) becomes an extreme value */
		size_t at = pick(size);
		uint64_t v = rng() & 3 ? extremes[below(sizeof(extremes) / sizeof(extremes[0]))]
				       : (uint64_t)size - below(64);
		size_t w = rng() & 1 ? 8 : 4;
		if (at + w > size)
			at = size - w;
		memcpy(buf + at, &v, w);
		snprintf(what, what_len, "%zu bytes at %zu set to %llu", w, at, (unsigned long long)v);
		return size;
	}
	case 2: { /* truncated */
		size_t n = (size_t)below(size);
		snprintf(what, what_len, "truncated to %zu bytes", n);
		return n;
	}
	default: { /* bytes cut out before the footer, which is kept */
		size_t at = (size_t)below(size - 16), n = 1 + (size_t)below(size - 16 - at);
		memmove(buf + at, orig + at + n, size - at - n);
		snprintf(what, what_len, "%zu bytes cut out at %zu", n, at);
		return size - n;
	}
	}
}

static void replay_table(const char *datadir, const char *name)
{
	char *dir = lfs_strdup_printf("%s/%s.lance", datadir, name);
	fx_table t;
	lfs_err err = { { 0 } };
	int rc = fx_table_open(&t, dir, &err);

	if (rc || t.m->n_fragments == 0) {
		fx_ok(0, "%s: table opens (%s)", name, err.msg);
		fx_table_close(&t);
		free(dir);
		return;
	}
	const lfs_fragment *fr = &t.m->fragments[0];
	for (size_t fi = 0; fi < fr->n_files; fi++) {
		const lfs_data_file *df = &fr->files[fi];
		char *path = lfs_strdup_printf("%s/data/%s", dir, df->path);
		uint8_t *orig = NULL, *buf = NULL;
		size_t size = 0;
		fx_outcome out;

		memset(&out, 0, sizeof(out));
		if (fx_read_file(path, &orig, &size) || size < 64 || !(buf = malloc(size))) {
			fx_ok(0, "%s: reads %s", name, path);
			free(orig);
			free(path);
			continue;
		}
		/* the original decodes without any failure */
		int ok = fuzz_legacy_check(orig, size, &t.m->schema, df, &out);
		fx_ok(ok && out.open_failed == 0 && out.read_failed == 0 && out.reads > 0,
		      "%s file %zu: the original decodes cleanly (%u reads) %s", name, fi, out.reads, out.why);
		/* and through the libFuzzer entry point, with its embedded schema */
		LLVMFuzzerTestOneInput(orig, size);

		memset(&out, 0, sizeof(out));
		rng_state = 0x9e3779b97f4a7c15ull ^ ((uint64_t)size << 20) ^ fi;
		unsigned bad = 0;
		char what[160], first_bad[900] = "";
		for (unsigned i = 0; i < MUTATIONS_PER_FILE; i++) {
			size_t n = mutate(orig, size, buf, i, what, sizeof(what));
			if (!fuzz_legacy_check(buf, n, &t.m->schema, df, &out)) {
				if (!bad++)
					snprintf(first_bad, sizeof(first_bad), "mutation %u (%s): %s", i, what,
						 out.why);
			}
		}
		fx_ok(bad == 0, "%s file %zu: %u mutations decode or fail cleanly "
		      "(%u opens failed, %u of %u reads failed)", name, fi, MUTATIONS_PER_FILE,
		      out.open_failed, out.read_failed, out.reads);
		if (bad)
			fx_diag("%u bad, first: %s", bad, first_bad);
		else
			fx_diag("a failed open: %s\n# a failed read: %s", out.last_error,
				out.last_read_error);
		free(buf);
		free(orig);
		free(path);
	}
	fx_table_close(&t);
	free(dir);
}

/* Inputs the fuzzer once found troublesome, kept as regression cases. */
static void replay_findings(const char *datadir)
{
	char *dir = lfs_strdup_printf("%s/fuzz", datadir);
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned n = 0;

	while (d && (de = readdir(d))) {
		char *path;
		uint8_t *data;
		size_t size;
		if (de->d_name[0] == '.')
			continue;
		path = lfs_strdup_printf("%s/%s", dir, de->d_name);
		if (path && fx_read_file(path, &data, &size) == 0) {
			LLVMFuzzerTestOneInput(data, size);
			free(data);
			n++;
		}
		free(path);
	}
	if (d)
		closedir(d);
	fx_ok(1, "%u saved fuzzer findings replayed without a crash", n);
	free(dir);
}

int main(void)
{
	const char *src = getenv("top_srcdir");
	char *datadir = lfs_strdup_printf("%s/tests/unit/data/legacy", src ? src : ".");

	replay_table(datadir, "types");
	replay_table(datadir, "batches");
	replay_findings(datadir);
	free(datadir);
	return fx_done();
}
