# SPDX-License-Identifier: MIT
# The colouring pager (rt-alloc/colour): its host-testable core
# (colour_core.c, tests/unit/test_colour.c), CPUID geometry and the pager
# task; colour_client.o is what its clients link.

COLOUR_OBJS := $(B)/u/rt-alloc/colour.o $(B)/u/rt-alloc/colour_core.o $(B)/u/rt-alloc/cache.o
COLOUR_CLIENT_OBJ := $(B)/u/rt-alloc/colour_client.o
$(B)/u/rt-alloc/%.o: USER_CFLAGS += -Irt-alloc -Irt-alloc/arch/x86_64
$(eval $(call user_program,rt-alloc/colour,$(COLOUR_OBJS)))
