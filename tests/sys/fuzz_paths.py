# SPDX-License-Identifier: MIT
"""The system test fuzz_paths: tests/sys/fuzz_paths.cfg (the fuzzer with the
rounds of the fourth audit: IPC fast paths, fork under the copy-on-write
pager) on a fixed clock (shift 1), so that the run depends on the seed alone.

usage: python3 tests/sys/fuzz_paths.py --check
"""

import sys

import fixedclock

if __name__ == "__main__":
    sys.exit(fixedclock.run("fuzz_paths", "tests/sys/fuzz_paths.cfg", 1, timeout=90))
