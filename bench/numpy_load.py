"""Times numpy.load of a .npy file: the first load, then WARM more (each opens the file again,
after the kernel's cached pages of the file were dropped with posix_fadvise DONTNEED, so
that a file on lancefs is read from the daemon again).

    /usr/bin/python3 numpy_load.py FILE WARM DAEMON_PID [--sha256|--no-sha256]

Prints one line: wall seconds of each load (comma-separated), CPU seconds of each load
(this process plus the lancefs daemon DAEMON_PID, whose work a FUSE read is), the array's
shape (ROWSxCOLS), and the SHA-256 of its values as little-endian bytes (or "-").
"""
import hashlib
import os
import sys
import time

import numpy as np


def main():
    path, warm, daemon = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    want_sha = len(sys.argv) > 4 and sys.argv[4] == "--sha256"
    hz = os.sysconf("SC_CLK_TCK")

    def daemon_cpu():
        with open("/proc/%s/stat" % daemon) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / hz

    walls, cpus, shape, digest = [], [], None, "-"
    for i in range(1 + warm):
        if i:
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)
        d0, c0, t0 = daemon_cpu(), time.process_time(), time.perf_counter()
        a = np.load(path)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0 + daemon_cpu() - d0)
        if i == 0:
            shape = "x".join(str(n) for n in a.shape) + " " + str(a.dtype)
            if want_sha:
                digest = hashlib.sha256(np.ascontiguousarray(a, dtype="<f4").tobytes()).hexdigest()
        del a
    print(",".join("%.4f" % t for t in walls), ",".join("%.2f" % t for t in cpus),
          shape.replace(" ", "/"), digest)


main()
