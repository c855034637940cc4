/* SPDX-License-Identifier: MIT */
/* The kernel interface page: written at boot, read-only to user code. */
#include <kip.h>
#include <klib.h>
#include <arch.h>
#include <mapdb.h>
#include <thread.h>
#include <space.h>

static struct kip kip_page __attribute__((aligned(4096)));
struct kip *kip = &kip_page;

void kip_init(void)
{
	memset(kip, 0, sizeof(*kip));
	kip->magic = KIP_MAGIC;
	kip->abi_version = KIP_ABI_VERSION;
	kip->kip_size = sizeof(*kip);
	kip->user_base = THREAD_USER_BASE;
	kip->irq_count = ARCH_IRQ_COUNT;
	kip->max_threads = THREAD_MAX;
	kip->utcb_size = UTCB_SIZE;
	kip->page_sizes = ((word_t)1 << 12) | ((word_t)1 << 21);
	kip->kmem_default_quota = SPACE_DEFAULT_QUOTA;
	kip->mapnode_bytes = MDB_NODE_BYTES;
	kip->cpu_features = arch_cpu_features();
}

static bool kip_type_is_ram(word_t type);
static void kip_ram_add(word_t base, word_t end);

void kip_add_memdesc(word_t base, word_t size, enum kip_mem_type type)
{
	if (kip_type_is_ram(type))
		kip_ram_add(base, base + size);
	struct kip_memdesc *d;

	if (kip->memdesc_count >= KIP_MAX_MEMDESC)
		panic("kip: more than %d memory descriptors", KIP_MAX_MEMDESC);
	d = &kip->memdesc[kip->memdesc_count++];
	d->base = base;
	d->size = size;
	d->type = type;
}

int kip_add_module(word_t base, word_t size, const char *cmdline)
{
	size_t used = 0, len = strlen(cmdline) + 1;
	struct kip_module *m;

	if (kip->module_count >= KIP_MAX_MODULES)
		return -1;
	for (unsigned i = 0; i < kip->module_count; i++)
		used += strlen(kip->cmdlines + kip->module[i].cmdline) + 1;
	if (used + len > KIP_CMDLINE_BYTES)
		return -1;
	m = &kip->module[kip->module_count++];
	m->base = base;
	m->size = size;
	m->cmdline = used;
	memcpy(kip->cmdlines + used, cmdline, len);
	return 0;
}

static bool kip_type_is_ram(word_t type)
{
	return type == KIP_MEM_FREE || type == KIP_MEM_KERNEL || type == KIP_MEM_MODULE;
}

/* RAM as a few merged ranges, for kip_phys_is_ram on every mapping. */
#define KIP_RAM_RANGES 32
static struct {
	word_t base, end;
} kip_ram[KIP_RAM_RANGES];
static unsigned kip_nram;

/* Add [base, end) to the RAM ranges, merging with a neighbour. */
static void kip_ram_add(word_t base, word_t end)
{
	for (unsigned i = 0; i < kip_nram; i++) {
		if (base == kip_ram[i].end) {
			kip_ram[i].end = end;
			return;
		}
		if (end == kip_ram[i].base) {
			kip_ram[i].base = base;
			return;
		}
	}
	if (kip_nram == KIP_RAM_RANGES)
		panic("kip: RAM in more than %d pieces", KIP_RAM_RANGES);
	kip_ram[kip_nram].base = base;
	kip_ram[kip_nram++].end = end;
}

void kip_seal(void)
{
	bool merged = true;

	while (merged) {                         /* pieces added out of order */
		merged = false;
		for (unsigned i = 0; i < kip_nram && !merged; i++)
			for (unsigned j = 0; j < kip_nram && !merged; j++)
				if (i != j && kip_ram[i].end == kip_ram[j].base) {
					kip_ram[i].end = kip_ram[j].end;
					kip_ram[j] = kip_ram[--kip_nram];
					merged = true;
				}
	}
}

bool kip_phys_is_ram(word_t pa)
{
	for (unsigned i = 0; i < kip_nram; i++)
		if (pa - kip_ram[i].base < kip_ram[i].end - kip_ram[i].base)
			return true;
	return false;
}

bool kip_phys_is_device(word_t pa, word_t size)
{
	for (unsigned i = 0; i < kip->memdesc_count; i++) {
		const struct kip_memdesc *d = &kip->memdesc[i];
		if (d->type != KIP_MEM_DEVICE && pa < d->base + d->size && d->base < pa + size)
			return false;
	}
	return true;
}
