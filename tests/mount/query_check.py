#!/usr/bin/python3
"""Runs LanceDB's answered cases (tests/search/make_data.mjs) through the
query/ files of a mounted database, from 8 threads at once, and compares:
same row ids in the same order, distances equal to 1e-5 relative, same ids.

usage: query_check.py MOUNTED_DATABASE CASES_JSON
"""
import json
import os
import sys
import threading

mnt, cases = sys.argv[1], json.load(open(sys.argv[2]))
problems = []
lock = threading.Lock()


def run_case(i, case):
    path = os.path.join(mnt, case["table"], "query", "case%03d" % i)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.write(fd, json.dumps(case["query"]).encode())
    try:
        os.close(fd)
    except OSError as e:
        return "close failed: %s (%s)" % (e, open(path).read().strip())
    with open(path, "rb") as fh:
        lines = [json.loads(l) for l in fh.read().decode().splitlines()]
    want = case["rows"]
    if len(lines) != len(want):
        return "%d rows, LanceDB %d" % (len(lines), len(want))
    for k, (got, exp) in enumerate(zip(lines, want)):
        if str(got.get("_rowid")) != exp["rowid"]:
            return "row %d: _rowid %s, LanceDB %s" % (k, got.get("_rowid"), exp["rowid"])
        if "distance" in exp:
            d, e = float(got["_distance"]), exp["distance"]
            if abs(d - e) > 1e-5 * max(abs(e), 1e-30) and not (d == e):
                return "row %d: _distance %r, LanceDB %r" % (k, d, e)
        if "id" in exp and got.get("id") != exp["id"]:
            return "row %d: id %r, LanceDB %r" % (k, got.get("id"), exp["id"])
        keys = [x for x in got if x != "_rowid"]
        if keys != case["keys"]:
            return "row %d: columns %s, LanceDB %s" % (k, keys, case["keys"])
    os.unlink(path)
    if os.path.exists(path):
        return "rm did not remove the query file"
    return None


def worker(k):
    for i in range(k, len(cases), 8):
        try:
            err = run_case(i, cases[i])
        except Exception as e:  # a crash in the check is a failure too
            err = "exception %r" % e
        if err:
            with lock:
                problems.append("%s: %s" % (cases[i]["name"], err))


threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for p in problems[:20]:
    print("# " + p)
print("# %d of %d cases agree with LanceDB" % (len(cases) - len(problems), len(cases)))
sys.exit(1 if problems else 0)
