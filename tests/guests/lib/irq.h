/* irq.h — just enough interrupt plumbing for a guest: an IDT whose every
 * vector acknowledges the PIC and returns, and a tick counter for IRQ 0. */
#pragma once

#include "guest.h"

extern volatile uint32_t ticks;
/* Remap the PICs to vectors 0x20-0x2f, unmask only IRQ 0, and run the PIT
 * at `hz`.  Interrupts stay disabled until the caller's sti. */
void irq_init(uint32_t hz);
