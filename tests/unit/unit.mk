# SPDX-License-Identifier: MIT
# Host unit tests (Check). Each suite is one binary built from its test
# file and the real sources it tests, with ASan and UBSan.

UNIT_SUITES :=

# unit_suite NAME, SOURCES
define unit_suite
$(B)/unit/$(1): $(patsubst %.c,$(B)/h/%.o,$(2))
	@mkdir -p $$(dir $$@)
	$(HOST_CC) $(HOST_CFLAGS) -o $$@ $$^ $(HOST_LIBS)
UNIT_SUITES += $(B)/unit/$(1)
endef

# One line per suite:
