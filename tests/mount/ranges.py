#!/usr/bin/python3
"""Reads files of a mount at many byte ranges, from several threads at
once, and checks every range equals the same slice of a whole read.

usage: ranges.py SEED FILE...
"""
import os
import random
import sys
import threading

seed, files = int(sys.argv[1]), sys.argv[2:]
whole = {}
for f in files:
    with open(f, "rb") as fh:
        whole[f] = fh.read()
    if os.stat(f).st_size != len(whole[f]):
        print("# %s: stat size %d, read %d bytes" % (f, os.stat(f).st_size, len(whole[f])))
        sys.exit(1)
errors = []


def worker(k):
    rnd = random.Random(seed * 100 + k)
    for _ in range(60):
        f = rnd.choice(files)
        data = whole[f]
        size = len(data)
        off = rnd.randrange(0, size + 10) if size else 0
        ln = rnd.choice([1, 7, 100, 4096, 65536, 300000])
        fd = os.open(f, os.O_RDONLY)
        try:
            got = os.pread(fd, ln, off)
        finally:
            os.close(fd)
        if got != data[off:off + ln]:
            errors.append("%s: %d bytes at %d differ" % (f, ln, off))
            return


threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for e in errors[:10]:
    print("# " + e)
sys.exit(1 if errors else 0)
