/* framebuffer.c — a linear framebuffer as a PCI display device.
 *
 * Why this shape: Debian 12's kernel builds vesafb in (CONFIG_FB_VESA=y)
 * but neither simplefb-from-sysfb nor simpledrm, so a framebuffer described
 * by boot_params.screen_info as VIDEO_TYPE_VLFB (bzimage.c) gets a text
 * console (fbcon) with no module and no firmware.  The same memory is BAR 0
 * of a PCI device so that guests without boot_params (PVH payloads, our
 * tests) find it by scanning the bus, and read the mode from a
 * vendor-specific capability (PCI 3.0 §6.7, capability ID 09h):
 *
 *   +0 id 09h, +1 next, +2 length 16, +3 version 1,
 *   +4 width (u16), +6 height (u16), +8 stride in bytes (u32),
 *   +12 bits per pixel (u8, 32), +13 red/green/blue shift 16/8/0.
 *
 * The pixels are anonymous host memory given to KVM as one memory slot with
 * KVM_MEM_LOG_DIRTY_PAGES (Documentation/virt/kvm/api.rst, 4.35
 * KVM_SET_USER_MEMORY_REGION): guest writes run at RAM speed and
 * KVM_GET_DIRTY_LOG tells which 4 KiB pages changed since the last call.
 * If the guest moves the BAR the slot moves with it; while memory decoding
 * is off the slot is gone.
 */
#include "framebuffer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Slots 0 and 1 are RAM (memory.c); leave room for more RAM slots. */
#define FB_KVM_SLOT 8
#define PAGE_SIZE 4096u

struct framebuffer {
	struct vm *vm;
	struct pci_device pci;
	uint8_t *pixels;
	uint64_t size;              /* BAR size: a power of two ≥ the frame */
	unsigned int width, height, stride;

	pthread_mutex_t lock;       /* the slot vs. dirty-log readers */
	bool mapped;
	uint64_t gpa;
	bool remapped;              /* log restarted: report everything */
	uint64_t *bitmap;

	struct framebuffer_stats stats;
};

static bool
set_slot(struct framebuffer *fb, uint64_t gpa, uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = FB_KVM_SLOT,
		.flags = size ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t) fb->pixels,
	};

	return ioctl(fb->vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0;
}

/* Called by pci.c (vCPU thread, bus lock held) when BAR 0 changes. */
static void
fb_bar_update(struct pci_device *dev, int bar, uint64_t addr, bool mapped)
{
	struct framebuffer *fb = dev->opaque;

	if (bar != 0)
		return;
	pthread_mutex_lock(&fb->lock);
	if (fb->mapped)
		set_slot(fb, fb->gpa, 0);     /* size 0 deletes the slot */
	fb->mapped = false;
	if (mapped) {
		if (set_slot(fb, addr, fb->size)) {
			fb->mapped = true;
			fb->gpa = addr;
		} else {
			vm_emit(fb->vm, "DEVICE_ERROR", "framebuffer: KVM refused the moved BAR");
		}
	}
	fb->remapped = true;
	pthread_mutex_unlock(&fb->lock);
}

static const struct pci_device_ops fb_pci_ops = {
	.bar_update = fb_bar_update,
};

struct framebuffer *
framebuffer_create(struct vm *vm, struct pci_bus *bus, unsigned int width, unsigned int height,
                   GError **error)
{
	struct framebuffer *fb;
	uint64_t frame, size;
	uint8_t cap[16] = { 0x09, 0, sizeof(cap), 1 };
	uint32_t stride;

	if (width < 16 || height < 16 || width > FB_MAX_DIM || height > FB_MAX_DIM) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "display size %ux%u: width and height must be 16 to %u", width, height, FB_MAX_DIM);
		return NULL;
	}
	stride = width * FB_BYTES_PER_PIXEL;
	frame = (uint64_t) stride * height;
	for (size = 1u << 20; size < frame; size <<= 1)
		;
	if (size > FB_MAX_BYTES) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
		            "display size %ux%u needs more than %u MiB", width, height, FB_MAX_BYTES >> 20);
		return NULL;
	}

	fb = g_new0(struct framebuffer, 1);
	fb->vm = vm;
	fb->width = width;
	fb->height = height;
	fb->stride = stride;
	fb->size = size;
	pthread_mutex_init(&fb->lock, NULL);
	fb->bitmap = g_new0(uint64_t, (size / PAGE_SIZE + 63) / 64);
	fb->pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fb->pixels == MAP_FAILED) {
		fb->pixels = NULL;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "framebuffer: cannot allocate %" G_GUINT64_FORMAT " MiB: %s", size >> 20, g_strerror(errno));
		framebuffer_destroy(fb);
		return NULL;
	}

	if (!pci_device_init(bus, &fb->pci, "display", FB_PCI_VENDOR, FB_PCI_DEVICE, FB_PCI_CLASS,
	                     &fb_pci_ops, fb)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "framebuffer: no free PCI slot");
		framebuffer_destroy(fb);
		return NULL;
	}
	/* No interrupts: a framebuffer never needs to tell the guest anything. */
	fb->pci.config[PCI_INTERRUPT_PIN] = 0;
	fb->pci.config[PCI_INTERRUPT_LINE] = 0;
	pci_set16(&fb->pci, PCI_SUBSYSTEM_VENDOR_ID, FB_PCI_VENDOR);
	pci_set16(&fb->pci, PCI_SUBSYSTEM_ID, FB_PCI_DEVICE);

	/* BAR 0: 32-bit prefetchable memory (bit 3) at a fixed spot in the
	 * hole, so screen_info can name it before the guest runs. */
	fb->pci.bar_size[0] = size;
	pci_set32(&fb->pci, PCI_BAR0, (uint32_t) FB_DEFAULT_ADDR | 0x8);
	for (int i = 0; i < 4; i++)
		fb->pci.wmask[PCI_BAR0 + i] = (~(uint32_t) (size - 1) >> (8 * i)) & 0xff;
	fb->pci.wmask[PCI_BAR0] &= 0xf0;

	cap[4] = width & 0xff;
	cap[5] = width >> 8;
	cap[6] = height & 0xff;
	cap[7] = height >> 8;
	memcpy(cap + 8, &stride, 4);
	cap[12] = 32;
	cap[13] = 16;
	cap[14] = 8;
	cap[15] = 0;
	pci_device_add_cap(&fb->pci, cap, sizeof(cap));

	/* Decoding on from the start (pci.h: guests without firmware). */
	pci_device_enable(&fb->pci);
	if (!fb->mapped) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		            "framebuffer: KVM_SET_USER_MEMORY_REGION with dirty logging failed: %s",
		            g_strerror(errno));
		framebuffer_destroy(fb);
		return NULL;
	}
	return fb;
}

void
framebuffer_destroy(struct framebuffer *fb)
{
	if (fb == NULL)
		return;
	if (fb->mapped)
		set_slot(fb, fb->gpa, 0);
	if (fb->pixels)
		munmap(fb->pixels, fb->size);
	pthread_mutex_destroy(&fb->lock);
	g_free(fb->bitmap);
	g_free(fb);
}

uint8_t *framebuffer_pixels(struct framebuffer *fb) { return fb->pixels; }
unsigned int framebuffer_width(struct framebuffer *fb) { return fb->width; }
unsigned int framebuffer_height(struct framebuffer *fb) { return fb->height; }
unsigned int framebuffer_stride(struct framebuffer *fb) { return fb->stride; }
uint64_t framebuffer_base(struct framebuffer *fb) { return FB_DEFAULT_ADDR; }
uint64_t framebuffer_size(struct framebuffer *fb) { return fb->size; }
unsigned int framebuffer_pci_slot(struct framebuffer *fb) { return fb->pci.slot; }

unsigned int
framebuffer_collect_dirty(struct framebuffer *fb, framebuffer_rows_fn rows, void *data)
{
	uint64_t frame_pages = ((uint64_t) fb->stride * fb->height + PAGE_SIZE - 1) / PAGE_SIZE;
	uint64_t n_pages = fb->size / PAGE_SIZE;
	struct kvm_dirty_log log = { .slot = FB_KVM_SLOT };
	unsigned int dirty = 0;
	bool all = false;
	int64_t run_start = -1;

	pthread_mutex_lock(&fb->lock);
	memset(fb->bitmap, 0, (n_pages + 63) / 64 * 8);
	if (fb->remapped) {
		fb->remapped = false;
		all = true;
	}
	if (fb->mapped) {
		log.dirty_bitmap = fb->bitmap;
		if (ioctl(fb->vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
			all = true;   /* no log: assume the worst, never miss a change */
	}
	pthread_mutex_unlock(&fb->lock);

	/* Pages → scanline runs.  Pages past the visible frame (the BAR is
	 * rounded up to a power of two) count but draw nothing. */
	for (uint64_t p = 0; p <= n_pages; p++) {
		bool d = p < n_pages && (all || (fb->bitmap[p / 64] >> (p % 64)) & 1);

		if (d)
			dirty++;
		if (d && p < frame_pages) {
			if (run_start < 0)
				run_start = p;
			continue;
		}
		if (run_start >= 0) {
			uint64_t y0 = (uint64_t) run_start * PAGE_SIZE / fb->stride;
			uint64_t y1 = MIN(((uint64_t) p * PAGE_SIZE + fb->stride - 1) / fb->stride, fb->height);

			if (rows && y1 > y0)
				rows(y0, y1 - y0, data);
			run_start = -1;
		}
	}
	__atomic_add_fetch(&fb->stats.refreshes, 1, __ATOMIC_RELAXED);
	/* A restarted log is not the guest's doing: redraw, do not count. */
	if (all)
		return 0;
	if (dirty) {
		__atomic_add_fetch(&fb->stats.dirty_pages, dirty, __ATOMIC_RELAXED);
		__atomic_add_fetch(&fb->stats.dirty_frames, 1, __ATOMIC_RELAXED);
	}
	return dirty;
}

void
framebuffer_get_stats(struct framebuffer *fb, struct framebuffer_stats *out)
{
	out->dirty_pages = __atomic_load_n(&fb->stats.dirty_pages, __ATOMIC_RELAXED);
	out->dirty_frames = __atomic_load_n(&fb->stats.dirty_frames, __ATOMIC_RELAXED);
	out->refreshes = __atomic_load_n(&fb->stats.refreshes, __ATOMIC_RELAXED);
}

/* ---- save-state ------------------------------------------------------------ */

/* The screen's section (savestate.c frames it): the mode, which follows
 * from --display and must be the same on --restore, PCI configuration
 * space (where the guest placed BAR 0, the command register), then the
 * pixels — the whole BAR: they live outside guest RAM, in our own slot. */
struct fb_saved {
	uint32_t width, height, stride, pad;
	uint64_t size;
	uint8_t config[256];
};

void
framebuffer_save(struct framebuffer *fb, GByteArray *out)
{
	struct fb_saved h = { .width = fb->width, .height = fb->height, .stride = fb->stride, .size = fb->size };

	memcpy(h.config, fb->pci.config, sizeof(h.config));
	g_byte_array_append(out, (const guint8 *) &h, sizeof(h));
	g_byte_array_append(out, fb->pixels, fb->size);
}

bool
framebuffer_load(struct framebuffer *fb, const void *buf, size_t len, GError **error)
{
	struct fb_saved h;

	if (len < sizeof(h)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "display: the saved state is cut short");
		return false;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.width != fb->width || h.height != fb->height || h.stride != fb->stride || h.size != fb->size ||
	    len != sizeof(h) + fb->size) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "the display was %ux%u when the state was saved, now %ux%u (--display vnc,width=W,height=H)",
		            h.width, h.height, fb->width, fb->height);
		return false;
	}
	memcpy(fb->pixels, (const uint8_t *) buf + sizeof(h), fb->size);
	/* BAR 0 where the guest had it (fb_bar_update moves the slot and
	 * restarts the dirty log: the first refresh sends the whole frame). */
	pci_device_restore_config(&fb->pci, h.config);
	pthread_mutex_lock(&fb->lock);
	fb->remapped = true;
	pthread_mutex_unlock(&fb->lock);
	return true;
}

bool
framebuffer_screendump(struct framebuffer *fb, const char *path, GError **error)
{
	g_autofree uint8_t *row = g_malloc(fb->width * 3);
	g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", path);
	FILE *f;
	int fd;

	/* Write beside and rename: a reader never sees half a picture. */
	fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 || (f = fdopen(fd, "wb")) == NULL) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "screendump %s: %s", path, g_strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return false;
	}
	fprintf(f, "P6\n%u %u\n255\n", fb->width, fb->height);
	for (unsigned int y = 0; y < fb->height; y++) {
		const uint8_t *src = fb->pixels + (size_t) y * fb->stride;

		/* x8r8g8b8 little endian: bytes are B, G, R, X. */
		for (unsigned int x = 0; x < fb->width; x++) {
			row[3 * x] = src[4 * x + 2];
			row[3 * x + 1] = src[4 * x + 1];
			row[3 * x + 2] = src[4 * x];
		}
		fwrite(row, 3, fb->width, f);
	}
	if (fflush(f) != 0 || ferror(f)) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "screendump %s: %s", path, g_strerror(errno));
		fclose(f);
		unlink(tmp);
		return false;
	}
	fclose(f);
	if (rename(tmp, path) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "screendump %s: %s", path, g_strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}
