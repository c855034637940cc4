/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk driver: a user task that owns the disk and serves the
 * block protocol (include/pagoda/blk.h, docs/abi.md §16.5).
 *
 * How it works. At start the driver maps PCI configuration space (ECAM),
 * finds the modern virtio-blk function (1af4:1042), places and maps its
 * BARs, takes 16 KiB of DMA memory from sigma0 (whose reply names the
 * physical address), attaches its thread to a free kernel MSI line and
 * brings the device up with queue 0 raising that line through MSI-X entry
 * 0 (drivers/virtio.c). Then it runs the libmap pager loop: it is the pager
 * of its clients (boot.cfg `pager=drivers/blk`), which is how a client
 * finds it and how it learns of their end and of the shutdown; the block
 * requests and the interrupts reach it through the loop's request hook.
 * Only those clients are served: the disk holds every task's files, so a
 * task that is not one gets no sector, no buffer (docs/security.md).
 *
 * Each client gets one buffer of BLK_BUF_SIZE bytes, physically contiguous
 * (one sigma0 `ANY` of 2^18), mapped read-write into the client on SHARE;
 * the device moves data between the disk and that buffer, so a request is
 * a (buffer offset, sector, count) triple and no data is copied.
 *
 * An IO call carries up to BLK_IO_MAX requests. Decoding checks every
 * request and changes nothing; then each request takes a *slot*: slot s
 * owns descriptors 3s (the 16-byte request header), 3s+1 (the data) and
 * 3s+2 (the status byte), so a used element's head names its slot. All
 * requests of a call go into the available ring before one doorbell
 * write, so they are in flight together, and calls of other clients
 * overlap theirs. The caller stays blocked in its call; the reply is sent
 * (timeout zero) when the interrupt handler has seen the last of its
 * requests complete. A call that finds too few free slots waits, in
 * arrival order, for earlier requests to finish. A client has at most
 * BLK_CALLS_PER_CLIENT calls in flight (BLK_E_LIMIT beyond: a client that
 * sends IO without waiting for the replies filled the table before), and
 * the table holds every client's share, so no client is refused because
 * of another.
 */
#include <pager.h>
#include <sigma0.h>
#include <pagoda/blk.h>
#include "virtio.h"

#define BLK_VENDOR 0x1af4
#define BLK_DEVICE 0x1042                    /* modern virtio-blk */
#define BLK_F_SIZE_MAX (1ull << 1)
#define BLK_F_FLUSH (1ull << 9)
#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4

#define BLK_DMA_VA 0x51000000000ul           /* queue, headers, status bytes */
#define BLK_DMA_LOG2 14
#define BLK_HDR_OFF 0x3000                   /* in the DMA memory */
#define BLK_STATUS_OFF 0x3800
#define BLK_BUF_VA 0x52000000000ul           /* client i's buffer at + i * BLK_BUF_SIZE */
#define BLK_CLIENTS_MAX 16
#define BLK_SLOTS 64
#define BLK_CALLS_MAX 16
_Static_assert(BLK_CALLS_MAX >= BLK_CLIENTS_MAX * BLK_CALLS_PER_CLIENT, "every client's share");
#define BLK_NONE 0xffff

struct blk_hdr {
	uint32_t type, ioprio;
	uint64_t sector;
};
_Static_assert(sizeof(struct blk_hdr) == 16, "virtio_blk_outhdr");

struct blk_client {
	word_t tid;                      /* TID_NIL: free */
	word_t pa;                       /* its buffer: physical, and at BLK_BUF_VA + i * size */
	unsigned calls;                  /* calls of its in flight */
	bool gone;                       /* ended: free the buffer once calls is 0 */
};

struct blk_call {
	bool used, started;
	word_t seq;                      /* arrival order */
	unsigned client, n, left;
	word_t op[BLK_IO_MAX], nsec[BLK_IO_MAX], off[BLK_IO_MAX], sector[BLK_IO_MAX];
	word_t result[BLK_IO_MAX];
};

static struct {
	bool ready;                      /* the device is up */
	struct virtio_dev v;
	word_t irq_tid, dma_pa;
	word_t capacity, max_bytes;      /* sectors; bytes per request */
	unsigned nslots, slots_busy, max_busy;
	unsigned calls_busy, max_calls;  /* calls started and not finished */
	uint16_t slot_call[BLK_SLOTS], slot_req[BLK_SLOTS];   /* BLK_NONE: free */
	word_t seq;
	word_t calls, requests, irqs;    /* statistics */
} blk;

static struct blk_client blk_client[BLK_CLIENTS_MAX];
static struct blk_call blk_call[BLK_CALLS_MAX];

/* ---- device bring-up ---- */

/* Attach to the first free MSI line; its message goes into the device. */
static bool blk_attach_irq(word_t *addr, word_t *data)
{
	for (unsigned n = 16; n < libmap_kip->irq_count; n++) {
		if (sys_irq_attach_msi(tid_irq(n), libmap_myself, addr, data) == E_OK) {
			blk.irq_tid = tid_irq(n);
			return true;
		}
	}
	return false;
}

static bool blk_dma_setup(void)
{
	word_t window = fpage_make(BLK_DMA_VA, BLK_DMA_LOG2, FPAGE_RW), err;

	err = sigma0_alloc(BLK_DMA_LOG2, FPAGE_RW, window, &blk.dma_pa);
	msg_accept(FPAGE_NIL);
	return err == E_OK;
}

static void blk_slots_init(void)
{
	blk.nslots = MIN(BLK_SLOTS, blk.v.qsize / 3);
	for (unsigned s = 0; s < BLK_SLOTS; s++)
		blk.slot_call[s] = BLK_NONE;
}

static const char *blk_device_init(void)
{
	word_t addr, data;
	volatile uint8_t *cfg;

	if (!pci_init())
		return "no PCI configuration space (ECAM)";
	if (!pci_find(BLK_VENDOR, BLK_DEVICE, &blk.v.pci))
		return "no virtio-blk device (1af4:1042)";
	if (!pci_map_bars(&blk.v.pci))
		return "cannot place or map its BARs";
	if (!blk_dma_setup())
		return "no DMA memory";
	if (!blk_attach_irq(&addr, &data))
		return "no free MSI line";
	if (!virtio_init(&blk.v, BLK_F_FLUSH | BLK_F_SIZE_MAX, VIRTIO_QUEUE_MAX, (void *)BLK_DMA_VA,
			 blk.dma_pa, addr, data))
		return "virtio set-up failed";
	cfg = blk.v.device;
	blk.capacity = *(volatile uint64_t *)cfg;
	blk.max_bytes = BLK_BUF_SIZE;
	if (blk.v.features & BLK_F_SIZE_MAX)
		blk.max_bytes = MIN(blk.max_bytes, ALIGN_DOWN((word_t)*(volatile uint32_t *)(cfg + 8), 512));
	blk_slots_init();
	if (blk.nslots < BLK_IO_MAX) {
		virtio_reset(&blk.v);
		return "its queue is too short for one call";
	}
	return NULL;
}

/* ---- replies ---- */

static void blk_fail(word_t err)
{
	msg_tag(SIGMA0_REPLY_ERROR, 1, 0);
	utcb()->mr[1] = err;
}

static void blk_on_info(void)
{
	struct utcb *u = utcb();

	msg_tag(0, 3, 0);
	u->mr[1] = blk.capacity;
	u->mr[2] = blk.max_bytes;
	u->mr[3] = BLK_BUF_SIZE;
}

/* ---- clients and their buffers ---- */

static int blk_client_find(word_t tid)
{
	for (unsigned i = 0; i < BLK_CLIENTS_MAX; i++)
		if (blk_client[i].tid == tid && !blk_client[i].gone)
			return (int)i;
	return -1;
}

static uint8_t *blk_buf(unsigned i)
{
	return (uint8_t *)(BLK_BUF_VA + i * BLK_BUF_SIZE);
}

/* A new client: a zeroed buffer of its own. */
static int blk_client_add(word_t tid)
{
	unsigned i;
	word_t window, err;

	for (i = 0; i < BLK_CLIENTS_MAX && blk_client[i].tid != TID_NIL; i++)
		;
	if (i == BLK_CLIENTS_MAX)
		return -1;
	window = fpage_make((word_t)blk_buf(i), BLK_BUF_LOG2, FPAGE_RW);
	err = sigma0_alloc(BLK_BUF_LOG2, FPAGE_RW, window, &blk_client[i].pa);
	msg_accept(FPAGE_NIL);                      /* accept no mapping from clients */
	if (err)
		return -1;
	memset(blk_buf(i), 0, BLK_BUF_SIZE);
	blk_client[i].tid = tid;
	blk_client[i].calls = 0;
	blk_client[i].gone = false;
	return (int)i;
}

/* Free a gone client's buffer once the device no longer uses it. */
static void blk_client_reap(unsigned i)
{
	if (!blk_client[i].gone || blk_client[i].calls)
		return;
	sigma0_free(blk_client[i].pa, BLK_BUF_LOG2);
	blk_client[i].tid = TID_NIL;
	blk_client[i].gone = false;
}

static void blk_on_share(word_t from)
{
	int i = blk_client_find(from);

	if (i < 0 && (i = blk_client_add(from)) < 0) {
		blk_fail(E_NO_MEMORY);
		return;
	}
	msg_tag(0, 0, 2);
	msg_map_item(1, 0, fpage_make((word_t)blk_buf((unsigned)i), BLK_BUF_LOG2, FPAGE_RW), false);
}

/* The pager framework: a client of ours as a pager has ended. */
static void blk_client_exit(struct pager *p, struct pager_client *c)
{
	int i = blk_client_find(c->tid);

	(void)p;
	if (i >= 0) {
		blk_client[i].gone = true;
		blk_client_reap((unsigned)i);
	}
}

/* ---- IO: decode ---- */

/* Check request i of the message; E_OK, or the error that refuses the call. */
static word_t blk_decode_req(struct blk_call *c, unsigned i)
{
	struct utcb *u = utcb();
	word_t w = u->mr[BLK_IO_MR_OP(i)], nsec = w >> BLK_OP_SHIFT, op = w & BLK_OP_MASK;
	word_t off = u->mr[BLK_IO_MR_OFFSET(i)], sector = u->mr[BLK_IO_MR_SECTOR(i)];

	c->op[i] = op;
	c->nsec[i] = nsec;
	c->off[i] = off;
	c->sector[i] = sector;
	if (op == BLK_OP_FLUSH)
		return nsec ? E_BAD_ARGUMENT : E_OK;
	if (op != BLK_OP_READ && op != BLK_OP_WRITE)
		return E_BAD_ARGUMENT;
	if (nsec == 0 || nsec > blk.max_bytes / BLK_SECTOR || off % BLK_SECTOR)
		return E_BAD_ARGUMENT;
	if (off > BLK_BUF_SIZE || nsec * BLK_SECTOR > BLK_BUF_SIZE - off)
		return E_BAD_ARGUMENT;
	if (nsec > blk.capacity || sector > blk.capacity - nsec)
		return BLK_E_PAST_END;
	return E_OK;
}

/* Check a whole IO call into c; E_OK or the refusal. */
static word_t blk_decode_io(word_t from, struct blk_call *c)
{
	struct utcb *u = utcb();
	word_t n = u->mr[1], err;
	int client;

	if (n < 1 || n > BLK_IO_MAX || tag_u(u->mr[0]) < 1 + 3 * n || tag_t(u->mr[0]))
		return E_BAD_ARGUMENT;
	for (unsigned i = 0; i < n; i++)
		if ((err = blk_decode_req(c, i)))
			return err;
	if ((client = blk_client_find(from)) < 0)
		return BLK_E_NO_BUFFER;
	if (blk_client[client].calls >= BLK_CALLS_PER_CLIENT)
		return BLK_E_LIMIT;
	c->client = (unsigned)client;
	c->n = c->left = (unsigned)n;
	return E_OK;
}

/* ---- IO: invoke ---- */

static unsigned blk_slot_take(unsigned call, unsigned req)
{
	unsigned s = 0;

	while (blk.slot_call[s] != BLK_NONE)
		s++;
	blk.slot_call[s] = (uint16_t)call;
	blk.slot_req[s] = (uint16_t)req;
	blk.slots_busy++;
	blk.max_busy = MAX(blk.max_busy, blk.slots_busy);
	return s;
}

static uint32_t blk_type(word_t op)
{
	return op == BLK_OP_READ ? BLK_T_IN : op == BLK_OP_WRITE ? BLK_T_OUT : BLK_T_FLUSH;
}

/* Fill slot s's chain for request i of call c (index ci) and make it
 * available: header -> data (skipped for a flush) -> status byte. */
static void blk_submit(struct blk_call *c, unsigned ci, unsigned i)
{
	unsigned s = blk_slot_take(ci, i);
	struct blk_hdr *h = (struct blk_hdr *)(BLK_DMA_VA + BLK_HDR_OFF) + s;
	volatile uint8_t *status = (volatile uint8_t *)(BLK_DMA_VA + BLK_STATUS_OFF) + s;
	volatile struct virtq_desc *d = blk.v.desc + 3 * s;
	bool flush = c->op[i] == BLK_OP_FLUSH;

	h->type = blk_type(c->op[i]);
	h->ioprio = 0;
	h->sector = flush ? 0 : c->sector[i];
	*status = 0xff;
	d[0].addr = blk.dma_pa + BLK_HDR_OFF + s * sizeof(*h);
	d[0].len = sizeof(*h);
	d[0].flags = VIRTQ_DESC_F_NEXT;
	d[0].next = (uint16_t)(3 * s + (flush ? 2 : 1));
	d[1].addr = blk_client[c->client].pa + c->off[i];
	d[1].len = (uint32_t)(c->nsec[i] * BLK_SECTOR);
	d[1].flags = VIRTQ_DESC_F_NEXT | (c->op[i] == BLK_OP_READ ? VIRTQ_DESC_F_WRITE : 0);
	d[1].next = (uint16_t)(3 * s + 2);
	d[2].addr = blk.dma_pa + BLK_STATUS_OFF + s;
	d[2].len = 1;
	d[2].flags = VIRTQ_DESC_F_WRITE;
	d[2].next = 0;
	virtio_submit(&blk.v, (uint16_t)(3 * s));
	blk.requests++;
}

/* Reply to a finished call and forget it. The client waits in its call;
 * if it has gone meanwhile the send fails and nothing else happens. */
static void blk_finish(struct blk_call *c)
{
	struct blk_client *cl = &blk_client[c->client];

	msg_tag(0, c->n, 0);
	for (unsigned i = 0; i < c->n; i++)
		utcb()->mr[1 + i] = c->result[i];
	ipc_send(cl->tid, TIMEOUT_ZERO);
	c->used = false;
	blk.calls_busy--;
	cl->calls--;
	blk_client_reap(c->client);
}

/* Start waiting calls in arrival order while their requests fit; true if
 * anything went to the device. A flush without the device's FLUSH
 * feature has nothing to do (the device writes through) and succeeds. */
static bool blk_start_waiting(void)
{
	bool any = false;

	for (;;) {
		struct blk_call *c = NULL;
		unsigned ci = 0;

		for (unsigned k = 0; k < BLK_CALLS_MAX; k++)
			if (blk_call[k].used && !blk_call[k].started && (!c || blk_call[k].seq < c->seq))
				c = &blk_call[k], ci = k;
		if (!c || blk.nslots - blk.slots_busy < c->n)
			return any;
		c->started = true;
		blk.calls_busy++;
		blk.max_calls = MAX(blk.max_calls, blk.calls_busy);
		for (unsigned i = 0; i < c->n; i++) {
			c->result[i] = E_OK;
			if (c->op[i] == BLK_OP_FLUSH && !(blk.v.features & BLK_F_FLUSH))
				c->left--;
			else
				blk_submit(c, ci, i), any = true;
		}
		if (!c->left)
			blk_finish(c);
	}
}

/* BLK_LABEL_IO: true to reply now (a refusal), false when the reply waits
 * for the device. */
static bool blk_on_io(word_t from)
{
	struct blk_call *c = NULL;
	word_t err;

	for (unsigned k = 0; k < BLK_CALLS_MAX && !c; k++)
		if (!blk_call[k].used)
			c = &blk_call[k];
	if (!c) {
		blk_fail(BLK_E_BUSY);
		return true;
	}
	if ((err = blk_decode_io(from, c))) {
		blk_fail(err);
		return true;
	}
	c->used = true;
	c->started = false;
	c->seq = blk.seq++;
	blk_client[c->client].calls++;
	blk.calls++;
	if (blk_start_waiting())
		virtio_notify(&blk.v);
	return false;
}

/* The queue's interrupt: collect every finished request, answer the calls
 * that are complete, start calls that waited for slots. */
static void blk_on_irq(void)
{
	uint32_t head;

	blk.irqs++;
	while (virtio_used_next(&blk.v, &head)) {
		unsigned s = head / 3;
		struct blk_call *c;

		if (head % 3 || s >= blk.nslots || blk.slot_call[s] == BLK_NONE)
			continue;                       /* not ours: ignore */
		c = &blk_call[blk.slot_call[s]];
		if (*((volatile uint8_t *)(BLK_DMA_VA + BLK_STATUS_OFF) + s) != 0)
			c->result[blk.slot_req[s]] = BLK_E_IO;
		blk.slot_call[s] = BLK_NONE;
		blk.slots_busy--;
		if (--c->left == 0)
			blk_finish(c);
	}
	if (blk_start_waiting())
		virtio_notify(&blk.v);
}

/* Buffers still held: those of clients that have not ended (or whose
 * end the driver never learns: callers that are not its pager clients). */
static unsigned blk_buffers_left(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < BLK_CLIENTS_MAX; i++)
		n += blk_client[i].tid != TID_NIL;
	return n;
}

/* ---- the loop ---- */

static bool blk_request(struct pager *p, word_t from, word_t label)
{
	if (label == LABEL_IRQ && from == blk.irq_tid) {
		blk_on_irq();
		return true;                            /* the reply acknowledges it */
	}
	if (label >= BLK_LABEL_INFO && label <= BLK_LABEL_IO && !pager_client_find(p, from)) {
		blk_fail(E_NO_PRIVILEGE);               /* the disk is for our clients only */
		return true;
	}
	if (!blk.ready && label >= BLK_LABEL_INFO && label <= BLK_LABEL_IO) {
		blk_fail(BLK_E_IO);
		return true;
	}
	switch (label) {
	case BLK_LABEL_INFO: blk_on_info(); return true;
	case BLK_LABEL_SHARE: blk_on_share(from); return true;
	case BLK_LABEL_IO: return blk_on_io(from);
	default: blk_fail(E_BAD_ARGUMENT); return true;
	}
}

static const struct pager_ops blk_ops = {
	.request = blk_request,
	.client_exit = blk_client_exit,
};

int main(int argc, char **argv)
{
	static struct pager p;
	const char *why;
	int status;

	(void)argc;
	(void)argv;
	pager_init(&p, "blk", &blk_ops);
	if ((why = blk_device_init())) {
		printf("blk: %s; every block request fails\n", why);
	} else {
		blk.ready = true;
		printf("blk: virtio-blk at 00:%02x.%u, %lu sectors, %lu bytes a request, %u slots, MSI line %lu\n",
		       blk.v.pci.dev, blk.v.pci.fn, blk.capacity, blk.max_bytes, blk.nslots,
		       tid_number(blk.irq_tid));
	}
	status = pager_run(&p);
	if (blk.ready)
		virtio_reset(&blk.v);                   /* no DMA into frames we give back */
	printf("blk: %lu calls, %lu requests, %lu interrupts, at most %u requests in flight\n",
	       blk.calls, blk.requests, blk.irqs, blk.max_busy);
	printf("blk: at most %u calls in flight at once; %u client buffers left\n", blk.max_calls,
	       blk_buffers_left());
	return status;
}
