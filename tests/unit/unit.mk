# SPDX-License-Identifier: MIT
# Host unit tests (Check). Each suite is one binary built from its test
# file and the real sources it tests, with ASan and UBSan.

UNIT_SUITES :=

# unit_suite NAME, SOURCES
define unit_suite
$(B)/unit/$(1): $(patsubst %.c,$(B)/h/%.o,$(2) tests/unit/unit.c)
	@mkdir -p $$(dir $$@)
	@echo "  LD [host] $$@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -o $$@ $$^ $(HOST_LIBS)
UNIT_SUITES += $(B)/unit/$(1)
endef

# One line per suite:
$(eval $(call unit_suite,elf,tests/unit/test_elf.c lib/elf.c))
$(eval $(call unit_suite,bootinfo,tests/unit/test_bootinfo.c kernel/bootinfo.c))
$(eval $(call unit_suite,bits,tests/unit/test_bits.c))
$(eval $(call unit_suite,kmem,tests/unit/test_kmem.c kernel/kmem.c))
$(eval $(call unit_suite,mapdb,tests/unit/test_mapdb.c kernel/mapdb.c kernel/mapdb_index.c kernel/mapdb_unmap.c kernel/mapdb_split.c kernel/mapdb_check.c kernel/kmem.c))
$(eval $(call unit_suite,cow,tests/unit/test_cow.c libmap/pager.c pagers/cow_core.c))
$(eval $(call unit_suite,fpage,tests/unit/test_fpage.c kernel/fpage.c))
$(eval $(call unit_suite,fat,tests/unit/test_fat.c $(FS_LIB)))
$(eval $(call unit_suite,colour,tests/unit/test_colour.c rt-alloc/colour_core.c))
$(eval $(call unit_suite,list,tests/unit/test_list.c))
