/* SPDX-License-Identifier: MIT */
/*
 * Every call that names a thread acts only where the caller has
 * authority (docs/abi.md §5, docs/security.md class 16): its own space;
 * for a privileged caller also the spaces it created, directly or not;
 * for a boot space (sigma0, the root task) every space. The test is a
 * privileged task (slot 0); a privileged bystander (slot 1) attaches an
 * interrupt line to itself and waits to be released.
 *
 * On the old kernel a privileged task read and set a stranger's registers
 * and pager with exchange_registers, set its scheduling, made its space
 * privileged, attached a line to one of its threads, trimmed its page
 * tables and raised its device's line; sigma0 served a forged page fault
 * (fault label without TAG_K_FLAG) as a fault. Each is refused now.
 * What stays open: whether a thread id exists (E_BAD_THREAD,
 * E_STALE_THREAD come first; the FAT server's sweep relies on it).
 */
#include "tap.h"
#include <layout.h>

#define BYSTANDER_LINE 7                /* the line the bystander attaches */
#define SPARE_LINE 6                    /* one nobody attaches */

static word_t exreg_read(word_t t, word_t *pager)
{
	word_t sp = 0, ip = 0, fl = 0, st = 0;

	return sys_exchange_registers(t, 0, &sp, &ip, &fl, pager, &st);
}

/* exchange_registers on threads of spaces I have no authority over. */
static void authority_exreg(word_t other)
{
	word_t s0 = libmap_kip->sigma0_id, init = libmap_exit_to, pager = 0, err;

	err = exreg_read(other, &pager);
	ok_err(err, E_NO_PRIVILEGE, "exchange_registers reads no stranger's registers");
	if (err != E_OK)
		pager = init;                       /* its pager, as far as I know */
	ok_err(sys_exchange_registers(other, EXREG_SET_PAGER, NULL, NULL, NULL, &pager, NULL),
	       E_NO_PRIVILEGE, "nor sets a stranger's pager");
	ok_err(sys_exchange_registers(other, EXREG_ABORT_RECV, NULL, NULL, NULL, NULL, NULL),
	       E_NO_PRIVILEGE, "nor aborts its IPC");
	ok_err(exreg_read(s0, &pager), E_NO_PRIVILEGE, "nor sigma0's registers");
	ok_err(exreg_read(init, &pager), E_NO_PRIVILEGE, "nor init's");
	ok_err(exreg_read(tap_tid(29, 1), &pager), E_BAD_THREAD,
	       "a thread id that names no thread is still E_BAD_THREAD");
	ok_err(exreg_read(tid_make(tid_number(other), 5), &pager), E_STALE_THREAD,
	       "another version of a stranger's number is still E_STALE_THREAD");
}

/* schedule, space_control, interrupt lines and the KDB calls. */
static void authority_others(word_t other)
{
	word_t s0 = libmap_kip->sigma0_id, old = 0, freed = 0;

	ok_err(sys_schedule(other, SCHED_KEEP, 0, &old), E_NO_PRIVILEGE,
	       "schedule: no stranger's thread (even a call that changes nothing)");
	ok_err(sys_schedule(s0, SCHED_KEEP, 0, &old), E_NO_PRIVILEGE, "nor sigma0's");
	ok_err(sys_space_control(other, SC_PRIVILEGED, 0, NULL), E_NO_PRIVILEGE,
	       "space_control: no stranger's space made privileged");
	ok_err(sys_space_control(s0, 0, 0, &old), E_NO_PRIVILEGE, "nor sigma0's read");
	ok_err(sys_thread_control(tid_irq(SPARE_LINE), TID_NIL, TID_NIL, other, 0, 0),
	       E_NO_PRIVILEGE, "no line attached to a stranger's thread");
	ok_err(kdb_space_trim(other, true, &freed), E_NO_PRIVILEGE,
	       "KDB_SPACE_TRIM: no stranger's space");
	ok_err(kdb_space_trim(s0, true, &freed), E_NO_PRIVILEGE, "nor sigma0's");
	ok_err(tap_raise_irq(BYSTANDER_LINE), E_NO_PRIVILEGE,
	       "KDB_RAISE_IRQ: not the line of a stranger's device");
}

/* What stays allowed: my own space, a space I created. */
static void authority_owned(void)
{
	word_t a = tap_tid(0, 1), b = tap_tid(1, 1), pager = libmap_myself, old = 0, freed = 0;
	word_t ip = USER_HEAP_BASE, sp = USER_HEAP_BASE;

	ok_err(sys_thread_control(b, b, TID_NIL, TID_NIL, UTCB_AREA_BASE, 0), E_OK,
	       "a thread in a new space");
	ok_err(sys_thread_control(a, libmap_myself, TID_NIL, TID_NIL,
				  UTCB_AREA_BASE + 5 * UTCB_SIZE, 0),
	       E_OK, "a thread in my own space");
	ok_err(sys_exchange_registers(b, EXREG_SET_PAGER | EXREG_SET_IP | EXREG_SET_SP, &sp, &ip,
				      NULL, &pager, NULL),
	       E_OK, "exchange_registers sets the registers of a thread of a space I created");
	ok(exreg_read(b, &pager) == E_OK && pager == libmap_myself, "and reads them back (%lx)",
	   pager);
	ok_err(exreg_read(a, &pager), E_OK, "and those of a thread of my own space");
	ok_err(sys_schedule(b, 50, 1000, &old), E_OK, "schedule: a space I created");
	ok_err(sys_space_control(b, 0, 0, &old), E_OK, "space_control: a space I created");
	ok_err(kdb_space_trim(b, true, &freed), E_OK, "KDB_SPACE_TRIM: a space I created");
	ok_err(kdb_space_trim(libmap_myself, true, &freed), E_OK, "and my own");
	ok_err(sys_thread_control(tid_irq(SPARE_LINE), TID_NIL, TID_NIL, b, 0, 0), E_OK,
	       "a line attached to a thread of a space I created");
	ok_err(tap_raise_irq(SPARE_LINE), E_OK, "and raised");
	ok_err(sys_thread_control(tid_irq(SPARE_LINE), TID_NIL, TID_NIL, tid_irq(SPARE_LINE), 0, 0),
	       E_BUSY, "but detached only with its thread (the handler is not of my space)");
	ok_err(sys_thread_control(b, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "deleted again");
	ok_err(sys_thread_control(tid_irq(SPARE_LINE), TID_NIL, TID_NIL, a, 0, 0), E_OK,
	       "the line is free: attached to my own thread");
	ok_err(sys_thread_control(tid_irq(SPARE_LINE), TID_NIL, TID_NIL, tid_irq(SPARE_LINE), 0, 0),
	       E_OK, "and detached");
	ok_err(sys_thread_control(a, TID_NIL, TID_NIL, TID_NIL, 0, 0), E_OK, "both deleted");
}

/* A forged page fault to sigma0 (I am named with RAM): refused. */
static void authority_sigma0_forged(void)
{
	struct utcb *u = utcb();
	word_t err = tap_forge_fault(libmap_kip->sigma0_id, TEST_VA_B, TEST_VA_A);

	ok(!err && tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR && tag_u(u->mr[0]) >= 1 &&
		   u->mr[1] == E_BAD_ARGUMENT,
	   "a forged fault to sigma0 is refused: error %lx, label %lx, MR1 %lx", err,
	   tag_label(u->mr[0]), u->mr[1]);
}

static int authority_bystander(void)
{
	word_t test = tap_task_tid(0);

	ok_err(sys_thread_control(tid_irq(BYSTANDER_LINE), TID_NIL, TID_NIL, libmap_myself, 0, 0),
	       E_OK, "bystander: a line of my own");
	msg_tag(0, 0, 0);
	ipc_send(test, 20000000);                  /* ready */
	ipc_receive(test, 60000000, NULL);         /* until released */
	return tap_done("authority bystander");
}

int main(int argc, char **argv)
{
	word_t other = tap_task_tid(1);

	if (argc > 1 && !strcmp(argv[1], "bystander"))
		return authority_bystander();
	tap_prefault(16 * 4096);
	ok_err(ipc_receive(other, 20000000, NULL), E_OK, "the bystander is ready");
	authority_exreg(other);
	authority_others(other);
	authority_owned();
	authority_sigma0_forged();
	msg_tag(0, 0, 0);
	ok_err(ipc_send(other, 5000000), E_OK,
	       "the bystander was there throughout, and is released");
	return tap_done("authority");
}
