# SPDX-License-Identifier: MIT
# Stacked pagers, each a user program built on libmap's pager framework.

PAGERS := zero trace cow forkdemo pattern
# Objects a pager has besides its own: cow's sharing logic is a unit of its
# own, which tests/unit/test_cow.c builds for the host.
PAGER_OBJS_cow := $(B)/u/pagers/cow_core.o
$(foreach pg,$(PAGERS),$(eval $(call user_program,pagers/$(pg),$(B)/u/pagers/$(pg).o $(PAGER_OBJS_$(pg)))))

include pagers/examples/examples.mk
