#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot Pagoda under QEMU (TCG, never KVM) with a boot configuration.

usage: python3 tools/qemu.py --config FILE [--gdb] [--bench] [--timeout S]
                             [--log FILE] [--dry-run]
                             [--disk DIR|IMG [--disk-image IMG]
                              [--disk-size MIB] [--fat 12|16|32]]
                             [-- extra qemu args]

--disk attaches a virtio-blk disk (drivers/blk drives it): a raw image
file as it is, or a folder, from which a FAT image is made with mkfs.fat
and mcopy (into --disk-image, default build/disk.img). The image stays
after the guest ends: read it with mtools (mdir -i build/disk.img ::).

The serial port is this terminal: Ctrl-A X quits, Ctrl-A C switches to the
QEMU monitor and back. Exit status:
  0    the guest wrote 0 to isa-debug-exit
  1    the guest wrote another status, triple-faulted, or QEMU failed
  2    bad usage, bad configuration or a missing file
  124  --timeout expired
  otherwise QEMU's own exit status (0 after Ctrl-A X or a guest shutdown).
How the boot modules are laid out: see tools/pagoda_qemu.py.
"""

import argparse
import os
import sys
import tempfile
import termios

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_qemu as pq  # noqa: E402


def parse_args(argv):
    """Split off the QEMU arguments after "--" and parse the rest."""
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(
        prog="qemu.py", description="Boot Pagoda under QEMU.",
        epilog="Arguments after -- go to QEMU unchanged.")
    p.add_argument("--config", required=True,
                   help="boot configuration (e.g. init/default.cfg)")
    p.add_argument("--gdb", action="store_true",
                   help="wait for gdb on :1234 before the first instruction")
    p.add_argument("--bench", action="store_true",
                   help="deterministic timing: -icount shift=0,sleep=off")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="stop QEMU after S seconds (exit 124)")
    p.add_argument("--log", metavar="FILE",
                   help="also write the serial output to FILE")
    p.add_argument("--dry-run", action="store_true",
                   help="print the QEMU command and exit")
    p.add_argument("--disk", metavar="DIR|IMG",
                   help="virtio-blk disk: a raw image, or a folder made "
                        "into a FAT image")
    p.add_argument("--disk-image", metavar="IMG", default="build/disk.img",
                   help="where a folder's FAT image goes (default "
                        "build/disk.img)")
    p.add_argument("--disk-size", metavar="MIB", type=int, default=64,
                   help="size of a folder's FAT image (default 64 MiB)")
    p.add_argument("--fat", type=int, choices=(12, 16, 32),
                   help="FAT type of a folder's image (default: mkfs.fat's "
                        "choice for the size)")
    args = p.parse_args(argv)
    args.extra = extra
    return args


def prepare_disk(args):
    """The raw image to attach (made from a folder if need be), or None."""
    if not args.disk:
        return None
    if not os.path.isdir(args.disk):
        return os.path.relpath(os.path.abspath(args.disk), pq.ROOT)
    image = os.path.join(pq.ROOT, args.disk_image)
    os.makedirs(os.path.dirname(image), exist_ok=True)
    if not args.dry_run:
        pq.make_fat_image(args.disk, image, args.disk_size, args.fat)
    return os.path.relpath(image, pq.ROOT)


def saved_terminal():
    """Return stdin's terminal settings, to restore if QEMU cannot."""
    if not os.isatty(0):
        return None
    return termios.tcgetattr(0)


def restore_terminal(attrs):
    """Put stdin's terminal back as it was (after a killed QEMU)."""
    termios.tcsetattr(0, termios.TCSADRAIN, attrs)


def main(argv):
    """Boot once and return qemu.py's exit status."""
    args = parse_args(argv)
    fd, debug_log = tempfile.mkstemp(prefix="pagoda-qemu-", suffix=".log")
    os.close(fd)
    try:
        try:
            disk = prepare_disk(args)
            cmd = pq.qemu_command(
                args.config, gdb=args.gdb, bench=args.bench, extra=args.extra,
                debug_log=None if args.dry_run else debug_log, disk=disk)
        except pq.BootError as e:
            print("qemu.py: %s" % e, file=sys.stderr)
            return 2
        if args.dry_run:
            here = os.path.samefile(os.getcwd(), pq.ROOT)
            cd = "" if here else "cd %s && " % pq.ROOT
            print(cd + pq.shell_quote(cmd))
            return 0
        if args.gdb:
            print(pq.GDB_HINT, flush=True)
        status = boot(cmd, args, debug_log)
        if disk:
            shown = args.disk_image if os.path.isdir(args.disk) else args.disk
            print("qemu.py: the disk image is %s" % shown, file=sys.stderr)
        return status
    finally:
        os.unlink(debug_log)


def boot(cmd, args, debug_log):
    """Run CMD (serial on this terminal, and in --log) and report."""
    log = open(args.log, "wb") if args.log else None
    term = saved_terminal()
    try:
        out = pq.run(cmd, timeout=args.timeout,
                     sinks=[sys.stdout.buffer, log] if log else None,
                     debug_log=debug_log)
    finally:
        if log:
            log.close()
    if term is not None and out.kind in ("timeout", "signal", "interrupted"):
        restore_terminal(term)  # QEMU may have died with the terminal raw
    if not out.ok() and not (out.kind == "exit" and out.status == 0):
        print("\nqemu.py: %s" % out.describe(), file=sys.stderr)
    return out.exit_code()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
