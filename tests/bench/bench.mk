# SPDX-License-Identifier: MIT
# Benchmarks (`make bench` runs tools/bench.py): the Pagoda benchmark task,
# booted with tests/bench/pagoda.cfg; the fork benchmark task, a client of
# the copy-on-write pager (tests/bench/fork.cfg, tests/bench/tiers.cfg);
# and the static Linux /init that measures the same operations on Linux
# (tools/bench.py packs it into an initramfs and builds it through the
# bench-linux-init target).

BENCH_PAGODA_OBJS := $(patsubst %.c,$(B)/u/%.o, \
	tests/bench/pagoda/main.c \
	tests/bench/pagoda/spawn.c \
	tests/bench/pagoda/frames.c \
	tests/bench/pagoda/pager.c \
	tests/bench/pagoda/server.c \
	tests/bench/pagoda/basic.c \
	tests/bench/pagoda/ipc.c \
	tests/bench/pagoda/fault.c \
	tests/bench/pagoda/appel.c \
	tests/bench/pagoda/map.c \
	tests/bench/pagoda/growth.c \
	tests/bench/pagoda/room.c \
	tests/bench/stats.c)
$(eval $(call user_program,bench/pagoda,$(BENCH_PAGODA_OBJS)))

BENCH_FORK_OBJS := $(patsubst %.c,$(B)/u/%.o, \
	tests/bench/pagoda_fork/main.c \
	tests/bench/pagoda_fork/fork.c \
	tests/bench/pagoda_fork/cow.c \
	tests/bench/pagoda_fork/fault.c \
	tests/bench/stats.c)
$(eval $(call user_program,bench/fork,$(BENCH_FORK_OBJS)))

# The file benchmarks: a client of the file pager (tests/bench/file.cfg).
$(eval $(call user_program,bench/file,$(patsubst %.c,$(B)/u/%.o,tests/bench/pagoda_file/main.c tests/bench/stats.c)))

# The Linux side: host compiler, static, for an initramfs.
BENCH_LINUX_INIT := $(B)/bench/linux/init
BENCH_LINUX_SRCS := \
	tests/bench/linux/main.c \
	tests/bench/linux/basic.c \
	tests/bench/linux/ipc.c \
	tests/bench/linux/fault.c \
	tests/bench/linux/appel.c \
	tests/bench/linux/map.c \
	tests/bench/linux/fork.c \
	tests/bench/linux/file.c \
	tests/bench/linux/growth.c \
	tests/bench/stats.c
BENCH_LINUX_CFLAGS := -std=gnu11 -O2 -static -pthread -Wall -Wextra -Werror \
	-ffile-prefix-map=$(CURDIR)/=

$(BENCH_LINUX_INIT): $(BENCH_LINUX_SRCS) tests/bench/linux/lbench.h tests/bench/stats.h
	@mkdir -p $(dir $@)
	@echo "  CC [host] $@"
	$(Q)$(HOST_CC) $(BENCH_LINUX_CFLAGS) -o $@ $(BENCH_LINUX_SRCS)

.PHONY: bench-linux-init
bench-linux-init: $(BENCH_LINUX_INIT)

# The page level of rt-alloc: faults served by the colouring pager
# (tests/bench/colour.cfg, tests/bench/colour_wide.cfg).
$(eval $(call user_program,bench/colour,$(B)/u/tests/bench/colour/main.o $(B)/u/tests/bench/stats.o))
