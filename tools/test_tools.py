#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Self-tests of the host tools that judge and boot runs (issue 8).

run by tools/runtests.py as the suite unit/tools (python3 -m unittest):
  - the runner trusts a verdict only from an unmarked console line
    (the kernel marks task lines, kernel/console.c), and still fails a
    run on "not ok" or PANIC wherever it appears;
  - the benchmark parser reads what marked task lines say;
  - qemu.py reports a configuration that is not valid UTF-8 as an error
    (exit status 2), not with a traceback;
  - kernel_deps.py fails the kernel build on a file from outside kernel/,
    lib/ and include/ (issue 12).
"""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import kernel_deps  # noqa: E402
import lint  # noqa: E402
import pagoda_qemu as pq  # noqa: E402
import runtests  # noqa: E402

TEST = runtests.SysTest("t", "cfg", 10.0, [])


def judge(text, kind="guest-exit", status=0):
    """Judge serial output TEXT as runtests does."""
    return runtests.judge(TEST, pq.Outcome(kind, status, 1.0, "", text.encode()))


class Verdict(unittest.TestCase):
    def test_root_task_pass(self):
        self.assertEqual(judge("init: done\nRESULT: PASS\n"), [])

    def test_forged_pass_is_not_trusted(self):
        why = judge("230001| RESULT: PASS\n")
        self.assertTrue(any("RESULT: PASS" in w for w in why), why)

    def test_unicode_line_breaks_do_not_start_a_line(self):
        for brk in ("\x85", "\u2028", "\x0b", "\x1e"):
            self.assertTrue(judge("230001| x%sRESULT: PASS\n" % brk), repr(brk))

    def test_pass_inside_a_line_is_not_a_verdict(self):
        self.assertTrue(judge("init: tests/x says RESULT: PASS\n"))

    def test_bad_lines_count_anywhere(self):
        for bad in ("230001| not ok - x", "2000001| PANIC: y", "230001| RESULT: FAIL"):
            self.assertTrue(judge(bad + "\nRESULT: PASS\n"), bad)

    def test_marks(self):
        self.assertFalse(pq.is_trusted("230001| RESULT: PASS"))
        self.assertTrue(pq.is_trusted("RESULT: PASS"))
        self.assertTrue(pq.is_trusted("[kernel] thread 230001 stopped"))
        self.assertEqual(pq.unmark("2a0001| BENCH-END ok"), "BENCH-END ok")


class BenchParse(unittest.TestCase):
    def test_marked_lines(self):
        text = ("230001| BENCH name=ipc unit=insn iters=10 min=1 median=2 max=3\n"
                "230001| HIST name=ipc 2x10\n230001| BENCH-END ok\n")
        results, done = bench.parse_output(text)
        self.assertTrue(done)
        self.assertEqual(results["ipc"].median, 2)
        self.assertEqual(results["ipc"].hist, [[2, 10]])


class QemuConfig(unittest.TestCase):
    def write(self, data):
        fd, path = tempfile.mkstemp(suffix=".cfg", dir=os.path.join(pq.ROOT, "build"))
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        self.addCleanup(os.unlink, path)
        return path

    def test_not_utf8(self):
        path = self.write(b"@shutdown\ntests/hello \xff\xfe\n")
        with self.assertRaises(pq.BootError) as e:
            pq.config_images(os.path.relpath(path, pq.ROOT))
        self.assertIn(":2: not valid UTF-8", str(e.exception))

    def test_qemu_py_says_so(self):
        path = self.write(b"tests/hello\n\x80\n")
        proc = subprocess.run([sys.executable, os.path.join(pq.ROOT, "tools", "qemu.py"),
                               "--config", path, "--dry-run"],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertIn("not valid UTF-8", proc.stderr)

    def test_bench_clock_with_a_disk(self):
        """A benchmark boot with a disk lets the idle guest's clock run at
        real speed (docs/benchmarks.md, "The guest clock across disk
        waits"); one without stays deterministic."""
        path = os.path.relpath(self.write(b"@shutdown\ntests/hello\n"), pq.ROOT)
        disk = os.path.relpath(self.write(b""), pq.ROOT)
        with_disk = pq.qemu_command(path, bench=True, disk=disk)
        without = pq.qemu_command(path, bench=True)
        self.assertEqual(with_disk[with_disk.index("-icount") + 1], "shift=0,sleep=on")
        self.assertEqual(without[without.index("-icount") + 1], "shift=0,sleep=off")


class KernelDeps(unittest.TestCase):
    """tools/kernel_deps.py: the kernel built from kernel/, lib/, include/."""

    def test_clean(self):
        d = "build/k/kernel/x.o: kernel/x.c \\\n  lib/string.h include/pagoda/types.h\nlib/string.h:\n"
        self.assertEqual([kernel_deps.foreign(p, pq.ROOT) for p in kernel_deps.deps(d)],
                         [None, None, None])

    def test_libmap_header_by_any_path(self):
        for path in ("libmap/layout.h", "./libmap/util.h", "kernel/../libmap/libmap.h",
                     os.path.join(pq.ROOT, "sigma0", "x.h"), "../elsewhere.h"):
            self.assertIsNotNone(kernel_deps.foreign(path, pq.ROOT), path)

    def test_fails_the_build(self):
        fd, path = tempfile.mkstemp(suffix=".d", dir=os.path.join(pq.ROOT, "build"))
        with os.fdopen(fd, "w") as f:
            f.write("build/k/kernel/x.o: kernel/x.c libmap/layout.h\n")
        self.addCleanup(os.unlink, path)
        proc = subprocess.run([sys.executable, os.path.join(pq.ROOT, "tools", "kernel_deps.py"), path],
                              capture_output=True, text=True, cwd=pq.ROOT)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("libmap/layout.h", proc.stderr)


class Lint(unittest.TestCase):
    """tools/lint.py: the trailing-comment relaxation, the compile commands
    it takes from make's, and a format finding with its line."""

    def test_trailing_comment_moves_are_dropped(self):
        src = b"int a;    /* x */\n\tint b; // y\n"
        self.assertTrue(lint.moves_trailing_comment(src, 6, 4, b" "))
        self.assertTrue(lint.moves_trailing_comment(src, 25, 1, b"  "))

    def test_other_whitespace_is_kept(self):
        src = b"int a;/* x */\n  int  b;\n\t/* c */\n"
        self.assertFalse(lint.moves_trailing_comment(src, 6, 0, b" "))   # none before: add one
        self.assertFalse(lint.moves_trailing_comment(src, 19, 2, b" "))  # not before a comment
        self.assertFalse(lint.moves_trailing_comment(src, 24, 1, b"\t\t"))  # indentation
        self.assertFalse(lint.moves_trailing_comment(src, 6, 0, b"\n"))

    def test_entries_of_a_multi_file_command(self):
        argv = ["cc", "-O2", "-Iinclude", "-o", "build/x", "a.c", "b.c", "t.S", "-lcheck", "-MMD"]
        es = lint.entries_of(argv)
        self.assertEqual([e["file"] for e in es], ["a.c", "b.c"])
        self.assertEqual(es[1]["arguments"], ["cc", "-O2", "-Iinclude", "-c", "b.c"])

    def test_format_finding(self):
        if not lint.shutil.which(lint.CLANG_FORMAT):
            self.skipTest("no clang-format")
        fd, path = tempfile.mkstemp(suffix=".c", dir=os.path.join(pq.ROOT, "build"))
        with os.fdopen(fd, "w") as f:
            f.write("int x;       /* hand-aligned */\nint  f( int a ){return a;}\n")
        self.addCleanup(os.unlink, path)
        rel = os.path.relpath(path, pq.ROOT)
        found = lint.format_check({rel: None})
        self.assertEqual(len(found), 1, found)
        self.assertTrue(found[0].startswith(rel + ":2: clang-format:"), found[0])
        self.assertEqual(lint.format_check({rel: [(1, 1)]}), [])


if __name__ == "__main__":
    unittest.main()
