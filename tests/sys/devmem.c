/* SPDX-License-Identifier: MIT */
/*
 * Device memory (issue 8, classes 3 and 4).
 *
 *   unpriv  a task nobody delegated device memory to asks sigma0 for the
 *           local APIC and for a PCI page: refused, and it cannot give
 *           itself the right
 *   kernel  a `devices` task: the kernel's own devices (local APIC, I/O
 *           APIC, HPET) are reserved in the KIP and refused; the PCI
 *           configuration window (ECAM) is served, reads as a PCI device,
 *           and goes back with FREE
 *   quota   5 x 256 MiB and 40 small ranges: the kernel pool loses no
 *           more than the task's own quota, sigma0 keeps serving, and
 *           after FREE the pool plus what the task holds is exactly where
 *           it was
 *   tight   the same with only 48 KiB of quota left: some ranges are
 *           refused, and the pool loses no more than those 48 KiB
 *   hold    takes device ranges and exits without giving them back
 *   after   (higher priority) watches sigma0's kernel memory: once `hold`
 *           is gone (the root task reclaims it) it is back where it was
 *
 * quota, and hold with after, run alone (devquota.cfg, devreclaim.cfg):
 * they measure kernel memory that every task shares.
 */
#include "tap.h"
#include <sigma0.h>

#define LAPIC 0xfee00000ull
#define IOAPIC 0xfec00000ull
#define HPET 0xfed00000ull
#define ECAM 0xb0000000ull             /* q35: PCI configuration space */
#define BIG_BASE 0x20000000ull          /* 5 x 256 MiB of nothing below ECAM */
#define SMALL_BASE 0x70000000ull
#define WIN 0x600000000000ull
#define SMALL_WIN 0x610000000000ull
#define HOLD_SLOT 1                     /* the `hold` line of devreclaim.cfg */

static word_t device(word_t base, unsigned log2, word_t win)
{
	return sigma0_device(fpage_make(base, log2, FPAGE_RW), fpage_make(win, log2, 0));
}

static word_t request_devices(word_t tid)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(SIGMA0_LABEL_DEVICES, 1, 0);
	u->mr[1] = tid;
	msg_accept(FPAGE_NIL);
	if ((err = ipc_call(libmap_kip->sigma0_id)))
		return err;
	return tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR ? u->mr[1] : E_OK;
}

static void test_unpriv(void)
{
	word_t t0 = libmap_kip->ticks;

	ok_err(device(LAPIC, 12, WIN), E_NO_PRIVILEGE, "DEVICE of the local APIC, undelegated");
	ok_err(device(ECAM, 12, WIN), E_NO_PRIVILEGE, "DEVICE of a PCI page, undelegated");
	ok_err(request_devices(libmap_myself), E_NO_PRIVILEGE, "delegating it to ourselves");
	ok_err(device(ECAM, 12, WIN), E_NO_PRIVILEGE, "and still no DEVICE");
	tap_sleep(5000);
	ok(libmap_kip->ticks > t0, "the timer still ticks");
}

/* Does a KIP descriptor of type `type` cover pa? */
static bool kip_covers(word_t pa, word_t type)
{
	struct kip *k = libmap_kip;

	for (unsigned i = 0; i < k->memdesc_count; i++)
		if (k->memdesc[i].type == type && pa - k->memdesc[i].base < k->memdesc[i].size)
			return true;
	return false;
}

static void test_kernel(void)
{
	static const struct { word_t pa; const char *name; } kdev[] = {
		{ LAPIC, "local APIC" }, { IOAPIC, "I/O APIC" }, { HPET, "HPET" },
	};
	volatile uint32_t *cfg = (volatile uint32_t *)WIN;

	for (unsigned i = 0; i < ARRAY_SIZE(kdev); i++) {
		ok(kip_covers(kdev[i].pa, KIP_MEM_RESERVED), "the KIP reserves the %s", kdev[i].name);
		ok_err(device(kdev[i].pa, 12, WIN), E_EXISTS, kdev[i].name);
	}
	ok_err(device(IOAPIC, 22, WIN), E_EXISTS, "4 MiB around all three");
	ok_err(request_devices(libmap_myself), E_NO_PRIVILEGE, "only the root task delegates");
	ok_err(device(ECAM, 12, WIN), E_OK, "DEVICE of the first ECAM page (bus 0, device 0)");
	ok((cfg[0] & 0xffff) == 0x8086, "it reads as the host bridge (vendor %x)", cfg[0] & 0xffff);
	ok_err(device(ECAM, 12, WIN + 4096), E_EXISTS, "a second DEVICE of the same page");
	ok_err(sigma0_free(ECAM, 12), E_OK, "FREE gives it back");
	ok(sigma0_free(ECAM, 12) != E_OK, "a second FREE is refused");
	ok_err(device(ECAM, 12, WIN), E_OK, "so it can be had again");
	ok_err(sigma0_free(ECAM, 12), E_OK, "and given back again");
}

static word_t kmem_pool(void)
{
	word_t index = 0;

	return kdb_kmem_free(&index);
}

/* 5 x 256 MiB, then 40 ranges of 4 KiB, each in its own 2 MiB. */
static unsigned take_ranges(word_t *errs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 5; i++, n++)
		errs[n] = device(BIG_BASE + ((word_t)i << 28), 28, WIN + ((word_t)i << 28));
	for (unsigned i = 0; i < 40; i++, n++)
		errs[n] = device(SMALL_BASE + ((word_t)i << 21), 12, SMALL_WIN + i * 4096);
	return n;
}

static word_t range_base(unsigned i)
{
	return i < 5 ? BIG_BASE + ((word_t)i << 28) : SMALL_BASE + ((word_t)(i - 5) << 21);
}

static void test_quota(void)
{
	word_t quota = tap_kmem_quota(libmap_myself), pool0 = kmem_pool(), errs[45], free_bytes = 0;
	word_t held0 = pool0 + tap_kmem_used(libmap_myself), pool1, held1;
	unsigned n = take_ranges(errs), good = 0, bad = 0;

	for (unsigned i = 0; i < n; i++)
		errs[i] == E_OK ? good++ : errs[i] == E_NO_MEMORY ? 0 : bad++;
	ok(bad == 0, "every request is served or refused for want of memory (%u served)", good);
	pool1 = kmem_pool();
	ok(pool0 - pool1 <= quota, "the pool lost %lu bytes, no more than our quota of %lu",
	   pool0 - pool1, quota);
	ok(tap_kmem_used(libmap_myself) <= quota, "we are within our quota");
	ok_err(sigma0_stats(&free_bytes, NULL), E_OK, "sigma0 still serves");
	for (unsigned i = 0; i < n; i++)
		if (errs[i] == E_OK && sigma0_free(range_base(i), i < 5 ? 28 : 12))
			bad++;
	ok(bad == 0, "FREE gives every range back");
	held1 = kmem_pool() + tap_kmem_used(libmap_myself);
	ok(held1 == held0, "pool + what we hold: %lu bytes before, %lu after", held0, held1);
}

/* With only 48 KiB of quota left, the small ranges stop at the quota. */
static void test_tight(void)
{
	word_t room = 48 * 1024, used = tap_kmem_used(libmap_myself), pool0, held0, lost, errs[40];
	unsigned good = 0, refused = 0;

	ok_err(sys_space_control(libmap_myself, SC_SET_QUOTA, used + room, NULL), E_OK,
	       "our quota: what we use and 48 KiB");
	pool0 = kmem_pool();
	held0 = pool0 + tap_kmem_used(libmap_myself);
	for (unsigned i = 0; i < 40; i++) {
		errs[i] = device(SMALL_BASE + ((word_t)i << 21), 12, SMALL_WIN + i * 4096);
		errs[i] == E_OK ? good++ : errs[i] == E_NO_MEMORY ? refused++ : 0;
	}
	lost = pool0 - kmem_pool();
	ok(good > 0 && refused > 0 && good + refused == 40,
	   "%u small ranges served, %u refused for want of quota", good, refused);
	ok(lost <= room, "the pool lost %lu bytes, within the 48 KiB", lost);
	for (unsigned i = 0; i < 40; i++)
		if (errs[i] == E_OK)
			sigma0_free(SMALL_BASE + ((word_t)i << 21), 12);
	ok(kmem_pool() + tap_kmem_used(libmap_myself) == held0,
	   "after FREE, pool + what we hold is where it was");
}

#define LABEL_HOLDING 0x6401

static void test_hold(void)
{
	word_t errs[45];
	unsigned n = take_ranges(errs), good = 0;

	for (unsigned i = 0; i < n; i++)
		good += errs[i] == E_OK;
	ok(good > 0, "took %u device ranges; exiting without giving them back", good);
	msg_tag(LABEL_HOLDING, 0, 0);            /* the watcher looks at sigma0 now */
	ok_err(ipc_call(tap_task_tid(0)), E_OK, "the watcher saw us holding them");
}

static void test_after(void)
{
	word_t s0 = libmap_kip->sigma0_id, before = tap_kmem_used(s0), hold = tap_task_tid(HOLD_SLOT);
	word_t used = 0, peak = before;
	unsigned waited = 0;

	/* the holder tells us when it holds its ranges, and waits for us: no
	 * race with how fast it takes them and exits */
	if (ipc_receive(hold, 5000000, NULL) == E_OK && tag_label(utcb()->mr[0]) == LABEL_HOLDING) {
		peak = tap_kmem_used(s0);
		msg_tag(0, 0, 0);
		ipc_send(hold, TIMEOUT_ZERO);
	}
	while (kdb_space_kmem(hold, NULL, NULL) == E_OK && waited++ < 2000)
		tap_sleep(1000);
	ok(waited < 2000, "the holder is gone");
	tap_sleep(2000);                         /* let the root task reclaim it */
	used = tap_kmem_used(s0);
	ok(peak > before, "sigma0 held roots for it meanwhile (%lu -> %lu bytes)", before, peak);
	ok(used == before, "sigma0's kernel memory is back: %lu bytes before, %lu after", before,
	   used);
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "unpriv", test_unpriv },
		{ "kernel", test_kernel },
		{ "quota", test_quota },
		{ "tight", test_tight },
		{ "hold", test_hold },
		{ "after", test_after },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("devmem");
}
