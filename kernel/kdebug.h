/* SPDX-License-Identifier: MIT */
/* The kernel debugger interface: console output and diagnostics. */
#ifndef KERNEL_KDEBUG_H
#define KERNEL_KDEBUG_H

struct frame;

void sys_kdebug(struct frame *f);

/* Run every kernel invariant checker; panics naming the broken one (its
 * checker, file and line). */
void kdebug_check_all(void);

/* Debug builds (make DEBUG=1) check every invariant after each change of
 * mappings or threads; other builds do nothing here. */
static inline void kdebug_after_change(void)
{
#ifdef KERNEL_DEBUG
	kdebug_check_all();
#endif
}

#endif
