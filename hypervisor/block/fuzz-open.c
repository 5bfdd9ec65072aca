/* fuzz-open.c — libFuzzer target: open an arbitrary byte string as an image
 * (qcow2 and raw) and read from it, then write to it.  Any crash, leak or
 * sanitizer report is a bug in the engine.  Backing files are not followed (they would name
 * files on the fuzzing host). */
#include "block.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[1 << 16];
	char path[64];
	int fd = memfd_create("fuzz-image", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t) size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	for (int f = BLOCK_FORMAT_AUTO; f <= BLOCK_FORMAT_QCOW2; f++) {
		char *error = NULL;
		BlockImage *img = block_open_flags(path, (BlockFormat) f, BLOCK_OPEN_READ_ONLY | BLOCK_OPEN_NO_BACKING, &error);
		free(error);
		if (img == NULL)
			continue;
		uint64_t vsize = block_size(img);
		/* A few reads spread over the disk: start, middle, end, and one that
		 * crosses cluster boundaries. */
		uint64_t offsets[] = { 0, vsize / 2, vsize > sizeof(buf) ? vsize - sizeof(buf) : 0, 65536 - 512 };
		for (unsigned i = 0; i < 4; i++) {
			uint64_t off = offsets[i] & ~511ull;
			size_t len = sizeof(buf);
			if (off >= vsize)
				continue;
			if (len > vsize - off)
				len = (size_t) (vsize - off);
			(void) block_pread(img, buf, len, off);
		}
		BlockCheckResult res;
		char *cerr = NULL;
		(void) block_check(img, 0, &res, &cerr);
		free(cerr);
		block_close(img);
	}

	/* Then read-write: a few writes, a discard, zeroes, a flush.  Damaged
	 * metadata must end in an error (and the corrupt bit), never a crash. */
	{
		char *error = NULL;
		BlockImage *img = block_open_flags(path, BLOCK_FORMAT_QCOW2, BLOCK_OPEN_NO_BACKING, &error);
		free(error);
		if (img != NULL) {
			uint64_t vsize = block_size(img);
			memset(buf, 0x5a, 8192);
			for (unsigned i = 0; i < 4 && vsize >= 8192; i++) {
				uint64_t off = ((vsize - 8192) / 4 * i) & ~511ull;
				if (block_pwrite(img, buf, 8192 - 512 * i, off) < 0)
					break;
			}
			if (vsize >= 1 << 20) {
				(void) block_discard(img, 0, 1 << 20);
				(void) block_write_zeroes(img, vsize / 2 & ~511ull, 4096, true);
			}
			(void) block_flush(img);
			block_close(img);
		}
	}
	close(fd);
	return 0;
}
