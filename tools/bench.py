#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run Pagoda's benchmarks, and the same operations on Linux, under QEMU.

usage: python3 tools/bench.py [--fetch-linux] [--no-linux] [--compare FILE]
                              [--out DIR] [--no-plots] [--timeout S]
       python3 tools/bench.py --profile OP [--profile-n N]

Both sides boot in the same QEMU configuration: TCG with
-icount shift=0,sleep=off, so the guest TSC advances by one per guest
instruction and every figure is a deterministic count of instructions
executed (user and kernel), identical from run to run and from machine to
machine. The guest programs print

  BENCH name=<op> unit=<unit> iters=<n> min=<x> median=<x> max=<x>
  HIST name=<op> <value>x<count> ...

(tests/bench/stats.h); this tool pairs Pagoda and Linux operations through
the explicit table PAIRS below, prints the comparison, and writes
build/bench/results.json, build/bench/report.md and, with gnuplot,
PNG plots in build/bench/plots/.

Pagoda boots three times (PAGODA_RUNS): the benchmark task of
tests/bench/pagoda.cfg, and the fork benchmark task under the
copy-on-write pager (tests/bench/fork.cfg) and under a three-tier pager
stack (tests/bench/tiers.cfg).

The Linux side boots Debian's kernel image, kept in .cache/linux/ (never
committed), with an initramfs whose /init is tests/bench/linux/ built
static with the host compiler. Without a cached image the tool fetches one
with apt-get download (if apt-get is there), or prints how to get it and
reports the Pagoda side alone.

Determinism check: the Pagoda figures are compared with those of the
previous results.json (or --compare FILE), and the tool prints "identical
to previous run" or every difference. A Pagoda median more than 2 %
(REGRESSION_LIMIT) above the previous one is printed again at the end in
a "REGRESSION" banner (and written into the report).

Exit status: 0 if the Pagoda benchmarks ran (and Linux's, when it was
run), 1 otherwise, 2 for bad usage.
"""

import argparse
import collections
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_qemu as pq  # noqa: E402

ROOT = pq.ROOT
OUT_DIR = os.path.join(ROOT, "build", "bench")
CACHE_DIR = os.path.join(ROOT, ".cache", "linux")
LINUX_INIT = os.path.join("build", "bench", "linux", "init")
LINUX_INITRAMFS = os.path.join("build", "bench", "linux", "initramfs.cpio")
LINUX_INITRAMFS_FILE = os.path.join("build", "bench", "linux", "initramfs-file.cpio")

# One CPU model for both sides. -erms and -fsrm make Linux zero and copy
# pages with rep stosq / rep movsq, as Pagoda does (without them it would
# use rep stosb, 4096 counted iterations a page instead of 512).
CPU = "max,-rdrand,-rdseed,-erms,-fsrm"
# A fixed wall-clock start: the guest reads the RTC at boot, and Linux
# seeds hash keys and its entropy pool with it; the host date would make
# its figures differ from run to run.
RTC = ["-rtc", "base=2024-01-01T00:00:00,clock=vm"]
ICOUNT = ["-icount", "shift=0,sleep=off"] + RTC
LINUX_CMDLINE = ("console=ttyS0 mitigations=off init_on_alloc=0 norandmaps quiet "
                 "nokaslr transparent_hugepage=never")
PAGODA_TIMEOUT = 300
LINUX_TIMEOUT = 900

BENCH_LINE = re.compile(
    r"^(?:[0-9a-f]+\| )?BENCH name=(?P<name>\S+) unit=(?P<unit>\S+) iters=(?P<iters>\d+)"
    r"(?: min=(?P<min>\d+) median=(?P<median>\d+) max=(?P<max>\d+))?\s*$")
HIST_LINE = re.compile(r"^(?:[0-9a-f]+\| )?HIST name=(?P<name>\S+)(?P<pairs>(?: \d+x\d+)+)\s*$")
END_LINE = re.compile(r"^(?:[0-9a-f]+\| )?BENCH-END (ok|failed)\s*$", re.M)
LINUX_CPU_LINE = re.compile(r"^LINUX kernel=(?P<release>\S+) rep_good=(?P<rep_good>\d) "
                            r"erms=(?P<erms>\d) fsrm=(?P<fsrm>\d)", re.M)


@dataclass
class PagodaRun:
    """One Pagoda boot: its boot configuration, the benchmark image in it
    (the one task that measures), and the operations it prints (None: all
    the operations no other run claims). log names the serial log in the
    output folder; ops also tells --profile which boot runs an operation."""
    name: str
    config: str
    image: str
    log: str
    ops: tuple = None
    extra: tuple = ()      # more QEMU arguments (e.g. -m 2G)
    disk: tuple = None   # host command that makes its disk image (path appended)
    windows: tuple = ()  # insncount windows the task opens: (name, pages), in order


# The Pagoda boots, in this order. An operation's name is printed by one
# run only.
PAGODA_RUNS = [
    PagodaRun("pagoda", "tests/bench/pagoda.cfg", "bench/pagoda", "pagoda.log"),
    PagodaRun("fork", "tests/bench/fork.cfg", "bench/fork", "pagoda-fork.log",
              ("fork_0", "fork_cycle", "fork_1m", "fork_16m", "cow_break", "pf_cow",
               "pf_cow_pool", "fork_16m_read", "fork_4m")),
    PagodaRun("tiers", "tests/bench/tiers.cfg", "bench/fork", "pagoda-tiers.log",
              ("pf_cow_3tier", "pf_cow_pool_3tier")),
    PagodaRun("colour", "tests/bench/colour.cfg", "bench/colour", "pagoda-colour.log",
              ("pf_colour",)),
    PagodaRun("colour_wide", "tests/bench/colour_wide.cfg", "bench/colour",
              "pagoda-colour-wide.log", ("pf_colour_wide",)),
    PagodaRun("file", "tests/bench/file.cfg", "bench/file", "pagoda-file.log",
              ("file_seq_read_16m_requests", "file_fault_cached",
               "file_writeback_16m_requests"),
              disk=("python3", "tests/bench/file_disk.py"),
              windows=(("file_seq_read_16m_instr", 4096), ("file_writeback_16m_instr", 4096))),
    PagodaRun("fork64", "tests/bench/fork64.cfg", "bench/fork", "pagoda-fork64.log",
              ("fork_64m",)),
]

# The Linux file run's insncount windows (tests/bench/linux/file.c), in order.
LINUX_FILE_WINDOWS = (("lx_file_seq_read_16m_instr", 4096), ("lx_file_writeback_16m_instr", 4096))

# Figures that differ from run to run, left out of the determinism check:
# instructions across disk operations (how many timer interrupts and idle
# loops fall into the device's time depends on the host).
VARYING = {name for name, _ in LINUX_FILE_WINDOWS +
           next(r for r in PAGODA_RUNS if r.name == "file").windows}

# tools/insncount.c: counts the instructions executed between two markers.
INSNCOUNT = os.path.join("build", "tools", "insncount.so")
INSNCOUNT_LINE = re.compile(r"^insncount: window (\d+): instructions (\d+)\s*$", re.M)
BLK_LINE = re.compile(r"^(?:[0-9a-f]+\| )?blk: (\d+) calls, (\d+) requests", re.M)


def build_insncount():
    """Build tools/insncount.c for the installed QEMU; an error or None."""
    return pq.build_plugin("insncount", INSNCOUNT)


def insncount_args(log, skip_idle=False):
    """QEMU arguments loading the plugin, its output into LOG; SKIP_IDLE:
    leave out idle ticks (Pagoda only, see tools/insncount.c)."""
    return ["-plugin", INSNCOUNT + (",idle=skip" if skip_idle else ""),
            "-d", "plugin", "-D", log]


def insncount_results(log, windows):
    """Results (instructions per page) of the windows in LOG, named by
    WINDOWS ((name, pages), in the order the guest opens them)."""
    try:
        with open(log, encoding="utf-8", errors="replace") as f:
            found = [int(m.group(2)) for m in INSNCOUNT_LINE.finditer(f.read())]
    except OSError:
        return {}
    res = {}
    for (name, pages), v in zip(windows, found):
        v = (v + pages // 2) // pages
        res[name] = Result(name, "instructions/page", 1, v, v, v, [[v, 1]])
    return res

# rt-alloc (tests/bench/rtalloc/): rt_malloc and rt_free per workload and
# heap size, beside glibc's malloc and free on the same workloads.
RTALLOC_HEAPS = ("1m", "64m", "1g")
RTALLOC_WORKLOADS = ("worst", "rand", "small", "trace")
RTALLOC_WORKLOAD_DESC = {
    "worst": "the constructed longest paths (split, merge with both "
             "neighbours, widest bitmap search)",
    "rand": "seeded random, 16 B to 1 MiB, 256 slots",
    "small": "seeded random, 16 B to 4 KiB, 1024 slots",
    "trace": "the replayed trace (RTALLOC_TRACE)",
}
RTALLOC_OPS = tuple("rtalloc_%s_%s_%s" % (op, w, h) for h in RTALLOC_HEAPS
                    for w in RTALLOC_WORKLOADS for op in ("malloc", "free")) + (
                        "rtalloc_first_touch_cow",)
PAGODA_RUNS.append(PagodaRun("rtalloc", "tests/bench/rtalloc.cfg", "bench/rtalloc",
                             "pagoda-rtalloc.log", RTALLOC_OPS, ("-m", "2G")))


@dataclass
class Pair:
    """One row of the comparison: a Pagoda operation and its Linux peer.

    key names the row (JSON, plots); label is the row's short name in the
    printed table; pagoda and linux are the operation names the guest
    programs print (None: no counterpart); the descriptions go into the
    report.
    """
    key: str
    label: str
    pagoda: str
    linux: str
    pagoda_desc: str
    linux_desc: str


# The pairing table. Add a row for every new benchmark; a guest result that
# no row names is still reported, under "unpaired".
PAIRS = [
    Pair("rdtsc", "rdtsc overhead (both)", "rdtsc", "rdtsc",
         "measurement overhead: two rdtsc back to back", "the same"),
    Pair("null_syscall", "null syscall / getppid", "null_syscall", "getppid",
         "null system call (SYS_NULL)", "getppid"),
    Pair("ipc_intra_0", "IPC 1 space 0w / pipe threads 1B",
         "ipc_intra_0", "pipe_thread_1",
         "IPC call + reply, two threads of one space, 0 words",
         "pipe ping-pong, two threads, 1 byte"),
    Pair("ipc_intra_8", "IPC 1 space 8w / pipe threads 64B",
         "ipc_intra_8", "pipe_thread_64",
         "IPC call + reply, two threads of one space, 8 words",
         "pipe ping-pong, two threads, 64 bytes"),
    Pair("ipc_inter_0", "IPC 2 spaces 0w / pipe procs 1B",
         "ipc_inter_0", "pipe_proc_1",
         "IPC call + reply, two spaces, 0 words",
         "pipe ping-pong, two processes, 1 byte"),
    Pair("ipc_inter_8", "IPC 2 spaces 8w / pipe procs 64B",
         "ipc_inter_8", "pipe_proc_64",
         "IPC call + reply, two spaces, 8 words",
         "pipe ping-pong, two processes, 64 bytes"),
    Pair("page_zero", "zero 4 KiB, rep stosq (both)", "page_zero", "page_zero",
         "zero one page in user space (rep stosq)", "the same"),
    Pair("page_copy", "copy 4 KiB, rep movsq (both)", "page_copy", "page_copy",
         "copy one page in user space (rep movsq)", "the same"),
    Pair("pf_zero_anon", "fault: pager zero / anon", "pf_pager_zero", "anon_fault",
         "page fault resolved by a user-level pager, zero-filled",
         "anonymous page fault (kernel zero-fills)"),
    Pair("pf_zero_uffd", "fault: pager zero / uffd copy", "pf_pager_zero", "uffd_copy",
         "page fault resolved by a user-level pager, zero-filled",
         "userfaultfd MISSING fault, handler thread, UFFDIO_COPY"),
    Pair("pf_nozero", "fault: pager, no zeroing", "pf_pager_nozero", None,
         "page fault resolved by a user-level pager, not zeroed", "-"),
    Pair("appel_trap", "Appel-Li trap", "appel_trap", "appel_trap",
         "Appel-Li trap: write fault, pager maps read-write",
         "Appel-Li trap: SIGSEGV, handler mprotects read-write"),
    Pair("appel_prot1", "Appel-Li prot1+trap+unprot",
         "appel_prot1_trap_unprot", "appel_prot1_trap_unprot",
         "Appel-Li prot1+trap+unprot (unmap W of 1 page)",
         "Appel-Li prot1+trap+unprot (mprotect)"),
    Pair("appel_protN", "Appel-Li protN+trap+unprot /page",
         "appel_protN_trap_unprot", "appel_protN_trap_unprot",
         "Appel-Li protN+trap+unprot, N=100, per page",
         "Appel-Li protN+trap+unprot, N=100, per page"),
    Pair("map_1", "map 1 / mmap+populate 1 anon", "map_1", "mmap_populate_1",
         "map 1 page (IPC call with a map item)",
         "mmap + MAP_POPULATE 1 anonymous page"),
    Pair("map_1_shared", "map 1 / mmap+populate 1 memfd", "map_1", "mmap_shared_1",
         "map 1 page (IPC call with a map item)",
         "mmap + MAP_POPULATE 1 page of a populated memfd"),
    Pair("unmap_1", "unmap 1 / munmap 1 anon", "unmap_1", "munmap_1",
         "unmap 1 page (sys_unmap)", "munmap 1 anonymous page"),
    Pair("unmap_1_shared", "unmap 1 / munmap 1 memfd", "unmap_1", "munmap_shared_1",
         "unmap 1 page (sys_unmap)", "munmap 1 page of a memfd"),
    Pair("map_512", "map 512 / mmap+populate 512 anon", "map_512", "mmap_populate_512",
         "map 512 pages (IPC call with a 2 MiB map item)",
         "mmap + MAP_POPULATE 512 anonymous pages"),
    Pair("map_512_shared", "map 512 / mmap+populate 512 memfd",
         "map_512", "mmap_shared_512",
         "map 512 pages (IPC call with a 2 MiB map item)",
         "mmap + MAP_POPULATE 512 pages of a populated memfd"),
    Pair("unmap_512", "unmap 512 / munmap 512 anon", "unmap_512", "munmap_512",
         "unmap 512 pages (sys_unmap)", "munmap 512 anonymous pages"),
    Pair("unmap_512_shared", "unmap 512 / munmap 512 memfd",
         "unmap_512", "munmap_shared_512",
         "unmap 512 pages (sys_unmap)", "munmap 512 pages of a memfd"),
    Pair("unmap_chain_1", "unmap 512, 1-deep chain / munmap", "unmap_chain_1",
         "munmap_512", "unmap 512 pages mapped through a 1-deep pager chain",
         "munmap 512 populated pages"),
    Pair("unmap_chain_2", "unmap 512, 2-deep chain / munmap", "unmap_chain_2",
         "munmap_512", "unmap 512 pages mapped through a 2-deep pager chain",
         "munmap 512 populated pages"),
    Pair("unmap_chain_3", "unmap 512, 3-deep chain / munmap", "unmap_chain_3",
         "munmap_512", "unmap 512 pages mapped through a 3-deep pager chain",
         "munmap 512 populated pages"),
    Pair("fork_0", "fork, 0 MiB written", "fork_0", "fork_0",
         "fork (copy-on-write pager), no heap written",
         "fork, no heap written"),
    Pair("fork_1m", "fork, 1 MiB written", "fork_1m", "fork_1m",
         "fork (copy-on-write pager), 1 MiB of heap written",
         "fork, 1 MiB of heap written"),
    Pair("fork_4m", "fork, 4 MiB written", "fork_4m", "fork_4m",
         "fork (copy-on-write pager), 4 MiB of heap written",
         "fork, 4 MiB of heap written"),
    Pair("fork_16m", "fork, 16 MiB written", "fork_16m", "fork_16m",
         "fork (copy-on-write pager), 16 MiB of heap written",
         "fork, 16 MiB of heap written"),
    Pair("fork_16m_read", "fork 16 MiB + child reads all", "fork_16m_read",
         "fork_16m_read",
         "fork with 16 MiB of heap written, the child reads one word of every "
         "page and exits, until wait returns",
         "the same (fork, the child's reads, exit_group, wait4)"),
    Pair("fork_cycle", "fork + exit + wait, 0 MiB", "fork_cycle", "fork_cycle",
         "fork, the child's exit and wait (copy-on-write pager), no heap "
         "written", "the same (fork, exit_group, wait4)"),
    Pair("cow_break", "COW break (write after fork)", "cow_break", "cow_break",
         "copy-on-write break: the parent's first write to a page shared "
         "with its child; the pager copies it",
         "the same; the kernel copies it"),
    Pair("pf_cow_pool", "fault: cow pager, pool frame / anon", "pf_cow_pool",
         "anon_fault",
         "first write to a heap page, copy-on-write pager on sigma0, frame "
         "from the pager's pool (zero-filled)",
         "anonymous page fault (kernel zero-fills)"),
    Pair("pf_cow", "fault: cow pager, 2 tiers / anon", "pf_cow", "anon_fault",
         "first write to a heap page, copy-on-write pager on sigma0 "
         "(2 tiers), pool emptied first: one fault in 64 asks sigma0 for "
         "a block of 64 frames",
         "anonymous page fault (kernel zero-fills)"),
    Pair("pf_cow_3tier", "fault: 3 tiers / anon", "pf_cow_3tier", "anon_fault",
         "the same through sigma0 -> trace -> cow (3 tiers), new frame "
         "through both pagers (trace gives single frames; it takes blocks "
         "of 64 from sigma0)",
         "anonymous page fault (kernel zero-fills)"),
    Pair("pf_cow_pool_3tier", "fault: 3 tiers, pool frame / anon",
         "pf_cow_pool_3tier", "anon_fault",
         "the same through 3 tiers, frame from the cow pager's pool",
         "anonymous page fault (kernel zero-fills)"),
    Pair("pf_colour", "fault: colouring pager / anon", "pf_colour", "anon_fault",
         "first write to a heap page, colouring pager (rt-alloc/colour, 16 "
         "colours): a frame of the client's colours from the per-colour pool, "
         "zeroed and mapped",
         "anonymous page fault (kernel zero-fills)"),
    Pair("pf_colour_wide", "fault: colouring pager, widest search",
         "pf_colour_wide", None,
         "the same with 512 colours and a client of colour 0 only: every "
         "frame search wraps through the whole colour bitmap", "-"),
    Pair("fork_64m", "fork, 64 MiB written", "fork_64m", "fork_64m",
         "fork (copy-on-write pager), 64 MiB of heap written (a boot of its own)",
         "fork, 64 MiB of heap written (a process of its own)"),
    Pair("file_fault_cached", "file page fault, cached / tmpfs",
         "file_fault_cached", "pf_file_cached",
         "first write to a page of a fresh shared file mapping, page in the "
         "file pager's cache (pagers/file on fs/fatserv)",
         "first write to a page of a shared mapping of a populated memfd "
         "(tmpfs)"),
    Pair("file_seq_read_16m_instr", "file: seq. mapped read 16 MiB, instr/page",
         "file_seq_read_16m_instr", "lx_file_seq_read_16m_instr",
         "instructions the machine executes per page (tools/insncount.c) for a "
         "sequential mapped read of a 16 MiB file on a virtio disk, every page a "
         "cold fault: file pager, FAT server, driver, kernel; one 4 KiB read per page",
         "the same on Linux: vfat on virtio_blk, read-ahead"),
    Pair("file_writeback_16m_instr", "file: write-back 16 MiB, instr/page",
         "file_writeback_16m_instr", "lx_file_writeback_16m_instr",
         "instructions per page of one msync of the 16 MiB mapping, every page dirty",
         "the same: msync(MS_SYNC) of a vfat file on virtio_blk"),
    Pair("file_total_disk_requests", "file: disk requests of the whole run",
         "file_total_disk_requests", "lx_file_total_disk_requests",
         "requests the virtio-blk driver issued in the whole file run (mount, the "
         "16 MiB read, the 16 MiB write-back, syncs)",
         "read and write requests of /dev/vda from boot to umount (/sys/block/vda/stat)"),
    # The largest points of the growth series (GROWTH below).
    Pair("ipc_inter_63", "IPC 2 spaces 63w / pipe procs 504B", "ipc_inter_63", "pipe_proc_504",
         "IPC call + reply, two spaces, 63 words (the most a message holds)",
         "pipe ping-pong, two processes, 504 bytes"),
    Pair("map_4096_shared", "map 4096 / mmap+populate 4096 memfd", "map_4096",
         "mmap_shared_4096", "map 4,096 pages (IPC call with a 16 MiB map item)",
         "mmap + MAP_POPULATE 4,096 pages of a populated memfd"),
    Pair("unmap_4096_shared", "unmap 4096 / munmap 4096 memfd", "unmap_4096",
         "munmap_shared_4096", "unmap 4,096 pages (sys_unmap)",
         "munmap 4,096 pages of a memfd"),
    Pair("unmap_chain_8", "unmap 512, 8-deep chain / punch, 8 maps", "unmap_chain_8",
         "punch_512_maps_8", "unmap 512 pages mapped through an 8-deep pager chain",
         "fallocate(PUNCH_HOLE) of 512 memfd pages mapped in 8 processes"),
]

# Worst cases, printed beside the medians: (label, Pagoda operation). The
# maximum over every measured sample (the report has them all).
WORST = [
    ("colour frame requested -> mapped (16 colours)", "pf_colour"),
    ("colour frame requested -> mapped (widest search)", "pf_colour_wide"),
]

# Figures derived from medians, shown separately (never mixed into the
# measured ones): (label, side, formula over medians, unit).
DERIVED = [
    ("user-level pager fault without the zeroing", "pagoda",
     "pf_pager_zero - page_zero", "instructions"),
    ("anonymous fault without the zeroing", "linux",
     "anon_fault - page_zero", "instructions"),
    ("userfaultfd fault without the copy", "linux",
     "uffd_copy - page_copy", "instructions"),
    ("map, per page beyond the first", "pagoda",
     "(map_512 - map_1) / 511", "instructions/page"),
    ("unmap, per page beyond the first", "pagoda",
     "(unmap_512 - unmap_1) / 511", "instructions/page"),
    ("unmap, per mapping of a 2nd tier", "pagoda",
     "(unmap_chain_2 - unmap_chain_1) / 512", "instructions/mapping"),
    ("unmap, per mapping of a 3rd tier", "pagoda",
     "(unmap_chain_3 - unmap_chain_2) / 512", "instructions/mapping"),
    ("mmap+populate, per page beyond the first", "linux",
     "(mmap_populate_512 - mmap_populate_1) / 511", "instructions/page"),
    ("... of that, without the zeroing", "linux",
     "(mmap_populate_512 - mmap_populate_1) / 511 - page_zero",
     "instructions/page"),
    ("munmap, per page beyond the first", "linux",
     "(munmap_512 - munmap_1) / 511", "instructions/page"),
    ("fork, per page written (1 to 16 MiB)", "pagoda",
     "(fork_16m - fork_1m) / 3840", "instructions/page"),
    ("fork, per page written (1 to 16 MiB)", "linux",
     "(fork_16m - fork_1m) / 3840", "instructions/page"),
    ("copy-on-write break without the copy", "pagoda",
     "cow_break - page_copy", "instructions"),
    ("copy-on-write break without the copy", "linux",
     "cow_break - page_copy", "instructions"),
    ("first-touch fault: pool emptied first (1 in 64 asks sigma0) instead of the pool", "pagoda",
     "pf_cow - pf_cow_pool", "instructions"),
    ("first-touch fault: what the third tier adds (new frame)", "pagoda",
     "pf_cow_3tier - pf_cow", "instructions"),
    ("first-touch fault: what the third tier adds (pool frame)", "pagoda",
     "pf_cow_pool_3tier - pf_cow_pool", "instructions"),
]


@dataclass
class Growth:
    """A growth series: one operation over a size, both sides on one plot
    (plots/growth-<key>.png), with a straight line fitted to each side.

    points are (x, Pagoda operation, Linux operation or None); the fit's
    slope is per `per`, x * scale of them (fork: x in MiB, slope per page);
    the line is fitted to the points with x >= fit_from (IPC: the words
    beyond the two that travel in registers), the report lists the others.
    """
    key: str
    title: str
    xlabel: str
    per: str
    scale: float
    logx: bool
    logy: bool
    points: list
    desc: str
    fit_from: float = 0


# How costs grow (docs/benchmarks.md, "How costs grow"). The points not
# measured elsewhere come from tests/bench/pagoda/growth.c,
# tests/bench/linux/growth.c and the fork64 boot.
GROWTH = [
    Growth("fork", "fork against heap written", "MiB written", "page", 256, False, False,
           [(0, "fork_0", "fork_0"), (1, "fork_1m", "fork_1m"), (4, "fork_4m", "fork_4m"),
            (16, "fork_16m", "fork_16m"), (64, "fork_64m", "fork_64m")],
           "fork() with N MiB of heap written / the same on Linux"),
    Growth("map", "map against pages", "pages", "page", 1, True, True,
           [(n, "map_%d" % n, "mmap_shared_%d" % n) for n in (1, 8, 64, 512, 4096)],
           "map N pages (an IPC call with one map item) / mmap + MAP_POPULATE of N "
           "pages of a populated memfd"),
    Growth("unmap", "unmap against pages", "pages", "page", 1, True, True,
           [(n, "unmap_%d" % n, "munmap_shared_%d" % n) for n in (1, 8, 64, 512, 4096)],
           "sys_unmap of N pages mapped to one space / munmap of N memfd pages"),
    Growth("chain", "unmap of 512 pages against chain depth", "spaces (Pagoda) / "
           "processes (Linux) holding the pages", "level", 1, False, False,
           [(d, "unmap_chain_%d" % d, "punch_512_maps_%d" % d) for d in range(1, 9)],
           "unmap at the top of a chain of N spaces / fallocate(PUNCH_HOLE) of a "
           "memfd's 512 pages mapped in N processes (fitted from 2: Linux's punch "
           "with one mapping costs more than with two)", 2),
    Growth("ipc", "IPC round trip against message words", "untyped words each way",
           "word", 1, False, True,
           [(u, "ipc_inter_%d" % u, "pipe_proc_%d" % max(1, 8 * u))
            for u in (0, 1, 2, 3, 4, 8, 16, 32, 63)],
           "IPC call + reply across spaces with N words / pipe ping-pong between "
           "two processes, 8N bytes (1 byte for N = 0)", 3),
]


def growth_points(g, pagoda, linux):
    """[(x, Pagoda median or None, Linux median or None)] of a series."""
    out = []
    for x, pop, lop in g.points:
        p, l = pagoda.get(pop), linux.get(lop) if lop else None
        out.append((x, p.median if p and p.median is not None else None,
                    l.median if l and l.median is not None else None))
    return out


def fit_line(pts):
    """Least squares y = a + b x over [(x, y)]: (a, b, largest deviation
    of a point from the line as a fraction of the point), or None with
    fewer than two points."""
    if len(pts) < 2 or len({x for x, _ in pts}) < 2:
        return None
    n = float(len(pts))
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    b = (sum((x - mx) * (y - my) for x, y in pts) /
         sum((x - mx) ** 2 for x, _ in pts))
    a = my - b * mx
    dev = max(abs(y - (a + b * x)) / y for x, y in pts if y)
    return a, b, dev


def growth_fits(pagoda, linux):
    """[(Growth, side, (a, b, dev), points used)] for every series and
    side with at least two points; x in units of g.per."""
    out = []
    for g in GROWTH:
        pts = growth_points(g, pagoda, linux)
        for side, col in (("Pagoda", 1), ("Linux", 2)):
            use = [(row[0] * g.scale, row[col]) for row in pts
                   if row[col] is not None and row[0] >= g.fit_from]
            f = fit_line(use)
            if f:
                out.append((g, side, f, len(use)))
    return out


def growth_lines(pagoda, linux):
    """The fits as Markdown table rows (report.md and stdout)."""
    out = ["| series | side | points fitted | intercept | slope | largest deviation "
           "| not fitted |", "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for g, side, (a, b, dev), n in growth_fits(pagoda, linux):
        col = 1 if side == "Pagoda" else 2
        rest = ", ".join("%s: %s" % (row[0], _fmt(row[col]))
                         for row in growth_points(g, pagoda, linux)
                         if row[0] < g.fit_from and row[col] is not None)
        out.append("| %s | %s | %d | %s | %s per %s | %.1f %% | %s |" % (
            g.key, side, n, "{:,.0f}".format(a), "{:,.1f}".format(b), g.per, 100 * dev,
            rest or "-"))
    return out


@dataclass
class Result:
    """One operation's figures, as a guest program printed them."""
    name: str
    unit: str
    iterations: int
    min: int = None
    median: int = None
    max: int = None
    hist: list = field(default_factory=list)   # [[value, count], ...]

    def to_json(self, side):
        return {"name": self.name, "side": side, "unit": self.unit,
                "median": self.median, "min": self.min, "max": self.max,
                "iterations": self.iterations, "histogram": self.hist}


# ------------------------------------------------------------------ parsing

def parse_output(text):
    """Return ({name: Result}, completed) from a guest's serial output."""
    results = {}
    for line in text.splitlines():
        line = line.strip("\r")
        m = BENCH_LINE.match(line)
        if m:
            r = Result(m["name"], m["unit"], int(m["iters"]))
            if m["min"] is not None:
                r.min, r.median, r.max = (int(m["min"]), int(m["median"]),
                                          int(m["max"]))
            results[r.name] = r
            continue
        m = HIST_LINE.match(line)
        if m and m["name"] in results:
            for pair in m["pairs"].split():
                v, c = pair.split("x")
                results[m["name"]].hist.append([int(v), int(c)])
    end = END_LINE.search(text)
    return results, bool(end and end.group(1) == "ok")


# ------------------------------------------------------------------- Pagoda

def run_pagoda_one(run, out_dir, timeout):
    """Boot one Pagoda configuration (a PagodaRun).

    Returns (results, completed, notes, QEMU command).
    """
    log_path = os.path.join(out_dir, run.log)
    notes = []
    disk = None
    if run.disk:
        disk = os.path.join(out_dir, run.name + ".img")
        res = subprocess.run(list(run.disk) + [disk], cwd=ROOT, capture_output=True, text=True)
        if res.returncode:
            return {}, False, ["cannot make the disk of %s: %s"
                               % (run.config, res.stderr.strip()[-200:])], []
        disk = os.path.relpath(disk, ROOT)
    extra, plugin_log = [], None
    if run.windows:
        why = build_insncount()
        if why:
            notes.append("%s: instructions of disk operations not counted" % why)
        else:
            plugin_log = os.path.join(out_dir, run.name + "-insncount.log")
            extra = insncount_args(os.path.relpath(plugin_log, ROOT), skip_idle=True)
    try:
        cmd, out = pq.boot(run.config, timeout=timeout, capture=True,
                           sinks=[], echo_stderr=True, bench=True,
                           extra=["-cpu", CPU] + RTC + list(run.extra) + extra, disk=disk)
    except pq.BootError as e:
        return {}, False, ["cannot boot %s: %s" % (run.config, e)], []
    text = out.output.decode("utf-8", "replace")
    with open(log_path, "w", encoding="utf-8") as f:
        f.write(text)
    results, completed = parse_output(text)
    if plugin_log:
        results.update(insncount_results(plugin_log, run.windows))
    m = BLK_LINE.search(text) if run.disk else None
    if m:
        name = run.name + "_total_disk_requests"
        results[name] = Result(name, "requests", 1, int(m.group(2)), int(m.group(2)),
                               int(m.group(2)), [[int(m.group(2)), 1]])
    if not completed:
        notes.append("the Pagoda run of %s did not complete (%s); see %s"
                     % (run.config, out.describe(), os.path.relpath(log_path, ROOT)))
    for line in text.splitlines():
        if pq.unmark(line).startswith("not ok"):
            notes.append("Pagoda: " + line.strip())
    return results, completed, notes, cmd


def run_pagoda(out_dir, timeout):
    """Boot every configuration of PAGODA_RUNS in turn.

    Returns (results of all, all completed, notes, {run name: QEMU command}).
    """
    results, completed, notes, cmds = {}, True, [], {}
    for run in PAGODA_RUNS:
        res, ok, n, cmds[run.name] = run_pagoda_one(run, out_dir, timeout)
        notes += n
        completed = completed and ok
        for name in sorted(set(res) & set(results)):
            notes.append("Pagoda: %s printed by two runs; %s's is kept"
                         % (name, run.config))
        results.update(res)
    return results, completed, notes, cmds


# -------------------------------------------------------------------- Linux

def cached_kernel():
    """Return (vmlinuz path, version) of the cached Linux image, or None."""
    found = sorted(glob.glob(os.path.join(CACHE_DIR, "*", "vmlinuz")))
    if not found:
        return None
    path = found[-1]
    return path, os.path.basename(os.path.dirname(path))


def _run(cmd, cwd=None):
    """Run CMD quietly; return (ok, combined output)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    return p.returncode == 0, p.stdout.decode("utf-8", "replace")


def _as_root(cmd):
    """CMD run as root: directly, or through sudo -n; None if neither."""
    if os.geteuid() == 0:
        return cmd
    if shutil.which("sudo"):
        return ["sudo", "-n"] + cmd
    return None


def _kernel_package():
    """The versioned image package linux-image-amd64 depends on."""
    ok, out = _run(["apt-cache", "depends", "linux-image-amd64"])
    m = re.search(r"Depends: (linux-image-\S+-amd64)\b", out) if ok else None
    return m.group(1) if m else None


def fetch_kernel():
    """Download Debian's kernel image into .cache/linux/<package>/.

    Returns (vmlinuz path, version) or (None, reason).
    """
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return None, "apt-get and dpkg-deb are not available"
    pkg = _kernel_package()
    if not pkg:
        update = _as_root(["apt-get", "update", "-q"])
        if update:
            _run(update)
            pkg = _kernel_package()
    if not pkg:
        return None, "apt-cache knows no linux-image-amd64"
    os.makedirs(CACHE_DIR, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        deb = None
        for name in (pkg + "-unsigned", pkg):   # unsigned: the same kernel, smaller
            ok, out = _run(["apt-get", "download", name], cwd=tmp)
            debs = glob.glob(os.path.join(tmp, "*.deb"))
            if ok and debs:
                deb = debs[0]
                break
        if not deb:
            return None, "apt-get download %s failed: %s" % (
                pkg, out.strip().splitlines()[-1] if out.strip() else "?")
        # Only ./boot: the modules are not needed and are large.
        tar = subprocess.run(
            "dpkg-deb --fsys-tarfile '%s' | tar -x -C '%s' ./boot" % (deb, tmp),
            shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        images = glob.glob(os.path.join(tmp, "boot", "vmlinuz-*"))
        if tar.returncode != 0 or not images:
            return None, "cannot extract vmlinuz from %s" % os.path.basename(deb)
        version = os.path.basename(deb).split("_")[1]
        dest = os.path.join(CACHE_DIR, "%s_%s" % (pkg, version))
        os.makedirs(dest, exist_ok=True)
        shutil.copy(images[0], os.path.join(dest, "vmlinuz"))
        for extra in ("config-",):
            for f in glob.glob(os.path.join(tmp, "boot", extra + "*")):
                shutil.copy(f, os.path.join(dest, extra.rstrip("-.")))
    return os.path.join(dest, "vmlinuz"), os.path.basename(dest)


# The modules the Linux file benchmarks need (Debian builds them as
# modules), dependencies first: the virtio-blk disk and its FAT volume
# (vfat's default code page 437 and character set ascii).
LINUX_MODULES = ("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
                 "virtio_pci", "virtio_blk", "fat", "vfat", "nls_cp437", "nls_ascii")


def linux_modules(kernel):
    """The .ko files of LINUX_MODULES for the cached kernel image KERNEL, in
    .cache/linux/<package>_<version>/modules/ (taken from the same package,
    `apt-get download` again, if not there yet). Returns (paths in load
    order, None) or (None, reason)."""
    dest = os.path.join(os.path.dirname(os.path.abspath(kernel)), "modules")
    paths = [os.path.join(dest, m + ".ko") for m in LINUX_MODULES]
    if all(os.path.isfile(p) for p in paths):
        return paths, None
    pkg, _, version = os.path.basename(os.path.dirname(os.path.abspath(kernel))).partition("_")
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        return None, "apt-get and dpkg-deb are not available"
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        debs = []
        for name in (pkg + "-unsigned", pkg):
            _run(["apt-get", "download", "%s=%s" % (name, version)], cwd=tmp)
            debs = glob.glob(os.path.join(tmp, "*.deb"))
            if debs:
                break
        if not debs:
            return None, "apt-get download %s=%s failed" % (pkg, version)
        wild = " ".join("'*/%s.ko'" % m for m in LINUX_MODULES)
        subprocess.run("dpkg-deb --fsys-tarfile '%s' | tar -x -C '%s' --wildcards %s"
                       % (debs[0], tmp, wild), shell=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
        os.makedirs(dest, exist_ok=True)
        for m in LINUX_MODULES:
            found = glob.glob(os.path.join(tmp, "lib", "modules", "*", "kernel", "**",
                                           m + ".ko"), recursive=True)
            if not found:
                return None, "%s has no %s.ko" % (os.path.basename(debs[0]), m)
            shutil.copy(found[0], os.path.join(dest, m + ".ko"))
    return paths, None


def _cpio_entry(name, mode, data=b"", rdev=(0, 0), ino=1):
    """One cpio "newc" record (the format the kernel's initramfs reads)."""
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
              len(name_b), 0]
    head = b"070701" + b"".join(b"%08x" % v for v in fields)
    rec = head + name_b
    rec += b"\0" * (-len(rec) % 4)
    rec += data
    rec += b"\0" * (-len(rec) % 4)
    return rec


def build_initramfs(modules=None):
    """Build the Linux /init (make) and pack it, with MODULES (.ko paths, in
    load order) under /modules and their order in /modules/order: returns
    the cpio path."""
    ok, out = _run(["make", "--no-print-directory", "-s", "bench-linux-init"],
                   cwd=ROOT)
    if not ok:
        raise RuntimeError("cannot build %s:\n%s" % (LINUX_INIT, out))
    with open(os.path.join(ROOT, LINUX_INIT), "rb") as f:
        init = f.read()
    blob = (_cpio_entry("dev", 0o040755, ino=1) +
            _cpio_entry("dev/console", 0o020600, rdev=(5, 1), ino=2) +
            _cpio_entry("init", 0o100755, init, ino=3))
    if modules:
        names = [os.path.basename(m) for m in modules]
        blob += (_cpio_entry("modules", 0o040755, ino=4) +
                 _cpio_entry("modules/order", 0o100644,
                             ("\n".join(names) + "\n").encode(), ino=5))
        for i, m in enumerate(modules):
            with open(m, "rb") as f:
                blob += _cpio_entry("modules/" + names[i], 0o100644, f.read(), ino=6 + i)
    blob += _cpio_entry("TRAILER!!!", 0, ino=0)
    path = os.path.join(ROOT, LINUX_INITRAMFS if not modules else LINUX_INITRAMFS_FILE)
    with open(path, "wb") as f:
        f.write(blob)
    return path


def linux_command(kernel, initramfs, append="", disk=None, extra=()):
    """The QEMU command for the Linux side: Pagoda's machine, Linux's boot
    (append: more kernel command line; disk: an image attached as the same
    virtio-blk-pci device Pagoda's driver drives)."""
    return ["qemu-system-x86_64", "-M", "q35", "-nodefaults",
            "-bios", pq.QBOOT, "-cpu", CPU, "-m", "256M", "-smp", "1",
            "-display", "none", "-serial", "stdio", "-no-reboot",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-kernel", kernel, "-initrd", initramfs,
            "-append", LINUX_CMDLINE + append, "-accel", "tcg",
            "-icount", pq.icount_opts(disk)] + RTC + (
                pq.disk_args(disk) if disk else []) + list(extra)


def run_linux(kernel, out_dir, timeout, append="", log="linux.log", modules=None, disk=None,
              extra=()):
    """Boot Linux with the benchmark initramfs (and MODULES in it, DISK
    attached, EXTRA QEMU arguments); like run_pagoda."""
    log_path = os.path.join(out_dir, log)
    try:
        initramfs = build_initramfs(modules)
        cmd = linux_command(kernel, initramfs, append, disk, extra)
    except (RuntimeError, pq.BootError) as e:
        return {}, "", False, [str(e)], []
    out = pq.run(cmd, timeout=timeout, sinks=[], capture=True)
    text = out.output.decode("utf-8", "replace")
    with open(log_path, "w", encoding="utf-8") as f:
        f.write(text)
    results, completed = parse_output(text)
    notes = []
    if not completed:
        notes.append("the Linux run did not complete (%s); see %s"
                     % (out.describe(), os.path.relpath(log_path, ROOT)))
    m = LINUX_CPU_LINE.search(text)
    if m and (m["rep_good"] != "1" or m["erms"] != "0" or m["fsrm"] != "0"):
        notes.append("Linux does not zero/copy pages with rep stosq/movsq here "
                     "(rep_good=%s erms=%s fsrm=%s): page costs are not like for like"
                     % (m["rep_good"], m["erms"], m["fsrm"]))
    return results, text, completed, notes, cmd


def linux_side(args, out_dir):
    """Find (or fetch) the kernel and run the Linux side.

    Returns (results, ok, notes, cmd, version); results is {} when the
    Linux side was not run, with notes saying why and how to get it.
    """
    if args.no_linux:
        return {}, True, ["Linux side skipped (--no-linux)"], [], None
    found = None if args.fetch_linux else cached_kernel()
    if not found:
        print("bench: fetching Debian's kernel image into %s ..."
              % os.path.relpath(CACHE_DIR, ROOT), flush=True)
        path, why = fetch_kernel()
        if not path:
            old = cached_kernel()
            if not old:
                return {}, True, [
                    "Linux side not run: no kernel image in %s (%s). Get it with "
                    "`make bench BENCH_ARGS=--fetch-linux` on a machine with "
                    "apt-get and Debian's package archive, or put a bzImage at "
                    "%s/<version>/vmlinuz."
                    % (os.path.relpath(CACHE_DIR, ROOT), why,
                       os.path.relpath(CACHE_DIR, ROOT))], [], None
            print("bench: fetch failed (%s); using the cached %s" % (why, old[1]))
            found = old
        else:
            found = (path, why)
    kernel, version = found
    print("bench: booting Linux %s (15 s to a minute under icount) ..." % version,
          flush=True)
    results, _, ok, notes, cmd = run_linux(
        os.path.relpath(kernel, ROOT), out_dir, args.timeout or LINUX_TIMEOUT)
    notes += linux_file_side(kernel, out_dir, args.timeout or LINUX_TIMEOUT, results)
    return results, ok, notes, cmd, version


def linux_file_side(kernel, out_dir, timeout, results):
    """The Linux file benchmarks (tests/bench/linux/file.c): a boot of their
    own with the virtio modules in the initramfs and the Pagoda file run's
    disk (tests/bench/file_disk.py) attached; adds to results, returns
    notes. Not a failure of the run if the modules cannot be had."""
    modules, why = linux_modules(kernel)
    if not modules:
        return ["Linux file benchmarks not run: no virtio_blk module (%s)" % why]
    disk = os.path.join(out_dir, "linux-file.img")
    res = subprocess.run(["python3", "tests/bench/file_disk.py", disk], cwd=ROOT,
                         capture_output=True, text=True)
    if res.returncode:
        return ["Linux file benchmarks not run: cannot make the disk: %s"
                % res.stderr.strip()[-200:]]
    why = build_insncount()
    plugin_log = os.path.join(out_dir, "linux-file-insncount.log")
    extra = insncount_args(os.path.relpath(plugin_log, ROOT)) if not why else []
    print("bench: booting Linux with virtio_blk on the file disk ...", flush=True)
    more, _, ok, notes, _ = run_linux(os.path.relpath(kernel, ROOT), out_dir, timeout,
                                      " file_only=1", "linux-file.log", modules,
                                      os.path.relpath(disk, ROOT), extra)
    results.update(more)
    if why:
        notes.append("%s: instructions of disk operations not counted" % why)
    else:
        results.update(insncount_results(plugin_log, LINUX_FILE_WINDOWS))
    return notes if ok else notes + ["the Linux file run did not complete"]


# ------------------------------------------------------------------ figures

def _fmt(v):
    return "-" if v is None else "{:,}".format(v)


def _ratio(p, l):
    if p is None or l is None or p.median is None or l.median is None or not l.median:
        return None
    return p.median / l.median


def rows(pagoda, linux):
    """The comparison rows: (pair, pagoda Result or None, linux Result or None)."""
    return [(pr, pagoda.get(pr.pagoda), linux.get(pr.linux) if pr.linux else None)
            for pr in PAIRS]


def unpaired(pagoda, linux):
    """Results that no row of PAIRS names: (side, Result)."""
    pn = {p.pagoda for p in PAIRS} | {pt[1] for g in GROWTH for pt in g.points}
    ln = {p.linux for p in PAIRS} | {pt[2] for g in GROWTH for pt in g.points}
    return ([("pagoda", r) for n, r in pagoda.items() if n not in pn] +
            [("linux", r) for n, r in linux.items() if n not in ln])


def derived(pagoda, linux):
    """Evaluate DERIVED over the medians: [(label, side, formula, value, unit)]."""
    out = []
    for label, side, formula, unit in DERIVED:
        res = pagoda if side == "pagoda" else linux
        names = re.findall(r"[a-z_][a-z_0-9]*", formula)
        if not all(n in res and res[n].median is not None for n in names):
            continue
        env = {n: res[n].median for n in names}
        value = eval(formula, {"__builtins__": {}}, env)  # noqa: S307 (our own table)
        out.append((label, side, formula, round(value, 1), unit))
    return out


def print_table(pagoda, linux):
    """The comparison as a plain-text table on stdout."""
    head = ("operation (Pagoda / Linux)", "Pagoda", "Linux", "Pagoda/Linux")
    lines = []
    for pr, p, l in rows(pagoda, linux):
        r = _ratio(p, l)
        lines.append((pr.label,
                      _fmt(p.median if p else None), _fmt(l.median if l else None),
                      "-" if r is None else "%.2f" % r))
    w = [max(len(x[i]) for x in lines + [head]) for i in range(4)]
    fmt = "%%-%ds  %%%ds  %%%ds  %%%ds" % tuple(w)
    print(fmt % head)
    print("  ".join("-" * x for x in w))
    for line in lines:
        print(fmt % line)
    print("(medians, guest instructions per operation; protN per page)")
    print_worst(pagoda)
    print_growth(pagoda, linux)


def print_growth(pagoda, linux):
    """The lines fitted to the growth series."""
    fits = growth_fits(pagoda, linux)
    if not fits:
        return
    print()
    for g, side, (a, b, dev), n in fits:
        print("growth %-6s %-6s %12s + %10s per %-5s (%d points%s, largest deviation %.1f %%)"
              % (g.key, side, "{:,.0f}".format(a), "{:,.1f}".format(b), g.per, n,
                 " from %s" % g.fit_from if g.fit_from else "", 100 * dev))
    print("(least-squares lines over the medians of GROWTH: intercept + slope x size)")


def print_worst(pagoda):
    """The worst cases of WORST (maximum over all samples), Pagoda only."""
    lines = [(label, _fmt(pagoda[op].max)) for label, op in WORST
             if op in pagoda and pagoda[op].max is not None]
    if not lines:
        return
    w = max(len(label) for label, _ in lines)
    print()
    for label, v in lines:
        print("%-*s  %s" % (w, label, v))
    print("(worst cases: maximum over every sample, guest instructions)")


def configuration(pagoda_cmds, linux_cmd, version):
    """What produced the figures (stored in the JSON and the report)."""
    qemu = _run(["qemu-system-x86_64", "--version"])[1].splitlines()
    ok, tree = _run(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    return {
        "source": tree.strip() if ok else "?",
        "unit": "guest instructions (QEMU TCG, -icount shift=0,sleep=off: "
                "rdtsc advances one per instruction)",
        "qemu": qemu[0] if qemu else "?",
        "cpu": CPU,
        "icount": " ".join(ICOUNT) + " (sleep=on in the runs with a disk)",
        "statistics": "median (lower median), min and max over the measured "
                      "iterations, after a warm-up; nothing subtracted "
                      "(see the rdtsc row for the measurement overhead)",
        "pagoda_config": " ".join(run.config for run in PAGODA_RUNS),
        **{("pagoda_qemu" if run.name == "pagoda" else "pagoda_qemu_" + run.name):
           pq.shell_quote(pagoda_cmds[run.name]) if pagoda_cmds.get(run.name) else None
           for run in PAGODA_RUNS},
        "linux_kernel": version,
        "linux_cmdline": LINUX_CMDLINE if linux_cmd else None,
        "linux_qemu": pq.shell_quote(linux_cmd) if linux_cmd else None,
        "command": "make bench",
    }


def write_json(path, pagoda, linux, config):
    """results.json: every operation of both sides, the pairs, the setup."""
    doc = {
        "configuration": config,
        "pagoda": [r.to_json("pagoda") for r in pagoda.values()],
        "linux": [r.to_json("linux") for r in linux.values()],
        "pairs": [{"key": pr.key, "pagoda": pr.pagoda, "linux": pr.linux,
                   "pagoda_desc": pr.pagoda_desc, "linux_desc": pr.linux_desc,
                   "ratio": _ratio(p, l)}
                  for pr, p, l in rows(pagoda, linux)],
        "growth": [{"key": g.key, "side": side.lower(), "intercept": a, "slope": b,
                    "per": g.per, "max_deviation": dev, "points": n}
                   for g, side, (a, b, dev), n in growth_fits(pagoda, linux)],
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


# ------------------------------------------------------------- determinism

def load_previous(path):
    """The Pagoda and Linux results of an earlier results.json, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    side = {}
    for name in ("pagoda", "linux"):
        side[name] = {r["name"]: r for r in doc.get(name, [])}
    return side


def compare(prev, results, side):
    """Differences between prev[side] and results: a list of lines."""
    diffs = []
    old = prev.get(side, {})
    for name in sorted((set(old) | set(results)) - VARYING):
        a, b = old.get(name), results.get(name)
        if a is None or b is None:
            diffs.append("%s %s: %s" % (side, name, "new" if a is None else "missing now"))
            continue
        b = b.to_json(side)
        for k in ("iterations", "min", "median", "max", "histogram"):
            if a.get(k) != b.get(k):
                what = ("%s -> %s" % (a.get(k), b.get(k)) if k != "histogram"
                        else "distribution differs")
                diffs.append("%s %s %s: %s" % (side, name, k, what))
    return diffs


REGRESSION_LIMIT = 0.02     # a median this much worse than before is reported loudly


def regressions(prev, results, side):
    """Lines for every median of side that is more than REGRESSION_LIMIT
    above the previous run's (fewer instructions is better everywhere)."""
    out = []
    for name, r in sorted(results.items()):
        a = prev.get(side, {}).get(name) if prev else None
        if not a or a.get("median") is None or r.median is None or a["median"] <= 0:
            continue
        change = (r.median - a["median"]) / a["median"]
        if change > REGRESSION_LIMIT:
            out.append("%s %s: median %d -> %d (+%.1f %%)"
                       % (side, name, a["median"], r.median, 100.0 * change))
    return out


def regression_banner(args, results_path, pagoda):
    """The loud warning about regressed Pagoda medians, or None."""
    prev = load_previous(args.compare or results_path)
    bad = regressions(prev, pagoda, "pagoda")
    if not bad:
        return None
    bar = "!" * 72
    return "\n".join([bar, "!! REGRESSION: %d Pagoda figure(s) worse by more than %d %% than "
                       "the previous run" % (len(bad), 100 * REGRESSION_LIMIT)] +
                      ["!!   " + b for b in bad] + [bar])


# -------------------------------------------------------------------- plots

def _png_terminal():
    """gnuplot's best PNG terminal, or None without gnuplot."""
    if not shutil.which("gnuplot"):
        return None
    ok, out = _run(["gnuplot", "-e", "set terminal"])
    if "pngcairo" in out:
        return "pngcairo size 900,520 font 'sans,10'"
    return "png size 900,520" if "png" in out else None


def _ecdf(hist):
    """(value, cumulative fraction) points of a histogram."""
    total = sum(c for _, c in hist) or 1
    pts, acc = [(min(v for v, _ in hist), 0.0)] if hist else [], 0
    for v, c in sorted(hist):
        acc += c
        pts.append((v, acc / total))
    return pts


def plot(out_dir, pagoda, linux):
    """Draw overview.png and one distribution plot per paired operation.

    Returns the list of PNG paths (relative to out_dir), or None when
    gnuplot is missing.
    """
    term = _png_terminal()
    if not term:
        return None
    pdir = os.path.join(out_dir, "plots")
    os.makedirs(pdir, exist_ok=True)
    made, script = [], []
    both = [(pr, p, l) for pr, p, l in rows(pagoda, linux)
            if p and l and p.median and l.median and pr.key != "rdtsc"]
    if both:
        with open(os.path.join(pdir, "overview.dat"), "w") as f:
            for pr, p, l in both:
                f.write('"%s" %d %d\n' % (pr.key, p.median, l.median))
        script += [
            "set terminal %s noenhanced" % term.replace("900,520", "1100,560"),
            "set output '%s'" % os.path.join(pdir, "overview.png"),
            "set title 'Median guest instructions per operation (log scale)'",
            "set style data histograms", "set style histogram clustered gap 1",
            "set style fill solid 0.8 border -1", "set logscale y",
            "set ylabel 'instructions'", "set xtics rotate by -40 scale 0",
            "set grid ytics", "set key top left", "set rmargin 8",
            "plot '%s' using 2:xtic(1) title 'Pagoda', '' using 3 title 'Linux'"
            % os.path.join(pdir, "overview.dat"),
            "unset logscale y", "unset style", "set style data lines",
        ]
        made.append("plots/overview.png")
    seen = set()
    for pr, p, l in rows(pagoda, linux):
        series = [(s, r) for s, r in (("Pagoda " + pr.pagoda, p),
                                       ("Linux " + (pr.linux or ""), l))
                  if r and r.hist]
        ident = tuple(s for s, _ in series)
        if not series or ident in seen or pr.key == "rdtsc":
            continue
        seen.add(ident)
        plots = []
        for i, (title, r) in enumerate(series):
            dat = os.path.join(pdir, "%s.%d.dat" % (pr.key, i))
            with open(dat, "w") as f:
                for v, frac in _ecdf(r.hist):
                    f.write("%d %.6f\n" % (v, frac))
            plots.append("'%s' using 1:2 with steps lw 2 title '%s'" % (dat, title))
        png = os.path.join(pdir, "%s.png" % pr.key)
        script += [
            "set terminal %s noenhanced" % term, "set output '%s'" % png,
            "set title \"%s: distribution over the measured iterations\"" % pr.label,
            "set xlabel 'instructions (log scale)'", "set xtics norotate",
            "set ylabel 'fraction of iterations <= x'", "set logscale x",
            "set yrange [0:1.05]", "set key bottom right", "set grid",
            "plot " + ", ".join(plots), "unset logscale x", "set yrange [*:*]",
        ]
        made.append("plots/%s.png" % pr.key)
    script += _plot_ratios(pdir, term, both, made)
    script += _plot_growth(pdir, term, pagoda, linux, made)
    gp = os.path.join(pdir, "plots.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    ok, out = _run(["gnuplot", gp])
    if not ok:
        print("bench: gnuplot failed: %s" % out.strip().splitlines()[-1:])
        return []
    return made


def _plot_ratios(pdir, term, both, made):
    """gnuplot lines for plots/ratios.png: Pagoda/Linux of every pair, one
    bar each on a log scale, green below 0.98 (Pagoda needs fewer
    instructions), red above 1.02, grey between, the value over the bar.
    README shows a copy
    (docs/img/bench-ratios.png)."""
    if not both:
        return []
    dat = os.path.join(pdir, "ratios.dat")
    with open(dat, "w") as f:
        for pr, p, l in both:
            f.write('"%s" %.4f\n' % (pr.key, p.median / l.median))
    made.append("plots/ratios.png")
    width = max(1100, 26 * len(both) + 200)
    return [
        "set terminal %s noenhanced" % term.replace("900,520", "%d,600" % width),
        "set output '%s'" % os.path.join(pdir, "ratios.png"),
        "set title 'Pagoda / Linux, median guest instructions per benchmark (log scale; "
        "below 1, green: Pagoda executes fewer)'",
        "set logscale y", "set yrange [0.01:50]", "set xrange [-0.7:%f]" % (len(both) - 0.3),
        "set ylabel 'Pagoda / Linux'", "unset xlabel", "set xtics rotate by -50 scale 0",
        "set grid ytics", "set key off", "set rmargin 10", "set bmargin 9",
        "plot '%s' using 0:2:($0-0.38):($0+0.38):(0.01):2:"
        "($2 < 0.98 ? 0x2ca02c : $2 > 1.02 ? 0xd62728 : 0x999999)"
        ":xtic(1) with boxxyerror fs solid 0.8 border -1 lc rgb variable, "
        "'' using 0:2:(sprintf('%%.2g', $2)) with labels offset 0,0.7 font ',7', "
        "1 with lines lc rgb 'black' notitle" % dat,
        "unset logscale y", "set yrange [*:*]", "set xrange [*:*]", "set bmargin",
        "set rmargin", "set key on",
    ]


def _plot_growth(pdir, term, pagoda, linux, made):
    """gnuplot lines for the GROWTH series (plots/growth-<key>.png): the
    medians of both sides and, dashed, the line fitted to each."""
    fits = {(g.key, side): f for g, side, f, _ in growth_fits(pagoda, linux)}
    script = []
    for g in GROWTH:
        rows_ = growth_points(g, pagoda, linux)
        if not any(p for _, p, _ in rows_):
            continue
        dat = os.path.join(pdir, "growth-%s.dat" % g.key)
        with open(dat, "w") as f:
            for x, p, l in rows_:
                f.write("%s %s %s\n" % (x, p if p is not None else "NaN",
                                        l if l is not None else "NaN"))
        png = os.path.join(pdir, "growth-%s.png" % g.key)
        plots = ["'%s' using 1:2 with linespoints lw 2 pt 7 lc 1 title 'Pagoda'" % dat,
                 "'' using 1:3 with linespoints lw 2 pt 5 lc 2 title 'Linux'"]
        for side, lc in (("Pagoda", 1), ("Linux", 2)):
            f = fits.get((g.key, side))
            if f:
                plots.append("(x >= %r ? %r + %r * %r * x : 1/0) with lines dt 2 lc %d "
                             "title '%s fit: %s + %s per %s'" % (g.fit_from, f[0], f[1],
                                                               g.scale, lc, side,
                                                  "{:,.0f}".format(f[0]),
                                                  "{:,.1f}".format(f[1]), g.per))
        xs = [x for x, _, _ in rows_]
        script += [
            "set terminal %s noenhanced" % term, "set output '%s'" % png,
            "set title '%s (median guest instructions)'" % g.title,
            "set xlabel '%s%s'" % (g.xlabel, " (log scale)" if g.logx else ""),
            "unset logscale", "set ylabel 'instructions%s'" % (" (log scale)" if g.logy else ""),
            "set xtics norotate", "set grid", "set key top left", "set samples 400",
            "set logscale x 2" if g.logx else "set xrange [%s:%s]" % (min(xs), max(xs)),
            "set logscale y" if g.logy else "set yrange [0:*]",
            "set format y '%.1s%c'" if not g.logy else "set format y '%g'",
            "plot " + ", ".join(plots),
            "unset logscale", "set xrange [*:*]", "set yrange [*:*]", "set format y",
        ]
        made.append("plots/growth-%s.png" % g.key)
    return script


# ------------------------------------------------------------------- report

def write_report(path, pagoda, linux, config, determinism, notes, pngs):
    """report.md: the comparison, derived figures, setup and plots."""
    out = ["# Pagoda benchmarks", "",
           "Produced by `%s`. Unit: %s. Each figure is the median over the "
           "measured iterations after a warm-up (min and max in "
           "`results.json`)." % (config["command"], config["unit"]), "",
           "| operation: Pagoda | operation: Linux | Pagoda | Linux | Pagoda/Linux |",
           "| --- | --- | ---: | ---: | ---: |"]
    for pr, p, l in rows(pagoda, linux):
        r = _ratio(p, l)
        out.append("| %s | %s | %s | %s | %s |" % (
            pr.pagoda_desc, pr.linux_desc, _fmt(p.median if p else None),
            _fmt(l.median if l else None), "-" if r is None else "%.2f" % r))
    extra = unpaired(pagoda, linux)
    if extra:
        out += ["", "Not paired (no row in tools/bench.py PAIRS):", ""]
        out += ["- %s `%s`: median %s %s" % (s, r.name, _fmt(r.median), r.unit)
                for s, r in extra]
    d = derived(pagoda, linux)
    if d:
        out += ["", "## Derived from the medians", "",
                "| figure | side | formula | value |", "| --- | --- | --- | ---: |"]
        out += ["| %s | %s | `%s` | %s %s |" % (lab, side, fml, "{:,}".format(v), unit)
                for lab, side, fml, v, unit in d]
    fits = growth_lines(pagoda, linux)
    if len(fits) > 2:
        out += ["", "## How costs grow", "",
                "A line fitted (least squares) to each series' medians: intercept "
                "+ slope x size, and the largest deviation of a point from the "
                "line, as a fraction of the point (`GROWTH` in tools/bench.py).", ""]
        out += ["- `%s`: %s; points: %s" % (
            g.key, g.desc, ", ".join("%s" % x for x, _, _ in g.points)) for g in GROWTH]
        out += [""] + fits
    out += ["", "## Min / median / max", "",
            "| side | operation | unit | iterations | min | median | max |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for side, res in (("Pagoda", pagoda), ("Linux", linux)):
        for r in res.values():
            out.append("| %s | `%s` | %s | %d | %s | %s | %s |" % (
                side, r.name, r.unit, r.iterations, _fmt(r.min), _fmt(r.median),
                _fmt(r.max)))
    out += ["", "## Determinism", "", determinism]
    if notes:
        out += ["", "## Notes", ""] + ["- " + n for n in notes]
    out += ["", "## Configuration", ""]
    out += ["- %s: `%s`" % (k, v) for k, v in config.items() if v]
    if pngs:
        out += ["", "## Plots", ""] + ["![%s](%s)" % (p, p) for p in pngs]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


# ------------------------------------------------------------------ profile

PROFILE_CONFIG = os.path.join("build", "bench", "profile-%s.cfg")
# The kernel, the programs linked at 0x400000 (every user program but
# sigma0) and sigma0.
LOW_IMAGES = (0x400000, 0x500000)
SIGMA0_IMAGE = (0x600000000000, 0x600000100000)
PROFILE_RANGES = ("0xffffffff80000000..0xffffffffffffffff,0x%x..0x%x,0x%x..0x%x"
                  % (LOW_IMAGES[0], LOW_IMAGES[1] - 1, SIGMA0_IMAGE[0], SIGMA0_IMAGE[1] - 1))
TRACE_PC = re.compile(rb"\[[0-9a-f]+/([0-9a-f]+)/")
# Mnemonics after which the next instruction need not be the next address.
BRANCH = re.compile(r"^(j|call|ret|syscall|sysret|iret|int|ud2|hlt|loop)")
PROG_SHIFT = 48       # a low-image pc is keyed pc | (program index + 1) << 48


def _profile_run(op):
    """The PagodaRun that prints op."""
    return next((r for r in PAGODA_RUNS if r.ops and op in r.ops),
                next(r for r in PAGODA_RUNS if r.ops is None))


def _profile_config(run, op, n):
    """The text of run's boot configuration with its benchmark task told to
    run op alone, n times ("only=" and "n=", keeping a "suffix=" the run
    prints its names with)."""
    out = []
    with open(os.path.join(ROOT, run.config), encoding="utf-8") as f:
        for line in f.read().splitlines():
            words = line.split()
            if words and words[0] == run.image:
                head, _, tail = line.partition(" -- ")
                args = dict(a.split("=", 1) for a in tail.split() if "=" in a)
                suffix = args.get("suffix", "")
                only = op[:-len(suffix)] if suffix and op.endswith(suffix) else op
                line = "%s -- only=%s n=%d%s" % (head, only, n,
                                                 " suffix=" + suffix if suffix else "")
            out.append(line)
    return "\n".join(out) + "\n"


def _snapshot_command(config, dest, extra, disk=None):
    """The QEMU command booting config from copies (in dest) of the kernel
    and the modules, so that a concurrent rebuild cannot change what runs
    or the symbols it is explained with (disk: an image to attach).
    Returns (cmd, {"kernel": ELF copy, image name: ELF copy, ...})."""
    cmd = pq.qemu_command(config, bench=True, extra=extra, disk=disk)
    copies = {}

    def copy(path):
        dst = os.path.join(dest, path.replace("/", "_"))
        shutil.copy(os.path.join(ROOT, path), dst)
        return os.path.relpath(dst, ROOT)
    cmd[cmd.index("-kernel") + 1] = copy(pq.KERNEL_BIN)
    copies["kernel"] = copy(pq.KERNEL_ELF)
    modules = []
    for path, name in pq.boot_modules(config):
        modules.append((copy(path), name))
        if path.endswith(".elf"):
            copies[name] = modules[-1][0]
    cmd[cmd.index("-initrd") + 1] = pq.initrd_arg(modules)
    return cmd, copies


def _symbols(elf):
    """Sorted (address, name) of an ELF's functions."""
    ok, out = _run(["llvm-nm", "-n", "--defined-only", os.path.join(ROOT, elf)])
    syms = []
    for line in out.splitlines() if ok else []:
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return sorted(syms)


@dataclass
class _Program:
    """A user program on the traced path: its tag in the profile ("user"
    for the benchmark task), symbols, and for each instruction the address
    that follows it when it does not branch (None if it may)."""
    tag: str
    syms: list
    next_pc: dict
    rdtsc: set


def _program(tag, elf):
    """The _Program of an ELF, from its disassembly and symbols."""
    ok, out = _run(["llvm-objdump", "-d", "--no-show-raw-insn", os.path.join(ROOT, elf)])
    insns = [(int(m.group(1), 16), m.group(2)) for m in
             re.finditer(r"^\s*([0-9a-f]+):\s+(\S+)", out if ok else "", re.M)]
    insns.sort()
    next_pc = {}
    for (pc, mnem), (nxt, _) in zip(insns, insns[1:] + [(None, "")]):
        next_pc[pc] = None if BRANCH.match(mnem) else nxt
    return _Program(tag, _symbols(elf), next_pc,
                    {pc for pc, mnem in insns if mnem == "rdtsc"})


def _programs(copies, bench_image):
    """The user programs of a traced boot: (the _Programs linked at
    LOW_IMAGES, the index of the benchmark task among them, sigma0's)."""
    low, bench = [], None
    for name, elf in sorted(copies.items()):
        if name in ("kernel", "sigma0"):
            continue
        if name == bench_image:
            bench = len(low)
        low.append(_program("user" if name == bench_image else os.path.basename(name), elf))
    return low, bench, _program("sigma0", copies["sigma0"])


def _fits(prog, run):
    """Can prog have executed run, a sequence of pcs in user mode?"""
    nxt = prog.next_pc
    if run[0] not in nxt:
        return False
    for a, b in zip(run, run[1:]):
        if b not in nxt or (b != a and nxt[a] is not None and nxt[a] != b):
            return False
    return True


class _Windows:
    """Cut an instruction trace at every rdtsc of the benchmark task: each
    window (from one rdtsc to the next) is a Counter of keys (a pc, or for
    a program linked at LOW_IMAGES, pc | its number << PROG_SHIFT), kept
    per (start site, end site) -- a measured region is one such kind.

    Every program but sigma0 is linked at the same addresses, and the
    trace does not say which address space runs: each run of low-image
    pcs between two kernel pcs is given to the program that can have
    executed it (instruction boundaries and fall-through), or, if several
    can, to the one that ran last among them."""

    def __init__(self, progs, bench):
        self.progs, self.bench = progs, bench
        self.sites = {pc | (bench + 1) << PROG_SHIFT for pc in progs[bench].rdtsc}
        self.start = None
        self.cur = None
        self.kinds = {}
        self.run = []
        self.last = bench
        self.ambiguous = 0        # instructions in runs more than one program fits
        self.unknown = 0          # instructions in runs no program fits
        self.cache = {}

    def _owner(self, run):
        key = tuple(run) if len(run) <= 64 else None
        fit = self.cache.get(key) if key else None
        if fit is None:
            fit = [i for i, p in enumerate(self.progs) if _fits(p, run)]
            if key:
                self.cache[key] = fit
        if len(fit) > 1:
            self.ambiguous += len(run)
        elif not fit:
            self.unknown += len(run)
            return -1
        return self.last if self.last in fit else fit[0]

    def _count(self, key):
        if key in self.sites:
            if self.start is not None:
                self.kinds.setdefault((self.start, key), []).append(self.cur)
            self.start, self.cur = key, collections.Counter()
        if self.cur is not None:
            self.cur[key] += 1

    def _flush(self):
        owner = self._owner(self.run)
        if owner >= 0:
            self.last = owner
        tag = (owner + 1) << PROG_SHIFT
        keys = [pc | tag for pc in self.run]
        self.run = []
        if owner == self.bench and not self.sites.isdisjoint(keys):
            for key in keys:
                self._count(key)
        elif self.cur is not None:
            self.cur.update(keys)

    def feed(self, pcs):
        for raw in pcs:
            pc = int(raw, 16)
            if LOW_IMAGES[0] <= pc < LOW_IMAGES[1]:
                self.run.append(pc)
                continue
            if self.run:
                self._flush()
            self._count(pc)

    def finish(self):
        if self.run:
            self._flush()


def _trace_windows(op, n):
    """Run op n times under a one-instruction-per-block exec trace of the
    kernel and the user programs; return (_Windows, results, namer, the
    addresses of the kernel's interrupt and exception entries)."""
    import threading
    run = _profile_run(op)
    config = PROFILE_CONFIG % op
    with open(os.path.join(ROOT, config), "w") as f:
        f.write(_profile_config(run, op, n))
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, "build", "bench")) as tmp:
        disk = None
        if run.disk:
            disk = os.path.join(tmp, run.name + ".img")
            subprocess.run(list(run.disk) + [disk], cwd=ROOT, check=True, capture_output=True)
            disk = os.path.relpath(disk, ROOT)
        cmd, elves = _snapshot_command(config, tmp, extra=["-cpu", CPU] + RTC + list(run.extra) + [
            "-singlestep", "-d", "exec,nochain", "-D", os.path.join(tmp, "trace"),
            "-dfilter", PROFILE_RANGES], disk=disk)
        low, bench, sigma0 = _programs(elves, run.image)
        win = _Windows(low, bench)
        fifo = os.path.join(tmp, "trace")
        os.mkfifo(fifo)

        def reader():
            rest = b""
            with open(fifo, "rb") as f:
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    chunk = rest + chunk
                    cut = chunk.rfind(b"\n") + 1
                    win.feed(TRACE_PC.findall(chunk, 0, cut))
                    rest = chunk[cut:]
            win.finish()
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        out = pq.run(cmd, timeout=3600, capture=True, sinks=[])
        t.join()
        ksyms = _symbols(elves["kernel"])
        namer = _namer(ksyms, low, sigma0)
    results, done = parse_output(out.output.decode("utf-8", "replace"))
    if not done:
        raise RuntimeError("profile run of %s did not complete: %s" % (op, out.describe()))
    return win, results, namer, {a for a, fn in ksyms if re.match(r"isr_\d+$", fn)}


def _namer(kernel_syms, low, sigma0):
    """A function naming a window key: "function" in the kernel,
    "tag:function" in a user program ("user:" is the benchmark task)."""
    import bisect
    tables = [("", kernel_syms)] + [(p.tag + ":", p.syms) for p in low + [sigma0]]
    addrs = [[a for a, _ in syms] for _, syms in tables]

    def lookup(t, pc):
        i = bisect.bisect_right(addrs[t], pc) - 1
        return tables[t][0] + (tables[t][1][i][1] if i >= 0 else hex(pc))

    def name(key):
        prog = key >> PROG_SHIFT
        if prog == 0:
            if SIGMA0_IMAGE[0] <= key < SIGMA0_IMAGE[1]:
                return lookup(len(tables) - 1, key)
            return lookup(0, key)
        if key >= 1 << 63:
            return lookup(0, key)
        pc = key & ((1 << PROG_SHIFT) - 1)
        return lookup(prog, pc) if prog <= len(low) else "user?:%x" % pc
    return name


# Where a function's instructions go in the profile's summary: the first
# pattern that matches its name names its part of the path.
PROFILE_PARTS = [
    ("user level (task code)", r"^user:"),
    ("user level: sigma0", r"^sigma0:"),
    ("user level: root task (init)", r"^init:"),
    ("user level: pager tasks (cow, trace, ...)", r"^[\w.?-]+:"),
    ("kernel entry and exit", r"^(syscall_(entry|return|dispatch)|sched_reap|isr_\d+|"
                              r"trap_(common|return|dispatch))$"),
    ("IPC (decode, lookup, transfer, fault IPC)",
     r"^(sys_ipc|ipc_|thread_lookup|irq_|fault_page|fault_exception|memcpy$)"),
    ("thread switch and scheduler",
     r"^(schedule|sched_|arch_switch|arch_pt_activate|space_activate|arch_set_|"
     r"thread_check)"),
    ("map / unmap (fpages, mapping database, page tables)",
     r"^(map_|mdb_|arch_pt_|pt_|kmem_|memset$|kip_phys|space_in_kernel_area|"
     r"arch_user_address_ok|arch_cpu_features|sys_unmap|fpage_)"),
    ("other", r""),
]


def profile(op, n=60):
    """Print where one measured iteration of op spends its instructions.

    The run is traced instruction by instruction (QEMU -singlestep -d exec,
    kernel and user code only) and cut at every rdtsc of the benchmark
    task; each kind of window that recurs n times is a measured region (or
    the harness between two). For each, the iteration with the median
    total among the last n (the warm-up comes first) is broken down by
    function. The window's total is the measured figure (both count the
    instructions from one rdtsc to the next).
    """
    print("bench: profiling %s (%d iterations, traced; takes a minute or more) ..."
          % (op, n), flush=True)
    win, results, name, entries = _trace_windows(op, n)
    for (start, end), wins in sorted(win.kinds.items(), key=lambda kv: kv[0]):
        if len(wins) < n:
            continue
        wins = sorted(wins[-n:], key=lambda c: sum(c.values()))   # warm-ups come first
        med = wins[(len(wins) - 1) // 2]
        total = sum(med.values())
        if total < 40:
            continue                      # the harness between two regions
        per_fn = {}
        for key, c in med.items():
            per_fn[name(key)] = per_fn.get(name(key), 0) + c
        # An instruction that faults or is interrupted is traced twice
        # (and a few others on long paths: allow 0.1 %).
        slack = max(1 + sum(c for key, c in med.items() if key in entries), total // 1000)
        what = ["%s%s" % (r.name, " (median %d)" % r.median if total != r.median else "")
                for r in results.values()
                if r.median is not None and 0 <= total - r.median <= slack]
        print("\nregion %s -> %s: median of the last %d windows, %d instructions%s"
              % (name(start), name(end), len(wins), total,
                 " = measured %s" % ", ".join(what) if what else
                 " (between two measured regions)"))
        parts = {}
        for fn, c in per_fn.items():
            part = next(p for p, rx in PROFILE_PARTS if re.search(rx, fn))
            parts[part] = parts.get(part, 0) + c
        for part, c in sorted(parts.items(), key=lambda kv: -kv[1]):
            print("  %-52s %8d %6.1f%%" % (part, c, 100.0 * c / total))
        print("  %-52s %8s %7s" % ("function", "instr", "share"))
        for fn, c in sorted(per_fn.items(), key=lambda kv: -kv[1]):
            print("  %-52s %8d %6.1f%%" % (fn, c, 100.0 * c / total))
    print("\nA window counts from one rdtsc to the next, like the measurement; a"
          " faulting or interrupted instruction is traced twice but counted once"
          " by icount.")
    if win.ambiguous or win.unknown:
        print("User programs share addresses: %d traced instructions fit more than one "
              "program (given to the one that ran last), %d fit none (user?:)."
              % (win.ambiguous, win.unknown))
    return 0


# ----------------------------------------------------------------- rt-alloc

# The rt-alloc rows of the comparison (medians; the rt-alloc section below
# has the maxima).
PAIRS += [
    Pair("rtalloc_%s_%s" % (op, w), "rt_%s %s, 1 GiB heap / glibc" % (op, w),
         "rtalloc_%s_%s_1g" % (op, w), None if w == "worst" else "glibc_%s_%s" % (op, w),
         "rt_%s, %s, 1 GiB heap" % (op, RTALLOC_WORKLOAD_DESC[w]),
         "-" if w == "worst" else "glibc %s, the same workload" % op)
    for w in RTALLOC_WORKLOADS for op in ("malloc", "free")
] + [
    Pair("rtalloc_first_touch", "first touch of a fresh page, cow pager / anon",
         "rtalloc_first_touch_cow", "anon_fault",
         "Pagoda's default path to fresh memory: the first write to a heap page, "
         "copy-on-write pager (in the rt-alloc boot, -m 2G)",
         "anonymous page fault (kernel zero-fills)"),
]

RTALLOC_GOAL = 168       # instructions: TLSF's published x86 bound (issue 9)
RTFRAG_LINE = re.compile(
    r"^RTFRAG name=(?P<name>\S+) ops=(?P<ops>\d+) failed=(?P<failed>\d+) "
    r"interrupted=(?P<interrupted>\d+) peak_live=(?P<peak_live>\d+) "
    r"high_water=(?P<high_water>\d+)", re.M)
RTALLOC_LOGS = ("pagoda-rtalloc.log", "linux.log")


def _quantile(r, q):
    """The q-quantile of r's histogram: the smallest measured value with
    at least a fraction q of the samples at or below it."""
    n = sum(c for _, c in r.hist)
    if not n:
        return None
    want, acc = max(1, math.ceil(q * n - 1e-9)), 0
    for v, c in sorted(r.hist):
        acc += c
        if acc >= want:
            return v
    return r.max


def rtalloc_frag(out_dir, logs=RTALLOC_LOGS):
    """{name: {ops, failed, interrupted, peak_live, high_water}} from the
    RTFRAG lines of the logs."""
    out = {}
    for log in logs:
        try:
            with open(os.path.join(out_dir, log), encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        for m in RTFRAG_LINE.finditer(text.replace("\r", "")):
            out[m["name"]] = {k: int(m[k]) for k in
                              ("ops", "failed", "interrupted", "peak_live", "high_water")}
    return out


def rtalloc_series(pagoda, linux, workloads=RTALLOC_WORKLOADS, heaps=RTALLOC_HEAPS):
    """Rows (allocator, heap, workload, op, Result) of every rt-alloc and
    glibc series that ran."""
    out = []
    for w in workloads:
        for op in ("malloc", "free"):
            for h in heaps:
                r = pagoda.get("rtalloc_%s_%s_%s" % (op, w, h))
                if r and r.median is not None:
                    out.append(("rt-alloc", h, w, op, r))
            r = linux.get("glibc_%s_%s" % (op, w))
            if r and r.median is not None:
                out.append(("glibc", "-", w, op, r))
    return out


def rtalloc_table(series):
    """Markdown rows: median, p99.9 and maximum of each series."""
    out = ["| allocator | heap | workload | operation | calls | median | p99.9 | max |",
           "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |"]
    for alloc, heap, w, op, r in series:
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            alloc, heap, w, op, _fmt(r.iterations), _fmt(r.median),
            _fmt(_quantile(r, 0.999)), _fmt(r.max)))
    return out


def rtalloc_frag_table(frag):
    """Markdown rows: failures and fragmentation of each workload run."""
    out = ["| run | operations | failed allocations | samples with a timer tick (left out) "
           "| peak live bytes | high-water mark | fragmentation |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, f in sorted(frag.items()):
        hw = f["high_water"]
        pct = "%.1f %%" % (100.0 * (hw - f["peak_live"]) / f["peak_live"]) \
            if hw and f["peak_live"] else "-"
        out.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            name, _fmt(f["ops"]), _fmt(f["failed"]), _fmt(f["interrupted"]),
            _fmt(f["peak_live"]), _fmt(hw) if hw else "-", pct))
    return out


def rtalloc_worst(pagoda):
    """{heap: (rt_malloc max, rt_free max)} over every workload of a heap."""
    out = {}
    for h in RTALLOC_HEAPS:
        m = [r.max for n, r in pagoda.items() if n.startswith("rtalloc_malloc_")
             and n.endswith("_" + h) and r.max is not None]
        f = [r.max for n, r in pagoda.items() if n.startswith("rtalloc_free_")
             and n.endswith("_" + h) and r.max is not None]
        if m and f:
            out[h] = (max(m), max(f))
    return out


def rtalloc_plots(out_dir, pagoda, linux):
    """CDF per workload and maximum per heap size; the PNGs made."""
    term = _png_terminal()
    if not term:
        return []
    pdir = os.path.join(out_dir, "plots")
    os.makedirs(pdir, exist_ok=True)
    script, made = [], []
    for w in RTALLOC_WORKLOADS:
        plots = []
        for i, (alloc, heap, _, op, r) in enumerate(rtalloc_series(pagoda, linux, (w,), ("1g",))):
            dat = os.path.join(pdir, "rtalloc_%s.%d.dat" % (w, i))
            with open(dat, "w") as f:
                for v, frac in _ecdf(r.hist):
                    f.write("%d %.6f\n" % (v, frac))
            plots.append("'%s' using 1:2 with steps lw 2 title '%s %s%s'" % (
                dat, alloc, op, " (1 GiB heap)" if heap != "-" else ""))
        if not plots:
            continue
        png = os.path.join(pdir, "rtalloc_%s.png" % w)
        script += ["set terminal %s noenhanced" % term, "set output '%s'" % png,
                   "set title \"%s: %s, per call\"" % (w, RTALLOC_WORKLOAD_DESC[w]),
                   "set xlabel 'instructions (log scale)'", "set logscale x",
                   "set ylabel 'fraction of calls <= x'", "set yrange [0:1.05]",
                   "set key bottom right", "set grid", "plot " + ", ".join(plots),
                   "unset logscale x", "set yrange [*:*]"]
        made.append("plots/rtalloc_%s.png" % w)
    worst = rtalloc_worst(pagoda)
    if worst:
        dat = os.path.join(pdir, "rtalloc_max.dat")
        mib = {"1m": 1, "64m": 64, "1g": 1024}
        with open(dat, "w") as f:
            for h, (m, fr) in worst.items():
                f.write("%d %d %d %d\n" % (mib[h], m, fr, RTALLOC_GOAL))
        png = os.path.join(pdir, "rtalloc_max.png")
        script += ["set terminal %s noenhanced" % term, "set output '%s'" % png,
                   "set title 'rt-alloc: maximum instructions per call, every workload'",
                   "set xlabel 'heap size (MiB, log scale)'", "set logscale x",
                   "set ylabel 'instructions'", "set yrange [0:200]", "set xrange [0.5:2048]",
                   "set key bottom right",
                   "set grid", "plot '%s' using 1:2 with linespoints lw 2 title 'rt_malloc', "
                   "'' using 1:3 with linespoints lw 2 title 'rt_free', "
                   "'' using 1:4 with lines dt 2 title 'goal (%d)'" % (dat, RTALLOC_GOAL),
                   "unset logscale x", "set yrange [*:*]", "set xrange [*:*]"]
        made.append("plots/rtalloc_max.png")
    gp = os.path.join(pdir, "rtalloc.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    ok, out = _run(["gnuplot", gp])
    if not ok:
        print("bench: gnuplot failed on the rt-alloc plots: %s" % out.strip().splitlines()[-1:])
        return []
    return made


def rtalloc_section(out_dir, pagoda, linux, plots=True):
    """Print the rt-alloc figures, add them to report.md and results.json
    (under "rtalloc"), draw their plots."""
    series = rtalloc_series(pagoda, linux)
    if not series:
        return
    frag = rtalloc_frag(out_dir)
    worst = rtalloc_worst(pagoda)
    table = rtalloc_table(series)
    print("\nrt-alloc: instructions per call (median, p99.9, max; samples with a "
          "timer tick left out)")
    for line in table[:1] + table[2:]:
        print("  " + " ".join("%-10s" % c.strip() for c in line.strip("|").split("|")))
    for h, (m, f) in worst.items():
        print("rt-alloc: %s heap: rt_malloc max %d, rt_free max %d (goal <= %d: %s)"
              % (h, m, f, RTALLOC_GOAL, "met" if max(m, f) <= RTALLOC_GOAL else "NOT met"))
    pngs = rtalloc_plots(out_dir, pagoda, linux) if plots else []
    md = ["", "## rt-alloc: rt_malloc and rt_free per call", "",
          "Instructions per call, rdtsc around the call (`tests/bench/rtalloc/`); "
          "a sample with a timer tick in it is left out and counted below. glibc: "
          "the same workloads in the Linux /init, one process.", ""] + table
    md += ["", "Maximum over every workload per heap size (goal: <= %d):" % RTALLOC_GOAL, "",
           "| heap | rt_malloc max | rt_free max |", "| --- | ---: | ---: |"]
    md += ["| %s | %d | %d |" % (h, m, f) for h, (m, f) in worst.items()]
    md += ["", "Fragmentation: the high-water mark against the peak of live requested "
           "bytes. rt-alloc: the highest byte ever handed out, from the heap's "
           "start; glibc: its largest footprint (mallinfo2: arena + mmapped "
           "chunks) after an allocation.", ""] + rtalloc_frag_table(frag)
    if pngs:
        md += [""] + ["![%s](%s)" % (p, p) for p in pngs]
    with open(os.path.join(out_dir, "report.md"), "a", encoding="utf-8") as f:
        f.write("\n".join(md) + "\n")
    path = os.path.join(out_dir, "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        doc = {}
    doc["rtalloc"] = {
        "goal": RTALLOC_GOAL,
        "series": [{"allocator": a, "heap": h, "workload": w, "op": op, "name": r.name,
                    "iterations": r.iterations, "median": r.median,
                    "p99_9": _quantile(r, 0.999), "max": r.max}
                   for a, h, w, op, r in series],
        "max_per_heap": {h: {"malloc": m, "free": f} for h, (m, f) in worst.items()},
        "fragmentation": frag,
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def rtalloc_trace_run(args, out_dir):
    """--rtalloc-trace FILE: rebuild both benchmark programs with FILE as
    the trace, replay it on rt-alloc (Pagoda) and glibc (Linux) and print
    the figures. Returns the exit status."""
    trace = os.path.abspath(args.rtalloc_trace)
    os.environ["RTALLOC_TRACE"] = trace        # make reads it (rt-alloc/rtalloc.mk)
    ok, out = _run(["make", "--no-print-directory", "-s", "all", "bench-linux-init"], cwd=ROOT)
    if not ok:
        print("bench: cannot build with the trace %s:\n%s" % (args.rtalloc_trace, out.strip()))
        return 1
    config = os.path.join("build", "bench", "rtalloc-trace.cfg")
    with open(os.path.join(ROOT, config), "w", encoding="utf-8") as f:
        f.write("@shutdown\npagers/cow priv\nbench/rtalloc pager=pagers/cow -- heaps=%d only=trace\n"
                % args.rtalloc_heap)
    run = PagodaRun("rtalloc-trace", config, "bench/rtalloc", "pagoda-rtalloc-trace.log",
                    None, ("-m", "2G"))
    print("bench: replaying %s on rt-alloc (Pagoda, %d MiB heap) ..." % (
        args.rtalloc_trace, args.rtalloc_heap), flush=True)
    pagoda, p_ok, notes, _ = run_pagoda_one(run, out_dir, args.timeout or PAGODA_TIMEOUT)
    linux, l_ok = {}, True
    found = None if args.no_linux else cached_kernel()
    if found:
        print("bench: replaying it on glibc (Linux %s) ..." % found[1], flush=True)
        linux, _, l_ok, lnotes, _ = run_linux(os.path.relpath(found[0], ROOT), out_dir,
                                              args.timeout or LINUX_TIMEOUT, " rtalloc_only=1",
                                              "linux-rtalloc-trace.log")
        notes += lnotes
    elif not args.no_linux:
        notes.append("no Linux image cached: run `make bench` once to fetch it")
    heap = "%dm" % args.rtalloc_heap if args.rtalloc_heap < 1024 else "%dg" % (args.rtalloc_heap >> 10)
    series = rtalloc_series(pagoda, linux, ("trace",), (heap,))
    for line in rtalloc_table(series):
        print(line)
    frag = rtalloc_frag(out_dir, ("pagoda-rtalloc-trace.log", "linux-rtalloc-trace.log"))
    frag = {k: v for k, v in frag.items() if k in ("glibc_trace", "rtalloc_trace_" + heap)}
    print()
    for line in rtalloc_frag_table(frag):
        print(line)
    for n in notes:
        print("bench: " + n)
    return 0 if p_ok and l_ok and series else 1


# --------------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bench.py", description="Run the Pagoda and Linux benchmarks.")
    p.add_argument("--fetch-linux", action="store_true",
                   help="download Debian's current kernel image even if one is cached")
    p.add_argument("--no-linux", action="store_true",
                   help="run the Pagoda side only")
    p.add_argument("--compare", metavar="FILE",
                   help="results.json to compare with (default: the previous "
                        "build/bench/results.json)")
    p.add_argument("--out", metavar="DIR", default=OUT_DIR,
                   help="output folder (default build/bench)")
    p.add_argument("--no-plots", action="store_true", help="skip gnuplot")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds before a QEMU run is stopped")
    p.add_argument("--profile", metavar="OP",
                   help="instead: trace the Pagoda operation OP (e.g. ipc_inter_0) "
                        "and print its instructions per function")
    p.add_argument("--rtalloc-trace", metavar="FILE",
                   help="instead: replay the allocation trace FILE (lines 'a ID SIZE' / "
                        "'f ID') on rt-alloc and on glibc; print median, p99.9, max")
    p.add_argument("--rtalloc-heap", type=int, default=1024, metavar="MIB",
                   help="the rt-alloc heap for --rtalloc-trace (default 1024 MiB)")
    p.add_argument("--profile-n", type=int, default=60, metavar="N",
                   help="iterations of the profiled operation (default 60; "
                        "fewer for the forks: fork_16m traces millions of "
                        "instructions per iteration)")
    return p.parse_args(argv)


def determinism_check(args, results_path, pagoda, linux):
    """Compare with the previous run; returns the sentence for the report."""
    ref = args.compare or results_path
    prev = load_previous(ref)
    if prev is None:
        if args.compare:
            return "cannot read %s: nothing compared" % args.compare
        return "no previous results.json: nothing to compare with"
    shown = os.path.relpath(os.path.abspath(ref), ROOT)
    diffs = compare(prev, pagoda, "pagoda")
    if diffs:
        msg = "Pagoda figures differ from %s:\n" % shown + "\n".join(
            "  " + d for d in diffs)
    else:
        msg = "Pagoda figures identical to previous run (%s)" % shown
    if linux and prev.get("linux"):
        ldiffs = compare(prev, linux, "linux")
        msg += ("; Linux figures identical too" if not ldiffs else
                "\nLinux figures differ in %d values (%s)" % (
                    len(ldiffs), "; ".join(ldiffs[:5])))
    return msg


def main(argv):
    args = parse_args(argv)
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    if args.profile:
        return profile(args.profile, args.profile_n)
    if args.rtalloc_trace:
        return rtalloc_trace_run(args, out_dir)
    results_path = os.path.join(out_dir, "results.json")
    if not args.compare and os.path.exists(results_path):
        shutil.copy(results_path, os.path.join(out_dir, "results.prev.json"))
        args.compare = os.path.join(out_dir, "results.prev.json")

    print("bench: booting Pagoda under -icount ...", flush=True)
    pagoda, p_ok, notes, p_cmds = run_pagoda(out_dir, args.timeout or PAGODA_TIMEOUT)
    linux, l_ok, lnotes, l_cmd, version = linux_side(args, out_dir)
    notes += lnotes

    print()
    print_table(pagoda, linux)
    config = configuration(p_cmds, l_cmd, version)
    determinism = determinism_check(args, results_path, pagoda, linux)
    banner = regression_banner(args, results_path, pagoda)
    if banner:
        notes.append(banner)
    pngs = None if args.no_plots else plot(out_dir, pagoda, linux)
    if pngs is None and not args.no_plots:
        notes.append("no plots: gnuplot is not installed (apt-get install gnuplot-nox)")
    write_json(results_path, pagoda, linux, config)
    write_report(os.path.join(out_dir, "report.md"), pagoda, linux, config,
                 determinism, notes, pngs)
    rtalloc_section(out_dir, pagoda, linux, not args.no_plots)
    print()
    for n in notes:
        if n is not banner:
            print("bench: " + n)
    print("bench: " + determinism)
    if banner:
        print(banner)
    print("bench: wrote %s, %s%s" % (
        os.path.relpath(results_path, ROOT),
        os.path.relpath(os.path.join(out_dir, "report.md"), ROOT),
        " and %d plots" % len(pngs) if pngs else ""))
    return 0 if p_ok and l_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
