#!/usr/bin/env python3
"""Write a small BagIt bag as a tar, its members and manifest lines in a chosen order.

usage: spill-bag.py OUT.tar [--members A,B,...] [--manifest A,B,...] [--sha512] [--empty-md5]
                    [--oxum N]

Members are named relative to the bag ("data/a", "bagit.txt" is always written first); a
"dir:" prefix makes a directory member. Each file holds "content of NAME\\n". The manifest
lists the payload files in member order unless --manifest gives the lines: "bad:NAME" lists
NAME with a wrong digest, and a name that is not a member is listed as if it held its
content. --sha512 adds manifest-sha512.txt with the same lines, --empty-md5 an empty
manifest-md5.txt. Payload-Oxum counts the
members unless --oxum gives the count. Written after the payload, as logpack writes its bags.
"""
import argparse
import hashlib
import io
import tarfile


def body(name):
    return b"content of %s\n" % name.encode()


def add(tar, name, data=None):
    info = tarfile.TarInfo("bag/" + name)
    info.mtime = 1700000000
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        tar.addfile(info)
        return
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def manifest(lines, alg):
    out = []
    for line in lines:
        bad = line.startswith("bad:")
        name = line[4:] if bad else line
        digest = hashlib.new(alg, body(name) + (b"x" if bad else b"")).hexdigest()
        out.append("%s  %s\n" % (digest, name))
    return "".join(out).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--members", default="")
    ap.add_argument("--manifest")
    ap.add_argument("--sha512", action="store_true")
    ap.add_argument("--empty-md5", action="store_true")
    ap.add_argument("--oxum", type=int)
    a = ap.parse_args()
    members = [m for m in a.members.split(",") if m]
    files = [m for m in members if not m.startswith("dir:")]
    payload = [m for m in files if m.startswith("data/")]
    lines = a.manifest.split(",") if a.manifest is not None else payload
    lines = [x for x in lines if x]
    with tarfile.open(a.out, "w", format=tarfile.PAX_FORMAT) as tar:
        add(tar, "bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        for m in members:
            if m.startswith("dir:"):
                add(tar, m[4:])
            else:
                add(tar, m, body(m))
        add(tar, "manifest-sha256.txt", manifest(lines, "sha256"))
        if a.sha512:
            add(tar, "manifest-sha512.txt", manifest(lines, "sha512"))
        if a.empty_md5:
            add(tar, "manifest-md5.txt", b"")
        size = sum(len(body(m)) for m in payload)
        count = a.oxum if a.oxum is not None else len(payload)
        add(tar, "bag-info.txt", b"Payload-Oxum: %d.%d\n" % (size, count))


main()
