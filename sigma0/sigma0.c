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
 *   page fault           a client without its own pager: any 4 KiB frame
 *
 * The owner table records, per 4 KiB frame of RAM, who has it: FREE,
 * NOT_MINE (kernel, firmware, holes) or the owner's thread number.
 */
#include <libmap.h>

#define OWNER_FREE 0
#define OWNER_NOT_MINE 0xffff
#define DEVICE_MAX 64

static uint16_t *owner;                 /* per frame; in sigma0's own memory */
static word_t nframes;                  /* frames covered by the table */
static word_t next_free;                /* where the search for a free frame starts */
static word_t free_frames, given_frames;
static struct { word_t first, n; } last_take;  /* frames of the reply in flight */
static struct { word_t base, size; } device[DEVICE_MAX];   /* handed-out MMIO */

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

static void sigma0_take(word_t f, word_t n, word_t client)
{
	for (word_t i = 0; i < n; i++)
		owner[f + i] = (uint16_t)tid_number(client);
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
		owner[last_take.first + i] = OWNER_FREE;
	}
	free_frames += last_take.n;
	given_frames -= last_take.n;
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
	word_t f;

	if (log2 < 12 || log2 > 30 || !rights) {
		sigma0_reply_error(E_BAD_ARGUMENT);
		return;
	}
	if (!sigma0_find((word_t)1 << (log2 - 12), &f)) {
		sigma0_reply_error(E_NO_MEMORY);
		return;
	}
	sigma0_take(f, (word_t)1 << (log2 - 12), client);
	sigma0_reply_map(f * 4096, log2, rights);
}

static void sigma0_phys(word_t client, word_t fp)
{
	word_t f = fpage_base(fp) / 4096, n;

	if (!fpage_valid(fp) || fpage_log2(fp) > 30) {
		sigma0_reply_error(E_BAD_FPAGE);
		return;
	}
	n = fpage_size(fp) / 4096;
	if (!sigma0_range_free(f, n)) {
		sigma0_reply_error(E_EXISTS);
		return;
	}
	sigma0_take(f, n, client);
	sigma0_reply_map(fpage_base(fp), fpage_log2(fp), fpage_rights(fp));
}

static bool sigma0_device_ok(word_t base, word_t size)
{
	struct kip *k = libmap_kip;

	for (unsigned i = 0; i < k->memdesc_count; i++) {
		struct kip_memdesc *d = &k->memdesc[i];
		if (d->type != KIP_MEM_DEVICE && base < d->base + d->size && d->base < base + size)
			return false;                       /* RAM or kernel memory */
	}
	for (unsigned i = 0; i < DEVICE_MAX; i++)
		if (device[i].size && base < device[i].base + device[i].size &&
		    device[i].base < base + size)
			return false;                       /* already handed out */
	return base + size <= ((word_t)4 << 30);
}

static void sigma0_device(word_t fp)
{
	word_t base = fpage_base(fp), size = fpage_size(fp);
	unsigned i;

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
	if (i == DEVICE_MAX) {
		sigma0_reply_error(E_NO_MEMORY);
		return;
	}
	for (word_t a = base; a < base + size; a += 4096)
		*(volatile uint8_t *)a;                 /* the kernel maps it to us */
	device[i].base = base;
	device[i].size = size;
	sigma0_reply_map(base, fpage_log2(fp), fpage_rights(fp) & FPAGE_RW);
}

/* Take frames back from their owner: revoke every mapping, mark free. */
static void sigma0_free(word_t client, word_t fp)
{
	word_t f = fpage_base(fp) / 4096, n = fpage_size(fp) / 4096;

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
	for (word_t i = 0; i < n; i++)
		owner[f + i] = OWNER_FREE;
	free_frames += n;
	given_frames -= n;
	msg_tag(SIGMA0_REPLY_OK, 0, 0);
}

/* Take frame f back from its owner: revoke every mapping of it. */
static void sigma0_take_back(word_t f)
{
	utcb()->mr[0] = fpage_make(f * 4096, 12, FPAGE_RWX);
	sys_unmap(0);
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

/* Root task only: revoke and free every frame thread `tid` owns, or with
 * tid nil, every frame of owners that no longer exist. */
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
	if ((label & ~(word_t)7) == LABEL_PAGEFAULT || label == SIGMA0_LABEL_ANY)
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
		sigma0_any(client, 12, FPAGE_RWX);
		if (tag_t(u->mr[0]))
			u->mr[1] = (w1 & ~(word_t)0xfff) | ITEM_MAP;  /* hot spot = fault address */
		return;
	}
	switch (label) {
	case SIGMA0_LABEL_ANY: sigma0_any(client, (unsigned)w1, (unsigned)w2 & FPAGE_RWX); break;
	case SIGMA0_LABEL_PHYS: sigma0_phys(client, w1); break;
	case SIGMA0_LABEL_DEVICE: sigma0_device(w1); break;
	case SIGMA0_LABEL_FREE: sigma0_free(client, w1); break;
	case SIGMA0_LABEL_STATS: sigma0_stats(); break;
	case SIGMA0_LABEL_RECLAIM: sigma0_reclaim(client, w1); break;
	default: sigma0_reply_error(E_BAD_ARGUMENT); break;
	}
}

int main(int argc, char **argv)
{
	word_t client = TID_NIL, err;

	(void)argc;
	(void)argv;
	sigma0_init_table();
	sigma0_init_free();
	printf("sigma0: %lu KiB free RAM, %lu frames tracked\n", free_frames * 4, nframes);
	for (;;) {
		err = ipc_reply_wait(client, &client);
		if (err && !(err & IPC_ERR_RECV_PHASE) && last_take.n)
			sigma0_untake();
		last_take.n = 0;
		if (err) {
			client = TID_NIL;                   /* reply failed: just wait */
			continue;
		}
		sigma0_handle(client);
	}
}
