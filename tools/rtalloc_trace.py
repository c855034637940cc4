#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check and normalise an allocation trace for the rt-alloc benchmark.

usage: python3 tools/rtalloc_trace.py TRACE OUT
       python3 tools/rtalloc_trace.py --sample OUT [--ops N] [--seed S]

A trace is plain text, one operation per line:

  a ID SIZE     allocate SIZE bytes (1 .. 2^31) and call the block ID
  f ID          free the block called ID

ID is any word without blanks (a number, an address, a name); it may be
used again once freed. Blank lines and lines starting with # are ignored.
The benchmark programs (tests/bench/rtalloc/rtbench.c, both sides) replay
the normalised form this tool writes to OUT: a first line
"rtalloc-trace slots=N ops=M", then "a SLOT SIZE" / "f SLOT" with the IDs
renumbered into dense slots below N (a freed slot is reused). OUT is only
rewritten when it changes, so make rebuilds only what depends on it.

--sample writes a synthetic trace (a server handling requests: small
headers and buffers of a few KiB that live for one request, some large
buffers, a slowly growing set of long-lived objects).

Errors (exit status 1) name the line: an unknown operation, a bad size,
an allocation of a live ID, a free of an ID that is not live, more than
65,536 blocks live at once or more than 2^20 operations.
"""

import os
import random
import sys

MAX_SLOTS = 1 << 16
MAX_OPS = 1 << 20
MAX_SIZE = 1 << 31


class TraceError(Exception):
    pass


def normalise(lines):
    """The normalised text of a trace given as lines."""
    live, free_slots, out, nslots = {}, [], [], 0
    for no, line in enumerate(lines, 1):
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        if w[0] == "a" and len(w) == 3:
            if w[1] in live:
                raise TraceError("line %d: %s is already allocated" % (no, w[1]))
            try:
                size = int(w[2], 0)
            except ValueError:
                size = -1
            if not 1 <= size <= MAX_SIZE:
                raise TraceError("line %d: size must be 1 .. 2^31" % no)
            if free_slots:
                slot = free_slots.pop()
            else:
                slot, nslots = nslots, nslots + 1
                if nslots > MAX_SLOTS:
                    raise TraceError("line %d: more than %d blocks live" % (no, MAX_SLOTS))
            live[w[1]] = slot
            out.append("a %d %d" % (slot, size))
        elif w[0] == "f" and len(w) == 2:
            if w[1] not in live:
                raise TraceError("line %d: %s is not allocated" % (no, w[1]))
            slot = live.pop(w[1])
            free_slots.append(slot)
            out.append("f %d" % slot)
        else:
            raise TraceError("line %d: expected 'a ID SIZE' or 'f ID'" % no)
        if len(out) > MAX_OPS:
            raise TraceError("line %d: more than %d operations" % (no, MAX_OPS))
    if not out:
        raise TraceError("no operations")
    return "rtalloc-trace slots=%d ops=%d\n%s\n" % (max(nslots, 1), len(out), "\n".join(out))


def sample(ops, seed):
    """A synthetic server-like trace of about ops operations."""
    rnd = random.Random(seed)
    lines, live, long_lived, n = ["# synthetic: a server handling requests"], [], [], 0
    while len(lines) < ops:
        req = []
        for _ in range(rnd.randint(2, 8)):
            size = rnd.choice([rnd.randint(16, 256), rnd.randint(256, 4096),
                               rnd.randint(4096, 65536)] + [rnd.randint(16, 128)] * 3)
            if rnd.random() < 0.02:
                size = rnd.randint(65536, 1 << 20)
            lines.append("a r%d %d" % (n, size))
            req.append(n)
            n += 1
        if rnd.random() < 0.1:
            lines.append("a L%d %d" % (n, rnd.randint(32, 2048)))
            long_lived.append(n)
            n += 1
        if long_lived and rnd.random() < 0.05:
            lines.append("f L%d" % long_lived.pop(rnd.randrange(len(long_lived))))
        rnd.shuffle(req)
        live.extend(req)
        while len(live) > 64:
            lines.append("f r%d" % live.pop(rnd.randrange(len(live))))
    lines += ["f r%d" % i for i in live] + ["f L%d" % i for i in long_lived]
    return "\n".join(lines) + "\n"


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv):
    if len(argv) >= 2 and argv[0] == "--sample":
        opts = dict(zip(argv[2::2], argv[3::2]))
        write_if_changed(argv[1], sample(int(opts.get("--ops", 10000)),
                                         int(opts.get("--seed", 1))))
        return 0
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            text = normalise(f.read().splitlines())
    except OSError as e:
        sys.stderr.write("rtalloc_trace: %s: %s\n" % (argv[0], e.strerror))
        return 1
    except TraceError as e:
        sys.stderr.write("rtalloc_trace: %s: %s\n" % (argv[0], e))
        return 1
    write_if_changed(argv[1], text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
