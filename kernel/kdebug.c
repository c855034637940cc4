/* SPDX-License-Identifier: MIT */
/*
 * The debug system call: console output for every thread, and, for tests,
 * kernel-memory figures, the invariant checkers and ending the machine.
 * It is not part of the ABI proper (docs/abi.md, "Debugging").
 */
#include <kdebug.h>
#include <console.h>
#include <thread.h>
#include <space.h>
#include <sched.h>
#include <mapdb.h>
#include <kmem.h>
#include <irq.h>
#include <klib.h>
#include <arch.h>
#include <pagoda/error.h>
#include <pagoda/syscall.h>
#include <pagoda/fpage.h>

/* The places of SYS_KDEBUG's operation and its two argument (and
 * output) words (include/pagoda/syscall.h). */
enum { KDB_ARG_OP, KDB_ARG_A, KDB_ARG_B };

#define KDB_PUTS_MAX 4096

static word_t kdb_puts(word_t va, word_t len)
{
	char buf[128];
	word_t done = 0;

	if (len > KDB_PUTS_MAX)
		return E_BAD_ARGUMENT;
	while (done < len) {
		size_t chunk = MIN(len - done, sizeof(buf));
		size_t got = space_copy_in(thread_current->space, va + done, buf, chunk);
		console_task_write(thread_current, buf, got);
		if (got < chunk)
			return E_BAD_ARGUMENT;
		done += got;
	}
	return E_OK;
}

/* The checkers, numbered as KDB_CHECK reports them (docs/abi.md §14). */
static const struct {
	const char *name;
	bool (*check)(void);
} kdebug_checkers[] = {
	{ "kmem", kmem_check },          /* 1 */
	{ "mapdb", mdb_check },          /* 2 */
	{ "space", space_check_all },    /* 3 */
};

/* The first invariant found broken since the last run of the checkers. */
static struct {
	const char *file;
	unsigned line;
} kdebug_broken;

bool check_failed(const char *file, unsigned line, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kprintf("[kernel] check: %s:%u: %s\n", file, line, what);
	if (!kdebug_broken.file)
		kdebug_broken.file = file, kdebug_broken.line = line;
	return false;
}

/* Run every checker; 0, or the number of the first one that fails. */
static unsigned kdebug_run_checkers(void)
{
	kdebug_broken.file = NULL;
	for (unsigned i = 0; i < ARRAY_SIZE(kdebug_checkers); i++)
		if (!kdebug_checkers[i].check())
			return i + 1;
	return 0;
}

/* The name of checker `which` (1..5) in a panic. */
static const char *kdebug_checker_name(unsigned which)
{
	static const char *const local[] = { "mapdb (after a change)", "space (after a change)" };

	return which <= ARRAY_SIZE(kdebug_checkers)
		       ? kdebug_checkers[which - 1].name
		       : local[which - ARRAY_SIZE(kdebug_checkers) - 1];
}

/* Panic if checker `which` (0: none) found its structure broken. */
static void kdebug_panic_if(unsigned which)
{
	if (which)
		panic("%s: invariant broken at %s:%u", kdebug_checker_name(which),
		      kdebug_broken.file ? kdebug_broken.file : "?", kdebug_broken.line);
}

void kdebug_check_all(void)
{
	kdebug_panic_if(kdebug_run_checkers());
}

/* Report checker `which`'s finding to the caller: E_BROKEN with its
 * number in A and the line of the broken invariant in B, or E_OK. A test
 * must see a failure, so this reports instead of panicking. */
static word_t kdb_report(struct frame *f, unsigned which)
{
	arch_syscall_set_arg(f, KDB_ARG_A, which);
	arch_syscall_set_arg(f, KDB_ARG_B, which ? kdebug_broken.line : 0);
	return which ? E_BROKEN : E_OK;
}

/* KDB_CHECK: run every checker, report as kdb_report. */
static word_t kdb_check(struct frame *f)
{
	return kdb_report(f, kdebug_run_checkers());
}

#ifdef KERNEL_DEBUG
void kdebug_require_local(void)
{
	kdebug_broken.file = NULL;
	kdebug_panic_if(kdebug_check_local());
}

/* A saved copy of what KDB_DAMAGE may break in space s. */
struct kdb_saved {
	struct tcb *thread;          /* s's first thread */
	unsigned nthreads;
	size_t quota;
	struct kmem_account *parent;
	word_t kip_area;
	struct list *threads_prev, *link_prev;
};

/* Case 10: a PTE without a node at va, written past the hooks that log
 * changes. The check after a change must not see it while no change
 * touched va (else A = 6), and must catch it once a change wrote a PTE
 * there: reported as KDB_CHECK does, by checker 5 (space, after a
 * change). */
static word_t kdb_damage_local(struct frame *f, struct space *s, word_t va)
{
	kdebug_broken.file = NULL;
	if (kdebug_check_local())
		return kdb_report(f, KDEBUG_CHECK_LOCAL_SPACE + 1);
	kdebug_note_pte(s, va, 12, s->pml4_phys);     /* as a write there notes it */
	kdebug_broken.file = NULL;
	return kdb_report(f, kdebug_check_local());
}

/* Break structure `what` of s (the caller's space) so that space_check
 * must name it. Case 7 puts a PTE without a node at va, slot as
 * mdb_pte_prepare gave it (case 10 the same, unlogged); case 4 lists
 * `stray` as s's child. */
static void kdb_damage_do(struct space *s, word_t what, word_t va, void *slot, struct space *stray)
{
	switch (what) {
	case 1: list_entry(list_first(&s->threads), struct tcb, space_link)->space = NULL; break;
	case 2: s->nthreads++; break;
	case 3: s->acct.quota = s->acct.used - 1; break;
	case 4: list_push_front(&s->children, &stray->sibling); break;
	case 5: s->acct.parent = &s->acct; break;
	case 6: s->kip_area = 0; break;
	case 7: mdb_pte_set(s, va, s->pml4_phys, 12, FPAGE_R, slot); break;
	case 8: s->threads.prev = NULL; break;
	case 9: s->link.prev = &s->link; break;
	case 10: arch_pt_set(s->pml4, va, s->pml4_phys, 12, FPAGE_R, 0, slot); break;
	}
}

/* Mend what kdb_damage_do broke. */
static void kdb_damage_undo(struct space *s, word_t what, word_t va, struct space *stray,
			    const struct kdb_saved *was)
{
	was->thread->space = s;
	s->nthreads = was->nthreads;
	s->acct.quota = was->quota;
	if (what == 4)
		list_remove(&stray->sibling);
	s->acct.parent = was->parent;
	s->kip_area = was->kip_area;
	if (what == 7)
		mdb_pte_clear(s, va, 12, NULL);
	if (what == 10)
		arch_pt_clear(s->pml4, va, 12, NULL);
	s->threads.prev = was->threads_prev;
	s->link.prev = was->link_prev;
}

/* KDB_DAMAGE: break one structure of the caller's space as case rsi
 * says, run the checkers (answering as KDB_CHECK) and mend it before
 * anything else runs. rdx: where the caller maps nothing (cases 7 and 10
 * put a PTE of s's own top page table there, read-only, for the check
 * only). Case 10 runs the check after a change instead (kdb_damage_local).
 * Debug kernels only: the damage tests of space_check. */
static word_t kdb_damage(struct frame *f)
{
	struct space *s = thread_current->space, stray = { .owner = NULL };
	struct kdb_saved was = { list_entry(list_first(&s->threads), struct tcb, space_link),
				 s->nthreads,
				 s->acct.quota,
				 s->acct.parent,
				 s->kip_area,
				 s->threads.prev,
				 s->link.prev };
	word_t what = arch_syscall_arg(f, KDB_ARG_A), pa, err;
	word_t va = ALIGN_DOWN(arch_syscall_arg(f, KDB_ARG_B), 4096);
	unsigned log2, rights;
	void *slot = NULL;

	if (!(s->flags & SPACE_PRIVILEGED))
		return E_NO_PRIVILEGE;
	if (what < 1 || what > 10)
		return E_BAD_ARGUMENT;
	if ((what == 7 || what == 10) &&
	    (va >= FPAGE_USER_END || space_in_kernel_area(s, va, 4096) ||
	     mdb_pte_get(s, va, &pa, &log2, &rights, NULL) ||
	     mdb_pte_prepare(s, va, 12, &slot) != E_OK))
		return E_BAD_ARGUMENT;
	if (what == 10)
		kdebug_check_change();       /* a change ends here: the log starts empty */
	kdb_damage_do(s, what, va, slot, &stray);
	err = what == 10 ? kdb_damage_local(f, s, va) : kdb_check(f);
	kdb_damage_undo(s, what, va, &stray, &was);
	return err;
}
#endif

static word_t kdb_space_kmem(struct frame *f)
{
	int err;
	struct tcb *t = thread_lookup(arch_syscall_arg(f, KDB_ARG_A), &err);

	if (!t)
		return (word_t)err;
	arch_syscall_set_arg(f, KDB_ARG_A, t->space->acct.used);
	arch_syscall_set_arg(f, KDB_ARG_B, t->space->acct.quota);
	return E_OK;
}

/* Give back the page tables of A's space that map nothing (the root
 * task's end-of-run check then counts every byte still in use); with
 * B = 1 only count them. */
static word_t kdb_space_trim(struct frame *f)
{
	word_t count_only = arch_syscall_arg(f, KDB_ARG_B);
	int err;
	struct tcb *t = thread_lookup(arch_syscall_arg(f, KDB_ARG_A), &err);

	if (!(thread_current->space->flags & SPACE_PRIVILEGED))
		return E_NO_PRIVILEGE;
	if (!t)
		return (word_t)err;
	if (count_only > 1)
		return E_BAD_ARGUMENT;
	arch_syscall_set_arg(f, KDB_ARG_A,
			     arch_pt_trim(t->space->pml4, &t->space->acct, count_only));
	kdebug_after_change();
	return E_OK;
}

static word_t kdb_exit(struct frame *f)
{
	if (!(thread_current->space->flags & SPACE_PRIVILEGED))
		return E_NO_PRIVILEGE;
	kprintf("[kernel] exit requested, status %lu\n", arch_syscall_arg(f, KDB_ARG_A));
	arch_exit_qemu((unsigned)arch_syscall_arg(f, KDB_ARG_A));
	arch_halt_forever();
}

/* Raise interrupt line A in software, as if the device had fired: lets
 * tests exercise interrupt delivery without device access. */
static word_t kdb_raise_irq(struct frame *f)
{
	word_t line = arch_syscall_arg(f, KDB_ARG_A);

	if (!(thread_current->space->flags & SPACE_PRIVILEGED))
		return E_NO_PRIVILEGE;
	if (line >= ARCH_IRQ_COUNT || line == ARCH_TIMER_IRQ)
		return E_BAD_ARGUMENT;
	irq_raise((unsigned)line);
	return E_OK;
}

/* Privileged: the physical frame behind va in the caller's own space (so
 * tests can check what frames a pager gave them). */
static word_t kdb_phys(struct frame *f)
{
	word_t va = arch_syscall_arg(f, KDB_ARG_A), pa;
	unsigned log2, rights;

	if (!(thread_current->space->flags & SPACE_PRIVILEGED))
		return E_NO_PRIVILEGE;
	if (va >= FPAGE_USER_END ||
	    !mdb_pte_get(thread_current->space, va, &pa, &log2, &rights, NULL))
		return E_BAD_FPAGE;
	arch_syscall_set_arg(f, KDB_ARG_A, pa + (ALIGN_DOWN(va, 4096) & (((word_t)1 << log2) - 1)));
	arch_syscall_set_arg(f, KDB_ARG_B, rights);
	return E_OK;
}

static word_t kdb_stop_self(struct frame *f)
{
	struct tcb *t = thread_current;
	char why[48];

	ksnprintf(why, sizeof(why), "exit, status %ld", (long)arch_syscall_arg(f, KDB_ARG_A));
	thread_stop(t, why);
	schedule();
	return E_OK;
}

static word_t kdb_putc(struct frame *f)
{
	char c = (char)arch_syscall_arg(f, KDB_ARG_A);

	console_task_write(thread_current, &c, 1);
	return E_OK;
}

/* Free kernel memory and the mapping database's index pages, in A and B. */
static word_t kdb_kmem_free(struct frame *f)
{
	arch_syscall_set_arg(f, KDB_ARG_A, kmem_free_bytes());
	arch_syscall_set_arg(f, KDB_ARG_B, mdb_index_acct.used);
	return E_OK;
}

void sys_kdebug(struct frame *f)
{
	switch (arch_syscall_arg(f, KDB_ARG_OP)) {
	case KDB_PUTC: arch_syscall_set_result(f, kdb_putc(f)); break;
	case KDB_PUTS:
		arch_syscall_set_result(f, kdb_puts(arch_syscall_arg(f, KDB_ARG_A),
						    arch_syscall_arg(f, KDB_ARG_B)));
		break;
	case KDB_EXIT_QEMU: arch_syscall_set_result(f, kdb_exit(f)); break;
	case KDB_STOP_SELF: arch_syscall_set_result(f, kdb_stop_self(f)); break;
	case KDB_KMEM_FREE: arch_syscall_set_result(f, kdb_kmem_free(f)); break;
	case KDB_SPACE_KMEM: arch_syscall_set_result(f, kdb_space_kmem(f)); break;
	case KDB_CHECK: arch_syscall_set_result(f, kdb_check(f)); break;
	case KDB_RAISE_IRQ: arch_syscall_set_result(f, kdb_raise_irq(f)); break;
	case KDB_PHYS: arch_syscall_set_result(f, kdb_phys(f)); break;
	case KDB_SPACE_TRIM: arch_syscall_set_result(f, kdb_space_trim(f)); break;
#ifdef KERNEL_DEBUG
	case KDB_DAMAGE: arch_syscall_set_result(f, kdb_damage(f)); break;
#endif
	default: arch_syscall_set_result(f, E_BAD_ARGUMENT); break;
	}
}
