#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages Pagoda needs, if any are missing.
#
# Silent and fast (a few `command -v` and one pkg-config call) when
# everything is present. Otherwise runs `apt-get update` once and installs
# the missing packages, as root or through sudo; without either it names the
# packages to install and exits 1. gnuplot is optional (benchmark plots
# only): it is installed when possible, and failing to is never an error.
#
# Usage: sh tools/deps.sh

set -u

missing=""      # Debian packages providing a missing required tool
optional=""     # Debian packages providing a missing optional tool

# need LIST PACKAGE: add PACKAGE to LIST (once).
need() {
	cur=""
	eval "cur=\$$1"
	case " $cur " in
	*" $2 "*) ;;
	*) eval "$1=\"\$cur \$2\"" ;;
	esac
}

# Each required command and the package that provides it.
for pair in \
	qemu-system-x86_64:qemu-system-x86 \
	clang:clang ld.lld:lld \
	llvm-objcopy:llvm llvm-objdump:llvm llvm-nm:llvm \
	make:make cc:gcc python3:python3 pkg-config:pkg-config \
	mcopy:mtools mformat:mtools \
	clang-format:clang-format clang-tidy:clang-tidy
do
	command -v "${pair%%:*}" >/dev/null 2>&1 || need missing "${pair#*:}"
done

# Disk images for the virtio-blk tests: dosfstools lives in /usr/sbin,
# which a user's PATH may lack.
for tool in mkfs.fat fsck.fat; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
		[ -x "/sbin/$tool" ] || need missing dosfstools
done

# The Check unit-test library, found through pkg-config.
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists check; then
	need missing check
fi

# The qboot firmware used as QEMU's -bios.
[ -f /usr/share/qemu/qboot.rom ] || need missing qemu-system-data

command -v gnuplot >/dev/null 2>&1 || need optional gnuplot-nox

# qemu-plugin.h for the cache-model plugin (tools/cachesim.c), from the
# qemu source package, cached in .cache/ (tools/plugin_header.sh). Not
# fatal: the rt_isolation test says so when the header could not be had.
plugin_header() {
	sh "$(dirname "$0")/plugin_header.sh" >/dev/null 2>&1 ||
		echo "deps.sh: warning: could not fetch qemu-plugin.h (rt_isolation will fail and say so)" >&2
}

[ -z "$missing$optional" ] && { plugin_header; exit 0; }

# Choose how to run apt-get: directly as root, else through sudo.
if [ "$(id -u)" -eq 0 ]; then
	asroot=""
elif command -v sudo >/dev/null 2>&1; then
	asroot="sudo"
else
	asroot="none"
fi

if [ "$asroot" = none ] || ! command -v apt-get >/dev/null 2>&1; then
	if [ -n "$missing" ]; then
		echo "deps.sh: missing packages:$missing$optional" >&2
		echo "deps.sh: install them (as root): apt-get install -y --no-install-recommends$missing$optional" >&2
		exit 1
	fi
	exit 0  # only optional tools are missing: stay quiet, the bench tools say so
fi

echo "deps.sh: installing$missing$optional" >&2
# shellcheck disable=SC2086 # the package lists are meant to split
if $asroot env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
	$asroot env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing $optional; then
	plugin_header
	exit 0
fi

# The combined install failed; the optional package must not hold up the rest.
if [ -n "$optional" ] && [ -n "$missing" ]; then
	# shellcheck disable=SC2086
	$asroot env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends $missing && {
		echo "deps.sh: warning: could not install$optional (benchmark plots)" >&2
		exit 0
	}
fi
if [ -z "$missing" ]; then
	echo "deps.sh: warning: could not install$optional (benchmark plots)" >&2
	exit 0
fi
echo "deps.sh: failed to install:$missing" >&2
exit 1
