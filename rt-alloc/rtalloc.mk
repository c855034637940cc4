# SPDX-License-Identifier: MIT
# rt-alloc's allocator library (rt-alloc/rtalloc.c): a user program that
# uses it adds $(RTALLOC_OBJS) to its objects and -Irt-alloc to its flags.
# Its unit tests, and `make soak-rtalloc`: 10^7 random operations against
# the model, the checker every 100.

RTALLOC_SRCS := rt-alloc/rtalloc.c
RTALLOC_OBJS := $(patsubst %.c,$(B)/u/%.o,$(RTALLOC_SRCS))

$(eval $(call unit_suite,rtalloc,tests/unit/test_rtalloc.c $(RTALLOC_SRCS)))
$(B)/h/tests/unit/test_rtalloc.o: HOST_CFLAGS += -Irt-alloc

RTALLOC_SOAK_OPS ?= 10000000
.PHONY: soak-rtalloc
soak-rtalloc: deps
	@$(MAKE) --no-print-directory $(B)/unit/rtalloc
	RTALLOC_OPS=$(RTALLOC_SOAK_OPS) RTALLOC_CHECK_EVERY=100 CK_RUN_CASE=random_ops \
		CK_DEFAULT_TIMEOUT=0 $(B)/unit/rtalloc
