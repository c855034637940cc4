/* SPDX-License-Identifier: MIT */
/*
 * Thread ids. A global id is one word: thread number in bits 63..16 and a
 * version in bits 15..0. Version 0 is never used by a live thread, so a nil
 * id (0) never names one, and a recycled thread number with a new version
 * makes every old id "stale" (E_STALE_THREAD).
 *
 * Thread numbers below KIP.user_base are interrupt threads: number = irq,
 * version = 1.
 */
#ifndef PAGODA_THREAD_H
#define PAGODA_THREAD_H

#include <pagoda/types.h>

#define TID_NIL ((word_t)0)
#define TID_ANY (~(word_t)0)
#define TID_VERSION_BITS 16
#define TID_VERSION_MASK ((word_t)0xffff)

static inline word_t tid_make(word_t number, word_t version)
{
	return (number << TID_VERSION_BITS) | (version & TID_VERSION_MASK);
}

static inline word_t tid_number(word_t tid)
{
	return tid >> TID_VERSION_BITS;
}

static inline word_t tid_version(word_t tid)
{
	return tid & TID_VERSION_MASK;
}

static inline word_t tid_irq(unsigned irq)
{
	return tid_make(irq, 1);
}

#endif
