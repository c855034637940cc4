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
 * Besides the calls, each round may (fuzz_more.c has the details):
 *  - set this thread's own instruction pointer, stack, flags and pager with
 *    exchange_registers (it lands on a pad that jumps back) and check that
 *    invalid values are refused and valid ones take effect, sanitised;
 *  - load null, odd and valid selectors into %ds, %es, %gs and %ss and
 *    make a system call with them, then check its UTCB is still its own;
 *  - block in IPC (receive or call with timeouts) on servers and on no one;
 *  - send random messages, map items of its own scratch pages included, to
 *    every server: init (KIP root id), sigma0 and the tasks before it in
 *    its configuration (pager tasks), with sigma0 requests of every kind;
 *  - privileged: run worker threads in spaces of their own that fault,
 *    trap, load random selectors (%fs too) and make random system calls,
 *    and answer their faults and exceptions, as their pager and exception
 *    handler, with random replies (garbage, or a map item of the worker
 *    code, or new registers), and halt, resume and redirect them.
 *
 * Seeded and reproducible: "seed=N" (default 1) and "rounds=N"; the seed
 * is printed. "open=1,2,..." names classes of issue 8 whose fix is not on
 * this branch yet: the behaviours that trip them are left out (the run
 * says which). Unprivileged by default. With "priv" it also creates,
 * modifies, starts and deletes threads and spaces in a range of ids of its
 * own, and attaches interrupt lines, all cleaned up at the end. Calls that
 * would only stop this task itself or, privileged, the system's own
 * servers (halting, single-stepping or repointing them, aborting their
 * IPC, exiting, telling init it exited or faulted) are left out; the
 * rest goes, and this task keeps its own memory out of harm's way (receive
 * windows and map items name only its scratch area).
 */
#include "fuzz.h"

#define ROUNDS 4000
#define ROUNDS_MAX 1000000

uint64_t rng = 0x2545f4914f6cdd1dull;
bool privileged;
unsigned open_classes;
static word_t created[256];             /* threads thread_control created */
static unsigned ncreated;

word_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A thread id of our own range, for the privileged calls. */
word_t own_tid(void)
{
	return tap_tid((unsigned)(rnd() % OWN_IDS), 1 + (unsigned)(rnd() % 2));
}

word_t pick(void)
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
	u->br[0] = fuzz_window();
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
	if (!err && space != TID_ANY && space != TID_NIL && ncreated < ARRAY_SIZE(created))
		created[ncreated++] = dest;         /* deleted at the end */
	else if (!err && space != TID_ANY && space != TID_NIL)
		sys_thread_control(dest, TID_NIL, TID_NIL, TID_NIL, 0, 0);
	return err;
}

static word_t fuzz_kdebug(void)
{
	const word_t ops[] = { KDB_KMEM_FREE, KDB_SPACE_KMEM, KDB_CHECK, KDB_OP_COUNT, 99, ~0ull };
	struct sysregs r = { SYS_KDEBUG, ops[rnd() % ARRAY_SIZE(ops)], pick(), pick(), 0, 0, 0 };

	syscall_raw(&r);
	return r.rax;
}

/* Random priorities and slices. Privileged, ours stays above every thread
 * of our own (FUZZ_PRIO_OWN and below: the workers at 1, the threads
 * thread_control gives 100 at most), or one that spins (in junk it runs
 * as code) would starve us for good; and sigma0's is left alone (lowered
 * below a spinning thread of ours, it would stop serving everyone). Seed
 * 2 at 50,000 rounds hung so, in a round of this call: a thread of our
 * own that loops ended up above us and we never ran again. */
static word_t fuzz_schedule(void)
{
	word_t dest = rnd() % 2 ? own_tid() : pick(), prio = rnd() % 300, word;
	bool own = tid_number(dest) >= tid_number(tap_tid(0, 1)) &&
		   tid_number(dest) < tid_number(tap_tid(OWN_IDS + FUZZ_WORKERS, 1));

	if (dest == libmap_myself && prio < 2)
		prio = 2;
	if (privileged && dest == libmap_myself && prio <= FUZZ_PRIO_OWN)
		prio = FUZZ_PRIO_OWN + 1 + prio % (255 - FUZZ_PRIO_OWN);
	else if (privileged && own && prio < 300)
		prio %= FUZZ_PRIO_OWN + 1;
	if (privileged && dest == libmap_kip->sigma0_id)
		return sys_schedule(dest, SCHED_KEEP, 0, &word);
	return sys_schedule(dest, prio, rnd() % 20000, &word);
}

/* One random call; its result only has to be defined (an error or 0). */
static word_t fuzz_one(void)
{
	word_t word;

	if (fuzz_paths && rnd() % 8 == 0)
		return fuzz_path();
	switch (rnd() % 16) {
	case 0: return fuzz_ipc();
	case 1: return fuzz_unmap();
	case 2: return fuzz_thread_control();
	case 3: return sys_space_control(rnd() % 2 ? own_tid() : pick(), rnd() % 8, pick(), &word);
	case 4: return fuzz_exreg();
	case 5: return sys_thread_switch(pick());
	case 6: return fuzz_schedule();
	case 7: return fuzz_kdebug();
	case 8: return syscall0(SYS_COUNT + rnd() % 1000);
	case 9: return fuzz_self();
	case 10: return fuzz_segments();
	case 11: return fuzz_block();
	case 12: return fuzz_server();
	case 13: return fuzz_sigma0();
	case 14: case 15: return privileged ? fuzz_workers() : fuzz_server();
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

static word_t fuzz_number(const char *c)
{
	word_t v = 0;
	unsigned base = 10;

	if (c[0] == '0' && c[1] == 'x')
		c += 2, base = 16;
	for (;; c++) {
		unsigned d = *c >= '0' && *c <= '9' ? (unsigned)(*c - '0') :
			     *c >= 'a' && *c <= 'f' ? (unsigned)(*c - 'a' + 10) : 99;
		if (d >= base)
			return v;
		v = v * base + d;
	}
}

/* splitmix64 of the seed: any seed, 0 included, gives a good state. */
static void fuzz_seed(word_t seed)
{
	word_t z = seed + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	rng = (z ^ (z >> 31)) | 1;
}

static void fuzz_args(int argc, char **argv, word_t *seed, unsigned *rounds)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "priv"))
			privileged = true;
		else if (!strcmp(argv[i], "paths"))
			fuzz_paths = true;
		else if (!strncmp(argv[i], "seed=", 5))
			*seed = fuzz_number(argv[i] + 5);
		else if (!strncmp(argv[i], "rounds=", 7))
			*rounds = (unsigned)MIN(fuzz_number(argv[i] + 7), (word_t)ROUNDS_MAX);
		else if (!strncmp(argv[i], "open=", 5))
			for (const char *c = argv[i] + 5; *c; c++)
				if (*c >= '0' && *c <= '9') {
					open_classes |= 1u << (fuzz_number(c) & 31);
					while (c[1] >= '0' && c[1] <= '9')
						c++;
				}
	}
}

int main(int argc, char **argv)
{
	unsigned defined = 0, rounds = ROUNDS;
	word_t seed = 1;

	fuzz_args(argc, argv, &seed, &rounds);
	fuzz_seed(seed);
	printf("fuzz: seed %lu, %u rounds, %s; again with: tests/fuzz%s seed=%lu rounds=%u\n", seed,
	       rounds, privileged ? "privileged" : "unprivileged", privileged ? " priv" : "", seed,
	       rounds);
	fuzz_more_init();
	for (unsigned i = 0; i < rounds; i++) {
		word_t err = fuzz_one();
		defined += err <= E_BAD_SYSCALL || (err & ~(word_t)IPC_ERR_RECV_PHASE) <= E_BAD_SYSCALL;
	}
	fuzz_more_done();
	/* we may have taken rights from our own pages (a page left write-only
	 * still reads on x86, but KDB_PUTS honours the missing r): drop them
	 * all, and init maps them back, whole, on the next touch */
	utcb()->mr[0] = FPAGE_COMPLETE | FPAGE_RWX;
	sys_unmap(UNMAP_FLUSH);
	ok(defined == rounds, "%u random calls, every result a defined error code or E_OK", defined);
	fuzz_more_report();
	fuzz_paths_report();
	sys_schedule(libmap_myself, privileged ? FUZZ_PRIO_OWN + 1 : 100, 10000, NULL);
	if (privileged)
		fuzz_cleanup();
	return tap_done(privileged ? "fuzz (privileged)" : "fuzz");
}
