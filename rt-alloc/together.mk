# SPDX-License-Identifier: MIT
# The allocator over the colouring pager: rt-alloc/example (the way to use
# the two together, docs/rt-alloc.md) and tests/rtcache (cache misses per
# rt_malloc/rt_free, tools/rt_cachemiss.py). Included after colour.mk and
# rtalloc.mk, whose object lists it uses.

$(eval $(call user_program,rt-alloc/example,$(B)/u/rt-alloc/example.o $(COLOUR_CLIENT_OBJ) $(RTALLOC_OBJS)))

# rtcache links the constructed worst cases of the benchmark as they are
# (worst.o, built with -DRTB_RTALLOC) and measures them its own way.
$(B)/u/tests/sys/rtcache.o: USER_CFLAGS += -Irt-alloc -DRTB_RTALLOC
$(eval $(call user_program,tests/rtcache,$(B)/u/tests/sys/rtcache.o \
	$(B)/u/tests/bench/rtalloc/worst.o $(COLOUR_CLIENT_OBJ) $(RTALLOC_OBJS)))
