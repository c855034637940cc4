# SPDX-License-Identifier: MIT
# libmap: the user-level runtime, system-call stubs and pager framework.

LIBMAP_SRCS := \
	libmap/arch/x86_64/start.S \
	libmap/runtime.c \
	libmap/syscalls.c \
	libmap/fmt.c \
	libmap/string.c \
	libmap/elf.c \
	libmap/sigma0.c \
	libmap/pager.c \
	libmap/fork.c \
	libmap/arch/x86_64/fork.S

LIBMAP_OBJS := $(patsubst %.S,$(B)/u/%.o,$(patsubst %.c,$(B)/u/%.o,$(LIBMAP_SRCS)))
