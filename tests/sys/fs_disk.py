#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The disk of the `fs` system tests (tests/sys/fstest.c).

usage: fs_disk.py make TYPE IMG   a FAT image (TYPE 12: 8 MiB, 16: 32 MiB,
                                  32: 64 MiB) made by mkfs.fat, holding
                                  /hello.txt and /data/A Long Name.bin
                                  (100000 bytes, byte i = (7i + i/512) mod
                                  256) and an empty /data/sub, put there
                                  with mcopy and mmd
       fs_disk.py check TYPE IMG  after the guest ran: fsck.fat -n finds it
                                  clean; the host's files are unchanged;
                                  every file /MODEL.TXT lists ("path size
                                  fnv1a64" a line, the guest's model) has
                                  that size and hash as mcopy reads it
       fs_disk.py make-damaged 16 IMG   as make, plus three damaged files:
                                  CYCLE.BIN (its chain loops back to its
                                  first cluster), PASTEND.BIN (its entry
                                  says 1 MiB, its chain holds 1 cluster),
                                  OUTRANGE.BIN (first cluster 0xfff0)
       fs_disk.py check-damaged 16 IMG  the host's files unchanged, and
                                  /NEW.TXT holds what the guest wrote
"""

import os
import struct
import subprocess
import sys
import tempfile

SIZES = {"12": 8, "16": 32, "32": 64}
HELLO = b"hello from the host\n"
LONG = bytes((i * 7 + (i >> 9)) & 0xff for i in range(100000))
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C.UTF-8",
           PATH=os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin")


def run(*cmd, data=None):
    """Run CMD; its stdout (bytes). Raise with its stderr if it fails."""
    res = subprocess.run(cmd, input=data, capture_output=True, env=ENV)
    if res.returncode:
        raise RuntimeError("%s: %s" % (" ".join(cmd), res.stderr.decode(errors="replace").strip()
                                       or res.stdout.decode(errors="replace").strip()))
    return res.stdout


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def read(img, path):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out")
        run("mcopy", "-n", "-i", img, "::" + path, out)
        with open(out, "rb") as f:
            return f.read()


def make(fat, img):
    if os.path.exists(img):
        os.unlink(img)
    run("mkfs.fat", "-C", "-F", fat, "-n", "PAGODA", img, str(SIZES[fat] * 1024))
    with tempfile.TemporaryDirectory() as d:
        for name, data in (("hello.txt", HELLO), ("long.bin", LONG)):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        run("mmd", "-i", img, "::/data", "::/data/sub")
        run("mcopy", "-i", img, os.path.join(d, "hello.txt"), "::/hello.txt")
        run("mcopy", "-i", img, os.path.join(d, "long.bin"), "::/data/A Long Name.bin")


def check(fat, img):
    res = subprocess.run(["fsck.fat", "-n", img], capture_output=True, env=ENV)
    out = res.stdout.decode(errors="replace").strip()
    print(out)
    if res.returncode:
        print("fs_disk: fsck.fat -n finds the FAT%s image unclean" % fat)
        return 1
    if read(img, "/hello.txt") != HELLO or read(img, "/data/A Long Name.bin") != LONG:
        print("fs_disk: the host's files changed")
        return 1
    lines = read(img, "/MODEL.TXT").decode().splitlines()
    for line in lines:
        path, size, digest = line.split("\t")
        data = read(img, path)
        if len(data) != int(size) or fnv(data) != int(digest, 16):
            print("fs_disk: %s: %d bytes, fnv %016x; the guest's model: %s bytes, %s"
                  % (path, len(data), fnv(data), size, digest))
            return 1
    listing = [n for n in run("mdir", "-i", img, "-b", "::/out").decode().splitlines()
               if not n.endswith(("/.", "/.."))]
    if len(listing) != len(lines):
        print("fs_disk: /out holds %d files, the model %d" % (len(listing), len(lines)))
        return 1
    print("fs_disk: FAT%s clean; %d files as the guest's model says" % (fat, len(lines)))
    return 0


DAMAGED_TEXT = b"written beside the damage\n"   # must match tests/sys/fstest.c


def damage(img):
    """Break CYCLE.BIN, PASTEND.BIN and OUTRANGE.BIN of FAT16 image IMG."""
    with open(img, "r+b") as f:
        boot = f.read(512)
        bps, spc, rsvd, nfats, rootents, _, _, fatsz = struct.unpack_from("<HBHBHHBH", boot, 11)
        fat0, root = rsvd * bps, (rsvd + nfats * fatsz) * bps

        def set_fat(c, v):
            for k in range(nfats):
                f.seek(fat0 + k * fatsz * bps + 2 * c)
                f.write(struct.pack("<H", v))

        def get_fat(c):
            f.seek(fat0 + 2 * c)
            return struct.unpack("<H", f.read(2))[0]

        f.seek(root)
        entries = f.read(rootents * 32)
        for i in range(rootents):
            e = entries[32 * i:32 * i + 32]
            at = root + 32 * i
            first = struct.unpack_from("<H", e, 26)[0]
            if e[:11] == b"CYCLE   BIN":
                last = first
                while get_fat(last) < 0xfff8:
                    last = get_fat(last)
                set_fat(last, first)
            elif e[:11] == b"PASTEND BIN":
                f.seek(at + 28)
                f.write(struct.pack("<I", 1 << 20))
            elif e[:11] == b"OUTRANGEBIN":
                f.seek(at + 26)
                f.write(struct.pack("<H", 0xfff0))


def make_damaged(fat, img):
    make(fat, img)
    with tempfile.TemporaryDirectory() as d:
        for name, size in (("CYCLE.BIN", 6000), ("PASTEND.BIN", 1000), ("OUTRANGE.BIN", 3000)):
            with open(os.path.join(d, name), "wb") as f:
                f.write(LONG[:size])
            run("mcopy", "-i", img, os.path.join(d, name), "::/" + name)
    damage(img)


def check_damaged(img):
    if read(img, "/hello.txt") != HELLO or read(img, "/data/A Long Name.bin") != LONG:
        print("fs_disk: the host's files changed")
        return 1
    if read(img, "/NEW.TXT") != DAMAGED_TEXT:
        print("fs_disk: /NEW.TXT does not hold what the guest wrote")
        return 1
    print("fs_disk: the damaged image's good files intact, the guest's new file there")
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "make-damaged" and argv[2] == "16":
        make_damaged(argv[2], argv[3])
        return 0
    if len(argv) == 4 and argv[1] == "check-damaged" and argv[2] == "16":
        return check_damaged(argv[3])
    if len(argv) != 4 or argv[1] not in ("make", "check") or argv[2] not in SIZES:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[1] == "make":
            make(argv[2], argv[3])
            return 0
        return check(argv[2], argv[3])
    except RuntimeError as e:
        print("fs_disk: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
