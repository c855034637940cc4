/* SPDX-License-Identifier: MIT */
/*
 * Kernel-memory quotas. The first instance lowers its own space's quota
 * with space_control, then creates threads and receives mappings until
 * the kernel says E_NO_MEMORY; meanwhile the second instance ("peer", an
 * ordinary task) keeps running and gets memory. After releasing memory
 * the first instance can allocate again. No failed call changes anything.
 *
 * The quota task must not page-fault while its quota is exhausted (the
 * page tables for a new page could not be charged), so it maps its image
 * and stack beforehand and keeps its data in bss.
 */
#include "agent.h"
#include <sigma0.h>

#define LABEL_GO 0x60
#define PEER_PAGES 32
#define HEADROOM (4 * 4096)

static struct agent r;

/* Free kernel memory as a whole (pool plus the mapdb's index). */
static word_t kfree(void)
{
	word_t index = 0, free = kdb_kmem_free(&index);

	return free + index;
}

static word_t tc_create(unsigned k)
{
	return sys_thread_control(tap_tid(k, 1), libmap_myself, TID_NIL, libmap_myself,
				  UTCB_AREA_BASE + (k + 1) * UTCB_SIZE, 0);
}

static word_t tc_delete(unsigned k)
{
	return sys_thread_control(tap_tid(k, 1), TID_NIL, TID_NIL, TID_NIL, 0, 0);
}

/* Threads until the quota says no; how many were made. */
static unsigned create_until_full(word_t *err)
{
	unsigned k = 1;

	while (k < 24 && !(*err = tc_create(k)))
		k++;
	return k - 1;
}

/* Map my page to R at TEST_VA_B + i pages until the quota says no (the
 * first needs page tables, each one a mapping node); how many went. */
static unsigned map_until_full(word_t *serr, word_t *rerr)
{
	unsigned i = 0;

	for (; i < 512; i++) {
		*serr = agent_give(&r, TEST_VA_A, fpage_make(TEST_VA_A, 12, FPAGE_R), false,
				   fpage_make(TEST_VA_B + i * 4096, 12, 0), rerr);
		if (*serr || *rerr)
			break;
	}
	return i;
}

/* The peer's run: get memory, work, and tell the quota task. */
static word_t peer_work(void)
{
	volatile word_t *heap = (volatile word_t *)USER_HEAP_BASE;
	word_t good = 0, free_bytes = 0;

	for (unsigned i = 0; i < PEER_PAGES; i++)
		heap[i * 512] = i + 1;
	for (unsigned i = 0; i < PEER_PAGES; i++)
		good += heap[i * 512] == i + 1;
	return good + (sigma0_stats(&free_bytes, NULL) == E_OK && free_bytes > 0);
}

static int peer(void)
{
	word_t q = tap_task_tid(0), from = TID_NIL, err;

	err = ipc_receive(q, 5000000, &from);
	if (!ok(err == E_OK && tag_label(utcb()->mr[0]) == LABEL_GO, "peer: the quota task says go"))
		return tap_done("quota peer");
	utcb()->mr[1] = peer_work();
	msg_tag(0, 1, 0);
	ok_err(ipc_send(q, TIMEOUT_ZERO), E_OK, "peer: reply");
	return tap_done("quota peer");
}

/* While my quota is exhausted, the peer runs and gets memory. */
static void peer_runs(void)
{
	word_t err;

	msg_tag(LABEL_GO, 0, 0);
	err = ipc_call(tap_task_tid(1));
	ok(err == E_OK && utcb()->mr[1] == PEER_PAGES + 1,
	   "meanwhile another task gets %u fresh pages and talks to sigma0 (%lu of %u, error %lx)",
	   PEER_PAGES, utcb()->mr[1], PEER_PAGES + 1, err);
}

static void test_quota(void)
{
	word_t quota = tap_kmem_quota(libmap_myself), used, free0, serr, rerr, err, pa;
	unsigned n, m;

	pa = tap_frame(TEST_VA_A, 0x9a9a);
	ok(agent_start(&r, 0, 1, false), "agent R (my space) to receive mappings");
	used = tap_kmem_used(libmap_myself);
	ok_err(sys_space_control(libmap_myself, SC_SET_QUOTA, used + HEADROOM, NULL), E_OK,
	       "lower my quota to what I use + 16 KiB");
	ok(tap_kmem_quota(libmap_myself) == used + HEADROOM, "quota now %lu",
	   tap_kmem_quota(libmap_myself));

	n = create_until_full(&err);
	ok(n >= 1 && n <= 2 && err == E_NO_MEMORY,
	   "thread creation fails with E_NO_MEMORY after %u threads (error %lx)", n, err);
	used = tap_kmem_used(libmap_myself);
	free0 = kfree();
	ok_err(tc_create(n + 1), E_NO_MEMORY, "and again");
	ok(tap_kmem_used(libmap_myself) == used && kfree() == free0,
	   "the failed calls took no kernel memory");
	ok(used <= tap_kmem_quota(libmap_myself) && kdb_check() == E_OK,
	   "usage stays within the quota; the invariants hold");
	peer_runs();
	ok_err(tc_delete(n), E_OK, "delete one thread");
	ok_err(tc_create(n), E_OK, "the quota works again: a thread can be created");
	for (unsigned k = n; k >= 1; k--)
		tc_delete(k);

	m = map_until_full(&serr, &rerr);
	ok(m >= 1 && m < 512 && serr == E_NO_MEMORY && rerr == (E_NO_MEMORY | IPC_ERR_RECV_PHASE),
	   "mapping to R fails after %u pages: sender %lx, receiver %lx (E_NO_MEMORY)", m, serr,
	   rerr);
	ok(!agent_read(&r, TEST_VA_B + m * 4096, &err) && r.fault_addr == TEST_VA_B + m * 4096,
	   "the failed map left nothing behind");
	ok(agent_read(&r, TEST_VA_B + (m - 1) * 4096, &err) && err == 0x9a9a,
	   "the last successful one is there");
	ok(tap_kmem_used(libmap_myself) <= tap_kmem_quota(libmap_myself) && kdb_check() == E_OK,
	   "usage within the quota; the invariants hold");
	utcb()->mr[0] = fpage_make(TEST_VA_A, 12, FPAGE_RWX);
	ok_err(sys_unmap(0), E_OK, "I revoke all R's mappings: their nodes are freed");
	serr = agent_give(&r, TEST_VA_A, fpage_make(TEST_VA_A, 12, FPAGE_R), false,
			  fpage_make(TEST_VA_B + m * 4096, 12, 0), &rerr);
	ok(serr == E_OK && rerr == E_OK && agent_read(&r, TEST_VA_B + m * 4096, &err) &&
	   err == 0x9a9a, "mapping works again, where it failed (%lx, %lx)", serr, rerr);

	ok_err(sys_space_control(libmap_myself, SC_SET_QUOTA, quota, NULL), E_OK,
	       "restore my quota");
	ok_err(tc_create(1), E_OK, "a thread can be created");
	ok_err(tc_delete(1), E_OK, "and deleted");
	ok_err(agent_stop(&r), E_OK, "delete R");
	ok_err(sigma0_free(pa, 12), E_OK, "frame back to sigma0");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "peer"))
		return peer();
	tap_prefault(32 * 4096);
	test_quota();
	return tap_done("quota");
}
