#!/usr/bin/python3
"""Sums the log of tests/mount/cache_countproxy.mjs (one JSON object a line).

usage: cache_log.py LOG [FROM]
  Counts the requests after the first FROM lines (default 0) and prints one
  line of shell assignments:
    reqs=  every request            bytes=  body bytes of every answer
    gets=  GET requests             get_bytes=  their body bytes
    data_gets=  GETs of objects under a data/ directory
    data_bytes= their body bytes
    heads= HEAD requests            lists= GETs of a bucket (ListObjectsV2)
    errors= answers with a status >= 400 or no answer
"""
import json
import sys


def main():
    log = sys.argv[1]
    skip = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    s = dict(reqs=0, bytes=0, gets=0, get_bytes=0, data_gets=0, data_bytes=0, heads=0, lists=0, errors=0)
    with open(log) as fh:
        for i, line in enumerate(fh):
            if i < skip or not line.strip():
                continue
            e = json.loads(line)
            s["reqs"] += 1
            s["bytes"] += e["bytes"]
            if e["status"] == 0 or e["status"] >= 400:
                s["errors"] += 1
            if e["method"] == "HEAD":
                s["heads"] += 1
            elif e["method"] == "GET":
                s["gets"] += 1
                s["get_bytes"] += e["bytes"]
                key = e["path"].lstrip("/").partition("/")[2]
                if not key:
                    s["lists"] += 1
                elif "/data/" in "/" + key:
                    s["data_gets"] += 1
                    s["data_bytes"] += e["bytes"]
    print(" ".join("%s=%d" % kv for kv in s.items()))


if __name__ == "__main__":
    main()
