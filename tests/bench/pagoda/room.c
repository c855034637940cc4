/* SPDX-License-Identifier: MIT */
/*
 * Room for mapping nodes, kept for the length of a map or unmap series.
 *
 * Every mapping node the kernel makes is a 32-byte kmem object, 127 to a
 * slab page; a slab whose last object is freed goes back to the page
 * list at once. A series that maps n pages and revokes them again needs
 * n free slots in every iteration: if the slabs have them, no page moves;
 * if they have fewer, the map takes a fresh slab page (zeroed: about 860
 * instructions) and the unmap gives it back, in every iteration. Which of
 * the two a series met depended on how many slots the rest of the run
 * happened to leave free -- the image size, the benchmarks before it --
 * so map_64 jumped by 859 instructions (2.8 %) from one build to another,
 * and within a series from one mode to the other when a stray node moved
 * the boundary (main at 53d0ad6: 37 samples without a fresh page, 62
 * with one, the median on the edge).
 *
 * room_begin(n) makes sure of the first: it maps n pages' worth of nodes
 * (the map pool, 32 pages a request, to CHILD_ROOM in S1) and after each
 * request one page of its own (room_pin) to the next page at CHILD_PIN,
 * then revokes the n. Each slab those nodes went to holds a pin (a slab
 * that got 32 of them in a row also got the pin after them; the last
 * one got the last pin), so none goes back to the page list and at least
 * n slots stay free. The series then measures the map and unmap paths
 * with node memory at hand, as pf_cow_pool measures a fault with a frame
 * at hand; the cost of a fresh slab page is the maxima of the fault
 * series (one fault in 127). room_end() revokes the pins.
 */
#include "bench.h"

#define ROOM_CHUNK_LOG2 17                     /* 32 pages a request */
#define ROOM_CHUNK (1u << (ROOM_CHUNK_LOG2 - 12))
#define CHILD_ROOM ((word_t)0x40002000000ull)  /* 16 MiB in S1 (after CHILD_GROW) */
#define CHILD_PIN ((word_t)0x40003000000ull)   /* one page a request */
#define ROOM_NODES_MAX 4096

static uint8_t room_pin[4096] __attribute__((aligned(4096)));

/* Map 2^log2 bytes at src to dst in S1 (not measured). */
static void room_map(word_t src, word_t dst, unsigned log2, unsigned rights)
{
	msg_tag(LBL_MAP, 0, 2);
	msg_map_item(1, dst, fpage_make(src, log2, rights), false);
	ipc_call(bt_srv[0].tid);
}

/* Revoke every mapping derived from 2^log2 bytes at src. */
static void room_unmap(word_t src, unsigned log2)
{
	utcb()->mr[0] = fpage_make(src, log2, FPAGE_RWX);
	sys_unmap(0);
}

void room_begin(unsigned nodes)
{
	unsigned chunks = (MIN(nodes, ROOM_NODES_MAX) + ROOM_CHUNK - 1) / ROOM_CHUNK;

	*(volatile uint8_t *)room_pin = 1;
	for (unsigned c = 0; c < chunks; c++) {
		word_t src = POOL_MAP + (word_t)(c % (MAP_PAGES / ROOM_CHUNK)) * ROOM_CHUNK * 4096;
		room_map(src, CHILD_ROOM + (word_t)c * ROOM_CHUNK * 4096, ROOM_CHUNK_LOG2,
			 FPAGE_RW);
		room_map((word_t)room_pin, CHILD_PIN + (word_t)c * 4096, 12, FPAGE_R);
	}
	room_unmap(POOL_MAP, MAP_LOG2);
}

void room_end(void)
{
	room_unmap((word_t)room_pin, 12);
}
