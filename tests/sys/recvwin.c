/* SPDX-License-Identifier: MIT */
/*
 * Receive windows (issue 8, class 1). A server that waits for anyone must
 * accept no mapping from anyone: "servers" sends a map item of its own
 * page to init, sigma0 and the copy-on-write pager while each waits, and
 * checks that none of their spaces took it (their kernel memory does not
 * move: no node, no page table). "kernel" checks the rule the kernel
 * enforces underneath: an open receive (from TID_ANY) gets no mapping
 * whatever its window, unless the window says BR0_FROM_ANY; a receive from
 * the sender by name gets it -- whether the receiver or the sender came
 * first.
 */
#include "agent.h"
#include <layout.h>

#define ATTACK_LABEL 0x6a6a
#define MAGIC 0x5eca77ac4ed00001ull
/* Lands 960 GiB into a 2^40 window: fresh page tables wherever it falls. */
#define ATTACK_HOT 0xf000000000ull

/* Tries of the measured attack, each at a fresh hot spot (1 GiB apart). */
#define ATTACK_TRIES 20

/* Send `server` a message of an unknown label with one map item of fp
 * (hot spot `hot`) and wait for its (error) answer. */
static word_t attack(word_t server, word_t fp, word_t hot)
{
	msg_tag(ATTACK_LABEL, 0, 2);
	msg_map_item(1, hot, fp, false);
	msg_accept(FPAGE_NIL);
	return ipc_call(server);
}

static void attack_server(const char *name, word_t server)
{
	word_t before, after, err, page = fpage_make(USER_HEAP_BASE, 12, FPAGE_RW);

	*(volatile word_t *)USER_HEAP_BASE = MAGIC;   /* ours, mapped, before we measure */
	attack(server, FPAGE_NIL, ATTACK_HOT);         /* the same path once, mapping nothing */
	/* The server's kernel memory also moves when it serves the other
	 * tasks meanwhile: init's grows by a node for each frame it takes from
	 * sigma0 for their faults, and they get a turn whenever init's reply
	 * leaves us at the back of our queue (the same growth shows around an
	 * attack without a map item). So a try may be disturbed; each try maps
	 * to a fresh place, where a taken mapping would need new page tables
	 * and a node: it would move the figure in every try. */
	for (unsigned i = 0; i < ATTACK_TRIES; i++) {
		before = tap_kmem_used(server);
		err = attack(server, page, ATTACK_HOT + ((word_t)i << 30));
		after = tap_kmem_used(server);
		if (err || after == before)
			break;
	}
	ok_err(err, E_OK, name);
	ok(after == before, "%s's space took no mapping from us (kernel memory %lu -> %lu bytes)",
	   name, before, after);
}

static void test_servers(void)
{
	attack_server("init", libmap_exit_to);
	attack_server("sigma0", libmap_kip->sigma0_id);
	attack_server("the cow pager", tap_task_tid(0));
	ok(*(volatile word_t *)USER_HEAP_BASE == MAGIC, "our page is still ours");
}

/* ---- the kernel's rule ---- */

static struct agent r, s;

/* Receiver r waits for `from` with `window`; we then send it our page. */
static bool give_after(word_t from, word_t window)
{
	struct agent_msg m;
	word_t err;

	if (agent_post(&r, AG_IPC, 5, TID_NIL, from, timeouts(0, AGENT_WAIT_US), window,
		       tag_make(0, 0, 0)) ||
	    !agent_blocked(&r, EXREG_STATE_RECEIVING))
		return false;
	msg_tag(0, 0, 2);
	msg_map_item(1, TEST_VA_B, fpage_make(TEST_VA_A, 12, FPAGE_RW), false);
	err = ipc_send(r.tid, AGENT_WAIT_US);
	return agent_wait(&r, &m) == AGENT_DONE && err == E_OK && m.mr[1] == E_OK;
}

/* Sender s blocks sending our page (mapped to it) to r first; r then
 * receives from `from` with `window` and takes the message. */
static bool give_before(word_t from, word_t window)
{
	struct agent_msg m;
	word_t w0 = TEST_VA_B | ITEM_MAP, fp = fpage_make(TEST_VA_A, 12, FPAGE_RW);
	bool done;

	if (agent_post(&s, AG_IPC, 7, r.tid, TID_NIL, timeouts(AGENT_WAIT_US, 0), FPAGE_NIL,
		       tag_make(0, 0, 2), w0, fp) ||
	    !agent_blocked(&s, EXREG_STATE_SENDING))
		return false;
	done = agent_cmd(&r, &m, AG_IPC, 5, TID_NIL, from, timeouts(0, AGENT_WAIT_US), window,
			 tag_make(0, 0, 0)) == AGENT_DONE && m.mr[1] == E_OK;
	return agent_wait(&s, &m) == AGENT_DONE && m.mr[1] == E_OK && done;
}

static bool has_page(void)
{
	word_t v = 0;

	return agent_read(&r, TEST_VA_B, &v) && v == MAGIC;
}

static void unmap_b(void)
{
	agent_unmap(&r, UNMAP_FLUSH, fpage_make(TEST_VA_B, 12, FPAGE_RWX), NULL);
}

static void test_kernel(void)
{
	word_t complete = FPAGE_COMPLETE, win = fpage_make(TEST_VA_B, 12, 0);

	tap_frame(TEST_VA_A, MAGIC);
	ok(agent_start(&s, 1, 1, false), "sender agent S (our space)");
	ok(agent_start(&r, 0, 1, true), "receiver agent R (a new space)");
	ok(give_after(TID_ANY, complete) && !has_page(),
	   "open receive, complete window: the message arrives, the mapping does not");
	ok(give_after(TID_ANY, win) && !has_page(), "open receive, one-page window: nothing mapped");
	ok(give_after(libmap_myself, win) && has_page(), "receive from the sender by name: mapped");
	unmap_b();
	ok(give_after(TID_ANY, complete | BR0_FROM_ANY) && has_page(),
	   "open receive whose window says BR0_FROM_ANY: mapped");
	unmap_b();
	ok(give_before(TID_ANY, complete) && !has_page(),
	   "sender first, then an open receive: nothing mapped");
	ok(give_before(s.tid, complete) && has_page(), "sender first, received by name: mapped");
	unmap_b();
	ok_err(agent_stop(&r), E_OK, "delete R and its space");
	ok_err(agent_stop(&s), E_OK, "delete S");
}

int main(int argc, char **argv)
{
	static const struct tap_case cases[] = {
		{ "servers", test_servers },
		{ "kernel", test_kernel },
	};

	tap_run(cases, ARRAY_SIZE(cases), argc, argv);
	return tap_done("recvwin");
}
