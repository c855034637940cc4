/* SPDX-License-Identifier: MIT */
/*
 * Thread creation, lookup and deletion.
 *
 * Deletion is the delicate part: every thread that waits on the deleted
 * one (sending to it, or receiving from it) is woken with
 * E_IPC_NO_PARTNER; the UTCB and the TCB go back to the pool; the thread
 * number becomes free (its next owner should use a new version, so that
 * old ids stay stale); and the space goes with its last thread, after
 * every space it owns (space.h). A thread deleting itself is freed after
 * the CPU has left its stack (sched_defer_free).
 */
#include <thread.h>
#include <kdebug.h>
#include <space.h>
#include <sched.h>
#include <ipc.h>
#include <kmem.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>
#include <pagoda/thread.h>

struct tcb *thread_table[THREAD_MAX];       /* thread number -> TCB */

/* The TCB (with its 832-byte FPU area) leaves 2.5 KiB of kernel stack; the
 * deepest use measured over the test suite and benchmarks is 1.2 KiB. */
_Static_assert(sizeof(struct tcb) <= 1536, "TCB leaves room for the kernel stack");

struct tcb *thread_lookup(word_t tid, int *err)
{
	word_t n = tid_number(tid);
	struct tcb *t;

	if (tid == TID_NIL || tid == TID_ANY || n >= THREAD_MAX || n < THREAD_USER_BASE ||
	    tid_version(tid) == 0) {
		*err = E_BAD_THREAD;
		return NULL;
	}
	t = thread_table[n];
	if (!t) {
		*err = E_BAD_THREAD;
		return NULL;
	}
	if (t->tid != tid) {
		*err = E_STALE_THREAD;
		return NULL;
	}
	*err = E_OK;
	return t;
}

word_t thread_current_tid(void)
{
	return thread_current ? thread_current->tid : TID_NIL;
}

/* Is utcb_user a free, aligned UTCB slot inside s's UTCB area? */
static int thread_utcb_check(struct space *s, word_t utcb_user)
{
	word_t area = s->utcb_area;
	struct list *n;

	if (!(s->flags & SPACE_AREAS_SET) || utcb_user & (UTCB_SIZE - 1))
		return E_BAD_UTCB;
	if (utcb_user < fpage_base(area) || utcb_user - fpage_base(area) >= fpage_size(area))
		return E_BAD_UTCB;
	list_for_each(n, &s->threads)
		if (list_entry(n, struct tcb, space_link)->utcb_user == utcb_user)
			return E_BAD_UTCB;
	return E_OK;
}

/* Decode a new thread's id: a free user number, version non-zero. */
static int thread_id_check(word_t tid)
{
	word_t n = tid_number(tid);

	if (tid == TID_NIL || tid == TID_ANY || n < THREAD_USER_BASE || n >= THREAD_MAX ||
	    tid_version(tid) == 0)
		return E_BAD_THREAD;
	return thread_table[n] ? E_EXISTS : E_OK;
}

static void thread_link(struct tcb *t, struct space *s)
{
	t->space = s;
	list_push_front(&s->threads, &t->space_link);
	s->nthreads++;
}

static void thread_unlink(struct tcb *t)
{
	list_remove(&t->space_link);
	t->space->nthreads--;
}

struct tcb *thread_create(word_t tid, struct space *s, word_t utcb_user, int *err)
{
	struct tcb *t;
	struct utcb *u;

	if ((*err = thread_id_check(tid)) || (*err = thread_utcb_check(s, utcb_user)))
		return NULL;
	t = kmem_alloc(&s->acct, KMEM_PAGE);
	u = t ? kmem_alloc(&s->acct, KMEM_PAGE) : NULL;
	if (!u || (*err = space_map_utcb(s, utcb_user, virt_to_phys(u)))) {
		kmem_free(&s->acct, u, KMEM_PAGE);
		kmem_free(&s->acct, t, KMEM_PAGE);
		if (!u)
			*err = E_NO_MEMORY;
		return NULL;
	}
	t->tid = tid;
	t->utcb = u;
	t->utcb_user = utcb_user;
	t->state = TS_HALTED;
	t->halted = true;
	t->prio = SCHED_DEFAULT_PRIO;
	t->timeslice = t->slice_left = sched_us_to_ticks(SCHED_DEFAULT_SLICE_US);
	t->canary = THREAD_CANARY;
	list_init(&t->sendq);
	u->self = utcb_user;
	u->my_id = tid;
	arch_fpu_init_state(t->fpu);
	arch_thread_init_user(t, 0, 0);
	thread_link(t, s);
	thread_table[tid_number(tid)] = t;
	return t;
}

void thread_free(struct tcb *t)
{
	struct space *s = t->space;

	kmem_free(&s->acct, t, KMEM_PAGE);
	if (s->nthreads == 0)
		space_destroy(s);
}

void thread_destroy(struct tcb *t)
{
	struct space *s = t->space;

	ipc_cancel_all(t, E_IPC_NO_PARTNER);
	sched_unready(t);
	sched_timeout_remove(t);
	space_unmap_utcb(s, t->utcb_user);
	kmem_free(&s->acct, t->utcb, KMEM_PAGE);
	thread_table[tid_number(t->tid)] = NULL;
	thread_unlink(t);
	t->state = TS_DEAD;
	if (s->nthreads == 0)
		space_end_children(s);            /* the spaces s owns end first */
	if (t == thread_current) {
		sched_defer_free(t);
		return;
	}
	thread_free(t);
	kdebug_after_change();
}

void thread_stop(struct tcb *t, const char *why)
{
	kprintf("[kernel] thread %lx stopped: %s\n", t->tid, why);
	ipc_cancel_all(t, E_IPC_NO_PARTNER);
	t->state = TS_DEAD;
	sched_unready(t);
}

void thread_check_failed(struct tcb *t)
{
	panic("thread: kernel stack overflow in thread %lx", t->tid);
}

void thread_init(void)
{
	memset(thread_table, 0, sizeof(thread_table));
}
