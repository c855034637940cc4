/* SPDX-License-Identifier: MIT */
/* The kernel debugger interface: console output and diagnostics. */
#ifndef KERNEL_KDEBUG_H
#define KERNEL_KDEBUG_H

#include <pagoda/types.h>

struct frame;
struct space;

void sys_kdebug(struct frame *f);

/* Run every kernel invariant checker over the whole of its structure;
 * panics naming the broken one (its checker, file and line). */
void kdebug_check_all(void);

#ifdef KERNEL_DEBUG
/* The local check of what changed (kdebug_change.c) reports these
 * numbers, after KDB_CHECK's checkers 1..3 (kmem, mapdb, space). */
enum { KDEBUG_CHECK_LOCAL_MAPDB = 4, KDEBUG_CHECK_LOCAL_SPACE };
unsigned kdebug_check_local(void);
void kdebug_require_local(void);
void kdebug_check_change(void);
void kdebug_note_pte(struct space *s, word_t va, unsigned log2, word_t pa);
void kdebug_note_mapping(struct space *s, word_t va, unsigned log2);
void kdebug_forget_space(struct space *s);
#endif

/* Debug builds (make DEBUG=1) check after each change of mappings or
 * threads what the change touched, and now and then everything
 * (kdebug.c); other builds do nothing here. */
static inline void kdebug_after_change(void)
{
#ifdef KERNEL_DEBUG
	kdebug_check_change();
#endif
}

/* Debug builds: the PTE of s at va (2^log2 bytes, frame pa) is being
 * written (kernel/space.c's hooks): the check after the change looks at
 * that range of s and at the frame's mapping lists. Nothing otherwise. */
static inline void kdebug_pte_written(struct space *s, word_t va, unsigned log2, word_t pa)
{
#ifdef KERNEL_DEBUG
	kdebug_note_pte(s, va, log2, pa);
#else
	(void)s, (void)va, (void)log2, (void)pa;
#endif
}

/* The same for a PTE about to change whose frame the caller does not
 * know: s's present mapping at va gives it. */
static inline void kdebug_pte_changing(struct space *s, word_t va, unsigned log2)
{
#ifdef KERNEL_DEBUG
	kdebug_note_mapping(s, va, log2);
#else
	(void)s, (void)va, (void)log2;
#endif
}

/* Space s is going away: drop what the change log holds of it. */
static inline void kdebug_space_gone(struct space *s)
{
#ifdef KERNEL_DEBUG
	kdebug_forget_space(s);
#else
	(void)s;
#endif
}

#endif
