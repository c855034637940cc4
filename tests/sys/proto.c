/* SPDX-License-Identifier: MIT */
/*
 * The user-level protocols with bad values: the sigma0 protocol (argument
 * "sigma0") and the protocol every libmap pager serves its clients
 * (argument "pager", run as a client of pagers/zero). Every malformed or
 * unauthorised request is refused with its error, and the server goes on.
 */
#include "tap.h"
#include <layout.h>
#include <sigma0.h>
#include <fork.h>

#define WIN_VA (USER_HEAP_BASE + 0x20000000)

/* Call `server` with label and two words; the error of the reply (the
 * sigma0 convention: SIGMA0_REPLY_ERROR with the code in MR1). */
static word_t request(word_t server, word_t label, word_t w1, word_t w2, word_t window)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(label, 2, 0);
	u->mr[1] = w1;
	u->mr[2] = w2;
	msg_accept(window);
	if ((err = ipc_call(server)))
		return err;
	return tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR ? u->mr[1] : E_OK;
}

/* Call `server` with a label and no words: what it needs must not come
 * from the words of an earlier message. The words are set to values that
 * would succeed, as a stale earlier message may have left them. */
static word_t short_request(word_t server, word_t label)
{
	struct utcb *u = utcb();
	word_t err;

	msg_tag(label, 0, 0);
	u->mr[1] = label == SIGMA0_LABEL_ANY ? 12 : USER_HEAP_BASE;
	u->mr[2] = label == SIGMA0_LABEL_ANY ? FPAGE_RW : 4096;
	msg_accept(FPAGE_NIL);
	if ((err = ipc_call(server)))
		return err;
	return tag_label(u->mr[0]) == SIGMA0_REPLY_ERROR ? u->mr[1] : E_OK;
}

/* A physical page the kernel keeps for itself (sigma0 does not own it). */
static word_t kernel_page(void)
{
	struct kip *k = libmap_kip;

	for (unsigned i = 0; i < k->memdesc_count; i++)
		if (k->memdesc[i].type == KIP_MEM_KERNEL)
			return k->memdesc[i].base;
	return 0;
}

static void test_sigma0(void)
{
	word_t s0 = libmap_kip->sigma0_id, win = fpage_make(WIN_VA, 12, 0), pa = 0, kpa = kernel_page();
	word_t free_before = 0, free_after = 0, given_before = 0, given_after = 0;

	ok_err(request(s0, SIGMA0_LABEL_ANY, 11, FPAGE_RW, win), E_BAD_ARGUMENT, "ANY of 2^11 bytes");
	ok_err(request(s0, SIGMA0_LABEL_ANY, 12, 0, win), E_BAD_ARGUMENT, "ANY without rights");
	ok_err(request(s0, SIGMA0_LABEL_ANY, 31, FPAGE_RW, win), E_BAD_ARGUMENT, "ANY of 2^31 bytes");
	ok_err(request(s0, SIGMA0_LABEL_ANY, 29, FPAGE_RW, fpage_make(WIN_VA, 29, 0)), E_NO_MEMORY,
	       "ANY of 512 MiB, more than the machine has");
	ok_err(sigma0_alloc(12, FPAGE_RW, win, &pa), E_OK, "ANY of one page");
	ok_err(request(s0, SIGMA0_LABEL_PHYS, fpage_make(pa, 12, FPAGE_RW), 0, win), E_EXISTS,
	       "PHYS of a frame already handed out");
	ok_err(request(s0, SIGMA0_LABEL_PHYS, fpage_make(pa, 11, FPAGE_RW), 0, win), E_BAD_FPAGE,
	       "PHYS of a malformed fpage");
	ok_err(request(s0, SIGMA0_LABEL_PHYS, fpage_make(kpa, 12, FPAGE_RW), 0, win), E_EXISTS,
	       "PHYS of the kernel's own memory");
	ok_err(request(s0, SIGMA0_LABEL_DEVICE, fpage_make(pa, 12, FPAGE_RW), 0, win), E_EXISTS,
	       "DEVICE on RAM");
	ok_err(request(s0, SIGMA0_LABEL_DEVICE, fpage_make(0x1000, 13, FPAGE_RW), 0, win), E_BAD_FPAGE,
	       "DEVICE of a malformed fpage");
	ok_err(request(s0, SIGMA0_LABEL_FREE, fpage_make(kpa, 12, 0), 0, FPAGE_NIL), E_NO_PRIVILEGE,
	       "FREE of a frame we do not own");
	ok_err(request(s0, SIGMA0_LABEL_FREE, fpage_make(pa, 40, 0), 0, FPAGE_NIL), E_BAD_FPAGE,
	       "FREE of an fpage beyond RAM");
	ok_err(request(s0, SIGMA0_LABEL_RECLAIM, libmap_myself, 0, FPAGE_NIL), E_NO_PRIVILEGE,
	       "RECLAIM from anyone but the root task");
	ok_err(request(s0, SIGMA0_LABEL_DEVICES, libmap_myself, 0, FPAGE_NIL), E_NO_PRIVILEGE,
	       "DEVICES from anyone but the root task");
	ok_err(request(s0, 0x5399, 0, 0, FPAGE_NIL), E_BAD_ARGUMENT, "an unknown request");
	ok_err(short_request(s0, SIGMA0_LABEL_FREE), E_BAD_ARGUMENT, "FREE without its word");
	ok_err(short_request(s0, SIGMA0_LABEL_PHYS), E_BAD_ARGUMENT, "PHYS without its word");
	ok_err(short_request(s0, SIGMA0_LABEL_ANY), E_BAD_ARGUMENT, "ANY without its words");
	/* Other tasks (the zero pager) take and give frames meanwhile: free
	 * plus given is what stays constant, and the frame itself must be
	 * free again (next-fit does not come back to it soon). */
	sigma0_stats(&free_before, &given_before);
	ok_err(sigma0_free(pa, 12), E_OK, "FREE of our own frame");
	ok_err(sigma0_free(pa, 12), E_NO_PRIVILEGE, "and a second FREE of it");
	sigma0_stats(&free_after, &given_after);
	ok(free_after + given_after == free_before + given_before,
	   "sigma0's free and given bytes still add up");
	ok_err(request(s0, SIGMA0_LABEL_PHYS, fpage_make(pa, 12, FPAGE_RW), 0, win), E_OK,
	       "sigma0 counts the page free again: PHYS of it");
	ok_err(sigma0_free(pa, 12), E_OK, "and FREE of it");
	ok_err(sigma0_alloc(12, FPAGE_RW, win, &pa), E_OK, "sigma0 still serves");
	ok_err(sigma0_free(pa, 12), E_OK, "and takes it back");
}

static void test_pager(void)
{
	word_t pg = utcb()->pager, win = fpage_make(WIN_VA, 12, 0), frame = 0;
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;

	ok(pg != libmap_exit_to, "our pager is a pager task, not init");
	ok_err(request(pg, PAGER_CLIENT, libmap_myself, libmap_myself, FPAGE_NIL), E_NO_PRIVILEGE,
	       "PAGER_CLIENT from a client");
	ok_err(request(pg, PAGER_CLIENT_EXIT, libmap_myself, 0, FPAGE_NIL), E_NO_PRIVILEGE,
	       "PAGER_CLIENT_EXIT from a client");
	ok_err(request(pg, PAGER_SHUTDOWN, 0, 0, FPAGE_NIL), E_BAD_ARGUMENT,
	       "PAGER_SHUTDOWN from a client");
	ok_err(request(pg, PAGER_PAGE, libmap_myself, USER_HEAP_BASE, FPAGE_NIL), E_NO_PRIVILEGE,
	       "PAGER_PAGE from a client");
	ok_err(request(pg, PAGER_PAGE_SEND, 0, 0, FPAGE_NIL), E_BAD_ARGUMENT,
	       "PAGER_PAGE_SEND to a pager");
	ok_err(request(pg, SIGMA0_LABEL_ANY, 13, FPAGE_RW, win), E_BAD_ARGUMENT, "ANY of 8 KiB");
	ok_err(request(pg, SIGMA0_LABEL_ANY, 12, 0, win), E_BAD_ARGUMENT, "ANY without rights");
	ok_err(memsrv_alloc(pg, 12, FPAGE_RW, win, &frame), E_OK, "ANY of one page");
	ok_err(memsrv_free(pg, frame + 4096, 12), E_NO_PRIVILEGE, "FREE of a frame not lent to us");
	ok_err(memsrv_free(pg, frame, 12), E_OK, "FREE of the frame lent");
	ok_err(memsrv_free(pg, frame, 12), E_NO_PRIVILEGE, "and a second FREE of it");
	ok_err(request(pg, PAGER_RELEASE, USER_HEAP_BASE, 4095, FPAGE_NIL), E_BAD_ARGUMENT,
	       "PAGER_RELEASE of a partial page");
	ok_err(request(pg, PAGER_RELEASE, ~(word_t)0xfff, 8192, FPAGE_NIL), E_BAD_ARGUMENT,
	       "PAGER_RELEASE of a range that wraps");
	ok_err(request(pg, 0x7fff, 0, 0, FPAGE_NIL), E_BAD_ARGUMENT, "an unknown request");
	heap[0] = 42;
	/* leaves (0, USER_HEAP_BASE + 4096) in the pager's words 1 and 2 (the
	 * reply's error and our size): a release that took them would free
	 * our image and the heap page */
	ok_err(request(pg, PAGER_RELEASE, TEST_VA_C, USER_HEAP_BASE + 4096, FPAGE_NIL), E_OK,
	       "PAGER_RELEASE of a range where we have nothing");
	ok_err(short_request(pg, PAGER_RELEASE), E_BAD_ARGUMENT,
	       "PAGER_RELEASE without its words (the pager must not take stale ones)");
	ok(heap[0] == 42, "and our heap page is still there");
	ok_err(short_request(pg, SIGMA0_LABEL_ANY), E_BAD_ARGUMENT, "ANY without its words");
	ok_err(short_request(pg, LABEL_PAGEFAULT | FPAGE_R), E_BAD_ARGUMENT, "a fault message without its words");
	ok(fork() == FORK_FAILED, "fork() is refused by a pager without processes");
	heap[0] = 42;
	ok(heap[0] == 42, "the pager still serves our faults");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "sigma0", test_sigma0 },
		{ "pager", test_pager },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("proto");
}
