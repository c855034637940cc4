#!/bin/sh
# SPDX-License-Identifier: MIT
# Host check of the filedemo test: the image is clean and /NOTE.TXT holds
# the demo's change. Usage: sh tests/sys/filedemo_check.sh IMG
set -eu
PATH="$PATH:/usr/sbin:/sbin"
export MTOOLS_SKIP_CHECK=1
fsck.fat -n "$1"
text=$(mtype -i "$1" ::NOTE.TXT)
echo "NOTE.TXT: $text"
[ "$text" = "HELLO FROM THE HOST, CHANGED IN PLACE BY PAGODA" ]
