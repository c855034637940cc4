# SPDX-License-Identifier: MIT
# Stacked pagers, each a user program built on libmap's pager framework.

PAGERS := zero trace cow pattern swap file
# Objects a pager has besides its own: cow's sharing logic is a unit of its
# own, which tests/unit/test_cow.c builds for the host.
PAGER_OBJS_cow := $(B)/u/pagers/cow_core.o
# The file pager: its page cache, and the FAT server's client (fs/).
PAGER_OBJS_file := $(B)/u/pagers/filecache.o $(B)/u/fs/fsclient.o
$(B)/u/pagers/file.o $(B)/u/pagers/filecache.o: USER_CFLAGS += -Ifs
$(foreach pg,$(PAGERS),$(eval $(call user_program,pagers/$(pg),$(B)/u/pagers/$(pg).o $(PAGER_OBJS_$(pg)))))

# The file pager's long random test: 10^5 fsx operations of up to 64 KiB
# on a 256 KiB file (tests/sys/file_long.cfg), the image checked on the host.
.PHONY: file-fsx-long
file-fsx-long: deps
	@$(MAKE) --no-print-directory all
	python3 tests/sys/fs_disk.py make 16 $(B)/file-long.img
	python3 tools/qemu.py --config tests/sys/file_long.cfg --disk $(B)/file-long.img --timeout 7200 --log $(B)/file-long.log
	python3 tests/sys/fs_disk.py check 16 $(B)/file-long.img

include pagers/examples/examples.mk
