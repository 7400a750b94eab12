/* search/topk: the k best hits, as a binary max-heap keyed by (distance,
 * _rowid) so the worst kept hit is on top and a better one replaces it. */
#include "search/search_impl.h"

#include <errno.h>
#include <stdlib.h>

int lfs_hit_cmp(const lfs_hit *a, const lfs_hit *b)
{
	if (a->dist < b->dist)
		return -1;
	if (a->dist > b->dist)
		return 1;
	return a->rowid < b->rowid ? -1 : a->rowid > b->rowid;
}

int lfs_topk_init(lfs_topk *t, size_t k)
{
	t->n = 0;
	t->k = k;
	t->h = lfs_xcalloc(k ? k : 1, sizeof(lfs_hit));
	return t->h ? 0 : -ENOMEM;
}

void lfs_topk_free(lfs_topk *t)
{
	free(t->h);
	t->h = NULL;
	t->n = t->k = 0;
}

static void sift_down(lfs_hit *h, size_t n, size_t i)
{
	lfs_hit x = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && lfs_hit_cmp(&h[c + 1], &h[c]) > 0)
			c++;
		if (lfs_hit_cmp(&h[c], &x) <= 0)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

void lfs_topk_push(lfs_topk *t, const lfs_hit *hit)
{
	if (t->k == 0)
		return;
	if (t->n < t->k) {
		size_t i = t->n++;
		while (i > 0) {
			size_t p = (i - 1) / 2;
			if (lfs_hit_cmp(&t->h[p], hit) >= 0)
				break;
			t->h[i] = t->h[p];
			i = p;
		}
		t->h[i] = *hit;
		return;
	}
	if (lfs_hit_cmp(hit, &t->h[0]) >= 0)
		return;
	t->h[0] = *hit;
	sift_down(t->h, t->n, 0);
}

void lfs_topk_sort(lfs_topk *t)
{
	/* heap sort: the worst goes to the end each round */
	for (size_t n = t->n; n > 1; n--) {
		lfs_hit top = t->h[0];
		t->h[0] = t->h[n - 1];
		t->h[n - 1] = top;
		sift_down(t->h, n - 1, 0);
	}
}
