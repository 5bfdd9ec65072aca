/* guest.h — the whole "libc" of the tiny test guests: port and MMIO
 * access, COM1 output, PCI configuration reads.  32-bit, no paging, so a
 * physical address is a pointer. */
#pragma once

#include <stdint.h>
#include <stddef.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint8_t mmio_read8(uint32_t a) { return *(volatile uint8_t *) a; }
static inline uint16_t mmio_read16(uint32_t a) { return *(volatile uint16_t *) a; }
static inline uint32_t mmio_read32(uint32_t a) { return *(volatile uint32_t *) a; }
static inline void mmio_write8(uint32_t a, uint8_t v) { *(volatile uint8_t *) a = v; }
static inline void mmio_write16(uint32_t a, uint16_t v) { *(volatile uint16_t *) a = v; }
static inline void mmio_write32(uint32_t a, uint32_t v) { *(volatile uint32_t *) a = v; }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }

void puts(const char *s);
void putc(char c);
void put_hex(uint32_t v, int digits);
void put_dec(uint32_t v);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

uint32_t pci_read32(unsigned int slot, unsigned int off);
uint16_t pci_read16(unsigned int slot, unsigned int off);
uint8_t pci_read8(unsigned int slot, unsigned int off);
void pci_write32(unsigned int slot, unsigned int off, uint32_t v);

void i8042_reset(void);
/* Whether the PVH start info's command line contains `word`. */
int cmdline_has(void *start_info, const char *word);
