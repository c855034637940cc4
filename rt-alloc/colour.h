/* SPDX-License-Identifier: MIT */
/* The colouring pager's parts that run in Pagoda (rt-alloc/colour.c). */
#ifndef RT_ALLOC_COLOUR_H
#define RT_ALLOC_COLOUR_H

#include <libmap.h>
#include "colour_core.h"

/* cache.c: the geometry CPUID reports, and printing it. */
void cache_geometry(struct colour_geometry *g);
void cache_print(const char *who, const struct colour_geometry *g);

#endif
