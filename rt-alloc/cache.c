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
		cpuid(leaf, sub, r);
		if (!colour_decode_leaf4(r, &g->lvl[g->nlevels]))
			break;
		g->nlevels++;
	}
	return g->nlevels > 0;
}

/* Leaves 0x80000005 (L1d, L1i) and 0x80000006 (L2, L3). */
static bool cache_read_amd_legacy(struct colour_geometry *g, uint32_t ext)
{
	uint32_t r5[4], r6[4];

	g->nlevels = 0;
	if (ext < 0x80000006)
		return false;
	cpuid(0x80000005, 0, r5);
	cpuid(0x80000006, 0, r6);
	g->nlevels += colour_decode_amd_l1(r5[2], 'd', &g->lvl[g->nlevels]);
	g->nlevels += colour_decode_amd_l1(r5[3], 'i', &g->lvl[g->nlevels]);
	g->nlevels += colour_decode_amd_l23(r6[2], 2, &g->lvl[g->nlevels]);
	g->nlevels += colour_decode_amd_l23(r6[3], 3, &g->lvl[g->nlevels]);
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
