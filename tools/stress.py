#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make stress: the long, seeded stress runs outside `make test`.

Each stress is a host program run with a scale in its environment, or a
boot of Pagoda with a generated boot configuration whose programs take
their scale and seed as arguments. Every run is reproducible from the seed
it prints. A QEMU stress passes like a system test (tools/runtests.py): a
"RESULT: PASS" line from init (kernel memory and frames back to their
baseline, every task ended as expected), no "not ok", panic or kernel
fault, the guest's exit status 0 within the time bound, and the stress's
own summary line present. The results go to build/stress/results.json and
the logs to build/stress/<name>.log.

    python3 tools/stress.py                 # everything, full scale
    python3 tools/stress.py --quick         # everything at 1/100 scale
    python3 tools/stress.py --only forkmatrix [--seed N]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_qemu as pq  # noqa: E402
import runtests  # noqa: E402

ROOT = pq.ROOT
OUT = os.path.join(ROOT, "build", "stress")


class Stress:
    """One stress: NAME, what it does, its SCALE (the unit counted, and
    how many), and how to run it at a given scale and seed."""

    def __init__(self, name, what, unit, full, timeout, summary, host=None,
                 config=None, passes="", seeds=1):
        self.name, self.what, self.unit = name, what, unit
        self.full, self.timeout, self.summary = full, timeout, summary
        self.host, self.config, self.passes = host, config, passes
        self.seeds = seeds     # runs, with seeds seed .. seed + seeds - 1


STRESSES = [
    Stress("fuzz", "the syscall fuzzer (tests/sys/fuzz.c), unprivileged (a "
           "client of a pager task) and privileged side by side: random "
           "calls, hostile registers and selectors, random replies to its "
           "workers' faults, messages to every server, sigma0 requests",
           "calls per run", 1_000_000, 1500,
           r"ok - (\d+) random calls, every result a defined error code",
           config=lambda n, seed: (
               "@shutdown\npagers/zero\n"
               "tests/fuzz pager=pagers/zero -- seed=%d rounds=%d\n"
               "tests/fuzz priv -- priv seed=%d rounds=%d\n"
               % (seed, n, seed, n)),
           passes="no panic or hang, every result a defined error, every "
           "kernel invariant at the end, memory back to baseline; for "
           "each of 8 seeds", seeds=8),
    Stress("mapdb", "mapping-database model test (host): random map, grant, "
           "unmap and split steps against a reference model",
           "steps", 10_000_000, 1800,
           r"random_against_model: (\d+) steps, .* 0 divergences",
           host=lambda n, seed: (
               [os.path.join(ROOT, "build", "unit", "mapdb")],
               {"PAGODA_MAPDB_STEPS": str(n), "PAGODA_MAPDB_SEED": str(seed),
                "PAGODA_MAPDB_CHECK_EVERY": "1000",
                "CK_RUN_CASE": "random_against_model",
                "CK_TIMEOUT_MULTIPLIER": "100"}),
           passes="0 divergences from the model, checker every 1,000 steps"),
    Stress("forkmatrix", "copy-on-write fork matrix: random process trees "
           "nested to depth 4, parents and children write random runs of "
           "words, every process checks every word of its pages after "
           "every step", "forks", 10_000, 1200,
           r"forkmatrix: \d+ trees, (\d+) forks, depth 4, 0 wrong",
           config=lambda n, seed: (
               "@shutdown\npagers/cow priv kmem=8192\n"
               "tests/forkmatrix pager=pagers/cow -- forks=%d seed=%d\n"
               % (n, seed)),
           passes="no wrong word; frames and kernel memory back to baseline"),
    Stress("pagerkill", "a pager killed mid-fault: its client blocked in the "
           "fault IPC (send or receive phase, alternately) reaches its "
           "exception handler, gets a new pager and goes on", "kills", 1000,
           900, r"pagerkill: (\d+) pagers killed mid-fault",
           config=lambda n, seed: (
               "@shutdown\ntests/pagerkill priv -- rounds=%d\n" % n),
           passes="every fault ends at the handler, no hang; memory back "
           "to baseline"),
    Stress("exhaust", "kernel-memory exhaustion: one task exhausts its quota "
           "with threads, spaces, and mappings with their page tables, "
           "round after round, while another task calls sigma0 and takes "
           "page faults", "rounds", 100, 1800,
           r"exhaust: (\d+) rounds of quota exhaustion",
           config=lambda n, seed: (
               "@shutdown\ntests/exhaust priv -- rounds=%d\n"
               "tests/exhaust -- victim\n" % n),
           passes="every round ends in E_NO_MEMORY for each kind; every "
           "call and fault of the other task works; memory back to "
           "baseline"),
    Stress("forkbomb", "fork bomb through the copy-on-write pager, whose "
           "quota is most of the kernel pool (12 MiB of 16): children fork "
           "and take page tables until the kernel refuses, round after "
           "round", "rounds", 20, 1800, r"forkbomb: (\d+) rounds",
           config=lambda n, seed: (
               "@shutdown\npagers/cow priv kmem=12288\n"
               "tests/forkbomb pager=pagers/cow -- rounds=%d kmem=12288\n" % n),
           passes="clean errors (refused forks, children stopped for want "
           "of memory), the pool never below its reserve, no panic; "
           "memory back to baseline"),
]


def run_host(s, n, seed, log):
    cmd, env = s.host(n, seed)
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **env),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=s.timeout)
        out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode("utf-8", "replace"), "timeout"
    with open(log, "w") as f:
        f.write(out)
    reasons = [] if rc == 0 else ["exit %s" % rc]
    return out, reasons, time.monotonic() - start


def run_qemu(s, n, seed, log):
    cfg = os.path.join(OUT, s.name + ".cfg")
    with open(cfg, "w") as f:
        f.write(s.config(n, seed))
    with open(log, "wb") as sink:
        _, outcome = pq.boot(os.path.relpath(cfg, ROOT), timeout=s.timeout,
                             sinks=[sink], capture=True, echo_stderr=False)
    test = runtests.SysTest(s.name, cfg, s.timeout, [])
    reasons = runtests.judge(test, outcome)
    return outcome.output.decode("utf-8", "replace"), reasons, outcome.elapsed


def run_one(s, scale, seed):
    """Run S at SCALE once per seed (S.seeds of them, from SEED); one
    result with the smallest scale any run reached."""
    n = max(1, int(s.full * scale))
    fn = run_host if s.host else run_qemu
    reasons, reached, secs, logs = [], None, 0.0, []
    for k in range(s.seeds):
        sd = seed + k
        log = os.path.join(OUT, "%s%s.log" % (s.name, "-%d" % sd if s.seeds > 1 else ""))
        print("stress %-12s %s %s, seed %d ..." % (s.name, f"{n:,}", s.unit, sd),
              flush=True)
        out, why, t = fn(s, n, sd, log)
        secs += t
        logs.append(os.path.relpath(log, ROOT))
        got = [int(m) for m in re.findall(s.summary, out, re.MULTILINE)]
        if not got and not why:
            why.append("no summary line /%s/" % s.summary)
        r = min(got) if got else 0
        if got and r < n:
            why.append("reached %d of %d %s" % (r, n, s.unit))
        reached = r if reached is None else min(reached, r)
        reasons += ["seed %d: %s" % (sd, w) for w in why]
    ok = not reasons
    print("%s stress %-12s %s %s%s in %.0f s%s" % (
        "ok  " if ok else "FAIL", s.name, f"{reached:,}", s.unit,
        " x %d seeds" % s.seeds if s.seeds > 1 else "", secs,
        "" if ok else ": " + "; ".join(reasons)), flush=True)
    return {"name": s.name, "what": s.what, "unit": s.unit, "target": n,
            "reached": reached, "seeds": list(range(seed, seed + s.seeds)),
            "seconds": round(secs, 1), "passed": ok,
            "passes_when": s.passes, "reasons": reasons, "logs": logs}


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", default=[],
                    help="run only this stress (repeatable)")
    ap.add_argument("--quick", action="store_true",
                    help="1/100 of the full scale (a smoke run)")
    ap.add_argument("--scale", type=float, default=None,
                    help="fraction of the full scale")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)
    if args.list:
        for s in STRESSES:
            print("%-12s %s %s: %s" % (s.name, f"{s.full:,}", s.unit, s.what))
        return 0
    names = {s.name for s in STRESSES}
    for o in args.only:
        if o not in names:
            print("stress: no stress %r (see --list)" % o, file=sys.stderr)
            return 2
    scale = args.scale if args.scale else (0.01 if args.quick else 1.0)
    os.makedirs(OUT, exist_ok=True)
    results = [run_one(s, scale, args.seed) for s in STRESSES
               if not args.only or s.name in args.only]
    failed = sum(not r["passed"] for r in results)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump({"scale": scale, "seed": args.seed, "results": results}, f,
                  indent=1)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    print("stress: wrote build/stress/results.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
