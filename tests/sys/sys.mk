# SPDX-License-Identifier: MIT
# System-test programs, one ELF per file; run by tools/runtests.py from the
# table in tests/sys/tests.txt.

SYS_TESTS := hello nullderef privinstr survivor isolate preempt \
	unmap map ipc pager exc sysneg ctrl irq quota
TAP_OBJ := $(B)/u/tests/sys/tap.o $(B)/u/tests/sys/agent.o

# Processes under the copy-on-write pager.
SYS_TESTS += forktest forkhello crashpager toucher patternclient proto

$(foreach t,$(SYS_TESTS),$(eval $(call user_program,tests/$(t),$(B)/u/tests/sys/$(t).o $(TAP_OBJ))))

# The fuzzer is two files (fuzz.c, fuzz_more.c).
$(eval $(call user_program,tests/fuzz,$(B)/u/tests/sys/fuzz.o $(B)/u/tests/sys/fuzz_more.o $(TAP_OBJ)))
