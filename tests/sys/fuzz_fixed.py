# SPDX-License-Identifier: MIT
"""The system test fuzz_fixed: tests/sys/fuzz.cfg on a fixed clock (shift 1), so that
the run depends on the seed alone: the fuzzer of `make test`
(tests/sys/fuzz.cfg, seed 1, 30,000 rounds each).

usage: python3 tests/sys/fuzz_fixed.py --check
"""

import sys

import fixedclock

if __name__ == "__main__":
    sys.exit(fixedclock.run("fuzz_fixed", "tests/sys/fuzz.cfg", 1))
