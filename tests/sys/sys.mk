# SPDX-License-Identifier: MIT
# System-test programs, one ELF per file; run by tools/runtests.py from the
# table in tests/sys/tests.txt.

SYS_TESTS := hello nullderef privinstr survivor isolate preempt \
	unmap map ipc pager exc sysneg ctrl irq quota segs schedlim forge heapexec rip ipcprio damage
TAP_OBJ := $(B)/u/tests/sys/tap.o $(B)/u/tests/sys/agent.o

# Processes under the copy-on-write pager.
SYS_TESTS += forktest forkhello crashpager toucher patternclient proto recvwin devmem
SYS_TESTS += forkmatrix pagerkill exhaust
SYS_TESTS += forkbomb orphans silentpager mutepager leaker faultabort poolhog s0mem ptlast
SYS_TESTS += foreign initmsg bigimage poolback wakeorder stale boundhog

# Clients of the virtio-blk driver (drivers/blk).
SYS_TESTS += blktest

# Clients of pagers that evict (libmap eviction helpers).
SYS_TESTS += swapclient

# Forged faults and exceptions (to init and to a libmap pager).
SYS_TESTS += initforge

# Calls on a stranger's threads and spaces, a forged fault to sigma0.
SYS_TESTS += authority

$(foreach t,$(SYS_TESTS),$(eval $(call user_program,tests/$(t),$(B)/u/tests/sys/$(t).o $(TAP_OBJ))))

# Clients of the FAT server (fs/fatserv), with the protocol's client code.
$(eval $(call user_program,tests/fstest,$(B)/u/tests/sys/fstest.o $(B)/u/fs/fsclient.o $(TAP_OBJ)))
$(B)/u/tests/sys/fstest.o: USER_CFLAGS += -Ifs
# Attacks on the servers (audit after issue 8), with the same client code.
$(eval $(call user_program,tests/srvattack,$(B)/u/tests/sys/srvattack.o $(B)/u/fs/fsclient.o $(TAP_OBJ)))
$(B)/u/tests/sys/srvattack.o: USER_CFLAGS += -Ifs
# One client against the others' share of a server's tables.
$(eval $(call user_program,tests/tables,$(B)/u/tests/sys/tables.o $(B)/u/fs/fsclient.o $(TAP_OBJ)))
$(B)/u/tests/sys/tables.o: USER_CFLAGS += -Ifs

# Clients of the file pager (pagers/file), on the FAT server's client.
$(eval $(call user_program,tests/filetest,$(B)/u/tests/sys/filetest.o $(B)/u/fs/fsclient.o $(TAP_OBJ)))
$(B)/u/tests/sys/filetest.o: USER_CFLAGS += -Ifs
# The FPU test carries vector registers across switches in assembly.
$(eval $(call user_program,tests/fpu,$(B)/u/tests/sys/fpu.o $(B)/u/tests/sys/fpu_regs.o $(TAP_OBJ)))
# Clients of the colouring pager (rt-alloc/colour).
$(eval $(call user_program,tests/colourclient,$(B)/u/tests/sys/colourclient.o $(TAP_OBJ) $(COLOUR_CLIENT_OBJ)))
# The colour-isolation experiment (tools/rt_isolation.py).
$(eval $(call user_program,tests/rtloop,$(B)/u/tests/sys/rtloop.o $(COLOUR_CLIENT_OBJ)))
$(eval $(call user_program,tests/noisy,$(B)/u/tests/sys/noisy.o $(COLOUR_CLIENT_OBJ)))

# The fuzzer is three files (fuzz.c, fuzz_more.c, fuzz_paths.c).
$(eval $(call user_program,tests/fuzz,$(B)/u/tests/sys/fuzz.o $(B)/u/tests/sys/fuzz_more.o $(B)/u/tests/sys/fuzz_paths.o $(TAP_OBJ)))
