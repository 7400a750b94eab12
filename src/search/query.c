/* search/query: a query file's JSON, checked and turned into an lfs_query.
 *
 * Everything that can be checked without a table is checked here, so a
 * query that parses can only fail later for reasons of the table (names,
 * types, dimensions) or of reading it. */
#include "search/search_impl.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	default: return "null";
	}
}

static int bad(lfs_err *err, const char *key, const char *want, const json_t *got)
{
	return lfs_fail(err, -EINVAL, "query: \"%s\" must be %s, not %s", key, want, json_kind(got));
}

/* A whole number >= min into *out. */
static int get_uint(const json_t *v, const char *key, uint64_t min, uint64_t *out, lfs_err *err)
{
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d == floor(d) && d >= 0 && d < 0x1p63) {
			*out = (uint64_t)d;
			goto range;
		}
	}
	if (!json_is_integer(v))
		return lfs_fail(err, -EINVAL, "query: \"%s\" must be a whole number%s, not %s", key,
				min ? " of at least 1" : " of at least 0", json_kind(v));
	json_int_t i = json_integer_value(v);
	if (i < 0)
		return lfs_fail(err, -EINVAL, "query: \"%s\" must be at least %llu, not %lld", key,
				(unsigned long long)min, (long long)i);
	*out = (uint64_t)i;
range:
	if (*out < min)
		return lfs_fail(err, -EINVAL, "query: \"%s\" must be at least %llu, not %llu", key,
				(unsigned long long)min, (unsigned long long)*out);
	return 0;
}

static int parse_vector(lfs_query *q, const json_t *v, lfs_err *err)
{
	if (!json_is_array(v))
		return bad(err, "nearest.vector", "an array of numbers", v);
	size_t n = json_array_size(v);
	if (n == 0)
		return lfs_fail(err, -EINVAL, "query: \"nearest.vector\" is empty");
	q->vector = lfs_xcalloc(n, sizeof(float));
	if (!q->vector)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *x = json_array_get(v, i);
		if (!json_is_number(x))
			return lfs_fail(err, -EINVAL,
					"query: \"nearest.vector\"[%zu] is %s, not a number", i,
					json_kind(x));
		/* LanceDB's client makes a Float32Array of the numbers */
		q->vector[i] = (float)json_number_value(x);
	}
	q->dim = n;
	return 0;
}

static int parse_nearest(lfs_query *q, const json_t *obj, lfs_err *err)
{
	const char *key;
	const json_t *v;
	int have_vector = 0;

	if (!json_is_object(obj))
		return bad(err, "nearest", "an object", obj);
	q->has_nearest = 1;
	q->k = 10;
	q->metric = LFS_METRIC_L2;
	json_object_foreach((json_t *)obj, key, v) {
		int rc = 0;
		if (strcmp(key, "column") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0)
				return bad(err, "nearest.column", "a column name", v);
			q->column = strdup(json_string_value(v));
			if (!q->column)
				return lfs_fail(err, -ENOMEM, "out of memory");
		} else if (strcmp(key, "vector") == 0) {
			rc = parse_vector(q, v, err);
			have_vector = 1;
		} else if (strcmp(key, "k") == 0) {
			if (json_is_integer(v) && json_integer_value(v) <= 0)
				return lfs_fail(err, -EINVAL, "query: \"nearest.k\" must be at least 1, not %lld",
						(long long)json_integer_value(v));
			rc = get_uint(v, "nearest.k", 1, &q->k, err);
			q->has_k = 1;
		} else if (strcmp(key, "metric") == 0) {
			const char *m = json_string_value(v);
			if (!m)
				return bad(err, "nearest.metric", "\"l2\", \"cosine\" or \"dot\"", v);
			if (strcasecmp(m, "l2") == 0 || strcasecmp(m, "euclidean") == 0)
				q->metric = LFS_METRIC_L2;
			else if (strcasecmp(m, "cosine") == 0)
				q->metric = LFS_METRIC_COSINE;
			else if (strcasecmp(m, "dot") == 0)
				q->metric = LFS_METRIC_DOT;
			else
				return lfs_fail(err, -EINVAL,
						"query: unknown metric \"%s\" in \"nearest.metric\" (l2, cosine or dot)",
						m);
		} else if (strcmp(key, "nprobes") == 0) {
			uint64_t x;
			rc = get_uint(v, "nearest.nprobes", 1, &x, err);
		} else if (strcmp(key, "refine") == 0) {
			uint64_t x;
			rc = get_uint(v, "nearest.refine", 1, &x, err);
		} else {
			return lfs_fail(err, -EINVAL,
					"query: unknown key \"nearest.%s\" (column, vector, k, metric, nprobes, refine)",
					key);
		}
		if (rc)
			return rc;
	}
	if (!have_vector)
		return lfs_fail(err, -EINVAL, "query: \"nearest\" has no \"vector\"");
	return 0;
}

static int parse_columns(lfs_query *q, const json_t *v, lfs_err *err)
{
	if (!json_is_array(v))
		return bad(err, "columns", "an array of column names", v);
	size_t n = json_array_size(v);
	q->has_columns = 1;
	q->columns = lfs_xcalloc(n ? n : 1, sizeof(char *));
	if (!q->columns)
		return lfs_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const json_t *x = json_array_get(v, i);
		if (!json_is_string(x))
			return lfs_fail(err, -EINVAL, "query: \"columns\"[%zu] is %s, not a column name", i,
					json_kind(x));
		for (size_t j = 0; j < i; j++)
			if (strcmp(q->columns[j], json_string_value(x)) == 0)
				return lfs_fail(err, -EINVAL, "query: \"columns\" names '%s' twice",
						json_string_value(x));
		q->columns[i] = strdup(json_string_value(x));
		if (!q->columns[i])
			return lfs_fail(err, -ENOMEM, "out of memory");
		q->n_columns = i + 1;
	}
	return 0;
}

static int parse_object(lfs_query *q, const json_t *root, lfs_err *err)
{
	const char *key;
	const json_t *v;

	if (!json_is_object(root))
		return lfs_fail(err, -EINVAL, "query: must be a JSON object, not %s", json_kind(root));
	json_object_foreach((json_t *)root, key, v) {
		int rc = 0;
		if (strcmp(key, "nearest") == 0) {
			rc = parse_nearest(q, v, err);
		} else if (strcmp(key, "filter") == 0) {
			if (json_is_null(v))
				continue;
			if (!json_is_string(v))
				return bad(err, "filter", "a string (an SQL condition)", v);
			rc = lfs_filter_parse(json_string_value(v), &q->filter, err);
		} else if (strcmp(key, "columns") == 0) {
			rc = parse_columns(q, v, err);
		} else if (strcmp(key, "limit") == 0) {
			q->has_limit = 1;
			rc = get_uint(v, "limit", 0, &q->limit, err);
		} else if (strcmp(key, "offset") == 0) {
			rc = get_uint(v, "offset", 0, &q->offset, err);
		} else if (strcmp(key, "version") == 0) {
			q->has_version = 1;
			rc = get_uint(v, "version", 1, &q->version, err);
		} else if (strcmp(key, "tag") == 0) {
			if (!json_is_string(v) || json_string_length(v) == 0)
				return bad(err, "tag", "a tag name", v);
			q->tag = strdup(json_string_value(v));
			if (!q->tag)
				return lfs_fail(err, -ENOMEM, "out of memory");
		} else {
			return lfs_fail(err, -EINVAL,
					"query: unknown key \"%s\" (nearest, filter, columns, limit, offset, version, tag)",
					key);
		}
		if (rc)
			return rc;
	}
	if (q->has_version && q->tag)
		return lfs_fail(err, -EINVAL, "query: give \"version\" or \"tag\", not both");
	return 0;
}

int lfs_query_parse(const char *text, size_t len, lfs_query **out, lfs_err *err)
{
	json_error_t jerr;
	json_t *root;
	lfs_query *q;
	int rc;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return lfs_fail(err, -ENOMEM, "out of memory");
		return lfs_fail(err, -EINVAL, "query: line %d, column %d: %s", jerr.line, jerr.column,
				jerr.text);
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		json_decref(root);
		return lfs_fail(err, -ENOMEM, "out of memory");
	}
	rc = parse_object(q, root, err);
	json_decref(root);
	if (rc) {
		lfs_query_free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void lfs_query_free(lfs_query *q)
{
	if (!q)
		return;
	free(q->column);
	free(q->vector);
	lfs_filter_free(q->filter);
	for (size_t i = 0; i < q->n_columns; i++)
		free(q->columns[i]);
	free(q->columns);
	free(q->tag);
	free(q);
}

int lfs_query_version(const lfs_query *q, uint64_t *v)
{
	if (!q->has_version)
		return -ENOENT;
	*v = q->version;
	return 0;
}

const char *lfs_query_tag(const lfs_query *q) { return q->tag; }
