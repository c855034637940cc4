/* SPDX-License-Identifier: MIT */
/*
 * Every system call instruction in user space: the x86-64 register
 * conventions of include/pagoda/syscall.h, in one short header.
 */
#ifndef LIBMAP_SYSCALL_ARCH_H
#define LIBMAP_SYSCALL_ARCH_H

#include <pagoda/types.h>
#include <pagoda/syscall.h>
#include <pagoda/utcb.h>

#ifdef HOST_TEST
/* Host unit tests run libmap code as an ordinary process: the test owns
 * the UTCB, and the system calls the code under test names are the test's
 * stubs (so a call it did not expect cannot reach the host kernel). */
extern struct utcb *host_utcb;
#endif

/* The UTCB of the calling thread: %fs points at it, %fs:0 holds its address. */
static inline struct utcb *utcb(void)
{
#ifdef HOST_TEST
	return host_utcb;
#else
	struct utcb *u;
	__asm__("movq %%fs:0, %0" : "=r"(u));
	return u;
#endif
}

/* Registers in and out of one syscall: rax, rdi, rsi, rdx, r10, r8, r9. */
struct sysregs {
	word_t rax, rdi, rsi, rdx, r10, r8, r9;
};

#ifdef HOST_TEST
void syscall_raw(struct sysregs *r);
word_t syscall_ipc(word_t to, word_t from, word_t tmo, word_t *sender);
word_t syscall0(word_t n);
#else
static inline void syscall_raw(struct sysregs *r)
{
	register word_t r10 __asm__("r10") = r->r10;
	register word_t r8 __asm__("r8") = r->r8;
	register word_t r9 __asm__("r9") = r->r9;

	__asm__ volatile("syscall"
			 : "+a"(r->rax), "+D"(r->rdi), "+S"(r->rsi), "+d"(r->rdx), "+r"(r10),
			   "+r"(r8), "+r"(r9)
			 :
			 : "rcx", "r11", "memory");
	r->r10 = r10;
	r->r8 = r8;
	r->r9 = r9;
}

/* IPC with MR0..MR2 moved between the UTCB and r8..r10. */
static inline word_t syscall_ipc(word_t to, word_t from, word_t tmo, word_t *sender)
{
	struct utcb *u = utcb();
	register word_t r8 __asm__("r8") = u->mr[0];
	register word_t r9 __asm__("r9") = u->mr[1];
	register word_t r10 __asm__("r10") = u->mr[2];
	word_t rax = SYS_IPC;

	__asm__ volatile("syscall"
			 : "+a"(rax), "+D"(to), "+S"(from), "+d"(tmo), "+r"(r8), "+r"(r9), "+r"(r10)
			 :
			 : "rcx", "r11", "memory");
	u->mr[0] = r8;
	u->mr[1] = r9;
	u->mr[2] = r10;
	if (sender)
		*sender = from;
	return rax;
}

static inline word_t syscall0(word_t n)
{
	word_t rax = n;
	__asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
	return rax;
}
#endif

#endif
