#!/usr/bin/python3
"""Rewrites a Lance manifest file with extra reader feature flags set, to
test that lancefs refuses datasets needing features it does not know.

usage: patch_flags.py MANIFEST FLAGS_TO_OR
"""
import struct
import sys


def varint(buf, i):
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if not b & 0x80:
            return v, i


def put_varint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


path, extra = sys.argv[1], int(sys.argv[2], 0)
data = open(path, "rb").read()
pos = struct.unpack("<q", data[-16:-8])[0]
(msg_len,) = struct.unpack("<I", data[pos:pos + 4])
msg = data[pos + 4:pos + 4 + msg_len]
out, i, flags = bytearray(), 0, 0
while i < len(msg):
    start = i
    key, i = varint(msg, i)
    wire = key & 7
    if wire == 0:
        v, i = varint(msg, i)
        if key >> 3 == 9:
            flags = v
            continue
    elif wire == 2:
        n, i = varint(msg, i)
        i += n
    elif wire == 1:
        i += 8
    elif wire == 5:
        i += 4
    out += msg[start:i]
out += put_varint(9 << 3) + put_varint(flags | extra)
new = data[:pos] + struct.pack("<I", len(out)) + bytes(out)
# the index section (if any) sits before the metadata, so positions hold
new += struct.pack("<q", pos) + data[-8:]
open(path, "wb").write(new)
