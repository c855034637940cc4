/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer beyond plain system calls (see fuzz.c for the whole):
 * its own registers, segment selectors, blocking IPC, messages to every
 * server, sigma0 requests, and worker threads it pages and handles.
 *
 * What keeps the fuzzer itself alive: whatever can land in its space (a
 * receive window) lies in TEST_VA_C, which holds nothing of its own; what
 * it maps or grants to others is its scratch pages or the worker code page
 * (never writable), so no reply and no worker can reach its stack, data or
 * code. A new IP always points at fuzz_pad, which jumps back into the
 * fuzzer (__builtin_setjmp/longjmp) on whatever valid stack it was given.
 *
 * The workers run in spaces of their own, on one page of code (fuzz_blob,
 * mapped read-execute by their pager, this task) and a 64-bit xorshift in
 * r15 seeded from their stack pointer. Each step is one of sixteen: a load
 * or store at a random address, ud2, int3, int $0x80, hlt, a division by
 * zero, a random selector into %fs (%gs while class 2 is open), %gs, %ds,
 * %es or %ss (the last followed by a syscall unless class 11 is open), a
 * system call with random registers (never console output), a jump to a
 * random address, a privileged instruction, and setting TF. Every fault
 * and exception comes to this task; its answer is random.
 */
#include "fuzz.h"
#include <sigma0.h>
#include <pagoda/proto.h>

#define SCRATCH_PAGES 8                 /* what may be mapped or granted away */
#define WORKER_CODE_VA 0x400000ull      /* in a worker's own space */
#define RFLAGS_TF 0x100ull
#define RFLAGS_IF 0x200ull
#define RFLAGS_DF 0x400ull
#define RFLAGS_SANE 0xcd5ull            /* CF PF AF ZF SF TF DF OF */
#define SEL_UDATA3 0x23                 /* kernel/arch/x86_64/layout.h: SEL_UDATA | 3 */
#define S0_HELD_MAX 64

static uint8_t scratch[SCRATCH_PAGES][4096] __attribute__((aligned(4096 * SCRATCH_PAGES)));
static word_t alt_stack[2][512] __attribute__((aligned(16)));
static void *landing[5];                /* __builtin_setjmp buffer */
static struct utcb *my_utcb;
static word_t servers[8];
static unsigned nservers;
static struct { word_t pa; unsigned log2; } s0_held[S0_HELD_MAX];   /* frames sigma0 gave */
static unsigned s0_nheld;
static struct {
	unsigned self_landed, self_refused, self_bad, flags_bad, seg_bad;
	unsigned blocked, server_msgs, s0_requests, s0_got, served, worker_starts, worker_exregs;
} stat;

/* ---- the worker code: four variants, one page each ---- */

__asm__(
	".macro FUZZ_BLOB fs, movss\n"
	"	mov %rsp, %r15\n"
	"	or $1, %r15\n"
	"1:	mov %r15, %rax\n shl $13, %rax\n xor %rax, %r15\n"
	"	mov %r15, %rax\n shr $7, %rax\n xor %rax, %r15\n"
	"	mov %r15, %rax\n shl $17, %rax\n xor %rax, %r15\n"
	"	mov %r15, %rbx\n shr $20, %rbx\n"             /* an address below 2^44 */
	"	mov %r15, %rax\n shr $48, %rax\n"             /* a selector, a call number */
	"	test $0x100, %r15\n jz 5f\n and $0x2b, %eax\n"  /* half: null or a GDT entry */
	"5:"
	"	mov %r15, %rcx\n and $15, %ecx\n"
	"	lea 3f(%rip), %rdx\n movslq (%rdx,%rcx,4), %rcx\n add %rcx, %rdx\n jmp *%rdx\n"
	"3:	.long 10f-3b, 11f-3b, 12f-3b, 13f-3b, 14f-3b, 15f-3b, 16f-3b, 17f-3b\n"
	"	.long 18f-3b, 19f-3b, 20f-3b, 21f-3b, 22f-3b, 23f-3b, 24f-3b, 25f-3b\n"
	"10:	mov (%rbx), %rdx\n jmp 1b\n"
	"11:	mov %rdx, (%rbx)\n jmp 1b\n"
	"12:	ud2\n jmp 1b\n"
	"13:	int3\n jmp 1b\n"
	"14:	int $0x80\n jmp 1b\n"
	"15:	hlt\n jmp 1b\n"
	"16:	xor %edx, %edx\n xor %ecx, %ecx\n div %ecx\n jmp 1b\n"
	"17:	.if \\fs\n mov %ax, %fs\n .else\n mov %ax, %gs\n .endif\n jmp 1b\n"
	"18:	mov %ax, %gs\n jmp 1b\n"
	"19:	mov %ax, %ds\n jmp 1b\n"
	"20:	mov %ax, %es\n jmp 1b\n"
	"21:	mov %ax, %ss\n .if \\movss\n syscall\n .endif\n jmp 1b\n"
	"22:	mov %r15, %rdi\n mov %rbx, %rsi\n mov %r15, %rdx\n shr $3, %rdx\n"
	"	mov %rbx, %r10\n mov %r15, %r8\n mov %rbx, %r9\n and $15, %eax\n jnz 4f\n"
	"	or $4, %rdi\n"                               /* KDB: no console output */
	"4:	syscall\n jmp 1b\n"
	"23:	jmp *%rbx\n"
	"24:	mov %cr3, %rdx\n jmp 1b\n"
	"25:	pushfq\n orq $0x100, (%rsp)\n popfq\n nop\n jmp 1b\n"
	".endm\n"
	".pushsection .text.fuzzblob, \"ax\", @progbits\n"
	".balign 4096\n"
	".globl fuzz_blob\n"
	"fuzz_blob:\n"
	"	FUZZ_BLOB 0, 0\n .balign 4096\n"
	"	FUZZ_BLOB 1, 0\n .balign 4096\n"
	"	FUZZ_BLOB 0, 1\n .balign 4096\n"
	"	FUZZ_BLOB 1, 1\n .balign 4096\n"
	".popsection\n");
extern const char fuzz_blob[];

static word_t blob_page(void)
{
	return (word_t)fuzz_blob + 4096 * (!FUZZ_OPEN(2) + 2 * !FUZZ_OPEN(11));
}

/* ---- where things may land, and what may be given away ---- */

word_t fuzz_window(void)
{
	unsigned s = 12 + (unsigned)(rnd() % 30);

	switch (rnd() % 6) {
	case 0: return FPAGE_NIL;
	case 1: return fpage_make(TEST_VA_C, 11, 0);             /* malformed */
	case 2: return fpage_make(0xffff800000000000ull, 12, 0);  /* kernel half */
	case 3: return fpage_make(TEST_VA_C + (rnd() % 64) * 4096, 12, 0);
	default: return fpage_make(TEST_VA_C, s, 0);
	}
}

/* An fpage this task may map or grant to anyone: scratch, the worker
 * code (never writable), or one that names nothing of its own. */
static word_t item_fpage(void)
{
	word_t base = (word_t)scratch, rights = rnd() & 7;
	unsigned s = 12 + (unsigned)(rnd() % 4);

	switch (rnd() % 6) {
	case 0: return fpage_make(blob_page(), 12, rights & ~(word_t)FPAGE_W);
	case 1: return fpage_make(base, s, rights);
	case 2: return fpage_make(0xffff800000000000ull, 12, rights);
	case 3: return fpage_make(0x1000, 11, rights);
	case 4: return fpage_make(TEST_VA_B + (rnd() % 512) * 4096, 12, rights);  /* unmapped */
	default: return fpage_make(base + (rnd() % SCRATCH_PAGES) * 4096, 12, rights);
	}
}

/* `n` typed items at mr[first..]: map or grant (or a bad type). */
void put_items(unsigned first, unsigned n)
{
	struct utcb *u = utcb();

	for (unsigned i = 0; i + 1 < n && first + i + 1 < 64; i += 2) {
		word_t type = rnd() % 8 ? (rnd() % 2 ? ITEM_MAP : ITEM_GRANT) : rnd() & 0xf;
		u->mr[first + i] = (pick() & ~(word_t)0xfff) | type;
		u->mr[first + i + 1] = item_fpage();
	}
}

void fuzz_more_init(void)
{
	tap_prefault(128 * 1024);
	if (privileged)                             /* above every thread of ours */
		sys_schedule(libmap_myself, FUZZ_PRIO_OWN + 1, 0, NULL);
	my_utcb = utcb();
	servers[nservers++] = libmap_kip->root_id;
	servers[nservers++] = libmap_kip->sigma0_id;
	for (unsigned slot = 0; slot < tap_slot() && nservers < ARRAY_SIZE(servers); slot++)
		servers[nservers++] = tap_task_tid(slot);   /* tasks before us: pager tasks */
	printf("fuzz: %u servers; classes left out as open: %s%s%s%s%s\n", nservers,
	       FUZZ_OPEN(1) ? "1 (map items to servers) " : "",
	       FUZZ_OPEN(2) ? "2 (%fs loads) " : "",
	       FUZZ_OPEN(3) || FUZZ_OPEN(4) ? "3/4 (large DEVICE requests) " : "",
	       FUZZ_OPEN(11) ? "11 (mov ss; syscall) " : "",
	       open_classes ? "" : "none");
}

/* ---- its own registers ---- */

void fuzz_pad(void);
__attribute__((used, noinline)) static void fuzz_landed(void)
{
	__builtin_longjmp(landing, 1);
}
__asm__(".text\n"
	".globl fuzz_pad\n"
	"fuzz_pad:\n"
	"	cld\n"
	"	and $-16, %rsp\n"
	"	call fuzz_landed\n"
	"	ud2\n");

static word_t valid_sp(void)
{
	word_t top = (word_t)&alt_stack[rnd() % 2][512];

	return top - (rnd() % 4) * 8 - (rnd() % 2) * 3;    /* aligned or not */
}

static word_t invalid_ip(void)
{
	const word_t v[] = { 0x7ffffffff000ull, 0x800000000000ull, ~(word_t)0,
			     0xffff800000000000ull, 0x7fffffffffffull };
	return v[rnd() % ARRAY_SIZE(v)];
}

/* Flags as the kernel must leave them: IF on, IOPL 0, no NT, AC, VM, ID. */
static bool flags_sane(word_t fl)
{
	return (fl & RFLAGS_IF) && !(fl & 0x3000) && !(fl & 0x4000) && !(fl & 0x3f0000);
}

/* Set IP (and SP, flags) to the landing pad: it must land, and only then. */
static word_t self_jump(bool want_valid)
{
	volatile bool valid = want_valid;
	volatile word_t control = EXREG_SET_IP | (rnd() % 2 ? EXREG_SET_SP : 0) |
				  (rnd() % 2 ? EXREG_SET_FLAGS : 0);
	word_t sp = valid_sp(), ip = (word_t)fuzz_pad, fl = rnd() & ~RFLAGS_TF, pg = 0, err;

	if (!valid && (rnd() % 2 || !(control & EXREG_SET_SP)))
		ip = invalid_ip();
	else if (!valid)
		sp = (rnd() % 2 ? ~(word_t)0 : ((word_t)1 << 47) + 8);
	if (__builtin_setjmp(landing)) {
		stat.self_landed++;
		stat.self_bad += !valid;
		return E_OK;
	}
	err = sys_exchange_registers(libmap_myself, control, &sp, &ip, &fl, &pg, NULL);
	stat.self_refused += err == E_BAD_ARGUMENT;
	stat.self_bad += valid || err != E_BAD_ARGUMENT;      /* it came back */
	return err;
}

/* Random flags alone (TF and DF kept off), then read back: sanitised. */
static word_t self_flags(void)
{
	word_t fl = rnd() & ~(RFLAGS_TF | RFLAGS_DF), sp = 0, ip = 0, pg = 0, err;

	err = sys_exchange_registers(libmap_myself, EXREG_SET_FLAGS, &sp, &ip, &fl, &pg, NULL);
	sys_exchange_registers(libmap_myself, 0, &sp, &ip, &fl, &pg, NULL);
	stat.flags_bad += !flags_sane(fl);
	return err;
}

/* A random pager, restored at once; or sigma0 as pager for one touch of a
 * page nobody maps (sigma0 gives a frame; init reclaims it at our exit).
 * Only when privileged: the root task gives us RAM then; unprivileged,
 * sigma0 refuses the fault and the kernel stops us, as it should
 * (docs/security.md, 13; sys/s0mem tries that). */
static word_t self_pager(void)
{
	word_t sp = 0, ip = 0, fl = 0, pg, err, old;
	bool touch = rnd() % 4 == 0 && privileged;

	pg = touch ? libmap_kip->sigma0_id : pick();
	err = sys_exchange_registers(libmap_myself, EXREG_SET_PAGER, &sp, &ip, &fl, &pg, NULL);
	old = pg;
	if (!err && touch)
		(void)*(volatile char *)(TEST_VA_C + 0x100000000ull + (rnd() % 64) * 4096);
	if (!err)
		sys_exchange_registers(libmap_myself, EXREG_SET_PAGER, &sp, &ip, &fl, &old, NULL);
	return err;
}

word_t fuzz_self(void)
{
	word_t sp = pick(), ip = pick(), fl = pick(), pg = pick();

	switch (rnd() % 5) {
	case 0: return self_jump(true);
	case 1: return self_jump(false);
	case 2: return self_flags();
	case 3: return self_pager();
	default: return sys_exchange_registers(libmap_myself, 0, &sp, &ip, &fl, &pg, NULL);
	}
}

/* ---- segment selectors ---- */

/* A null, odd or valid selector into %ds, %es, %gs, or a valid one into
 * %ss right before a syscall; a system call or a switch with it; then our
 * UTCB must still be ours (%fs untouched: this thread needs it). */
word_t fuzz_segments(void)
{
	static const uint16_t sel[] = { 0, 1, 2, 3, 0x20, SEL_UDATA3 };
	uint16_t v = sel[rnd() % ARRAY_SIZE(sel)], ds, es;
	word_t err = E_OK, rax = SYS_NULL;

	__asm__ volatile("mov %%ds, %0\n mov %%es, %1" : "=r"(ds), "=r"(es));
	switch (rnd() % 4) {
	case 0: __asm__ volatile("mov %0, %%ds" : : "r"(v)); break;
	case 1: __asm__ volatile("mov %0, %%es" : : "r"(v)); break;
	case 2: __asm__ volatile("mov %0, %%gs" : : "r"(v)); break;
	default:
		__asm__ volatile("mov %%ss, %%cx\n mov %%cx, %%ss\n syscall"
				 : "+a"(rax) : : "rcx", "r11", "memory");
		err = rax;
	}
	if (rnd() % 2)
		err = sys_thread_switch(TID_NIL);
	else if (rnd() % 2)
		err = ipc_receive(libmap_myself, 100, NULL) & ~(word_t)IPC_ERR_RECV_PHASE;
	stat.seg_bad += utcb() != my_utcb || my_utcb->my_id != libmap_myself;
	__asm__ volatile("mov %0, %%ds\n mov %1, %%es" : : "r"(ds), "r"(es));
	return err == E_IPC_TIMEOUT ? E_OK : err;
}

/* ---- blocking IPC ---- */

static word_t worker_tid(unsigned w)
{
	return tap_tid(OWN_IDS + w, 1);
}

word_t fuzz_block(void)
{
	word_t from = TID_NIL, tmo = 50 + rnd() % 1500;
	word_t who[] = { TID_ANY, libmap_kip->sigma0_id, libmap_kip->root_id, libmap_myself,
			 servers[rnd() % nservers], worker_tid((unsigned)(rnd() % FUZZ_WORKERS)) };
	word_t partner = who[rnd() % ARRAY_SIZE(who)];

	stat.blocked++;
	msg_accept(fuzz_window());
	if (rnd() % 2)
		return ipc_receive(partner, tmo, &from);
	msg_tag(SIGMA0_LABEL_STATS, 0, 0);                     /* a call that blocks on the reply */
	if (partner == libmap_kip->root_id)
		msg_tag(0x7fff, 0, 0);
	return ipc(partner, partner, timeouts(tmo, tmo), &from);
}

/* ---- messages to servers ---- */

static word_t server_label(word_t to)
{
	const word_t labels[] = {
		0, 1, LABEL_PAGEFAULT | (rnd() % 8), PAGER_CLIENT, PAGER_PAGE, PAGER_REGION,
		PAGER_CLIENT_EXIT, PAGER_SHUTDOWN, PAGER_RELEASE, PROC_FORK, PROC_WAIT,
		SIGMA0_LABEL_ANY, SIGMA0_LABEL_PHYS, SIGMA0_LABEL_FREE, SIGMA0_LABEL_STATS,
		SIGMA0_LABEL_RECLAIM, LABEL_IRQ, LABEL_EXCEPTION, LABEL_EXIT, rnd() & 0xffff,
	};
	word_t l = labels[rnd() % ARRAY_SIZE(labels)];

	/* init is our parent: "exited" or "faulted" would end us; DEVICE and
	 * larger ANY/PHYS requests go through fuzz_sigma0's bounds */
	if (to == libmap_kip->root_id && (l == LABEL_EXIT || l == LABEL_EXCEPTION))
		l = 0x7fff;
	if (to == libmap_kip->sigma0_id && (l == SIGMA0_LABEL_ANY || l == SIGMA0_LABEL_PHYS))
		l = SIGMA0_LABEL_STATS;
	return l;
}

word_t fuzz_server(void)
{
	struct utcb *u = utcb();
	word_t to = servers[rnd() % nservers], from;
	unsigned words = (unsigned)(rnd() % 9), items = FUZZ_OPEN(1) || rnd() % 2 ? 0 : 2;

	stat.server_msgs++;
	for (unsigned i = 1; i <= words; i++)
		u->mr[i] = rnd() % 2 ? pick() : rnd() % 4 ? libmap_myself : rnd() & 0xffff;
	put_items(words + 1, items);
	u->mr[0] = tag_make(server_label(to), words, items);
	if (to == my_utcb->pager && tag_label(u->mr[0]) == PAGER_RELEASE) {
		u->mr[1] = TEST_VA_C + (rnd() % 64) * 4096;     /* only what we do not need */
		u->mr[2] = rnd() % 2 ? (rnd() % 64) * 4096 : rnd() % 8192;
	}
	msg_accept(fuzz_window());
	if (rnd() % 4 == 0)
		return ipc_send(to, rnd() % 2 ? TIMEOUT_ZERO : 1000);
	return ipc(to, to, timeouts(rnd() % 2 ? TIMEOUT_ZERO : 1000, 500 + rnd() % 2000), &from);
}

/* ---- sigma0, every request ---- */

/* A physical fpage: in RAM or not, aligned or not, of a bounded size. */
static word_t phys_fpage(unsigned max_log2)
{
	unsigned s = 12 + (unsigned)(rnd() % (max_log2 - 11));
	word_t base = rnd() % 4 ? (rnd() % ((word_t)1 << 32)) : pick();

	return rnd() % 8 ? fpage_make(base & ~(((word_t)1 << s) - 1), s, rnd() & 7) : pick();
}

/* Remember what sigma0 gave (the hot spot of its map item) to give back. */
static void s0_note(word_t label, word_t err)
{
	struct utcb *u = utcb();

	if (err || tag_label(u->mr[0]) != SIGMA0_REPLY_OK || tag_t(u->mr[0]) < 2 ||
	    (label != SIGMA0_LABEL_ANY && label != SIGMA0_LABEL_PHYS))
		return;
	stat.s0_got++;
	if (s0_nheld < S0_HELD_MAX) {
		s0_held[s0_nheld].pa = item_hotspot(u->mr[tag_u(u->mr[0]) + 1]);
		s0_held[s0_nheld++].log2 = fpage_log2(u->mr[tag_u(u->mr[0]) + 2]);
	} else {
		sigma0_free(item_hotspot(u->mr[tag_u(u->mr[0]) + 1]),
			    fpage_log2(u->mr[tag_u(u->mr[0]) + 2]));
	}
}

/* Every sigma0 request with random arguments. Sizes stay bounded where a
 * success would take what other tasks need (all free RAM, or kernel
 * memory sigma0 never gets back while class 3/4 is open). */
word_t fuzz_sigma0(void)
{
	struct utcb *u = utcb();
	const word_t labels[] = { SIGMA0_LABEL_ANY, SIGMA0_LABEL_PHYS, SIGMA0_LABEL_DEVICE,
				  SIGMA0_LABEL_FREE, SIGMA0_LABEL_STATS, SIGMA0_LABEL_RECLAIM,
				  LABEL_PAGEFAULT | (rnd() % 8), 0x5300 | (rnd() & 0xff) };
	word_t label = labels[rnd() % ARRAY_SIZE(labels)], s0 = libmap_kip->sigma0_id, err;
	unsigned dev_max = FUZZ_OPEN(3) || FUZZ_OPEN(4) ? 14 : 28;

	stat.s0_requests++;
	u->mr[1] = pick();
	u->mr[2] = pick();
	if (label == SIGMA0_LABEL_ANY)
		u->mr[1] = rnd() % 8 ? 12 + rnd() % 11 : 29 + rnd() % 3, u->mr[2] = rnd() % 9;
	if (label == SIGMA0_LABEL_PHYS)
		u->mr[1] = phys_fpage(16);
	if (label == SIGMA0_LABEL_DEVICE)
		u->mr[1] = phys_fpage(dev_max);
	if (label == SIGMA0_LABEL_FREE && s0_nheld && rnd() % 2)
		u->mr[1] = fpage_make(s0_held[s0_nheld - 1].pa, s0_held[s0_nheld - 1].log2, 0);
	if (label == SIGMA0_LABEL_RECLAIM)
		u->mr[1] = rnd() % 2 ? TID_NIL : pick();
	u->mr[0] = tag_make(label, (unsigned)(rnd() % 4), 0);
	msg_accept(fuzz_window());
	err = ipc(s0, s0, timeouts(1000, 3000), NULL);
	s0_note(label, err);
	return err;
}

/* ---- worker threads: this task is their pager and exception handler ---- */

static bool is_worker(word_t tid)
{
	for (unsigned w = 0; w < FUZZ_WORKERS; w++)
		if (tid == worker_tid(w))
			return true;
	return false;
}

static word_t worker_start(unsigned w)
{
	word_t t = worker_tid(w), sp = rnd() & (((word_t)1 << 47) - 1), ip = WORKER_CODE_VA;
	word_t fl = rnd() & RFLAGS_SANE & (rnd() % 8 ? ~RFLAGS_TF : ~(word_t)0), err;

	sys_thread_control(t, TID_NIL, TID_NIL, TID_NIL, 0, 0);       /* the previous one */
	err = sys_thread_control(t, t, libmap_myself, libmap_myself,
				 UTCB_AREA_BASE + (rnd() % 2 ? 0 : rnd() % 4) * UTCB_SIZE,
				 TC_FLAG_EXC_HANDLER);
	if (err)
		return err;
	stat.worker_starts++;
	sys_schedule(t, 1, 1000, NULL);                        /* below us, always */
	return sys_exchange_registers(t, EXREG_SET_IP | EXREG_SET_SP | EXREG_SET_FLAGS | EXREG_RESUME,
				      &sp, &ip, &fl, NULL, NULL);
}

/* Halt, resume, abort, redirect a worker: any control bit, any value. */
static word_t worker_exreg(unsigned w)
{
	word_t sp = rnd() % 2 ? pick() : rnd() & (((word_t)1 << 47) - 1);
	word_t ip = rnd() % 2 ? WORKER_CODE_VA + rnd() % 4096 : pick();
	word_t fl = rnd(), pg = rnd() % 4 ? libmap_myself : pick();

	stat.worker_exregs++;
	return sys_exchange_registers(worker_tid(w), rnd() & 0xff, &sp, &ip, &fl, &pg, NULL);
}

/* A well-formed answer: map the code page (RX) or a scratch page at the
 * fault address, or new registers that restart the worker loop. */
static void reply_good(word_t label)
{
	struct utcb *u = utcb();
	word_t addr = u->mr[PF_MSG_ADDR] & ~(word_t)0xfff;

	if ((label & ~(word_t)7) == LABEL_PAGEFAULT) {
		msg_tag(0, 0, 2);
		u->mr[1] = addr | ITEM_MAP;
		u->mr[2] = addr == WORKER_CODE_VA ?
			fpage_make(blob_page(), 12, FPAGE_R | FPAGE_X) :
			fpage_make((word_t)scratch[rnd() % SCRATCH_PAGES], 12, FPAGE_RW);
		return;
	}
	msg_tag(0, EXC_MSG_LENGTH, 0);
	for (unsigned i = EXC_MSG_RAX; i <= EXC_MSG_R15; i++)
		u->mr[i] = rnd() % 2 ? pick() : rnd();
	u->mr[EXC_MSG_RIP] = WORKER_CODE_VA;
	u->mr[EXC_MSG_RSP] = rnd() & (((word_t)1 << 47) - 1);
	u->mr[EXC_MSG_RFLAGS] = rnd();
}

/* Anything: resume unchanged, refuse, new random registers, or a tag of
 * random shape with random words and map/grant items. */
static void reply_random(word_t label)
{
	struct utcb *u = utcb();
	unsigned words = (unsigned)(rnd() % 64), items = (unsigned)(rnd() % 8);

	switch (rnd() % 5) {
	case 0: reply_good(label); return;
	case 1: msg_tag(0, (unsigned)(rnd() % EXC_MSG_LENGTH), 0); return;
	case 2: msg_tag(1 + rnd() % 0xffff, 0, 0); return;
	case 3:
		msg_tag(0, EXC_MSG_LENGTH, 0);
		for (unsigned i = 1; i <= EXC_MSG_LENGTH; i++)
			u->mr[i] = rnd() % 2 ? pick() : rnd();
		return;
	default:
		for (unsigned i = 1; i < 64; i++)
			u->mr[i] = rnd() % 2 ? pick() : rnd();
		put_items(words + 1, items);
		u->mr[0] = tag_make(rnd() % 4 ? 0 : rnd() & 0xffff, words, items);
		return;
	}
}

/* Take up to 64 messages (a worker's fault, exception or random IPC) and
 * answer each; messages from anyone else are dropped. */
static word_t worker_serve(void)
{
	struct utcb *u = utcb();
	word_t from = TID_NIL, err = E_OK, label;

	for (unsigned i = 0; i < 64 && !err; i++) {
		msg_accept(FPAGE_NIL);
		err = ipc_receive(TID_ANY, i || rnd() % 2 ? TIMEOUT_ZERO : 300, &from);
		if (err || !is_worker(from))
			break;
		stat.served++;
		label = tag_label(u->mr[0]);
		if (rnd() % 3)
			reply_good(label);
		else
			reply_random(label);
		err = ipc_send(from, TIMEOUT_ZERO);
	}
	return err;
}

word_t fuzz_workers(void)
{
	unsigned w = (unsigned)(rnd() % FUZZ_WORKERS);

	switch (rnd() % 16) {
	case 0: return worker_start(w);
	case 1: case 2: return worker_exreg(w);
	default: return worker_serve();
	}
}

/* ---- the end ---- */

void fuzz_more_done(void)
{
	if (privileged)
		for (unsigned w = 0; w < FUZZ_WORKERS; w++)
			sys_thread_control(worker_tid(w), TID_NIL, TID_NIL, TID_NIL, 0, 0);
	while (s0_nheld) {
		s0_nheld--;
		sigma0_free(s0_held[s0_nheld].pa, s0_held[s0_nheld].log2);
	}
	__asm__ volatile("mov %0, %%gs" : : "r"((uint16_t)0));
}

void fuzz_more_report(void)
{
	printf("fuzz: own IP/SP: %u landed, %u refused; %u blocking IPCs, %u messages to servers, "
	       "%u sigma0 requests (%u granted), %u worker starts, %u worker exregs, "
	       "%u worker messages answered\n", stat.self_landed, stat.self_refused, stat.blocked,
	       stat.server_msgs, stat.s0_requests, stat.s0_got, stat.worker_starts,
	       stat.worker_exregs, stat.served);
	ok(!stat.self_bad, "a valid new IP of its own takes effect, an invalid one is refused "
	   "and changes nothing (%u wrong)", stat.self_bad);
	ok(!stat.flags_bad, "flags set through exchange_registers are sanitised (%u wrong)",
	   stat.flags_bad);
	ok(!stat.seg_bad, "selector loads leave the UTCB pointer alone (%u wrong)", stat.seg_bad);
}
