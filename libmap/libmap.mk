# SPDX-License-Identifier: MIT
# libmap: the user-level runtime, system-call stubs and pager framework.
# A program that links libmap also gets lib/ (lib/lib.mk), built for user level.

LIBMAP_SRCS := \
	libmap/arch/x86_64/start.S \
	libmap/runtime.c \
	libmap/syscalls.c \
	$(LIB_SRCS) \
	libmap/sigma0.c \
	libmap/pager.c \
	libmap/fork.c \
	libmap/arch/x86_64/fork.S

LIBMAP_OBJS := $(patsubst %.S,$(B)/u/%.o,$(patsubst %.c,$(B)/u/%.o,$(LIBMAP_SRCS)))
