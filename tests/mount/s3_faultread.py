#!/usr/bin/python3
"""Reads every file of a lancefs mount and compares it with the same file of a
reference mount (the same dataset mounted from local disk), chunk by chunk.

usage: s3_faultread.py MOUNT REFERENCE [--no-eio] [--chunk BYTES] [--versions] [--only A,B,...]

The file list is the reference's tree (query/ and .lancefs/ left out, and
versions/ too unless --versions; with --only, just those top-level entries).
Directories are told from files by stat, not by readdir's d_type.  For each file: stat, open, then pread of
every chunk in turn.  Each operation on MOUNT either gives exactly the
reference's answer (size, bytes) or fails with EIO; an EIO is counted and the
next chunk (or file) is tried, so that one failure does not hide the rest.  A
short read whose bytes are right is what read(2) does when a later page
fails: the rest of the chunk is asked for again.  Counted apart:
  wrong   other bytes, another size, end of file too early, bytes past the end
  enoent_raw  ENOENT for a file under raw/ that exists (a known bug, counted apart)
  errno   any other error than EIO
Prints one summary line
  files=N chunks=N ok=N short=N eio=N enoent_raw=N errno=N wrong=N
and '# ' lines for the first problems; exits 1 when anything was wrong or an
error other than EIO was seen, or with --no-eio when any EIO was seen.
"""
import errno
import os
import stat
import sys


def tree(root, versions, only):
    out = []

    def walk(rel):
        for name in sorted(os.listdir(os.path.join(root, rel))):
            sub = os.path.join(rel, name) if rel else name
            if not rel and (name in ("query", ".lancefs") or (name == "versions" and not versions)
                            or (only and name not in only)):
                continue
            st = os.lstat(os.path.join(root, sub))
            if stat.S_ISDIR(st.st_mode):
                walk(sub)
            elif stat.S_ISREG(st.st_mode):
                out.append(sub)

    walk("")
    return out


def main():
    args = sys.argv[1:]
    no_eio = "--no-eio" in args
    versions = "--versions" in args
    chunk = 256 * 1024
    if "--chunk" in args:
        chunk = int(args[args.index("--chunk") + 1])
    only = args[args.index("--only") + 1].split(",") if "--only" in args else None
    pos = [a for i, a in enumerate(args)
           if not a.startswith("--") and (i == 0 or args[i - 1] not in ("--chunk", "--only"))]
    mount, ref = pos[0], pos[1]
    files = tree(ref, versions, only)
    n = dict(files=len(files), chunks=0, ok=0, short=0, eio=0, enoent_raw=0, errno=0, wrong=0)
    problems = []

    def wrong(msg):
        n["wrong"] += 1
        problems.append(msg)

    def failed(e, what):
        if isinstance(e, OSError) and e.errno == errno.EIO:
            n["eio"] += 1
            return
        if isinstance(e, OSError) and e.errno == errno.ENOENT and what.startswith("raw/"):
            n["enoent_raw"] += 1
        else:
            n["errno"] += 1
        problems.append("%s: %s" % (what, e))

    for rel in files:
        with open(os.path.join(ref, rel), "rb") as fh:
            want = fh.read()
        path = os.path.join(mount, rel)
        try:
            size = os.stat(path).st_size
        except OSError as e:
            failed(e, rel + ": stat")
            continue
        if size != len(want):
            wrong("%s: size %d, reference %d" % (rel, size, len(want)))
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError as e:
            failed(e, rel + ": open")
            continue
        try:
            for off in range(0, max(len(want), 1), chunk):
                n["chunks"] += 1
                exp = want[off:off + chunk]
                have = 0
                while True:
                    try:
                        got = os.pread(fd, len(exp) - have if exp else chunk, off + have)
                    except OSError as e:
                        failed(e, "%s: read at %d" % (rel, off + have))
                        break
                    part = exp[have:have + len(got)]
                    if got != part or len(got) > len(exp) - have:
                        at = next((i for i in range(min(len(got), len(part))) if got[i] != part[i]),
                                  min(len(got), len(part)))
                        wrong("%s: wrong bytes at %d (%d bytes read, %d expected)" %
                              (rel, off + have + at, len(got), len(exp) - have))
                        break
                    if not got and have < len(exp):
                        wrong("%s: end of file at %d, reference has %d bytes" % (rel, off + have, len(want)))
                        break
                    have += len(got)
                    if have == len(exp):
                        n["ok"] += 1
                        break
                    n["short"] += 1
            # past the end: nothing
            try:
                if os.pread(fd, 16, len(want)) != b"":
                    wrong("%s: bytes past the end" % rel)
            except OSError as e:
                failed(e, "%s: read at the end" % rel)
        finally:
            os.close(fd)
    print(" ".join("%s=%d" % kv for kv in n.items()))
    for p in problems[:15]:
        print("# " + p)
    bad = n["wrong"] or n["errno"] or n["enoent_raw"] or (no_eio and n["eio"])
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
