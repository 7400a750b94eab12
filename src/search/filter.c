/* search/filter: the SQL predicate of a query — lexer, parser and binding.
 *
 * The grammar is the part of SQL that LanceDB's filters use for row
 * selection, with the operator precedence of the SQL parser LanceDB uses
 * (sqlparser-rs), so a filter groups the same way in both:
 *
 *   OR 5 < AND 10 < NOT (prefix) 15 < IS 17 < LIKE, ILIKE 19
 *      < comparisons, IN, BETWEEN 20
 *
 * Comparisons are = == != <> < <= > >=; values are column names (bare, or
 * quoted "like this" or `like this`), 'strings' (with '' for a quote),
 * numbers, TRUE, FALSE, NULL, DATE 'YYYY-MM-DD' and TIMESTAMP '...'.
 *
 * Binding resolves names against a table's fields and checks that every
 * comparison compares like with like; the errors point at the character
 * where the offending part starts (1-based, counted in characters).
 */
#include "search/filter_ast.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------- errors */

/* 1-based character (not byte) position of byte offset off. */
static size_t char_pos(const char *text, size_t off)
{
	size_t n = 1;
	for (size_t i = 0; i < off && text[i]; i++)
		if (((uint8_t)text[i] & 0xc0) != 0x80)
			n++;
	return n;
}

__attribute__((format(printf, 4, 5))) static int ferr(lfs_err *err, const char *text, size_t off,
							const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return lfs_fail(err, -EINVAL, "filter at character %zu: %s", char_pos(text, off), msg);
}

/* -------------------------------------------------------------- lexer */

enum tok_kind {
	T_EOF, T_IDENT, T_QIDENT, T_STRING, T_NUMBER,
	T_LPAREN, T_RPAREN, T_COMMA, T_CMP, T_MINUS, T_PLUS, T_ARITH,
	/* keywords */
	T_AND, T_OR, T_NOT, T_IN, T_IS, T_NULL, T_LIKE, T_ILIKE, T_ESCAPE, T_BETWEEN,
	T_TRUE, T_FALSE,
};

typedef struct tok {
	enum tok_kind kind;
	size_t start, len;     /* bytes of the token in the text */
	int op;                /* T_CMP */
	char *str;             /* T_STRING, T_QIDENT, T_IDENT: the value (malloc'd) */
	size_t slen;
} tok;

static const struct { const char *word; enum tok_kind kind; } keywords[] = {
	{ "AND", T_AND }, { "OR", T_OR }, { "NOT", T_NOT }, { "IN", T_IN }, { "IS", T_IS },
	{ "NULL", T_NULL }, { "LIKE", T_LIKE }, { "ILIKE", T_ILIKE }, { "ESCAPE", T_ESCAPE },
	{ "BETWEEN", T_BETWEEN }, { "TRUE", T_TRUE }, { "FALSE", T_FALSE },
};

typedef struct parser {
	const char *text;
	size_t len;
	size_t at;        /* next byte to lex */
	tok cur;          /* the current token */
	lfs_err *err;
	int rc;
	int depth;
} parser;

static int is_ident_start(int c) { return isalpha(c) || c == '_' || c >= 0x80; }
static int is_ident_char(int c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* A quoted string or identifier: q ... q with qq for a q inside. */
static int lex_quoted(parser *p, char q, tok *t)
{
	const char *s = p->text;
	size_t i = p->at + 1;
	char *out = malloc(p->len - p->at + 1);
	size_t n = 0;
	if (!out)
		return p->rc = lfs_fail(p->err, -ENOMEM, "out of memory");
	for (;;) {
		if (i >= p->len) {
			free(out);
			return p->rc = ferr(p->err, p->text, p->at, "%s that is never closed",
					    q == '\'' ? "a string" : "a quoted name");
		}
		if (s[i] == q) {
			if (i + 1 < p->len && s[i + 1] == q) {
				out[n++] = q;
				i += 2;
				continue;
			}
			i++;
			break;
		}
		out[n++] = s[i++];
	}
	out[n] = 0;
	t->str = out;
	t->slen = n;
	t->len = i - p->at;
	return 0;
}

static int lex(parser *p)
{
	const char *s = p->text;
	tok *t = &p->cur;

	free(t->str);
	memset(t, 0, sizeof(*t));
	while (p->at < p->len && isspace((unsigned char)s[p->at]))
		p->at++;
	t->start = p->at;
	if (p->at >= p->len) {
		t->kind = T_EOF;
		return 0;
	}
	unsigned char c = (unsigned char)s[p->at];
	unsigned char d = p->at + 1 < p->len ? (unsigned char)s[p->at + 1] : 0;
	t->len = 1;
	if (c == '(') {
		t->kind = T_LPAREN;
	} else if (c == ')') {
		t->kind = T_RPAREN;
	} else if (c == ',') {
		t->kind = T_COMMA;
	} else if (c == '-') {
		t->kind = T_MINUS;
	} else if (c == '+') {
		t->kind = T_PLUS;
	} else if (c == '*' || c == '/' || c == '%') {
		t->kind = T_ARITH;
	} else if (c == '=') {
		t->kind = T_CMP;
		t->op = OP_EQ;
		t->len = d == '=' ? 2 : 1;
	} else if (c == '!' && d == '=') {
		t->kind = T_CMP;
		t->op = OP_NE;
		t->len = 2;
	} else if (c == '<') {
		t->kind = T_CMP;
		t->op = d == '=' ? OP_LE : d == '>' ? OP_NE : OP_LT;
		t->len = d == '=' || d == '>' ? 2 : 1;
	} else if (c == '>') {
		t->kind = T_CMP;
		t->op = d == '=' ? OP_GE : OP_GT;
		t->len = d == '=' ? 2 : 1;
	} else if (c == '\'') {
		t->kind = T_STRING;
		if (lex_quoted(p, '\'', t))
			return p->rc;
	} else if (c == '"' || c == '`') {
		t->kind = T_QIDENT;
		if (lex_quoted(p, (char)c, t))
			return p->rc;
		if (t->slen == 0)
			return p->rc = ferr(p->err, s, t->start, "an empty quoted name");
	} else if (isdigit(c) || (c == '.' && isdigit(d))) {
		size_t i = p->at;
		while (i < p->len && isdigit((unsigned char)s[i]))
			i++;
		if (i < p->len && s[i] == '.') {
			i++;
			while (i < p->len && isdigit((unsigned char)s[i]))
				i++;
		}
		if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
			size_t j = i + 1;
			if (j < p->len && (s[j] == '+' || s[j] == '-'))
				j++;
			if (j < p->len && isdigit((unsigned char)s[j])) {
				while (j < p->len && isdigit((unsigned char)s[j]))
					j++;
				i = j;
			}
		}
		if (i < p->len && is_ident_char((unsigned char)s[i]))
			return p->rc = ferr(p->err, s, p->at, "a malformed number");
		t->kind = T_NUMBER;
		t->len = i - p->at;
	} else if (is_ident_start(c)) {
		size_t i = p->at;
		while (i < p->len && is_ident_char((unsigned char)s[i]))
			i++;
		t->len = i - p->at;
		t->kind = T_IDENT;
		for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
			if (strlen(keywords[k].word) == t->len &&
			    strncasecmp(keywords[k].word, s + p->at, t->len) == 0)
				t->kind = keywords[k].kind;
		t->str = strndup(s + p->at, t->len);
		if (!t->str)
			return p->rc = lfs_fail(p->err, -ENOMEM, "out of memory");
		t->slen = t->len;
	} else {
		return p->rc = ferr(p->err, s, p->at, "unexpected character '%c'", c);
	}
	p->at += t->len;
	return 0;
}

/* How the current token reads in a message. */
static const char *tok_desc(const parser *p, char *buf, size_t size)
{
	const tok *t = &p->cur;
	if (t->kind == T_EOF)
		return "the end of the filter";
	snprintf(buf, size, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), p->text + t->start);
	return buf;
}

static int expected(parser *p, const char *what)
{
	char buf[64];
	if (p->rc)
		return p->rc;
	return p->rc = ferr(p->err, p->text, p->cur.start, "expected %s, found %s", what,
			    tok_desc(p, buf, sizeof(buf)));
}

/* ------------------------------------------------------------- nodes */

static fnode *new_node(parser *p, enum fnode_kind kind, size_t pos)
{
	fnode *n = calloc(1, sizeof(*n));
	if (!n) {
		p->rc = lfs_fail(p->err, -ENOMEM, "out of memory");
		return NULL;
	}
	n->kind = kind;
	n->pos = pos;
	n->esc = -1;
	return n;
}

/* Height of the tree under n, which evaluation and freeing recurse over. */
static unsigned height(const fnode *n)
{
	unsigned h = 0;
	if (n->a && n->a->height > h)
		h = n->a->height;
	if (n->b && n->b->height > h)
		h = n->b->height;
	if (n->c && n->c->height > h)
		h = n->c->height;
	for (size_t i = 0; i < n->n_items; i++)
		if (n->items[i]->height > h)
			h = n->items[i]->height;
	return h + 1;
}

void lfs_fnode_free(fnode *n)
{
	if (!n)
		return;
	lfs_fnode_free(n->a);
	lfs_fnode_free(n->b);
	lfs_fnode_free(n->c);
	for (size_t i = 0; i < n->n_items; i++)
		lfs_fnode_free(n->items[i]);
	free(n->items);
	free(n->name);
	free(n->s);
	lfs_like_free(n->like);
	free(n);
}

/* ----------------------------------------------------- dates and times */

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD", then optionally ("T" or " ") "HH:MM[:SS[.fraction]]" and
 * "Z" or "+HH:MM"/"-HH:MM".  Seconds since the epoch (UTC) and nanos. */
static int parse_time(const char *s, int *has_time, int64_t *secs, uint32_t *nanos)
{
	size_t n = strlen(s), i = 10;
	int y, mo, d, h = 0, mi = 0, se = 0;
	uint32_t ns = 0;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	*has_time = 0;
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return -1;
	int64_t off = 0;
	if (i < n) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (i + 5 > n || digits(s + i, 2, &h) || s[i + 2] != ':' || digits(s + i + 3, 2, &mi))
			return -1;
		i += 5;
		if (i < n && s[i] == ':') {
			if (i + 3 > n || digits(s + i + 1, 2, &se))
				return -1;
			i += 3;
			if (i < n && s[i] == '.') {
				int nd = 0;
				i++;
				while (i < n && isdigit((unsigned char)s[i])) {
					if (nd < 9) {
						ns = ns * 10 + (uint32_t)(s[i] - '0');
						nd++;
					} else if (s[i] != '0') {
						return -1; /* finer than nanoseconds */
					}
					i++;
				}
				if (nd == 0)
					return -1;
				while (nd++ < 9)
					ns *= 10;
			}
		}
		if (h > 23 || mi > 59 || se > 59)
			return -1;
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int oh, om;
			if (i + 6 > n || digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
			    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
				return -1;
			off = (s[i] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
			i += 6;
		}
		if (i != n)
			return -1;
		*has_time = 1;
	}
	*secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
	*nanos = ns;
	return 0;
}

/* ------------------------------------------------------------- parser */

enum {
	PREC_OR = 5, PREC_AND = 10, PREC_NOT = 15, PREC_IS = 17, PREC_LIKE = 19,
	PREC_CMP = 20, PREC_UNARY = 30,
};

static fnode *parse_expr(parser *p, int min_prec);

/* Deepest tree (and nesting of parentheses) a filter may have: evaluation
 * recurses over it on a server thread's stack. */
#define MAX_HEIGHT 1000
#define MAX_NESTING 200

static int parse_number(parser *p, fnode *n)
{
	const char *s = p->text + p->cur.start;
	size_t len = p->cur.len;
	char buf[128];
	int integral = 1;
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			integral = 0;
	if (len >= sizeof(buf))
		return p->rc = ferr(p->err, p->text, p->cur.start, "a number that is too long");
	memcpy(buf, s, len);
	buf[len] = 0;
	if (integral) {
		errno = 0;
		unsigned long long v = strtoull(buf, NULL, 10);
		if (errno == 0) {
			n->kind = F_INT;
			if (v <= INT64_MAX) {
				n->i = (int64_t)v;
			} else {
				n->u = v;
				n->is_unsigned = 1;
			}
			return 0;
		}
	}
	n->kind = F_FLOAT;
	n->f = strtod(buf, NULL);
	return 0;
}

/* Folds a unary minus into a number literal. */
static int negate_literal(parser *p, fnode *n, size_t pos)
{
	if (n->kind == F_FLOAT) {
		n->f = -n->f;
	} else if (n->kind == F_INT && !n->is_unsigned) {
		n->i = -n->i; /* cannot overflow: n->i >= 0 */
	} else if (n->kind == F_INT && n->u == (uint64_t)INT64_MAX + 1) {
		n->is_unsigned = 0;
		n->i = INT64_MIN;
	} else if (n->kind == F_INT) {
		n->kind = F_FLOAT;
		n->f = -(double)n->u;
		n->is_unsigned = 0;
	} else {
		return p->rc = ferr(p->err, p->text, pos,
				    "arithmetic is not supported (a minus sign only goes before a number)");
	}
	n->pos = pos;
	return 0;
}

static fnode *parse_prefix(parser *p)
{
	fnode *n = NULL;
	size_t pos = p->cur.start;

	if (++p->depth > MAX_NESTING) {
		p->rc = ferr(p->err, p->text, pos, "the filter nests too deeply");
		return NULL;
	}
	switch (p->cur.kind) {
	case T_LPAREN:
		if (lex(p))
			return NULL;
		n = parse_expr(p, 0);
		if (!n)
			return NULL;
		if (p->cur.kind != T_RPAREN) {
			expected(p, "')'");
			lfs_fnode_free(n);
			return NULL;
		}
		if (lex(p)) {
			lfs_fnode_free(n);
			return NULL;
		}
		break;
	case T_NOT:
		if (lex(p))
			return NULL;
		n = new_node(p, F_NOT, pos);
		if (!n)
			return NULL;
		n->a = parse_expr(p, PREC_NOT);
		if (!n->a) {
			lfs_fnode_free(n);
			return NULL;
		}
		n->height = height(n);
		break;
	case T_MINUS:
	case T_PLUS: {
		int minus = p->cur.kind == T_MINUS;
		if (lex(p))
			return NULL;
		n = parse_expr(p, PREC_UNARY);
		if (!n)
			return NULL;
		if (n->kind != F_INT && n->kind != F_FLOAT) {
			p->rc = ferr(p->err, p->text, pos,
				     "arithmetic is not supported (a sign only goes before a number)");
			lfs_fnode_free(n);
			return NULL;
		}
		if (minus && negate_literal(p, n, pos)) {
			lfs_fnode_free(n);
			return NULL;
		}
		n->pos = pos;
		break;
	}
	case T_NUMBER:
		n = new_node(p, F_INT, pos);
		if (!n || parse_number(p, n) || lex(p)) {
			lfs_fnode_free(n);
			return NULL;
		}
		break;
	case T_STRING:
		n = new_node(p, F_STRING, pos);
		if (!n)
			return NULL;
		n->s = p->cur.str;
		n->slen = p->cur.slen;
		p->cur.str = NULL;
		if (lex(p)) {
			lfs_fnode_free(n);
			return NULL;
		}
		break;
	case T_TRUE:
	case T_FALSE:
		n = new_node(p, F_BOOL, pos);
		if (!n)
			return NULL;
		n->bval = p->cur.kind == T_TRUE;
		if (lex(p)) {
			lfs_fnode_free(n);
			return NULL;
		}
		break;
	case T_NULL:
		n = new_node(p, F_NULL, pos);
		if (!n || lex(p)) {
			lfs_fnode_free(n);
			return NULL;
		}
		break;
	case T_IDENT:
	case T_QIDENT: {
		int quoted = p->cur.kind == T_QIDENT;
		char *name = p->cur.str;
		p->cur.str = NULL;
		if (lex(p)) {
			free(name);
			return NULL;
		}
		/* DATE '...' and TIMESTAMP '...' literals */
		if (!quoted && p->cur.kind == T_STRING &&
		    (strcasecmp(name, "date") == 0 || strcasecmp(name, "timestamp") == 0)) {
			int is_date = strcasecmp(name, "date") == 0, has_time;
			int64_t secs;
			uint32_t nanos;
			free(name);
			if (parse_time(p->cur.str, &has_time, &secs, &nanos) || (is_date && has_time)) {
				p->rc = ferr(p->err, p->text, p->cur.start,
					     is_date ? "'%s' is not a date (YYYY-MM-DD)"
						     : "'%s' is not a timestamp (YYYY-MM-DD HH:MM:SS[.fff][Z])",
					     p->cur.str);
				return NULL;
			}
			n = new_node(p, is_date ? F_DATE : F_TIMESTAMP, pos);
			if (!n)
				return NULL;
			n->i = is_date ? secs / 86400 - (secs % 86400 < 0) : secs;
			n->u = nanos;
			if (lex(p)) {
				lfs_fnode_free(n);
				return NULL;
			}
			break;
		}
		if (p->cur.kind == T_LPAREN) {
			p->rc = ferr(p->err, p->text, pos, "functions are not supported ('%s(...)')", name);
			free(name);
			return NULL;
		}
		n = new_node(p, F_COLUMN, pos);
		if (!n) {
			free(name);
			return NULL;
		}
		n->name = name;
		break;
	}
	default:
		expected(p, "a column, a value, NOT or '('");
		return NULL;
	}
	p->depth--;
	return n;
}

/* The precedence of the operator at the current token, 0 if none. */
static int infix_prec(parser *p)
{
	switch (p->cur.kind) {
	case T_OR: return PREC_OR;
	case T_AND: return PREC_AND;
	case T_IS: return PREC_IS;
	case T_LIKE: case T_ILIKE: return PREC_LIKE;
	case T_CMP: case T_IN: case T_BETWEEN: return PREC_CMP;
	case T_NOT: {
		/* NOT LIKE / NOT IN / NOT BETWEEN: look at the next word */
		parser peek = *p;
		size_t i = peek.at;
		while (i < p->len && isspace((unsigned char)p->text[i]))
			i++;
		size_t j = i;
		while (j < p->len && is_ident_char((unsigned char)p->text[j]))
			j++;
		if ((j - i == 4 && strncasecmp(p->text + i, "LIKE", 4) == 0) ||
		    (j - i == 5 && strncasecmp(p->text + i, "ILIKE", 5) == 0))
			return PREC_LIKE;
		if ((j - i == 2 && strncasecmp(p->text + i, "IN", 2) == 0) ||
		    (j - i == 7 && strncasecmp(p->text + i, "BETWEEN", 7) == 0))
			return PREC_CMP;
		return 0;
	}
	case T_MINUS: case T_PLUS: case T_ARITH: return PREC_UNARY;
	default: return 0;
	}
}

static fnode *parse_in_list(parser *p, fnode *n)
{
	if (p->cur.kind != T_LPAREN) {
		expected(p, "'(' after IN");
		return NULL;
	}
	if (lex(p))
		return NULL;
	for (;;) {
		fnode *item = parse_expr(p, 0);
		if (!item)
			return NULL;
		fnode **items = realloc(n->items, (n->n_items + 1) * sizeof(*items));
		if (!items) {
			lfs_fnode_free(item);
			p->rc = lfs_fail(p->err, -ENOMEM, "out of memory");
			return NULL;
		}
		n->items = items;
		n->items[n->n_items++] = item;
		if (p->cur.kind == T_COMMA) {
			if (lex(p))
				return NULL;
			continue;
		}
		if (p->cur.kind == T_RPAREN)
			break;
		expected(p, "',' or ')' in the IN list");
		return NULL;
	}
	if (lex(p))
		return NULL;
	return n;
}

/* The infix part after `left`: one operator and its right side. */
static fnode *parse_infix(parser *p, fnode *left, int prec)
{
	size_t pos = p->cur.start;
	int negated = 0;
	fnode *n = NULL;

	if (p->cur.kind == T_MINUS || p->cur.kind == T_PLUS || p->cur.kind == T_ARITH) {
		p->rc = ferr(p->err, p->text, pos, "arithmetic ('%.*s') is not supported",
			     (int)p->cur.len, p->text + pos);
		goto fail;
	}
	if (p->cur.kind == T_NOT) {
		negated = 1;
		if (lex(p))
			goto fail;
	}
	enum tok_kind k = p->cur.kind;
	int op = p->cur.op;
	if (lex(p))
		goto fail;
	switch (k) {
	case T_OR:
	case T_AND:
	case T_CMP:
		n = new_node(p, k == T_OR ? F_OR : k == T_AND ? F_AND : F_CMP, pos);
		if (!n)
			goto fail;
		n->op = op;
		n->a = left;
		n->b = parse_expr(p, prec);
		if (!n->b)
			goto fail;
		return n;
	case T_IS: {
		n = new_node(p, F_IS_NULL, pos);
		if (!n)
			goto fail;
		n->a = left;
		if (p->cur.kind == T_NOT) {
			n->negated = 1;
			if (lex(p))
				goto fail;
		}
		if (p->cur.kind == T_NULL) {
			n->kind = F_IS_NULL;
		} else if (p->cur.kind == T_TRUE || p->cur.kind == T_FALSE) {
			n->kind = F_IS_BOOL;
			n->bval = p->cur.kind == T_TRUE;
		} else {
			expected(p, "NULL, TRUE or FALSE after IS");
			goto fail;
		}
		if (lex(p))
			goto fail;
		return n;
	}
	case T_IN:
		n = new_node(p, F_IN, pos);
		if (!n)
			goto fail;
		n->a = left;
		n->negated = negated;
		if (!parse_in_list(p, n))
			goto fail;
		return n;
	case T_BETWEEN:
		n = new_node(p, F_BETWEEN, pos);
		if (!n)
			goto fail;
		n->a = left;
		n->negated = negated;
		n->b = parse_expr(p, PREC_CMP);
		if (!n->b)
			goto fail;
		if (p->cur.kind != T_AND) {
			expected(p, "AND in BETWEEN ... AND ...");
			goto fail;
		}
		if (lex(p))
			goto fail;
		n->c = parse_expr(p, PREC_CMP);
		if (!n->c)
			goto fail;
		return n;
	case T_LIKE:
	case T_ILIKE:
		n = new_node(p, F_LIKE, pos);
		if (!n)
			goto fail;
		n->a = left;
		n->negated = negated;
		n->ilike = k == T_ILIKE;
		n->esc = '\\';
		n->b = parse_expr(p, PREC_LIKE);
		if (!n->b)
			goto fail;
		if (p->cur.kind == T_ESCAPE) {
			size_t epos;
			if (lex(p))
				goto fail;
			epos = p->cur.start;
			if (p->cur.kind != T_STRING) {
				expected(p, "a one-character string after ESCAPE");
				goto fail;
			}
			if (p->cur.slen > 1 || (p->cur.slen == 1 && (uint8_t)p->cur.str[0] >= 0x80)) {
				p->rc = ferr(p->err, p->text, epos,
					     "the ESCAPE string must be one ASCII character or empty");
				goto fail;
			}
			n->esc = p->cur.slen ? (uint8_t)p->cur.str[0] : -1;
			if (lex(p))
				goto fail;
		}
		return n;
	default:
		expected(p, "an operator");
		goto fail;
	}
fail:
	/* the node owns left once made; until then left is still ours */
	if (n)
		lfs_fnode_free(n);
	else
		lfs_fnode_free(left);
	return NULL;
}

static fnode *parse_expr(parser *p, int min_prec)
{
	fnode *left = parse_prefix(p);
	if (!left)
		return NULL;
	for (;;) {
		int prec = infix_prec(p);
		if (prec <= min_prec)
			break;
		size_t pos = p->cur.start;
		fnode *n = parse_infix(p, left, prec);
		if (!n) {
			if (!p->rc)
				p->rc = -EINVAL;
			return NULL;
		}
		n->height = height(n);
		if (n->height > MAX_HEIGHT) {
			p->rc = ferr(p->err, p->text, pos, "the filter nests too deeply");
			lfs_fnode_free(n);
			return NULL;
		}
		left = n;
	}
	return left;
}

int lfs_filter_parse(const char *sql, lfs_filter **out, lfs_err *err)
{
	parser p;
	lfs_filter *f;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.text = sql;
	p.len = strlen(sql);
	p.err = err;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->text = strdup(sql))) {
		free(f);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	if (lex(&p))
		goto fail;
	if (p.cur.kind == T_EOF) {
		p.rc = lfs_fail(err, -EINVAL, "filter: the filter is empty");
		goto fail;
	}
	f->root = parse_expr(&p, 0);
	if (!f->root)
		goto fail;
	if (p.cur.kind != T_EOF) {
		if (p.cur.kind == T_RPAREN)
			p.rc = ferr(err, sql, p.cur.start, "a ')' without a '(' before it");
		else
			expected(&p, "AND, OR or the end of the filter");
		goto fail;
	}
	free(p.cur.str);
	*out = f;
	return 0;
fail:
	free(p.cur.str);
	lfs_filter_free(f);
	return p.rc ? p.rc : -EINVAL;
}

void lfs_filter_free(lfs_filter *f)
{
	if (!f)
		return;
	lfs_fnode_free(f->root);
	free(f->text);
	free(f);
}

/* ------------------------------------------------------------ binding */

typedef struct binder {
	const lfs_field *const *fields;
	size_t nfields;
	const char *text;
	lfs_err *err;
	size_t *cols;       /* table column of each slot */
	size_t n_cols;
} binder;

static fnode *clone_node(const fnode *n)
{
	fnode *c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	*c = *n;
	c->a = c->b = c->c = NULL;
	c->items = NULL;
	c->n_items = 0;
	c->name = NULL;
	c->s = NULL;
	c->like = NULL;
	if ((n->name && !(c->name = strdup(n->name))) ||
	    (n->s && !(c->s = malloc(n->slen + 1))))
		goto fail;
	if (n->s)
		memcpy(c->s, n->s, n->slen + 1);
	if ((n->a && !(c->a = clone_node(n->a))) || (n->b && !(c->b = clone_node(n->b))) ||
	    (n->c && !(c->c = clone_node(n->c))))
		goto fail;
	if (n->n_items) {
		c->items = calloc(n->n_items, sizeof(*c->items));
		if (!c->items)
			goto fail;
		for (size_t i = 0; i < n->n_items; i++) {
			c->items[i] = clone_node(n->items[i]);
			if (!c->items[i])
				goto fail;
			c->n_items = i + 1;
		}
	}
	return c;
fail:
	lfs_fnode_free(c);
	return NULL;
}

static int is_literal(const fnode *n)
{
	return n->kind == F_NULL || n->kind == F_BOOL || n->kind == F_INT || n->kind == F_FLOAT ||
	       n->kind == F_STRING || n->kind == F_DATE || n->kind == F_TIMESTAMP;
}

/* How a value reads in a message: "s (utf8)", "a number", ... */
static const char *describe(const binder *b, const fnode *n, char *buf, size_t size)
{
	switch (n->kind) {
	case F_COLUMN:
		snprintf(buf, size, "%s (%s)", n->name,
			 b->fields[n->col]->logical_type ? b->fields[n->col]->logical_type
							 : lfs_type_name(b->fields[n->col]->type.id));
		return buf;
	case F_NULL: return "NULL";
	case F_BOOL: return n->bval ? "TRUE" : "FALSE";
	case F_INT: case F_FLOAT: return "a number";
	case F_STRING: return "a string";
	case F_DATE: return "a date";
	case F_TIMESTAMP: return "a timestamp";
	default: return "a condition";
	}
}

static int bind_column(binder *b, fnode *n)
{
	size_t i;
	for (i = 0; i < b->nfields; i++)
		if (strcmp(b->fields[i]->name, n->name) == 0)
			break;
	if (i == b->nfields) {
		/* say which names exist, as far as they fit */
		char list[240];
		size_t len = 0;
		list[0] = 0;
		for (size_t j = 0; j < b->nfields && len + 8 < sizeof(list); j++) {
			int w = snprintf(list + len, sizeof(list) - len, "%s%s", j ? ", " : "",
					 b->fields[j]->name);
			if (w < 0 || (size_t)w >= sizeof(list) - len) {
				snprintf(list + len, sizeof(list) - len, ", ...");
				break;
			}
			len += (size_t)w;
		}
		return ferr(b->err, b->text, n->pos, "no column named '%s' (the table has: %s)",
			    n->name, list);
	}
	n->col = i;
	for (n->slot = 0; n->slot < b->n_cols; n->slot++)
		if (b->cols[n->slot] == i)
			break;
	if (n->slot == b->n_cols) {
		size_t *cols = realloc(b->cols, (b->n_cols + 1) * sizeof(*cols));
		if (!cols)
			return lfs_fail(b->err, -ENOMEM, "out of memory");
		b->cols = cols;
		b->cols[b->n_cols++] = i;
	}
	const lfs_type *t = &b->fields[i]->type;
	n->cls = FC_OTHER;
	switch (t->id) {
	case LFS_T_BOOL:
		n->cls = FC_BOOL;
		break;
	case LFS_T_INT8: case LFS_T_INT16: case LFS_T_INT32: case LFS_T_INT64:
	case LFS_T_UINT8: case LFS_T_UINT16: case LFS_T_UINT32:
		n->cls = FC_NUM;
		n->num = NUM_I64;
		break;
	case LFS_T_UINT64:
		n->cls = FC_NUM;
		n->num = NUM_U64;
		break;
	case LFS_T_FLOAT16: case LFS_T_FLOAT32: case LFS_T_FLOAT64:
		n->cls = FC_NUM;
		n->num = NUM_F64;
		n->float_width = (int)lfs_type_width(t);
		break;
	case LFS_T_UTF8: case LFS_T_LARGE_UTF8:
		n->cls = FC_STR;
		break;
	case LFS_T_DATE32: case LFS_T_DATE64: case LFS_T_TIMESTAMP:
		n->cls = FC_TIME;
		n->num = NUM_I64;
		n->unit = t->id == LFS_T_DATE32 ? LFS_UNIT_DAY : t->id == LFS_T_DATE64 ? LFS_UNIT_MS
										   : (int)t->unit;
		break;
	default:
		break;
	}
	return 0;
}

static int bind_node(binder *b, fnode *n);

/* Binds n where a condition must stand. */
static int bind_cond(binder *b, fnode *n, const char *where)
{
	char buf[300];
	int rc = bind_node(b, n);
	if (rc)
		return rc;
	if (n->cls == FC_BOOL || n->cls == FC_NULL)
		return 0;
	return ferr(b->err, b->text, n->pos, "%s is not a condition (%s)", describe(b, n, buf, sizeof(buf)),
		    where);
}

/* A time literal (DATE, TIMESTAMP or a string) as a count of unit. */
static int time_literal_to_unit(binder *b, fnode *lit, int unit, const char *colname)
{
	int64_t secs;
	uint32_t nanos = 0;
	int has_time = 0;
	if (lit->kind == F_STRING) {
		if (memchr(lit->s, 0, lit->slen) || parse_time(lit->s, &has_time, &secs, &nanos))
			return ferr(b->err, b->text, lit->pos,
				    "'%s' is not a date or timestamp (compared with %s)", lit->s, colname);
	} else if (lit->kind == F_DATE) {
		secs = lit->i * 86400;
	} else {
		secs = lit->i;
		nanos = (uint32_t)lit->u;
	}
	int64_t v;
	int ok;
	switch (unit) {
	case LFS_UNIT_DAY:
		ok = secs % 86400 == 0 && nanos == 0;
		v = secs / 86400;
		break;
	case LFS_UNIT_S:
		ok = nanos == 0;
		v = secs;
		break;
	case LFS_UNIT_MS:
		ok = nanos % 1000000 == 0 && !__builtin_mul_overflow(secs, 1000, &v) &&
		     !__builtin_add_overflow(v, (int64_t)(nanos / 1000000), &v);
		break;
	case LFS_UNIT_US:
		ok = nanos % 1000 == 0 && !__builtin_mul_overflow(secs, 1000000, &v) &&
		     !__builtin_add_overflow(v, (int64_t)(nanos / 1000), &v);
		break;
	default:
		ok = !__builtin_mul_overflow(secs, 1000000000, &v) &&
		     !__builtin_add_overflow(v, (int64_t)nanos, &v);
		break;
	}
	if (!ok)
		return ferr(b->err, b->text, lit->pos,
			    "this time does not fit column %s exactly (finer than its unit, or out of range)",
			    colname);
	free(lit->s);
	lit->s = NULL;
	lit->kind = F_INT;
	lit->i = v;
	lit->is_unsigned = 0;
	lit->cls = FC_TIME;
	lit->num = NUM_I64;
	lit->unit = unit;
	return 0;
}

/* Turns a number literal compared with a float column into that column's
 * type, as DataFusion casts the literal before comparing: 0.1 against a
 * float32 column is 0.1f, and 0 against any float column is +0.0, which in
 * total order is above -0.0. */
static void cast_to_float_width(fnode *lit, int width)
{
	double v = lit->kind == F_FLOAT ? lit->f : lit->is_unsigned ? (double)lit->u : (double)lit->i;
	if (width == 4)
		v = (float)v;
	else if (width == 2)
		v = lfs_f16_to_f32(lfs_f32_to_f16((float)v));
	lit->kind = F_FLOAT;
	lit->f = v;
	lit->is_unsigned = 0;
	lit->num = NUM_F64;
}

/* Checks that x and y can be compared, converting literals to the other
 * side's type where SQL would. */
static int bind_pair(binder *b, fnode *x, fnode *y, size_t pos)
{
	char bx[300], by[300];
	if (x->cls == FC_NULL || y->cls == FC_NULL)
		return 0;
	/* time columns take date, timestamp and string literals */
	if (x->cls == FC_TIME && y->cls == FC_TIME && x->kind == F_COLUMN && y->kind == F_COLUMN) {
		if (x->unit != y->unit)
			return ferr(b->err, b->text, pos, "cannot compare %s with %s (different units)",
				    describe(b, x, bx, sizeof(bx)), describe(b, y, by, sizeof(by)));
		return 0;
	}
	if (x->kind == F_COLUMN && x->cls == FC_TIME &&
	    (y->kind == F_DATE || y->kind == F_TIMESTAMP || y->kind == F_STRING))
		return time_literal_to_unit(b, y, x->unit, x->name);
	if (y->kind == F_COLUMN && y->cls == FC_TIME &&
	    (x->kind == F_DATE || x->kind == F_TIMESTAMP || x->kind == F_STRING))
		return time_literal_to_unit(b, x, y->unit, y->name);
	if (x->cls == FC_TIME && y->cls == FC_TIME) {
		/* two literals: compare both in nanoseconds */
		int rc = time_literal_to_unit(b, x, LFS_UNIT_NS, "(nanoseconds)");
		return rc ? rc : time_literal_to_unit(b, y, LFS_UNIT_NS, "(nanoseconds)");
	}
	if (x->cls == FC_OTHER || y->cls == FC_OTHER) {
		const fnode *o = x->cls == FC_OTHER ? x : y;
		return ferr(b->err, b->text, o->pos,
			    "%s cannot be compared; a filter can only test it with IS [NOT] NULL",
			    describe(b, o, bx, sizeof(bx)));
	}
	if (x->cls != y->cls)
		return ferr(b->err, b->text, pos, "cannot compare %s with %s",
			    describe(b, x, bx, sizeof(bx)), describe(b, y, by, sizeof(by)));
	if (x->cls == FC_NUM) {
		if (x->kind == F_COLUMN && x->float_width && is_literal(y))
			cast_to_float_width(y, x->float_width);
		if (y->kind == F_COLUMN && y->float_width && is_literal(x))
			cast_to_float_width(x, y->float_width);
	}
	return 0;
}

static int bind_node(binder *b, fnode *n)
{
	char buf[300];
	int rc;

	switch (n->kind) {
	case F_COLUMN:
		return bind_column(b, n);
	case F_NULL:
		n->cls = FC_NULL;
		return 0;
	case F_BOOL:
		n->cls = FC_BOOL;
		return 0;
	case F_INT:
		n->cls = FC_NUM;
		n->num = n->is_unsigned ? NUM_U64 : NUM_I64;
		return 0;
	case F_FLOAT:
		n->cls = FC_NUM;
		n->num = NUM_F64;
		return 0;
	case F_STRING:
		n->cls = FC_STR;
		return 0;
	case F_DATE:
	case F_TIMESTAMP:
		n->cls = FC_TIME;
		return 0;
	case F_NOT:
		n->cls = FC_BOOL;
		return bind_cond(b, n->a, "after NOT");
	case F_AND:
	case F_OR:
		n->cls = FC_BOOL;
		if ((rc = bind_cond(b, n->a, n->kind == F_AND ? "before AND" : "before OR")))
			return rc;
		return bind_cond(b, n->b, n->kind == F_AND ? "after AND" : "after OR");
	case F_CMP:
		n->cls = FC_BOOL;
		if ((rc = bind_node(b, n->a)) || (rc = bind_node(b, n->b)))
			return rc;
		return bind_pair(b, n->a, n->b, n->pos);
	case F_IN:
		n->cls = FC_BOOL;
		if ((rc = bind_node(b, n->a)))
			return rc;
		for (size_t i = 0; i < n->n_items; i++)
			if ((rc = bind_node(b, n->items[i])) ||
			    (rc = bind_pair(b, n->a, n->items[i], n->items[i]->pos)))
				return rc;
		return 0;
	case F_BETWEEN:
		n->cls = FC_BOOL;
		if ((rc = bind_node(b, n->a)) || (rc = bind_node(b, n->b)) || (rc = bind_node(b, n->c)) ||
		    (rc = bind_pair(b, n->a, n->b, n->b->pos)) ||
		    (rc = bind_pair(b, n->a, n->c, n->c->pos)))
			return rc;
		return 0;
	case F_LIKE:
		n->cls = FC_BOOL;
		if ((rc = bind_node(b, n->a)) || (rc = bind_node(b, n->b)))
			return rc;
		if (n->a->cls != FC_STR && n->a->cls != FC_NULL)
			return ferr(b->err, b->text, n->a->pos, "%s LIKE: only strings can be matched",
				    describe(b, n->a, buf, sizeof(buf)));
		if (n->b->kind == F_NULL)
			return 0;
		if (n->b->kind != F_STRING)
			return ferr(b->err, b->text, n->b->pos, "the LIKE pattern must be a string literal");
		rc = lfs_like_compile((const uint8_t *)n->b->s, n->b->slen, n->esc, n->ilike, &n->like);
		return rc ? lfs_fail(b->err, rc, "out of memory") : 0;
	case F_IS_NULL:
		n->cls = FC_BOOL;
		return bind_node(b, n->a);
	case F_IS_BOOL:
		n->cls = FC_BOOL;
		return bind_cond(b, n->a, "before IS TRUE / IS FALSE");
	}
	return lfs_fail(b->err, -EINVAL, "filter: unknown node");
}

int lfs_filter_bind(const lfs_filter *f, const lfs_field *const *fields, size_t nfields,
		    lfs_bound_filter **out, lfs_err *err)
{
	binder b = { .fields = fields, .nfields = nfields, .text = f->text, .err = err };
	lfs_bound_filter *bf;
	int rc;

	*out = NULL;
	bf = calloc(1, sizeof(*bf));
	if (!bf)
		return lfs_fail(err, -ENOMEM, "out of memory");
	bf->fields = fields;
	bf->root = clone_node(f->root);
	if (!bf->root) {
		free(bf);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	rc = bind_node(&b, bf->root);
	if (!rc && bf->root->cls != FC_BOOL) {
		char buf[300];
		rc = ferr(err, f->text, bf->root->pos, "%s is not a condition",
			  describe(&b, bf->root, buf, sizeof(buf)));
	}
	bf->cols = b.cols;
	bf->n_cols = b.n_cols;
	if (rc) {
		lfs_bound_filter_free(bf);
		return rc;
	}
	*out = bf;
	return 0;
}

void lfs_bound_filter_free(lfs_bound_filter *bf)
{
	if (!bf)
		return;
	lfs_fnode_free(bf->root);
	free(bf->cols);
	free(bf);
}

const size_t *lfs_bound_filter_columns(const lfs_bound_filter *bf, size_t *n)
{
	*n = bf->n_cols;
	return bf->cols;
}
