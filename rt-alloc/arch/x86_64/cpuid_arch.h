/* SPDX-License-Identifier: MIT */
/* The one instruction the colouring pager needs from the CPU: cpuid. */
#ifndef RT_ALLOC_CPUID_ARCH_H
#define RT_ALLOC_CPUID_ARCH_H

#include <stdint.h>

/* r[0..3] = eax, ebx, ecx, edx of cpuid(leaf, sub). */
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

#endif
