#!/usr/bin/env python3
"""Write a BagIt bag of N tiny payload files as an uncompressed tar, fast.

usage: manyfiles-bag.py OUT.tar N

The tar is written header by header (ustar, as GNU tar and libarchive read it) rather than
through the tarfile module, which is too slow for a million members. Payload names look like
those of a collection: data/var/log/dNNNN/fNNNNNNN.log, 1,000 files per directory. The
manifest and Payload-Oxum are computed in the same pass, so the bag is honest; it is unsigned.
"""
import hashlib
import sys


def header(name, size, mode=0o644, typeflag=b"0"):
    nb = name.encode()
    assert len(nb) <= 100
    h = bytearray(512)
    h[0:len(nb)] = nb
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % 1700000000
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def member(out, name, body):
    out.write(header(name, len(body)))
    out.write(body)
    pad = -len(body) % 512
    if pad:
        out.write(b"\0" * pad)


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    lines = []
    total = 0
    with open(path, "wb", buffering=1 << 20) as out:
        member(out, "bag/bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        for i in range(n):
            name = "data/var/log/d%04d/f%07d.log" % (i // 1000, i)
            body = b"line %d\n" % i
            total += len(body)
            lines.append("%s  %s\n" % (hashlib.sha256(body).hexdigest(), name))
            member(out, "bag/" + name, body)
        manifest = "".join(lines).encode()
        lines = None
        member(out, "bag/manifest-sha256.txt", manifest)
        info = b"Payload-Oxum: %d.%d\n" % (total, n)
        member(out, "bag/bag-info.txt", info)
        tags = [("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"),
                ("manifest-sha256.txt", manifest), ("bag-info.txt", info)]
        tm = "".join("%s  %s\n" % (hashlib.sha256(b).hexdigest(), nm) for nm, b in tags)
        member(out, "bag/tagmanifest-sha256.txt", tm.encode())
        out.write(b"\0" * 1024)
        # Pad to a 10 KiB record, as tar does.
        size = out.tell()
        out.write(b"\0" * (-size % 10240))


if __name__ == "__main__":
    main()
