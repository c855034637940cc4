#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Cache misses per rt_malloc / rt_free, with a noisy neighbour, with and
without colouring, under the modelled cache of tools/cachesim.c.

usage: python3 tools/rt_cachemiss.py [--check]

Boots tests/sys/rtcache_uncoloured.cfg and tests/sys/rtcache_coloured.cfg
with the plugin (1 MiB, 16 ways, 64-byte lines: the pager's cache=1M/16,
16 colours), as tools/rt_isolation.py does. tests/rtcache (rt-alloc's
allocator over a pre-populated 512 KiB heap) waits for one 4 MiB sweep of
tests/noisy before every measured call, and runs the call alone inside a
window; the misses counted are those to the pager's pool (physical 128..144
MiB), where every frame of the task lies: the allocator's control block,
the block headers and links, the call's stack frame. Without colouring both
tasks have colours 0-15; with colouring 0-7 and 8-15.

The task prints the kind of each window ('m' rt_malloc, 'f' rt_free) per
phase and pass; pass 0 of each phase is the warm-up. Prints the worst case
(and the median) per operation, phase and colouring, writes
build/rt-cachemiss/results.json and (with gnuplot) misses.png. --check (the system test rt_cachemiss)
asserts: coloured, after the warm-up, no call misses more than BOUND lines;
uncoloured, the worst call of each kind misses at least UNCOLOURED_MIN lines
and more than the coloured worst case.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_qemu as pq  # noqa: E402
import rt_isolation  # noqa: E402

ROOT = pq.ROOT
OUT = os.path.join(ROOT, "build", "rt-cachemiss")
CONFIGS = [("uncoloured", "tests/sys/rtcache_uncoloured.cfg"),
           ("coloured", "tests/sys/rtcache_coloured.cfg")]
PHASES = ["worst", "random"]
OPS = {"m": "rt_malloc", "f": "rt_free"}
# With disjoint colours, after the warm-up: at most this many misses per call.
BOUND = 2
# Without colouring, the worst call of each kind misses at least this many.
UNCOLOURED_MIN = 6
KINDS = re.compile(r"rtcache: kinds (\w+) (\d+): ([mf]*)\s*$", re.M)


def run_one(config):
    """Boot CONFIG with the plugin; return (outcome, misses per window, kinds)."""
    fd, log = tempfile.mkstemp(prefix="cachesim-", suffix=".log")
    os.close(fd)
    try:
        extra = ["-plugin", "%s,%s,range=%s" % (rt_isolation.PLUGIN, rt_isolation.CACHE,
                                               rt_isolation.POOL_RANGE),
                 "-d", "plugin", "-D", log]
        cmd = pq.qemu_command(config, bench=True, extra=extra)   # -icount: repeatable
        out = pq.run(cmd, timeout=300, sinks=[], stdin=subprocess.DEVNULL, capture=True,
                     echo_stderr=False)
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    finally:
        os.unlink(log)
    windows = [int(m.group(4)) for m in rt_isolation.WINDOW.finditer(text)]
    serial = out.output.decode("utf-8", "replace")
    kinds = [(m.group(1), int(m.group(2)), m.group(3)) for m in KINDS.finditer(serial)]
    return out, windows, kinds


def attribute(windows, kinds):
    """{phase: {op: {"warmup": [...], "after": [...]}}}, or an error string."""
    n = sum(len(k) for _, _, k in kinds)
    if n != len(windows):
        return "%d windows measured, %d announced by the task" % (len(windows), n)
    res = {p: {op: {"warmup": [], "after": []} for op in OPS.values()} for p in PHASES}
    i = 0
    for phase, npass, ks in kinds:
        for k in ks:
            res[phase][OPS[k]]["warmup" if npass == 0 else "after"].append(windows[i])
            i += 1
    return res


def median(v):
    return sorted(v)[len(v) // 2] if v else 0


def table(results):
    """The report: worst case after the warm-up, (median), warm-up's worst."""
    lines = ["cache misses per call (after the warm-up: worst / median; warm-up pass: worst)",
             "%-10s %-10s %22s %22s" % ("phase", "call", "uncoloured", "coloured")]
    for phase in PHASES:
        for op in OPS.values():
            cells = []
            for name, _ in CONFIGS:
                s = results[name][phase][op]
                cells.append("%3d / %2d  (warm-up %3d)" % (max(s["after"], default=0),
                                                          median(s["after"]),
                                                          max(s["warmup"], default=0)))
            lines.append("%-10s %-10s %22s %22s" % (phase, op, cells[0], cells[1]))
    return "\n".join(lines)


def plot(windows):
    """misses.png: each call's misses after the warm-up, in order (gnuplot)."""
    if not shutil.which("gnuplot"):
        return None
    dat = os.path.join(OUT, "misses.dat")
    with open(dat, "w") as f:
        for i, pair in enumerate(zip(*(windows[name] for name, _ in CONFIGS))):
            f.write("%d %s\n" % (i, " ".join(str(m) for m in pair)))
    png = os.path.join(OUT, "misses.png")
    script = ("set terminal pngcairo size 800,450; set output '%s';"
              "set title 'cache misses per rt\\_malloc/rt\\_free call, a 4 MiB sweep "
              "before each (1 MiB 16-way model)';"
              "set xlabel 'call (after the warm-up: constructed cases, then random)';"
              "set ylabel 'misses'; set yrange [-1:20]; set key top right;"
              "plot '%s' using 1:2 with impulses title 'without colouring', "
              "'' using 1:3 with points pt 7 ps 0.5 title 'disjoint colours (0-7 vs 8-15)'"
              % (png, dat))
    if subprocess.run(["gnuplot", "-e", script], capture_output=True).returncode:
        subprocess.run(["gnuplot", "-e", script.replace("pngcairo", "png")],
                       capture_output=True)
    return png if os.path.exists(png) else None


def after_warmup(windows, kinds):
    """The misses of the calls after the warm-up pass of each phase, in order."""
    out, i = [], 0
    for _, npass, ks in kinds:
        if npass:
            out += windows[i:i + len(ks)]
        i += len(ks)
    return out


def check(results):
    """The system test's assertions; returns the failures."""
    bad = []
    for op in OPS.values():
        col = [m for p in PHASES for m in results["coloured"][p][op]["after"]]
        unc = [m for p in PHASES for m in results["uncoloured"][p][op]["after"]]
        if not col or not unc:
            bad.append("%s: no call measured" % op)
            continue
        if max(col) > BOUND:
            bad.append("coloured: a %s missed %d lines after the warm-up (bound %d)"
                       % (op, max(col), BOUND))
        if max(unc) < UNCOLOURED_MIN:
            bad.append("uncoloured: the worst %s missed only %d lines (want at least %d): "
                       "is the noise reaching the cache?" % (op, max(unc), UNCOLOURED_MIN))
        elif max(unc) <= max(col):
            bad.append("uncoloured: the worst %s missed %d lines, no more than coloured (%d)"
                       % (op, max(unc), max(col)))
    return bad


def main(argv):
    p = argparse.ArgumentParser(prog="rt_cachemiss.py")
    p.add_argument("--check", action="store_true", help="assert, and print RESULT")
    args = p.parse_args(argv)
    err = rt_isolation.build_plugin()
    if err:
        print("rt_cachemiss: %s" % err)
        print("RESULT: FAIL (the experiment did not run)")
        return 1
    results, failed, calls = {}, [], {}
    for name, config in CONFIGS:
        out, windows, kinds = run_one(config)
        calls[name] = after_warmup(windows, kinds)
        if not out.ok():
            failed.append("%s: the boot failed (%s)" % (name, out.describe()))
        res = attribute(windows, kinds)
        if isinstance(res, str):
            failed.append("%s: %s" % (name, res))
            res = attribute([], [])
        results[name] = res
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"cache": rt_isolation.CACHE, "bound": BOUND, "misses": results}, f,
                  indent=1)
    print(table(results))
    return rt_isolation.finish(args, OUT, plot(calls), failed, lambda: check(results))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
