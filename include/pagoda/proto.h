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
 *   PAGER_OPTION   MR1 = client, MR2 = length (<= PAGER_OPTION_MAX), MR3..
 *                  = the bytes of one KEY=VALUE option from the client's
 *                  line in boot.cfg (sent after PAGER_CLIENT, before any
 *                  page). Reply label 0, or SIGMA0_REPLY_ERROR with MR1 =
 *                  E_BAD_ARGUMENT and MR2.. = why, a NUL-terminated text of
 *                  at most PAGER_REASON_MAX bytes (init prints it with the
 *                  line number and does not start the client). Every
 *                  libmap pager takes frames=N (the client's frame
 *                  bound, docs/abi.md §16.3d); a pager that takes no
 *                  other options refuses every other one.
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
#define PAGER_OPTION 0x7108
#define PAGER_OPTION_MAX 64
#define PAGER_REASON_MAX 48

/*
 * Processes (the copy-on-write pager):
 *   PROC_FORK  MR1 = child's ip, MR2 = child's sp. Reply MR1 = the child's
 *              thread id (the child starts at ip/sp in a copy of the space)
 *   PROC_WAIT  MR1 = child id. Reply (when it has exited) MR1 = status
 */
/*
 * Why a pager refused a page fault: the label of its refusal, which the
 * client's exception handler receives in EXC_MSG_ERROR bits 63..8 (msg.h).
 * Any label but 0 refuses; these have a meaning:
 *   PAGER_REFUSE_NOT_MINE        the address is in none of the client's regions
 *   PAGER_REFUSE_COLOURS_EMPTY   every colour of the client's set is exhausted
 *                                (rt-alloc/colour; no spilling allowed)
 *   PAGER_REFUSE_NO_MEMORY       the pager has no frame or record left, or
 *                                the client is at its frame bound (frames=)
 */
#define PAGER_REFUSE_NOT_MINE 1
#define PAGER_REFUSE_COLOURS_EMPTY 0x7301
#define PAGER_REFUSE_NO_MEMORY 0x7302

/*
 * The colouring pager (rt-alloc/colour.c), from its clients (calls):
 *   COLOUR_POPULATE  MR1 = first page (0 on the first call). On the first
 *                    call the pager fills every page of the caller's
 *                    pre-populated memory (populate=SIZE in boot.cfg: its
 *                    bss and stack and the first SIZE bytes of its heap)
 *                    with frames of its colours. Each reply maps up to
 *                    COLOUR_POPULATE_BATCH of the caller's pages (map items
 *                    from MR2, into its receive window: give the complete
 *                    fpage) with MR1 = the page to ask for next, 0 when done.
 *                    Refused (SIGMA0_REPLY_ERROR, MR1 = E_BAD_ARGUMENT
 *                    without populate=, E_NO_MEMORY when its colours run out).
 *   COLOUR_INFO      reply MR1 = colours, MR2 = faults served for the
 *                    caller, MR3 = pages it holds, MR4 = free frames of its
 *                    colours, MR5..MR12 = its colour set (bit c: colour c)
 */
#define COLOUR_POPULATE 0x7310
#define COLOUR_INFO 0x7311
#define COLOUR_POPULATE_BATCH 30
#define COLOUR_INFO_SET 5
#define COLOUR_INFO_LENGTH 12

#define PROC_FORK 0x7201
#define PROC_WAIT 0x7202

/*
 * The checkpoint pager (pagers/examples/ckpt.c), from its clients (calls):
 *   CKPT_CHECKPOINT  MR1 = lo, MR2 = hi (page aligned, lo < hi <= 2^47).
 *                    Reply MR1 = n, MR2 = where to go on (0: done), MR3..
 *                    = the first n (<= CKPT_BATCH) pages of [lo, hi) the
 *                    caller wrote since their last checkpoint, ascending;
 *                    each is write-protected again and leaves the list.
 *                    Refused (SIGMA0_REPLY_ERROR, MR1 = E_BAD_ARGUMENT for a
 *                    bad range or fewer than 2 words, E_BAD_THREAD from a
 *                    thread that is not a client).
 */
#define CKPT_CHECKPOINT 0x7401
#define CKPT_BATCH 60

#endif
