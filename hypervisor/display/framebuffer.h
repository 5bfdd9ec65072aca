/* framebuffer.h — the machine's screen: a linear 32-bit framebuffer in
 * guest memory, found by Linux through screen_info (vesafb) and by any
 * guest as a PCI display device whose BAR 0 is the framebuffer.
 *
 * The pixels live in their own KVM memory slot with dirty logging on, so
 * the VNC server (vnc.c) asks KVM which pages the guest wrote since the
 * last look instead of comparing or resending whole frames.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"
#include "vm.h"

/* Where BAR 0 starts: the free part of the 32-bit PCI hole, below the
 * BARs pci.c hands out from PCI_MMIO_START (0xe0000000).  Neither RAM nor
 * e820 covers [0xc0000000, 4 GiB), so no e820 entry is needed. */
#define FB_DEFAULT_ADDR   0xD0000000ull
#define FB_MAX_BYTES      (128u << 20)        /* BAR sizes up to 128 MiB */
#define FB_MAX_DIM        8192
#define FB_BYTES_PER_PIXEL 4                  /* x8r8g8b8, little endian */

/* PCI identity.  No Linux driver binds it, so vesafb keeps the screen
 * (docs/vmm.md, "Display"). */
#define FB_PCI_VENDOR     0x1af4
#define FB_PCI_DEVICE     0x10f0
#define FB_PCI_CLASS      0x038000            /* display controller, other (no VGA) */

struct framebuffer;

struct framebuffer_stats {
	uint64_t dirty_pages;      /* pages KVM reported written, summed */
	uint64_t dirty_frames;     /* refreshes that found at least one */
	uint64_t refreshes;        /* dirty-log reads */
};

struct framebuffer *framebuffer_create(struct vm *vm, struct pci_bus *bus, unsigned int width,
                                       unsigned int height, GError **error);
void framebuffer_destroy(struct framebuffer *fb);

uint8_t *framebuffer_pixels(struct framebuffer *fb);
unsigned int framebuffer_width(struct framebuffer *fb);
unsigned int framebuffer_height(struct framebuffer *fb);
unsigned int framebuffer_stride(struct framebuffer *fb);
/* Guest-physical address of the pixels (BAR 0 as placed by us). */
uint64_t framebuffer_base(struct framebuffer *fb);
/* The BAR size: what screen_info's lfb_size describes. */
uint64_t framebuffer_size(struct framebuffer *fb);
unsigned int framebuffer_pci_slot(struct framebuffer *fb);

/* Reads and clears KVM's dirty log; calls `rows(y, h)` for each run of
 * dirty scanlines.  Returns the number of dirty pages.  Right after the
 * slot was (re)created the log starts over: every row is reported, no page
 * counted. */
typedef void (*framebuffer_rows_fn)(unsigned int y, unsigned int h, void *data);
unsigned int framebuffer_collect_dirty(struct framebuffer *fb, framebuffer_rows_fn rows, void *data);
void framebuffer_get_stats(struct framebuffer *fb, struct framebuffer_stats *out);

/* save-state: the mode, PCI config space and the pixels appended to @out;
 * --restore puts them back (false if --display gives another mode). */
void framebuffer_save(struct framebuffer *fb, GByteArray *out);
bool framebuffer_load(struct framebuffer *fb, const void *buf, size_t len, GError **error);

/* The current frame as a binary PPM (P6). */
bool framebuffer_screendump(struct framebuffer *fb, const char *path, GError **error);
