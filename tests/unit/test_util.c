/* Unit tests of util's shared helpers: growable arrays, binary search. */
#include "util/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"

struct item {
	uint32_t pad;
	uint64_t key;
};

static size_t count_le_naive(const uint64_t *a, size_t n, uint64_t key)
{
	size_t c = 0;
	while (c < n && a[c] <= key)
		c++;
	return c;
}

int main(void)
{
	tap_plan(9);

	/* Growing keeps the values and reaches the capacity asked for. */
	uint64_t *v = NULL;
	size_t cap = 0, n = 0;
	int ok = 1;
	for (uint64_t i = 0; i < 1000; i++) {
		if (LFS_ARRAY_GROW(v, cap, n + 1)) {
			ok = 0;
			break;
		}
		v[n++] = i * 3;
	}
	for (size_t i = 0; ok && i < n; i++)
		ok = v[i] == i * 3;
	tap_ok(ok && cap >= 1000, "LFS_ARRAY_GROW keeps values while growing to 1000 items");
	size_t old_cap = cap;
	tap_ok(LFS_ARRAY_GROW(v, cap, 10) == 0 && cap == old_cap, "no change when room is left");
	tap_ok(LFS_ARRAY_GROW(v, cap, SIZE_MAX / 4) == -ENOMEM && cap == old_cap && v[999] == 2997,
	       "an impossible size is -ENOMEM and leaves the array as it was");
	free(v);

	/* Binary search agrees with a linear count on every key around the
	 * values, with repeats. */
	uint64_t a[64];
	struct item s[64];
	for (size_t i = 0; i < 64; i++) {
		a[i] = (i / 3) * 10;
		s[i].pad = 0xdeadbeef;
		s[i].key = a[i];
	}
	int agree = 1, agree_s = 1;
	for (size_t len = 0; len <= 64; len++)
		for (uint64_t k = 0; k < 230; k++) {
			size_t want = count_le_naive(a, len, k);
			agree &= LFS_COUNT_LE_U64(a, len, k) == want;
			agree_s &= LFS_COUNT_LE(s, len, key, k) == want;
		}
	tap_ok(agree, "LFS_COUNT_LE_U64 equals a linear count for every prefix and key");
	tap_ok(agree_s, "LFS_COUNT_LE finds a member inside structs");
	uint64_t *none = NULL;
	struct item *no_items = NULL;
	tap_ok(LFS_COUNT_LE_U64(none, 0, 5) == 0 && LFS_COUNT_LE(no_items, 0, key, 5) == 0,
	       "an empty array (NULL) counts 0");
	uint64_t big[2] = { 0, UINT64_MAX };
	tap_ok(LFS_COUNT_LE_U64(big, 2, UINT64_MAX) == 2 && LFS_COUNT_LE_U64(big, 2, UINT64_MAX - 1) == 1,
	       "keys at the top of the range");

	/* Checked arithmetic and ranges. */
	uint64_t out;
	tap_ok(lfs_add_u64(UINT64_MAX, 1, &out) != 0 && lfs_mul_u64(1ull << 32, 1ull << 32, &out) != 0,
	       "overflow is reported");
	tap_ok(lfs_range_ok(10, 0, 10) && !lfs_range_ok(11, 0, 10) && !lfs_range_ok(5, UINT64_MAX, 10),
	       "lfs_range_ok at the edges");
	return tap_done();
}
