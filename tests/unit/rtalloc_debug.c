/* SPDX-License-Identifier: MIT */
/* rt-alloc/rtalloc.c as a debug build (RTALLOC_DEBUG) for test_rtalloc_debug.c. */
#define RTALLOC_DEBUG 1
#include "../../rt-alloc/rtalloc.c" // NOLINT(bugprone-suspicious-include): a second build of it
