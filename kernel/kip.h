/* SPDX-License-Identifier: MIT */
/* The kernel's side of the KIP: filling it in at boot, and queries. */
#ifndef KERNEL_KIP_H
#define KERNEL_KIP_H

#include <pagoda/kip.h>

extern struct kip *kip;          /* the one KIP page (kernel .bss) */

void kip_init(void);
void kip_add_memdesc(word_t base, word_t size, enum kip_mem_type type);
int kip_add_module(word_t base, word_t size, const char *cmdline);
/* After the last kip_add_memdesc: merge the RAM index kip_phys_is_ram uses. */
void kip_seal(void);
bool kip_phys_is_ram(word_t pa);
/* Is [pa, pa + size) device memory sigma0 may have: no descriptor (RAM,
 * kernel, reserved) overlaps it? */
bool kip_phys_is_device(word_t pa, word_t size);

#endif
