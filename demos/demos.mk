# SPDX-License-Identifier: MIT
# Demo programs: what the boot configurations in init/ run to show the
# system at work (README, "What make qemu shows"). They are clients, not
# pagers: ordinary libmap programs.

DEMOS := forkdemo filedemo
$(foreach d,$(DEMOS),$(eval $(call user_program,demos/$(d),$(B)/u/demos/$(d).o)))
