# SPDX-License-Identifier: MIT
# The kernel: a flat multiboot image (QEMU -kernel), the ELF with symbols,
# a disassembly listing and a symbol map.

KERNEL_SRCS := \
	kernel/arch/x86_64/boot.S \
	kernel/arch/x86_64/entry.S \
	kernel/arch/x86_64/cpu.c \
	kernel/arch/x86_64/fpu.c \
	kernel/arch/x86_64/platform.c \
	kernel/arch/x86_64/trap.c \
	kernel/arch/x86_64/paging.c \
	kernel/arch/x86_64/msi.c \
	kernel/main.c \
	kernel/klib.c \
	kernel/kmem.c \
	kernel/bootinfo.c \
	kernel/kip.c \
	kernel/space.c \
	kernel/thread.c \
	kernel/sched.c \
	kernel/ipc.c \
	kernel/map.c \
	kernel/fpage.c \
	kernel/mapdb.c \
	kernel/mapdb_index.c \
	kernel/mapdb_unmap.c \
	kernel/mapdb_split.c \
	kernel/mapdb_check.c \
	kernel/fault.c \
	kernel/irq.c \
	kernel/control.c \
	kernel/kdebug.c \
	$(if $(DEBUG),kernel/kdebug_change.c) \
	kernel/console.c \
	kernel/syscall.c \
	$(LIB_SRCS)

KERNEL_OBJS := $(patsubst %.S,$(B)/k/%.o,$(patsubst %.c,$(B)/k/%.o,$(KERNEL_SRCS)))
KERNEL_ELF := $(B)/kernel.elf
KERNEL_BIN := $(B)/kernel.bin

# The kernel includes nothing from user level (libmap/ and the rest): every
# file its objects were compiled from lies in kernel/, lib/ or include/.
$(B)/kernel.deps-ok: $(KERNEL_OBJS) tools/kernel_deps.py
	$(Q)python3 tools/kernel_deps.py $(KERNEL_OBJS:.o=.d)
	@touch $@

# Registers stay behind the arch layer: no generic kernel file names a
# register of a saved frame (f->rdi; frame.h has the accessors) or holds
# assembly. The link waits for this check.
KERNEL_GENERIC_SRCS := $(shell find kernel -name '*.[ch]' -not -path 'kernel/arch/*')
KERNEL_ARCH_REGS := (->|\.)(r[abcd]x|r[sd]i|r[sb]p|r[89]|r1[0-5]|rip|rflags|cs|ss)\b|__asm__|\basm\b
$(B)/k/arch-layer.ok: $(KERNEL_GENERIC_SRCS) kernel/kernel.mk
	@mkdir -p $(dir $@)
	@if grep -nE '$(KERNEL_ARCH_REGS)' $(KERNEL_GENERIC_SRCS); then \
		echo "kernel: x86 registers or assembly in generic code (use kernel/arch/x86_64/frame.h)"; \
		exit 1; fi
	@touch $@

$(KERNEL_ELF): $(KERNEL_OBJS) kernel/arch/x86_64/kernel.ld $(B)/kernel.deps-ok \
		$(B)/k/arch-layer.ok
	$(LD) -nostdlib -static -z max-page-size=4096 -T kernel/arch/x86_64/kernel.ld \
		-Map=$(B)/kernel.map -o $@ $(KERNEL_OBJS)
	$(OBJDUMP) -d --no-show-raw-insn $@ > $(B)/kernel.lst
	$(NM) -n $@ > $(B)/kernel.sym

$(KERNEL_BIN): $(KERNEL_ELF)
	$(OBJCOPY) -O binary $< $@
