/* SPDX-License-Identifier: MIT */
/* The sigma0 client: ask the root pager for memory (include/pagoda/sigma0.h). */
#ifndef LIBMAP_SIGMA0_H
#define LIBMAP_SIGMA0_H

#include <pagoda/types.h>

/* Any free frame of 2^log2 bytes, mapped into `window` (placement by the
 * physical address as hot spot). *pa receives its physical address. */
word_t sigma0_alloc(unsigned log2, unsigned rights, word_t window, word_t *pa);
/* The frames at physical `fpage` (base, size, rights) into `window`. */
word_t sigma0_phys(word_t fpage, word_t window);
/* Device memory at physical `fpage`, uncached, into `window`. */
word_t sigma0_device(word_t fpage, word_t window);
/* Give frames back; every mapping of them is revoked. */
word_t sigma0_free(word_t pa, unsigned log2);
/* Root task only: take back every frame thread `tid` owns; with nil, the
 * frames of every owner that no longer exists. */
word_t sigma0_reclaim(word_t tid);
/* Root task only: thread `tid` may ask for device memory (until it is
 * reclaimed). */
word_t sigma0_allow_devices(word_t tid);
/* Root task only: thread `tid` may own up to `bytes` of RAM from sigma0
 * (0: none; ~0: all there is), until it is reclaimed. */
word_t sigma0_allow_ram(word_t tid, word_t bytes);
/* Free bytes and bytes handed out to clients. */
word_t sigma0_stats(word_t *free_bytes, word_t *given_bytes);

/* The same ANY and FREE requests to any memory server: sigma0, init, or a
 * libmap pager. A frame's handle is its address in the server's space. */
word_t memsrv_alloc(word_t server, unsigned log2, unsigned rights, word_t window, word_t *handle);
word_t memsrv_free(word_t server, word_t handle, unsigned log2);

#endif
