/* tests/unit/tap.h: a few macros for TAP output from C unit tests. */
#ifndef LFS_TAP_H
#define LFS_TAP_H

#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

#define tap_plan(n) printf("1..%d\n", (int)(n))
#define tap_ok(cond, ...) do { \
	int tap_c_ = !!(cond); \
	tap_n++; \
	printf("%s %d - ", tap_c_ ? "ok" : "not ok", tap_n); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	if (!tap_c_) { tap_failed = 1; printf("#   at %s:%d\n", __FILE__, __LINE__); } \
} while (0)
#define tap_diag(...) do { printf("# "); printf(__VA_ARGS__); printf("\n"); } while (0)
#define tap_done() (fflush(stdout), tap_failed)

/* Reads a whole file into memory (test data), or exits. */
static inline unsigned char *tap_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;
	if (!f) {
		printf("Bail out! cannot open %s\n", path);
		exit(1);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
