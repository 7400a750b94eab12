/* Unit tests of format/manifest and deletion vectors on files written by
 * LanceDB 0.37.1 (tests/unit/data/table, made by make.mjs there). */
#include <errno.h>
#include <string.h>

#include "format/manifest.h"
#include "format/pb.h"
#include "tap.h"

static char data_dir[1024];

static unsigned char *load(const char *name, size_t *len)
{
	char path[2048];
	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return tap_slurp(path, len);
}

static void test_version_names(void)
{
	uint64_t v = 0;
	tap_ok(lfs_version_from_filename("18446744073709551614.manifest", &v) == 0 && v == 1,
	       "inverted 20-digit name is version 1");
	tap_ok(lfs_version_from_filename("18446744073709551612.manifest", &v) == 0 && v == 3,
	       "inverted name of version 3");
	tap_ok(lfs_version_from_filename("7.manifest", &v) == 0 && v == 7, "plain name N.manifest");
	tap_ok(lfs_version_from_filename("latest_version_hint.json", &v) == -EINVAL,
	       "hint file is not a version");
	tap_ok(lfs_version_from_filename(".manifest", &v) == -EINVAL, "empty number refused");
	tap_ok(lfs_version_from_filename("99999999999999999999999.manifest", &v) == -EINVAL,
	       "overflowing number refused");
}

static void test_small_v3(void)
{
	size_t len;
	unsigned char *bytes = load("small-18446744073709551612.manifest", &len);
	lfs_manifest *m = NULL;
	lfs_err err = { "" };
	int rc = lfs_manifest_parse_file(bytes, len, &m, &err);
	tap_ok(rc == 0, "version 3 manifest decodes (%s)", err.msg);
	if (rc) {
		free(bytes);
		return;
	}
	tap_ok(m->version == 3, "version is 3");
	tap_ok(m->schema.n_top == 3, "three top-level fields");
	tap_ok(strcmp(m->schema.top[0]->name, "id") == 0 && m->schema.top[0]->type.id == LFS_T_FLOAT64,
	       "id is double, as LanceDB reports Float64");
	tap_ok(strcmp(m->schema.top[1]->name, "name") == 0 && m->schema.top[1]->type.id == LFS_T_UTF8 &&
		       m->schema.top[1]->nullable,
	       "name is a nullable string");
	const lfs_field *vec = m->schema.top[2];
	tap_ok(strcmp(vec->name, "vec") == 0 && vec->type.id == LFS_T_LIST && vec->n_children == 1 &&
		       vec->children[0]->type.id == LFS_T_FLOAT64,
	       "vec is list<double> with its item child");
	tap_ok(m->n_fragments == 2, "two fragments");
	tap_ok(m->fragments[0].physical_rows == 100 && m->fragments[1].physical_rows == 1,
	       "physical rows 100 and 1");
	tap_ok(m->fragments[0].deletion.present && m->fragments[0].deletion.type == LFS_DEL_ARROW &&
		       m->fragments[0].deletion.num_deleted == 5 && m->fragments[0].deletion.read_version == 2,
	       "fragment 0 has an Arrow deletion file of 5 rows read at version 2");
	tap_ok(!m->fragments[1].deletion.present, "fragment 1 has no deletions");
	tap_ok(lfs_manifest_live_rows(m) == 96, "96 live rows, as LanceDB counts");
	tap_ok(m->fragments[0].n_files == 1 && m->fragments[0].files[0].n_fields == 3 &&
		       m->fragments[0].files[0].fields[2] == 3 && /* the list's item, not the list */
		       strstr(m->fragments[0].files[0].path, ".lance") != NULL,
	       "fragment 0 has one data file holding leaf field ids 0, 1, 3");
	tap_ok(m->fragments[0].files[0].major == 2 && m->fragments[0].files[0].minor == 1,
	       "data file is format 2.1");
	tap_ok(strcmp(m->data_format_version, "2.1") == 0, "storage version 2.1");
	tap_ok(strcmp(m->writer_library, "lance") == 0, "writer is lance (%s %s)", m->writer_library,
	       m->writer_version);
	tap_ok(m->timestamp_s > 1700000000, "timestamp is set");
	tap_ok((m->reader_flags & ~(uint64_t)LFS_FEATURES_KNOWN) == 0, "reader flags are known");
	char *path = lfs_deletion_file_path(&m->fragments[0]);
	tap_ok(path && strncmp(path, "_deletions/0-2-", 15) == 0 && strstr(path, ".arrow"),
	       "deletion file path %s", path ? path : "(null)");
	free(path);
	lfs_manifest_free(m);
	free(bytes);
}

static void test_deletions(void)
{
	size_t len, n;
	uint32_t *offs;
	lfs_err err = { "" };
	unsigned char *bytes = load("small-deletions.arrow", &len);
	int rc = lfs_deletions_decode(LFS_DEL_ARROW, bytes, len, &offs, &n, &err);
	tap_ok(rc == 0 && n == 5, "Arrow deletion file: 5 offsets (%s)", err.msg);
	int in_order = rc == 0;
	for (size_t i = 0; in_order && i < n; i++)
		in_order = offs[i] == i;
	tap_ok(in_order, "offsets are 0..4, sorted");
	free(offs);
	/* every truncation fails cleanly */
	int all_fail = 1;
	for (size_t cut = 0; cut < len; cut++) {
		if (lfs_deletions_decode(LFS_DEL_ARROW, bytes, cut, &offs, &n, NULL) == 0)
			all_fail = 0;
		free(offs);
	}
	tap_ok(all_fail, "every truncated Arrow file is refused");
	free(bytes);

	bytes = load("big-deletions.bin", &len);
	rc = lfs_deletions_decode(LFS_DEL_BITMAP, bytes, len, &offs, &n, &err);
	tap_ok(rc == 0 && n == 16667, "roaring deletion file: 16667 offsets (%s)", err.msg);
	int thirds = rc == 0;
	for (size_t i = 0; thirds && i < n; i++)
		thirds = offs[i] == 3 * i;
	tap_ok(thirds, "deleted offsets are the multiples of 3 (id %% 3 = 0)");
	free(offs);
	rc = lfs_deletions_decode(LFS_DEL_BITMAP, bytes, len / 2, &offs, &n, &err);
	tap_ok(rc == -EIO, "truncated roaring bitmap is refused: %s", err.msg);
	free(offs);
	free(bytes);
}

static void test_damage(void)
{
	size_t len;
	unsigned char *bytes = load("small-18446744073709551612.manifest", &len);
	lfs_manifest *m;
	lfs_err err;
	int all_fail = 1, no_crash = 1;

	for (size_t cut = 0; cut < len; cut++) {
		if (lfs_manifest_parse_file(bytes, cut, &m, &err) == 0) {
			all_fail = 0;
			lfs_manifest_free(m);
		}
	}
	tap_ok(all_fail, "every truncated manifest is refused");
	/* flip every bit of the file once: must decode or fail, never crash
	 * (ASan in CI checks the 'never read out of bounds' part) */
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			bytes[i] ^= (unsigned char)(1u << bit);
			int rc = lfs_manifest_parse_file(bytes, len, &m, &err);
			if (rc == 0)
				lfs_manifest_free(m);
			else if (rc != -EIO && rc != -ENOTSUP && rc != -ENOMEM)
				no_crash = 0;
			bytes[i] ^= (unsigned char)(1u << bit);
		}
	}
	tap_ok(no_crash, "every single-bit flip decodes or fails with EIO/ENOTSUP");
	memset(bytes, 0x5a, len);
	tap_ok(lfs_manifest_parse_file(bytes, len, &m, &err) == -EIO, "random bytes: %s", err.msg);
	tap_ok(lfs_manifest_parse_file(bytes, 0, &m, &err) == -EIO, "empty file: %s", err.msg);
	free(bytes);
}

static void test_logical_types(void)
{
	lfs_type t;
	tap_ok(lfs_parse_logical_type("timestamp:us:UTC", &t) == 0 && t.id == LFS_T_TIMESTAMP &&
		       t.unit == LFS_UNIT_US && strcmp(t.tz, "UTC") == 0,
	       "timestamp:us:UTC");
	tap_ok(lfs_parse_logical_type("timestamp:ns:-", &t) == 0 && t.tz[0] == 0 && t.unit == LFS_UNIT_NS,
	       "timestamp without zone");
	tap_ok(lfs_parse_logical_type("timestamp:s:+05:30", &t) == 0 && strcmp(t.tz, "+05:30") == 0,
	       "zone with a colon");
	tap_ok(lfs_parse_logical_type("fixed_size_list:float:128", &t) == 0 &&
		       t.id == LFS_T_FIXED_SIZE_LIST && t.list_size == 128,
	       "fixed_size_list:float:128");
	tap_ok(lfs_parse_logical_type("fixed_size_list:fixed_size_list:float:4:2", &t) == 0 &&
		       t.list_size == 2,
	       "nested fixed_size_list");
	tap_ok(lfs_parse_logical_type("decimal:128:10:3", &t) == 0 && t.id == LFS_T_DECIMAL128 &&
		       t.precision == 10 && t.scale == 3,
	       "decimal:128:10:3");
	tap_ok(lfs_parse_logical_type("dict:string:int32:false", &t) == 0 && t.id == LFS_T_UTF8 &&
		       t.is_dictionary,
	       "dictionary of strings");
	tap_ok(lfs_parse_logical_type("time64:ns", &t) == 0 && t.id == LFS_T_TIME64, "time64:ns");
	tap_ok(lfs_parse_logical_type("time32:ns", &t) == -ENOTSUP, "time32:ns refused");
	tap_ok(lfs_parse_logical_type("float128", &t) == -ENOTSUP, "unknown type refused");
}

/* proto3 omits parent_id 0: the children of field 0 carry no parent_id */
static void test_child_of_field_zero(void)
{
	static const uint8_t msg[] = {
		/* fields[0]: name "st", id 0 (omitted), parent_id -1, logical_type "struct" */
		0x0a, 0x19, 0x12, 0x02, 's', 't', 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0x01, 0x2a, 0x06, 's', 't', 'r', 'u', 'c', 't', 0x30, 0x01,
		/* fields[1]: name "a", id 1, no parent_id, logical_type "int32" */
		0x0a, 0x0e, 0x12, 0x01, 'a', 0x18, 0x01, 0x2a, 0x05, 'i', 'n', 't', '3', '2',
		0x30, 0x01,
		/* version 1 */
		0x18, 0x01,
	};
	lfs_manifest *m = NULL;
	lfs_err err = { "" };
	int rc = lfs_manifest_decode(msg, sizeof(msg), &m, &err);
	tap_ok(rc == 0 && m->schema.n_top == 1 && m->schema.top[0]->n_children == 1 &&
		       strcmp(m->schema.top[0]->children[0]->name, "a") == 0,
	       "a field without parent_id is a child of field 0 (%s)", err.msg);
	lfs_manifest_free(m);
}

int main(int argc, char **argv)
{
	const char *srcdir = getenv("top_srcdir");
	snprintf(data_dir, sizeof(data_dir), "%s/tests/unit/data/table",
		 srcdir ? srcdir : (argc > 1 ? argv[1] : "."));
	tap_plan(6 + 18 + 6 + 4 + 10 + 1);
	test_version_names();
	test_small_v3();
	test_deletions();
	test_damage();
	test_logical_types();
	test_child_of_field_zero();
	return tap_done();
}
