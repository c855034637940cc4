# SPDX-License-Identifier: MIT
"""Boot a system test's configuration on a fixed clock.

QEMU runs with -icount shift=N,sleep=off -rtc clock=vm: guest time advances
with the instructions executed, so every timeout, preemption and message
falls where it fell before, and the run is the same every time (the
fuzzer's tests use this; `make fuzz-sweep` and `make stress` run the
fuzzer on the real clock for variety). Timing is pinned to today's
binaries: a change to the kernel or the programs moves it.

A test script calls run(name, config, shift) from main and is run by
tools/runtests.py as `python3 SCRIPT --check`: it prints the guest's log
(its verdict renamed "guest RESULT:") and then its own RESULT line, PASS
only if the guest ended through isa-debug-exit with success.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import pagoda_qemu as pq  # noqa: E402


def run(name, config, shift, timeout=60):
    """Boot CONFIG with -icount shift=SHIFT; the exit status for the runner.
    The timeout grows by PAGODA_SLOWDOWN (runtests.py --debug)."""
    timeout *= float(os.environ.get("PAGODA_SLOWDOWN", "1"))
    _, out = pq.boot(config, timeout=timeout, capture=True, echo_stderr=False,
                     extra=["-icount", "shift=%d,sleep=off" % shift, "-rtc", "clock=vm"])
    text = out.output.decode("utf-8", "replace")
    sys.stdout.write(text.replace("RESULT:", "guest RESULT:"))
    ok = out.ok() and "RESULT: PASS" in text
    print("%s: the guest ended: %s" % (name, out.kind))
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1
