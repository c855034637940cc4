/* SPDX-License-Identifier: MIT */
/*
 * User-level protocols shared by libmap, the root task and the pagers
 * (the kernel knows none of these labels).
 */
#ifndef PAGODA_PROTO_H
#define PAGODA_PROTO_H

/* A task ends: MR1 = exit status; sent (call) to the task's parent. */
#define LABEL_EXIT 0x7001

#endif
