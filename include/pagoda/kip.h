/* SPDX-License-Identifier: MIT */
/*
 * The kernel interface page (KIP): one read-only page that the kernel maps
 * into every address space at KIP_DEFAULT_ADDR. It tells user code what
 * the kernel and the machine look like.
 */
#ifndef PAGODA_KIP_H
#define PAGODA_KIP_H

#include <pagoda/types.h>

#define KIP_MAGIC 0x41444f4741500000ull   /* "\0\0PAGODA" read as bytes */
#define KIP_ABI_VERSION 1
#define KIP_DEFAULT_ADDR ((word_t)0x7fffff000000ull)
#define KIP_MAX_MEMDESC 64
#define KIP_MAX_MODULES 16
#define KIP_CMDLINE_BYTES 1024

enum kip_mem_type {
	KIP_MEM_FREE = 1,      /* RAM that sigma0 owns and hands out */
	KIP_MEM_KERNEL = 2,    /* RAM the kernel uses (image, pool); never handed out */
	KIP_MEM_MODULE = 3,    /* RAM holding a boot module (sigma0 owns it too) */
	KIP_MEM_RESERVED = 4,  /* devices the kernel keeps (local APIC, I/O APIC, HPET) */
	KIP_MEM_DEVICE = 5,    /* never written (what no descriptor covers is device memory) */
};

struct kip_memdesc {
	word_t base;   /* physical, page aligned */
	word_t size;   /* bytes, page multiple */
	word_t type;   /* enum kip_mem_type */
};

struct kip_module {
	word_t base;        /* physical address of the module image */
	word_t size;        /* bytes */
	word_t cmdline;     /* offset of its NUL-terminated command line in kip.cmdlines */
	word_t reserved;
};

struct kip {
	word_t magic;             /* KIP_MAGIC */
	word_t abi_version;       /* KIP_ABI_VERSION */
	word_t kip_size;          /* sizeof(struct kip), <= 4096 */
	word_t user_base;         /* first thread number of user threads */
	word_t irq_count;         /* interrupt threads are numbers 0..irq_count-1 */
	word_t sigma0_id;         /* global id of sigma0's first thread */
	word_t root_id;           /* global id of the root task's first thread */
	word_t max_threads;       /* thread numbers are below this */
	word_t timer_hz;          /* scheduler tick frequency */
	word_t tick_us;           /* microseconds per tick */
	volatile word_t ticks;    /* ticks since boot; the kernel updates it */
	word_t utcb_size;         /* bytes per UTCB (and alignment) */
	word_t page_sizes;        /* bit s set: 2^s pages supported by the MMU */
	word_t kmem_default_quota;/* default kernel-memory quota of a new space */
	word_t mapnode_bytes;     /* kernel memory per mapping (mapping database) */
	word_t cpu_features;      /* KIP_CPU_* bits */
	word_t memdesc_count;
	word_t module_count;
	struct kip_memdesc memdesc[KIP_MAX_MEMDESC];
	struct kip_module module[KIP_MAX_MODULES];
	char cmdlines[KIP_CMDLINE_BYTES];
};

#define KIP_CPU_NX 1u
#define KIP_CPU_SMEP 2u
#define KIP_CPU_SMAP 4u
#define KIP_CPU_PDPE1GB 8u
#define KIP_CPU_XSAVE 16u      /* extended state switched with XSAVEOPT/XRSTOR */
#define KIP_CPU_AVX 32u        /* AVX state switched: user threads may use AVX */

_Static_assert(sizeof(struct kip) <= 4096, "KIP must fit in one page");

#endif
