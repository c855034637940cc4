/* SPDX-License-Identifier: MIT */
/*
 * Attacks on the user-level servers added after issue 8 (docs/security.md,
 * "Audit after the fixes"), by an unprivileged task that is no client of
 * the server it attacks. The server's thread id is found as any task can
 * find it: task slot n of boot.cfg runs as thread user_base + 2 + n.
 *
 * "blk" (drivers/blk in slot 0): the block driver must not serve raw disk
 * sectors, a DMA buffer or anything else to a task that is not its pager
 * client (the FAT server is; its volume would otherwise be open to
 * anyone, bypassing it, and 16 such tasks took every buffer for good).
 *
 * "file" (a client of pagers/file): a MAP request of a huge range must be
 * answered at once, not make the pager test every page of it against the
 * client's regions (2^35 steps: the pager hung for all its clients); nor
 * must an UNMAP of such a mapping (of a file that exists) walk its pages;
 * a MAP over the client's own heap is still refused.
 *
 * "ram" (any task, paged by init): sigma0 hands RAM to every caller; a
 * task that takes all it can (ANY with no window, nothing mapped, nothing
 * charged to it) must leave sigma0 a reserve for the root task, so that
 * init goes on paging itself and its children start ("ram" then touches
 * 16 fresh pages of its stack: init pages them from sigma0).
 *
 * "fsfill" and "fswait" (fs/fatserv in slot 1, both tasks paged by init,
 * no clients of the server, as the file pager's clients are): eight
 * fsfill tasks take a buffer each and open the root directory until
 * refused, which together fills the server's table of open files (one
 * caller may hold FS_OPEN_PER_CALLER), then end without closing anything
 * once fswait has seen the table full (it sends each a word). fswait sees
 * the table full, then must be able to open a file once fsfill is gone:
 * the server frees what dead callers held when it runs out.
 *
 * "fsreuse" (privileged, a pager client of fs/fatserv in slot 1): a
 * thread of ours takes a buffer (mapped into our space) and is deleted;
 * seven more take the other slots; our main thread's SHARE then gets the
 * dead thread's slot. The old mapping of that buffer in our space must be
 * gone, or we would read what the server puts in another's buffer.
 *
 * "fswrap" (a client of fs/fatserv): a WRITE whose file offset plus length
 * wraps 64 bits is refused as too big, and the file is as it was (the old
 * library took the wrapped end for a small one, went zeroing towards 2^64
 * and answered FS_E_CORRUPT: a damaged volume, which it was not).
 *
 * "fpu" (the kernel's eager FPU switch): a thread leaves an unmasked x87
 * exception pending and every SSE exception unmasked with its flag set,
 * and is switched away and back many times. XSAVEOPT and XRSTOR must not
 * trap in the kernel (they do not raise pending exceptions); the thread
 * must find its state as it left it.
 */
#include "agent.h"
#include <pagoda/blk.h>
#include <pagoda/proto.h>
#include <pagoda/file.h>
#include <pagoda/fs.h>
#include <layout.h>
#include <sigma0.h>
#include <fsclient.h>

#define WIN TEST_VA_A
#define SIGMA0_RESERVE_MIN (1ul << 20)        /* sigma0/sigma0.c: RESERVE_MIN frames */

static word_t call_plain(word_t to, word_t label)
{
	msg_tag(label, 0, 0);
	msg_accept(FPAGE_NIL);
	return tap_reply_error(ipc_call(to));
}

static void test_blk(void)
{
	word_t drv = tap_task_tid(0), err;
	struct utcb *u = utcb();

	ok_err(call_plain(drv, BLK_LABEL_INFO), E_NO_PRIVILEGE, "blk: INFO from a non-client is refused");

	msg_tag(BLK_LABEL_SHARE, 0, 0);
	msg_accept(fpage_make(WIN, BLK_BUF_LOG2, FPAGE_RW));
	err = tap_reply_error(ipc_call(drv));
	ok(tag_t(u->mr[0]) == 0, "blk: the answer to SHARE carries no map item");
	msg_accept(FPAGE_NIL);
	ok_err(err, E_NO_PRIVILEGE, "blk: SHARE from a non-client is refused");

	/* Read the volume's boot sector into "our" buffer. */
	msg_tag(BLK_LABEL_IO, 4, 0);
	u->mr[1] = 1;
	u->mr[BLK_IO_MR_OP(0)] = blk_req(BLK_OP_READ, 1);
	u->mr[BLK_IO_MR_OFFSET(0)] = 0;
	u->mr[BLK_IO_MR_SECTOR(0)] = 0;
	msg_accept(FPAGE_NIL);
	ok_err(tap_reply_error(ipc_call(drv)), E_NO_PRIVILEGE,
	       "blk: IO from a non-client is refused");
}

/* FILE_LABEL_UNMAP of the mapping at va, answered within 5 s. */
static word_t file_unmap(word_t va)
{
	msg_tag(FILE_LABEL_UNMAP, 1, 0);
	utcb()->mr[1] = va;
	msg_accept(FPAGE_NIL);
	return tap_reply_error(
		syscall_ipc(utcb()->pager, utcb()->pager, timeouts(TIMEOUT_NEVER, 5000000), NULL));
}

static void test_file(void)
{
	word_t t0 = libmap_kip->ticks, fatserv, h = 0;

	msg_tag(FILE_LABEL_FS, 0, 0);
	msg_accept(FPAGE_NIL);
	ipc_call(utcb()->pager);
	fatserv = utcb()->mr[1];

	ok_err(tap_file_map(0x20000000000ul, 0x7c0000000000ul, FILE_MAP_SHARED, "/nosuch.bin",
			    5000000),
	       FS_E_NOT_FOUND,
	       "file: MAP of 124 TiB (clear of our regions) is answered (the file does not exist)");
	printf("# answered after %lu ticks\n", libmap_kip->ticks - t0);
	t0 = libmap_kip->ticks;
	ok_err(fs_open(fatserv, "/big.bin", FS_OPEN_CREATE, &h, NULL, NULL), E_OK, "file: make /big.bin");
	ok_err(fs_truncate(fatserv, h, 80 * 4096), E_OK, "file: of 80 pages");
	fs_close(fatserv, h);
	ok_err(tap_file_map(0x20000000000ul, 0x7c0000000000ul, FILE_MAP_PRIVATE | FILE_MAP_WRITE,
			    "/big.bin", 5000000),
	       E_OK, "file: MAP of 124 TiB of an 80-page file");
	for (unsigned i = 0; i < 70; i++)                /* private copies, more than a batch */
		((volatile char *)0x20000000000ul)[i * 4096] = 'H';
	ok(true, "file: 70 private copies made");
	ok_err(file_unmap(0x20000000000ul), E_OK, "file: its UNMAP is answered");
	printf("# MAP and UNMAP answered after %lu ticks\n", libmap_kip->ticks - t0);
	ok_err(tap_file_map(0x20000000000ul, 80 * 4096, FILE_MAP_PRIVATE, "/big.bin", 5000000),
	       E_OK, "file: MAP it again");
	ok(((volatile char *)0x20000000000ul)[0] == 0 && ((volatile char *)0x20000000000ul)[69 * 4096] == 0,
	   "file: the private copies went with the UNMAP (pages 0 and 69 read the file's zeros)");
	ok_err(file_unmap(0x20000000000ul), E_OK, "file: UNMAP again");
	fs_remove(fatserv, "/big.bin");
	ok_err(tap_file_map(USER_HEAP_BASE, 0x1000000000ul, FILE_MAP_SHARED, "/nosuch.bin",
			    5000000),
	       E_EXISTS, "file: MAP over our heap is refused");
	ok_err(tap_file_map(USER_HEAP_BASE - 4096, 8192, FILE_MAP_SHARED, "/nosuch.bin", 5000000),
	       E_EXISTS, "file: MAP reaching one page into our heap is refused");
}

static void test_ram(void)
{
	word_t pa, taken = 0, free_before = 0, free_after = 0, given = 0, err = E_OK;

	sigma0_stats(&free_before, &given);
	for (unsigned log2 = 30; log2 >= 12; log2--)
		while ((err = sigma0_alloc(log2, FPAGE_RW, FPAGE_NIL, &pa)) == E_OK)
			taken += (word_t)1 << log2;
	sigma0_stats(&free_after, &given);
	printf("# took %lu KiB of %lu KiB free; sigma0 keeps %lu KiB\n", taken >> 10, free_before >> 10,
	       free_after >> 10);
	ok(taken > 0, "ram: sigma0 gave us memory");
	for (unsigned i = 1; i <= 16; i++)
		((volatile word_t *)USER_STACK_TOP)[-(long)(128 + i) * 512] = i;
	ok(true, "ram: 16 fresh stack pages, paged by init, after the grab");
	ok(free_after >= SIGMA0_RESERVE_MIN, "ram: sigma0 kept its reserve for the root task (%lu KiB)",
	   free_after >> 10);
}

static void test_fsfill(void)
{
	word_t srv = tap_task_tid(1), h, err = E_OK;
	unsigned n = 0;

	ok_err(fs_share(srv, TEST_VA_A), E_OK, "fsfill: SHARE");
	while (n < 1000 && (err = fs_open(srv, "/", FS_OPEN_DIR, &h, NULL, NULL)) == E_OK)
		n++;
	ok(err == FS_E_LIMIT || err == FS_E_TOO_MANY,
	   "fsfill: opens until its share or the table is full (%lu)", err);
	printf("# fsfill: %u opens; ending with all of them open once fswait saw the table full\n",
	       n);
	msg_tag(0, 0, 0);
	ipc_receive(TID_ANY, 20000000, NULL);   /* fswait's word, or 20 s */
}

/* Tell the fsfill tasks (the slots between the server's and ours) that
 * they may end. */
static bool fswait_release(void)
{
	for (unsigned s = 2; s < tap_slot(); s++) {
		msg_tag(0, 0, 0);
		ipc_send(tap_task_tid(s), 1000000);
	}
	return true;
}

static void test_fswait(void)
{
	word_t srv = tap_task_tid(1), h, err;
	bool seen_full = false, opened = false;
	word_t t0 = libmap_kip->ticks;

	while (libmap_kip->ticks - t0 < 20000 && !opened) {
		err = fs_open(srv, "/", FS_OPEN_DIR, &h, NULL, NULL);
		if (err == FS_E_TOO_MANY && !seen_full)
			seen_full = fswait_release();
		else if (err == E_OK && seen_full)
			opened = true;
		if (err == E_OK)
			fs_close(srv, h);
		tap_sleep(20000);
	}
	ok(seen_full, "fswait: the table was full while fsfill ran");
	ok(opened, "fswait: an open works once fsfill has ended (after %lu ticks)",
	   libmap_kip->ticks - t0);
}

#define FS_MARK 0xf5f5f5f5a5a5a5a5ull

/* Agent a SHAREs the FAT server's buffer into our space at window; the
 * reply's error. */
static word_t agent_share(struct agent *a, word_t srv, word_t window)
{
	struct agent_msg m;

	if (agent_cmd(a, &m, AG_IPC, 9, srv, srv, timeouts(AGENT_WAIT_US, AGENT_WAIT_US),
		      fpage_make(window, 17, FPAGE_RW), tag_make(FS_LABEL_SHARE, 0, 0), 0, 0, 0,
		      0) != AGENT_DONE)
		return E_BAD_THREAD;
	return m.mr[1] ? m.mr[1] : tag_label(m.mr[3]) ? m.mr[4] : E_OK;
}

static void test_fsreuse(void)
{
	static struct agent a[8];
	word_t srv = tap_task_tid(1), val = 0;
	bool readable;

	ok(agent_start(&a[0], 0, 1, false), "fsreuse: thread 0 starts");
	ok_err(agent_share(&a[0], srv, TEST_VA_B), E_OK, "fsreuse: thread 0 takes a buffer");
	ok_err(agent_stop(&a[0]), E_OK, "fsreuse: thread 0 is deleted, its buffer still mapped here");
	for (unsigned i = 1; i < 8; i++) {
		agent_start(&a[i], i, 1, false);
		if (agent_share(&a[i], srv, TEST_VA_C + i * FS_BUF_SIZE))
			ok(false, "fsreuse: thread %u takes a buffer", i);
	}
	ok_err(fs_share(srv, TEST_VA_A), E_OK, "fsreuse: our SHARE gets the dead thread's slot");
	*(volatile word_t *)TEST_VA_A = FS_MARK;
	readable = agent_read(&a[1], TEST_VA_B, &val);
	ok(!readable || val != FS_MARK, "fsreuse: the dead thread's mapping no longer shows our buffer (%s %lx)",
	   readable ? "read" : "fault", val);
	for (unsigned i = 1; i < 8; i++)
		agent_stop(&a[i]);
}

/* WRITE and TRUNCATE at offsets that wrap 64 bits: refused, the file as it was. */
static void test_fswrap(void)
{
	word_t srv = tap_task_tid(1), h = 0, size = 0;

	ok_err(fs_share(srv, TEST_VA_A), E_OK, "fswrap: SHARE");
	ok_err(fs_open(srv, "/wrap.bin", FS_OPEN_CREATE | FS_OPEN_TRUNC, &h, NULL, NULL), E_OK,
	       "fswrap: make /wrap.bin");
	memset((void *)TEST_VA_A, 0x5a, 8192);
	ok_err(fs_write(srv, h, 0, 3000, 0, &size), E_OK, "fswrap: 3000 bytes");
	ok_err(fs_write(srv, h, ~(word_t)0 - 511, 4096, 0, NULL), FS_E_TOO_BIG,
	       "fswrap: a write at 2^64 - 512 is refused as too big");
	ok_err(fs_write(srv, h, ~(word_t)0 - 1000, 4096, 0, NULL), FS_E_TOO_BIG,
	       "fswrap: a write at 2^64 - 1001 is refused as too big");
	ok_err(fs_size(srv, h, &size, NULL), E_OK, "fswrap: SIZE");
	ok(size == 3000, "fswrap: the file is still 3000 bytes (%lu)", size);
	memset((void *)TEST_VA_A, 0, 8192);
	ok_err(fs_read(srv, h, 0, 4096, 0, &size), E_OK, "fswrap: read it back");
	ok(size == 3000 && ((volatile uint8_t *)TEST_VA_A)[2999] == 0x5a, "fswrap: its bytes are intact");
	fs_close(srv, h);
	ok_err(fs_remove(srv, "/wrap.bin"), E_OK, "fswrap: remove it");
}

static void test_fpu(void)
{
	uint16_t fcw = 0x037f & ~0x4, fsw = 0;          /* ZM unmasked */
	uint32_t mxcsr = 0x003f, back = 0;              /* all unmasked, all flags set */

	__asm__ volatile("fninit; fldcw %0; fldz; fld1; fdivp" : : "m"(fcw));   /* 1/0: pending */
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	for (unsigned i = 0; i < 200; i++)
		tap_sleep(i % 2 ? 1 : 0);               /* switched away and back */
	__asm__ volatile("fnstsw %0; stmxcsr %1" : "=m"(fsw), "=m"(back));
	ok(fsw & 0x80, "fpu: the x87 exception is still pending (fsw %x)", fsw);
	ok(back == mxcsr, "fpu: MXCSR as loaded (%x)", back);
	__asm__ volatile("fnclex; fninit");
	mxcsr = 0x1f80;
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "blk", test_blk },
		{ "file", test_file },
		{ "ram", test_ram },
		{ "fsfill", test_fsfill },
		{ "fswait", test_fswait },
		{ "fsreuse", test_fsreuse },
		{ "fswrap", test_fswrap },
		{ "fpu", test_fpu },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("srvattack");
}
