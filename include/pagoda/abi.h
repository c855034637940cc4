/* SPDX-License-Identifier: MIT */
/* The whole Pagoda ABI: include this from user programs and servers. */
#ifndef PAGODA_ABI_H
#define PAGODA_ABI_H

#include <pagoda/types.h>
#include <pagoda/error.h>
#include <pagoda/syscall.h>
#include <pagoda/thread.h>
#include <pagoda/fpage.h>
#include <pagoda/msg.h>
#include <pagoda/kip.h>
#include <pagoda/utcb.h>
#include <pagoda/sigma0.h>
#include <pagoda/proto.h>

#endif
