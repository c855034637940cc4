# SPDX-License-Identifier: MIT
# The allocator over the colouring pager: rt-alloc/example (the way to use
# the two together, docs/rt-alloc.md). Included after colour.mk and
# rtalloc.mk, whose object lists it uses.

$(eval $(call user_program,rt-alloc/example,$(B)/u/rt-alloc/example.o $(COLOUR_CLIENT_OBJ) $(RTALLOC_OBJS)))

