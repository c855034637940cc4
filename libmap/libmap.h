/* SPDX-License-Identifier: MIT */
/*
 * libmap: what a Pagoda user program or pager links against.
 *
 *   runtime    start-up, printf to the debug console, exit
 *   syscalls   one C function per system call (sys_*)
 *   ipc        send / receive / call / reply-and-wait on the UTCB's MRs
 *
 * Messages live in utcb()->mr[]: MR0 is the tag (tag_make(label, u, t)),
 * MR1.. the words. The stubs move MR0..MR2 through registers.
 */
#ifndef LIBMAP_LIBMAP_H
#define LIBMAP_LIBMAP_H

#include <pagoda/abi.h>
#include <syscall_arch.h>
#include <lib/string.h>
#include <lib/fmt.h>

#include <lib/util.h>

/* ---- runtime ---- */
extern struct kip *libmap_kip;        /* the kernel interface page */
extern word_t libmap_myself;          /* this thread's global id */
extern word_t libmap_exit_to;         /* the parent exit() reports to */

int main(int argc, char **argv);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void exit(int status);
/* Command line of boot module idx in the KIP's module table (0 is sigma0,
 * 1 the root task); "" if there is no module idx. */
const char *libmap_module_cmdline(unsigned idx);

/* ---- system calls ---- */
word_t sys_null(void);
/* fpages in utcb()->mr[0..k] (control = k, | UNMAP_FLUSH); each comes back
 * with its rights bits replaced by the status: FPAGE_R accessed, FPAGE_W
 * dirty, over the caller's own mapping and all derived (bits reset). */
word_t sys_unmap(word_t control);
word_t sys_thread_control(word_t dest, word_t space, word_t sched, word_t pager,
			  word_t utcb_addr, word_t flags);
/* Attach handler to MSI line tid_irq(16..31): the device is to write *data
 * to *addr to raise it (docs/abi.md §13). */
word_t sys_irq_attach_msi(word_t irq_tid, word_t handler, word_t *addr, word_t *data);
word_t sys_space_control(word_t tid, word_t control, word_t quota, word_t *used);
word_t sys_exchange_registers(word_t dest, word_t control, word_t *sp, word_t *ip,
			      word_t *flags, word_t *pager, word_t *state);
word_t sys_thread_switch(word_t dest);
word_t sys_schedule(word_t dest, word_t prio, word_t slice_us, word_t *old_prio);

void kdb_putc(char c);
word_t kdb_puts(const char *s, size_t n);
void kdb_exit_qemu(unsigned status);
word_t kdb_kmem_free(word_t *index_bytes);   /* free pool bytes; mapdb index bytes */
word_t kdb_space_kmem(word_t tid, word_t *used, word_t *quota);
word_t kdb_space_trim(word_t tid, bool count_only, word_t *freed);   /* privileged */
word_t kdb_check(void);                      /* E_OK, or E_BROKEN */
word_t kdb_check_report(word_t *checker, word_t *line);   /* and which one broke, where */
word_t kdb_phys(word_t va, word_t *pa, word_t *rights);   /* privileged */

/* ---- IPC on the message registers ---- */
static inline word_t ipc(word_t to, word_t from, word_t tmo, word_t *sender)
{
	return syscall_ipc(to, from, tmo, sender);
}

static inline word_t ipc_call(word_t to)
{
	return syscall_ipc(to, to, timeouts(TIMEOUT_NEVER, TIMEOUT_NEVER), NULL);
}

static inline word_t ipc_send(word_t to, word_t tmo)
{
	return syscall_ipc(to, TID_NIL, timeouts(tmo, 0), NULL);
}

static inline word_t ipc_receive(word_t from, word_t tmo, word_t *sender)
{
	return syscall_ipc(TID_NIL, from, timeouts(0, tmo), sender);
}

/* Reply to `to` (if not nil; it must be waiting) and wait for anyone. */
static inline word_t ipc_reply_wait(word_t to, word_t *sender)
{
	return syscall_ipc(to, TID_ANY, timeouts(TIMEOUT_ZERO, TIMEOUT_NEVER), sender);
}

/* Set MR0 to a tag and the untyped words. */
static inline void msg_tag(word_t label, unsigned u, unsigned t)
{
	utcb()->mr[0] = tag_make(label, u, t);
}

/* Put a map (or grant) item at MR[i], MR[i+1]. */
static inline void msg_map_item(unsigned i, word_t hotspot, word_t fpage, bool grant)
{
	struct utcb *u = utcb();

	u->mr[i] = (hotspot & ~(word_t)0xfff) | (grant ? ITEM_GRANT : ITEM_MAP);
	u->mr[i + 1] = fpage;
}

/* Accept mappings into `window` (an fpage; FPAGE_NIL accepts none). */
static inline void msg_accept(word_t window)
{
	utcb()->br[0] = window;
}

#endif
