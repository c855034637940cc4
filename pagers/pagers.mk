# SPDX-License-Identifier: MIT
# Stacked pagers, each a user program built on libmap's pager framework.

PAGERS := zero trace cow forkdemo pattern
$(foreach pg,$(PAGERS),$(eval $(call user_program,pagers/$(pg),$(B)/u/pagers/$(pg).o)))
