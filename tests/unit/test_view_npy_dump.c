/*
 * Writes the binary and text views of two hand-built tables into a
 * directory, for test_view_npy.sh to check with NumPy:
 *   DIR/a/NAME.{npy,valid.npy,bin,jsonl}   typed columns with nulls (1000 rows)
 *   DIR/a/rows.{jsonl,csv}
 *   DIR/b/NAME.{bin,jsonl}                  every float16, random float32/float64
 * The values follow formulas the script knows (see test_view_npy.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_view_util.h"

#define NA 1000
#define NB 65536

static int write_views(tsource *s, const char *dir)
{
	const enum lfs_view_kind kinds[] = { LFS_VIEW_NPY, LFS_VIEW_VALID_NPY, LFS_VIEW_BIN,
					     LFS_VIEW_JSONL };
	mkdir(dir, 0755);
	for (size_t c = 0; c < s->rs.ncols; c++) {
		for (size_t k = 0; k < 4; k++) {
			if (!lfs_view_applies(kinds[k], s->fields[c]))
				continue;
			size_t n;
			char *all = render_view(kinds[k], s, c, &n);
			if (!all)
				return 1;
			char path[512];
			snprintf(path, sizeof(path), "%s/%s%s", dir, s->fields[c]->name,
				 lfs_view_suffix(kinds[k]));
			FILE *f = fopen(path, "wb");
			if (!f || fwrite(all, 1, n, f) != n || fclose(f) != 0) {
				perror(path);
				return 1;
			}
			free(all);
		}
	}
	const enum lfs_view_kind rows_kinds[] = { LFS_VIEW_ROWS_JSONL, LFS_VIEW_ROWS_CSV };
	for (size_t k = 0; k < 2; k++) {
		size_t n;
		char *all = render_view(rows_kinds[k], s, 0, &n);
		char path[512];
		if (!all)
			return 1;
		snprintf(path, sizeof(path), "%s/rows%s", dir, lfs_view_suffix(rows_kinds[k]));
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(all, 1, n, f) != n || fclose(f) != 0) {
			perror(path);
			return 1;
		}
		free(all);
	}
	return 0;
}

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int table_a(const char *dir)
{
	static int64_t i64[NA], d64[NA], ts[NA], dur[NA];
	static uint8_t u8[NA], fsb[NA * 3];
	static float vec[NA * 4];
	static uint16_t f16[NA];
	static int flag[NA], v5[NA], v7[NA];
	static int32_t d32[NA], t32[NA];
	static int16_t nest[NA * 6];
	static char sbuf[NA][32];
	static const char *strs[NA];
	static const char *const forms[] = { "plain%d", "com,ma%d", "quo\"te%d", "new\nline%d", "",
					     "\xc3\xbc\xc3\xb1\xc3\xad%d" };
	for (int i = 0; i < NA; i++) {
		snprintf(sbuf[i], sizeof(sbuf[i]), forms[i % 6], i);
		strs[i] = i % 5 == 0 ? NULL : sbuf[i];
		v5[i] = i % 5 != 0;
		v7[i] = i % 7 != 3;
		i64[i] = (int64_t)i * 1000003 - 7;
		u8[i] = (uint8_t)i;
		for (int j = 0; j < 4; j++)
			vec[i * 4 + j] = (float)(i * 4 + j) * 0.25f - 100;
		f16[i] = (uint16_t)i;
		flag[i] = i % 3 == 0;
		d32[i] = i * 37 - 20000;
		d64[i] = (int64_t)d32[i] * 86400000;
		ts[i] = (int64_t)i * 123456789 - 5000000000LL;
		dur[i] = (int64_t)i * 1000 - 7;
		t32[i] = i * 1000;
		for (int j = 0; j < 3; j++)
			fsb[i * 3 + j] = (uint8_t)(i + j);
		for (int j = 0; j < 6; j++)
			nest[i * 6 + j] = (int16_t)(i * 6 + j);
	}
	const lfs_field *fields[] = {
		tf("i64", "int64", 1, 0),
		tf("u8", "uint8", 0, 0),
		tf("vec", "fixed_size_list:float:4", 1, 1, tf("item", "float", 1, 0)),
		tf("f16", "halffloat", 0, 0),
		tf("flag", "bool", 1, 0),
		tf("d32", "date32:day", 1, 0),
		tf("d64", "date64:ms", 0, 0),
		tf("ts", "timestamp:us:UTC", 1, 0),
		tf("dur", "duration:ns", 0, 0),
		tf("t32", "time32:ms", 0, 0),
		tf("fsb", "fixed_size_binary:3", 1, 0),
		tf("nest", "fixed_size_list:fixed_size_list:int16:3:2", 0, 1,
		   tf("item", "fixed_size_list:int16:3", 1, 1, tf("item", "int16", 1, 0))),
		tf("s", "string", 1, 0),
	};
	lfs_column cols[] = {
		tc_fixed("int64", NA, i64, v5),
		tc_fixed("uint8", NA, u8, NULL),
		tc_fsl(4, NA, v7, tc_fixed("float", NA * 4, vec, NULL)),
		tc_fixed("halffloat", NA, f16, NULL),
		tc_bool(NA, flag, v5),
		tc_fixed("date32:day", NA, d32, v5),
		tc_fixed("date64:ms", NA, d64, NULL),
		tc_fixed("timestamp:us:UTC", NA, ts, v5),
		tc_fixed("duration:ns", NA, dur, NULL),
		tc_fixed("time32:ms", NA, t32, NULL),
		tc_fixed("fixed_size_binary:3", NA, fsb, v5),
		tc_fsl(2, NA, NULL, tc_fsl(3, NA * 2, NULL, tc_fixed("int16", NA * 6, nest, NULL))),
		tc_var("string", NA, strs, NULL),
	};
	tsource *s = ts_new(sizeof(cols) / sizeof(cols[0]), fields, cols, 333);
	int rc = write_views(s, dir);
	ts_free(s);
	return rc;
}

static int table_b(const char *dir)
{
	static uint16_t h[NB];
	static uint32_t f[NB];
	static uint64_t d[NB];
	for (int i = 0; i < NB; i++) {
		h[i] = (uint16_t)i;
		do
			f[i] = (uint32_t)next_rand();
		while (((f[i] >> 23) & 0xFF) == 0xFF);
		if (i % 4 == 0) { /* everyday values too */
			float x = (float)i / 1000.0f;
			memcpy(&f[i], &x, 4);
		}
		do
			d[i] = next_rand();
		while (((d[i] >> 52) & 0x7FF) == 0x7FF);
		if (i % 4 == 0) {
			double x = (double)i / 1000.0;
			memcpy(&d[i], &x, 8);
		}
	}
	const lfs_field *fields[] = {
		tf("h16", "halffloat", 0, 0), tf("r32", "float", 0, 0), tf("r64", "double", 0, 0),
	};
	lfs_column cols[] = {
		tc_fixed("halffloat", NB, h, NULL), tc_fixed("float", NB, f, NULL),
		tc_fixed("double", NB, d, NULL),
	};
	tsource *s = ts_new(3, fields, cols, 0);
	int rc = write_views(s, dir);
	ts_free(s);
	return rc;
}

int main(int argc, char **argv)
{
	char a[512], b[512];
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	snprintf(a, sizeof(a), "%s/a", argv[1]);
	snprintf(b, sizeof(b), "%s/b", argv[1]);
	mkdir(argv[1], 0755);
	int rc = table_a(a) || table_b(b);
	t_cleanup();
	return rc;
}
