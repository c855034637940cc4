# SPDX-License-Identifier: MIT
# The file system: the FAT library (freestanding; tests/unit/test_fat.c
# builds it for the host) and the FAT server built on it.

FS_LIB := fs/bcache.c fs/fat.c fs/fatdir.c fs/fatfile.c
$(B)/h/tests/unit/test_fat.o: HOST_CFLAGS += -Ifs

# The long random test: 10^5 operations of up to 64 KiB on 256 KiB files.
.PHONY: fsx-long
fsx-long: deps
	@$(MAKE) --no-print-directory $(B)/unit/fat
	FSX_OPS=100000 FSX_MAXOP=65536 FSX_FILELEN=262144 CK_RUN_CASE=fsx_fat16 \
		CK_TIMEOUT_MULTIPLIER=20 CK_VERBOSITY=verbose $(B)/unit/fat

# The FAT server (guest): the library and its server loop.
$(eval $(call user_program,fs/fatserv,$(patsubst %.c,$(B)/u/%.o,fs/fatserv.c $(FS_LIB))))
