/* SPDX-License-Identifier: MIT */
/* The allocation trace replayed by rtb_trace, embedded at build time:
 * RTB_TRACE_FILE is the normalised trace tools/rtalloc_trace.py wrote. */
	.section .rodata
	.globl rtb_trace_text
	.globl rtb_trace_end
rtb_trace_text:
	.incbin RTB_TRACE_FILE
rtb_trace_end:
	.byte 0
	.section .note.GNU-stack,"",@progbits
