/* SPDX-License-Identifier: MIT */
/*
 * The console: one serial line shared by the kernel and every task. The
 * kernel marks whose line is whose, so that no task can pass its output
 * off as the kernel's or the root task's (docs/security.md, class 12).
 */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <pagoda/types.h>

struct tcb;

/* The kernel's own output (kprintf, panic). */
void console_kernel_write(const char *buf, size_t n);
/* Output of thread t (SYS_KDEBUG KDB_PUTC / KDB_PUTS). */
void console_task_write(struct tcb *t, const char *buf, size_t n);

#endif
