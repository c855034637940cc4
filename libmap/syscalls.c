/* SPDX-License-Identifier: MIT */
/* One C function per system call, on top of syscall_arch.h. */
#include <libmap.h>

word_t sys_null(void)
{
	return syscall0(SYS_NULL);
}

word_t sys_unmap(word_t control)
{
	struct sysregs r = { .rax = SYS_UNMAP, .rdi = control };

	syscall_raw(&r);
	return r.rax;
}

word_t sys_thread_control(word_t dest, word_t space, word_t sched, word_t pager,
			  word_t utcb_addr, word_t flags)
{
	struct sysregs r = { SYS_THREAD_CONTROL, dest, space, sched, pager, utcb_addr, flags };

	syscall_raw(&r);
	return r.rax;
}

word_t sys_irq_attach_msi(word_t irq_tid, word_t handler, word_t *addr, word_t *data)
{
	struct sysregs r = { .rax = SYS_THREAD_CONTROL, .rdi = irq_tid, .r10 = handler };

	syscall_raw(&r);
	if (r.rax == E_OK) {
		*addr = r.rsi;
		*data = r.rdx;
	}
	return r.rax;
}

word_t sys_space_control(word_t tid, word_t control, word_t quota, word_t *used)
{
	struct sysregs r = { .rax = SYS_SPACE_CONTROL, .rdi = tid, .rsi = control, .r8 = quota };

	syscall_raw(&r);
	if (used)
		*used = r.rdx;
	return r.rax;
}

word_t sys_exchange_registers(word_t dest, word_t control, word_t *sp, word_t *ip,
			      word_t *flags, word_t *pager, word_t *state)
{
	struct sysregs r = { SYS_EXCHANGE_REGISTERS, dest, control, sp ? *sp : 0, ip ? *ip : 0,
			     flags ? *flags : 0, pager ? *pager : 0 };

	syscall_raw(&r);
	if (sp)
		*sp = r.rdx;
	if (ip)
		*ip = r.r10;
	if (flags)
		*flags = r.r8;
	if (pager)
		*pager = r.r9;
	if (state)
		*state = r.rsi;
	return r.rax;
}

word_t sys_thread_switch(word_t dest)
{
	struct sysregs r = { .rax = SYS_THREAD_SWITCH, .rdi = dest };

	syscall_raw(&r);
	return r.rax;
}

word_t sys_schedule(word_t dest, word_t prio, word_t slice_us, word_t *old_prio)
{
	struct sysregs r = { .rax = SYS_SCHEDULE, .rdi = dest, .rsi = prio, .rdx = slice_us };

	syscall_raw(&r);
	if (old_prio)
		*old_prio = r.rsi;
	return r.rax;
}

static word_t kdb(word_t op, word_t a, word_t b, word_t *out1, word_t *out2)
{
	struct sysregs r = { .rax = SYS_KDEBUG, .rdi = op, .rsi = a, .rdx = b };

	syscall_raw(&r);
	if (out1)
		*out1 = r.rsi;
	if (out2)
		*out2 = r.rdx;
	return r.rax;
}

void kdb_putc(char c)
{
	kdb(KDB_PUTC, (word_t)(unsigned char)c, 0, NULL, NULL);
}

word_t kdb_puts(const char *s, size_t n)
{
	return kdb(KDB_PUTS, (word_t)s, n, NULL, NULL);
}

void kdb_exit_qemu(unsigned status)
{
	kdb(KDB_EXIT_QEMU, status, 0, NULL, NULL);
}

word_t kdb_kmem_free(word_t *index_bytes)
{
	word_t v = 0;

	kdb(KDB_KMEM_FREE, 0, 0, &v, index_bytes);
	return v;
}

word_t kdb_space_kmem(word_t tid, word_t *used, word_t *quota)
{
	return kdb(KDB_SPACE_KMEM, tid, 0, used, quota);
}

word_t kdb_phys(word_t va, word_t *pa, word_t *rights)
{
	return kdb(KDB_PHYS, va, 0, pa, rights);
}

word_t kdb_space_trim(word_t tid, bool count_only, word_t *freed)
{
	return kdb(KDB_SPACE_TRIM, tid, count_only, freed, NULL);
}

word_t kdb_check(void)
{
	return kdb(KDB_CHECK, 0, 0, NULL, NULL);
}

word_t kdb_check_report(word_t *checker, word_t *line)
{
	return kdb(KDB_CHECK, 0, 0, checker, line);
}

word_t kdb_damage(word_t what, word_t va, word_t *checker, word_t *line)
{
	return kdb(KDB_DAMAGE, what, va, checker, line);
}
