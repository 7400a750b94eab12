/*
 * search: the engine behind query/ — a query file (JSON) is parsed once, then
 * run over the live rows of one version of a table, giving JSON lines.
 *
 * A query is a JSON object (doc/query.md has the whole reference):
 *   "nearest": {"column", "vector", "k" (10), "metric" l2|cosine|dot (l2),
 *               "nprobes", "refine"}     exact (flat) k-nearest-neighbour search
 *   "filter":  "SQL predicate"           comparisons, AND/OR/NOT, IN, BETWEEN,
 *                                        LIKE, IS [NOT] NULL; rows pass when TRUE
 *   "columns": ["a", "b"]                default: every top-level column
 *   "limit", "offset"                    rows to return / to skip
 *   "version": N  or  "tag": "NAME"      which version to run on (the caller
 *                                        resolves it and hands in its rows)
 * With "nearest", results come in distance order with "_distance" and
 * "_rowid" as LanceDB computes them (the filter is applied before the k
 * nearest are chosen, as LanceDB's default prefilter; ties go to the lower
 * _rowid).  Without it the query is a filtered scan in scan order, each row
 * followed by "_rowid".  Every result is one JSON object per line, values
 * rendered exactly as data/NAME.jsonl renders them.
 *
 * Errors say what is wrong and where: -EINVAL and a message such as
 * "line 2, column 14: ..." (JSON), "filter at character 17: ..." (SQL) or
 * "nearest.vector has 3 numbers, column 'vector' holds 128".  Checks that
 * need the table's schema (unknown column, wrong dimension, a string
 * compared with a number) happen in lfs_query_run.
 *
 * A parsed query is immutable; several threads may run it at once.
 * lfs_query_run spreads the work of a search over the machine's cores.
 */
#ifndef LFS_SEARCH_H
#define LFS_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "view/view.h"

typedef struct lfs_query lfs_query;

/* Parses a query file's bytes (need not be NUL-terminated).  Checks all
 * that can be checked without a table: JSON syntax, keys, value types, the
 * filter's syntax, k > 0, the metric.  -EINVAL with a message. */
int lfs_query_parse(const char *text, size_t len, lfs_query **out, lfs_err *err);
void lfs_query_free(lfs_query *q);

/* What the caller resolves before running: the version the query asks for
 * (0 and *v when it names one, -ENOENT when not), or the tag's name (NULL
 * when none).  At most one of the two is set. */
int lfs_query_version(const lfs_query *q, uint64_t *v);
const char *lfs_query_tag(const lfs_query *q);

/* Runs the query over src (the live rows of one version, in scan order) and
 * appends the result lines to out.  -EINVAL with a message for a query that
 * does not fit the table; other errors (-EIO, -ENOMEM, ...) come from
 * reading the rows, with their message.  On error, out holds what it held
 * before the call. */
int lfs_query_run(const lfs_query *q, const lfs_row_source *src, lfs_buf *out, lfs_err *err);

/* Appends the line a failed query file reads back as:
 * {"error": "MESSAGE"}\n */
int lfs_query_error_line(lfs_buf *out, const char *message);

/* Worker threads for a search: 0 (the default) means one per online CPU. */
void lfs_search_set_threads(unsigned n);

#endif
