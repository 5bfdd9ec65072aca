/* hello.c — the smallest guest: say hello on COM1, then reset. */
#include "guest.h"

void guest_main(void *start_info);

void
guest_main(void *start_info)
{
	puts("hello from a glassbox guest\n");
}
