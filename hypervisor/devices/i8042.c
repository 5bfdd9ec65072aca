/* i8042.c — the PC keyboard controller (ports 0x60 data, 0x64 command).
 *
 * Two jobs matter to a VMM: the controller's output port bit 0 is wired to
 * the CPU reset line, so Linux's `reboot=k` (command 0xfe, "pulse reset")
 * is how a guest asks to be reset — we end the VM; and the keyboard behind
 * it lets us press Ctrl+Alt+Del, which Linux turns into an orderly reboot
 * (our "powerdown").  Scancodes are set 1, as the controller's default
 * translation hands them to the guest.
 *
 * Behind the aux port sits a PS/2 mouse (the 3-byte "standard" protocol,
 * no wheel), fed by the VNC server's pointer events as relative motion.
 * Linux drives it with psmouse; tests/guests/screen.c drives it by hand.
 */
#include "devices.h"

#include <string.h>

#define I8042_DATA    0x60
#define I8042_COMMAND 0x64

#define STATUS_OBF    0x01
#define STATUS_SYS    0x04
#define STATUS_CMD    0x08   /* last write went to 0x64 */
#define STATUS_AUXOBF 0x20

#define CB_KBD_INT    0x01
#define CB_AUX_INT    0x02
#define CB_SYS        0x04
#define CB_KBD_OFF    0x10
#define CB_AUX_OFF    0x20
#define CB_XLATE      0x40

#define KBD_IRQ 1
#define AUX_IRQ 12
#define QUEUE 64

struct i8042 {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t command_byte;
	uint8_t status;
	uint8_t pending_cmd;     /* controller command awaiting its data byte */
	uint8_t pending_kbd;     /* keyboard command awaiting its argument */
	uint8_t queue[QUEUE];
	bool queue_aux[QUEUE];
	unsigned int head, len;
	int kbd_level, aux_level;
	/* The mouse. */
	uint8_t pending_aux;     /* mouse command awaiting its argument */
	bool aux_reporting;      /* 0xf4: stream packets */
	bool aux_wrap;
	uint8_t aux_rate, aux_resolution, aux_scaling;
	uint8_t aux_buttons;
};

static void
update_irq(struct i8042 *k)
{
	bool aux = k->len > 0 && k->queue_aux[k->head];
	int kbd_level = k->len > 0 && !aux && (k->command_byte & CB_KBD_INT);
	int aux_level = k->len > 0 && aux && (k->command_byte & CB_AUX_INT);

	if (kbd_level != k->kbd_level)
		vm_set_irq_line(k->vm, KBD_IRQ, k->kbd_level = kbd_level);
	if (aux_level != k->aux_level)
		vm_set_irq_line(k->vm, AUX_IRQ, k->aux_level = aux_level);
}

static void
push(struct i8042 *k, uint8_t byte, bool aux)
{
	if (k->len < QUEUE) {
		unsigned int at = (k->head + k->len++) % QUEUE;
		k->queue[at] = byte;
		k->queue_aux[at] = aux;
	}
}

static uint8_t
pop(struct i8042 *k)
{
	uint8_t b;

	if (k->len == 0)
		return 0;   /* real controllers return the last byte; 0 is fine */
	b = k->queue[k->head];
	k->head = (k->head + 1) % QUEUE;
	k->len--;
	return b;
}

static void
reset_machine(struct i8042 *k)
{
	vm_request_stop(k->vm, VM_STOP_GUEST_RESET,
	                "guest reset through the i8042 keyboard controller");
}

/* A byte for the keyboard itself (PS/2 keyboard command set). */
static void
keyboard_command(struct i8042 *k, uint8_t b)
{
	if (k->pending_kbd) {
		k->pending_kbd = 0;
		push(k, 0xfa, false);        /* ACK the argument */
		return;
	}
	switch (b) {
	case 0xed:                       /* set LEDs */
	case 0xf0:                       /* scancode set */
	case 0xf3:                       /* typematic rate */
		k->pending_kbd = b;
		push(k, 0xfa, false);
		break;
	case 0xf2:                       /* identify: MF2 keyboard */
		push(k, 0xfa, false);
		push(k, 0xab, false);
		push(k, 0x83, false);
		break;
	case 0xff:                       /* reset + self-test passed */
		push(k, 0xfa, false);
		push(k, 0xaa, false);
		break;
	case 0xee:                       /* echo */
		push(k, 0xee, false);
		break;
	default:                         /* enable, disable, defaults, … */
		push(k, 0xfa, false);
		break;
	}
}

static void
aux_defaults(struct i8042 *k)
{
	k->aux_reporting = false;
	k->aux_rate = 100;
	k->aux_resolution = 2;     /* 4 counts/mm */
	k->aux_scaling = 0;
}

/* A byte for the mouse (0xd4 prefix): the PS/2 mouse command set. */
static void
aux_command(struct i8042 *k, uint8_t b)
{
	if (k->pending_aux) {
		if (k->pending_aux == 0xf3)
			k->aux_rate = b;
		else if (k->pending_aux == 0xe8)
			k->aux_resolution = b & 3;
		k->pending_aux = 0;
		push(k, 0xfa, true);
		return;
	}
	if (k->aux_wrap && b != 0xff && b != 0xec) {
		push(k, b, true);          /* wrap mode echoes everything */
		return;
	}
	switch (b) {
	case 0xe8:                       /* set resolution */
	case 0xf3:                       /* set sample rate */
		k->pending_aux = b;
		push(k, 0xfa, true);
		break;
	case 0xe6: k->aux_scaling = 0; push(k, 0xfa, true); break;
	case 0xe7: k->aux_scaling = 1; push(k, 0xfa, true); break;
	case 0xe9:                       /* status request */
		push(k, 0xfa, true);
		push(k, (k->aux_reporting ? 0x20 : 0) | (k->aux_scaling ? 0x10 : 0) | (k->aux_buttons & 7), true);
		push(k, k->aux_resolution, true);
		push(k, k->aux_rate, true);
		break;
	case 0xea: push(k, 0xfa, true); break;   /* stream mode */
	case 0xeb:                               /* read data: an empty packet */
		push(k, 0xfa, true);
		push(k, 0x08 | (k->aux_buttons & 7), true);
		push(k, 0, true);
		push(k, 0, true);
		break;
	case 0xec: k->aux_wrap = false; push(k, 0xfa, true); break;
	case 0xee: k->aux_wrap = true; push(k, 0xfa, true); break;
	case 0xf2:                               /* get ID: a plain mouse */
		push(k, 0xfa, true);
		push(k, 0x00, true);
		break;
	case 0xf4: k->aux_reporting = true; push(k, 0xfa, true); break;
	case 0xf5: k->aux_reporting = false; push(k, 0xfa, true); break;
	case 0xf6: aux_defaults(k); push(k, 0xfa, true); break;
	case 0xff:                               /* reset: BAT passed, ID 0 */
		aux_defaults(k);
		k->aux_wrap = false;
		push(k, 0xfa, true);
		push(k, 0xaa, true);
		push(k, 0x00, true);
		break;
	default:                                 /* remote mode, … : "resend" */
		push(k, 0xfe, true);
		break;
	}
}

static void
controller_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case 0x20:                       /* read command byte */
		push(k, k->command_byte, false);
		break;
	case 0x60:                       /* write command byte: data follows */
	case 0xd1:                       /* write output port: data follows */
	case 0xd2:                       /* write keyboard output buffer */
	case 0xd3:                       /* write aux output buffer */
	case 0xd4:                       /* write to aux device */
		k->pending_cmd = cmd;
		break;
	case 0xa7: k->command_byte |= CB_AUX_OFF; break;
	case 0xa8: k->command_byte &= ~CB_AUX_OFF; break;
	case 0xa9: push(k, 0x00, false); break;   /* aux port test: OK */
	case 0xaa:                                /* self-test */
		k->status |= STATUS_SYS;
		push(k, 0x55, false);
		break;
	case 0xab: push(k, 0x00, false); break;   /* keyboard port test: OK */
	case 0xad: k->command_byte |= CB_KBD_OFF; break;
	case 0xae: k->command_byte &= ~CB_KBD_OFF; break;
	case 0xd0:                                /* read output port: reset line high */
		push(k, 0x01 | 0x02, false);
		break;
	default:
		/* 0xf0-0xff pulse output port bits low for 6 µs; bit 0 is reset. */
		if (cmd >= 0xf0 && !(cmd & 1))
			reset_machine(k);
		break;
	}
}

static void
i8042_io(struct i8042 *k, bool command_port, void *data, unsigned int size, bool is_write)
{
	uint8_t *v = data;

	if (size != 1) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}

	pthread_mutex_lock(&k->lock);
	if (command_port) {
		if (is_write) {
			k->status |= STATUS_CMD;
			controller_command(k, *v);
		} else {
			*v = k->status | (k->len ? STATUS_OBF : 0) |
			     (k->len && k->queue_aux[k->head] ? STATUS_AUXOBF : 0);
		}
	} else if (is_write) {
		uint8_t cmd = k->pending_cmd;

		k->status &= ~STATUS_CMD;
		k->pending_cmd = 0;
		switch (cmd) {
		case 0x60:
			k->command_byte = *v;
			break;
		case 0xd1:
			if (!(*v & 1))
				reset_machine(k);
			break;
		case 0xd2:
			push(k, *v, false);
			break;
		case 0xd3:
			push(k, *v, true);
			break;
		case 0xd4:
			aux_command(k, *v);
			break;
		default:
			keyboard_command(k, *v);
			break;
		}
	} else {
		*v = pop(k);
		/* The IRQ follows OBF, which drops when the byte is read and rises
		 * again as the controller loads the next one: an edge per byte
		 * (the IOAPIC pins are edge-triggered).  Holding the line high
		 * over a queue of bytes would deliver only the first — Linux's
		 * atkbd then missed the ID bytes and Ctrl+Alt+Del. */
		if (k->kbd_level)
			vm_set_irq_line(k->vm, KBD_IRQ, k->kbd_level = 0);
		if (k->aux_level)
			vm_set_irq_line(k->vm, AUX_IRQ, k->aux_level = 0);
	}
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

static void
i8042_data_access(void *opaque, uint64_t offset, void *data, unsigned int size, bool is_write)
{
	i8042_io(opaque, false, data, size, is_write);
}

static void
i8042_command_access(void *opaque, uint64_t offset, void *data, unsigned int size, bool is_write)
{
	i8042_io(opaque, true, data, size, is_write);
}

void
i8042_ctrl_alt_del(struct i8042 *k)
{
	/* Set 1: Ctrl, Alt, Del (extended) down; then up in reverse. */
	static const uint8_t seq[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };

	pthread_mutex_lock(&k->lock);
	for (unsigned int i = 0; i < sizeof(seq); i++)
		push(k, seq[i], false);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

void
i8042_key(struct i8042 *k, const uint8_t *codes, size_t n)
{
	pthread_mutex_lock(&k->lock);
	/* A key's bytes go in whole or not at all: half an E0 sequence would
	 * leave the guest's keyboard driver confused. */
	if (!(k->command_byte & CB_KBD_OFF) && k->len + n <= QUEUE) {
		for (size_t i = 0; i < n; i++)
			push(k, codes[i], false);
		update_irq(k);
	}
	pthread_mutex_unlock(&k->lock);
}

void
i8042_mouse(struct i8042 *k, int dx, int dy, unsigned int buttons)
{
	pthread_mutex_lock(&k->lock);
	k->aux_buttons = buttons & 7;
	if (!k->aux_reporting || (k->command_byte & CB_AUX_OFF)) {
		pthread_mutex_unlock(&k->lock);
		return;
	}
	/* Standard PS/2 packet: byte 0 = buttons | bit 3 | X sign (4) |
	 * Y sign (5); then 9-bit two's complement X and Y, Y up.  Large
	 * moves are split; a full queue drops whole packets. */
	do {
		int px = CLAMP(dx, -255, 255), py = CLAMP(dy, -255, 255);

		if (k->len + 3 > QUEUE)
			break;
		push(k, 0x08 | (buttons & 7) | (px < 0 ? 0x10 : 0) | (py < 0 ? 0x20 : 0), true);
		push(k, px & 0xff, true);
		push(k, py & 0xff, true);
		dx -= px;
		dy -= py;
	} while (dx || dy);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

void
i8042_reset(struct i8042 *k)
{
	pthread_mutex_lock(&k->lock);
	k->command_byte = CB_KBD_INT | CB_SYS | CB_XLATE;
	k->status = STATUS_SYS;
	k->pending_cmd = k->pending_kbd = k->pending_aux = 0;
	k->aux_wrap = false;
	k->aux_buttons = 0;
	aux_defaults(k);
	k->len = 0;
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

struct i8042 *
i8042_create(struct vm *vm)
{
	struct i8042 *k = g_new0(struct i8042, 1);

	k->vm = vm;
	pthread_mutex_init(&k->lock, NULL);
	k->command_byte = CB_KBD_INT | CB_SYS | CB_XLATE;
	k->status = STATUS_SYS;
	aux_defaults(k);
	bus_register(&vm->pio, "i8042", I8042_DATA, 1, i8042_data_access, k);
	bus_register(&vm->pio, "i8042", I8042_COMMAND, 1, i8042_command_access, k);
	return k;
}

void
i8042_destroy(struct i8042 *k)
{
	if (k == NULL)
		return;
	pthread_mutex_destroy(&k->lock);
	g_free(k);
}
