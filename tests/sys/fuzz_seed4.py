# SPDX-License-Identifier: MIT
"""The system test fuzz_seed4: tests/sys/fuzz_seed4.cfg with a fixed clock.

usage: python3 tests/sys/fuzz_seed4.py --check

QEMU runs with -icount shift=2,sleep=off (instructions set the time; no
waiting), so the fuzzers' messages fall where they fell in the run that
failed (init gave up on zero's answer after a bad message from a fuzzer,
then init and zero answered each other's refusals until the shutdown).
Timing is pinned to today's binaries: a change to the kernel or the
fuzzer moves it, and then this is just one more seed. Prints the guest's
log; RESULT: PASS only if the guest ended with success.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import pagoda_qemu as pq  # noqa: E402

CFG = "tests/sys/fuzz_seed4.cfg"


def main():
    _, out = pq.boot(CFG, timeout=60, capture=True, echo_stderr=False,
                     extra=["-icount", "shift=2,sleep=off", "-rtc", "clock=vm"])
    text = out.output.decode("utf-8", "replace")
    sys.stdout.write(text.replace("RESULT:", "guest RESULT:"))
    ok = out.ok() and "RESULT: PASS" in text
    print("fuzz_seed4: the guest ended: %s" % out.kind)
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
