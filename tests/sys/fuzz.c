/* SPDX-License-Identifier: MIT */
/*
 * Random system calls with random arguments. Any value to any system
 * call must give a defined result: no panic, no hang, no leak (the run
 * ends with every kernel invariant checked, and init checks that kernel
 * memory and frames are back to their baseline after this task). The
 * argument pool mixes the interesting values (nil, any, own and stale ids,
 * interrupt ids, kernel and non-canonical addresses, every class of bad
 * fpage, the KIP and UTCB areas) with plain random words.
 *
 * Unprivileged by default. With "priv" it also creates, modifies, starts
 * and deletes threads and spaces in a range of ids of its own, and
 * attaches interrupt lines, all cleaned up at the end. Calls that would
 * only stop this task itself or, privileged, the system's own servers
 * (halting, single-stepping or repointing them, aborting their IPC,
 * exiting) are left out; everything else goes.
 */
#include "tap.h"
#include <layout.h>

#define ROUNDS 4000
#define OWN_IDS 8

static uint64_t rng = 0x2545f4914f6cdd1dull;
static bool privileged;
static word_t created[ROUNDS];          /* threads thread_control created */
static unsigned ncreated;

static word_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A thread id of our own range, for the privileged calls. */
static word_t own_tid(void)
{
	return tap_tid((unsigned)(rnd() % OWN_IDS), 1 + (unsigned)(rnd() % 2));
}

static word_t pick(void)
{
	const word_t me = libmap_myself;
	const word_t v[] = {
		TID_NIL, TID_ANY, 1, me, me + 1, tid_make(tid_number(me), 0),
		tid_irq(1), tid_irq(0), tid_irq(15), tid_irq(16), tid_make(1023, 1),
		tid_make(5000, 1), libmap_kip->sigma0_id, own_tid(), own_tid(),
		fpage_make(USER_HEAP_BASE, 12, FPAGE_RWX), fpage_make(USER_HEAP_BASE, 21, FPAGE_RW),
		fpage_make(0, 47, FPAGE_RWX), FPAGE_COMPLETE, fpage_make(0x1000, 11, FPAGE_R),
		fpage_make(0x1000, 13, FPAGE_R), fpage_make(0xffff800000000000ull, 12, 7),
		fpage_make(0x7ffffffff000ull, 12, FPAGE_RW), fpage_make(KIP_DEFAULT_ADDR, 12, 7),
		fpage_make(UTCB_AREA_BASE, 22, 7), USER_HEAP_BASE, 0x7ffffffff000ull,
		0x800000000000ull, KIP_DEFAULT_ADDR, UTCB_AREA_BASE, UTCB_AREA_BASE + UTCB_SIZE,
		USER_STACK_TOP - 4096, (word_t)&rng, 12, 21, 63, 64, rnd(), rnd(),
	};

	return v[rnd() % ARRAY_SIZE(v)];
}

/* A message of random shape with random words; no blocking timeouts. */
static word_t fuzz_ipc(void)
{
	struct utcb *u = utcb();
	word_t to = pick(), from = pick(), tmo;

	if (to == libmap_kip->root_id)
		to = TID_NIL;                       /* init is our parent, not a target */
	for (unsigned i = 1; i < 8; i++)
		u->mr[i] = pick();
	u->mr[0] = tag_make(rnd() & 0xffff, (unsigned)(rnd() % 8), (unsigned)(rnd() % 6));
	if (rnd() % 4 == 0)
		u->mr[0] = tag_make(0, 0, 2), u->mr[1] = (pick() & ~0xfull) | ITEM_MAP;
	u->br[0] = pick();
	tmo = timeouts(rnd() % 2 ? TIMEOUT_ZERO : 1000, rnd() % 2 ? TIMEOUT_ZERO : 1000);
	return ipc(to, from, tmo, NULL);
}

static word_t fuzz_unmap(void)
{
	struct utcb *u = utcb();

	for (unsigned i = 0; i < 8; i++)
		u->mr[i] = pick();
	return sys_unmap(rnd() % 2 ? rnd() : (rnd() % 8) | (rnd() % 2 ? UNMAP_FLUSH : 0));
}

static word_t fuzz_exreg(void)
{
	word_t dest = pick(), control = rnd() & 0x1ff, sp = pick(), ip = pick(), fl = rnd(), pg = pick();
	bool own = tid_number(dest) >= tid_number(tap_tid(0, 1)) &&
		   tid_number(dest) < tid_number(tap_tid(OWN_IDS, 1));

	if (dest == libmap_myself || !own)       /* never stop, trap or redirect others */
		control &= ~(word_t)(EXREG_HALT | EXREG_SET_IP | EXREG_SET_SP | EXREG_SET_PAGER |
				     EXREG_RESUME | EXREG_SET_FLAGS | EXREG_ABORT_SEND |
				     EXREG_ABORT_RECV);
	return sys_exchange_registers(dest, control, &sp, &ip, &fl, &pg, NULL);
}

static word_t fuzz_thread_control(void)
{
	word_t dest = rnd() % 4 ? own_tid() : pick(), space = pick();

	if (!privileged)
		return sys_thread_control(dest, space, pick(), pick(), pick(), rnd() % 4);
	if (dest == libmap_myself || dest == libmap_kip->root_id || dest == libmap_kip->sigma0_id)
		dest = own_tid();                   /* not ourselves, init or sigma0 */
	if (rnd() % 3 == 0)
		space = dest;                       /* a new space */
	if (space == libmap_myself)
		space = TID_ANY;                    /* no threads running our own code */
	word_t err = sys_thread_control(dest, space, pick(), pick(),
					rnd() % 2 ? UTCB_AREA_BASE + (rnd() % 4) * UTCB_SIZE : pick(),
					rnd() % 3);
	if (!err && space != TID_ANY && space != TID_NIL)
		created[ncreated++] = dest;         /* deleted at the end */
	return err;
}

static word_t fuzz_kdebug(void)
{
	const word_t ops[] = { KDB_KMEM_FREE, KDB_SPACE_KMEM, KDB_CHECK, KDB_OP_COUNT, 99, ~0ull };
	struct sysregs r = { SYS_KDEBUG, ops[rnd() % ARRAY_SIZE(ops)], pick(), pick(), 0, 0, 0 };

	syscall_raw(&r);
	return r.rax;
}

/* One random call; its result only has to be defined (an error or 0). */
static word_t fuzz_one(void)
{
	word_t word;

	switch (rnd() % 10) {
	case 0: return fuzz_ipc();
	case 1: return fuzz_unmap();
	case 2: return fuzz_thread_control();
	case 3: return sys_space_control(rnd() % 2 ? own_tid() : pick(), rnd() % 8, pick(), &word);
	case 4: return fuzz_exreg();
	case 5: return sys_thread_switch(pick());
	case 6: return sys_schedule(rnd() % 2 ? own_tid() : pick(), rnd() % 300, rnd() % 20000, &word);
	case 7: return fuzz_kdebug();
	case 8: return syscall0(SYS_COUNT + rnd() % 1000);
	default: return fuzz_ipc();
	}
}

/* Delete every thread of our range and detach every line we may hold. */
static void fuzz_cleanup(void)
{
	for (unsigned i = 0; i < ncreated; i++)
		sys_thread_control(created[i], TID_NIL, TID_NIL, TID_NIL, 0, 0);
	for (unsigned irq = 1; irq < 16; irq++)
		sys_thread_control(tid_irq(irq), TID_ANY, TID_NIL, tid_irq(irq), 0, 0);
}

int main(int argc, char **argv)
{
	unsigned defined = 0, rounds = ROUNDS;

	privileged = argc > 1 && !strcmp(argv[1], "priv");
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "seed=", 5))
			for (const char *c = argv[i] + 5; *c >= '0' && *c <= '9'; c++)
				rng = rng * 10 + (word_t)(*c - '0') + 1;
	for (unsigned i = 0; i < rounds; i++) {
		word_t err = fuzz_one();
		defined += err <= E_BAD_SYSCALL || (err & ~(word_t)IPC_ERR_RECV_PHASE) <= E_BAD_SYSCALL;
	}
	/* we may have taken rights from our own pages (a page left write-only
	 * still reads on x86, but KDB_PUTS honours the missing r): drop them
	 * all, and init maps them back, whole, on the next touch */
	utcb()->mr[0] = FPAGE_COMPLETE | FPAGE_RWX;
	sys_unmap(UNMAP_FLUSH);
	ok(defined == rounds, "%u random calls, every result a defined error code or E_OK", defined);
	sys_schedule(libmap_myself, 100, 10000, NULL);
	if (privileged)
		fuzz_cleanup();
	return tap_done(privileged ? "fuzz (privileged)" : "fuzz");
}
