# SPDX-License-Identifier: MIT
# Benchmarks (`make bench`, tools/bench.py): the Pagoda benchmark task,
# and the static Linux /init that measures the same operations on Linux.

BENCH_PAGODA_SRCS := $(wildcard tests/bench/pagoda/*.c) tests/bench/stats.c
BENCH_PAGODA_OBJS := $(patsubst %.c,$(B)/u/%.o,$(BENCH_PAGODA_SRCS))
$(eval $(call user_program,bench/pagoda,$(BENCH_PAGODA_OBJS)))

# The Linux side is built with the host compiler, static, for an initramfs.
BENCH_LINUX_INIT := $(B)/bench/linux/init
BENCH_LINUX_SRCS := $(wildcard tests/bench/linux/*.c) tests/bench/stats.c
BENCH_LINUX_CFLAGS := -std=gnu11 -O2 -static -Wall -Wextra -Werror -pthread \
	-ffile-prefix-map=$(CURDIR)/=

$(BENCH_LINUX_INIT): $(BENCH_LINUX_SRCS) $(wildcard tests/bench/linux/*.h) tests/bench/stats.h
	@mkdir -p $(dir $@)
	@echo "  CC [host] $@"
	$(Q)$(HOST_CC) $(BENCH_LINUX_CFLAGS) -o $@ $(BENCH_LINUX_SRCS)

.PHONY: bench-linux-init
bench-linux-init: $(BENCH_LINUX_INIT)
