/* search/like: SQL LIKE patterns.
 *
 * A pattern compiles to a list of steps: a literal byte, "one character"
 * (_) or "any run" (%).  Matching walks the string with the classic greedy
 * algorithm that remembers the last % and retries one character further on
 * a mismatch, so it takes O(len(s) * len(pattern)) at worst and never
 * recurses.  Characters are UTF-8 sequences: _ consumes a whole one and a %
 * retry advances by a whole one, so a match never starts inside a
 * character.  ILIKE folds ASCII letters only.
 */
#include "search/search_impl.h"

#include <errno.h>
#include <stdlib.h>

enum { STEP_BYTE, STEP_ONE, STEP_ANY };

struct lfs_like {
	size_t n;
	int fold;
	uint8_t *kind;
	uint8_t *byte;
};

static uint8_t fold_ascii(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int lfs_like_compile(const uint8_t *pat, size_t len, int esc, int fold_case, lfs_like **out)
{
	lfs_like *l = calloc(1, sizeof(*l));
	*out = NULL;
	if (!l)
		return -ENOMEM;
	l->kind = malloc(len ? len : 1);
	l->byte = malloc(len ? len : 1);
	if (!l->kind || !l->byte) {
		lfs_like_free(l);
		return -ENOMEM;
	}
	l->fold = fold_case;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = pat[i];
		if (esc >= 0 && c == (uint8_t)esc) {
			if (i + 1 == len) {
				/* a trailing escape stands for itself */
				l->kind[l->n] = STEP_BYTE;
				l->byte[l->n++] = c;
				break;
			}
			c = pat[++i];
			l->kind[l->n] = STEP_BYTE;
			l->byte[l->n++] = fold_case ? fold_ascii(c) : c;
			continue;
		}
		if (c == '%') {
			if (l->n && l->kind[l->n - 1] == STEP_ANY)
				continue; /* %% is % */
			l->kind[l->n++] = STEP_ANY;
		} else if (c == '_') {
			l->kind[l->n++] = STEP_ONE;
		} else {
			l->kind[l->n] = STEP_BYTE;
			l->byte[l->n++] = fold_case ? fold_ascii(c) : c;
		}
	}
	*out = l;
	return 0;
}

void lfs_like_free(lfs_like *l)
{
	if (!l)
		return;
	free(l->kind);
	free(l->byte);
	free(l);
}

/* Bytes of the UTF-8 character starting at s[i] (1 for stray bytes). */
static size_t char_len(const uint8_t *s, size_t len, size_t i)
{
	size_t n = 1;
	while (i + n < len && (s[i + n] & 0xc0) == 0x80 && n < 4)
		n++;
	return n;
}

int lfs_like_match(const lfs_like *l, const uint8_t *s, size_t len)
{
	size_t p = 0, i = 0;
	size_t star_p = (size_t)-1, star_i = 0;

	while (i < len) {
		if (p < l->n) {
			uint8_t k = l->kind[p];
			if (k == STEP_ANY) {
				star_p = p++;
				star_i = i;
				continue;
			}
			if (k == STEP_ONE) {
				i += char_len(s, len, i);
				p++;
				continue;
			}
			uint8_t c = l->fold ? fold_ascii(s[i]) : s[i];
			if (c == l->byte[p]) {
				i++;
				p++;
				continue;
			}
		}
		if (star_p == (size_t)-1)
			return 0;
		/* let the last % swallow one more character and try again */
		star_i += char_len(s, len, star_i);
		i = star_i;
		p = star_p + 1;
	}
	while (p < l->n && l->kind[p] == STEP_ANY)
		p++;
	return p == l->n;
}
