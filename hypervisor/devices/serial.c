/* serial.c — an 8250/16550A UART at COM1 (0x3f8, IRQ 4).
 *
 * Transmission is instant: a byte written to THR goes straight to the host
 * fd, so the transmitter is always empty.  Interrupts follow the 16550
 * datasheet's priority order (line status > received data > THR empty >
 * modem status) and the IRQ line is level: high while IIR reports
 * something and OUT2 is set (on a PC, OUT2 gates the UART's IRQ).
 */
#include "devices.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define UART_RX_FIFO 256

/* Register offsets */
#define UART_RBR 0   /* read, DLAB=0 */
#define UART_THR 0   /* write, DLAB=0 */
#define UART_IER 1
#define UART_IIR 2   /* read */
#define UART_FCR 2   /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI  0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IER_MSI  0x08

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_FIFO   0xc0

#define LCR_DLAB 0x80
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR   0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS  0x10
#define MSR_DSR  0x20
#define MSR_RI   0x40
#define MSR_DCD  0x80
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02

struct serial {
	struct vm *vm;
	pthread_mutex_t lock;
	unsigned int irq;
	int out_fd;
	int irq_level;

	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	bool thr_ipending;     /* THR-empty interrupt armed, cleared by IIR read */
	uint8_t rx[UART_RX_FIFO];
	unsigned int rx_head, rx_len;
	uint64_t bytes;        /* sent and received: query-stats "bytes" */
};

static uint8_t
serial_iir(struct serial *s)
{
	uint8_t fifo = (s->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((s->ier & IER_RDI) && s->rx_len > 0)
		return IIR_RDI | fifo;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI | fifo;
	return IIR_NO_INT | fifo;
}

/* Caller holds s->lock. */
static void
serial_update_irq(struct serial *s)
{
	int level = !(serial_iir(s) & IIR_NO_INT) && (s->mcr & MCR_OUT2);

	if (level != s->irq_level) {
		s->irq_level = level;
		vm_set_irq_line(s->vm, s->irq, level);
	}
}

static void
serial_emit(struct serial *s, uint8_t c)
{
	if (s->mcr & MCR_LOOP) {
		/* Loopback: what we send comes back in (Linux probes with it). */
		if (s->rx_len < UART_RX_FIFO)
			s->rx[(s->rx_head + s->rx_len++) % UART_RX_FIFO] = c;
		return;
	}
	while (s->out_fd >= 0) {
		ssize_t n = write(s->out_fd, &c, 1);
		if (n == 1 || (n < 0 && errno != EINTR))
			break;   /* EAGAIN on a pty nobody reads: the byte is lost */
	}
}

static void
serial_access(void *opaque, uint64_t offset, void *data, unsigned int size, bool is_write)
{
	struct serial *s = opaque;
	uint8_t *v = data;

	if (size != 1) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}

	pthread_mutex_lock(&s->lock);
	if (is_write) {
		switch (offset) {
		case UART_THR:
			if (s->lcr & LCR_DLAB) {
				s->dll = *v;
			} else {
				serial_emit(s, *v);
				s->thr_ipending = true;   /* sent at once: empty again */
				__atomic_fetch_add(&s->bytes, 1, __ATOMIC_RELAXED);
			}
			break;
		case UART_IER:
			if (s->lcr & LCR_DLAB) {
				s->dlm = *v;
			} else {
				/* Enabling THRI with THR empty raises it at once. */
				if (!(s->ier & IER_THRI) && (*v & IER_THRI))
					s->thr_ipending = true;
				s->ier = *v & 0x0f;
			}
			break;
		case UART_FCR:
			s->fcr = *v & FCR_ENABLE;
			if (*v & FCR_CLEAR_RX)
				s->rx_len = 0;
			break;
		case UART_LCR:
			s->lcr = *v;
			break;
		case UART_MCR:
			s->mcr = *v & 0x1f;
			break;
		case UART_SCR:
			s->scr = *v;
			break;
		default:
			break;   /* LSR, MSR: read-only */
		}
	} else {
		switch (offset) {
		case UART_RBR:
			if (s->lcr & LCR_DLAB) {
				*v = s->dll;
			} else if (s->rx_len > 0) {
				*v = s->rx[s->rx_head];
				s->rx_head = (s->rx_head + 1) % UART_RX_FIFO;
				s->rx_len--;
				__atomic_fetch_add(&s->bytes, 1, __ATOMIC_RELAXED);
			} else {
				*v = 0;
			}
			break;
		case UART_IER:
			*v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
			break;
		case UART_IIR:
			*v = serial_iir(s);
			if ((*v & 0x0f) == IIR_THRI)
				s->thr_ipending = false;
			break;
		case UART_LCR:
			*v = s->lcr;
			break;
		case UART_MCR:
			*v = s->mcr;
			break;
		case UART_LSR:
			*v = LSR_THRE | LSR_TEMT | (s->rx_len > 0 ? LSR_DR : 0);
			break;
		case UART_MSR:
			if (s->mcr & MCR_LOOP)
				*v = ((s->mcr & MCR_DTR) ? MSR_DSR : 0) | ((s->mcr & MCR_RTS) ? MSR_CTS : 0) |
				     ((s->mcr & MCR_OUT1) ? MSR_RI : 0) | ((s->mcr & MCR_OUT2) ? MSR_DCD : 0);
			else
				*v = MSR_DCD | MSR_DSR | MSR_CTS;
			break;
		case UART_SCR:
			*v = s->scr;
			break;
		default:
			*v = 0xff;
		}
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

void
serial_input(struct serial *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < len && s->rx_len < UART_RX_FIFO; i++)
		s->rx[(s->rx_head + s->rx_len++) % UART_RX_FIFO] = buf[i];
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

int
serial_set_output(struct serial *s, int out_fd)
{
	int old;

	/* Under the lock: a vCPU may be in serial_emit() writing to the old fd. */
	pthread_mutex_lock(&s->lock);
	old = s->out_fd;
	s->out_fd = out_fd;
	pthread_mutex_unlock(&s->lock);
	return old;
}

void
serial_reset(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	s->ier = s->lcr = s->mcr = s->scr = s->fcr = 0;
	s->dll = 12;   /* 9600 baud */
	s->dlm = 0;
	s->thr_ipending = false;
	s->rx_len = 0;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

void
serial_get_state(struct serial *s, struct serial_state *st)
{
	pthread_mutex_lock(&s->lock);
	*st = (struct serial_state) {
		.ier = s->ier, .lcr = s->lcr, .mcr = s->mcr, .scr = s->scr,
		.fcr = s->fcr, .dll = s->dll, .dlm = s->dlm, .thr_ipending = s->thr_ipending,
	};
	pthread_mutex_unlock(&s->lock);
}

void
serial_set_state(struct serial *s, const struct serial_state *st)
{
	pthread_mutex_lock(&s->lock);
	s->ier = st->ier;
	s->lcr = st->lcr;
	s->mcr = st->mcr;
	s->scr = st->scr;
	s->fcr = st->fcr;
	s->dll = st->dll;
	s->dlm = st->dlm;
	s->thr_ipending = st->thr_ipending != 0;
	s->rx_len = 0;
	/* KVM keeps each line's level per source outside KVM_SET_IRQCHIP's
	 * state: drive the line again, whichever way it is. */
	s->irq_level = -1;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

struct serial *
serial_create(struct vm *vm, uint16_t base, unsigned int irq, int out_fd)
{
	struct serial *s = g_new0(struct serial, 1);
	struct bus_device *dev;

	s->vm = vm;
	s->irq = irq;
	s->out_fd = out_fd;
	s->dll = 12;
	pthread_mutex_init(&s->lock, NULL);
	dev = bus_register(&vm->pio, "serial", base, 8, serial_access, s);

	if (dev)
		dev->bytes = &s->bytes;
	return s;
}

void
serial_destroy(struct serial *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	g_free(s);
}
