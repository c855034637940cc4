/* SPDX-License-Identifier: MIT */
/*
 * User-level protocols shared by libmap, the root task and the pagers
 * (the kernel knows none of these labels). docs/abi.md describes each.
 *
 * Memory from the pager below: every pager built with libmap answers
 * SIGMA0_LABEL_ANY and SIGMA0_LABEL_FREE from its clients exactly as sigma0
 * does, except that a frame's "address" (the hot spot of the reply, and
 * what FREE names) is where the frame lies in the server's own space: for
 * sigma0 that is the physical address. So a pager obtains memory from the
 * pager below it with the same two calls. The root task does not serve
 * them: a pager that init pages takes its frames from sigma0 directly.
 */
#ifndef PAGODA_PROTO_H
#define PAGODA_PROTO_H

/* A task ends: MR1 = exit status; sent (call, never answered) to its parent. */
#define LABEL_EXIT 0x7001

/*
 * The root task hands a task to its pager (all calls; reply label 0 on
 * success, else MR1 = error):
 *   PAGER_CLIENT   MR1 = client thread id, MR2 = its parent (gets its exit)
 *   PAGER_PAGE     MR1 = client, MR2 = va, MR3 = rights, no item. The pager
 *                  answers PAGER_PAGE_SEND and waits for the root task
 *                  alone, its scratch window open; the root task then
 *                  calls it with PAGER_PAGE, u = 0, one map item: the
 *                  page's contents, which the pager copies (image, args),
 *                  and gets the final answer. No pager ever opens a window
 *                  to whoever happens to send.
 *   PAGER_REGION   MR1 = client, MR2 = va, MR3 = size, MR4 = rights:
 *                  zero-filled anonymous memory
 *   PAGER_CLIENT_EXIT  MR1 = client: it is gone, free what it had
 *   PAGER_SHUTDOWN  give every frame back below and exit
 *
 * A client of a libmap pager gives memory back (like munmap):
 *   PAGER_RELEASE  MR1 = va, MR2 = size (page multiples): the pages go, the
 *                  range reads as zero-filled memory again. Reply label 0,
 *                  or SIGMA0_REPLY_ERROR with MR1 = E_BAD_ARGUMENT.
 */
#define PAGER_CLIENT 0x7101
#define PAGER_PAGE 0x7102
#define PAGER_REGION 0x7103
#define PAGER_CLIENT_EXIT 0x7104
#define PAGER_SHUTDOWN 0x7105
#define PAGER_RELEASE 0x7106
#define PAGER_PAGE_SEND 0x7107

/*
 * Processes (the copy-on-write pager):
 *   PROC_FORK  MR1 = child's ip, MR2 = child's sp. Reply MR1 = the child's
 *              thread id (the child starts at ip/sp in a copy of the space)
 *   PROC_WAIT  MR1 = child id. Reply (when it has exited) MR1 = status
 */
#define PROC_FORK 0x7201
#define PROC_WAIT 0x7202

#endif
