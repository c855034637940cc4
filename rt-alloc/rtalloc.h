/* SPDX-License-Identifier: MIT */
/*
 * rt-alloc: a real-time memory allocator with a bounded worst case
 * (two-level segregated fit; rtalloc.c explains how it works and why every
 * call is O(1)). It manages memory the caller hands it with rt_heap_add,
 * already mapped: it never faults memory in, never asks anyone for more,
 * and never grows by itself. Freestanding C: it builds for Pagoda's user
 * programs (RTALLOC_OBJS) and for the host (unit tests). One heap per
 * program; not thread-safe (callers lock, or keep one heap per thread's
 * program).
 */
#ifndef RTALLOC_H
#define RTALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* Every pointer returned is aligned to RT_ALIGN bytes. */
#define RT_ALIGN 16
/* Each block costs RT_OVERHEAD bytes of header. */
#define RT_OVERHEAD 16
/* Each region costs RT_REGION_OVERHEAD bytes (its prologue and epilogue). */
#define RT_REGION_OVERHEAD 48
/* The largest request rt_malloc accepts (bytes); larger ones get NULL. */
#define RT_REQUEST_MAX ((size_t)1 << 38)
/* The largest alignment rt_memalign accepts. */
#define RT_ALIGN_MAX ((size_t)1 << 30)

/* Forget every region: the heap is empty again (the memory is the
 * caller's, nothing is touched). */
void rt_heap_reset(void);
/* Add the mapped region [base, base + size) to the heap. The region is
 * aligned inward to 16 bytes and capped at 2^39 bytes; it must not
 * overlap a region already added. Returns the bytes usable for blocks (0:
 * too small, less than 80 bytes after alignment; nothing added). */
size_t rt_heap_add(void *base, size_t size);

/* size bytes aligned to RT_ALIGN, or NULL (size 0, larger than
 * RT_REQUEST_MAX, or no free block large enough). */
void *rt_malloc(size_t size);
/* Give back a block from rt_malloc, rt_memalign or rt_realloc. NULL does
 * nothing. Returns 0, or -1 for a pointer that is misaligned or whose
 * block is already free (a double free, detected as long as its memory
 * has not been handed out again since); nothing is changed then. */
int rt_free(void *ptr);
/* size bytes at an address that is a multiple of align (a power of two,
 * at most RT_ALIGN_MAX), or NULL (bad align, size 0 or too large, no room). */
void *rt_memalign(size_t align, size_t size);
/* Resize the block at ptr to size bytes, keeping its contents up to the
 * smaller size. In place when it shrinks or the next block is free and
 * large enough (O(1)); otherwise rt_malloc + copy + rt_free (the copy is
 * O(size)). NULL ptr: rt_malloc(size). Size 0: rt_free(ptr), NULL. On
 * failure NULL, and the old block is untouched. */
void *rt_realloc(void *ptr, size_t size);

/* What a walk over every block finds (rtalloc_stats). */
struct rt_heap_stats {
	size_t regions;
	size_t total_bytes;     /* bytes of all blocks, headers included */
	size_t free_bytes;      /* bytes of free blocks, headers included */
	size_t used_bytes;      /* bytes of used blocks, headers included */
	size_t free_blocks;
	size_t used_blocks;
	size_t largest_free;    /* the largest free block's payload bytes */
};

/* The checker: walk every region and every free list and verify every
 * invariant (listed above rtalloc_check in rtalloc.c). Returns the number of violations
 * found (0: consistent); with report set, prints each (host builds:
 * stderr; guest builds: the console). */
unsigned rtalloc_check(bool report);
/* Walk the heap and fill *st (O(blocks); for reports, not for hot paths). */
void rtalloc_stats(struct rt_heap_stats *st);
/* The usable bytes of the block at ptr (at least what was asked). */
size_t rtalloc_usable(const void *ptr);

#endif
