#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run Pagoda's tests: Check unit tests on the host, system tests in QEMU.

usage: python3 tools/runtests.py [--only NAME] [--unit-only] [--sys-only]
                                 [--jobs N] [--verbose] [--debug]

Unit tests are the executables in build/unit/, one per suite, and the host
tools' own tests (tools/test_tools.py, the suite "tools"). System tests
are the named table tests/sys/tests.txt (its header gives the format and
the pass rule); each run's serial output is kept in build/sys/<name>.log.
--only takes a system test name, "sys/<name>", "unit/<suite>" or a suite.

The last line printed is "N passed, M failed", counting each Check test and
each system test once. Exit status: 0 if all passed, 1 if anything failed
or nothing ran, 2 for bad usage.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_qemu as pq  # noqa: E402

ROOT = pq.ROOT
UNIT_DIR = os.path.join(ROOT, pq.BUILD, "unit")
SYS_TABLE = os.path.join(ROOT, "tests", "sys", "tests.txt")
SYS_LOGS = os.path.join(ROOT, pq.BUILD, "sys")
UNIT_TIMEOUT = 600       # seconds for one unit-test binary, as a backstop
TAIL_LINES = 30          # log lines shown for a failed test

# --debug (make test's second pass, on the DEBUG=1 build: the kernel's
# check after every change of what it touched, and every checker whole on
# an amortised budget, kernel/kdebug_change.c): system tests get
# DEBUG_SLOWDOWN times their timeout (test scripts that boot QEMU
# themselves read it from PAGODA_SLOWDOWN). DEBUG_SKIP names the system
# tests left out of that pass: none. (Until the check after a change
# became local, 17 were: every benchmark smoke test, the cache-model
# experiments, file, fpu, forkmatrix, colour_exhaust, poolhog and
# srvattack_ram, which a whole-structure check after each change made
# quadratic -- file took 666 s. Each now passes there: file in 47 s,
# rt_cachemiss 42 s, rt_isolation 32 s, bench_fork 17 s, the rest under
# 15 s, on the 2 shared cores at a load near 10. At 6afa562 both passes
# ran the same 331 tests, and the whole of `make test` took 2 min 14 s on
# an idle machine.)
DEBUG_SLOWDOWN = 5
DEBUG_SKIP = frozenset()

# Serial-output lines that fail a system test wherever they appear, even
# in a task's (marked) line.
BAD_LINE = re.compile(r"\bnot ok\b|PANIC|KERNEL FAULT|RESULT: FAIL")
# The verdict counts only from the root task: a whole line without a
# task's mark (kernel/console.c; any task can print the words).
PASS_LINE = "RESULT: PASS"

# Check's per-test line: file:line:P|F|E:tcase:test:iteration: message
CHECK_TEST = re.compile(
    r"^(?P<where>.+?:\d+):(?P<kind>[PFE]):(?P<tcase>[^:]*):(?P<test>[^:]*)"
    r":-?\d+: ?(?P<msg>.*)$")
# Check's summary line: 100%: Checks: 12, Failures: 0, Errors: 0
CHECK_SUMMARY = re.compile(
    r"^\d+%: Checks: (\d+), Failures: (\d+), Errors: (\d+)")


@dataclass
class Result:
    """What one unit-test binary or one system test produced."""
    name: str                               # "unit/<suite>" or "sys/<name>"
    passed: int = 0
    failed: int = 0
    failures: list = field(default_factory=list)   # one line each
    passes: list = field(default_factory=list)     # names, for --verbose
    detail: list = field(default_factory=list)     # lines shown on failure
    elapsed: float = 0.0
    has_summary: bool = False                      # unit: Check summarised


@dataclass
class SysTest:
    """One line of tests/sys/tests.txt."""
    name: str
    config: str
    timeout: float
    expects: list
    disk: list = None     # how to make its disk image (disk=...), or None
    check: list = None    # host command run on the image afterwards
    drive: str = ""       # options for QEMU's -drive (drive=...)


# ---------------------------------------------------------------- unit tests

def unit_suites():
    """Return the names of the unit-test executables, sorted."""
    if not os.path.isdir(UNIT_DIR):
        return []
    return sorted(n for n in os.listdir(UNIT_DIR)
                  if os.path.isfile(os.path.join(UNIT_DIR, n))
                  and os.access(os.path.join(UNIT_DIR, n), os.X_OK))


def describe_status(rc):
    """Say how a process with return code RC ended."""
    if rc < 0:
        try:
            return "killed by signal %d (%s)" % (-rc, signal.Signals(-rc).name)
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %d" % rc


# The host tools' own tests (Python unittest), run as the suite unit/tools.
TOOLS_SUITE = "tools"
TOOLS_TESTS = os.path.join("tools", "test_tools.py")
UNITTEST_LINE = re.compile(r"^(test\w+) \(([\w.]+)\) \.\.\. (ok|FAIL|ERROR|skipped)")


def run_tools():
    """Run tools/test_tools.py and count its tests into a Result."""
    res = Result("unit/" + TOOLS_SUITE)
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "unittest", "-v", TOOLS_TESTS],
                              cwd=ROOT, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=UNIT_TIMEOUT)
        rc, err = proc.returncode, proc.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, err = None, ""
    res.elapsed = time.monotonic() - start
    for m in filter(None, (UNITTEST_LINE.match(l) for l in err.splitlines())):
        if m[3] == "ok":
            res.passed += 1
            res.passes.append(m[1])
        elif m[3] != "skipped":
            res.failed += 1
            res.failures.append("%s (%s): %s" % (m[1], m[2], m[3]))
    if rc != 0 and not res.failed:
        res.failed = 1
        res.failures.append("%s: %s" % (TOOLS_TESTS, "timeout" if rc is None
                                         else describe_status(rc)))
    if res.failed:
        res.detail = err.splitlines()[-TAIL_LINES:]
    return res


def run_unit(suite):
    """Run one unit-test binary and parse Check's output into a Result."""
    if suite == TOOLS_SUITE:
        return run_tools()
    res = Result("unit/" + suite)
    # Check's default 4 s per test is too tight for the randomised suites
    # under ASan on a loaded 2-core machine; a hang is still caught.
    env = dict(os.environ, CK_VERBOSE="1", CK_VERBOSITY="verbose",
               CK_FORK="yes", CK_DEFAULT_TIMEOUT="120")
    start = time.monotonic()
    try:
        proc = subprocess.run([os.path.join(UNIT_DIR, suite)], cwd=ROOT,
                              env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=UNIT_TIMEOUT)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or b"", e.stderr or b""
    except OSError as e:
        rc, out, err = None, b"", str(e).encode()
    res.elapsed = time.monotonic() - start
    out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    parse_check(res, out)
    # Sanitizer reports and crash messages go to stderr; after a crash,
    # stdout shows how far the tests got.
    shown = err.strip() or (out.strip() if check_exit(res, rc) else "")
    if res.failed:
        res.detail = shown.splitlines()[-TAIL_LINES:]
    return res


def parse_check(res, out):
    """Count Check's per-test lines and summary lines from OUT into RES."""
    summaries = [CHECK_SUMMARY.match(l) for l in out.splitlines()]
    summaries = [m for m in summaries if m]
    for line in out.splitlines():
        m = CHECK_TEST.match(line)
        if not m:
            continue
        name = "%s:%s" % (m["tcase"], m["test"])
        if m["kind"] == "P":
            res.passes.append(name)
        else:
            kind = "failure" if m["kind"] == "F" else "error"
            res.failures.append("%s: %s (%s, %s)" % (name, m["msg"], kind,
                                                     m["where"]))
    if summaries:
        checks = sum(int(m[1]) for m in summaries)
        res.failed = sum(int(m[2]) + int(m[3]) for m in summaries)
        res.passed = checks - res.failed
    else:
        res.passed, res.failed = len(res.passes), len(res.failures)
    res.has_summary = bool(summaries)


def check_exit(res, rc):
    """Count a crash, a hang or an unexplained failing exit as one failure.

    Return True if RC added such a failure to RES.
    """
    if rc is None:
        problem = "did not finish within %ds" % UNIT_TIMEOUT
    elif not res.has_summary:
        problem = "no Check summary line (%s)" % describe_status(rc)
    elif rc != 0 and res.failed == 0:
        problem = "%s after all tests passed" % describe_status(rc)
    elif rc < 0:
        problem = describe_status(rc)
    else:
        return False
    res.failed += 1
    res.failures.append("%s: %s" % (res.name, problem))
    return True


# -------------------------------------------------------------- system tests

def read_table(path=SYS_TABLE):
    """Parse tests/sys/tests.txt; raise ValueError on a malformed line."""
    tests, names = [], set()
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    rel = os.path.relpath(path, ROOT)
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"\s*(\S+)\s+(\S+)\s+(\S+)\s*(.*)$", line)
        if not m:
            raise ValueError("%s:%d: want: name config timeout_s [regex ; ...]"
                             % (rel, n))
        name, config, timeout, rest = m.groups()
        fields, rest = disk_fields(rest)
        if (fields.get("check") or fields.get("drive")) and not fields.get("disk"):
            raise ValueError("%s:%d: check= and drive= need disk=" % (rel, n))
        try:
            timeout = float(timeout)
            expects = [e.strip() for e in re.split(r"(?<!\\);", rest)]
            expects = [e for e in expects if e]
            for e in expects:
                re.compile(e)
        except ValueError:
            raise ValueError("%s:%d: bad timeout %r" % (rel, n, timeout))
        except re.error as e:
            raise ValueError("%s:%d: bad regex: %s" % (rel, n, e))
        if name in names:
            raise ValueError("%s:%d: duplicate test name %r" % (rel, n, name))
        if timeout <= 0:
            raise ValueError("%s:%d: timeout must be positive" % (rel, n))
        names.add(name)
        tests.append(SysTest(name, config, timeout, expects,
                             fields.get("disk"), fields.get("check"),
                             ",".join(fields.get("drive", []))))
    return tests


def disk_fields(rest):
    """Split leading disk=A,B,..., check=A,B,... and drive=O,... words
    off REST.

    Return ({"disk": [A, B, ...], "check": [...], ...}, the remaining text).
    """
    fields = {}
    while True:
        m = re.match(r"(disk|check|drive)=(\S+)\s*(.*)$", rest)
        if not m:
            return fields, rest
        fields[m[1]] = m[2].split(",")
        rest = m[3]


def host_command(argv, image):
    """ARGV with IMAGE appended, as run from ROOT (a .py through python3,
    a .sh through sh)."""
    if argv[0].endswith(".py"):
        argv = ["python3"] + argv
    elif argv[0].endswith(".sh"):
        argv = ["sh"] + argv
    return argv + [image]


def make_disk(test, image):
    """Make TEST's disk image at IMAGE; return None or why it failed."""
    if os.path.exists(image):
        os.unlink(image)
    src = os.path.join(ROOT, test.disk[0])
    try:
        if os.path.isdir(src):
            size = int(test.disk[1]) if len(test.disk) > 1 else 64
            pq.make_fat_image(src, image, size)
            return None
        if src.endswith(".img"):
            shutil.copyfile(src, image)
            return None
    except (pq.BootError, OSError, ValueError) as e:
        return "disk: %s" % e
    res = subprocess.run(host_command(test.disk, image), cwd=ROOT,
                         capture_output=True, text=True)
    if res.returncode != 0 or not os.path.isfile(image):
        out = (res.stdout + res.stderr).strip().splitlines()
        return "disk: %s failed: %s" % (test.disk[0], out[-1] if out else
                                        "status %d" % res.returncode)
    return None


def check_disk(test, image, log):
    """Run TEST's host check on IMAGE, output to LOG; None or why it failed."""
    res = subprocess.run(host_command(test.check, image), cwd=ROOT,
                         capture_output=True, text=True)
    out = (res.stdout + res.stderr).strip()
    log.write(("--- runtests: check %s (status %d)\n%s\n"
               % (" ".join(test.check), res.returncode, out)).encode())
    if res.returncode != 0:
        lines = out.splitlines()
        return "check %s: %s" % (test.check[0], lines[-1] if lines else
                                 "status %d" % res.returncode)
    return None


def missing_programs(config):
    """Return the images CONFIG names that are not built.

    qemu.py boots without them (init then reports the line), which is how
    a configuration that is bad on purpose says so: with @expect-skipped.
    Any other test must not run with a program missing.
    """
    path = os.path.join(ROOT, config)
    with open(path, encoding="utf-8", errors="replace") as f:
        if any(l.split()[:1] == ["@expect-skipped"] for l in f):
            return []
    return [i for i in pq.config_images(config)
            if not os.path.isfile(os.path.join(ROOT, pq.BUILD, i + ".elf"))]


class Runner:
    """Runs system tests, possibly several at once, and stops them on ^C."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.lock = threading.Lock()
        self.procs = set()
        self.stopping = False

    def track(self, proc):
        """Remember a running QEMU (pagoda_qemu.run's on_start hook)."""
        with self.lock:
            self.procs.add(proc)
            if self.stopping:
                proc.terminate()

    def stop_all(self):
        """Stop every QEMU this runner started and start no more."""
        with self.lock:
            self.stopping = True
            for proc in self.procs:
                if proc.poll() is None:
                    proc.terminate()

    def run_script(self, test, res, log_path):
        """A test run by a script (config ending in .py), judged alike."""
        out = script_outcome(test, log_path)
        res.elapsed = out.elapsed
        reasons = judge(test, out)
        if reasons:
            res.failed = 1
            res.failures.append("; ".join(reasons))
        else:
            res.passed = 1
        with open(log_path, "rb") as f:
            res.detail = f.read().decode("utf-8", "replace").splitlines()[-TAIL_LINES:]
        return res

    def run(self, test):
        """Boot TEST, keep its log, and judge the run."""
        res = Result("sys/" + test.name)
        if self.stopping:
            res.failed = 1
            res.failures.append("not run: interrupted")
            return res
        os.makedirs(SYS_LOGS, exist_ok=True)
        log_path = os.path.join(SYS_LOGS, test.name + ".log")
        if test.config.endswith(".py"):
            return self.run_script(test, res, log_path)
        image = os.path.join(SYS_LOGS, test.name + ".img") if test.disk else None
        with open(log_path, "wb") as log:
            why = make_disk(test, image) if image else None
            try:
                if why:
                    raise pq.BootError(why)
                missing = missing_programs(test.config)
                if missing:
                    raise pq.BootError("not built: %s" % ", ".join(
                        "%s/%s.elf" % (pq.BUILD, m) for m in missing))
                cmd, out = pq.boot(test.config, timeout=test.timeout,
                                   sinks=[log], stdin=subprocess.DEVNULL,
                                   capture=True, echo_stderr=False,
                                   on_start=self.track,
                                   disk=image and os.path.relpath(image, ROOT),
                                   drive_opts=test.drive)
            except pq.BootError as e:
                log.write(("runtests: %s\n" % e).encode())
                res.failed = 1
                res.failures.append(str(e))
                return res
            log.write(log_trailer(out).encode())
            checked = check_disk(test, image, log) if test.check else None
        res.elapsed = out.elapsed
        reasons = judge(test, out)
        if checked:
            reasons.append(checked)
        if reasons:
            res.failed = 1
            res.failures.append("; ".join(reasons))
        else:
            res.passed = 1
        with open(log_path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").splitlines()
        res.detail = lines if self.verbose else lines[-TAIL_LINES:]
        if self.verbose:
            res.detail = ["$ " + pq.shell_quote(cmd)] + res.detail
        return res


def script_outcome(test, log_path):
    """Run a test whose "config" is a script (python3 SCRIPT --check; it
    boots QEMU itself, e.g. with a plugin); return an Outcome-like result
    that judge() takes."""
    start = time.monotonic()
    try:
        r = subprocess.run([sys.executable, os.path.join(ROOT, test.config), "--check"],
                           cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=test.timeout)
        out = pq.Outcome("guest-exit" if r.returncode == 0 else "exit",
                         0 if r.returncode == 0 else r.returncode,
                         output=r.stdout, stderr=r.stderr.decode("utf-8", "replace"))
    except subprocess.TimeoutExpired as e:
        out = pq.Outcome("timeout", output=e.stdout or b"")
    out.elapsed = time.monotonic() - start
    with open(log_path, "wb") as log:
        log.write(out.output)
        log.write(log_trailer(out).encode())
    return out


def log_trailer(out):
    """The lines runtests appends to a log: how QEMU ended, its stderr."""
    text = "" if out.output.endswith(b"\n") or not out.output else "\n"
    text += "--- runtests: %s (%.1fs)\n" % (out.describe(), out.elapsed)
    err = [l for l in out.stderr.splitlines()
           if l.strip() and "terminating on signal" not in l]
    if err:
        text += "--- QEMU stderr:\n" + "\n".join(err) + "\n"
    return text


def judge(test, out):
    """Return why the run OUT of TEST failed, or [] if it passed."""
    text = out.output.decode("utf-8", "replace").replace("\r", "")
    lines = text.split("\n")    # not splitlines: it also breaks at \x85, \u2028 ...
    reasons = []
    bad = next((l for l in lines if BAD_LINE.search(l)), None)
    if bad is not None:
        reasons.append("bad line: %s" % bad.strip()[:200])
    if not out.output:
        reasons.append("silence (no serial output)")
    if out.kind == "timeout":
        reasons.append("timeout after %gs" % test.timeout)
    elif not out.ok():
        reasons.append(out.describe())
    if reasons:
        return reasons
    if not any(l.rstrip() == PASS_LINE for l in lines if pq.is_trusted(l)):
        reasons.append("no '%s' line" % PASS_LINE)
    for e in test.expects:
        if not re.search(e, text, re.MULTILINE):
            reasons.append("expected /%s/ not found" % e)
    return reasons


# ------------------------------------------------------------------- driver

def parse_args(argv):
    """Parse the command line."""
    p = argparse.ArgumentParser(
        prog="runtests.py", description="Run Pagoda's unit and system tests.")
    p.add_argument("--only", metavar="NAME",
                   help="one system test, or unit/<suite> or a suite name")
    p.add_argument("--unit-only", action="store_true", help="only unit tests")
    p.add_argument("--sys-only", action="store_true", help="only system tests")
    p.add_argument("--jobs", "-j", type=int, default=2, metavar="N",
                   help="tests run at once (default 2)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="list every test; print whole system-test logs")
    p.add_argument("--debug", action="store_true",
                   help="the DEBUG=1 build: longer timeouts, no benchmark "
                        "smoke tests")
    args = p.parse_args(argv)
    if args.unit_only and args.sys_only:
        p.error("--unit-only and --sys-only exclude each other")
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    return args


def select(args, suites, tests):
    """Apply --only/--unit-only/--sys-only; return (suites, tests)."""
    if args.sys_only:
        suites = []
    if args.unit_only:
        tests = []
    if args.only:
        only = args.only
        if only.startswith("unit/"):
            suites, tests = [s for s in suites if s == only[5:]], []
        elif only.startswith("sys/"):
            suites, tests = [], [t for t in tests if t.name == only[4:]]
        else:
            tests = [t for t in tests if t.name == only]
            suites = [] if tests else [s for s in suites if s == only]
    if args.debug:
        os.environ["PAGODA_SLOWDOWN"] = str(DEBUG_SLOWDOWN)
        for t in tests:
            t.timeout *= DEBUG_SLOWDOWN
        if not args.only:
            skipped = [t.name for t in tests if t.name in DEBUG_SKIP]
            tests = [t for t in tests if t.name not in DEBUG_SKIP]
            print("runtests: DEBUG=1 build, timeouts x%d; left out: %s" %
                  (DEBUG_SLOWDOWN, " ".join(skipped) or "nothing"))
    return suites, tests


def report(res, verbose):
    """Print one result: a line, then failures (and log lines) indented."""
    if res.name.startswith("unit/"):
        print("%s: %d passed, %d failed" % (res.name, res.passed, res.failed))
        if verbose:
            for name in res.passes:
                print("    ok   %s" % name)
        for f in res.failures:
            print("    FAIL %s" % f)
    elif res.failed:
        print("FAIL %s: %s" % (res.name, res.failures[0]))
    else:
        print("ok   %s (%.1fs)" % (res.name, res.elapsed))
    if res.failed or (verbose and res.name.startswith("sys/")):
        for line in res.detail:
            print("    | " + line)
    sys.stdout.flush()


def run_all(fn, items, jobs, runner=None):
    """Apply FN to ITEMS on JOBS threads; yield results in ITEMS order."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        for res in pool.map(fn, items):
            yield res
    except KeyboardInterrupt:
        if runner:
            runner.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def main(argv):
    """Run the selected tests and return the exit status."""
    args = parse_args(argv)
    try:
        tests = read_table()
    except ValueError as e:
        print("runtests: %s" % e, file=sys.stderr)
        return 1
    suites, tests = select(args, unit_suites() + [TOOLS_SUITE], tests)
    if args.only and not suites and not tests:
        print("runtests: no test named %r (see tests/sys/tests.txt and "
              "build/unit/)" % args.only, file=sys.stderr)
    passed = failed = 0
    runner = Runner(args.verbose)
    try:
        for fn, items in ((run_unit, suites), (runner.run, tests)):
            for res in run_all(fn, items, args.jobs, runner):
                report(res, args.verbose)
                passed += res.passed
                failed += res.failed
    except KeyboardInterrupt:
        print("\nruntests: interrupted", file=sys.stderr)
        print("%d passed, %d failed" % (passed, failed))
        return 130
    if passed + failed == 0:
        print("runtests: nothing ran", file=sys.stderr)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed + failed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
