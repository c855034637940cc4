/* SPDX-License-Identifier: MIT */
/* The silent pager that refuses faults and ignores shutdown (silentpager.c). */
#define SILENT_REFUSE true
#include "silentpager.c" // NOLINT(bugprone-suspicious-include): the same pager, built with SILENT_REFUSE
