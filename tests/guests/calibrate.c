/* calibrate.c — a fixed amount of work: 500 000 iterations of a two-
 * instruction loop.  Hardware-accelerated KVM runs it in about a
 * millisecond; a /dev/kvm that emulates each instruction (PVM here) takes
 * about a second.  The Linux boot test times it to decide. */
#include "guest.h"

void guest_main(void *start_info);

void
guest_main(void *start_info)
{
	uint32_t n = 500000;

	puts("calibrate start\n");
	__asm__ volatile("1: dec %0; jnz 1b" : "+r"(n));
	puts("calibrate end\n");
}
