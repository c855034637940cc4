/* SPDX-License-Identifier: MIT */
/* Small arithmetic helpers shared by the kernel and user programs. */
#ifndef LIB_UTIL_H
#define LIB_UTIL_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* clang-format 14 takes (a) - 1 for a cast and would write (a)-1. */
/* clang-format off */
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
/* clang-format on */
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
