#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The disk of the file benchmarks: usage: file_disk.py IMG

A 64 MiB FAT32 image (mkfs.fat) holding /BIG.BIN, 16 MiB of a byte pattern
(mcopy).
"""

import os
import subprocess
import sys
import tempfile

ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1",
           PATH=os.environ.get("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    img = argv[1]
    if os.path.exists(img):
        os.unlink(img)
    subprocess.run(["mkfs.fat", "-C", "-F", "32", "-n", "BENCH", img, str(64 * 1024)],
                   check=True, capture_output=True, env=ENV)
    with tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "BIG.BIN")
        with open(big, "wb") as f:
            f.write(bytes((i * 7 + (i >> 12)) & 0xff for i in range(16 << 20)))
        subprocess.run(["mcopy", "-i", img, big, "::/BIG.BIN"], check=True,
                       capture_output=True, env=ENV)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
