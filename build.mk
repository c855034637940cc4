# SPDX-License-Identifier: MIT
# Shared make rules: the cross toolchain for the kernel and user programs,
# and the host toolchain for unit tests. Fragments (*/*.mk) add to explicit
# object lists; nothing here depends on the date or the host name.

# `make DEBUG=1` builds into build/debug/, beside the normal build; the
# tools find it through PAGODA_BUILD (tools/pagoda_qemu.py).
B := $(if $(DEBUG),build/debug,build)
export PAGODA_BUILD := $(B)
CROSS_CC := clang --target=x86_64-unknown-none-elf
LD := ld.lld
OBJCOPY := llvm-objcopy
OBJDUMP := llvm-objdump
NM := llvm-nm
HOST_CC ?= cc

# Common flags: freestanding C11 with warnings as errors, reproducible paths;
# -I. for the shared headers, which are included by path (<lib/string.h>).
CLANG_INC := $(shell clang -print-resource-dir 2>/dev/null)/include
COMMON_CFLAGS := -std=gnu11 -nostdinc -isystem $(CLANG_INC) -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie \
	-fno-stack-protector -fno-common -fomit-frame-pointer -O2 -g -Wall -Wextra -Werror \
	-ffile-prefix-map=$(CURDIR)/= -fdebug-compilation-dir=. -Iinclude -I.

# Kernel: higher half (-mcmodel=kernel), no red zone (interrupts use the
# current stack), no FPU/SIMD registers (they are not saved on kernel entry).
# The kernel's one debug switch: `make DEBUG=1` checks after each change of
# mappings or threads (kdebug.h) the frames and page-table ranges it wrote
# (mdb_check_at, space_check_own/_range), and runs every whole checker
# (kmem, mapdb, space) when its log of them overflows or an amortised budget
# (16 per change against kernel pages + mapping nodes) is spent
# (kernel/kdebug_change.c); it poisons freed kernel memory (kmem.c) and
# answers KDB_DAMAGE (kdebug.c); the unit tests get the same (HOST_CFLAGS)
# and rt-alloc its checks (rt-alloc/rtalloc.mk). `make test` runs everything
# a second time on this build, in build/debug/ (DEBUG_SKIP in
# tools/runtests.py --debug is empty).
KERNEL_DEBUG_FLAGS := $(if $(DEBUG),-DKERNEL_DEBUG)
KERNEL_CFLAGS := $(COMMON_CFLAGS) $(KERNEL_DEBUG_FLAGS) -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-Ikernel -Ikernel/arch/x86_64 -DKERNEL

# User programs: static, linked low, ordinary flags: the kernel switches each
# thread's x87/SSE/AVX state, so the compiler may use SSE (x86-64 baseline).
USER_CFLAGS := $(filter-out -fno-pic -fno-pie,$(COMMON_CFLAGS)) -fpie -mcmodel=small -Ilibmap -Ilibmap/arch/x86_64

# Host unit tests build the real sources with sanitizers.
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all -Iinclude -I. -Ikernel -Ilibmap -Ilibmap/arch/x86_64 -Ipagers -DHOST_TEST $(KERNEL_DEBUG_FLAGS)
HOST_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

Q := @
$(B)/k/%.o: %.c build.mk
	@mkdir -p $(dir $@)
	@echo "  CC [k] $<"
	$(Q)$(CROSS_CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/k/%.o: %.S build.mk
	@mkdir -p $(dir $@)
	@echo "  AS [k] $<"
	$(Q)$(CROSS_CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(B)/u/%.o: %.c build.mk
	@mkdir -p $(dir $@)
	@echo "  CC [u] $<"
	$(Q)$(CROSS_CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(B)/u/%.o: %.S build.mk
	@mkdir -p $(dir $@)
	@echo "  AS [u] $<"
	$(Q)$(CROSS_CC) $(USER_CFLAGS) -MMD -MP -c $< -o $@

$(B)/h/%.o: %.c build.mk
	@mkdir -p $(dir $@)
	@echo "  CC [host] $<"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

# user_program NAME, OBJECTS: link a static user ELF against libmap.
define user_program
$(B)/$(1).elf: $(2) $(LIBMAP_OBJS) libmap/user.ld
	@mkdir -p $$(dir $$@)
	@echo "  LD $$@"
	$(Q)$(LD) -nostdlib -static -T libmap/user.ld -o $$@ $(2) $(LIBMAP_OBJS)
USER_PROGRAMS += $(B)/$(1).elf
endef
