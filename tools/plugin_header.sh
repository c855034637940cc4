#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetch qemu-plugin.h for the installed QEMU into .cache/qemu-plugin/.
#
# Debian ships no package with QEMU's plugin header, but the qemu source
# package at the installed version has it (include/qemu/qemu-plugin.h). A
# header from another QEMU release is refused at load time (plugin API
# version), so the version must match exactly. This adds a deb-src entry
# (once), downloads the source package without unpacking it into the tree,
# and extracts that one header. Cached: does nothing when the header for
# the installed version is already there. Failing is not fatal to the rest
# of the build; tools that need the header say so (tools/rt_isolation.py).
#
# Usage: sh tools/plugin_header.sh    (prints the header's path on success)

set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/qemu-plugin"
ver=$(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null) || {
	echo "plugin_header.sh: qemu-system-x86 is not installed" >&2; exit 1; }
dir=$(echo "$ver" | tr ':' '_')       # no colon: the path goes into make
hdr="$cache/$dir/qemu-plugin.h"
[ -f "$hdr" ] && { echo "$hdr"; exit 0; }

if [ "$(id -u)" -eq 0 ]; then asroot=""; elif command -v sudo >/dev/null 2>&1; then asroot="sudo"; else asroot="none"; fi
src=/etc/apt/sources.list.d/pagoda-deb-src.sources
if [ ! -f "$src" ] && ! grep -rqs '^\(Types:.*deb-src\|deb-src\)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	[ "$asroot" = none ] && { echo "plugin_header.sh: need root to add a deb-src entry" >&2; exit 1; }
	# The same archives apt already uses for binaries, as sources.
	tmp=$(mktemp)
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && sed 's/^Types: *deb$/Types: deb-src/' "$f" && echo
	done >"$tmp"
	lines=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n 's/^deb /deb-src /p')
	if ! grep -q '^Types: deb-src' "$tmp" && [ -z "$lines" ]; then
		rm -f "$tmp"
		echo "plugin_header.sh: no apt source to derive a deb-src entry from" >&2; exit 1
	fi
	$asroot cp "$tmp" "$src" && rm -f "$tmp"
	[ -n "$lines" ] && echo "$lines" | $asroot tee "${src%.sources}.list" >/dev/null
	$asroot env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || exit 1
fi
# The source version is the binary version without a binNMU suffix (+bN).
srcver=$(echo "$ver" | sed 's/+b[0-9]*$//')
dl="$cache/src"
mkdir -p "$dl" "$cache/$dir"
(cd "$dl" && apt-get source --download-only -q "qemu=$srcver" >&2) || {
	echo "plugin_header.sh: cannot download the qemu $srcver source package" >&2; exit 1; }
orig=$(ls "$dl"/qemu_*.orig.tar.* 2>/dev/null | head -1)
[ -n "$orig" ] || { echo "plugin_header.sh: no qemu orig tarball in $dl" >&2; exit 1; }
member=$(tar -tf "$orig" 2>/dev/null | grep '/include/qemu/qemu-plugin\.h$' | head -1)
[ -n "$member" ] || { echo "plugin_header.sh: no qemu-plugin.h in $orig" >&2; exit 1; }
tar -xOf "$orig" "$member" >"$hdr.tmp" && mv "$hdr.tmp" "$hdr" || exit 1
rm -f "$dl"/qemu_*          # the tarballs are large; the header is all we keep
echo "$hdr"
