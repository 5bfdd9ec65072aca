/* guest-mem.c — translate guest-physical ranges to host pointers. */
#include "guest-mem.h"

#include <string.h>

bool
guest_mem_add_region(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva)
{
	if (mem->n_regions >= GUEST_MEM_MAX_REGIONS || size == 0 || hva == NULL)
		return false;
	if (gpa + size < gpa)
		return false;
	for (unsigned int i = 0; i < mem->n_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return false;
	}
	mem->regions[mem->n_regions++] = (struct guest_mem_region) { gpa, size, hva };
	return true;
}

uint64_t
guest_mem_contiguous(const struct guest_mem *mem, uint64_t gpa, void **hva)
{
	for (unsigned int i = 0; i < mem->n_regions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size) {
			if (hva)
				*hva = (uint8_t *) r->hva + (gpa - r->gpa);
			return r->size - (gpa - r->gpa);
		}
	}
	return 0;
}

void *
guest_mem_translate(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	void *hva = NULL;
	uint64_t avail;

	/* Written so that no sum can overflow: a guest chooses gpa and len. */
	avail = guest_mem_contiguous(mem, gpa, &hva);
	if (avail == 0 || len > avail)
		return NULL;
	return hva;
}

bool
guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *buf, size_t len)
{
	void *src = guest_mem_translate(mem, gpa, len);

	if (src == NULL)
		return false;
	memcpy(buf, src, len);
	return true;
}

bool
guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	void *dst = guest_mem_translate(mem, gpa, len);

	if (dst == NULL)
		return false;
	memcpy(dst, buf, len);
	return true;
}
