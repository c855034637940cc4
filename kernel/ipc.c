/* SPDX-License-Identifier: MIT */
/*
 * Synchronous IPC.
 *
 * How a message travels. Every IPC is an optional send phase followed by
 * an optional receive phase, executed by the calling thread in its own
 * kernel context:
 *
 *  - send: if the destination is blocked receiving from us (or from any
 *    thread), the message is copied straight into it: MR0..MR2 into the
 *    registers of its saved frame, MR3.. into its UTCB, map and grant
 *    items executed on the way (ipc_transfer). If the sender blocks
 *    right after (a call), the receiver becomes ready at the front of its
 *    queue, so a call switches straight to the server; otherwise at the
 *    back (ipc_wake_later).
 *    Otherwise the sender blocks in the destination's send queue.
 *  - receive: a matching sender in our send queue (or a pending interrupt)
 *    is taken at once; otherwise we block until a sender arrives.
 *  - a blocked sender with a receive phase still to come (a call) is
 *    turned into a receiver by the thread that takes its message, without
 *    running in between; it learns the outcome when it is finally woken.
 *
 * A woken thread returns from its own block() with the final result in
 * ipc_result, which the waker set; the message itself was already written.
 *
 * Kernel IPC: page faults and exceptions are sent in the faulting thread's
 * name through the same code. Such a thread has in_kernel_ipc set: its
 * message comes from and goes to t->kmsg instead of registers and UTCB,
 * and map items of the reply land anywhere in its space.
 */
#include <ipc.h>
#include <thread.h>
#include <space.h>
#include <sched.h>
#include <map.h>
#include <irq.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/msg.h>
#include <pagoda/fpage.h>
#include <pagoda/thread.h>

#define KMSG_WORDS (sizeof(((struct tcb *)0)->kmsg) / sizeof(word_t))

/* The IPC system call's arguments (include/pagoda/syscall.h); the actual
 * sender comes back in the `from` argument. */
enum { IPC_ARG_TO = 0, IPC_ARG_FROM = 1, IPC_ARG_TIMEOUTS = 2 };

/* ---- message words: registers + UTCB, or the kernel buffer ---- */

static word_t msg_get(struct tcb *t, unsigned i)
{
	if (t->in_kernel_ipc)
		return i < KMSG_WORDS ? t->kmsg[i] : 0;
	if (i >= MSG_REG_MRS)
		return t->utcb->mr[i];
	return arch_msg_reg(arch_frame(t), i);
}

static void msg_set(struct tcb *t, unsigned i, word_t w)
{
	if (t->in_kernel_ipc) {
		if (i < KMSG_WORDS)
			t->kmsg[i] = w;
		return;
	}
	if (i >= MSG_REG_MRS) {
		t->utcb->mr[i] = w;
		return;
	}
	arch_msg_set_reg(arch_frame(t), i, w);
}

/* Copy untyped words 1..u; the bulk goes UTCB to UTCB. */
static void msg_copy_untyped(struct tcb *s, struct tcb *r, unsigned u)
{
	unsigned i = 1;

	for (; i <= u && i < MSG_REG_MRS; i++)
		msg_set(r, i, msg_get(s, i));
	if (i <= u && !s->in_kernel_ipc && !r->in_kernel_ipc) {
		memcpy(&r->utcb->mr[i], &s->utcb->mr[i], (u + 1 - i) * sizeof(word_t));
		return;
	}
	for (; i <= u; i++)
		msg_set(r, i, msg_get(s, i));
}

/* The kernel never trusts a sender: an item naming memory it does not
 * have maps nothing, and both sides find E_IPC_NOT_MAPPED in their UTCB's
 * error word; the message itself is delivered. */
static void msg_not_mapped(struct tcb *s, struct tcb *r)
{
	if (!s->in_kernel_ipc)
		s->utcb->error = E_IPC_NOT_MAPPED;
	if (!r->in_kernel_ipc)
		r->utcb->error = E_IPC_NOT_MAPPED;
}

/* Where map items may land in receiver r (fixed in its receive): the
 * whole space for a kernel-IPC reply; BR0 for a receive from a named
 * partner; nowhere for an open receive, unless BR0 says BR0_FROM_ANY. */
static word_t msg_window(const struct tcb *r)
{
	word_t br0;

	if (r->in_kernel_ipc)
		return FPAGE_COMPLETE;
	br0 = r->utcb->br[0];
	if (r->ipc_partner == TID_ANY && !(br0 & BR0_FROM_ANY))
		return FPAGE_NIL;
	return br0 & ~BR0_FROM_ANY;
}

/* Execute and copy the typed items at MR[u+1 .. u+t]. */
static word_t msg_items(struct tcb *s, struct tcb *r, unsigned u, unsigned t)
{
	word_t window = msg_window(r), err;

	if (t & 1)
		return E_IPC_BAD_ITEM;
	for (unsigned i = u + 1; i + 1 <= u + t; i += ITEM_WORDS) {
		word_t w0 = msg_get(s, i), w1 = msg_get(s, i + 1);
		word_t type = w0 & ITEM_TYPE_MASK;

		if (type != ITEM_MAP && type != ITEM_GRANT)
			return E_IPC_BAD_ITEM;
		err = map_item(s->space, w0, w1, r->space, window, type == ITEM_GRANT);
		if (err == E_IPC_NOT_MAPPED)
			msg_not_mapped(s, r);
		else if (err)
			return err;             /* E_IPC_BAD_ITEM or E_NO_MEMORY */
		msg_set(r, i, w0);
		msg_set(r, i + 1, w1);
	}
	return E_OK;
}

/* Copy s's message to r (both fixed in their IPC state). Only a message
 * the kernel made in s's name (a fault) keeps TAG_K_FLAG. */
static word_t ipc_transfer(struct tcb *s, struct tcb *r)
{
	word_t tag = msg_get(s, 0);
	unsigned u = tag_u(tag), t = tag_t(tag);

	msg_set(r, 0, tag & ~(s->in_kernel_ipc ? TAG_E_FLAG : TAG_E_FLAG | TAG_K_FLAG));
	msg_copy_untyped(s, r, u);
	if (!r->in_kernel_ipc) {
		arch_syscall_set_arg(arch_frame(r), IPC_ARG_FROM, s->tid);
		r->utcb->sender = s->tid;
	}
	return t ? msg_items(s, r, u, t) : E_OK;
}

/* Give h the message of interrupt thread irq_tid, with it as sender. */
static void ipc_irq_message(struct tcb *h, word_t irq_tid)
{
	msg_set(h, 0, tag_make(LABEL_IRQ, 0, 0) | TAG_K_FLAG);
	if (!h->in_kernel_ipc) {
		arch_syscall_set_arg(arch_frame(h), IPC_ARG_FROM, irq_tid);
		h->utcb->sender = irq_tid;
	}
}

/* ---- send queues (the receiver's sendq, in arrival order) ---- */

static void sendq_add(struct tcb *r, struct tcb *s)
{
	list_push_back(&r->sendq, &s->sq);
}

static void sendq_remove(struct tcb *s)
{
	list_remove(&s->sq);
}

static struct tcb *sendq_find(struct tcb *r, word_t from)
{
	struct list *n;

	if (from == TID_ANY)
		return list_empty(&r->sendq) ? NULL : list_entry(r->sendq.next, struct tcb, sq);
	list_for_each(n, &r->sendq) {
		struct tcb *s = list_entry(n, struct tcb, sq);
		if (s->tid == from)
			return s;
	}
	return NULL;
}

/* ---- blocking and waking ---- */

static void ipc_wake(struct tcb *t, word_t result, bool front)
{
	sched_timeout_remove(t);
	t->ipc_result = result;
	t->ipc_from = TID_NIL;
	t->state = TS_READY;
	if (front)
		sched_ready_front(t);
	else
		sched_ready(t);
}

/* Block the current thread in `state` until woken; returns its result.
 * timeout is in microseconds (TIMEOUT_NEVER: none). */
static word_t ipc_block(struct tcb *self, enum thread_state state, word_t timeout)
{
	self->state = state;
	sched_unready(self);
	if (timeout != TIMEOUT_NEVER)
		sched_timeout_add(self, sched_us_to_ticks(timeout));
	schedule();
	return self->ipc_result;
}

static bool ipc_waits_for(struct tcb *r, struct tcb *s)
{
	return r->state == TS_RECV && (r->ipc_partner == TID_ANY || r->ipc_partner == s->tid);
}

/* ---- the two phases ---- */

/* Put t, made ready at the front by our send, at the back instead: we
 * do not block after all. ipc_send woke it at the front if we have a
 * receive phase (a call, or a server's reply-and-wait): then our turn
 * passes to it. A sender that runs on (send-only, or a receive that a
 * queued sender, a pending interrupt or a zero timeout ends at once)
 * leaves it at the back: were it put first, a busy server's clients,
 * each woken first again after every request, would keep the threads of
 * their priority that were ready before them from running for as long
 * as the server had work. Decided here, off the path of a call. */
static void ipc_wake_later(struct tcb *t)
{
	if (t && t->state == TS_READY) {
		sched_unready(t);
		sched_ready(t);
	}
}

static word_t ipc_send(struct tcb *self, struct tcb *r, word_t timeout)
{
	word_t err;

	if (ipc_waits_for(r, self)) {
		err = ipc_transfer(self, r);
		ipc_wake(r, err ? err | IPC_ERR_RECV_PHASE : E_OK, self->ipc_from != TID_NIL);
		return err;
	}
	if (timeout == TIMEOUT_ZERO)
		return E_IPC_TIMEOUT;
	self->ipc_partner = r->tid;
	sendq_add(r, self);
	return ipc_block(self, TS_SEND, timeout);
}

/* Take the message of blocked sender s; s either finishes or, in a call,
 * goes on to wait for our reply. */
static word_t ipc_take(struct tcb *self, struct tcb *s)
{
	word_t err;

	sendq_remove(s);
	sched_timeout_remove(s);
	err = ipc_transfer(s, self);
	if (err || s->ipc_from == TID_NIL) {
		ipc_wake(s, err, false);
		return err ? err | IPC_ERR_RECV_PHASE : E_OK;
	}
	if (s->ipc_rcv_timeout == TIMEOUT_ZERO || sendq_find(s, s->ipc_from) ||
	    irq_pending_for(s, s->ipc_from)) {
		/* its receive phase can finish at once (or time out at once):
		 * wake it to run the receive itself, in its own context */
		word_t from = s->ipc_from;
		ipc_wake(s, E_OK, false);
		s->ipc_from = from;
		return E_OK;
	}
	s->state = TS_RECV;
	s->ipc_partner = s->ipc_from;
	s->ipc_from = TID_NIL;
	if (s->ipc_rcv_timeout != TIMEOUT_NEVER)
		sched_timeout_add(s, sched_us_to_ticks(s->ipc_rcv_timeout));
	return E_OK;
}

/* The receive phase; woken: the receiver our send phase woke, if any. */
static word_t ipc_receive(struct tcb *self, word_t from, word_t timeout, struct tcb *woken)
{
	struct tcb *s;
	word_t irq_tid;

	if (irq_take_pending(self, from, &irq_tid)) {
		ipc_wake_later(woken);
		ipc_irq_message(self, irq_tid);
		return E_OK;
	}
	self->ipc_partner = from;            /* msg_window reads it in the transfer */
	s = sendq_find(self, from);
	if (s) {
		ipc_wake_later(woken);
		return ipc_take(self, s);
	}
	if (timeout == TIMEOUT_ZERO) {
		ipc_wake_later(woken);
		return E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE;
	}
	return ipc_block(self, TS_RECV, timeout);
}

/* Send (if r) then receive (if from != nil). A send that blocks carries
 * the receive phase with it (ipc_take continues it). */
static word_t ipc_do(struct tcb *self, struct tcb *r, word_t from, word_t snd_to, word_t rcv_to)
{
	struct tcb *woken = NULL;            /* r, if our send woke it */
	word_t err;

	self->ipc_from = from;
	self->ipc_rcv_timeout = rcv_to;
	if (r) {
		bool blocked = !ipc_waits_for(r, self) && snd_to != TIMEOUT_ZERO;
		woken = ipc_waits_for(r, self) ? r : NULL;
		err = ipc_send(self, r, snd_to);
		if (!err && !blocked && from == TID_NIL && r->prio > self->prio)
			schedule();                     /* a higher priority woke */
		if (err || (blocked && self->ipc_from == TID_NIL) || from == TID_NIL) {
			if (err && from != TID_NIL)
				ipc_wake_later(woken);  /* no receive phase after all */
			self->ipc_from = TID_NIL;
			return err;
		}
		/* not blocked, or woken by ipc_take to run the receive itself */
	}
	self->ipc_from = TID_NIL;
	return from == TID_NIL ? E_OK : ipc_receive(self, from, rcv_to, woken);
}

/* ---- entry points ---- */

/* Decode the receive specifier: nil, any, an interrupt thread, or a
 * live thread. */
static word_t ipc_decode_from(word_t from)
{
	struct tcb *t;
	int err;

	if (from == TID_NIL || from == TID_ANY || irq_from_tid(from) >= 0)
		return E_OK;
	t = thread_lookup(from, &err);
	if (err)
		return (word_t)err | IPC_ERR_RECV_PHASE;
	return t->state == TS_DEAD ? E_IPC_NO_PARTNER | IPC_ERR_RECV_PHASE : E_OK;
}

/* Decode and run one IPC system call; its result. */
static __attribute__((noinline)) word_t ipc_syscall(struct frame *f)
{
	struct tcb *self = thread_current, *r = NULL;
	word_t to = arch_syscall_arg(f, IPC_ARG_TO), from = arch_syscall_arg(f, IPC_ARG_FROM);
	word_t tmo = arch_syscall_arg(f, IPC_ARG_TIMEOUTS), tag = arch_msg_reg(f, 0), err;
	int lerr = E_OK;

	if (to != TID_NIL && irq_from_tid(to) >= 0) {
		err = irq_ack(self, irq_from_tid(to));
		if (err || from == TID_NIL)
			return err;
		to = TID_NIL;
	}
	if (to != TID_NIL && (!(r = thread_lookup(to, &lerr)) || r == self))
		return lerr ? (word_t)lerr : E_BAD_THREAD;
	if (r && r->state == TS_DEAD)
		return E_IPC_NO_PARTNER;
	if (r && tag_u(tag) + tag_t(tag) > MSG_MR_COUNT - 1)
		return E_IPC_OVERFLOW;
	if ((err = ipc_decode_from(from)))
		return err;
	self->in_kernel_ipc = false;
	return ipc_do(self, r, from, tmo >> 32, tmo & 0xffffffff);
}

/* The item failed (out of kernel memory, malformed): as in the general
 * path, the receiver wakes with the error and the sender gets it. */
static __attribute__((noinline)) word_t ipc_fast_failed(struct tcb *r, word_t err)
{
	ipc_wake(r, err | IPC_ERR_RECV_PHASE, false);
	return err;
}

/* May a fast path hand self's message straight to r and run r? r waits
 * for self (or anyone) and may run at once (ipc_fast_prio_ok); self's own
 * receive must block (nothing queued for it, no interrupt pending);
 * self's kernel stack is intact (thread_check: otherwise the general
 * path's switch panics). */
static inline __attribute__((always_inline)) bool ipc_fast_ok(struct tcb *self, struct tcb *r)
{
	return r->state == TS_RECV && (r->ipc_partner == TID_ANY || r->ipc_partner == self->tid) &&
	       !r->halted && list_empty(&self->sendq) && !irq_pending_count &&
	       self->canary == THREAD_CANARY;
}

/* May r run at once instead of self? Its priority is at least ours, or no
 * ready thread's is above its (a pager replying to a client of lower
 * priority): what schedule() would pick, r being woken first of its
 * priority. */
static inline __attribute__((always_inline)) bool ipc_fast_prio_ok(struct tcb *self, struct tcb *r)
{
	return r->prio >= self->prio || !sched_ready_above(r->prio);
}

/* Three message words into receiver r's saved registers, from `sender`. */
static inline __attribute__((always_inline)) void ipc_fast_put(struct tcb *r, word_t sender,
								word_t w0, word_t w1, word_t w2)
{
	struct frame *rf = arch_frame(r);

	arch_msg_set_reg(rf, 0, w0);
	arch_msg_set_reg(rf, 1, w1);
	arch_msg_set_reg(rf, 2, w2);
	arch_syscall_set_arg(rf, IPC_ARG_FROM, sender);
	r->utcb->sender = sender;
}

/* Wake r with success, block self receiving from `from`, and run r;
 * self's result when it runs again (replied to, or woken). self's canary
 * has been checked (ipc_fast_ok). */
static inline __attribute__((always_inline)) word_t ipc_fast_switch(struct tcb *self, struct tcb *r,
								    word_t from)
{
	r->ipc_result = E_OK;
	sched_timeout_remove(r);
	r->state = TS_READY;
	self->state = TS_RECV;
	self->ipc_partner = from;
	return sched_switch_user_checked(self, r);
}

/* The fast path's delivery of tag, MR1, MR2 from frame f to r, and the
 * switch to r; the caller's result when it runs again. */
static inline __attribute__((always_inline)) word_t
ipc_fast_run(struct frame *f, struct tcb *self, struct tcb *r, word_t tag, word_t from)
{
	if (r->in_kernel_ipc) {
		r->kmsg[0] = tag & ~(TAG_E_FLAG | TAG_K_FLAG);
		r->kmsg[1] = arch_msg_reg(f, 1);
		r->kmsg[2] = arch_msg_reg(f, 2);
	} else {
		ipc_fast_put(r, self->tid, tag & ~(TAG_E_FLAG | TAG_K_FLAG), arch_msg_reg(f, 1),
			     arch_msg_reg(f, 2));
	}
	/* self->in_kernel_ipc is false: only ipc_kernel_call sets it, and
	 * clears it before its thread can make a system call again. */
	return ipc_fast_switch(self, r, from);
}

/* The fast path with its one typed item (a pager's reply, a sigma0
 * frame): execute it as the general path would, then deliver and switch. */
static __attribute__((noinline)) word_t ipc_fast_item(struct frame *f, struct tcb *self,
						      struct tcb *r, word_t tag, word_t from)
{
	word_t w0 = arch_msg_reg(f, 1), err;

	err = map_item(self->space, w0, arch_msg_reg(f, 2), r->space, msg_window(r),
		       (w0 & ITEM_TYPE_MASK) == ITEM_GRANT);
	if (err == E_IPC_NOT_MAPPED)
		msg_not_mapped(self, r);
	else if (err)
		return ipc_fast_failed(r, err);
	return ipc_fast_run(f, self, r, tag, from);
}

/* Decode and run an IPC the fast path does not take, and its result. */
static __attribute__((noinline)) word_t ipc_slow(struct frame *f)
{
	return ipc_syscall(f);
}

/* The fast path's last step: with its one map or grant item (any other
 * item takes the general path), or a message in registers only. */
static inline __attribute__((always_inline)) word_t
ipc_fast_go(struct frame *f, struct tcb *self, struct tcb *r, word_t tag, word_t from, bool item)
{
	if (item) {
		if ((arch_msg_reg(f, 1) & ITEM_TYPE_MASK) != ITEM_MAP &&
		    (arch_msg_reg(f, 1) & ITEM_TYPE_MASK) != ITEM_GRANT)
			return ipc_slow(f);
		return ipc_fast_item(f, self, r, tag, from);
	}
	return ipc_fast_run(f, self, r, tag, from);
}

/* The fast path to a partner r of lower priority than ours (out of line:
 * the common case stays short): only if nothing ready is above r. */
static __attribute__((noinline)) word_t
ipc_fast_lower(struct frame *f, struct tcb *self, struct tcb *r, word_t tag, word_t from, bool item)
{
	if (!ipc_fast_prio_ok(self, r))
		return ipc_slow(f);
	return ipc_fast_go(f, self, r, tag, from, item);
}

/*
 * The IPC system call; its result goes into the frame (entry.S).
 *
 * The fast path: a call or reply-and-wait whose message is in registers
 * only (u <= 2 words, or one map/grant item), whose partner already waits
 * for it and may run at once (priority at least ours), and whose own
 * receive must block (nothing queued for us, no interrupt pending, no
 * timeout). The message goes straight into the partner's saved registers
 * (or, for a thread waiting on a fault reply, its kernel message) and the
 * CPU switches to it; since the running thread is never in a run queue,
 * no queue changes. Everything else takes the general path, which does
 * the same in more steps.
 *
 * The fast path without an item calls nothing but the switch, and that
 * as a tail call: the switch returns our ipc_result when we run again,
 * straight to the entry. So it keeps nothing in callee-saved registers,
 * needs no stack frame and no code after the switch.
 */
word_t sys_ipc(struct frame *f)
{
	struct tcb *self = thread_current, *r;
	word_t to = arch_syscall_arg(f, IPC_ARG_TO), from = arch_syscall_arg(f, IPC_ARG_FROM);
	word_t tag = arch_msg_reg(f, 0), n = tid_number(to), shape = tag & 0xfff;
	bool item = shape == (2 << TAG_T_SHIFT);

	if ((shape > 2 && !item) ||
	    (arch_syscall_arg(f, IPC_ARG_TIMEOUTS) & 0xffffffff) != TIMEOUT_NEVER)
		return ipc_slow(f);
	if (n < THREAD_USER_BASE || n >= THREAD_MAX || !(r = thread_table[n]) || r->tid != to)
		return ipc_slow(f);
	if ((from != to && from != TID_ANY) || !ipc_fast_ok(self, r))
		return ipc_slow(f);
	if (r->prio < self->prio)
		return ipc_fast_lower(f, self, r, tag, from, item);
	return ipc_fast_go(f, self, r, tag, from, item);
}

/* A failed IPC returns its tag (MR0) with the error flag set (msg.h),
 * and leaves the error in the UTCB (entry.S calls it; f holds the result). */
void ipc_failed(struct frame *f)
{
	arch_msg_set_reg(f, 0, arch_msg_reg(f, 0) | TAG_E_FLAG);
	thread_current->utcb->error = arch_syscall_result(f);
}

/* The fast path of a kernel call (a page fault: three words) to a pager
 * p that waits for it: t's result when it runs again. */
static inline __attribute__((always_inline)) word_t ipc_kernel_fast(struct tcb *t, struct tcb *p)
{
	word_t err;

	ipc_fast_put(p, t->tid, t->kmsg[0], t->kmsg[1], t->kmsg[2]);
	t->in_kernel_ipc = true;
	err = ipc_fast_switch(t, p, p->tid);
	t->in_kernel_ipc = false;
	return err;
}

/* The general kernel call. */
static __attribute__((noinline)) word_t ipc_kernel_slow(struct tcb *t, word_t to)
{
	int lerr;
	struct tcb *p = thread_lookup(to, &lerr);
	word_t err;

	if (!p || p == t || p->state == TS_DEAD)
		return E_IPC_NO_PARTNER;
	t->in_kernel_ipc = true;
	err = ipc_do(t, p, to, TIMEOUT_NEVER, TIMEOUT_NEVER);
	t->in_kernel_ipc = false;
	return err;
}

/* The partner is looked up as in sys_ipc's fast path (a live thread of
 * that number and version; p == t fails ipc_fast_ok: t is not waiting). */
word_t ipc_kernel_call(struct tcb *t, word_t to)
{
	word_t n = tid_number(to);
	struct tcb *p;

	if (n >= THREAD_USER_BASE && n < THREAD_MAX && (p = thread_table[n]) && p->tid == to &&
	    tag_u(t->kmsg[0]) <= 2 && !p->in_kernel_ipc && ipc_fast_ok(t, p) &&
	    ipc_fast_prio_ok(t, p))
		return ipc_kernel_fast(t, p);
	return ipc_kernel_slow(t, to);
}

bool ipc_deliver_irq(struct tcb *h, word_t irq_tid)
{
	if (h->state != TS_RECV || (h->ipc_partner != TID_ANY && h->ipc_partner != irq_tid))
		return false;
	ipc_irq_message(h, irq_tid);
	ipc_wake(h, E_OK, true);
	return true;
}

void ipc_timeout(struct tcb *t)
{
	if (t->state == TS_SEND) {
		sendq_remove(t);
		ipc_wake(t, E_IPC_TIMEOUT, false);
	} else if (t->state == TS_RECV) {
		ipc_wake(t, E_IPC_TIMEOUT | IPC_ERR_RECV_PHASE, false);
	}
}

void ipc_abort(struct tcb *t, bool send, bool recv)
{
	if (send && t->state == TS_SEND) {
		sendq_remove(t);
		ipc_wake(t, E_IPC_CANCELLED, false);
	} else if (recv && t->state == TS_RECV) {
		ipc_wake(t, E_IPC_CANCELLED | IPC_ERR_RECV_PHASE, false);
	}
}

void ipc_cancel_all(struct tcb *t, word_t err)
{
	while (!list_empty(&t->sendq)) {
		struct tcb *s = list_entry(t->sendq.next, struct tcb, sq);
		sendq_remove(s);
		ipc_wake(s, err, false);
	}
	for (unsigned n = THREAD_USER_BASE; n < THREAD_MAX; n++) {
		struct tcb *x = thread_table[n];
		if (x && x != t && x->state == TS_RECV && x->ipc_partner == t->tid)
			ipc_wake(x, err | IPC_ERR_RECV_PHASE, false);
	}
	if (t->state == TS_SEND)
		sendq_remove(t);
	if (t->state == TS_SEND || t->state == TS_RECV)
		t->state = TS_HALTED;
	sched_timeout_remove(t);
	irq_detach_all(t);
}
