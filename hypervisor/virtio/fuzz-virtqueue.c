/* fuzz-virtqueue.c — libFuzzer target for queue.c, the code a hostile
 * guest talks to first.  The input is guest RAM (two regions with a hole
 * between them) followed by the queue's registers; every chain that comes
 * out must lie inside guest RAM.  Build with CC=clang -Dfuzzing=true. */
#include <stdlib.h>
#include <string.h>

#include "queue.h"

#define REGION 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const struct iovec *iov, uint8_t *const *ram)
{
	for (int r = 0; r < 2; r++) {
		uint8_t *b = iov->iov_base;
		if (b >= ram[r] && b <= ram[r] + REGION && iov->iov_len <= (size_t) (ram[r] + REGION - b))
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct {
		uint8_t size_log2, indirect;
		uint16_t desc, avail, used;
	} __attribute__((packed)) regs;
	uint8_t *ram[2];
	struct guest_mem mem = { 0 };
	struct virtq vq = { .kick_fd = -1, .call_fd = -1 };

	if (size < sizeof(regs))
		return 0;
	memcpy(&regs, data, sizeof(regs));
	data += sizeof(regs);
	size -= sizeof(regs);

	ram[0] = calloc(1, REGION);
	ram[1] = calloc(1, REGION);
	memcpy(ram[0], data, size < REGION ? size : REGION);
	if (size > REGION)
		memcpy(ram[1], data + REGION, size - REGION < REGION ? size - REGION : REGION);
	guest_mem_add_region(&mem, 0, REGION, ram[0]);
	guest_mem_add_region(&mem, REGION + 4096, REGION, ram[1]);

	vq.size = 1u << (regs.size_log2 % 8);
	vq.desc_gpa = regs.desc;
	vq.avail_gpa = regs.avail;
	vq.used_gpa = regs.used;
	vq.indirect = regs.indirect & 1;
	vq.enabled = 1;
	if (virtq_map(&vq, &mem)) {
		for (int k = 0; k < 64; k++) {
			struct virtq_chain *c = virtq_pop(&vq, &mem);
			if (c == NULL)
				break;
			for (unsigned int i = 0; i < c->n_out + c->n_in; i++)
				if (!inside(&c->iov[i], ram))
					abort();
			virtq_push(&vq, c, 0);
		}
	}
	free(ram[0]);
	free(ram[1]);
	return 0;
}
