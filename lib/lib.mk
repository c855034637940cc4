# SPDX-License-Identifier: MIT
# lib/: freestanding code that the kernel and user programs share (string
# and memory helpers, formatted output, the ELF parser, arithmetic macros).
# It depends on include/ alone. Its headers are included by path
# (<lib/string.h>), so none shadows a C library header. The kernel builds
# $(LIB_SRCS) into its image; user programs get them through libmap.

LIB_SRCS := \
	lib/elf.c \
	lib/fmt.c \
	lib/string.c
