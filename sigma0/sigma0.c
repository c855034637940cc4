/* SPDX-License-Identifier: MIT */
/*
 * sigma0: the root pager. The kernel maps it every free and boot-module
 * frame of RAM 1:1 (virtual = physical), and device memory on first touch.
 * sigma0 hands each frame out once, by mapping it to the requester:
 *
 *   SIGMA0_LABEL_PHYS    a given frame (RAM or boot module)
 *   SIGMA0_LABEL_ANY     any free frame of size 2^s
 *   SIGMA0_LABEL_DEVICE  a range of device memory (not RAM)
 *   SIGMA0_LABEL_FREE    give frames back (revokes every mapping of them)
 *   SIGMA0_LABEL_STATS   free and handed-out bytes
 *   SIGMA0_LABEL_RECLAIM the root task takes back all a dead task owned,
 *                        or (nil) what every vanished owner still holds
 *   SIGMA0_LABEL_DEVICES the root task lets a task ask for DEVICE
 *   SIGMA0_LABEL_RAM     the root task lets a thread have RAM, up to a limit
 *   page fault           a client without its own pager: any 4 KiB frame
 *                        (only a message the kernel made: TAG_K_FLAG)
 *
 * The owner table records, per 4 KiB frame of RAM, who has it: FREE,
 * NOT_MINE (kernel, firmware, holes) or the owner's thread number.
 *
 * RAM (PHYS, ANY, and the page faults of threads whose pager is sigma0)
 * goes only to the root task and to the threads it names with RAM, each
 * up to the limit it gave: anyone can make sigma0 its pager, and a task
 * that took all RAM would starve every other. The frames a named thread's
 * number owns are counted as the owner table changes (sigma0_take,
 * sigma0_ram_count), so FREE and RECLAIM count down.
 *
 * Device memory goes only to the root task and to the tasks it names
 * (privileged ones, or `devices` in boot.cfg), and never covers what the
 * KIP describes: RAM, and the devices the kernel keeps (reserved). The
 * kernel maps device memory into sigma0 as 2 MiB roots where a whole
 * 2 MiB is device memory, 4 KiB roots elsewhere; the nodes, and the
 * mapping database's index pages a range makes the kernel spend, are
 * counted against the requester's own quota (with what its space already
 * uses), and the requester's own mappings are charged to it by the
 * kernel. A range goes back, revoked everywhere and with sigma0's roots
 * flushed, when its owner is reclaimed or the reply carrying it fails.
 *
 * RAM goes to anyone who asks (pagers of every kind live on it), but the
 * last 1/64 of it (at least 1 MiB) only to the root task: a task that
 * takes all it can does not leave init unable to page itself and start
 * tasks (docs/security.md, "Audit after the fixes").
 */
#include <libmap.h>
#include "ram_table.h"

#define DEVICE_MAX 64
#define DEVICE_CLIENTS 32
#define SUPER ((word_t)1 << 21)
#define INDEX_DIR_BYTES ((word_t)1 << 28)    /* RAM or MMIO one mapdb directory page covers */
#define POOL_MARGIN (64 * 1024)              /* pool left free after a device request */
#define RESERVE_MIN 256                      /* frames (1 MiB) kept for the root task, at least */

static uint16_t *owner;                 /* per frame; in sigma0's own memory */
static word_t nframes;                  /* frames covered by the table */
static word_t next_free;                /* where the search for a free frame starts */
static word_t free_frames, given_frames;
static word_t reserve_frames;           /* the last free frames: the root task's only */
static struct { word_t first, n; } last_take;  /* frames of the reply in flight */
/* Handed-out MMIO: the range (size 0: free slot), its owner, and the
 * kernel memory it costs on sigma0's side (sigma0_device_cost). */
static struct { word_t base, size, owner, cost; } device[DEVICE_MAX];
static int device_in_flight = -1;       /* the range of the reply in flight */
static word_t device_clients[DEVICE_CLIENTS];   /* may ask for DEVICE (and the root task) */
/* Threads that may have RAM (and the root task, without limit): the id
 * (nil: free slot; one slot per thread number), the frames it may own and
 * the frames its number owns now (= owner[] entries of that number). */
static struct sigma0_ram_client ram_client[RAM_CLIENTS];
static unsigned ram_top;                /* slots at or above it were never used */

static bool sigma0_is_ram(const struct kip_memdesc *d)
{
	return d->type == KIP_MEM_FREE || d->type == KIP_MEM_MODULE;
}

/* Size the table by the highest RAM address and place it in free RAM. */
static void sigma0_init_table(void)
{
	word_t top = 0, bytes;
	struct kip *k = libmap_kip;

	for (unsigned i = 0; i < k->memdesc_count; i++)
		if (sigma0_is_ram(&k->memdesc[i]))
			top = MAX(top, k->memdesc[i].base + k->memdesc[i].size);
	nframes = top / 4096;
	bytes = (nframes * sizeof(uint16_t) + 4095) & ~(word_t)4095;
	for (unsigned i = 0; i < k->memdesc_count && !owner; i++) {
		struct kip_memdesc *d = &k->memdesc[i];
		if (d->type == KIP_MEM_FREE && d->size >= bytes)
			owner = (uint16_t *)d->base;
	}
	if (!owner) {
		printf("sigma0: no room for the owner table\n");
		exit(1);
	}
	for (word_t f = 0; f < nframes; f++)
		owner[f] = OWNER_NOT_MINE;
}

static void sigma0_init_free(void)
{
	struct kip *k = libmap_kip;
	word_t table_first = (word_t)owner / 4096;
	word_t table_end = table_first + (nframes * sizeof(uint16_t) + 4095) / 4096;

	for (unsigned i = 0; i < k->memdesc_count; i++) {
		struct kip_memdesc *d = &k->memdesc[i];
		if (!sigma0_is_ram(d))
			continue;
		for (word_t f = d->base / 4096; f < (d->base + d->size) / 4096; f++) {
			if (f >= table_first && f < table_end)
				continue;
			owner[f] = OWNER_FREE;
			free_frames++;
		}
	}
}

/* Are frames [f, f + n) all free RAM? */
static bool sigma0_range_free(word_t f, word_t n)
{
	if (f >= nframes || n > nframes - f)
		return false;
	for (word_t i = 0; i < n; i++)
		if (owner[f + i] != OWNER_FREE)
			return false;
	return true;
}

/* The RAM slot of thread number n, or RAM_CLIENTS. */
static unsigned sigma0_ram_slot(word_t n)
{
	for (unsigned i = 0; i < ram_top; i++)
		if (ram_client[i].tid != TID_NIL && tid_number(ram_client[i].tid) == n)
			return i;
	return RAM_CLIENTS;
}

/* Owner number n got (delta > 0) or gave back frames. */
static void sigma0_ram_count(word_t n, long delta)
{
	unsigned i = sigma0_ram_slot(n);

	if (i < RAM_CLIENTS)
		ram_client[i].used += (word_t)delta;
}

/* May the client have RAM at all? E_OK with *slot its RAM slot (none,
 * RAM_CLIENTS, for the root task: it has no limit), or E_NO_PRIVILEGE
 * (not the root task and not named with RAM). */
static word_t sigma0_ram_client(word_t client, unsigned *slot)
{
	*slot = RAM_CLIENTS;
	if (client == libmap_kip->root_id)
		return E_OK;
	*slot = sigma0_ram_slot(tid_number(client));
	return *slot < RAM_CLIENTS && ram_client[*slot].tid == client ? E_OK : E_NO_PRIVILEGE;
}

/* Can the client of that slot own n more frames? */
static bool sigma0_ram_fits(unsigned slot, word_t n)
{
	return slot == RAM_CLIENTS || (ram_client[slot].used <= ram_client[slot].limit &&
				       n <= ram_client[slot].limit - ram_client[slot].used);
}

/* Frames [f, f + n) come back (revoked everywhere but here): clear them,
 * so that the next owner finds nothing of this one's (RAM is mapped to
 * us 1:1). Free RAM is zero from boot on; boot modules hold only images. */
static void sigma0_scrub(word_t f, word_t n)
{
	memset((void *)(f * 4096), 0, n * 4096);
}

static void sigma0_take(word_t f, word_t n, word_t client, unsigned slot)
{
	for (word_t i = 0; i < n; i++)
		owner[f + i] = (uint16_t)tid_number(client);
	if (slot < RAM_CLIENTS)
		ram_client[slot].used += n;
	free_frames -= n;
	given_frames += n;
	last_take.first = f;
	last_take.n = n;
}

/* The reply carrying the last frames did not arrive (the client is gone,
 * not waiting, or out of kernel memory for the mapping): take them back. */
static void sigma0_untake(void)
{
	for (word_t i = 0; i < last_take.n; i++) {
		utcb()->mr[0] = fpage_make((last_take.first + i) * 4096, 12, FPAGE_RWX);
		sys_unmap(0);                       /* a partly done map goes too */
		sigma0_scrub(last_take.first + i, 1);
		sigma0_ram_count(owner[last_take.first + i], -1);
		owner[last_take.first + i] = OWNER_FREE;
	}
	free_frames += last_take.n;
	given_frames -= last_take.n;
}

/* May client take n more frames? Not into the root task's reserve. */
static bool sigma0_may_take(word_t client, word_t n)
{
	return client == libmap_kip->root_id || (n <= free_frames && free_frames - n >= reserve_frames);
}

/* Find n free frames aligned to n, searching on from the last hit. */
static bool sigma0_find(word_t n, word_t *first)
{
	word_t span = ALIGN_DOWN(nframes, n), start;

	if (span == 0)
		return false;                       /* larger than all of RAM */
	start = ALIGN_DOWN(next_free, n) % span;
	for (word_t k = 0; k < span; k += n) {
		word_t f = (start + k) % span;
		if (sigma0_range_free(f, n)) {
			*first = f;
			next_free = f + n;
			return true;
		}
	}
	return false;
}

/* Reply with one map item: the frames at pa, 2^log2 bytes, `rights`. */
static void sigma0_reply_map(word_t pa, unsigned log2, unsigned rights)
{
	msg_tag(SIGMA0_REPLY_OK, 0, 2);
	msg_map_item(1, pa, fpage_make(pa, log2, rights), false);
}

static void sigma0_reply_error(word_t err)
{
	msg_tag(SIGMA0_REPLY_ERROR, 1, 0);
	utcb()->mr[1] = err;
}

static void sigma0_any(word_t client, unsigned log2, unsigned rights)
{
	unsigned slot;
	word_t f, err = sigma0_ram_client(client, &slot);

	if (!err && (log2 < 12 || log2 > 30 || !rights))
		err = E_BAD_ARGUMENT;
	if (!err && !sigma0_ram_fits(slot, (word_t)1 << (log2 - 12)))
		err = E_NO_MEMORY;
	if (!err && !sigma0_may_take(client, (word_t)1 << (log2 - 12)))
		err = E_NO_MEMORY;                  /* the root task's reserve */
	if (!err && !sigma0_find((word_t)1 << (log2 - 12), &f))
		err = E_NO_MEMORY;
	if (err) {
		sigma0_reply_error(err);
		return;
	}
	sigma0_take(f, (word_t)1 << (log2 - 12), client, slot);
	sigma0_reply_map(f * 4096, log2, rights);
}

static void sigma0_phys(word_t client, word_t fp)
{
	unsigned slot;
	word_t f = fpage_base(fp) / 4096, n = 0, err = sigma0_ram_client(client, &slot);

	if (!err && (!fpage_valid(fp) || fpage_log2(fp) > 30))
		err = E_BAD_FPAGE;
	if (!err)
		n = fpage_size(fp) / 4096;
	if (!err && !sigma0_ram_fits(slot, n))
		err = E_NO_MEMORY;
	if (!err && !sigma0_range_free(f, n))
		err = E_EXISTS;
	if (!err && !sigma0_may_take(client, n))
		err = E_NO_MEMORY;                  /* the root task's reserve */
	if (err) {
		sigma0_reply_error(err);
		return;
	}
	sigma0_take(f, n, client, slot);
	sigma0_reply_map(fpage_base(fp), fpage_log2(fp), fpage_rights(fp));
}

/* Does no KIP descriptor (RAM, kernel, reserved) overlap [base, base + size)? */
static bool sigma0_kip_clear(word_t base, word_t size)
{
	struct kip *k = libmap_kip;

	for (unsigned i = 0; i < k->memdesc_count; i++) {
		struct kip_memdesc *d = &k->memdesc[i];
		if (d->type != KIP_MEM_DEVICE && base < d->base + d->size && d->base < base + size)
			return false;
	}
	return true;
}

/* Does a handed-out range overlap [base, base + size)? */
static bool sigma0_device_taken(word_t base, word_t size)
{
	for (unsigned i = 0; i < DEVICE_MAX; i++)
		if (device[i].size && base < device[i].base + device[i].size &&
		    device[i].base < base + size)
			return true;
	return false;
}

static bool sigma0_device_ok(word_t base, word_t size)
{
	return sigma0_kip_clear(base, size) && !sigma0_device_taken(base, size) &&
	       base + size <= ((word_t)4 << 30);
}

static bool sigma0_device_allowed(word_t client)
{
	if (client == libmap_kip->root_id)
		return true;
	for (unsigned i = 0; i < DEVICE_CLIENTS; i++)
		if (device_clients[i] == client)
			return true;
	return false;
}

/* Kernel memory a range makes the kernel spend for sigma0 (at most):
 * per 2 MiB it touches, one root node if all of it is device memory, a
 * node per page otherwise, and a page of 4 KiB list heads where it is
 * handed out in pieces; a directory page per 256 MiB. */
static word_t sigma0_device_cost(word_t base, word_t size)
{
	word_t node = libmap_kip->mapnode_bytes, end = base + size, cost = 0;

	for (word_t r = ALIGN_DOWN(base, SUPER); r < end; r += SUPER) {
		word_t part = MIN(r + SUPER, end) - MAX(r, base);
		if (sigma0_kip_clear(r, SUPER))
			cost += node + (part < SUPER ? 4096 : 0);
		else
			cost += part / 4096 * node + 4096;
	}
	for (word_t d = ALIGN_DOWN(base, INDEX_DIR_BYTES); d < end; d += INDEX_DIR_BYTES)
		cost += 4096;
	return cost;
}

/* Can the client's quota take `cost` more, besides what its space uses and
 * its other ranges cost, and does the pool have it (sigma0 must never be
 * the one the kernel cannot serve)? */
static bool sigma0_device_affordable(word_t client, word_t cost)
{
	word_t used = 0, quota = 0, others = 0, index = 0;

	if (kdb_space_kmem(client, &used, &quota) || used > quota)
		return false;
	for (unsigned i = 0; i < DEVICE_MAX; i++)
		if (device[i].size && device[i].owner == client)
			others += device[i].cost;
	return quota - used >= others + cost && kdb_kmem_free(&index) >= cost + POOL_MARGIN;
}

/* Touch the range so the kernel maps it to us (§9.5): once per 2 MiB root,
 * once per page elsewhere. */
static void sigma0_device_touch(word_t base, word_t size)
{
	for (word_t a = base; a < base + size;) {
		*(volatile uint8_t *)a;
		a = sigma0_kip_clear(ALIGN_DOWN(a, SUPER), SUPER) ? ALIGN_DOWN(a, SUPER) + SUPER
							          : a + 4096;
	}
}

static void sigma0_device(word_t client, word_t fp)
{
	word_t base = fpage_base(fp), size = fpage_size(fp), cost;
	unsigned i;

	if (!sigma0_device_allowed(client)) {
		sigma0_reply_error(E_NO_PRIVILEGE);
		return;
	}
	if (!fpage_valid(fp) || fpage_log2(fp) > 28) {
		sigma0_reply_error(E_BAD_FPAGE);
		return;
	}
	if (!sigma0_device_ok(base, size)) {
		sigma0_reply_error(E_EXISTS);
		return;
	}
	for (i = 0; i < DEVICE_MAX && device[i].size; i++)
		;
	cost = sigma0_device_cost(base, size);
	if (i == DEVICE_MAX || !sigma0_device_affordable(client, cost)) {
		sigma0_reply_error(E_NO_MEMORY);
		return;
	}
	sigma0_device_touch(base, size);
	device[i].base = base;
	device[i].size = size;
	device[i].owner = client;
	device[i].cost = cost;
	device_in_flight = (int)i;
	sigma0_reply_map(base, fpage_log2(fp), fpage_rights(fp) & FPAGE_RW);
}

static void sigma0_unmap(word_t base, unsigned log2, word_t control)
{
	utcb()->mr[0] = fpage_make(base, log2, FPAGE_RWX);
	sys_unmap(control);
}

/* Range i goes back: revoke it wherever it was mapped, flush the roots of
 * ours no other range needs (so the kernel memory returns), forget it. */
static void sigma0_device_give_back(unsigned i)
{
	word_t base = device[i].base, size = device[i].size;
	unsigned log2 = (unsigned)__builtin_ctzl(size);

	device[i].size = 0;
	sigma0_unmap(base, log2, 0);
	for (word_t r = ALIGN_DOWN(base, SUPER); r < base + size; r += SUPER) {
		if (!sigma0_kip_clear(r, SUPER))
			sigma0_unmap(base, log2, UNMAP_FLUSH);      /* 4 KiB roots, range < 2 MiB */
		else if (!sigma0_device_taken(r, SUPER))
			sigma0_unmap(r, 21, UNMAP_FLUSH);
	}
}

/* Root task only: thread MR1 may ask for device memory. */
static void sigma0_devices(word_t client, word_t tid)
{
	unsigned i;

	if (client != libmap_kip->root_id || tid == TID_NIL || tid == TID_ANY) {
		sigma0_reply_error(E_NO_PRIVILEGE);
		return;
	}
	for (i = 0; i < DEVICE_CLIENTS && device_clients[i] != tid; i++)
		;
	for (unsigned j = 0; j < DEVICE_CLIENTS && i == DEVICE_CLIENTS; j++)
		if (device_clients[j] == TID_NIL)
			i = j;
	if (i == DEVICE_CLIENTS) {
		sigma0_reply_error(E_NO_MEMORY);
		return;
	}
	device_clients[i] = tid;
	msg_tag(SIGMA0_REPLY_OK, 0, 0);
}

/* Frames thread number n owns now. */
static word_t sigma0_owned(word_t n)
{
	word_t count = 0;

	for (word_t f = 0; f < nframes; f++)
		count += owner[f] == n;
	return count;
}

/* Root task only: thread `tid` may own up to `bytes` of RAM (0: none; its
 * slot goes), counting what its number owns already. Not the root task
 * itself: it has no limit, and sigma0_take counts it in no slot. */
static void sigma0_ram(word_t client, word_t tid, word_t bytes)
{
	word_t n = tid_number(tid);
	unsigned i = sigma0_ram_slot(n);

	if (client != libmap_kip->root_id || tid == TID_NIL || tid == TID_ANY ||
	    n == OWNER_FREE || n >= OWNER_NOT_MINE || n == tid_number(client)) {
		sigma0_reply_error(E_NO_PRIVILEGE);
		return;
	}
	for (unsigned j = 0; j < RAM_CLIENTS && i == RAM_CLIENTS && bytes; j++)
		if (ram_client[j].tid == TID_NIL)
			i = j;
	if (i == RAM_CLIENTS && bytes) {
		sigma0_reply_error(E_NO_MEMORY);
		return;
	}
	if (i < RAM_CLIENTS) {
		ram_top = MAX(ram_top, i + 1);
		ram_client[i].tid = bytes ? tid : TID_NIL;
		ram_client[i].limit = bytes / 4096;
		ram_client[i].used = sigma0_owned(n);
	}
	msg_tag(SIGMA0_REPLY_OK, 0, 0);
}

/* FREE of exactly a device range the client owns: it goes back. */
static bool sigma0_device_free(word_t client, word_t fp)
{
	for (unsigned i = 0; i < DEVICE_MAX; i++)
		if (device[i].size && device[i].owner == client && fpage_valid(fp) &&
		    device[i].base == fpage_base(fp) && device[i].size == fpage_size(fp)) {
			sigma0_device_give_back(i);
			msg_tag(SIGMA0_REPLY_OK, 0, 0);
			return true;
		}
	return false;
}

/* Take frames back from their owner: revoke every mapping, mark free. */
static void sigma0_free(word_t client, word_t fp)
{
	word_t f = fpage_base(fp) / 4096, n = fpage_size(fp) / 4096;

	if (sigma0_device_free(client, fp))
		return;

	if (!fpage_valid(fp) || f >= nframes || n > nframes - f) {
		sigma0_reply_error(E_BAD_FPAGE);
		return;
	}
	for (word_t i = 0; i < n; i++)
		if (owner[f + i] != tid_number(client)) {
			sigma0_reply_error(E_NO_PRIVILEGE);
			return;
		}
	utcb()->mr[0] = fpage_make(fpage_base(fp), fpage_log2(fp), FPAGE_RWX);
	sys_unmap(0);
	sigma0_scrub(f, n);
	for (word_t i = 0; i < n; i++)
		owner[f + i] = OWNER_FREE;
	sigma0_ram_count(tid_number(client), -(long)n);
	free_frames += n;
	given_frames -= n;
	msg_tag(SIGMA0_REPLY_OK, 0, 0);
}

/* Take frame f back from its owner: revoke every mapping of it. */
static void sigma0_take_back(word_t f)
{
	utcb()->mr[0] = fpage_make(f * 4096, 12, FPAGE_RWX);
	sys_unmap(0);
	sigma0_scrub(f, 1);
	sigma0_ram_count(owner[f], -1);
	owner[f] = OWNER_FREE;
	free_frames++;
	given_frames--;
}

/* Does a thread with number n exist? (Its version does not matter: a
 * wrong one reads as stale, no thread as bad.) sigma0 is privileged. */
static bool sigma0_owner_alive(uint16_t n)
{
	return sys_exchange_registers(tid_make(n, 1), 0, NULL, NULL, NULL, NULL, NULL) !=
	       E_BAD_THREAD;
}

static bool sigma0_thread_alive(word_t tid)
{
	return sys_exchange_registers(tid, 0, NULL, NULL, NULL, NULL, NULL) == E_OK;
}

/* Free the frames of every owner that no longer exists: a thread that
 * took frames and was deleted without giving them back. */
static void sigma0_sweep(void)
{
	static uint8_t state[1024];            /* per number: 0 unknown, 1 alive, 2 gone */

	memset(state, 0, sizeof(state));
	for (word_t f = 0; f < nframes; f++) {
		uint16_t n = owner[f];
		if (n == OWNER_FREE || n == OWNER_NOT_MINE || n >= sizeof(state))
			continue;
		if (!state[n])
			state[n] = sigma0_owner_alive(n) ? 1 : 2;
		if (state[n] == 2)
			sigma0_take_back(f);
	}
}

/* Device ranges and permissions (DEVICES, RAM) of `tid`, or with nil of
 * every thread that no longer exists (this very id: a recycled number is
 * another). */
static void sigma0_reclaim_devices(word_t tid)
{
	for (unsigned i = 0; i < DEVICE_MAX; i++)
		if (device[i].size &&
		    (tid == TID_NIL ? !sigma0_thread_alive(device[i].owner) : device[i].owner == tid))
			sigma0_device_give_back(i);
	for (unsigned i = 0; i < DEVICE_CLIENTS; i++)
		if (device_clients[i] != TID_NIL &&
		    (tid == TID_NIL ? !sigma0_thread_alive(device_clients[i]) : device_clients[i] == tid))
			device_clients[i] = TID_NIL;
	for (unsigned i = 0; i < RAM_CLIENTS; i++)
		if (ram_client[i].tid != TID_NIL &&
		    (tid == TID_NIL ? !sigma0_thread_alive(ram_client[i].tid) : ram_client[i].tid == tid))
			ram_client[i].tid = TID_NIL;
}

/* Root task only: revoke and free every frame thread `tid` owns, or with
 * tid nil, every frame of owners that no longer exist; device ranges too. */
static void sigma0_reclaim(word_t client, word_t tid)
{
	uint16_t n = (uint16_t)tid_number(tid);

	if (client != libmap_kip->root_id || n == OWNER_NOT_MINE ||
	    (n == 0 && tid != TID_NIL)) {
		sigma0_reply_error(E_NO_PRIVILEGE);
		return;
	}
	if (tid == TID_NIL)
		sigma0_sweep();
	else
		for (word_t f = 0; f < nframes; f++)
			if (owner[f] == n)
				sigma0_take_back(f);
	sigma0_reclaim_devices(tid);
	msg_tag(SIGMA0_REPLY_OK, 0, 0);
}

static void sigma0_stats(void)
{
	msg_tag(SIGMA0_REPLY_OK, 2, 0);
	utcb()->mr[1] = free_frames * 4096;
	utcb()->mr[2] = given_frames * 4096;
}

/* The words a request takes; fewer would be read as stale ones. */
static unsigned sigma0_words_needed(word_t label)
{
	if ((label & ~(word_t)7) == LABEL_PAGEFAULT || label == SIGMA0_LABEL_ANY ||
	    label == SIGMA0_LABEL_RAM)
		return 2;
	return label == SIGMA0_LABEL_PHYS || label == SIGMA0_LABEL_DEVICE ||
	       label == SIGMA0_LABEL_FREE || label == SIGMA0_LABEL_RECLAIM;
}

/* One request; the reply is left in the message registers. */
static void sigma0_handle(word_t client)
{
	struct utcb *u = utcb();
	word_t label = tag_label(u->mr[0]), w1 = u->mr[1], w2 = u->mr[2];

	if (tag_u(u->mr[0]) < sigma0_words_needed(label)) {
		sigma0_reply_error(E_BAD_ARGUMENT);
		return;
	}

	if ((label & ~(word_t)7) == LABEL_PAGEFAULT) {
		if (!tag_from_kernel(u->mr[0])) {      /* a thread's forgery, not a fault */
			sigma0_reply_error(E_BAD_ARGUMENT);
			return;
		}
		sigma0_any(client, 12, FPAGE_RWX);
		if (tag_t(u->mr[0]))
			u->mr[1] = (w1 & ~(word_t)0xfff) | ITEM_MAP;  /* hot spot = fault address */
		return;
	}
	switch (label) {
	case SIGMA0_LABEL_ANY: sigma0_any(client, (unsigned)w1, (unsigned)w2 & FPAGE_RWX); break;
	case SIGMA0_LABEL_PHYS: sigma0_phys(client, w1); break;
	case SIGMA0_LABEL_DEVICE: sigma0_device(client, w1); break;
	case SIGMA0_LABEL_DEVICES: sigma0_devices(client, w1); break;
	case SIGMA0_LABEL_RAM: sigma0_ram(client, w1, w2); break;
	case SIGMA0_LABEL_FREE: sigma0_free(client, w1); break;
	case SIGMA0_LABEL_STATS: sigma0_stats(); break;
	case SIGMA0_LABEL_RECLAIM: sigma0_reclaim(client, w1); break;
	default: sigma0_reply_error(E_BAD_ARGUMENT); break;
	}
}

/* Debug builds (SIGMA0_DEBUG: `make DEBUG=1`) check the RAM table after
 * every SIGMA0_DEBUG_EVERY-th request and stop sigma0 with a trap at the
 * first broken invariant. Not after every one: the check reads the whole
 * owner table (60 000 frames at 256 MiB), which made sys/fuzz_seed2 run
 * out of time (42 s without, over 100 s with a check per request). */
#define SIGMA0_DEBUG_EVERY 64

static void sigma0_debug_check(void)
{
#ifdef SIGMA0_DEBUG
	static unsigned requests;
	struct sigma0_ram_table t = {
		.owner = owner,
		.nframes = nframes,
		.free_frames = free_frames,
		.given_frames = given_frames,
		.client = ram_client,
		.top = ram_top,
		.root_number = tid_number(libmap_kip->root_id),
	};

	if (++requests % SIGMA0_DEBUG_EVERY == 0 && !sigma0_ram_check(&t))
		__builtin_trap();
#endif
}

int main(int argc, char **argv)
{
	word_t client = TID_NIL, err;

	(void)argc;
	(void)argv;
	sigma0_init_table();
	sigma0_init_free();
	reserve_frames = MAX(free_frames / 64, (word_t)RESERVE_MIN);
	msg_accept(FPAGE_NIL);                  /* sigma0 takes no mapping from anyone */
	printf("sigma0: %lu KiB free RAM, %lu frames tracked\n", free_frames * 4, nframes);
	for (;;) {
		err = ipc_reply_wait(client, &client);
		if (err && !(err & IPC_ERR_RECV_PHASE) && last_take.n)
			sigma0_untake();
		if (err && !(err & IPC_ERR_RECV_PHASE) && device_in_flight >= 0)
			sigma0_device_give_back((unsigned)device_in_flight);
		sigma0_debug_check();
		last_take.n = 0;
		device_in_flight = -1;
		if (err) {
			client = TID_NIL;                   /* reply failed: just wait */
			continue;
		}
		sigma0_handle(client);
	}
}
