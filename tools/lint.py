#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Lint and format Pagoda's C sources (docs/style.md).

usage: python3 tools/lint.py [check] [FILE...]   clang-format and clang-tidy
       python3 tools/lint.py format-check [FILE...]
       python3 tools/lint.py tidy [FILE...]
       python3 tools/lint.py format [--all] [FILE...]
       python3 tools/lint.py compdb

`check` (what `make lint` runs) reports every place where a file differs
from .clang-format and every clang-tidy finding (.clang-tidy), one
"file:line: ..." line each, and exits 1 if there is any. Without FILE it
checks every C file of the project (PROJECT_DIRS and tools/*.c).

`format` rewrites files in place to .clang-format: the named files, or
without any the C files changed against main (committed on this branch or
not), or with --all every project file.

`compdb` writes build/compile_commands.json: one entry per C file with the
flags its make rule uses, asked of make itself (`make -n -B`), so that
clang-tidy (and an editor's clangd) sees what the compiler sees. A file
built several ways (libmap/elf.c: kernel, user and host) is checked once,
the first way make lists it (kernel before user before host).

One relaxation of clang-format (version 14 has no option for it): a
trailing /* comment */ after code may stand at any column, at least one
space after the code. The code aligns such comments by hand, in groups,
which clang-format 14 would redo tightly; its replacements that only move
a trailing comment are dropped, in the check and in `format` alike.
"""

import concurrent.futures
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT_DIRS = ("kernel", "libmap", "lib", "include", "sigma0", "init", "pagers",
                "rt-alloc", "drivers", "fs", "demos", "tests")
COMPDB_DIR = os.path.join("build", "lint")
# What make builds, and so what `make -n -B` lists the compile commands of.
MAKE_TARGETS = ("all", "unit-build", "bench-linux-init")
# Host tools built outside make (tools/bench.py, tools/rt_isolation.py).
PLUGIN_FLAGS = ["cc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-shared", "-fPIC"]
JOBS = 2
# The format baseline: clang-format holds every line changed since this
# commit (the tree .clang-format was tuned on); older lines keep their hand
# layout until someone edits them. LINT_BASE=commit overrides it, and
# LINT_BASE= (empty) or --all checks whole files.
FORMAT_BASE = "c02285c69be19e353ad01d750a9884d5b83d2e57"
CLANG_FORMAT = "clang-format"
CLANG_TIDY = "clang-tidy"


def run(argv, **kw):
    return subprocess.run(argv, cwd=ROOT, capture_output=True, **kw)


def is_c(path):
    return path.endswith((".c", ".h"))


def in_project(path):
    top = path.split("/", 1)[0]
    if top == "tools":
        return path.count("/") == 1 and path.endswith(".c")
    return top in PROJECT_DIRS and is_c(path)


def project_files():
    """Every C file of the project, tracked or new (not ignored)."""
    r = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], text=True)
    if r.returncode == 0:
        names = r.stdout.split()
    else:
        names = [os.path.relpath(os.path.join(d, f), ROOT)
                 for d, _, fs in os.walk(ROOT) for f in fs]
    return sorted(n for n in set(names)
                  if in_project(n) and os.path.isfile(os.path.join(ROOT, n)))


def changed_lines(files, base):
    """{file: [(first, last), ...]}: the lines of FILES that differ from
    commit BASE (committed since, or not yet); a file new since BASE (or
    not yet added) is one range, the whole file. Files unchanged are left
    out."""
    r = run(["git", "cat-file", "-e", base + "^{commit}"])
    if r.returncode:
        # A shallow clone, or a tree without git: nothing to diff against.
        # The layout of older lines is unknown there, so the format check
        # says so and checks nothing rather than fail on untouched lines.
        print("lint: the format baseline %s is not in this repository (a shallow "
              "clone?): format check skipped; LINT_BASE= checks whole files" % base,
              file=sys.stderr)
        return {}
    r = run(["git", "diff", "-U0", "--no-color", "--no-ext-diff", "-M", base, "--"] + files)
    if r.returncode:
        sys.exit("lint: git diff %s: %s" % (base, r.stderr.decode(errors="replace").strip()))
    ranges, path = {}, None
    for line in r.stdout.decode(errors="replace").splitlines():
        if line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else None
        elif line.startswith("@@ ") and path:
            m = HUNK.match(line)
            first, count = int(m[1]), int(m[2] or 1)
            if count:
                ranges.setdefault(path, []).append((first, first + count - 1))
    tracked = set(run(["git", "ls-files", "--"] + files, text=True).stdout.split())
    for f in files:
        if f not in tracked:
            ranges[f] = [(1, 1 << 30)]
    return {f: ranges[f] for f in files if f in ranges}


HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def format_scope(files, base):
    """{file: line ranges or None (the whole file)} that the format check
    and `format` cover: with a BASE, only lines changed since."""
    if not base:
        return {f: None for f in files}
    return changed_lines(files, base)


def rel(path):
    p = os.path.relpath(os.path.normpath(os.path.join(ROOT, path)), ROOT)
    return p


# ---- clang-format ----

TRAILING_WS = re.compile(rb"[ \t]+")


def moves_trailing_comment(src, off, length, text):
    """True if a replacement only changes the blank between code and a
    comment that follows it on the same line (the relaxation above)."""
    if length == 0 or not TRAILING_WS.fullmatch(src[off:off + length]):
        return False
    if not TRAILING_WS.fullmatch(text):
        return False
    if off == 0 or src[off - 1:off] in b" \t\n":
        return False
    return src.startswith(b"/*", off + length) or src.startswith(b"//", off + length)


def replacements(path, src, lines=None):
    """clang-format's replacements for SRC (bytes of PATH), within LINES
    (ranges of line numbers; None: everywhere), less the ones the
    relaxation drops: a list of (offset, length, text) in bytes."""
    argv = [CLANG_FORMAT, "--style=file", "--output-replacements-xml",
            "--assume-filename=" + path]
    argv += ["--lines=%d:%d" % r for r in lines or ()]
    r = run(argv, input=src)
    if r.returncode:
        raise RuntimeError("%s: clang-format: %s" % (path, r.stderr.decode(errors="replace").strip()))
    out = []
    for e in ET.fromstring(r.stdout).iter("replacement"):
        off, length = int(e.get("offset")), int(e.get("length"))
        text = (e.text or "").encode()
        if not moves_trailing_comment(src, off, length, text):
            out.append((off, length, text))
    return out


def apply(src, reps):
    for off, length, text in sorted(reps, reverse=True):
        src = src[:off] + text + src[off + length:]
    return src


def formatted(path, lines=None):
    """(original, formatted) bytes of PATH, formatted within LINES."""
    with open(os.path.join(ROOT, path), "rb") as f:
        src = f.read()
    return src, apply(src, replacements(path, src, lines))


def format_findings(path, src, new):
    """One finding per changed block: "file:line: clang-format: ..." and
    the lines it would become."""
    a = src.decode(errors="replace").splitlines()
    b = new.decode(errors="replace").splitlines()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        lines = ["%s:%d: clang-format: not as .clang-format lays it out (make format):" % (path, i1 + 1)]
        lines += ["\t-" + l.expandtabs(8) for l in a[i1:i2]]
        lines += ["\t+" + l.expandtabs(8) for l in b[j1:j2]]
        out.append("\n".join(lines))
    return out


def format_check(scope):
    """Findings for {file: line ranges or None}."""
    def one(item):
        src, new = formatted(*item)
        return format_findings(item[0], src, new) if new != src else []
    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        return [f for fs in ex.map(one, sorted(scope.items())) for f in fs]


def format_files(scope):
    """Rewrite {file: line ranges or None} in place; print what changed."""
    for path, lines in sorted(scope.items()):
        src, new = formatted(path, lines)
        if new != src:
            with open(os.path.join(ROOT, path), "wb") as f:
                f.write(new)
            print("formatted", path)


# ---- the compilation database ----

def make_commands(extra=()):
    """The compile commands make would run for MAKE_TARGETS (with make
    variables EXTRA, e.g. DEBUG=1), as argv lists."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = run(["make", "--no-print-directory", "-n", "-B", "Q="] + list(extra) + list(MAKE_TARGETS),
            text=True, env=env)
    if r.returncode:
        sys.exit("lint: make -n failed:\n" + r.stderr)
    cmds = []
    for line in r.stdout.splitlines():
        try:
            argv = shlex.split(line)
        except ValueError:
            continue
        if argv and os.path.basename(argv[0]) in ("clang", "cc", "gcc", os.environ.get("HOST_CC", "cc")):
            cmds.append(argv)
    return cmds


def entries_of(argv):
    """compile_commands entries for one compiler command line (one per .c)."""
    srcs = [a for a in argv[1:] if a.endswith(".c")]
    flags, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ("-o", "-MF", "-MT"):
            skip = True
        elif a in ("-c", "-MMD", "-MP", "-MD") or a in srcs or a.endswith((".o", ".a", ".S", ".s")) \
                or a.startswith("-l"):
            continue
        else:
            flags.append(a)
    return [{"directory": ROOT, "file": s, "arguments": flags + ["-c", s]} for s in srcs]


def plugin_entries():
    """The QEMU plugins in tools/, if qemu-plugin.h is at hand."""
    r = run(["sh", "tools/plugin_header.sh"], text=True)
    hdr = r.stdout.strip()
    if r.returncode or not os.path.isfile(hdr):
        return []
    return [{"directory": ROOT, "file": f,
             "arguments": PLUGIN_FLAGS + ["-isystem", os.path.dirname(hdr), "-c", f]}
            for f in ("tools/cachesim.c", "tools/insncount.c")]


def compdb():
    """Write build/lint/compile_commands.json; return {file: entry}."""
    seen = {}
    # The normal build first; then the DEBUG=1 build for the files only it
    # compiles (kernel/kdebug_change.c).
    for argv in make_commands() + make_commands(["DEBUG=1"]):
        for e in entries_of(argv):
            seen.setdefault(e["file"], e)
    for e in plugin_entries():
        seen.setdefault(e["file"], e)
    os.makedirs(os.path.join(ROOT, COMPDB_DIR), exist_ok=True)
    path = os.path.join(ROOT, COMPDB_DIR, "compile_commands.json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(list(seen.values()), f, indent=1)
    os.replace(tmp, path)
    return seen


# ---- clang-tidy ----

DIAG = re.compile(r"^(?P<file>[^:\s][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<kind>warning|error): (?P<msg>.*)$")


def tidy_one(path):
    """clang-tidy's findings for one translation unit, as (file, line, text)."""
    r = run([CLANG_TIDY, "--quiet", "-p", COMPDB_DIR, path], text=True)
    found = []
    for line in r.stdout.splitlines():
        m = DIAG.match(line)
        if m:
            found.append((rel(m["file"]), int(m["line"]),
                          "%s: %s" % (m["kind"], m["msg"])))
    if r.returncode and not found:
        found.append((path, 1, "error: clang-tidy failed: %s" %
                      (r.stderr.strip().splitlines() or ["?"])[-1]))
    return found


def tidy_check(files):
    db = compdb()
    units = [f for f in files if f.endswith(".c") and f in db]
    headers = set(f for f in files if f.endswith(".h"))
    notes = [f for f in files if f.endswith(".c") and f not in db]
    for f in notes:
        print("lint: note: %s is built by no make rule: clang-tidy skips it" % f, file=sys.stderr)
    found = set()
    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        for fs in ex.map(tidy_one, units):
            found.update(fs)
    wanted = set(units) | headers
    # A header's finding counts when the header is checked, or for a whole-tree run.
    return ["%s:%d: clang-tidy: %s" % f for f in sorted(found)
            if f[0] in wanted or not headers and in_project(f[0])]


# ---- command line ----

def need(tool):
    if not shutil.which(tool):
        sys.exit("lint: %s is not installed (make deps installs it)" % tool)


def main(argv):
    cmd = argv[0] if argv and argv[0] in ("check", "format-check", "tidy", "format", "compdb") else "check"
    args = argv[1:] if argv and argv[0] == cmd else argv
    if cmd == "compdb":
        compdb()
        return 0
    base = os.environ.get("LINT_BASE", FORMAT_BASE)
    if "--all" in args:
        base = ""
    args = [rel(a) for a in args if a != "--all"]
    files = args or project_files()
    cfiles = [f for f in files if is_c(f)]
    if cmd == "format":
        need(CLANG_FORMAT)
        # Named files are formatted whole; otherwise what the check covers.
        format_files({f: None for f in cfiles} if args else format_scope(cfiles, base))
        return 0
    findings = []
    if cmd in ("check", "format-check"):
        need(CLANG_FORMAT)
        findings += format_check(format_scope(cfiles, base))
    if cmd in ("check", "tidy"):
        need(CLANG_TIDY)
        findings += tidy_check(files)
    for f in findings:
        print(f)
    print("lint: %d finding%s in %d files" % (len(findings), "" if len(findings) == 1 else "s", len(files)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
