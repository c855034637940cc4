#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A disk wait under the benchmarks' clock: usage: bench_diskwait.py --check

Boots tests/sys/fs_nofat.cfg with the QEMU command tools/bench.py boots
its file runs with (pagoda_qemu.qemu_command, bench mode, with a disk),
except that the disk is QEMU's null-co driver, all zeros, answering each
request after 2 s of the host's time. The FAT server mounts (one read of
sector 0) while init waits for its answer to PAGER_CLIENT. Under -icount
sleep=off the idle guest's clock raced through timer tick after tick in
those 2 s, and init ended the server as silent ("did not answer within
5000 ms"); the guest clock must run at real speed while the guest waits
for the disk. Prints the serial output; exits 0 if the guest passed.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import pagoda_qemu as pq  # noqa: E402

DISK = "driver=null-co,read-zeroes=on,size=16M,latency-ns=2000000000,if=none,id=hd0"


def main(argv):
    if argv[1:] != ["--check"]:
        print(__doc__, file=sys.stderr)
        return 2
    os.chdir(pq.ROOT)
    image = os.path.join("build", "sys", "bench_diskwait.img")
    os.makedirs(os.path.dirname(image), exist_ok=True)
    with open(image, "wb") as f:        # qemu_command wants a disk file
        f.truncate(16 << 20)
    cmd = pq.qemu_command("tests/sys/fs_nofat.cfg", bench=True, disk=image)
    cmd[cmd.index("-drive") + 1] = DISK
    out = pq.run(cmd, timeout=50, capture=True, sinks=[])
    sys.stdout.buffer.write(out.output)
    print("bench_diskwait: %s" % out.describe())
    return 0 if out.kind == "guest-exit" and out.status == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
