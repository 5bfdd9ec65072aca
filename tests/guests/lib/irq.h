/* irq.h — just enough interrupt plumbing for a guest: an IDT whose every
 * vector acknowledges the PIC, a tick counter for IRQ 0, and a sleep loop. */
#pragma once

#include "guest.h"

extern volatile uint32_t ticks;
/* Remap the PICs to vectors 0x20-0x2f, unmask only IRQ 0, and run the PIT
 * at `hz`.  Interrupts stay disabled until the caller's sti. */
void irq_init(uint32_t hz);
/* Point vector v at fn (an asm stub: see irq.c for why it cannot IRET). */
void irq_set_gate(unsigned int v, void (*fn)(void));
/* Enable interrupts and sleep; never returns.  Each tick runs on_tick(). */
void halt_forever(void) __attribute__((noreturn));
/* Provided by the guest: called (interrupts off) on every timer tick. */
void on_tick(void);
