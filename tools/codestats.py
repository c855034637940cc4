#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Code figures of the kernel, for issue notes: how big it is, how long its
functions are, how much of it is conditional, and how many files a page
fault passes through.

    python3 tools/codestats.py                 # figures of the tree it runs in
    python3 tools/codestats.py --fault-trace F # files from a profile (below)

How each figure is counted (the script prints the same in short):

- kernel lines: every .c, .S and .h file under kernel/ (arch included).
  "total" counts every line; "code" leaves out blank lines and lines that
  hold only a comment (/* ... */, // ..., and the inside of a block
  comment). Sources the kernel build compiles from outside kernel/ (the
  KERNEL_SRCS of kernel/kernel.mk, and lib/'s headers) are counted
  apart, not in the total.
- function length: the body of each function defined in a kernel .c file
  (the house style puts a function's braces alone in column 0): the lines
  strictly between its "{" and "}", blank and comment lines included.
  static inline functions in headers are not counted.
- #if lines: lines of kernel/ starting with #if, #ifdef or #ifndef, less
  each header's include guard (its first #ifndef X followed by #define X).
- files a page fault passes through: the source files that hold the
  functions of docs/life-of-a-fault.md (a), a zero-filled fault served by
  a libmap pager, from the faulting instruction to its retry. With
  --fault-trace FILE (the output of `python3 tools/bench.py --profile
  pf_pager_zero`) the functions come from that trace instead: every
  function that executed an instruction in the measured region, each
  looked up by its definition in the tree.
"""
import argparse
import glob
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The walk of docs/life-of-a-fault.md (a), in order, inlined functions too:
# (function, the file it was in when the walk was written; if it moved,
# lookup() finds it). "user:" marks the benchmark task's code. Keep the
# two in step.
FAULT_WALK = [
    ("user:fault_series", "tests/bench/pagoda/fault.c"),
    ("isr_14", "kernel/arch/x86_64/entry.S"),
    ("trap_common", "kernel/arch/x86_64/entry.S"),
    ("trap_dispatch", "kernel/arch/x86_64/trap.c"),
    ("x86_read_cr2", "kernel/arch/x86_64/x86.h"),
    ("trap_pf_access", "kernel/arch/x86_64/trap.c"),
    ("fault_page", "kernel/fault.c"),
    ("fault_sigma0_device", "kernel/fault.c"),
    ("arch_frame_ip", "kernel/arch/x86_64/frame.h"),
    ("ipc_kernel_call", "kernel/ipc.c"),
    ("ipc_kernel_fast", "kernel/ipc.c"),
    ("ipc_fast_ok", "kernel/ipc.c"),
    ("ipc_fast_prio_ok", "kernel/ipc.c"),
    ("list_empty", "lib/list.h"),
    ("ipc_fast_put", "kernel/ipc.c"),
    ("arch_msg_set_reg", "kernel/arch/x86_64/frame.h"),
    ("arch_syscall_set_arg", "kernel/arch/x86_64/frame.h"),
    ("ipc_fast_switch", "kernel/ipc.c"),
    ("sched_switch_user_checked", "kernel/sched.h"),
    ("cpu_this", "kernel/cpu.h"),
    ("space_activate", "kernel/space.h"),
    ("arch_pt_activate", "kernel/arch/x86_64/arch.h"),
    ("arch_set_kernel_stack", "kernel/arch/x86_64/arch.h"),
    ("arch_set_utcb", "kernel/arch/x86_64/arch.h"),
    ("arch_switch", "kernel/arch/x86_64/arch.h"),
    ("arch_switch_xsave", "kernel/arch/x86_64/entry.S"),
    ("user:pager_loop", "tests/bench/pagoda/pager.c"),
    ("user:pager_fault", "tests/bench/pagoda/pager.c"),
    ("user:stats_page_zero", "tests/bench/stats.h"),
    ("user:pager_reply_map", "tests/bench/pagoda/pager.c"),
    ("user:ipc_reply_wait", "libmap/libmap.h"),
    ("user:syscall_ipc", "libmap/arch/x86_64/syscall_arch.h"),
    ("syscall_entry", "kernel/arch/x86_64/entry.S"),
    ("sys_ipc", "kernel/ipc.c"),
    ("ipc_fast_go", "kernel/ipc.c"),
    ("arch_syscall_arg", "kernel/arch/x86_64/frame.h"),
    ("arch_msg_reg", "kernel/arch/x86_64/frame.h"),
    ("ipc_fast_item", "kernel/ipc.c"),
    ("msg_window", "kernel/ipc.c"),
    ("ipc_fast_run", "kernel/ipc.c"),
    ("map_item", "kernel/map.c"),
    ("map_item_do", "kernel/map.c"),
    ("map_page", "kernel/map.c"),
    ("map_one", "kernel/map.c"),
    ("map_target_ok", "kernel/map.c"),
    ("arch_user_address_ok", "kernel/arch/x86_64/cpu.c"),
    ("space_in_kernel_area", "kernel/space.c"),
    ("mdb_map", "kernel/mapdb.c"),
    ("mdb_op_source", "kernel/mapdb.c"),
    ("mdb_resolve", "kernel/mapdb_private.h"),
    ("mdb_pte_get", "kernel/space.c"),
    ("arch_pt_lookup_db", "kernel/arch/x86_64/paging.c"),
    ("mdb_find", "kernel/mapdb_private.h"),
    ("mdb_op_settle", "kernel/mapdb.c"),
    ("mdb_op_target", "kernel/mapdb.c"),
    ("mdb_op_reserve", "kernel/mapdb.c"),
    ("mdb_node_alloc", "kernel/mapdb_private.h"),
    ("mdb_space_info", "kernel/space.c"),
    ("kmem_alloc", "kernel/kmem.c"),
    ("mdb_op_commit", "kernel/mapdb.c"),
    ("mdb_link_fresh", "kernel/mapdb.c"),
    ("mdb_pte_set", "kernel/space.c"),
    ("kip_phys_is_ram", "kernel/kip.c"),
    ("arch_pt_set", "kernel/arch/x86_64/paging.c"),
    ("kdebug_after_change", "kernel/kdebug.h"),
    ("trap_return", "kernel/arch/x86_64/entry.S"),
]


def rel(path):
    return os.path.relpath(path, ROOT)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")


def kernel_files():
    out = []
    for dirpath, _, names in os.walk(os.path.join(ROOT, "kernel")):
        for n in names:
            if n.endswith((".c", ".S", ".h")):
                out.append(rel(os.path.join(dirpath, n)))
    return sorted(out)


def code_lines(lines):
    """Lines that are neither blank nor only comment."""
    n, in_block = 0, False
    for line in lines:
        s = line.strip()
        code = False
        while s:
            if in_block:
                end = s.find("*/")
                if end < 0:
                    s = ""
                    break
                s, in_block = s[end + 2:].strip(), False
                continue
            if s.startswith("/*"):
                s, in_block = s[2:], True
                continue
            if s.startswith("//"):
                break
            code = True
            break
        n += code
    return n


def make_vars():
    """NAME := words of every make fragment (continuation lines joined)."""
    out = {}
    for mk in ["Makefile", "build.mk"] + glob.glob(os.path.join(ROOT, "*", "*.mk")):
        text = "\n".join(read(rel(os.path.join(ROOT, mk))))
        for m in re.finditer(r"^([A-Z_]+)\s*:=((?:.*\\\n)*.*)", text, re.M):
            out[m.group(1)] = m.group(2).replace("\\", " ").split()
    return out


def kernel_srcs_outside():
    """KERNEL_SRCS of kernel/kernel.mk ($(VAR)s expanded) not under kernel/."""
    defs = make_vars()

    def expand(words):
        for w in words:
            m = re.match(r"\$\((\w+)\)$", w)
            yield from expand(defs.get(m.group(1), [])) if m else [w]
    return [w for w in expand(defs.get("KERNEL_SRCS", [])) if not w.startswith("kernel/")]


def function_lengths(files):
    """(body lines, file, function) of every function of the C files."""
    out = []
    for path in files:
        lines = read(path)
        start = None
        for i, line in enumerate(lines):
            if line == "{":
                start = i
            elif line == "}" and start is not None:
                head = " ".join(lines[max(0, start - 3):start])
                names = re.findall(r"(\w+)\s*\(", head)
                out.append((i - start - 1, path, names[0] if names else "?"))
                start = None
    return out


def if_lines(files):
    """(#if lines, include guards) in files."""
    total = guards = 0
    for path in files:
        lines = read(path)
        directives = [(i, l.strip()) for i, l in enumerate(lines) if l.strip().startswith("#")]
        total += sum(1 for _, d in directives if re.match(r"#\s*(if|ifdef|ifndef)\b", d))
        if path.endswith(".h") and len(directives) >= 2:
            m = re.match(r"#\s*ifndef\s+(\w+)", directives[0][1])
            if m and re.match(r"#\s*define\s+%s\b" % m.group(1), directives[1][1]):
                guards += 1
    return total, guards


def definition_file(name, candidates):
    """The file among candidates that defines function name, or None: in C
    a line starting in column 0 that names it before "(" (or starts with
    its name: clang-format puts a long return type on a line of its own)
    and reaches "{" before ";"; in assembly its label (isr_N: the ISR macros' isr_\\n)."""
    c_def = re.compile(r"^(?:[A-Za-z_][^=;(]*?\b)?%s\s*\(|^[A-Za-z_].*\)\)\s+\w+\s+\**%s\s*\("
                       % (re.escape(name), re.escape(name)))
    asm_name = r"isr_\\n" if re.match(r"isr_\d+$", name) else re.escape(name)
    asm_def = re.compile(r"^%s:" % asm_name)
    for path in candidates:
        lines = read(path)
        for i, line in enumerate(lines):
            if path.endswith(".S"):
                if asm_def.match(line):
                    return path
                continue
            if not c_def.match(line):
                continue
            rest = re.sub(r"/\*.*?\*/|//[^\n]*", "", "\n".join(lines[i:i + 8]), flags=re.S)
            brace, semi = rest.find("{"), rest.find(";")
            if brace >= 0 and (semi < 0 or brace < semi):
                return path
    return None


def tree(*patterns):
    out = []
    for pat in patterns:
        out += [rel(p) for p in glob.glob(os.path.join(ROOT, pat), recursive=True)]
    return sorted(set(out))


def kernel_sources():
    """What the kernel is built from: kernel/ and its KERNEL_SRCS outside."""
    outside = [f for f in kernel_srcs_outside() if os.path.exists(os.path.join(ROOT, f))]
    headers = sorted({os.path.join(os.path.dirname(f), h) for f in outside
                      for h in os.listdir(os.path.join(ROOT, os.path.dirname(f)))
                      if h.endswith(".h")})
    return kernel_files() + outside + headers


def user_sources(tag):
    """Where a user program's function may be defined: "user" is the
    benchmark task (tests/bench/), any other tag a program of that name;
    every program links libmap (and lib/, if there is one)."""
    own = (["tests/bench/*.[chS]", "tests/bench/pagoda/*.[chS]"] if tag == "user" else
           ["%s/**/*.[chS]" % tag, "*/%s*.[chS]" % tag, "*/%s/**/*.[chS]" % tag])
    return tree(*own) + tree("libmap/**/*.[chS]", "lib/**/*.[chS]")


def lookup(fn):
    """(file defining fn, or None); fn as the profile names it: "name" in
    the kernel, "tag:name" in a user program."""
    tag, _, name = fn.rpartition(":")
    return definition_file(name, user_sources(tag) if tag else kernel_sources())


def fault_files_static():
    """Files of FAULT_WALK; each function must still be found where listed
    (or, if it moved, where lookup finds it)."""
    files, missing = [], []
    for fn, where in FAULT_WALK:
        name = fn.rpartition(":")[2]
        found = definition_file(name, [where]) if os.path.exists(os.path.join(ROOT, where)) else None
        found = found or lookup(fn)
        if not found:
            missing.append(fn)
        elif found not in files:
            files.append(found)
    return files, missing


def fault_files_traced(trace):
    """Files defining the functions of the first measured region of a
    tools/bench.py --profile output (its per-function table)."""
    fns, state = [], None
    with open(trace, encoding="utf-8") as f:
        for line in f:
            if state is None and line.startswith("region ") and "= measured" in line:
                state = "parts"
            elif state == "parts" and line.split()[:1] == ["function"]:
                state = "functions"
            elif state == "functions":
                parts = line.split()
                if len(parts) != 3 or not parts[2].endswith("%"):
                    break
                fns.append(parts[0])
    files, unknown = [], []
    for fn in fns:
        path = lookup(fn)
        if path is None:
            unknown.append(fn)
        elif path not in files:
            files.append(path)
    return fns, files, unknown


def print_files(what, files):
    ours = set(kernel_files()) | set(kernel_srcs_outside()) | set(tree("lib/**/*.[chS]"))
    kernel = [f for f in files if f in ours]
    print("files a page fault passes through (%s): %d, %d of them the kernel's: %s"
          % (what, len(files), len(kernel), " ".join(files)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fault-trace", metavar="FILE",
                   help="output of tools/bench.py --profile pf_pager_zero")
    args = p.parse_args()

    files = kernel_files()
    total = sum(len(read(f)) - (read(f)[-1] == "") for f in files)
    code = sum(code_lines(read(f)) for f in files)
    by_kind = {}
    for f in files:
        k = os.path.splitext(f)[1]
        by_kind[k] = by_kind.get(k, 0) + code_lines(read(f))
    print("kernel lines (kernel/**/*.c,*.S,*.h, %d files): %d total, %d code "
          "(no blank or comment-only lines: .c %d, .S %d, .h %d)"
          % (len(files), total, code, by_kind.get(".c", 0), by_kind.get(".S", 0),
             by_kind.get(".h", 0)))
    outside = [f for f in kernel_srcs_outside() if os.path.exists(os.path.join(ROOT, f))]
    if outside:
        shared = sorted(set(outside) | set(tree("lib/**/*.h")))
        print("  also compiled into the kernel from outside kernel/ (not counted above): "
              "%s: %d code lines" % (" ".join(shared), sum(code_lines(read(f)) for f in shared)))

    lens = sorted(function_lengths([f for f in files if f.endswith(".c")]))
    body = [n for n, _, _ in lens]
    p90 = body[min(len(body) - 1, int(0.9 * len(body)))]
    print("kernel functions (.c files, lines between the braces): %d; median %g, "
          "p90 %d, max %d (%s)" % (len(body), statistics.median(body), p90, body[-1],
                                   ", ".join("%s %s %d" % (p, fn, n) for n, p, fn in lens[-3:])))

    ifs, guards = if_lines(files)
    print("#if/#ifdef/#ifndef lines in kernel/: %d, of which %d include guards: "
          "%d beyond them" % (ifs, guards, ifs - guards))

    if args.fault_trace:
        fns, ffiles, unknown = fault_files_traced(args.fault_trace)
        print_files("traced: %s" % args.fault_trace, ffiles)
        print("  %d functions executed (inlined ones show as their caller)%s"
              % (len(fns), "; not found in the tree: " + " ".join(unknown) if unknown else ""))
    else:
        ffiles, missing = fault_files_static()
        print_files("the walk of docs/life-of-a-fault.md", ffiles)
        if missing:
            print("  functions of the walk no longer found: %s (update FAULT_WALK)"
                  % " ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
