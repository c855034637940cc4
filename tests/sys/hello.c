/* SPDX-License-Identifier: MIT */
/* Boot to a user task: it runs, prints through the kernel and exits. */
#include "tap.h"

int main(int argc, char **argv)
{
	ok(argc == 2 && !strcmp(argv[1], "world"), "arguments arrive (argc %d)", argc);
	ok(libmap_kip->magic == KIP_MAGIC, "the KIP is mapped and valid");
	ok(utcb()->my_id == libmap_myself && libmap_myself != TID_NIL, "the UTCB names me");
	printf("hello: Pagoda user task %lx says hello\n", libmap_myself);
	return (int)tap_failed;
}
