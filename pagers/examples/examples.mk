# SPDX-License-Identifier: MIT
# Example pagers and their test programs, written from docs/writing-a-pager.md
# (each with its boot configuration here and a line in tests/sys/tests.txt).

EXAMPLES_TAP := $(B)/u/tests/sys/tap.o $(B)/u/tests/sys/agent.o
$(eval $(call user_program,pagers/examples/lru,$(B)/u/pagers/examples/lru.o))
$(eval $(call user_program,pagers/examples/lruclient,$(B)/u/pagers/examples/lruclient.o $(EXAMPLES_TAP)))
$(eval $(call user_program,pagers/examples/forkcheck,$(B)/u/pagers/examples/forkcheck.o $(EXAMPLES_TAP)))
$(eval $(call user_program,pagers/examples/ckpt,$(B)/u/pagers/examples/ckpt.o))
$(eval $(call user_program,pagers/examples/ckptclient,$(B)/u/pagers/examples/ckptclient.o $(EXAMPLES_TAP)))
