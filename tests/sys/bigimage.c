/* SPDX-License-Identifier: MIT */
/*
 * An image with more pages of file contents than init keeps for one task
 * (TASK_PAGES_MAX, init/init.h): init cannot load it and says why with a
 * defined error code (it used to print "error 0"). tests/sys/bigimage.cfg.
 */
#include "tap.h"

#define BIGIMAGE_BYTES ((2048 + 16) * 4096)

static volatile char bigimage_data[BIGIMAGE_BYTES] = { 1 };

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("bigimage: not ok - started with %u bytes of data\n",
	       (unsigned)sizeof(bigimage_data));
	return bigimage_data[0];
}
