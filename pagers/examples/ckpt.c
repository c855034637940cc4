/* SPDX-License-Identifier: MIT */
/*
 * An incremental-checkpoint pager: it learns which pages each client wrote
 * since its last checkpoint from write faults alone, the way a
 * checkpointing runtime uses mprotect and SIGSEGV (Appel and Li's "dirty
 * bit" idiom), but in a pager that stacks on any other.
 *
 * How it works. Every writable page of a client is first mapped without
 * W, whatever the access that brought it in (a read fault; a write fault
 * is the other way in). The first write to it faults; the hook records
 * the page as dirty in the client's list and answers with the same frame
 * and W: the kernel upgrades the mapping in place (docs/abi.md §10.2), so
 * no copy is made and no other write of the page faults. CKPT_CHECKPOINT
 * (include/pagoda/proto.h, docs/abi.md §16.8) reports the dirty pages of
 * a range, ascending, CKPT_BATCH per call, and revokes W from each with
 * one batched unmap of their frames before the list forgets them: the
 * next write to any of them faults again and lands in the next
 * checkpoint. A page the client gives back (PAGER_RELEASE) is dirty too
 * if it held anything but zeros: it reads as zeros from then on.
 *
 * The dirty list of a client is a sorted array of page addresses (binary
 * search on each write fault, ordered output for free) of at most N pages
 * (`pagers/examples/ckpt N` in boot.cfg, 1..2048; 2048 without). When it is full
 * a write fault to a new page is refused (PAGER_REFUSE_NO_MEMORY) rather
 * than let a write go unrecorded; the client's exception handler hears
 * why. Frames come from the pager below through the framework's pool.
 */
#include <pager.h>
#include <layout.h>

#define CKPT_PAGE 4096ull
#define CKPT_DIRTY_MAX 2048     /* dirty pages recorded per client, at most */
#define CKPT_USER_TOP (1ull << 47)

/* One client's dirty list: page addresses, ascending, distinct. Owned by
 * the pager thread; indexed like the framework's client slots. */
struct ckpt_list {
	word_t n;
	word_t page[CKPT_DIRTY_MAX];
};

static struct ckpt_list ckpt_lists[PAGER_CLIENTS_MAX];
static word_t ckpt_limit = CKPT_DIRTY_MAX;   /* argv[1], or the most */
static word_t ckpt_first_writes, ckpt_checkpoints, ckpt_reported, ckpt_refused;

/* The dirty list of client c. */
static struct ckpt_list *ckpt_list_of(struct pager *p, struct pager_client *c)
{
	return &ckpt_lists[c - p->client];
}

/* Index of the first entry of l at or above va (l->n if none). */
static word_t ckpt_find(const struct ckpt_list *l, word_t va)
{
	word_t lo = 0, hi = l->n;

	while (lo < hi) {
		word_t mid = lo + (hi - lo) / 2;

		if (l->page[mid] < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool ckpt_is_dirty(const struct ckpt_list *l, word_t va)
{
	word_t i = ckpt_find(l, va);

	return i < l->n && l->page[i] == va;
}

/* Record va as dirty. False if the list is full (and va not in it). */
static bool ckpt_mark(struct ckpt_list *l, word_t va)
{
	word_t i = ckpt_find(l, va);

	if (i < l->n && l->page[i] == va)
		return true;
	if (l->n == ckpt_limit)
		return false;
	memmove(&l->page[i + 1], &l->page[i], (l->n - i) * sizeof(word_t));
	l->page[i] = va;
	l->n++;
	ckpt_first_writes++;
	return true;
}

/* Fault hook: the framework's page (mapped before, or fresh and zeroed),
 * without W until the page is written, then with W and on the list. */
static word_t ckpt_fault(struct pager *p, struct pager_client *c, word_t addr, unsigned access,
			 unsigned *rights)
{
	struct ckpt_list *l = ckpt_list_of(p, c);
	word_t va = ALIGN_DOWN(addr, CKPT_PAGE);
	word_t frame = pager_fault_default(p, c, addr, access, rights);

	if (!frame || !(*rights & FPAGE_W))
		return frame;
	if (access & FPAGE_W) {
		if (!ckpt_mark(l, va)) {
			ckpt_refused++;
			p->refusal = PAGER_REFUSE_NO_MEMORY;
			return 0;
		}
	} else if (!ckpt_is_dirty(l, va)) {
		*rights &= ~FPAGE_W;
	}
	return frame;
}

/* A refusal in the framework's convention: label SIGMA0_REPLY_ERROR,
 * MR1 = err. */
static bool ckpt_error(word_t err)
{
	pager_refuse(err, NULL);
	return true;
}

/* Refuse a boot.cfg option, with the reason init prints (§16.3b). */
static bool ckpt_no_option(void)
{
	pager_refuse(E_BAD_ARGUMENT, "the checkpoint pager takes no options");
	return true;
}

/* Revoke W from c's frames of pages [first, end) of l: one unmap of up to
 * CKPT_BATCH fpages (their status is not needed). Pages c no longer has
 * (released) have no frame to protect. */
static void ckpt_protect(struct pager_client *c, const struct ckpt_list *l, word_t first,
			 word_t end)
{
	struct utcb *u = utcb();
	unsigned k = 0, rights;
	word_t frame;

	for (word_t i = first; i < end; i++)
		if (pager_page_lookup(c, l->page[i], &frame, &rights))
			u->mr[k++] = fpage_make(frame, 12, FPAGE_W);
	if (k)
		sys_unmap(k - 1);
}

/* CKPT_CHECKPOINT of [lo, hi) for c (decoded): protect and report the
 * first CKPT_BATCH dirty pages there, and drop them from the list. */
static bool ckpt_checkpoint(struct pager *p, struct pager_client *c, word_t lo, word_t hi)
{
	struct ckpt_list *l = ckpt_list_of(p, c);
	struct utcb *u = utcb();
	word_t first = ckpt_find(l, lo), end = first, n;

	while (end < l->n && l->page[end] < hi && end - first < CKPT_BATCH)
		end++;
	n = end - first;
	ckpt_protect(c, l, first, end);
	msg_tag(0, (unsigned)(2 + n), 0);
	u->mr[1] = n;
	u->mr[2] = end < l->n && l->page[end] < hi ? l->page[end] : 0;
	memcpy(&u->mr[3], &l->page[first], n * sizeof(word_t));
	memmove(&l->page[first], &l->page[end], (l->n - end) * sizeof(word_t));
	l->n -= n;
	ckpt_checkpoints++;
	ckpt_reported += n;
	return true;
}

/* Request hook: CKPT_CHECKPOINT from a client; everything else refused. */
static bool ckpt_request(struct pager *p, word_t from, word_t label)
{
	struct utcb *u = utcb();
	struct pager_client *c;
	word_t lo = u->mr[1], hi = u->mr[2];

	if (label == PAGER_OPTION)
		return ckpt_no_option();
	if (label != CKPT_CHECKPOINT)
		return ckpt_error(E_BAD_ARGUMENT);
	if (!(c = pager_client_find(p, from)))
		return ckpt_error(E_BAD_THREAD);
	if (tag_u(u->mr[0]) < 2 || lo % CKPT_PAGE || hi % CKPT_PAGE || lo >= hi ||
	    hi > CKPT_USER_TOP)
		return ckpt_error(E_BAD_ARGUMENT);
	return ckpt_checkpoint(p, c, lo, hi);
}

/* True if the frame holds nothing but zeros. */
static bool ckpt_frame_zero(word_t frame)
{
	const word_t *w = (const word_t *)frame;

	for (unsigned i = 0; i < CKPT_PAGE / sizeof(word_t); i++)
		if (w[i])
			return false;
	return true;
}

/* PAGER_RELEASE: the writable pages c has in [lo, hi) will read as zeros,
 * so those that hold anything else change: they are dirty. page_each has
 * no context argument: these carry it. */
static word_t ckpt_release_lo, ckpt_release_hi, ckpt_release_err;

static void ckpt_release_page(struct pager *p, struct pager_client *c, word_t va, word_t frame,
			      unsigned rights)
{
	if ((rights & PAGER_PAGE_LENT) || !(rights & FPAGE_W))
		return;
	if (va < ckpt_release_lo || va >= ckpt_release_hi || ckpt_frame_zero(frame))
		return;
	if (!ckpt_mark(ckpt_list_of(p, c), va))
		ckpt_release_err = E_NO_MEMORY;
}

static word_t ckpt_release(struct pager *p, struct pager_client *c, word_t va, word_t size)
{
	ckpt_release_lo = va;
	ckpt_release_hi = va + size;
	ckpt_release_err = E_OK;
	pager_page_each(p, c, ckpt_release_page);
	return ckpt_release_err;
}

static word_t ckpt_client_new(struct pager *p, struct pager_client *c)
{
	ckpt_list_of(p, c)->n = 0;
	return E_OK;
}

static void ckpt_client_exit(struct pager *p, struct pager_client *c)
{
	ckpt_list_of(p, c)->n = 0;
}

static const struct pager_ops ckpt_ops = {
	.fault = ckpt_fault,
	.request = ckpt_request,
	.client_new = ckpt_client_new,
	.client_exit = ckpt_client_exit,
	.release = ckpt_release,
};

/* argv[1], if any: the dirty pages recorded per client, 1..CKPT_DIRTY_MAX.
 * False if it is not such a number. */
static bool ckpt_args(int argc, char **argv)
{
	word_t n = 0;

	if (argc < 2)
		return true;
	for (const char *d = argv[1]; *d; d++) {
		if (*d < '0' || *d > '9' || n > CKPT_DIRTY_MAX)
			return false;
		n = n * 10 + (word_t)(*d - '0');
	}
	ckpt_limit = n;
	return argc == 2 && n >= 1 && n <= CKPT_DIRTY_MAX;
}

int main(int argc, char **argv)
{
	static struct pager p;
	int status;

	if (!ckpt_args(argc, argv)) {
		printf("ckpt: usage: pagers/examples/ckpt [N], N = 1..%u dirty pages per client\n",
		       CKPT_DIRTY_MAX);
		return 1;
	}
	pager_init(&p, "ckpt", &ckpt_ops);
	printf("ckpt: checkpoint pager %lx ready, %lu dirty pages per client\n", libmap_myself,
	       ckpt_limit);
	status = pager_run(&p);
	printf("ckpt: %lu faults, %lu first writes, %lu checkpoints reported %lu pages, "
	       "%lu writes refused\n",
	       p.faults, ckpt_first_writes, ckpt_checkpoints, ckpt_reported, ckpt_refused);
	return status;
}
