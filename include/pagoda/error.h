/* SPDX-License-Identifier: MIT */
/*
 * Error codes returned by every Pagoda system call in rax (0 = success).
 * A caller's mistake always yields one of these; the kernel never panics on
 * user input. The numbering is ABI: never renumber, only append.
 */
#ifndef PAGODA_ERROR_H
#define PAGODA_ERROR_H

enum pagoda_error {
	E_OK = 0,
	E_NO_PRIVILEGE = 1,   /* caller's space is not privileged for this call */
	E_BAD_THREAD = 2,     /* thread id is nil, malformed, out of range or unknown */
	E_STALE_THREAD = 3,   /* thread number exists but its version differs */
	E_BAD_SPACE = 4,      /* space specifier names no usable address space */
	E_BAD_SCHEDULER = 5,  /* priority or time slice out of range */
	E_BAD_ARGUMENT = 6,   /* any other malformed argument (flags, control word) */
	E_BAD_UTCB = 7,       /* UTCB location outside the UTCB area, unaligned or in use */
	E_NO_MEMORY = 8,      /* kernel memory quota of the space exhausted, or pool empty */
	E_BAD_FPAGE = 9,      /* fpage: bad size, unaligned, kernel or non-canonical address */
	E_EXISTS = 10,        /* object (thread, space, attachment) already exists */
	E_BUSY = 11,          /* interrupt line attached to another thread */
	E_BROKEN = 30,        /* KDB_CHECK only: a kernel invariant is broken */

	/* IPC errors; the receive phase sets IPC_ERR_RECV_PHASE in addition. */
	E_IPC_TIMEOUT = 16,       /* timeout expired before a partner was ready */
	E_IPC_NO_PARTNER = 17,    /* partner does not exist, was deleted or stopped */
	E_IPC_CANCELLED = 18,     /* aborted by exchange_registers */
	E_IPC_OVERFLOW = 19,      /* message longer than the receiver accepts (u+t > 63) */
	E_IPC_BAD_ITEM = 20,      /* malformed typed item in the message */
	E_IPC_NOT_MAPPED = 21,    /* info in utcb.error: a map item named memory the sender lacks */
	E_IPC_ABORTED = 22,       /* reserved */

	E_BAD_SYSCALL = 31,       /* unknown system call number */
};

/* Set in the ipc result when the error happened in the receive phase. */
#define IPC_ERR_RECV_PHASE 0x100u

#endif
