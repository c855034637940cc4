# SPDX-License-Identifier: MIT
# System-test programs, one ELF per file; run by tools/runtests.py from the
# table in tests/sys/tests.txt.

SYS_TESTS := hello nullderef privinstr survivor isolate preempt \
	unmap map ipc pager exc sysneg ctrl irq quota
TAP_OBJ := $(B)/u/tests/sys/tap.o $(B)/u/tests/sys/agent.o

# Processes under the copy-on-write pager.
SYS_TESTS += forktest forkhello crashpager toucher patternclient fuzz proto forkbomb orphans silentpager mutepager leaker faultabort poolhog

$(foreach t,$(SYS_TESTS),$(eval $(call user_program,tests/$(t),$(B)/u/tests/sys/$(t).o $(TAP_OBJ))))
