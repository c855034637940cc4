/* SPDX-License-Identifier: MIT */
/* Page faults and exceptions of user threads, delivered as IPC. */
#ifndef KERNEL_FAULT_H
#define KERNEL_FAULT_H

#include <pagoda/types.h>

struct frame;

void fault_page(struct frame *f, word_t addr, unsigned access);
void fault_exception(struct frame *f);

#endif
