# SPDX-License-Identifier: MIT
# Stacked pagers, each a user program built on libmap's pager framework.

PAGERS := zero trace cow forkdemo pattern
# Objects a pager has besides its own: cow's sharing logic is a unit of its
# own, which tests/unit/test_cow.c builds for the host.
PAGER_OBJS_cow := $(B)/u/pagers/cow_core.o
$(foreach pg,$(PAGERS),$(eval $(call user_program,pagers/$(pg),$(B)/u/pagers/$(pg).o $(PAGER_OBJS_$(pg)))))

# tests/unit/test_cow.c builds the pager framework and cow_core for the
# host: they find the arch header (and the test cow_core.h) as here.
$(B)/h/libmap/pager.o $(B)/h/pagers/cow_core.o $(B)/h/tests/unit/test_cow.o: \
	HOST_CFLAGS += -Ilibmap/arch/x86_64 -Ipagers
