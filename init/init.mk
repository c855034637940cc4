# SPDX-License-Identifier: MIT
# The root task.

INIT_OBJS := $(patsubst %.c,$(B)/u/%.o,init/init.c init/config.c init/modules.c init/task.c init/pager.c)
$(eval $(call user_program,init,$(INIT_OBJS)))
