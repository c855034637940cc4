/* SPDX-License-Identifier: MIT */
/*
 * Boot, as one sequence: console, boot information, CPU tables, memory
 * (kernel pool, KIP descriptors), the mapping database, the scheduler,
 * then sigma0 and the root task from the first two boot modules, and off
 * into the scheduler for good.
 */
#include <arch.h>
#include <bootinfo.h>
#include <kip.h>
#include <kmem.h>
#include <klib.h>
#include <mapdb.h>
#include <sched.h>
#include <space.h>
#include <thread.h>
#include <lib/elf.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>
#include <pagoda/thread.h>
#include <pagoda/utcb.h>

#define BOOT_STACK_TOP ((word_t)0x7f0000000000ull)   /* boot tasks' stacks */
#define BOOT_STACK_PAGES 16
#define POOL_MIN ((word_t)4 << 20)
#define POOL_MAX ((word_t)64 << 20)

static struct boot_info boot_info;            /* the machine, as the loader saw it */

static const void *boot_phys(word_t phys, word_t size, void *ctx)
{
	(void)ctx;
	return phys + size <= PHYSMAP_SIZE ? phys_to_virt(phys) : NULL;
}

/* Take `bytes` (page multiple) from the top of the highest usable region. */
static word_t boot_take(word_t bytes)
{
	for (int i = (int)boot_info.nregions - 1; i >= 0; i--) {
		struct bootinfo_region *r = &boot_info.region[i];
		word_t end = MIN(r->end, (word_t)PHYSMAP_SIZE);
		if (end > r->base && end - r->base >= bytes) {
			word_t base = end - bytes;
			bootinfo_reserve(&boot_info, base, bytes);
			return base;
		}
	}
	panic("boot: out of memory taking %lu bytes", bytes);
}

/* Keep the loader's and the kernel's memory out of the free RAM. */
static void boot_reserve(void)
{
	word_t kend = virt_to_phys(kernel_end);

	bootinfo_reserve(&boot_info, 0, KERNEL_PBASE);
	bootinfo_reserve(&boot_info, KERNEL_PBASE, kend - KERNEL_PBASE);
	kip_add_memdesc(KERNEL_PBASE, ALIGN_UP(kend, 4096) - KERNEL_PBASE, KIP_MEM_KERNEL);
	for (unsigned i = 0; i < boot_info.nmodules; i++) {
		struct bootinfo_module *m = &boot_info.module[i];
		word_t base = ALIGN_DOWN(m->start, 4096), end = ALIGN_UP(m->end, 4096);
		bootinfo_reserve(&boot_info, base, end - base);
		kip_add_memdesc(base, end - base, KIP_MEM_MODULE);
		if (kip_add_module(m->start, m->end - m->start, m->cmdline))
			kprintf("[kernel] boot: module %u left out: the KIP holds %d modules and "
				"%d bytes of command lines (this one has %lu)\n", i, KIP_MAX_MODULES,
				KIP_CMDLINE_BYTES, (word_t)strlen(m->cmdline) + 1);
	}
}

/* A device of the kernel's own: described as reserved, so that sigma0
 * never hands it out and the kernel never maps it to sigma0. */
static void boot_reserve_device(word_t base, word_t size)
{
	kip_add_memdesc(base, size, KIP_MEM_RESERVED);
}

/* What the boot loader gave that the kernel could not keep: reported,
 * never fatal (a boot configuration is input, docs/security.md class 9). */
static void boot_report_limits(void)
{
	if (boot_info.flags & BOOTINFO_F_MODULES_OVERFLOW)
		kprintf("[kernel] boot: modules beyond the first %d left out\n", BOOTINFO_MAX_MODULES);
	if (boot_info.flags & BOOTINFO_F_CMDLINE_TRUNCATED)
		kprintf("[kernel] boot: a command line was too long and was cut (modules: %d bytes)\n",
			BOOTINFO_MOD_CMDLINE_LEN - 1);
	if (boot_info.flags & BOOTINFO_F_REGIONS_OVERFLOW)
		kprintf("[kernel] boot: memory map has more than %d ranges; some RAM left out\n",
			BOOTINFO_MAX_REGIONS);
}

/* The kernel pool: 1/16 of RAM, between 4 and 64 MiB. */
static void boot_pool(void)
{
	word_t bytes = ALIGN_DOWN(bootinfo_ram_bytes(&boot_info) / 16, 4096);
	word_t base;

	bytes = MAX(POOL_MIN, MIN(POOL_MAX, bytes));
	base = boot_take(bytes);
	kip_add_memdesc(base, bytes, KIP_MEM_KERNEL);
	kmem_init();
	kmem_add_region((uintptr_t)phys_to_virt(base), bytes);
}

/* Zeroed frames for a boot task's image and stack (never handed out). */
static word_t boot_frames(word_t pages)
{
	word_t pa = boot_take(pages * 4096);

	kip_add_memdesc(pa, pages * 4096, KIP_MEM_KERNEL);
	memset(phys_to_virt(pa), 0, pages * 4096);
	return pa;
}

static void boot_map(struct space *s, word_t va, word_t pa, word_t pages, unsigned rights)
{
	for (word_t i = 0; i < pages; i++)
		if (mdb_root(s, va + i * 4096, pa + i * 4096, 12, rights))
			panic("boot: cannot map boot task page %lx", va + i * 4096);
}

/* Copy one ELF segment into fresh frames mapped at its address. */
static void boot_segment(struct space *s, const uint8_t *image, const struct elf_segment *seg)
{
	word_t va = ALIGN_DOWN(seg->vaddr, 4096);
	word_t pages = (ALIGN_UP(seg->vaddr + seg->memsz, 4096) - va) / 4096;
	word_t pa = boot_frames(pages);

	memcpy((uint8_t *)phys_to_virt(pa) + (seg->vaddr - va), image + seg->offset, seg->filesz);
	boot_map(s, va, pa, pages, seg->rights | FPAGE_R);
}

/* Start boot module `idx` as a privileged task with thread id `tid`. */
static struct tcb *boot_task(unsigned idx, word_t tid, word_t pager, unsigned flags, unsigned prio)
{
	struct bootinfo_module *m = &boot_info.module[idx];
	const uint8_t *image = phys_to_virt(m->start);
	struct elf_image elf;
	struct space *s;
	struct tcb *t;
	int err;

	if ((err = elf_parse(image, m->end - m->start, USER_END - 4096, &elf)))
		panic("boot: module %u (%s): %s", idx, m->cmdline, elf_strerror(err));
	if (!(s = space_create(NULL, &err)) ||
	    space_set_areas(s, fpage_make(KIP_DEFAULT_ADDR, 12, 0),
			    fpage_make(UTCB_AREA_BASE, UTCB_AREA_LOG2, 0)))
		panic("boot: cannot create the space of %s", m->cmdline);
	s->flags |= SPACE_PRIVILEGED | SPACE_BOOT_TASK | flags;
	for (unsigned i = 0; i < elf.nsegments; i++)
		boot_segment(s, image, &elf.seg[i]);
	boot_map(s, BOOT_STACK_TOP - BOOT_STACK_PAGES * 4096, boot_frames(BOOT_STACK_PAGES),
		 BOOT_STACK_PAGES, FPAGE_RW);
	if (!(t = thread_create(tid, s, UTCB_AREA_BASE, &err)))
		panic("boot: cannot create thread of %s (error %d)", m->cmdline, err);
	t->pager = t->utcb->pager = pager;
	t->prio = (uint8_t)prio;
	arch_thread_init_user(t, elf.entry, BOOT_STACK_TOP - 16);  /* args 0, parent nil */
	arch_syscall_set_arg(arch_frame(t), 0, KIP_DEFAULT_ADDR);    /* its first argument */
	t->halted = false;
	t->state = TS_READY;
	sched_ready(t);
	kprintf("[kernel] started %s: thread %lx, entry %lx\n", m->cmdline, tid, elf.entry);
	return t;
}

/* Give sigma0 every free and module frame, mapped 1:1 (2 MiB where whole). */
static void boot_sigma0_memory(struct space *s)
{
	for (unsigned i = 0; i < kip->memdesc_count; i++) {
		struct kip_memdesc *d = &kip->memdesc[i];
		word_t pa = d->base, end = d->base + d->size;

		if (d->type != KIP_MEM_FREE && d->type != KIP_MEM_MODULE)
			continue;
		while (pa < end) {
			unsigned log2 = IS_ALIGNED(pa, (word_t)1 << 21) && end - pa >= ((word_t)1 << 21) ? 21 : 12;
			if (mdb_root(s, pa, pa, log2, FPAGE_RWX))
				panic("boot: cannot give sigma0 frame %lx", pa);
			pa += (word_t)1 << log2;
		}
	}
}

/* Is some 4 KiB page of the 2 MiB at r device memory (described by no
 * KIP descriptor)? */
static bool boot_has_device_page(word_t r)
{
	for (unsigned i = 0; i < kip->memdesc_count; i++) {
		struct kip_memdesc *d = &kip->memdesc[i];
		if (d->base <= r && r + ((word_t)1 << 21) <= d->base + d->size)
			return false;                       /* inside one descriptor */
	}
	for (word_t pa = r; pa < r + ((word_t)1 << 21); pa += 4096)
		if (kip_phys_is_device(pa, 4096))
			return true;
	return false;
}

/* sigma0's page tables for the device memory below 4 GiB, made now (and
 * charged to it before anyone counts): a page directory wherever a whole
 * 2 MiB is device memory (fault.c maps it as a 2 MiB root), a page table
 * where device pages share 2 MiB with RAM or a reserved range. Handing
 * device memory out and taking it back then leaves sigma0's kernel memory
 * where it was. */
static void boot_sigma0_device_tables(struct space *s)
{
	void *slot;

	for (word_t r = 0; r < PHYSMAP_SIZE; r += (word_t)1 << 21) {
		unsigned log2 = kip_phys_is_device(r, (word_t)1 << 21) ? 21
				: boot_has_device_page(r)                ? 12
									  : 0;
		if (log2 && arch_pt_prepare(s->pml4, r, log2, &s->acct, &slot))
			panic("boot: no memory for sigma0's device page tables");
	}
}

static void boot_describe_free(void)
{
	for (unsigned i = 0; i < boot_info.nregions; i++) {
		struct bootinfo_region *r = &boot_info.region[i];
		word_t end = MIN(r->end, (word_t)PHYSMAP_SIZE);
		if (end > r->base)
			kip_add_memdesc(r->base, end - r->base, KIP_MEM_FREE);
	}
}

void kmain(uint32_t magic, uint32_t mbi)
{
	struct tcb *sigma0;
	int err;

	arch_console_init();
	kprintf("Pagoda microkernel (x86-64), ABI %d\n", KIP_ABI_VERSION);
	if ((err = bootinfo_parse(&boot_info, magic, mbi, boot_phys, NULL)))
		panic("boot: bad multiboot information (error %d)", err);
	arch_cpu_init();
	arch_pt_kernel_init();
	kip_init();
	boot_report_limits();
	boot_reserve();
	arch_kernel_devices(boot_reserve_device);
	boot_pool();
	if (mdb_init(&mdb_index_acct))
		panic("boot: mapping database");
	thread_init();
	sched_init();
	if (boot_info.nmodules < 2)
		panic("boot: need sigma0 and a root task as the first two modules");
	kip->sigma0_id = tid_make(THREAD_USER_BASE, 1);
	kip->root_id = tid_make(THREAD_USER_BASE + 1, 1);
	sigma0 = boot_task(0, kip->sigma0_id, TID_NIL, SPACE_SIGMA0, 250);
	boot_task(1, kip->root_id, kip->sigma0_id, 0, 200);
	boot_describe_free();
	kip_seal();
	boot_sigma0_memory(sigma0->space);
	boot_sigma0_device_tables(sigma0->space);
	kprintf("[kernel] RAM %lu KiB, kernel pool %lu KiB, cpu features %lx\n",
		bootinfo_ram_bytes(&boot_info) >> 10, kmem_total_bytes() >> 10,
		(word_t)arch_cpu_features());
	sched_start();
}
