/* search/feval: a bound filter evaluated over a chunk of rows.
 *
 * Evaluation is column-at-a-time: every condition node yields one truth
 * value per row (FALSE, UNKNOWN or TRUE, ordered so that AND is the minimum
 * and OR the maximum, which is SQL's three-valued logic), and every value
 * node is either a column of the chunk, converted once to a flat array, or
 * a constant.  A row passes when the root is TRUE.
 *
 * Comparisons follow LanceDB (DataFusion / Arrow): floats compare by IEEE
 * total order (NaN equals NaN and sorts above +Infinity; -0.0 sorts below
 * 0.0), strings byte by byte, FALSE below TRUE.  Integers compare exactly
 * with integers, and with floats (an integer column against a fractional
 * literal, which LanceDB refuses) by their mathematical values; a number
 * literal against a float column was already cast to the column's type
 * when the filter was bound.
 */
#include "search/filter_ast.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct vals {
	enum fclass cls;
	enum fnum num;
	int is_const;
	int const_null;
	const uint8_t *validity;  /* column bitmap, NULL: all valid */
	const int64_t *i;
	const uint64_t *u;
	const double *f;
	const uint64_t *off;      /* strings */
	const uint8_t *data;
	const uint8_t *tri;       /* FC_BOOL: a truth value per row */
	int64_t ci;               /* constants */
	uint64_t cu;
	double cf;
	uint64_t coff[2];
	void *owned;              /* what this vals allocated */
} vals;

typedef struct prepared {
	int ready;
	vals v;
} prepared;

typedef struct ectx {
	const lfs_bound_filter *bf;
	const lfs_column *cols;
	uint64_t n;
	prepared *prep;
	lfs_err *err;
} ectx;

/* ------------------------------------------------------------ columns */

static int bad_column(ectx *e, size_t slot, const char *what)
{
	const lfs_field *f = e->bf->fields[e->bf->cols[slot]];
	return lfs_fail(e->err, -EIO, "filter: column %s: %s", f->name, what);
}

/* Converts the chunk's rows of one column into a flat array once. */
static int prepare(ectx *e, size_t slot, enum fclass cls, enum fnum num)
{
	prepared *p = &e->prep[slot];
	const lfs_column *c = &e->cols[slot];
	uint64_t n = e->n;
	vals *v = &p->v;

	if (p->ready)
		return 0;
	memset(v, 0, sizeof(*v));
	v->cls = cls;
	v->num = num;
	if (c->length < n)
		return bad_column(e, slot, "fewer rows than asked for");
	v->validity = c->validity;
	if (n == 0 || cls == FC_OTHER || cls == FC_NULL) {
		p->ready = 1;
		return 0;
	}
	const lfs_type *t = &c->type;
	if (cls == FC_STR) {
		if (!lfs_type_is_var_width(t) || !c->offsets || (!c->data && c->data_len))
			return bad_column(e, slot, "not a string column");
		for (uint64_t r = 0; r < n; r++)
			if (c->offsets[r] > c->offsets[r + 1])
				return bad_column(e, slot, "offsets go backwards");
		if (c->offsets[n] > c->data_len)
			return bad_column(e, slot, "offsets run past the data");
		v->off = c->offsets;
		v->data = c->data;
		p->ready = 1;
		return 0;
	}
	if (cls == FC_BOOL) {
		uint8_t *tri = malloc(n);
		if (!tri)
			return lfs_fail(e->err, -ENOMEM, "out of memory");
		if (t->id != LFS_T_BOOL || !c->values) {
			free(tri);
			return bad_column(e, slot, "not a bool column");
		}
		for (uint64_t r = 0; r < n; r++)
			tri[r] = !lfs_column_is_valid(c, r) ? LFS_UNKNOWN
			       : lfs_column_bool(c, r) ? LFS_TRUE : LFS_FALSE;
		v->tri = tri;
		v->owned = tri;
		p->ready = 1;
		return 0;
	}
	/* numbers and times */
	uint32_t w = lfs_type_width(t);
	if (w == 0 || !c->values || c->width != w)
		return bad_column(e, slot, "values do not match the column's type");
	const uint8_t *src = c->values;
	void *buf = lfs_xcalloc(n, 8);
	if (!buf)
		return lfs_fail(e->err, -ENOMEM, "out of memory");
	v->owned = buf;
	if (num == NUM_F64) {
		double *d = buf;
		for (uint64_t r = 0; r < n; r++) {
			const uint8_t *s = src + r * w;
			if (t->id == LFS_T_FLOAT64) {
				memcpy(&d[r], s, 8);
			} else if (t->id == LFS_T_FLOAT32) {
				float x;
				memcpy(&x, s, 4);
				d[r] = x;
			} else {
				d[r] = lfs_f16_to_f32(lfs_le16(s));
			}
		}
		v->f = d;
	} else if (num == NUM_U64) {
		uint64_t *u = buf;
		for (uint64_t r = 0; r < n; r++)
			memcpy(&u[r], src + r * 8, 8);
		v->u = u;
	} else {
		int64_t *x = buf;
		int sign = t->id == LFS_T_INT8 || t->id == LFS_T_INT16 || t->id == LFS_T_INT32 ||
			   t->id == LFS_T_INT64 || t->id == LFS_T_DATE32 || t->id == LFS_T_DATE64 ||
			   t->id == LFS_T_TIMESTAMP;
		for (uint64_t r = 0; r < n; r++) {
			const uint8_t *s = src + r * w;
			switch (w) {
			case 1: x[r] = sign ? (int64_t)(int8_t)s[0] : (int64_t)s[0]; break;
			case 2: x[r] = sign ? (int64_t)(int16_t)lfs_le16(s) : (int64_t)lfs_le16(s); break;
			case 4: x[r] = sign ? (int64_t)(int32_t)lfs_le32(s) : (int64_t)lfs_le32(s); break;
			default: x[r] = (int64_t)lfs_le64(s); break;
			}
		}
		v->i = x;
	}
	p->ready = 1;
	return 0;
}

/* --------------------------------------------------------- comparisons */

static int64_t total_key(double d)
{
	int64_t k;
	memcpy(&k, &d, 8);
	return k ^ (int64_t)((uint64_t)(k >> 63) >> 1);
}

static int cmp_f64(double a, double b)
{
	int64_t x = total_key(a), y = total_key(b);
	return (x > y) - (x < y);
}

static int cmp_i64_f64(int64_t a, double d)
{
	if (isnan(d))
		return signbit(d) ? 1 : -1;
	if (d >= 0x1p63)
		return -1;
	if (d < -0x1p63)
		return 1;
	double fl = floor(d);
	int64_t fi = (int64_t)fl;
	if (a != fi)
		return a < fi ? -1 : 1;
	return d > fl ? -1 : 0;
}

static int cmp_u64_f64(uint64_t a, double d)
{
	if (isnan(d))
		return signbit(d) ? 1 : -1;
	if (d < 0)
		return 1;
	if (d >= 0x1p64)
		return -1;
	double fl = floor(d);
	uint64_t fu = (uint64_t)fl;
	if (a != fu)
		return a < fu ? -1 : 1;
	return d > fl ? -1 : 0;
}

static int cmp_i64_u64(int64_t a, uint64_t b)
{
	if (a < 0)
		return -1;
	return ((uint64_t)a > b) - ((uint64_t)a < b);
}

static inline uint64_t at(const vals *v, uint64_t r) { return v->is_const ? 0 : r; }

static inline int is_null(const vals *v, uint64_t r)
{
	if (v->is_const)
		return v->const_null;
	if (v->cls == FC_BOOL)
		return v->tri[r] == LFS_UNKNOWN;
	return v->validity && !lfs_bit_get(v->validity, r);
}

static int cmp_num(const vals *x, uint64_t rx, const vals *y, uint64_t ry)
{
	switch (x->num * 3 + y->num) {
	case NUM_I64 * 3 + NUM_I64: {
		int64_t a = x->i[rx], b = y->i[ry];
		return (a > b) - (a < b);
	}
	case NUM_I64 * 3 + NUM_U64:
		return cmp_i64_u64(x->i[rx], y->u[ry]);
	case NUM_I64 * 3 + NUM_F64:
		return cmp_i64_f64(x->i[rx], y->f[ry]);
	case NUM_U64 * 3 + NUM_I64:
		return -cmp_i64_u64(y->i[ry], x->u[rx]);
	case NUM_U64 * 3 + NUM_U64: {
		uint64_t a = x->u[rx], b = y->u[ry];
		return (a > b) - (a < b);
	}
	case NUM_U64 * 3 + NUM_F64:
		return cmp_u64_f64(x->u[rx], y->f[ry]);
	case NUM_F64 * 3 + NUM_I64:
		return -cmp_i64_f64(y->i[ry], x->f[rx]);
	case NUM_F64 * 3 + NUM_U64:
		return -cmp_u64_f64(y->u[ry], x->f[rx]);
	default:
		return cmp_f64(x->f[rx], y->f[ry]);
	}
}

static int cmp_str(const vals *x, uint64_t rx, const vals *y, uint64_t ry)
{
	uint64_t la = x->off[rx + 1] - x->off[rx], lb = y->off[ry + 1] - y->off[ry];
	int c = memcmp(x->data + x->off[rx], y->data + y->off[ry], la < lb ? la : lb);
	if (c)
		return c < 0 ? -1 : 1;
	return (la > lb) - (la < lb);
}

static int cmp_any(const vals *x, uint64_t rx, const vals *y, uint64_t ry)
{
	switch (x->cls) {
	case FC_STR:
		return cmp_str(x, rx, y, ry);
	case FC_BOOL: {
		int a = x->tri[rx], b = y->tri[ry];
		return (a > b) - (a < b);
	}
	default:
		return cmp_num(x, rx, y, ry);
	}
}

static int op_holds(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}

/* x op y for every row into out. */
static void compare(const vals *x, const vals *y, int op, uint64_t n, uint8_t *out)
{
	if ((x->is_const && x->const_null) || (y->is_const && y->const_null)) {
		memset(out, LFS_UNKNOWN, n);
		return;
	}
	/* the common case gets a tight loop: an integer column against an
	 * integer constant */
	if (x->cls == FC_NUM && x->num == NUM_I64 && !x->is_const && y->is_const &&
	    y->num == NUM_I64) {
		int64_t b = y->i[0];
		for (uint64_t r = 0; r < n; r++) {
			int64_t a = x->i[r];
			out[r] = op_holds(op, (a > b) - (a < b)) ? LFS_TRUE : LFS_FALSE;
		}
		if (x->validity)
			for (uint64_t r = 0; r < n; r++)
				if (!lfs_bit_get(x->validity, r))
					out[r] = LFS_UNKNOWN;
		return;
	}
	for (uint64_t r = 0; r < n; r++) {
		if (is_null(x, r) || is_null(y, r))
			out[r] = LFS_UNKNOWN;
		else
			out[r] = op_holds(op, cmp_any(x, at(x, r), y, at(y, r))) ? LFS_TRUE : LFS_FALSE;
	}
}

/* ------------------------------------------------------------- values */

static int eval(ectx *e, const fnode *n, uint8_t *out);

static void vals_free(vals *v)
{
	free(v->owned);
	v->owned = NULL;
}

/* The operand n as values over the chunk (borrowed from the column cache,
 * a constant, or a condition evaluated into a buffer the vals owns). */
static int operand(ectx *e, const fnode *n, vals *v)
{
	memset(v, 0, sizeof(*v));
	v->cls = n->cls;
	v->num = n->num;
	switch (n->kind) {
	case F_COLUMN: {
		int rc = prepare(e, n->slot, n->cls, n->num);
		if (rc)
			return rc;
		*v = e->prep[n->slot].v;
		v->owned = NULL;
		return 0;
	}
	case F_NULL:
		v->is_const = 1;
		v->const_null = 1;
		return 0;
	case F_INT:
		v->is_const = 1;
		if (n->is_unsigned) {
			v->cu = n->u;
			v->u = &v->cu;
			v->num = NUM_U64;
		} else {
			v->ci = n->i;
			v->i = &v->ci;
			v->num = NUM_I64;
		}
		return 0;
	case F_FLOAT:
		v->is_const = 1;
		v->cf = n->f;
		v->f = &v->cf;
		v->num = NUM_F64;
		return 0;
	case F_STRING:
		v->is_const = 1;
		v->coff[0] = 0;
		v->coff[1] = n->slen;
		v->off = v->coff;
		v->data = (const uint8_t *)n->s;
		return 0;
	case F_DATE:
	case F_TIMESTAMP:
		/* binding turned every time literal compared with a value into an
		 * F_INT; one left is compared with NULL, so its value is moot */
		v->is_const = 1;
		v->ci = n->i;
		v->i = &v->ci;
		v->num = NUM_I64;
		return 0;
	default: {
		/* a condition used as a value: (a > 1) = TRUE */
		uint8_t *tri = malloc(e->n ? e->n : 1);
		if (!tri)
			return lfs_fail(e->err, -ENOMEM, "out of memory");
		int rc = eval(e, n, tri);
		if (rc) {
			free(tri);
			return rc;
		}
		v->cls = FC_BOOL;
		v->tri = tri;
		v->owned = tri;
		return 0;
	}
	}
}

/* A constant operand's value written into the shape compare() reads. */
static void fix_const_pointers(vals *v)
{
	if (!v->is_const)
		return;
	if (v->num == NUM_U64 && v->u)
		v->u = &v->cu;
	if (v->num == NUM_I64 && v->i)
		v->i = &v->ci;
	if (v->num == NUM_F64 && v->f)
		v->f = &v->cf;
	if (v->off)
		v->off = v->coff;
}

/* --------------------------------------------------------- conditions */

static int eval_cmp(ectx *e, const fnode *x, const fnode *y, int op, uint8_t *out)
{
	vals a, b;
	int rc = operand(e, x, &a);
	if (rc)
		return rc;
	fix_const_pointers(&a);
	rc = operand(e, y, &b);
	if (rc) {
		vals_free(&a);
		return rc;
	}
	fix_const_pointers(&b);
	compare(&a, &b, op, e->n, out);
	vals_free(&a);
	vals_free(&b);
	return 0;
}

static void negate(uint8_t *t, uint64_t n)
{
	for (uint64_t r = 0; r < n; r++)
		t[r] = (uint8_t)(LFS_TRUE - t[r]);
}

static int eval_in(ectx *e, const fnode *n, uint8_t *out)
{
	uint8_t *tmp = malloc(e->n ? e->n : 1);
	vals a;
	int rc;

	if (!tmp)
		return lfs_fail(e->err, -ENOMEM, "out of memory");
	rc = operand(e, n->a, &a);
	if (rc) {
		free(tmp);
		return rc;
	}
	fix_const_pointers(&a);
	memset(out, LFS_FALSE, e->n);
	for (size_t k = 0; k < n->n_items && !rc; k++) {
		vals b;
		rc = operand(e, n->items[k], &b);
		if (rc)
			break;
		fix_const_pointers(&b);
		compare(&a, &b, OP_EQ, e->n, tmp);
		vals_free(&b);
		for (uint64_t r = 0; r < e->n; r++)
			if (tmp[r] > out[r])
				out[r] = tmp[r];
	}
	vals_free(&a);
	free(tmp);
	if (!rc && n->negated)
		negate(out, e->n);
	return rc;
}

static int eval_between(ectx *e, const fnode *n, uint8_t *out)
{
	uint8_t *tmp = malloc(e->n ? e->n : 1);
	int rc;
	if (!tmp)
		return lfs_fail(e->err, -ENOMEM, "out of memory");
	rc = eval_cmp(e, n->a, n->b, OP_GE, out);
	if (!rc)
		rc = eval_cmp(e, n->a, n->c, OP_LE, tmp);
	if (!rc)
		for (uint64_t r = 0; r < e->n; r++)
			if (tmp[r] < out[r])
				out[r] = tmp[r];
	free(tmp);
	if (!rc && n->negated)
		negate(out, e->n);
	return rc;
}

static int eval_like(ectx *e, const fnode *n, uint8_t *out)
{
	vals a;
	int rc;
	if (!n->like) { /* LIKE NULL */
		memset(out, LFS_UNKNOWN, e->n);
		return 0;
	}
	rc = operand(e, n->a, &a);
	if (rc)
		return rc;
	fix_const_pointers(&a);
	for (uint64_t r = 0; r < e->n; r++) {
		if (is_null(&a, r)) {
			out[r] = LFS_UNKNOWN;
			continue;
		}
		uint64_t i = at(&a, r);
		int m = lfs_like_match(n->like, a.data + a.off[i], a.off[i + 1] - a.off[i]);
		out[r] = m != n->negated ? LFS_TRUE : LFS_FALSE;
	}
	vals_free(&a);
	return 0;
}

static int eval_is_null(ectx *e, const fnode *n, uint8_t *out)
{
	const fnode *a = n->a;
	uint8_t yes = n->negated ? LFS_FALSE : LFS_TRUE, no = n->negated ? LFS_TRUE : LFS_FALSE;

	if (a->kind == F_COLUMN) {
		const lfs_column *c = &e->cols[a->slot];
		if (c->length < e->n)
			return bad_column(e, a->slot, "fewer rows than asked for");
		for (uint64_t r = 0; r < e->n; r++)
			out[r] = lfs_column_is_valid(c, r) ? no : yes;
		return 0;
	}
	if (a->cls == FC_BOOL && a->kind != F_BOOL) {
		int rc = eval(e, a, out);
		if (rc)
			return rc;
		for (uint64_t r = 0; r < e->n; r++)
			out[r] = out[r] == LFS_UNKNOWN ? yes : no;
		return 0;
	}
	memset(out, a->kind == F_NULL ? yes : no, e->n);
	return 0;
}

static int eval(ectx *e, const fnode *n, uint8_t *out)
{
	int rc;
	switch (n->kind) {
	case F_COLUMN:
		rc = prepare(e, n->slot, FC_BOOL, NUM_I64);
		if (rc)
			return rc;
		memcpy(out, e->prep[n->slot].v.tri, e->n);
		return 0;
	case F_BOOL:
		memset(out, n->bval ? LFS_TRUE : LFS_FALSE, e->n);
		return 0;
	case F_NULL:
		memset(out, LFS_UNKNOWN, e->n);
		return 0;
	case F_NOT:
		rc = eval(e, n->a, out);
		if (!rc)
			negate(out, e->n);
		return rc;
	case F_AND:
	case F_OR: {
		rc = eval(e, n->a, out);
		if (rc)
			return rc;
		/* skip the right side when the left decides every row */
		uint8_t decided = n->kind == F_AND ? LFS_FALSE : LFS_TRUE;
		uint64_t r;
		for (r = 0; r < e->n && out[r] == decided; r++)
			;
		if (r == e->n)
			return 0;
		uint8_t *tmp = malloc(e->n);
		if (!tmp)
			return lfs_fail(e->err, -ENOMEM, "out of memory");
		rc = eval(e, n->b, tmp);
		if (!rc) {
			if (n->kind == F_AND) {
				for (r = 0; r < e->n; r++)
					if (tmp[r] < out[r])
						out[r] = tmp[r];
			} else {
				for (r = 0; r < e->n; r++)
					if (tmp[r] > out[r])
						out[r] = tmp[r];
			}
		}
		free(tmp);
		return rc;
	}
	case F_CMP:
		return eval_cmp(e, n->a, n->b, n->op, out);
	case F_IN:
		return eval_in(e, n, out);
	case F_BETWEEN:
		return eval_between(e, n, out);
	case F_LIKE:
		return eval_like(e, n, out);
	case F_IS_NULL:
		return eval_is_null(e, n, out);
	case F_IS_BOOL:
		rc = eval(e, n->a, out);
		if (rc)
			return rc;
		for (uint64_t r = 0; r < e->n; r++) {
			int hit = out[r] == (n->bval ? LFS_TRUE : LFS_FALSE);
			out[r] = hit != n->negated ? LFS_TRUE : LFS_FALSE;
		}
		return 0;
	default:
		return lfs_fail(e->err, -EINVAL, "filter: not a condition");
	}
}

int lfs_filter_eval_tri(const lfs_bound_filter *b, const lfs_column *cols, uint64_t n,
			uint8_t *out, lfs_err *err)
{
	ectx e = { .bf = b, .cols = cols, .n = n, .err = err };
	int rc;

	if (n == 0)
		return 0;
	e.prep = calloc(b->n_cols ? b->n_cols : 1, sizeof(*e.prep));
	if (!e.prep)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = eval(&e, b->root, out);
	for (size_t i = 0; i < b->n_cols; i++)
		vals_free(&e.prep[i].v);
	free(e.prep);
	return rc;
}

int lfs_filter_eval(const lfs_bound_filter *b, const lfs_column *cols, uint64_t n, uint8_t *keep,
		    lfs_err *err)
{
	uint8_t *tri;
	int rc;

	memset(keep, 0, (n + 7) / 8);
	if (n == 0)
		return 0;
	tri = malloc(n);
	if (!tri)
		return lfs_fail(err, -ENOMEM, "out of memory");
	rc = lfs_filter_eval_tri(b, cols, n, tri, err);
	if (!rc)
		for (uint64_t r = 0; r < n; r++)
			if (tri[r] == LFS_TRUE)
				keep[r >> 3] |= (uint8_t)(1u << (r & 7));
	free(tri);
	return rc;
}
