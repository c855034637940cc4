/* SPDX-License-Identifier: MIT */
/* Basic fixed-width types for the Pagoda ABI (freestanding; no libc needed). */
#ifndef PAGODA_TYPES_H
#define PAGODA_TYPES_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef uint64_t word_t;   /* one machine word: registers, message registers */

#endif
