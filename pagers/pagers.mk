# SPDX-License-Identifier: MIT
# Stacked pagers, each a user program built on libmap's pager framework.

PAGERS := zero trace cow forkdemo pattern swap file
# Objects a pager has besides its own: cow's sharing logic is a unit of its
# own, which tests/unit/test_cow.c builds for the host.
PAGER_OBJS_cow := $(B)/u/pagers/cow_core.o
# The file pager: its page cache, and the FAT server's client (fs/).
PAGER_OBJS_file := $(B)/u/pagers/filecache.o $(B)/u/fs/fsclient.o
$(B)/u/pagers/file.o $(B)/u/pagers/filecache.o: USER_CFLAGS += -Ifs
$(foreach pg,$(PAGERS),$(eval $(call user_program,pagers/$(pg),$(B)/u/pagers/$(pg).o $(PAGER_OBJS_$(pg)))))

