/* Runs the cases tests/search/make_data.mjs recorded from LanceDB through
 * lfs_query_run on the same tables and compares: the same rows (_rowid) in
 * the same order, _distance equal to 1e-5 relative, the same id, the same
 * keys in the same order.  Started by tests/search/lancedb.sh with the data
 * directory as its argument.  Also reports how many distances agree to the
 * last bit of their float32. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/dataset.h"
#include "fs/fs_impl.h"
#include "search/search.h"
#include "store/store.h"
#include "tap.h"

typedef struct table {
	char name[64];
	lfs_store *store;
	lfs_dataset *ds;
} table;

static table tables[16];
static size_t n_tables;
static uint64_t n_dist, n_exact;
static double worst_rel;

static lfs_dataset *open_table(const char *dir, const char *name, lfs_err *err)
{
	for (size_t i = 0; i < n_tables; i++)
		if (strcmp(tables[i].name, name) == 0)
			return tables[i].ds;
	if (n_tables == sizeof(tables) / sizeof(tables[0]))
		return NULL;
	table *t = &tables[n_tables];
	char path[4096];
	snprintf(path, sizeof(path), "%s/db/%s.lance", dir, name);
	if (lfs_store_open_local(path, &t->store, err) || lfs_dataset_open(t->store, "", &t->ds, err))
		return NULL;
	snprintf(t->name, sizeof(t->name), "%s", name);
	n_tables++;
	return t->ds;
}

static int pick_version(lfs_dataset *ds, const lfs_query *q, uint64_t *v, lfs_err *err)
{
	*v = lfs_dataset_latest(ds);
	if (lfs_query_version(q, v) == 0)
		return 0;
	if (!lfs_query_tag(q))
		return 0;
	lfs_tag *tags;
	size_t n;
	int rc = lfs_dataset_tags(ds, &tags, &n, err), found = 0;
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (strcmp(tags[i].name, lfs_query_tag(q)) == 0) {
			*v = tags[i].version;
			found = 1;
		}
	lfs_tags_free(tags, n);
	return found ? 0 : lfs_fail(err, -2, "no tag %s", lfs_query_tag(q));
}

/* Runs one query; *out gets the result text. */
static int run_case(const char *dir, const json_t *c, lfs_buf *out, lfs_err *err)
{
	const char *tname = json_string_value(json_object_get(c, "table"));
	char *qtext = json_dumps(json_object_get(c, "query"), JSON_COMPACT);
	lfs_query *q = NULL;
	lfs_version *ver = NULL;
	lfs_source *src = NULL;
	uint64_t v;
	int rc;

	lfs_dataset *ds = open_table(dir, tname, err);
	if (!ds) {
		free(qtext);
		return -1;
	}
	rc = lfs_query_parse(qtext, strlen(qtext), &q, err);
	free(qtext);
	if (!rc)
		rc = pick_version(ds, q, &v, err);
	if (!rc)
		rc = lfs_dataset_version(ds, v, &ver, err);
	if (!rc)
		rc = lfs_source_new(ver, LFS_SCOPE_TABLE, 0, &src, err);
	if (!rc)
		rc = lfs_query_run(q, lfs_source_rows(src), out, err);
	lfs_source_free(src);
	if (ver)
		lfs_version_release(ver);
	lfs_query_free(q);
	return rc;
}

/* Compares one result line with LanceDB's row; returns a message or NULL. */
static const char *compare_row(const json_t *got, const json_t *want, const json_t *keys, char *msg,
			       size_t size)
{
	const json_t *rowid = json_object_get(got, "_rowid");
	unsigned long long want_rowid = strtoull(json_string_value(json_object_get(want, "rowid")), NULL, 10);
	if (!json_is_integer(rowid) || (unsigned long long)json_integer_value(rowid) != want_rowid) {
		snprintf(msg, size, "_rowid %lld, LanceDB %llu", rowid ? (long long)json_integer_value(rowid) : -1,
			 want_rowid);
		return msg;
	}
	const json_t *wd = json_object_get(want, "distance");
	if (wd) {
		const json_t *gd = json_object_get(got, "_distance");
		double g = json_is_number(gd) ? json_number_value(gd)
			 : json_is_string(gd) && strcmp(json_string_value(gd), "Infinity") == 0 ? INFINITY
			 : NAN;
		double w = json_number_value(wd);
		double rel = g == w ? 0 : fabs(g - w) / fmax(fabs(g), fabs(w));
		n_dist++;
		n_exact += (float)g == (float)w;
		if (rel > worst_rel)
			worst_rel = rel;
		if (!(rel <= 1e-5)) {
			snprintf(msg, size, "_distance %.9g, LanceDB %.9g (relative %.2g)", g, w, rel);
			return msg;
		}
	}
	const json_t *wid = json_object_get(want, "id");
	if (wid && json_integer_value(json_object_get(got, "id")) != (json_int_t)json_number_value(wid)) {
		snprintf(msg, size, "id %lld, LanceDB %.0f", (long long)json_integer_value(json_object_get(got, "id")),
			 json_number_value(wid));
		return msg;
	}
	if (json_is_array(keys)) {
		/* the same keys in the same order, _rowid aside */
		size_t k = 0;
		const char *key;
		json_t *val;
		void *iter = json_object_iter((json_t *)got);
		for (; iter; iter = json_object_iter_next((json_t *)got, iter)) {
			key = json_object_iter_key(iter);
			val = json_object_iter_value(iter);
			(void)val;
			if (strcmp(key, "_rowid") == 0)
				continue;
			const char *wk = json_string_value(json_array_get(keys, k++));
			if (!wk || strcmp(wk, key) != 0) {
				snprintf(msg, size, "key %zu is %s, LanceDB %s", k - 1, key, wk ? wk : "(none)");
				return msg;
			}
		}
		if (k != json_array_size(keys)) {
			snprintf(msg, size, "%zu keys, LanceDB %zu", k, json_array_size(keys));
			return msg;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	json_error_t jerr;
	char path[4096];

	if (argc != 2) {
		printf("Bail out! usage: test_search_lancedb DATA_DIR\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/cases.json", argv[1]);
	json_t *cases = json_load_file(path, 0, &jerr);
	if (!json_is_array(cases)) {
		printf("Bail out! %s: %s\n", path, jerr.text);
		return 1;
	}
	size_t n = json_array_size(cases);
	tap_plan(n + 1);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(cases, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		const json_t *want = json_object_get(c, "rows"), *keys = json_object_get(c, "keys");
		lfs_buf out;
		lfs_err err = { "" };
		char msg[700];
		const char *why = NULL;
		size_t lines = 0;

		uint64_t dist0 = n_dist, exact0 = n_exact;
		lfs_buf_init(&out);
		int rc = run_case(argv[1], c, &out, &err);
		if (rc) {
			snprintf(msg, sizeof(msg), "query failed: %s", err.msg);
			why = msg;
		}
		for (size_t off = 0; !why && off < out.len; lines++) {
			const char *line = (const char *)out.data + off;
			const char *nl = memchr(line, '\n', out.len - off);
			size_t len = nl ? (size_t)(nl - line) : out.len - off;
			off += len + 1;
			json_t *got = json_loadb(line, len, 0, &jerr);
			if (!json_is_object(got)) {
				snprintf(msg, sizeof(msg), "line %zu is not a JSON object: %s", lines + 1, jerr.text);
				why = msg;
			} else if (lines >= json_array_size(want)) {
				snprintf(msg, sizeof(msg), "more rows than LanceDB's %zu", json_array_size(want));
				why = msg;
			} else {
				char m2[250];
				why = compare_row(got, json_array_get(want, lines), keys, m2, sizeof(m2));
				if (why) {
					snprintf(msg, sizeof(msg), "row %zu: %s", lines + 1, m2);
					why = msg;
				}
			}
			json_decref(got);
		}
		if (!why && lines != json_array_size(want)) {
			snprintf(msg, sizeof(msg), "%zu rows, LanceDB %zu", lines, json_array_size(want));
			why = msg;
		}
		if (n_dist > dist0)
			tap_ok(!why, "%s (%zu rows; %llu of the distances equal to the last bit)", name,
			       json_array_size(want), (unsigned long long)(n_exact - exact0));
		else
			tap_ok(!why, "%s (%zu rows)", name, json_array_size(want));
		if (why)
			tap_diag("%s", why);
		lfs_buf_free(&out);
	}
	tap_ok(n_dist > 0, "%llu distances compared: %llu equal to the last bit, worst relative difference %.3g",
	       (unsigned long long)n_dist, (unsigned long long)n_exact, worst_rel);
	for (size_t i = 0; i < n_tables; i++) {
		lfs_dataset_close(tables[i].ds);
		lfs_store_close(tables[i].store);
	}
	json_decref(cases);
	return tap_done();
}
