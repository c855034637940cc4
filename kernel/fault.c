/* SPDX-License-Identifier: MIT */
/*
 * Faults are IPC. A page fault becomes a call from the faulting thread to
 * its pager with (address, IP, access); the pager's reply maps something
 * (or not) and the thread retries the instruction: if still unmapped it
 * simply faults again. Any other exception becomes a call to the
 * exception handler with the full register state; its reply may set the
 * registers. A page fault the pager refuses (a reply with a non-zero
 * label), or that no pager answers (none set, or it is gone), is handed to
 * the exception handler as vector 14, like a signal. A thread whose
 * exception handler is missing, gone, or refuses is stopped with a
 * one-line diagnostic; the rest of the system goes on.
 *
 * sigma0 has no pager: the kernel itself maps device memory into it,
 * idempotently and uncached, when it touches a physical address that is
 * not RAM.
 */
#include <fault.h>
#include <ipc.h>
#include <thread.h>
#include <space.h>
#include <mapdb.h>
#include <kip.h>
#include <sched.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/fpage.h>
#include <pagoda/msg.h>
#include <pagoda/thread.h>

static const char *fault_access_name(unsigned access)
{
	return access == FPAGE_W ? "write" : access == FPAGE_X ? "execute" : "read";
}

/* sigma0 touching device memory: map it 1:1 as a root of the mapdb, the
 * whole 2 MiB when all of it is device memory (one node, no page table:
 * what sigma0 holds stays small however much it hands out), else the
 * 4 KiB page. Never RAM, never a device the kernel keeps (KIP_MEM_RESERVED). */
static bool fault_sigma0_device(struct tcb *t, word_t addr)
{
	word_t pa = ALIGN_DOWN(addr, 4096), super = ALIGN_DOWN(addr, (word_t)1 << 21);

	if (!(t->space->flags & SPACE_SIGMA0) || pa >= PHYSMAP_SIZE)
		return false;
	if (kip_phys_is_device(super, (word_t)1 << 21))
		return mdb_root(t->space, super, super, 21, FPAGE_RW) == E_OK;
	return kip_phys_is_device(pa, 4096) && mdb_root(t->space, pa, pa, 12, FPAGE_RW) == E_OK;
}

static bool fault_exception_ipc(struct frame *f, word_t addr, const char *what);

/* Does t's space map addr with `access` now? A reply that maps more pages
 * than the faulting one (fault-around) fails as a whole when a later item
 * lacks kernel memory, though the page the thread needs went in: then
 * the thread just retries the access. */
static bool fault_resolved(struct tcb *t, word_t addr, unsigned access)
{
	word_t pa;
	unsigned log2, rights;

	return mdb_pte_get(t->space, ALIGN_DOWN(addr, (word_t)1 << MDB_PAGE_LOG2), &pa, &log2,
			   &rights, NULL) &&
	       (rights & access) == access;
}

void fault_page(struct frame *f, word_t addr, unsigned access)
{
	struct tcb *t = thread_current;
	char why[128];
	word_t err;

	if (fault_sigma0_device(t, addr))
		return;
	t->kmsg[0] = tag_make(LABEL_PAGEFAULT | access, PF_MSG_LENGTH, 0) | TAG_K_FLAG;
	t->kmsg[PF_MSG_ADDR] = addr;
	t->kmsg[PF_MSG_IP] = arch_frame_ip(f);
	err = t->pager == TID_NIL ? E_IPC_NO_PARTNER : ipc_kernel_call(t, t->pager);
	if (err == E_OK && tag_label(t->kmsg[0]) == 0)
		return;
	if ((err & ~(word_t)IPC_ERR_RECV_PHASE) == E_IPC_CANCELLED)
		return;                             /* aborted: retry the access */
	if ((err & ~(word_t)IPC_ERR_RECV_PHASE) == E_NO_MEMORY && fault_resolved(t, addr, access))
		return;                             /* a later map item of the reply failed */
	ksnprintf(why, sizeof(why), "#PF %s at %lx, rip=%lx, pager %lx %s (error %lu)",
		  fault_access_name(access), addr, arch_frame_ip(f), t->pager,
		  err ? "unreachable" : "refused", err);
	/* refused or no pager: the handler decides (vector 14, error code) */
	arch_frame_set_trap(f, 14, access | (err ? 0 : tag_label(t->kmsg[0]) << 8));
	if (fault_exception_ipc(f, addr, why))
		return;
	thread_stop(t, why);
	schedule();
}

static void fault_exc_message(struct tcb *t, const struct frame *f, word_t addr)
{
	word_t *m = t->kmsg;

	m[EXC_MSG_ADDR] = addr;
	m[0] = tag_make(LABEL_EXCEPTION, EXC_MSG_LENGTH, 0) | TAG_K_FLAG;
	arch_exc_regs_get(f, m);
}

/* Apply the handler's reply; false if it asks for something impossible. */
static bool fault_exc_reply(struct tcb *t, struct frame *f)
{
	word_t *m = t->kmsg;

	if (tag_u(m[0]) < EXC_MSG_LENGTH)
		return true;                        /* resume unchanged */
	if (!arch_user_address_ok(m[EXC_MSG_RIP]))
		return false;
	arch_exc_regs_set(f, m);
	return true;
}

/* Call the exception handler; true if the thread may go on. */
static bool fault_exception_ipc(struct frame *f, word_t addr, const char *what)
{
	struct tcb *t = thread_current;
	char why[192];
	word_t err;

	fault_exc_message(t, f, addr);
	err = t->exc_handler == TID_NIL ? E_IPC_NO_PARTNER : ipc_kernel_call(t, t->exc_handler);
	if (err == E_OK && tag_label(t->kmsg[0]) == 0 && fault_exc_reply(t, f))
		return true;
	if (what)
		return false;
	ksnprintf(why, sizeof(why), "%s (error %lx) at rip=%lx, rsp=%lx, handler %lx %s",
		  arch_trap_name((unsigned)arch_frame_vector(f)), arch_frame_error(f),
		  arch_frame_ip(f), arch_frame_sp(f), t->exc_handler,
		  err ? "unreachable" : "refused");
	thread_stop(t, why);
	schedule();
	return false;
}

void fault_exception(struct frame *f)
{
	fault_exception_ipc(f, 0, NULL);
}
