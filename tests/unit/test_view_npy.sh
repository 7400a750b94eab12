#!/bin/sh
# The .npy, .valid.npy and .bin views read by NumPy itself (numpy.load, also
# memory-mapped), and the shortest float texts of .jsonl compared with
# NumPy's and Python's own shortest representations.
PY=/usr/bin/python3
DUMP="${top_builddir:-.}/tests/unit/test_view_npy_dump"
if ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "1..0 # SKIP $PY has no numpy"
	exit 0
fi
DIR=$(mktemp -d "${TMPDIR:-/tmp}/lancefs-npy.XXXXXX") || exit 1
trap 'rm -rf "$DIR"' EXIT
if ! "$DUMP" "$DIR/out"; then
	echo "1..1"
	echo "not ok 1 - $DUMP wrote the views"
	exit 1
fi
exec "$PY" - "$DIR/out" <<'EOF'
import json, sys
from decimal import Decimal
import numpy as np

out = sys.argv[1]
n_tests = 0
failed = 0

def ok(cond, name):
    global n_tests, failed
    n_tests += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n_tests, name))
    if not cond:
        failed += 1

N = 1000
i = np.arange(N)
v5 = i % 5 != 0
v7 = i % 7 != 3

def load(name, dtype, shape, want, valid=None):
    path = "%s/a/%s.npy" % (out, name)
    try:
        a = np.load(path)
        m = np.load(path, mmap_mode="r")
    except Exception as e:
        ok(False, "%s.npy loads (%s)" % (name, e))
        return
    ok(a.dtype == np.dtype(dtype) and a.shape == shape,
       "%s.npy has dtype %s shape %s (got %s %s)" % (name, dtype, shape, a.dtype, a.shape))
    ok(np.array_equal(a, want), "%s.npy values" % name)
    ok(np.array_equal(np.asarray(m), a), "%s.npy memory-mapped equals loaded" % name)
    with open(path, "rb") as f:
        raw = f.read()
    hlen = raw[8] | raw[9] << 8
    ok((10 + hlen) % 64 == 0, "%s.npy data starts at a multiple of 64" % name)
    with open("%s/a/%s.bin" % (out, name), "rb") as f:
        ok(f.read() == raw[10 + hlen:], "%s.bin is the .npy body" % name)
    if valid is not None:
        vpath = "%s/a/%s.valid.npy" % (out, name)
        va = np.load(vpath)
        ok(va.dtype == np.bool_ and np.array_equal(va, valid), "%s.valid.npy" % name)

load("i64", "<i8", (N,), np.where(v5, i * 1000003 - 7, 0), v5)
load("u8", "|u1", (N,), (i % 256).astype(np.uint8))
vec = ((i[:, None] * 4 + np.arange(4)) * 0.25 - 100).astype(np.float32)
vec[~v7] = 0
load("vec", "<f4", (N, 4), vec, v7)
load("f16", "<f2", (N,), np.arange(N, dtype=np.uint16).view(np.float16))
load("flag", "|b1", (N,), (i % 3 == 0) & v5, v5)
d32 = (i * 37 - 20000).astype("datetime64[D]")
load("d32", "<M8[D]", (N,), np.where(v5, d32, np.datetime64(0, "D")), v5)
load("d64", "<M8[ms]", (N,), d32.astype("datetime64[ms]"))
ts = (i * 123456789 - 5000000000).astype("datetime64[us]")
load("ts", "<M8[us]", (N,), np.where(v5, ts, np.datetime64(0, "us")), v5)
load("dur", "<m8[ns]", (N,), (i * 1000 - 7).astype("timedelta64[ns]"))
load("t32", "<i4", (N,), (i * 1000).astype(np.int32))
fsb = ((i[:, None] + np.arange(3)) % 256).astype(np.uint8)
fsb[~v5] = 0
load("fsb", "|u1", (N, 3), fsb, v5)
load("nest", "<i2", (N, 2, 3), (i[:, None, None] * 6 + np.arange(6).reshape(2, 3)).astype(np.int16))

# jsonl of typed columns agrees with NumPy's view of the same values
def lines(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8").split("\n")[:-1]

d32_lines = lines("%s/a/d32.jsonl" % out)
ok(all((json.loads(l) is None) if not v5[k] else json.loads(l) == str(d32[k])
       for k, l in enumerate(d32_lines)), "d32.jsonl dates are NumPy's dates")
ts_lines = lines("%s/a/ts.jsonl" % out)
ok(all((json.loads(l) is None) if not v5[k] else json.loads(l) == str(ts[k]) + "Z"
       for k, l in enumerate(ts_lines)), "ts.jsonl timestamps are NumPy's, with Z")
vec_lines = lines("%s/a/vec.jsonl" % out)
ok(all((json.loads(l) is None) if not v7[k] else
       np.array_equal(np.array(json.loads(l), dtype=np.float32), vec[k])
       for k, l in enumerate(vec_lines)), "vec.jsonl reads back to the same float32 vectors")

# rows.jsonl and rows.csv through Python's json and csv readers
import base64, csv
forms = ["plain%d", "com,ma%d", 'quo"te%d', "new\nline%d", "", "\u00fc\u00f1\u00ed%d"]
def s_of(k):
    f = forms[k % 6]
    return None if k % 5 == 0 else (f % k if "%d" in f else f)
rows = [json.loads(l) for l in lines("%s/a/rows.jsonl" % out)]
ok(len(rows) == N and list(rows[0].keys()) == ["i64", "u8", "vec", "f16", "flag", "d32", "d64",
   "ts", "dur", "t32", "fsb", "nest", "s"], "rows.jsonl: one object per row, keys in schema order")
ok(all(r["s"] == s_of(k) and r["i64"] == (k * 1000003 - 7 if v5[k] else None) and
       r["u8"] == k % 256 and (r["vec"] is None if not v7[k] else r["vec"] == vec[k].tolist()) and
       (r["fsb"] is None if not v5[k] else base64.b64decode(r["fsb"]) == bytes(fsb[k])) and
       r["nest"] == [[k * 6, k * 6 + 1, k * 6 + 2], [k * 6 + 3, k * 6 + 4, k * 6 + 5]] and
       r["flag"] == (bool(k % 3 == 0) if v5[k] else None)
       for k, r in enumerate(rows)), "rows.jsonl values")
with open("%s/a/rows.csv" % out, newline="", encoding="utf-8") as f:
    table = list(csv.reader(f))
ok(table[0] == ["i64", "u8", "f16", "flag", "d32", "d64", "ts", "dur", "t32", "fsb", "s"],
   "rows.csv header: the scalar columns")
ok(len(table) == N + 1 and all(t[10] == (s_of(k) or "") and t[0] == (str(k * 1000003 - 7) if v5[k] else "")
   for k, t in enumerate(table[1:])), "rows.csv values through csv.reader")
with open("%s/a/rows.csv" % out, "rb") as f:
    raw = f.read()
ok(b',\n' in raw and b',""\n' in raw,
   "rows.csv: null is an empty field, the empty string is \"\"")

# shortest floats: the same decimal as NumPy (float16, float32) and Python (float64)
def same_decimal(ours, theirs):
    return Decimal(ours) == Decimal(theirs)

h = np.fromfile("%s/b/h16.bin" % out, dtype="<f2")
hl = lines("%s/b/h16.jsonl" % out)
bad = [(k, hl[k], str(h[k])) for k in range(len(h))
       if np.isfinite(h[k]) and not same_decimal(hl[k], str(h[k]))]
ok(len(h) == 65536 and not bad, "every float16 prints NumPy's shortest digits %s" % bad[:3])
ok(all(hl[k] == ('"NaN"' if np.isnan(h[k]) else '"Infinity"' if h[k] > 0 else '"-Infinity"')
       for k in range(len(h)) if not np.isfinite(h[k])), "float16 NaN and infinities as strings")

f = np.fromfile("%s/b/r32.bin" % out, dtype="<f4")
fl = lines("%s/b/r32.jsonl" % out)
bad = [(k, fl[k], str(f[k])) for k in range(len(f)) if not same_decimal(fl[k], str(f[k]))]
ok(not bad, "random float32 print NumPy's shortest digits %s" % bad[:3])
ok(all(np.float32(json.loads(l)) == f[k] for k, l in enumerate(fl)), "float32 texts read back")

d = np.fromfile("%s/b/r64.bin" % out, dtype="<f8")
dl = lines("%s/b/r64.jsonl" % out)
bad = [(k, dl[k], repr(float(d[k]))) for k in range(len(d)) if dl[k] != repr(float(d[k]))]
ok(not bad, "random float64 print exactly Python's repr %s" % bad[:3])

print("1..%d" % n_tests)
sys.exit(1 if failed else 0)
EOF
