#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The disk of the `blk` system test (tests/sys/blktest.c).

usage: blk_disk.py make IMG    write the host's pattern: 16 MiB, word j
                               (little-endian, 8 bytes) of sector k is
                               0x48 << 56 | k << 8 | j
       blk_disk.py check IMG   after the guest ran: the two clients'
                               regions (1024 sectors from 8192 and from
                               16384) and the last sector hold the guest's
                               pattern (tag 0x47), every other sector the
                               host's; exit 1 naming the first bad sector
"""

import struct
import sys

SECTORS = 32768
HOST, GUEST = 0x48, 0x47
GUEST_RANGES = [(8192, 8192 + 1024), (16384, 16384 + 1024), (SECTORS - 1, SECTORS)]


def sector(tag, k):
    """The 512 bytes of sector K in TAG's pattern."""
    return struct.pack("<64Q", *[tag << 56 | k << 8 | j for j in range(64)])


def expected_tag(k):
    return GUEST if any(a <= k < b for a, b in GUEST_RANGES) else HOST


def make(path):
    with open(path, "wb") as f:
        for k in range(SECTORS):
            f.write(sector(HOST, k))


def check(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) != SECTORS * 512:
        print("blk_disk: image is %d bytes, want %d" % (len(data), SECTORS * 512))
        return 1
    for k in range(SECTORS):
        tag = expected_tag(k)
        if data[k * 512:(k + 1) * 512] != sector(tag, k):
            print("blk_disk: sector %d does not hold the %s's pattern"
                  % (k, "guest" if tag == GUEST else "host"))
            return 1
    print("blk_disk: all %d sectors as expected (%d written by the guest)"
          % (SECTORS, sum(b - a for a, b in GUEST_RANGES)))
    return 0


def main(argv):
    if len(argv) != 3 or argv[1] not in ("make", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "make":
        make(argv[2])
        return 0
    return check(argv[2])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
