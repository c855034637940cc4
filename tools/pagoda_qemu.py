# SPDX-License-Identifier: MIT
"""Boot Pagoda under QEMU: shared by tools/qemu.py and tools/runtests.py.

How a boot is put together:

  The kernel is a multiboot image (build/kernel.bin) given to QEMU's
  -kernel. Everything else arrives as multiboot modules through -initrd, in
  this order:

    0  build/sigma0.elf                 cmdline "build/sigma0.elf sigma0"
    1  build/init.elf                   cmdline "build/init.elf init"
    2  the boot configuration           cmdline "<path> boot.cfg"
    3… build/<image>.elf, once per distinct image named in the configuration,
       cmdline "build/<image>.elf <image>"

  QEMU's -initrd takes the modules as one comma-separated list; within an
  item, everything after the first space is the module's command line, and
  QEMU hands the whole item (path included) to the guest as that command
  line. A literal comma is written ",,". init finds a module by the last
  word of its command line.

How a run ends (QEMU's exit status, classified by run()):

  - the guest wrote STATUS to the isa-debug-exit port 0xf4: QEMU exits with
    (STATUS << 1) | 1. Status 1 is ambiguous with QEMU's own failure exit;
    QEMU prints an error on stderr when it fails, the guest exit prints
    nothing, so stderr decides.
  - QEMU exited 0: the guest shut down or reset (with -no-reboot a reset is
    a shutdown), or someone typed Ctrl-A X. A triple fault is recognised
    from QEMU's "-d cpu_reset" log, which TCG writes "Triple fault" to.
  - we killed it at the timeout, or it died from a signal.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Relative to ROOT (QEMU runs with ROOT as its directory): build/, or the
# debug build's build/debug/ when make passes PAGODA_BUILD (build.mk).
BUILD = os.environ.get("PAGODA_BUILD", "build")
KERNEL_BIN = BUILD + "/kernel.bin"
KERNEL_ELF = BUILD + "/kernel.elf"
QBOOT = "/usr/share/qemu/qboot.rom"
GDB_HINT = "gdb %s -ex 'target remote :1234'" % KERNEL_ELF

EXIT_TIMEOUT = 124


class BootError(Exception):
    """A boot cannot be set up: bad configuration or missing file."""


# The kernel marks every console line of a task other than sigma0 and the
# root task with the thread id (kernel/console.c): "230001| text". Lines
# without the mark come from the kernel, sigma0 or the root task only.
TASK_MARK = re.compile(r"^[0-9a-f]+\| ")


def unmark(line):
    """Return LINE without a task's mark (for parsing what tasks print)."""
    return TASK_MARK.sub("", line, count=1)


def is_trusted(line):
    """True if LINE came from the kernel, sigma0 or the root task."""
    return not TASK_MARK.match(line)


def config_images(config):
    """Return the distinct images a boot configuration names, in order.

    CONFIG is a path (relative to ROOT or absolute). A line's first token
    is the image: a path below build/ without ".elf". Blank lines and lines
    starting with # are comments.
    """
    path = os.path.join(ROOT, config)
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise BootError("cannot read config %s: %s" % (config, e.strerror))
    except UnicodeDecodeError as e:
        with open(path, "rb") as f:
            line = f.read()[:e.start].count(b"\n") + 1
        raise BootError("config %s:%d: not valid UTF-8 (byte 0x%02x at offset %d)"
                        % (config, line, e.object[e.start], e.start))
    images = []
    for line in lines:
        words = line.split()
        if not words or words[0].startswith(("#", "@")):
            continue
        if words[0] not in images:
            images.append(words[0])
    return images


def config_path(config):
    """Return CONFIG as QEMU (running in ROOT) should name it.

    A relative path is taken from the current directory, or failing that
    from ROOT; the result is relative to ROOT when the file lies inside it.
    """
    full = config
    if not os.path.isabs(config) and not os.path.exists(config):
        full = os.path.join(ROOT, config)
    full = os.path.abspath(full)
    if not os.path.isfile(full):
        raise BootError("no such config file: %s" % config)
    rel = os.path.relpath(full, ROOT)
    return full if rel.startswith("..") else rel


def boot_modules(config):
    """Return the (path, cmdline) list of multiboot modules for CONFIG."""
    cfg = config_path(config)
    modules = [(BUILD + "/sigma0.elf", "sigma0"),
               (BUILD + "/init.elf", "init"),
               (cfg, "boot.cfg")]
    names = {name for _, name in modules}
    for image in config_images(cfg):
        path = "%s/%s.elf" % (BUILD, image)
        if image in names:
            continue
        if not os.path.isfile(os.path.join(ROOT, path)):
            # The root task reports an unknown image with its line number;
            # booting without it is how that error is shown (and tested).
            sys.stderr.write("qemu.py: no %s: %s is left out of the boot modules\n"
                             % (path, image))
            continue
        modules.append((path, image))
        names.add(image)
    return modules


def initrd_arg(modules):
    """Format modules as one -initrd value: "path name,path name,..."."""
    items = []
    for path, name in modules:
        if any(c.isspace() for c in path):
            raise BootError("module path contains white space: %r" % path)
        items.append(("%s %s" % (path, name)).replace(",", ",,"))
    return ",".join(items)


def check_files(modules):
    """Raise BootError naming the first boot file that does not exist."""
    for path in [QBOOT, KERNEL_BIN] + [p for p, _ in modules]:
        if not os.path.isfile(os.path.join(ROOT, path)):
            hint = " (run make)" if path.startswith(BUILD + "/") else ""
            raise BootError("missing %s%s" % (path, hint))


def disk_args(image, drive_opts=""):
    """QEMU arguments for IMAGE as a modern virtio-blk disk (drivers/blk);
    DRIVE_OPTS (e.g. "readonly=on") go to its -drive."""
    if not os.path.isfile(os.path.join(ROOT, image)):
        raise BootError("no such disk image: %s" % image)
    drive = "file=%s,format=raw,if=none,id=hd0" % image.replace(",", ",,")
    return ["-drive", drive + ("," + drive_opts if drive_opts else ""),
            "-device", "virtio-blk-pci,drive=hd0,disable-legacy=on"]


def sbin_tool(name):
    """NAME's path: on PATH, or in /usr/sbin or /sbin (dosfstools), which
    a user's PATH may lack."""
    for d in ["/usr/sbin", "/sbin"]:
        if not shutil.which(name) and os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return name


def make_fat_image(folder, image, size_mib=64, fat=None):
    """Make IMAGE, a FAT file system of SIZE_MIB holding FOLDER's files.

    mkfs.fat chooses FAT12/16/32 from the size unless FAT (12, 16, 32) is
    given; mcopy copies the folder's contents, sub-folders included.
    Raise BootError if a tool fails.
    """
    if not os.path.isdir(folder):
        raise BootError("no such folder: %s" % folder)
    if os.path.exists(image):
        os.unlink(image)
    mkfs = [sbin_tool("mkfs.fat"), "-C", "-n", "PAGODA"] + (["-F", str(fat)] if fat else [])
    steps = [mkfs + [image, str(size_mib * 1024)]]
    entries = sorted(os.listdir(folder))
    if entries:
        steps.append(["mcopy", "-s", "-Q", "-i", image] +
                     [os.path.join(folder, e) for e in entries] + ["::/"])
    for step in steps:
        res = subprocess.run(step, capture_output=True, text=True)
        if res.returncode != 0:
            raise BootError("%s failed: %s" % (step[0], res.stderr.strip()[-300:]))


def icount_opts(disk):
    """The -icount options of a benchmark boot. sleep=off makes the guest
    clock jump to its next timer event whenever the vCPU idles, so a run
    that never waits for anything is the same at every run. A guest that
    waits for a disk idles until the host has done the I/O: with
    sleep=off its clock then races through timer tick after tick for as
    long as the host takes (5 s of guest time in a few hundred ms of a
    loaded host's), and init's 5 s deadline for a pager fires although
    the pager only waits for the disk. With a disk the clock therefore
    runs at real speed while the vCPU idles (sleep=on); it still counts
    one per instruction while the vCPU runs (docs/benchmarks.md, "The
    guest clock across disk waits")."""
    return "shift=0,sleep=" + ("on" if disk else "off")


def qemu_command(config, gdb=False, bench=False, extra=(), debug_log=None, disk=None,
                 drive_opts=""):
    """Return the QEMU argument list that boots CONFIG.

    DEBUG_LOG, if given, is the file QEMU's "-d cpu_reset" log goes to,
    which lets run() recognise a triple fault. DISK, if given, is a raw
    image attached as a virtio-blk disk, with DRIVE_OPTS on its -drive.
    """
    modules = boot_modules(config)
    check_files(modules)
    cmd = [
        "qemu-system-x86_64", "-M", "q35", "-nodefaults", "-bios", QBOOT,
        "-cpu", "max,-rdrand,-rdseed", "-m", "256M", "-smp", "1",
        "-display", "none",
        # mon:stdio rather than plain stdio: the serial port and the QEMU
        # monitor share stdio through a multiplexer, so Ctrl-A X quits,
        # Ctrl-A C toggles the monitor (info registers, x/, info tlb) and
        # Ctrl-C goes to the guest instead of killing QEMU. Plain
        # "-serial stdio" has no Ctrl-A escapes at all. With stdin not a
        # terminal (tests) the two behave the same.
        "-serial", "mon:stdio",
        "-no-reboot",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-kernel", KERNEL_BIN,
        "-initrd", initrd_arg(modules),
        "-accel", "tcg",
    ]
    if bench:
        # One tick of the guest TSC per instruction: deterministic counts.
        cmd += ["-icount", icount_opts(disk), "-rtc", "clock=vm"]
    if disk:
        cmd += disk_args(disk, drive_opts)
    if gdb:
        cmd += ["-s", "-S"]
    if debug_log and not any(a in ("-d", "-D") for a in extra):
        cmd += ["-d", "cpu_reset", "-D", debug_log]
    return cmd + list(extra)


@dataclass
class Outcome:
    """How a QEMU run ended.

    kind is one of: "guest-exit" (isa-debug-exit; status is the guest's
    value), "exit" (QEMU exited by itself; status is its exit code),
    "triple-fault", "qemu-error", "timeout", "signal" (status is the
    signal number), "interrupted" (Ctrl-C reached this process).
    """
    kind: str
    status: int = 0
    elapsed: float = 0.0
    stderr: str = ""
    output: bytes = b""

    def ok(self):
        """True if the guest reported success through isa-debug-exit."""
        return self.kind == "guest-exit" and self.status == 0

    def exit_code(self):
        """The exit status qemu.py should return for this outcome."""
        if self.kind == "guest-exit":
            return 0 if self.status == 0 else 1
        if self.kind == "exit":
            return self.status
        if self.kind == "timeout":
            return EXIT_TIMEOUT
        if self.kind in ("signal", "interrupted"):
            return 128 + (self.status or signal.SIGINT)
        return 1

    def describe(self):
        """One line saying how the run ended."""
        if self.kind == "guest-exit":
            return "guest exited with status %d" % self.status
        if self.kind == "exit":
            return ("QEMU exited with status %d without isa-debug-exit "
                    "(guest shutdown or reset, or Ctrl-A X)" % self.status)
        if self.kind == "triple-fault":
            return "guest triple-faulted (CPU reset)"
        if self.kind == "qemu-error":
            err = [l for l in self.stderr.splitlines() if l.strip()]
            return "QEMU failed: %s" % (err[-1] if err else "status 1")
        if self.kind == "timeout":
            return "timed out after %.0fs" % self.elapsed
        if self.kind == "interrupted":
            return "interrupted"
        try:
            name = " (%s)" % signal.Signals(self.status).name
        except ValueError:
            name = ""
        return "QEMU killed by signal %d%s" % (self.status, name)


def _pump(src, sinks, keep):
    """Copy bytes from pipe SRC to each sink (and KEEP) until EOF."""
    while True:
        try:
            chunk = os.read(src.fileno(), 65536)
        except OSError:
            break
        if not chunk:
            break
        if keep is not None:
            keep.append(chunk)
        for sink in sinks:
            try:
                sink.write(chunk)
                sink.flush()
            except (OSError, ValueError):
                pass
    src.close()


def _stop(proc):
    """Ask QEMU to quit (it restores the terminal), then make sure."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _classify(rc, stderr, debug_log):
    """Turn QEMU's exit status into an Outcome kind and status."""
    if rc < 0:
        return "signal", -rc
    triple = False
    if debug_log and os.path.exists(debug_log):
        with open(debug_log, "rb") as f:
            triple = b"Triple fault" in f.read()
    killed = re.search(r"terminating on signal (\d+)", stderr)
    if rc == 0 and killed:
        return "signal", int(killed[1])
    if rc == 0:
        return ("triple-fault", 0) if triple else ("exit", 0)
    errors = [l for l in stderr.splitlines()
              if l.strip() and "warning:" not in l
              and "terminating on signal" not in l]
    if rc == 1 and errors:
        return "qemu-error", 1
    if rc % 2 == 1:
        return "guest-exit", rc >> 1
    return "exit", rc


def run(cmd, timeout=None, sinks=None, stdin=None, capture=False,
        echo_stderr=True, debug_log=None, on_start=None):
    """Run the QEMU command CMD in ROOT and return its Outcome.

    Serial output (QEMU's stdout) goes to each binary file in SINKS, or is
    inherited when SINKS is None; CAPTURE keeps a copy in Outcome.output.
    QEMU's stderr is kept, and passed on to ours if ECHO_STDERR. STDIN is
    handed to Popen.
    TIMEOUT, in seconds, stops QEMU. ON_START(proc) is called once QEMU
    runs (runtests uses it to track processes to stop on Ctrl-C).
    """
    piped = sinks is not None or capture
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdin=stdin,
                            stdout=subprocess.PIPE if piped else None,
                            stderr=subprocess.PIPE)
    if on_start:
        on_start(proc)
    kept, errbuf = [] if capture else None, []
    errsink = [sys.stderr.buffer] if echo_stderr else []
    pumps = [threading.Thread(target=_pump,
                              args=(proc.stderr, errsink, errbuf),
                              daemon=True)]
    if piped:
        pumps.append(threading.Thread(
            target=_pump, args=(proc.stdout, sinks or [], kept), daemon=True))
    for t in pumps:
        t.start()
    kind = None
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kind = "timeout"
        _stop(proc)
    except KeyboardInterrupt:
        kind = "interrupted"
        _stop(proc)
    elapsed = time.monotonic() - start
    for t in pumps:
        t.join(timeout=5)
    stderr = b"".join(errbuf).decode("utf-8", "replace")
    if kind is None:
        kind, status = _classify(proc.returncode, stderr, debug_log)
    else:
        status = signal.SIGINT if kind == "interrupted" else 0
    return Outcome(kind, status, elapsed, stderr,
                   b"".join(kept) if capture else b"")


def boot(config, timeout=None, sinks=None, stdin=None, capture=False,
         echo_stderr=True, gdb=False, bench=False, extra=(), on_start=None,
         disk=None, drive_opts=""):
    """Build the command for CONFIG, run it, return (cmd, Outcome)."""
    fd, debug_log = tempfile.mkstemp(prefix="pagoda-qemu-", suffix=".log")
    os.close(fd)
    try:
        cmd = qemu_command(config, gdb=gdb, bench=bench, extra=extra,
                           debug_log=debug_log, disk=disk, drive_opts=drive_opts)
        return cmd, run(cmd, timeout=timeout, sinks=sinks, stdin=stdin,
                        capture=capture, echo_stderr=echo_stderr,
                        debug_log=debug_log,
                        on_start=on_start)
    finally:
        os.unlink(debug_log)



def build_plugin(name, so):
    """Build the TCG plugin tools/NAME.c into SO (a path under ROOT or
    absolute) against the installed QEMU's qemu-plugin.h, fetched by
    tools/plugin_header.sh; unless SO is newer than both. Returns an
    error or None."""
    r = subprocess.run(["sh", os.path.join(ROOT, "tools", "plugin_header.sh")],
                       capture_output=True, text=True)
    hdr = r.stdout.strip()
    if r.returncode or not os.path.isfile(hdr):
        return ("cannot get qemu-plugin.h for the installed QEMU "
                "(tools/plugin_header.sh: %s)" % (r.stderr.strip().splitlines() or ["?"])[-1])
    src, so = os.path.join(ROOT, "tools", name + ".c"), os.path.join(ROOT, so)
    if os.path.exists(so) and os.path.getmtime(so) > max(os.path.getmtime(src),
                                                         os.path.getmtime(hdr)):
        return None
    os.makedirs(os.path.dirname(so), exist_ok=True)
    r = subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                        "-I", os.path.dirname(hdr), "-o", so, src], capture_output=True, text=True)
    return "cannot build tools/%s.c: %s" % (name, r.stderr.strip()) if r.returncode else None

def shell_quote(cmd):
    """CMD as one line a shell would accept."""
    safe = re.compile(r"^[A-Za-z0-9_./=:,+-]+$")
    return " ".join(a if safe.match(a) else "'%s'" % a.replace("'", "'\\''")
                    for a in cmd)
