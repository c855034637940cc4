#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that the kernel is built from kernel/, lib/ and include/ alone.

usage: python3 tools/kernel_deps.py FILE.d...

Reads the dependency lists the compiler wrote for the kernel's objects
(-MMD; headers from -isystem directories are left out by the compiler) and
fails, naming the object and the file, if any source or header lies
elsewhere, e.g. in libmap/. Because it reads what the compiler actually
opened, an include by any path or through any -I directory is caught.
Exit status: 0 if clean, 1 if not, 2 for a missing or unreadable list.
"""

import os
import sys

ALLOWED = ("kernel/", "lib/", "include/")


def deps(text):
    """The prerequisites named in one make dependency file's text."""
    out = []
    for rule in text.replace("\\\n", " ").splitlines():
        target, sep, prereqs = rule.partition(": ")
        if sep:
            out.extend(prereqs.split())
    return out


def foreign(path, root):
    """PATH as relative to ROOT if it lies outside ALLOWED, else None."""
    rel = os.path.normpath(os.path.relpath(os.path.join(root, path), root))
    return None if rel.startswith(ALLOWED) else rel


def main(argv):
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    bad = 0
    for dfile in argv:
        try:
            with open(dfile, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            print("kernel_deps: %s" % e, file=sys.stderr)
            return 2
        for path in deps(text):
            rel = foreign(path, os.getcwd())
            if rel:
                print("kernel_deps: %s: the kernel includes %s "
                      "(only kernel/, lib/ and include/ may be used)" % (dfile, rel),
                      file=sys.stderr)
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
