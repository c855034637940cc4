#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The colour-isolation experiment: a real-time task's cache misses with and
without colouring, under a modelled cache (tools/cachesim.c).

usage: python3 tools/rt_isolation.py [--check] [--iterations N]

Boots tests/sys/rt_uncoloured.cfg and tests/sys/rt_coloured.cfg with the
cache-model plugin (1 MiB, 16 ways, 64-byte lines: the cache=1M/16 the
colouring pager is given, 16 colours). tests/rtloop reads a 256 KiB working
set once per window, after each sweep of tests/noisy through 4 MiB. Without
colouring both have colours 0-15; with colouring 0-7 and 8-15. The misses
counted are those to the pager's pool (physical 128..144 MiB, pool=16M@128M),
inside the real-time task's windows.

Prints a table, writes build/rt-isolation/results.json and (with gnuplot)
misses.png. --check (the system test rt_isolation) asserts: coloured, every
window after the first has no miss; uncoloured, every window after the first
misses at least half the working set. The plugin is built here against the
header tools/plugin_header.sh fetches; if it cannot be had, this says so and
fails -- it never passes without measuring.
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

ROOT = pq.ROOT
OUT = os.path.join(ROOT, "build", "rt-isolation")
PLUGIN = os.path.join(ROOT, "build", "tools", "cachesim.so")
CACHE = "sets=1024,ways=16,line=64"
POOL_RANGE = "8000000-9000000"          # pool=16M@128M in the configs
WORKING_SET_LINES = 256 * 1024 // 64
CONFIGS = [("uncoloured", "tests/sys/rt_uncoloured.cfg"),
           ("coloured", "tests/sys/rt_coloured.cfg")]
WINDOW = re.compile(r"cachesim: window (\d+): accesses (\d+) misses (\d+) range0 (\d+)")


def build_plugin():
    """Fetch the header if needed and build the plugin; return an error or None."""
    return pq.build_plugin("cachesim", PLUGIN)


def run_one(config):
    """Boot CONFIG with the plugin; return (serial output, window list)."""
    fd, log = tempfile.mkstemp(prefix="cachesim-", suffix=".log")
    os.close(fd)
    try:
        extra = ["-plugin", "%s,%s,range=%s" % (PLUGIN, CACHE, POOL_RANGE),
                 "-d", "plugin", "-D", log]
        cmd = pq.qemu_command(config, bench=True, extra=extra)   # -icount: repeatable
        out = pq.run(cmd, timeout=120, sinks=[], stdin=subprocess.DEVNULL, capture=True,
                     echo_stderr=False)
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
    finally:
        os.unlink(log)
    windows = [int(m.group(4)) for m in WINDOW.finditer(text)]
    return out, windows


def plot(results):
    """misses.png: range misses per window, both runs (needs gnuplot)."""
    if not shutil.which("gnuplot"):
        return None
    dat = os.path.join(OUT, "misses.dat")
    with open(dat, "w") as f:
        for i in range(max(len(w) for w in results.values())):
            f.write("%d %s\n" % (i, " ".join(
                str(results[k][i]) if i < len(results[k]) else "?" for k, _ in CONFIGS)))
    png = os.path.join(OUT, "misses.png")
    script = ("set terminal pngcairo size 800,450; set output '%s';"
              "set title 'real-time task: cache misses per iteration (1 MiB 16-way model)';"
              "set xlabel 'iteration'; set ylabel 'misses (working set: %d lines)';"
              "set key center right; set style data linespoints; set yrange [-100:5000];"
              "plot '%s' using 1:2 title 'without colouring', '' using 1:3 title "
              "'disjoint colours (0-7 vs 8-15)'" % (png, WORKING_SET_LINES, dat))
    if subprocess.run(["gnuplot", "-e", script], capture_output=True).returncode:
        script = script.replace("pngcairo", "png")
        subprocess.run(["gnuplot", "-e", script], capture_output=True)
    return png if os.path.exists(png) else None


def check(results):
    """The system test's assertions; returns the failures."""
    bad = []
    for name, _ in CONFIGS:
        if len(results[name]) < 3:
            bad.append("%s: %d windows measured" % (name, len(results[name])))
    if bad:
        return bad
    if any(results["coloured"][1:]):
        bad.append("coloured: misses after the first iteration: %s" % results["coloured"])
    if results["coloured"][0] > WORKING_SET_LINES:
        bad.append("coloured: first iteration misses more than the working set")
    if min(results["uncoloured"][1:]) < WORKING_SET_LINES // 2:
        bad.append("uncoloured: too few misses (%s): is the noise reaching the cache?"
                   % results["uncoloured"])
    return bad


def main(argv):
    p = argparse.ArgumentParser(prog="rt_isolation.py")
    p.add_argument("--check", action="store_true", help="assert, and print RESULT")
    args = p.parse_args(argv)
    err = build_plugin()
    if err:
        print("rt_isolation: %s" % err)
        print("RESULT: FAIL (the isolation experiment did not run)")
        return 1
    results, failed = {}, []
    for name, config in CONFIGS:
        out, windows = run_one(config)
        results[name] = windows
        if not out.ok():
            failed.append("%s: the boot failed (%s)" % (name, out.describe()))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"cache": CACHE, "working_set_lines": WORKING_SET_LINES,
                   "misses_per_iteration": results}, f, indent=1)
    print("real-time task: cache misses per iteration (working set %d lines)"
          % WORKING_SET_LINES)
    print("%-12s %s" % ("iteration", " ".join("%6d" % i for i in range(len(results["coloured"])))))
    for name, _ in CONFIGS:
        print("%-12s %s" % (name, " ".join("%6d" % m for m in results[name])))
    return finish(args, OUT, plot(results), failed, lambda: check(results))


def finish(args, out, png, failed, check_fn):
    """Say where the results are; with --check, add check_fn()'s failures,
    print them and the verdict. The exit status (shared with
    tools/rt_cachemiss.py)."""
    print("results: %s%s" % (os.path.relpath(os.path.join(out, "results.json"), ROOT),
                             ", plot: " + os.path.relpath(png, ROOT) if png else ""))
    if args.check:
        failed += check_fn()
        for f in failed:
            print("not ok - %s" % f)
        print("RESULT: %s" % ("FAIL" if failed else "PASS"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
