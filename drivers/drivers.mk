# SPDX-License-Identifier: MIT
# User-level device drivers: each a task that maps its device through
# sigma0 and receives its interrupts as IPC.

DRIVER_COMMON := $(B)/u/drivers/pci.o $(B)/u/drivers/virtio.o
$(eval $(call user_program,drivers/blk,$(B)/u/drivers/blk.o $(DRIVER_COMMON)))
