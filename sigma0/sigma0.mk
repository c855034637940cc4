# SPDX-License-Identifier: MIT
# sigma0 is linked high, clear of the 1:1 mapping of physical memory.

SIGMA0_OBJS := $(B)/u/sigma0/sigma0.o $(B)/u/sigma0/ram_check.o
# make DEBUG=1: the RAM table's checker after every request.
$(B)/u/sigma0/sigma0.o: USER_CFLAGS += $(if $(DEBUG),-DSIGMA0_DEBUG)

$(B)/sigma0.elf: $(SIGMA0_OBJS) $(LIBMAP_OBJS) libmap/user.ld
	@mkdir -p $(dir $@)
	$(LD) -nostdlib -static --defsym=USER_BASE=0x600000000000 -T libmap/user.ld -o $@ \
		$(SIGMA0_OBJS) $(LIBMAP_OBJS)
USER_PROGRAMS += $(B)/sigma0.elf
