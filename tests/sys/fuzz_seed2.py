# SPDX-License-Identifier: MIT
"""The system test fuzz_seed2: tests/sys/fuzz_seed2.cfg on a fixed clock (shift 4), so that
the fuzzers' timeouts and preemptions fall where they fell in the run
that hung (the privileged fuzzer starved by a thread of its own).

usage: python3 tests/sys/fuzz_seed2.py --check
"""

import sys

import fixedclock

if __name__ == "__main__":
    sys.exit(fixedclock.run("fuzz_seed2", "tests/sys/fuzz_seed2.cfg", 4))
