# SPDX-License-Identifier: MIT
# Pagoda: `make qemu` boots the system, `make test` runs every test.
# Both first install missing Debian packages (tools/deps.sh).

.DEFAULT_GOAL := all
include build.mk
include lib/lib.mk
include libmap/libmap.mk
include kernel/kernel.mk
include sigma0/sigma0.mk
include init/init.mk
include pagers/pagers.mk
include demos/demos.mk
include drivers/drivers.mk
include fs/fs.mk
include rt-alloc/colour.mk
include tests/unit/unit.mk
include tests/sys/sys.mk
include tests/bench/bench.mk
include rt-alloc/rtalloc.mk
include rt-alloc/together.mk

unit-build: $(UNIT_SUITES)

QEMU_RUN := python3 tools/qemu.py
IMAGES := $(KERNEL_BIN) $(USER_PROGRAMS)

.PHONY: all unit-build deps qemu qemu-gdb test unit systest bench rt-isolation rt-cachemiss fuzz-sweep stress clean lint format
all: $(IMAGES)

deps:
	@sh tools/deps.sh

qemu: deps
	@$(MAKE) --no-print-directory all
	$(QEMU_RUN) --config init/default.cfg $(QEMU_ARGS)

qemu-gdb: deps
	@$(MAKE) --no-print-directory all
	$(QEMU_RUN) --config init/default.cfg --gdb $(QEMU_ARGS)

# T=name runs one system test (or unit suite) alone. The whole suite runs
# `make lint` first, then every test, then everything again on the DEBUG=1
# build in build/debug/ (the kernel checks what each change touched, and
# every checker whole on an amortised budget; every test, nothing left out:
# DEBUG_SKIP in tools/runtests.py is empty), and fails if any of the three
# fails; `make DEBUG=1 test` runs the DEBUG pass alone.
RUNTESTS := python3 tools/runtests.py $(if $(DEBUG),--debug)
test: deps
	@$(MAKE) --no-print-directory all unit-build
	@st=0; $(if $(T)$(DEBUG),,$(MAKE) --no-print-directory lint || st=1;) \
	$(RUNTESTS) $(if $(T),--only $(T)) || st=1; \
	$(if $(T)$(DEBUG),,$(MAKE) --no-print-directory DEBUG=1 test || st=1;) \
	[ $$st = 0 ] || [ -n "$(T)" ] || echo "make test: failed (a test, the DEBUG=1 pass, or make lint above)"; exit $$st

unit: deps
	@$(MAKE) --no-print-directory unit-build
	$(RUNTESTS) --unit-only

systest: deps
	@$(MAKE) --no-print-directory all
	$(RUNTESTS) --sys-only $(if $(T),--only $(T))

# Benchmarks under -icount (deterministic guest-instruction counts), with
# Linux measured the same way when its kernel image is available.
bench: deps
	@$(MAKE) --no-print-directory all
	python3 tools/bench.py $(BENCH_ARGS)

# The colour-isolation experiment (docs/rt-alloc.md): a real-time task's
# cache misses with and without colouring, under a modelled cache.
rt-isolation: deps
	@$(MAKE) --no-print-directory all
	python3 tools/rt_isolation.py

# Cache misses per rt_malloc/rt_free with a noisy neighbour, with and
# without colouring, under the same modelled cache (docs/rt-alloc.md).
rt-cachemiss: deps
	@$(MAKE) --no-print-directory all
	python3 tools/rt_cachemiss.py

# The fuzzer over many seeds (tools/fuzzsweep.py): SEEDS=1-16 ROUNDS=N OPEN=1,2
fuzz-sweep: deps
	@$(MAKE) --no-print-directory all
	python3 tools/fuzzsweep.py $(if $(SEEDS),--seeds $(SEEDS)) $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(OPEN),--open $(OPEN))

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Long seeded stress runs (tools/stress.py; docs/reliability.md), outside
# `make test`: STRESS_ARGS="--quick" for 1/100 scale, "--only NAME".
stress: deps
	@$(MAKE) --no-print-directory all unit-build
	python3 tools/stress.py $(STRESS_ARGS)

# clang-format and clang-tidy over the project's C files (docs/style.md):
# file:line for each finding, exit 1 if any. FILES="a.c b.h" checks those.
lint: deps
	@python3 tools/lint.py check $(FILES)

# Rewrite to .clang-format what `make lint` checks (lines changed since the
# format baseline), or the named FILES whole.
format: deps
	@python3 tools/lint.py format $(FILES)
