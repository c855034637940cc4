# SPDX-License-Identifier: MIT
"""The system test fuzz_seed4: tests/sys/fuzz_seed4.cfg on a fixed clock (shift 2), so that
the fuzzers' messages fall where they fell in the run that failed (init
gave up on zero's answer after a bad message from a fuzzer, then init and
zero answered each other's refusals until the shutdown).

usage: python3 tests/sys/fuzz_seed4.py --check
"""

import sys

import fixedclock

if __name__ == "__main__":
    sys.exit(fixedclock.run("fuzz_seed4", "tests/sys/fuzz_seed4.cfg", 2))
