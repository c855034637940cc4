/* SPDX-License-Identifier: MIT */
/*
 * Eviction and a backing store with libmap (docs/writing-a-pager.md): a
 * pager that keeps at most SWAP_RESIDENT heap pages of each client in
 * frames, and the rest in a store in its own memory, the way a file pager
 * keeps file pages in a bounded cache and the rest on disk.
 *
 * A heap fault beyond the bound takes the oldest resident page away
 * (pager_page_take: out of the client's table, every mapping revoked, its
 * accessed/dirty status returned); a dirty page is copied to the store, a
 * clean one is simply dropped (the store, or zero-fill, still holds what
 * it had). A page faulted back in is copied from the store into a frame
 * (maybe another one) whose status is then reset, so that only the
 * client's writes count as dirty. PAGER_RELEASE frees the store's copies
 * of the range in the release hook. Stack and bss are not evicted.
 */
#include <pager.h>
#include <layout.h>

#define SWAP_RESIDENT 4                      /* heap frames per client */
#define SWAP_STORE 64                        /* pages in the store, all clients */

struct swap_slot {
	struct pager_client *c;              /* NULL: free */
	word_t va;
	uint8_t data[4096];
};

static struct swap_slot swap_store[SWAP_STORE];
static struct {
	word_t va[SWAP_RESIDENT];            /* the client's resident heap pages, oldest first */
	unsigned n;
} swap_fifo[PAGER_CLIENTS_MAX];
static word_t swap_evicted, swap_written, swap_restored, swap_released;

static struct swap_slot *swap_find(struct pager_client *c, word_t va)
{
	for (unsigned i = 0; i < SWAP_STORE; i++)
		if (swap_store[i].c == c && swap_store[i].va == va)
			return &swap_store[i];
	return NULL;
}

static struct swap_slot *swap_free_slot(void)
{
	for (unsigned i = 0; i < SWAP_STORE; i++)
		if (!swap_store[i].c)
			return &swap_store[i];
	return NULL;
}

static unsigned swap_index(struct pager *p, struct pager_client *c)
{
	return (unsigned)(c - p->client);
}

/* Take the oldest resident heap page of c away; keep it in the store if
 * it is dirty (a clean page is in the store already, or is zeros). False
 * if the store has no room for it (the page then stays). */
static bool swap_evict(struct pager *p, struct pager_client *c)
{
	unsigned k = swap_index(p, c), status;
	word_t va = swap_fifo[k].va[0], frame;
	struct swap_slot *s = swap_find(c, va);

	if (!s && !(s = swap_free_slot()))
		return false;
	if (!pager_page_take(c, va, &frame, &status))
		return false;
	if (status & FPAGE_W) {
		s->c = c;
		s->va = va;
		memcpy(s->data, (void *)frame, 4096);
		swap_written++;
	}
	pager_frame_put(frame);
	swap_evicted++;
	memmove(&swap_fifo[k].va[0], &swap_fifo[k].va[1], (SWAP_RESIDENT - 1) * sizeof(word_t));
	swap_fifo[k].n--;
	return true;
}

/* A frame for c's heap page va: its stored contents, or zeros. */
static word_t swap_fill(struct pager *p, struct pager_client *c, word_t va)
{
	struct swap_slot *s = swap_find(c, va);
	word_t frame = pager_frame_alloc(p, !s);

	if (frame && s) {
		memcpy((void *)frame, s->data, 4096);
		swap_restored++;
	}
	if (frame)
		pager_revoke_status(frame, 0);       /* our own writes do not count */
	return frame;
}

static word_t swap_fault(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
			 unsigned *rights)
{
	word_t va = ALIGN_DOWN(addr, 4096), frame;
	unsigned k = swap_index(p, c);

	if (pager_page_lookup(c, va, &frame, rights))
		return frame;
	if (va - USER_HEAP_BASE >= USER_HEAP_SIZE || !pager_client_region(c, va, rights))
		return pager_fault_default(p, c, addr, access, rights);
	if (swap_fifo[k].n == SWAP_RESIDENT && !swap_evict(p, c))
		return 0;
	if (!(frame = swap_fill(p, c, va)))
		return 0;
	if (!pager_page_insert(p, c, va, frame, *rights)) {
		pager_frame_put(frame);
		return 0;
	}
	swap_fifo[k].va[swap_fifo[k].n++] = va;
	return frame;
}

/* PAGER_RELEASE: the store's copies and the resident list of the range
 * go; the framework then drops the resident pages. */
static word_t swap_release(struct pager *p, struct pager_client *c, word_t va, word_t size)
{
	unsigned k = swap_index(p, c), n = 0;

	for (unsigned i = 0; i < SWAP_STORE; i++)
		if (swap_store[i].c == c && swap_store[i].va - va < size) {
			swap_store[i].c = NULL;
			swap_released++;
		}
	for (unsigned i = 0; i < swap_fifo[k].n; i++)
		if (swap_fifo[k].va[i] - va >= size)
			swap_fifo[k].va[n++] = swap_fifo[k].va[i];
	swap_fifo[k].n = n;
	return E_OK;
}

static word_t swap_client_new(struct pager *p, struct pager_client *c)
{
	swap_fifo[swap_index(p, c)].n = 0;
	return E_OK;
}

static void swap_client_exit(struct pager *p, struct pager_client *c)
{
	swap_release(p, c, 0, ~(word_t)0);
}

static const struct pager_ops swap_ops = {
	.fault = swap_fault,
	.client_exit = swap_client_exit,
	.client_new = swap_client_new,
	.release = swap_release,
};

int main(int argc, char **argv)
{
	static struct pager p;
	int status;

	(void)argc;
	(void)argv;
	pager_init(&p, "swap", &swap_ops);
	status = pager_run(&p);
	printf("swap: %lu evicted, %lu written back, %lu restored, %lu store pages released\n",
	       swap_evicted, swap_written, swap_restored, swap_released);
	return status;
}
