#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the syscall fuzzer (tests/sys/fuzz.cfg) over many seeds.

usage: python3 tools/fuzzsweep.py [--seeds 1-16] [--rounds N] [--open 1,2,3]
                                  [--timeout S]

Each seed boots tests/sys/fuzz.cfg once, with its seed, rounds and open
classes replaced (the unprivileged fuzzer and the privileged one, under
the same seed), and is judged like a system test: RESULT: PASS, no
"not ok" or panic, the guest ends through isa-debug-exit. The logs go to
build/fuzz/seed-N.log; a failing seed is rerun alone with
`python3 tools/qemu.py --config build/fuzz/seed-N.cfg`. Exit status 0 when
every seed passed.
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_qemu as pq  # noqa: E402
import runtests  # noqa: E402

BASE_CFG = "tests/sys/fuzz.cfg"
OUT = os.path.join(pq.ROOT, "build", "fuzz")


def seed_list(spec):
    """"1-4,9" -> [1, 2, 3, 4, 9]."""
    seeds = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


def seed_config(seed, rounds, open_classes):
    """Write build/fuzz/seed-N.cfg from fuzz.cfg; return its path."""
    with open(os.path.join(pq.ROOT, BASE_CFG), encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\bseed=\d+", "seed=%d" % seed, text)
    if rounds:
        text = re.sub(r"\brounds=\d+", "rounds=%d" % rounds, text)
    if open_classes is not None:
        repl = " open=%s" % open_classes if open_classes else ""
        text = re.sub(r" open=[\d,]*", repl, text)
    path = os.path.join(OUT, "seed-%d.cfg" % seed)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return os.path.relpath(path, pq.ROOT)


def run_seed(seed, args):
    """Boot one seed; return the list of reasons it failed ([] = passed)."""
    cfg = seed_config(seed, args.rounds, args.open)
    test = runtests.SysTest("fuzz-seed-%d" % seed, cfg, args.timeout, [])
    with open(os.path.join(OUT, "seed-%d.log" % seed), "wb") as log:
        _, out = pq.boot(cfg, timeout=args.timeout, sinks=[log], capture=True,
                         echo_stderr=False)
        log.write(runtests.log_trailer(out).encode())
    return runtests.judge(test, out), out.elapsed


def main(argv):
    p = argparse.ArgumentParser(prog="fuzzsweep.py")
    p.add_argument("--seeds", default="1-16", help="e.g. 1-16 or 3,7,100-110")
    p.add_argument("--rounds", type=int, default=0,
                   help="calls per fuzzer (default: as in fuzz.cfg)")
    p.add_argument("--open", default=None,
                   help="issue-8 classes to leave out (default: as in "
                        "fuzz.cfg; '' leaves nothing out)")
    p.add_argument("--timeout", type=float, default=600)
    args = p.parse_args(argv)
    os.makedirs(OUT, exist_ok=True)
    failed, start = [], time.time()
    for seed in seed_list(args.seeds):
        reasons, elapsed = run_seed(seed, args)
        print("%s seed %d (%.1fs)%s" % ("FAIL" if reasons else "ok  ", seed,
              elapsed, ": " + "; ".join(reasons) if reasons else ""),
              flush=True)
        if reasons:
            failed.append(seed)
    n = len(seed_list(args.seeds))
    print("%d seeds, %d passed, %d failed%s (%.0fs); logs in build/fuzz/"
          % (n, n - len(failed), len(failed),
             ": " + " ".join(map(str, failed)) if failed else "",
             time.time() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
