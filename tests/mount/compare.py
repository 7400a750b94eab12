#!/usr/bin/python3
"""Compares what a lancefs mount serves with what LanceDB read back.

The fixture generator (tests/fixtures/gen) records, for each dataset and
version, LanceDB's schema, row ids and every value in a canonical form
(integers as decimal strings, floats as their IEEE bits in hex, ...; see
tests/fixtures/README.md).  This script reads the mounted files, brings them
to the same canonical form, and compares value by value.  It prints TAP-ish
'# ' diagnostics for the first differences and exits 1 when anything differs.

usage: compare.py KIND MOUNTED_TABLE_DIR EXPECTED_JSON VERSION [COLUMNS...]
  KIND: schema | manifest | jsonl | npy | txt | csv | rows
"""
import base64
import csv
import io
import json
import math
import os
import struct
import sys

try:
    import numpy as np
except ImportError:  # numpy is needed only for the npy checks
    np = None

PROBLEMS = []


def problem(msg):
    PROBLEMS.append(msg)


# ---------------------------------------------------------------- schema

UNITS = {"s": "SECOND", "ms": "MILLISECOND", "us": "MICROSECOND", "ns": "NANOSECOND"}
SIMPLE = {
    "bool": "Bool", "int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
    "uint8": "Uint8", "uint16": "Uint16", "uint32": "Uint32", "uint64": "Uint64",
    "halffloat": "Float16", "float": "Float32", "double": "Float64",
    "string": "Utf8", "large_string": "LargeUtf8", "binary": "Binary",
    "large_binary": "LargeBinary", "date32:day": "Date32<DAY>",
    "date64:ms": "Date64<MILLISECOND>", "null": "Null",
}


def logical_to_arrow(lt):
    """A Lance logical type as apache-arrow's JS toString() prints it."""
    if lt in SIMPLE:
        return SIMPLE[lt]
    parts = lt.split(":")
    head = parts[0]
    if head in ("time32", "time64"):
        return "%s<%s>" % (head.capitalize(), UNITS[parts[1]])
    if head == "duration":
        return "Duration<%s>" % UNITS[parts[1]]
    if head == "timestamp":
        tz = ":".join(parts[2:])
        return "Timestamp<%s%s>" % (UNITS[parts[1]], "" if tz in ("", "-") else ", " + tz)
    if head == "decimal":
        return "Decimal[%se+%s]" % (parts[2], parts[3])
    if head == "fixed_size_binary":
        return "FixedSizeBinary[%s]" % parts[1]
    if head == "fixed_size_list":
        return "FixedSizeList[%s]<%s>" % (parts[-1], logical_to_arrow(":".join(parts[1:-1])))
    if head == "dict":
        # dict:VALUE:KEY:ORDERED
        return "Dictionary<%s, %s>" % (logical_to_arrow(parts[-2]),
                                       logical_to_arrow(":".join(parts[1:-2])))
    return None


def field_arrow(f):
    lt = f["logical_type"]
    kids = f.get("children", [])
    if lt in ("list", "list.struct"):
        return "List<%s>" % field_arrow(kids[0])
    if lt in ("large_list", "large_list.struct"):
        return "LargeList<%s>" % field_arrow(kids[0])
    if lt == "struct":
        return "Struct<{%s}>" % ", ".join("%s:%s" % (k["name"], field_arrow(k)) for k in kids)
    if lt == "map":
        entries = kids[0]["children"]
        return "Map<{%s}>" % ", ".join("%s:%s" % (k["name"], field_arrow(k)) for k in entries)
    return logical_to_arrow(lt)


def compare_schema(ours, expected):
    if len(ours) != len(expected):
        problem("schema has %d fields, LanceDB %d" % (len(ours), len(expected)))
    for a, b in zip(ours, expected):
        if a["name"] != b["name"]:
            problem("field %r, LanceDB %r" % (a["name"], b["name"]))
            continue
        t = field_arrow(a)
        if t != b["type"]:
            problem("field %s: type %s (%s), LanceDB %s" % (a["name"], t, a["logical_type"], b["type"]))
        if bool(a["nullable"]) != bool(b["nullable"]):
            problem("field %s: nullable %s, LanceDB %s" % (a["name"], a["nullable"], b["nullable"]))
        for k, v in (b.get("metadata") or {}).items():
            if (a.get("metadata") or {}).get(k) != v:
                problem("field %s: metadata %s differs" % (a["name"], k))


# ---------------------------------------------------------------- values

def days_from_civil(y, m, d):
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


UNIT_DIGITS = {"s": 0, "ms": 3, "us": 6, "ns": 9}


def parse_date(s):
    neg = s.startswith("-")
    body = s[1:] if neg or s.startswith("+") else s
    y, m, d = body.split("-")
    y = -int(y) if neg else int(y)
    return days_from_civil(y, int(m), int(d))


def parse_hms(s, unit):
    digits = UNIT_DIGITS[unit]
    hms, _, frac = s.partition(".")
    h, mi, sec = (int(x) for x in hms.split(":"))
    if len(frac) != digits:
        raise ValueError("expected %d fraction digits in %r" % (digits, s))
    return (h * 3600 + mi * 60 + sec) * 10 ** digits + (int(frac) if frac else 0)


def parse_timestamp(s, unit, has_tz):
    if has_tz != s.endswith("Z"):
        raise ValueError("time zone suffix of %r" % s)
    s = s.rstrip("Z")
    date, _, time = s.rpartition("T")
    return parse_date(date) * 86400 * 10 ** UNIT_DIGITS[unit] + parse_hms(time, unit)


def float_bits(x, lt):
    """Our JSON float (number or 'NaN'/'Infinity'/'-Infinity') as IEEE bits."""
    if isinstance(x, str):
        v = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[x]
    else:
        v = float(x)
    if lt == "double":
        return "0x%016x" % struct.unpack("<Q", struct.pack("<d", v))[0]
    if lt == "float":
        return "0x%08x" % struct.unpack("<I", struct.pack("<f", v))[0]
    return "0x%04x" % struct.unpack("<H", struct.pack("<e", v))[0]


def same_float(ours_bits, expected_bits):
    # NaN payloads are not kept by text renderings: any NaN equals any NaN
    width = (len(expected_bits) - 2) * 4
    def is_nan(b):
        v = int(b, 16)
        exp_mask = {16: 0x7c00, 32: 0x7f800000, 64: 0x7ff0000000000000}[width]
        frac_mask = {16: 0x03ff, 32: 0x007fffff, 64: 0x000fffffffffffff}[width]
        return (v & exp_mask) == exp_mask and (v & frac_mask) != 0
    if is_nan(expected_bits) and is_nan(ours_bits):
        return True
    return int(ours_bits, 16) == int(expected_bits, 16)


def canon(value, f):
    """Our JSON value of field f in the canonical form of the fixtures."""
    if value is None:
        return None
    lt = f["logical_type"]
    head = lt.split(":")[0]
    if lt in ("float", "double", "halffloat"):
        return float_bits(value, lt)
    if lt == "bool":
        return value
    if head in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "duration"):
        return str(value)
    if head in ("date32", "date64"):
        days = parse_date(value)
        return str(days if head == "date32" else days * 86400000)
    if head in ("time32", "time64"):
        return str(parse_hms(value, lt.split(":")[1]))
    if head == "timestamp":
        tz = ":".join(lt.split(":")[2:])
        return str(parse_timestamp(value, lt.split(":")[1], tz not in ("", "-")))
    if head in ("decimal", "string", "large_string", "binary", "large_binary", "fixed_size_binary"):
        return value
    if head == "dict":
        inner = dict(f, logical_type=":".join(lt.split(":")[1:-2]))
        return canon(value, inner)
    if head == "fixed_size_list" or lt in ("list", "large_list", "list.struct", "large_list.struct"):
        return [canon(v, f["children"][0]) for v in value]
    if lt == "struct":
        return {k["name"]: canon(value.get(k["name"]), k) for k in f["children"]}
    if lt == "map":
        entries = f["children"][0]
        kf, vf = entries["children"][0], entries["children"][1]
        return [{"key": canon(e["key"], kf), "value": canon(e["value"], vf)} for e in value]
    raise ValueError("no canonical form for %s" % lt)


def is_float_type(f):
    lt = f["logical_type"]
    if lt.startswith("dict:"):
        lt = ":".join(lt.split(":")[1:-2])
    return lt in ("float", "double", "halffloat")


def equal(a, b, f):
    """Our canonical value a equals LanceDB's b, for field f."""
    if a is None or b is None:
        return a is None and b is None
    if is_float_type(f):
        return same_float(a, b)
    kids = f.get("children", [])
    if isinstance(a, list) and isinstance(b, list):
        if f["logical_type"] == "map":
            entries = kids[0]["children"]
            return len(a) == len(b) and all(
                equal(x["key"], y["key"], entries[0]) and equal(x["value"], y["value"], entries[1])
                for x, y in zip(a, b))
        return len(a) == len(b) and all(equal(x, y, kids[0]) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k["name"]], b[k["name"]], k) for k in kids)
    return a == b


def compare_values(name, ours, expected, f):
    if len(ours) != len(expected):
        problem("%s: %d rows, LanceDB %d" % (name, len(ours), len(expected)))
    bad = 0
    for i, (a, b) in enumerate(zip(ours, expected)):
        if not equal(a, b, f):
            bad += 1
            if bad <= 3:
                problem("%s row %d: ours %s, LanceDB %s" % (name, i, json.dumps(a)[:200], json.dumps(b)[:200]))
    if bad > 3:
        problem("%s: %d rows differ in all" % (name, bad))


# ---------------------------------------------------------------- main

def load_jsonl(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if data and not data.endswith(b"\n"):
        problem("%s does not end with a newline" % path)
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def main():
    kind, table, expected_path, version = sys.argv[1:5]
    only = sys.argv[5:]
    with open(expected_path) as fh:
        expected = json.load(fh)
    if version == "latest":
        version = str(expected["latest_version"])
    ev = expected["per_version"][str(version)]
    with open(os.path.join(table, "schema.json")) as fh:
        schema = json.load(fh)
    fields = {f["name"]: f for f in schema["fields"]}
    names = only or [f["name"] for f in schema["fields"] if f["name"] in ev.get("columns", {})]

    if kind == "schema":
        compare_schema(schema["fields"], ev["schema"])
    elif kind == "manifest":
        with open(os.path.join(table, "manifest.json")) as fh:
            m = json.load(fh)
        if m["version"] != int(version):
            problem("manifest.json version %s, expected %s" % (m["version"], version))
        if m["num_rows"] != ev["num_rows"]:
            problem("num_rows %s, LanceDB %s" % (m["num_rows"], ev["num_rows"]))
        counts = {}
        for r in ev.get("rowids", []):
            fid = int(r) >> 32
            counts[fid] = counts.get(fid, 0) + 1
        ours = {f["id"]: f["num_rows"] for f in m["fragments"] if f["num_rows"]}
        if "rowids" in ev and ours != counts:
            problem("live rows per fragment %s, LanceDB %s" % (ours, counts))
    elif kind == "fragments":
        # every fragments/ID/data/NAME.jsonl equals LanceDB's rows of that fragment
        by_frag = {}
        for i, r in enumerate(ev["rowids"]):
            by_frag.setdefault(int(r) >> 32, []).append(i)
        frags = sorted(int(x) for x in os.listdir(os.path.join(table, "fragments")))
        for fid in frags:
            rows = by_frag.get(fid, [])
            with open(os.path.join(table, "fragments", str(fid), "fragment.json")) as fh:
                if json.load(fh)["num_rows"] != len(rows):
                    problem("fragment %d: num_rows differs from LanceDB's %d" % (fid, len(rows)))
            for n in names:
                ours = [canon(v, fields[n]) for v in
                        load_jsonl(os.path.join(table, "fragments", str(fid), "data", n + ".jsonl"))]
                compare_values("fragments/%d/%s.jsonl" % (fid, n), ours,
                               [ev["columns"][n][i] for i in rows], fields[n])
    elif kind == "deleted":
        # fragments/ID/deleted/ holds the rows LanceDB showed at older versions
        seen = {}
        for v in sorted(expected["per_version"], key=int):
            if int(v) >= int(version):
                continue
            pv = expected["per_version"][v]
            for i, r in enumerate(pv["rowids"]):
                seen[int(r)] = {n: pv["columns"][n][i] for n in pv["columns"]}
        for fid in sorted(int(x) for x in os.listdir(os.path.join(table, "fragments"))):
            base = os.path.join(table, "fragments", str(fid))
            with open(os.path.join(base, "deletions.txt")) as fh:
                offsets = [int(x) for x in fh.read().split()]
            if offsets != sorted(set(offsets)):
                problem("fragment %d: deletions.txt is not sorted and unique" % fid)
            rows = load_jsonl(os.path.join(base, "deleted", "rows.jsonl"))
            if len(rows) != len(offsets):
                problem("fragment %d: %d deleted rows for %d offsets" % (fid, len(rows), len(offsets)))
            for off, row in zip(offsets, rows):
                old = seen.get((fid << 32) | off)
                if old is None:
                    continue  # deleted in the same version it was written
                for n in names:
                    if n in old and n in row and not equal(canon(row[n], fields[n]), old[n], fields[n]):
                        problem("fragment %d deleted offset %d column %s differs" % (fid, off, n))
    elif kind == "jsonl":
        for n in names:
            ours = [canon(v, fields[n]) for v in load_jsonl(os.path.join(table, "data", n + ".jsonl"))]
            compare_values(n + ".jsonl", ours, ev["columns"][n], fields[n])
    elif kind == "rows":
        rows = load_jsonl(os.path.join(table, "rows.jsonl"))
        for n in names:
            ours = [canon(r.get(n), fields[n]) for r in rows]
            compare_values("rows.jsonl:" + n, ours, ev["columns"][n], fields[n])
    elif kind == "npy":
        for n in names:
            path = os.path.join(table, "data", n + ".npy")
            if not os.path.exists(path):
                continue
            arr = np.load(path)
            mm = np.load(path, mmap_mode="r")
            if not np.array_equal(arr.view(np.uint8), np.asarray(mm).view(np.uint8)):
                problem("%s: mmap load differs from plain load" % n)
            valid = None
            vpath = os.path.join(table, "data", n + ".valid.npy")
            if os.path.exists(vpath):
                valid = np.load(vpath)
            with open(os.path.join(table, "data", n + ".bin"), "rb") as fh:
                if fh.read() != arr.tobytes():
                    problem("%s.bin is not the .npy body" % n)
            exp = ev["columns"][n]
            if len(arr) != len(exp):
                problem("%s.npy: %d rows, LanceDB %d" % (n, len(arr), len(exp)))
                continue
            lt = fields[n]["logical_type"]
            for i, e in enumerate(exp):
                if e is None:
                    if valid is None or valid[i]:
                        problem("%s.npy row %d: null not marked invalid" % (n, i))
                        break
                    continue
                if valid is not None and not valid[i]:
                    problem("%s.npy row %d: valid value marked null" % (n, i))
                    break
                if not npy_equal(arr[i], e, lt):
                    problem("%s.npy row %d: %r, LanceDB %r" % (n, i, arr[i], e))
                    break
    elif kind == "txt":
        for n in names:
            path = os.path.join(table, "data", n + ".txt")
            if not os.path.exists(path):
                continue
            with open(path, "rb") as fh:
                lines = fh.read().decode("utf-8").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            ours = [None if l == "\\N" else canon(txt_value(unescape_copy(l), fields[n]), fields[n]) for l in lines]
            compare_values(n + ".txt", ours, ev["columns"][n], fields[n])
    elif kind == "csv":
        with open(os.path.join(table, "rows.csv"), "rb") as fh:
            rows = parse_csv(fh.read().decode("utf-8"))
        header = [v for v, _ in rows[0]]
        for n in names:
            if n not in header:
                continue
            j = header.index(n)
            ours = [csv_value(r[j], fields[n]) for r in rows[1:]]
            compare_values("rows.csv:" + n, ours, ev["columns"][n], fields[n])
    for p in PROBLEMS[:20]:
        print("# " + p)
    sys.exit(1 if PROBLEMS else 0)


def unescape_copy(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            nxt = s[i + 1]
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def txt_value(s, f):
    lt = f["logical_type"]
    if lt.startswith("dict:"):
        f = dict(f, logical_type=":".join(lt.split(":")[1:-2]))
        lt = f["logical_type"]
    head = lt.split(":")[0]
    if head in ("binary", "large_binary", "fixed_size_binary"):
        if not s.startswith("\\x"):
            raise ValueError("binary value %r is not bytea hex" % s)
        return base64.b64encode(bytes.fromhex(s[2:])).decode()
    if lt in ("float", "double", "halffloat"):
        return s if s in ("NaN", "Infinity", "-Infinity") else float(s)
    if lt == "bool":
        return {"true": True, "false": False, "t": True, "f": False}[s]
    if head in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "duration"):
        return int(s)
    return s


def parse_csv(text):
    """RFC 4180 rows of (value, was_quoted) cells: an unquoted empty cell is
    a null, a quoted one the empty string."""
    rows, row, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            j, val = i + 1, []
            while True:
                k = text.index('"', j)
                val.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    val.append('"')
                    j = k + 2
                else:
                    i = k + 1
                    break
            row.append(("".join(val), True))
        else:
            j = i
            while j < n and text[j] not in ",\n":
                j += 1
            row.append((text[i:j], False))
            i = j
        if i < n and text[i] == ",":
            i += 1
            if i == n or text[i] == "\n":
                row.append(("", False))
            continue
        rows.append(row)
        row = []
        i += 1  # the newline
    return rows


def csv_value(cell, f):
    s, quoted = cell
    if s == "" and not quoted:
        return None
    return canon(txt_value(s, f), f)


def npy_equal(v, e, lt):
    if lt.startswith("fixed_size_binary"):
        return base64.b64encode(np.asarray(v, dtype=np.uint8).tobytes()).decode() == e
    if lt in ("float", "double", "halffloat"):
        bits = {"float": "<u4", "double": "<u8", "halffloat": "<u2"}[lt]
        return same_float("0x%x" % int(np.asarray(v).view(bits)), e)
    if lt.startswith("fixed_size_list"):
        inner = ":".join(lt.split(":")[1:-1])
        return all(x is None or npy_equal(a, x, inner) for a, x in zip(v, e))
    if lt == "bool":
        return bool(v) == e
    if lt.startswith("date32") or lt.startswith("date64") or lt.startswith("timestamp") or \
       lt.startswith("duration") or lt.startswith("time"):
        return int(np.asarray(v).view("<i8") if np.asarray(v).dtype.itemsize == 8 else np.asarray(v).astype("<i8")) == int(e)
    return int(v) == int(e)


if __name__ == "__main__":
    main()
