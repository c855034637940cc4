/* SPDX-License-Identifier: MIT */
/*
 * Cache geometry from CPUID. Intel-style CPUs describe each cache with
 * deterministic cache parameters, leaf 4 (one sub-leaf per cache until
 * type 0); AMD-style CPUs with the same layout in leaf 0x8000001D, when
 * CPUID 0x80000001 ECX bit 22 (TOPOEXT) says it exists. Both give per
 * cache: EAX type (bits 4..0: 1 data, 2 instruction, 3 unified) and level
 * (bits 7..5); EBX line size - 1 (11..0), partitions - 1 (21..12), ways - 1
 * (31..22); ECX sets - 1. Older AMD-style CPUs (and QEMU's TCG -cpu max,
 * which tools/qemu.py uses: vendor AuthenticAMD without TOPOEXT, so both
 * leaves above are empty there) describe L1 in 0x80000005 and L2/L3 in
 * 0x80000006 (size, an encoded associativity, line size); that is the
 * fallback, and what the pager prints under QEMU.
 */
#include "colour.h"
#include <cpuid_arch.h>

/* Read the caches of `leaf` into g; false if it lists none. */
static bool cache_read_leaf(struct colour_geometry *g, uint32_t leaf)
{
	uint32_t r[4];

	g->nlevels = 0;
	for (uint32_t sub = 0; sub < 16 && g->nlevels < COLOUR_LEVELS_MAX; sub++) {
		struct colour_level *l = &g->lvl[g->nlevels];
		cpuid(leaf, sub, r);
		if (!(r[0] & 0x1f))
			break;
		l->type = "?diu"[(r[0] & 0x1f) > 3 ? 0 : r[0] & 0x1f];
		l->level = r[0] >> 5 & 7;
		l->line = (r[1] & 0xfff) + 1;
		l->ways = (r[1] >> 22) + 1;
		l->sets = r[2] + 1;
		l->size = (uint64_t)l->line * l->sets * l->ways * ((r[1] >> 12 & 0x3ff) + 1);
		g->nlevels++;
	}
	return g->nlevels > 0;
}

/* One cache of the AMD legacy leaves; nothing if size or ways is 0. */
static void cache_add(struct colour_geometry *g, unsigned level, char type, uint64_t size,
		      unsigned ways, unsigned line)
{
	struct colour_level *l = &g->lvl[g->nlevels];

	if (!size || !ways || !line || g->nlevels == COLOUR_LEVELS_MAX)
		return;
	*l = (struct colour_level){ level, type, line, (unsigned)(size / ((uint64_t)ways * line)),
				    ways, size };
	g->nlevels++;
}

/* The 4-bit associativity code of 0x80000006 as a number of ways (0:
 * disabled; fully associative counts as one set of all lines). */
static unsigned cache_amd_ways(unsigned code, uint64_t size, unsigned line)
{
	static const unsigned ways[16] = { 0, 1, 2, 3, 4, 6, 8, 0, 16, 0, 32, 48, 64, 96, 128, 0 };

	if (code == 0xf)
		return line ? (unsigned)(size / line) : 0;
	return ways[code & 0xf];
}

/* Leaves 0x80000005 (L1: ways as a byte) and 0x80000006 (L2, L3). */
static bool cache_read_amd_legacy(struct colour_geometry *g, uint32_t ext)
{
	uint32_t r[4];
	uint64_t l2, l3;

	g->nlevels = 0;
	if (ext < 0x80000006)
		return false;
	cpuid(0x80000005, 0, r);
	cache_add(g, 1, 'd', (uint64_t)(r[2] >> 24) << 10, r[2] >> 16 & 0xff, r[2] & 0xff);
	cache_add(g, 1, 'i', (uint64_t)(r[3] >> 24) << 10, r[3] >> 16 & 0xff, r[3] & 0xff);
	cpuid(0x80000006, 0, r);
	l2 = (uint64_t)(r[2] >> 16) << 10;
	l3 = (uint64_t)(r[3] >> 18) << 19;
	cache_add(g, 2, 'u', l2, cache_amd_ways(r[2] >> 12 & 0xf, l2, r[2] & 0xff), r[2] & 0xff);
	cache_add(g, 3, 'u', l3, cache_amd_ways(r[3] >> 12 & 0xf, l3, r[3] & 0xff), r[3] & 0xff);
	return g->nlevels > 0;
}

void cache_geometry(struct colour_geometry *g)
{
	uint32_t r[4], max, ext;
	bool amd;

	cpuid(0, 0, r);
	max = r[0];
	amd = r[1] == 0x68747541;                /* "Auth"enticAMD */
	cpuid(0x80000000, 0, r);
	ext = r[0];
	if (amd && ext >= 0x8000001d) {
		cpuid(0x80000001, 0, r);
		if (r[2] & (1u << 22) && cache_read_leaf(g, 0x8000001d)) {
			g->source = "cpuid 0x8000001d";
			colour_geometry_finish(g);
			return;
		}
	}
	if (!amd && max >= 4 && cache_read_leaf(g, 4))
		g->source = "cpuid leaf 4";
	else if (amd && cache_read_amd_legacy(g, ext))
		g->source = "cpuid 0x80000005/6";
	else
		g->nlevels = 0, g->source = "none (cpuid lists no caches)";
	colour_geometry_finish(g);
}

void cache_print(const char *who, const struct colour_geometry *g)
{
	for (unsigned i = 0; i < g->nlevels; i++) {
		const struct colour_level *l = &g->lvl[i];
		printf("%s: L%u%c %lu KiB, %u-way, %u sets of %u-byte lines\n", who, l->level,
		       l->type, (unsigned long)(l->size >> 10), l->ways, l->sets, l->line);
	}
	printf("%s: %u colours (last-level way / 4 KiB), geometry from %s\n", who, g->colours,
	       g->source);
}
