/* SPDX-License-Identifier: MIT */
/* Model-specific register numbers and bits, for arch code in C and
 * assembly (plain numbers: no C suffixes). */
#ifndef ARCH_MSR_H
#define ARCH_MSR_H

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#endif
