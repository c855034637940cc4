/* SPDX-License-Identifier: MIT */
/* Processes under the copy-on-write pager: fork and wait. */
#ifndef LIBMAP_FORK_H
#define LIBMAP_FORK_H

#include <pagoda/types.h>

/* Copy this process lazily: returns the child's id in the parent, 0 in
 * the child, FORK_FAILED in the parent if the pager refused (not a COW
 * client, no memory: kernel memory is charged to the pager's quota). */
#define FORK_FAILED (~(word_t)0)
word_t fork(void);

/* Wait until `child` has exited; its exit status in *status (-1000 if it
 * was stopped by a fault or an exception). E_OK, or E_BAD_THREAD if it is
 * not our child (or was already waited for). */
word_t wait(word_t child, int *status);

/* Give [va, va + size) back to our pager (any libmap pager): like munmap
 * of anonymous memory, the pages go and read as zero when touched again.
 * E_OK, or the pager's error code (E_BAD_ARGUMENT: not page aligned). */
word_t pager_release(word_t va, word_t size);

#endif
