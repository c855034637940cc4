/* SPDX-License-Identifier: MIT */
/* The kernel debugger interface: console output and diagnostics. */
#ifndef KERNEL_KDEBUG_H
#define KERNEL_KDEBUG_H

struct frame;

void sys_kdebug(struct frame *f);

#endif
