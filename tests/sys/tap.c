/* SPDX-License-Identifier: MIT */
#include "tap.h"

unsigned tap_failed;       /* checks that failed in this program */
