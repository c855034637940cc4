# SPDX-License-Identifier: MIT
# rt-alloc's allocator library (rt-alloc/rtalloc.c): a user program that
# uses it adds $(RTALLOC_OBJS) to its objects and -Irt-alloc to its flags.
# Its unit tests, and `make soak-rtalloc`: 10^7 random operations against
# the model, the checker every 100.

RTALLOC_SRCS := rt-alloc/rtalloc.c
RTALLOC_OBJS := $(patsubst %.c,$(B)/u/%.o,$(RTALLOC_SRCS))

$(eval $(call unit_suite,rtalloc,tests/unit/test_rtalloc.c $(RTALLOC_SRCS)))
$(eval $(call unit_suite,rtalloc_debug,tests/unit/test_rtalloc_debug.c tests/unit/rtalloc_debug.c))
$(B)/h/tests/unit/test_rtalloc.o $(B)/h/tests/unit/test_rtalloc_debug.o: HOST_CFLAGS += -Irt-alloc

# make DEBUG=1: the checker after every call, freed payloads poisoned.
$(B)/u/rt-alloc/%.o: USER_CFLAGS += $(if $(DEBUG),-DRTALLOC_DEBUG)

RTALLOC_SOAK_OPS ?= 10000000
.PHONY: soak-rtalloc
soak-rtalloc: deps
	@$(MAKE) --no-print-directory $(B)/unit/rtalloc
	RTALLOC_OPS=$(RTALLOC_SOAK_OPS) RTALLOC_CHECK_EVERY=100 CK_RUN_CASE=random_ops \
		CK_TIMEOUT_MULTIPLIER=10 $(B)/unit/rtalloc

# The benchmark (tests/bench/rtalloc/, `make bench` boots it with
# tests/bench/rtalloc.cfg): rt_malloc/rt_free on the Pagoda side, glibc's
# malloc/free in the Linux /init, both replaying the trace RTALLOC_TRACE
# (normalised by tools/rtalloc_trace.py, embedded by trace.S).
RTALLOC_TRACE ?= tests/bench/rtalloc/sample.trace
RTALLOC_TRACE_NORM := $(B)/bench/rtalloc/trace.txt
RTB_FLAGS := -Irt-alloc -DRTB_TRACE_FILE='"$(RTALLOC_TRACE_NORM)"'

# Checked on every make; rewritten (and what embeds it rebuilt) only when
# the trace or RTALLOC_TRACE changed.
.PHONY: rtalloc-trace-force
$(RTALLOC_TRACE_NORM): rtalloc-trace-force
	@mkdir -p $(dir $@)
	$(Q)python3 tools/rtalloc_trace.py $(RTALLOC_TRACE) $@

BENCH_RTALLOC_OBJS := $(patsubst %,$(B)/u/%.o, \
	tests/bench/rtalloc/main \
	tests/bench/rtalloc/worst \
	tests/bench/rtalloc/rtbench \
	tests/bench/rtalloc/trace) $(RTALLOC_OBJS)
$(B)/u/tests/bench/rtalloc/%.o: USER_CFLAGS += $(RTB_FLAGS) -DRTB_RTALLOC
$(B)/u/tests/bench/rtalloc/trace.o: $(RTALLOC_TRACE_NORM)
$(eval $(call user_program,bench/rtalloc,$(BENCH_RTALLOC_OBJS)))

RTB_LINUX_SRCS := tests/bench/linux/rtalloc.c tests/bench/rtalloc/rtbench.c tests/bench/rtalloc/trace.S
BENCH_LINUX_SRCS += $(RTB_LINUX_SRCS)
BENCH_LINUX_CFLAGS += $(RTB_FLAGS)
$(BENCH_LINUX_INIT): $(RTB_LINUX_SRCS) tests/bench/rtalloc/rtbench.h $(RTALLOC_TRACE_NORM)
