/* SPDX-License-Identifier: MIT */
/* The control system calls: threads, spaces and thread registers. */
#ifndef KERNEL_CONTROL_H
#define KERNEL_CONTROL_H

#include <pagoda/types.h>

struct frame;
struct space;

bool control_authority(const struct space *s);

void sys_thread_control(struct frame *f);
void sys_space_control(struct frame *f);
void sys_exchange_registers(struct frame *f);

#endif
