/* rtc.c — the MC146818 real-time clock and its CMOS memory (0x70/0x71).
 *
 * The time is the host's UTC, read on each access, in BCD and 24-hour
 * mode (register B = 0x02), never "update in progress".  The CMOS bytes
 * firmware would leave behind say how much memory there is.
 */
#include "devices.h"

#include <string.h>
#include <time.h>

#define RTC_INDEX 0x70

struct rtc {
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
};

static uint8_t
bcd(int v)
{
	return (uint8_t) (((v / 10) << 4) | (v % 10));
}

static uint8_t
rtc_read(struct rtc *r, uint8_t index)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (index) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100);
	case 0x0a: return 0x26;        /* 32.768 kHz base, 1024 Hz rate, UIP clear */
	case 0x0b: return 0x02;        /* 24-hour, BCD, no interrupts */
	case 0x0c: return 0x00;        /* no interrupt flags */
	case 0x0d: return 0x80;        /* battery good */
	default: return r->cmos[index & 0x7f];
	}
}

static void
rtc_access(void *opaque, uint64_t offset, void *data, unsigned int size, bool is_write)
{
	struct rtc *r = opaque;
	uint8_t *v = data;

	if (size != 1) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	pthread_mutex_lock(&r->lock);
	if (offset == 0) {
		if (is_write)
			r->index = *v & 0x7f;   /* bit 7 masks NMI; nothing to mask here */
		else
			*v = 0xff;
	} else {
		if (is_write) {
			/* Time and status registers are ours; the rest is NVRAM. */
			if (r->index > 0x0d && r->index != 0x32)
				r->cmos[r->index] = *v;
		} else {
			*v = rtc_read(r, r->index);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

struct rtc *
rtc_create(struct vm *vm)
{
	struct rtc *r = g_new0(struct rtc, 1);
	uint64_t low = MIN(vm->ram.size, MEM_32BIT_GAP_START);
	uint64_t ext_kib = low > (1 << 20) ? MIN((low - (1 << 20)) >> 10, 0xfc00ull) : 0;
	uint64_t above16 = low > (16 << 20) ? (low - (16 << 20)) >> 16 : 0;
	uint64_t above4g = vm->ram.size > low ? (vm->ram.size - low) >> 16 : 0;

	r->vm = vm;
	pthread_mutex_init(&r->lock, NULL);
	/* Memory sizes as PC firmware records them. */
	r->cmos[0x15] = 640 & 0xff;        /* base memory, KiB */
	r->cmos[0x16] = 640 >> 8;
	r->cmos[0x17] = r->cmos[0x30] = ext_kib & 0xff;   /* 1 MiB – 64 MiB, KiB */
	r->cmos[0x18] = r->cmos[0x31] = ext_kib >> 8;
	r->cmos[0x34] = above16 & 0xff;    /* 16 MiB – 4 GiB, 64 KiB units */
	r->cmos[0x35] = (above16 >> 8) & 0xff;
	r->cmos[0x5b] = above4g & 0xff;    /* above 4 GiB, 64 KiB units */
	r->cmos[0x5c] = (above4g >> 8) & 0xff;
	r->cmos[0x5d] = (above4g >> 16) & 0xff;
	bus_register(&vm->pio, "rtc", RTC_INDEX, 2, rtc_access, r);
	return r;
}

void
rtc_destroy(struct rtc *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	g_free(r);
}
