/*
 * search/filter_ast: the syntax tree of a filter, shared by the parser and
 * binder (filter.c) and the evaluator (feval.c) only.
 */
#ifndef LFS_FILTER_AST_H
#define LFS_FILTER_AST_H

#include <stddef.h>
#include <stdint.h>

#include "search/search_impl.h"

enum fnode_kind {
	F_COLUMN,   /* a column, by name; bound to a slot */
	F_NULL,     /* literals */
	F_BOOL,
	F_INT,      /* a whole number: i (or u when is_unsigned) */
	F_FLOAT,    /* f */
	F_STRING,   /* s, slen */
	F_DATE,     /* DATE 'YYYY-MM-DD': i = days since the epoch */
	F_TIMESTAMP,/* TIMESTAMP '...': i = seconds, nanos in u (UTC) */
	F_NOT,      /* a */
	F_AND,      /* a, b */
	F_OR,       /* a, b */
	F_CMP,      /* a op b */
	F_IN,       /* a [NOT] IN (items) */
	F_BETWEEN,  /* a [NOT] BETWEEN b AND c */
	F_LIKE,     /* a [NOT] LIKE|ILIKE b [ESCAPE esc] */
	F_IS_NULL,  /* a IS [NOT] NULL */
	F_IS_BOOL,  /* a IS [NOT] TRUE|FALSE (bval) */
};

enum fcmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

/* What a value is, once bound to a schema. */
enum fclass {
	FC_NONE = 0,
	FC_NULL,    /* the NULL literal: fits anywhere */
	FC_BOOL,    /* conditions and bool columns */
	FC_NUM,     /* integers and floats */
	FC_STR,     /* utf8 strings */
	FC_TIME,    /* dates and timestamps, as integers in `unit` */
	FC_OTHER,   /* a column a filter can only test with IS [NOT] NULL */
};

/* How a number is held: the representation of a numeric column or literal. */
enum fnum { NUM_I64, NUM_U64, NUM_F64 };

typedef struct fnode {
	enum fnode_kind kind;
	size_t pos;                /* byte offset in the filter text */
	unsigned height;           /* of the subtree: 1 for a leaf (0 when not counted) */
	int op;                    /* F_CMP */
	int negated;               /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT */
	int ilike;
	int esc;                   /* LIKE escape byte, -1 for none */
	struct fnode *a, *b, *c;
	struct fnode **items;      /* F_IN */
	size_t n_items;
	char *name;                /* F_COLUMN */
	int64_t i;
	uint64_t u;
	int is_unsigned;
	double f;
	char *s;
	size_t slen;
	int bval;

	/* filled by binding */
	enum fclass cls;
	enum fnum num;             /* FC_NUM and FC_TIME: how values are held */
	int unit;                  /* FC_TIME: lfs_time_unit */
	int float_width;           /* float columns: 2, 4 or 8 (for literal casts) */
	size_t col;                /* F_COLUMN: index among the table's fields */
	size_t slot;               /* F_COLUMN: index among the filter's columns */
	lfs_like *like;            /* F_LIKE with a literal pattern */
} fnode;

struct lfs_filter {
	char *text;
	fnode *root;
};

struct lfs_bound_filter {
	const lfs_field *const *fields;
	fnode *root;
	size_t *cols;              /* table column of each slot, ascending */
	size_t n_cols;
};

void lfs_fnode_free(fnode *n);

#endif
