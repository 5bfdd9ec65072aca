/* guest-mem.h — how device code reaches guest memory.
 *
 * Guest RAM is not one flat buffer: our own VMM maps it as two slots (below
 * and above the PCI hole) and a vhost-user server gets it as several regions,
 * each an fd that QEMU sends and the server mmap()s.  So device code never
 * adds an offset to a base pointer; it asks guest_mem_translate() for a host
 * pointer to a guest-physical range, and that range must lie wholly inside
 * one region or the call fails.  A guest cannot point us outside its RAM.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 8

struct guest_mem_region {
	uint64_t gpa;   /* guest-physical start */
	uint64_t size;  /* bytes */
	void *hva;      /* where the region is mapped in this process */
};

struct guest_mem {
	unsigned int n_regions;
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
};

/* Adds a region; returns false if the table is full, the region is empty,
 * wraps around, or overlaps a region already present. */
bool guest_mem_add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva);

/* Host pointer to [gpa, gpa + len) or NULL if any byte of it is outside
 * guest RAM or the range straddles two regions.  len 0 is allowed. */
void *guest_mem_translate(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Bytes from gpa to the end of the region holding it (0 if none): lets
 * a caller split a buffer that crosses from one region into the next. */
uint64_t guest_mem_contiguous(const struct guest_mem *mem, uint64_t gpa, void **hva);

/* Copy helpers: false when the range is not guest RAM. */
bool guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len);
bool guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len);
