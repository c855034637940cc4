# SPDX-License-Identifier: MIT
"""The system test damage: boots tests/sys/damage.cfg and checks that on a
DEBUG=1 kernel every KDB_DAMAGE case was caught by space_check through the
branch that names it: the kernel's "check:" line printed during case N
must be in kernel/space.c at the line the case reported and contain
BRANCHES[N] (case 10: caught by the check after a change, checker 5;
damage.c checks the number). On another kernel the guest says so and only the guest's own
checks count.

usage: python3 tests/sys/damage.py --check
"""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import pagoda_qemu as pq  # noqa: E402

BRANCHES = {
    1: "space_check: thread ",
    2: " threads, counts ",
    3: " over its quota ",
    4: " owned by ",
    5: "charges the wrong parent account",
    6: "outside its KIP and UTCB areas",
    7: "without a mapping node that says the same",
    8: ": list_check: head not initialised",
    9: "the list of all spaces: list_check: ",
    10: "without a mapping node that says the same",
}
CHECK = re.compile(r"^\[kernel\] check: (\S+):(\d+): (.*)$")
CASE = re.compile(r"ok - damage case (\d+): checker \d+ line (\d+)")


def judge(text):
    """The list of failures in the guest's output TEXT."""
    lines = [pq.unmark(line) for line in text.splitlines()]
    if any("damage: not a DEBUG=1 kernel" in line for line in lines):
        return []
    seen, failures, last = {}, [], None
    for line in lines:
        m = CHECK.match(line)
        if m:
            last = m.groups()
            continue
        m = CASE.search(line)
        if m:
            seen[int(m.group(1))] = (m.group(2), last)
            last = None
    for n, what in BRANCHES.items():
        if n not in seen or not seen[n][1]:
            failures.append("case %d: no check line" % n)
            continue
        line, (path, at, message) = seen[n]
        if path != "kernel/space.c" or at != line or what not in message \
                or not message.startswith("space_check: "):
            failures.append("case %d: want %r at kernel/space.c:%s, got %s:%s: %s"
                            % (n, what, line, path, at, message))
    return failures


def main():
    _, out = pq.boot("tests/sys/damage.cfg", capture=True, echo_stderr=False,
                     timeout=30 * float(os.environ.get("PAGODA_SLOWDOWN", "1")))
    text = out.output.decode("utf-8", "replace")
    sys.stdout.write(text.replace("RESULT:", "guest RESULT:"))
    failures = judge(text)
    for f in failures:
        print("damage.py: not caught as it should be: %s" % f)
    ok = out.ok() and "RESULT: PASS" in text and not failures
    print("RESULT: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
