/* SPDX-License-Identifier: MIT */
/*
 * A thread's saved user registers, and the one way generic code reaches
 * them: accessors named after what the ABI puts in each register (the
 * syscall number, argument n, result; message register n; instruction
 * pointer, stack pointer, flags; the register block of an exception
 * message). Generic kernel files name no x86 register (kernel.mk checks).
 * All are inline: with a constant index each is one load or store.
 */
#ifndef ARCH_FRAME_H
#define ARCH_FRAME_H

#include <pagoda/types.h>
#include <pagoda/msg.h>

/*
 * The user register frame at the top of each thread's kernel stack. The
 * interrupt and exception stubs fill all of it; the syscall entry fills
 * rip (from rcx), rflags (from r11), rsp and the argument registers: the
 * callee-saved ones stay live in the CPU and are preserved by C code, and
 * cs, ss, vector and error keep what the thread's last trap (or its
 * creation) left there, which sysret does not need.
 */
struct frame {
	word_t r15, r14, r13, r12, rbp, rbx;         /* callee-saved */
	word_t r11, r10, r9, r8, rdx, rcx, rsi, rdi, rax;
	word_t vector, error;
	word_t rip, cs, rflags, rsp, ss;             /* iretq frame */
};

/* System calls (include/pagoda/syscall.h): the number in, the result
 * (an error code) out. */
static inline word_t arch_syscall_nr(const struct frame *f)
{
	return f->rax;
}

static inline word_t arch_syscall_result(const struct frame *f)
{
	return f->rax;
}

static inline void arch_syscall_set_result(struct frame *f, word_t v)
{
	f->rax = v;
}

/* Argument n (0..5) of a system call; a call's outputs come back in its
 * argument registers, so arch_syscall_set_arg writes output n. (Member
 * accesses, not a pointer: the compiler then knows a frame store leaves
 * every other structure alone.) */
static inline word_t arch_syscall_arg(const struct frame *f, unsigned n)
{
	switch (n) {
	case 0: return f->rdi;
	case 1: return f->rsi;
	case 2: return f->rdx;
	case 3: return f->r10;
	case 4: return f->r8;
	default: return f->r9;
	}
}

static inline void arch_syscall_set_arg(struct frame *f, unsigned n, word_t v)
{
	switch (n) {
	case 0: f->rdi = v; break;
	case 1: f->rsi = v; break;
	case 2: f->rdx = v; break;
	case 3: f->r10 = v; break;
	case 4: f->r8 = v; break;
	default: f->r9 = v; break;
	}
}

/* Message register i (0..MSG_REG_MRS-1: MR0..MR2) of an IPC. */
static inline word_t arch_msg_reg(const struct frame *f, unsigned i)
{
	return i == 0 ? f->r8 : i == 1 ? f->r9 : f->r10;
}

static inline void arch_msg_set_reg(struct frame *f, unsigned i, word_t w)
{
	if (i == 0)
		f->r8 = w;
	else if (i == 1)
		f->r9 = w;
	else
		f->r10 = w;
}

/* The flags a user thread may run with, made of a caller's value: its
 * arithmetic flags, DF and TF; interrupts on (cpu.c). */
word_t arch_user_flags(word_t rflags);

/* Where the thread resumes, its stack, its flags (set only what
 * arch_user_flags made of a caller's value). */
static inline word_t arch_frame_ip(const struct frame *f)
{
	return f->rip;
}

static inline void arch_frame_set_ip(struct frame *f, word_t ip)
{
	f->rip = ip;
}

static inline word_t arch_frame_sp(const struct frame *f)
{
	return f->rsp;
}

static inline void arch_frame_set_sp(struct frame *f, word_t sp)
{
	f->rsp = sp;
}

static inline word_t arch_frame_flags(const struct frame *f)
{
	return f->rflags;
}

static inline void arch_frame_set_flags(struct frame *f, word_t flags)
{
	f->rflags = flags;
}

/* The trap that entered the kernel: its vector and error code. */
static inline word_t arch_frame_vector(const struct frame *f)
{
	return f->vector;
}

static inline word_t arch_frame_error(const struct frame *f)
{
	return f->error;
}

static inline void arch_frame_set_trap(struct frame *f, word_t vector, word_t error)
{
	f->vector = vector;
	f->error = error;
}

/* The register block of an exception message (EXC_MSG_RIP..R15 except
 * the address, which is not a register). */
static inline void arch_exc_regs_get(const struct frame *f, word_t *m)
{
	m[EXC_MSG_RIP] = f->rip;
	m[EXC_MSG_RSP] = f->rsp;
	m[EXC_MSG_RFLAGS] = f->rflags;
	m[EXC_MSG_VECTOR] = f->vector;
	m[EXC_MSG_ERROR] = f->error;
	m[EXC_MSG_RAX] = f->rax;
	m[EXC_MSG_RBX] = f->rbx;
	m[EXC_MSG_RCX] = f->rcx;
	m[EXC_MSG_RDX] = f->rdx;
	m[EXC_MSG_RSI] = f->rsi;
	m[EXC_MSG_RDI] = f->rdi;
	m[EXC_MSG_RBP] = f->rbp;
	m[EXC_MSG_R8] = f->r8;
	m[EXC_MSG_R9] = f->r9;
	m[EXC_MSG_R10] = f->r10;
	m[EXC_MSG_R11] = f->r11;
	m[EXC_MSG_R12] = f->r12;
	m[EXC_MSG_R13] = f->r13;
	m[EXC_MSG_R14] = f->r14;
	m[EXC_MSG_R15] = f->r15;
}

/* Load the registers an exception handler's reply sets: all but vector
 * and error, the flags made safe (its instruction pointer is checked by
 * the caller, with arch_user_address_ok). */
static inline void arch_exc_regs_set(struct frame *f, const word_t *m)
{
	f->rip = m[EXC_MSG_RIP];
	f->rsp = m[EXC_MSG_RSP];
	f->rflags = arch_user_flags(m[EXC_MSG_RFLAGS]);
	f->rax = m[EXC_MSG_RAX];
	f->rbx = m[EXC_MSG_RBX];
	f->rcx = m[EXC_MSG_RCX];
	f->rdx = m[EXC_MSG_RDX];
	f->rsi = m[EXC_MSG_RSI];
	f->rdi = m[EXC_MSG_RDI];
	f->rbp = m[EXC_MSG_RBP];
	f->r8 = m[EXC_MSG_R8];
	f->r9 = m[EXC_MSG_R9];
	f->r10 = m[EXC_MSG_R10];
	f->r11 = m[EXC_MSG_R11];
	f->r12 = m[EXC_MSG_R12];
	f->r13 = m[EXC_MSG_R13];
	f->r14 = m[EXC_MSG_R14];
	f->r15 = m[EXC_MSG_R15];
}

#endif
