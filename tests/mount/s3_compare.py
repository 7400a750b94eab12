#!/usr/bin/python3
"""Runs several compare.py checks in one process, reading LanceDB's expected
values once (the S3 mount test runs hundreds of them: a process each would
spend most of its time starting up and parsing the same JSON).

usage: s3_compare.py TABLE EXPECTED_JSON VERSIONS KIND...
  VERSIONS: latest (TABLE itself), all (TABLE/versions/N for every version
  LanceDB recorded), or a comma-separated list of versions (TABLE/versions/N).
  KIND: as compare.py takes (schema manifest jsonl txt npy csv rows fragments
  deleted).
Prints "ok KIND" or "fail KIND" once per kind (a kind fails when any version
fails), then the diagnostics of failures as "# KIND vN: ..." lines.  Exit 1
when anything failed.
"""
import contextlib
import importlib.util
import io
import json
import os
import sys
import types


def load_compare():
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("compare", os.path.join(here, "compare.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    table, expected_path, versions = sys.argv[1:4]
    kinds = sys.argv[4:]
    with open(expected_path) as fh:
        expected = json.load(fh)
    cmp = load_compare()
    real_load = json.load
    exp_real = os.path.realpath(expected_path)

    def cached_load(fh, *a, **kw):
        if os.path.realpath(getattr(fh, "name", "")) == exp_real:
            return expected
        return real_load(fh, *a, **kw)

    shim = types.SimpleNamespace(**{k: getattr(json, k) for k in dir(json) if not k.startswith("__")})
    shim.load = cached_load
    cmp.json = shim

    if versions == "latest":
        runs = [("latest", table)]
    else:
        vs = [str(v["version"]) for v in expected["versions"]] if versions == "all" else versions.split(",")
        runs = [(v, os.path.join(table, "versions", v)) for v in vs]
    failed = {}
    notes = []
    for kind in kinds:
        for version, path in runs:
            cmp.PROBLEMS.clear()
            out = io.StringIO()
            sys.argv = ["compare.py", kind, path, expected_path, version]
            code = 0
            try:
                with contextlib.redirect_stdout(out):
                    cmp.main()
            except SystemExit as e:
                code = e.code or 0
            except Exception as e:  # a read error (EIO) or a malformed file
                code = 1
                out.write("# %s: %s\n" % (type(e).__name__, e))
            if code:
                failed[kind] = True
                for line in out.getvalue().splitlines()[:10]:
                    notes.append("# %s v%s: %s" % (kind, version, line.lstrip("# ")))
    for kind in kinds:
        print("%s %s" % ("fail" if kind in failed else "ok", kind))
    for n in notes[:40]:
        print(n)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
