/* devices.h — the legacy PC devices glassbox-vmm emulates, one per file. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vm.h"

/* serial.c — 8250/16550A UART, interrupt-driven. */
struct serial;
struct serial *serial_create(struct vm *vm, uint16_t base, unsigned int irq, int out_fd);
/* Bytes typed at the host end (called from the main loop). */
void serial_input(struct serial *s, const uint8_t *buf, size_t len);
/* Where output goes from now on (-1: nowhere); returns the previous fd,
 * which the caller may close once this returns. */
int serial_set_output(struct serial *s, int out_fd);
void serial_reset(struct serial *s);
void serial_destroy(struct serial *s);
/* The guest-visible registers, for save/restore (hypervisor/vmm/savestate.c).
 * Bytes typed and not yet read are not kept: a restored guest finds an
 * empty receive FIFO, as after a line that dropped them. */
struct serial_state {
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	uint8_t thr_ipending;
};
void serial_get_state(struct serial *s, struct serial_state *st);
void serial_set_state(struct serial *s, const struct serial_state *st);

/* i8042.c — PS/2 keyboard controller: reset line, keyboard, PS/2 mouse. */
struct i8042;
struct i8042 *i8042_create(struct vm *vm);
/* One key's set-1 scancode bytes (make or break), from any thread. */
void i8042_key(struct i8042 *kbd, const uint8_t *codes, size_t n);
/* Relative motion (dy > 0: up) and buttons (bit 0 left, 1 right, 2 middle). */
void i8042_mouse(struct i8042 *kbd, int dx, int dy, unsigned int buttons);
/* Queue Ctrl+Alt+Del make/break codes: the guest's "graceful reboot". */
void i8042_ctrl_alt_del(struct i8042 *kbd);
void i8042_reset(struct i8042 *kbd);
void i8042_destroy(struct i8042 *kbd);

/* rtc.c — MC146818 CMOS clock and NVRAM (time, memory size). */
struct rtc;
struct rtc *rtc_create(struct vm *vm);
void rtc_destroy(struct rtc *rtc);
