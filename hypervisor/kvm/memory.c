/* memory.c — guest RAM: one host mapping, registered with KVM as two slots
 * around the 32-bit PCI hole.
 *
 * RAM comes from a memfd so another process can map the same pages (a
 * vhost-user back end, a snapshot writer).  --hugepages asks for 2 MiB pages
 * (MFD_HUGETLB: fewer TLB misses, needs pages reserved in
 * /proc/sys/vm/nr_hugepages).  --ksm trades that sharing away: KSM only
 * merges private anonymous pages, so RAM becomes MAP_PRIVATE|MAP_ANONYMOUS
 * with MADV_MERGEABLE.
 */
#include "vm.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static bool
set_slot(struct vm *vm, unsigned int slot, uint64_t gpa, uint64_t size, void *hva, GError **error)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t) hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "KVM_SET_USER_MEMORY_REGION: %s", g_strerror(errno));
		return false;
	}
	guest_mem_add_region(&vm->mem, gpa, size, hva);
	return true;
}

bool
guest_ram_create(struct vm *vm, uint64_t size, bool hugepages, bool ksm, GError **error)
{
	struct guest_ram *ram = &vm->ram;
	uint64_t low;

	ram->size = size;
	ram->memfd = -1;
	ram->hugepages = hugepages;

	if (ksm) {
		ram->host = mmap(NULL, size, PROT_READ | PROT_WRITE,
		                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (ram->host == MAP_FAILED)
			goto fail_errno;
		if (madvise(ram->host, size, MADV_MERGEABLE) < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "--ksm: madvise(MADV_MERGEABLE): %s (is CONFIG_KSM on?)", g_strerror(errno));
			munmap(ram->host, size);
			ram->host = NULL;
			return false;
		}
	} else {
		unsigned int flags = MFD_CLOEXEC;

		if (hugepages) {
			flags |= MFD_HUGETLB;
			size = (size + (2u << 20) - 1) & ~((uint64_t) (2u << 20) - 1);
		}
		ram->memfd = memfd_create("glassbox-ram", flags);
		if (ram->memfd < 0)
			goto fail_errno;
		if (ftruncate(ram->memfd, size) < 0)
			goto fail_errno;
		ram->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ram->memfd, 0);
		if (ram->host == MAP_FAILED) {
			ram->host = NULL;
			if (hugepages) {
				g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM,
				            "--hugepages: cannot map %" G_GUINT64_FORMAT " MiB of 2 MiB pages; "
				            "reserve them in /proc/sys/vm/nr_hugepages", size >> 20);
				return false;
			}
			goto fail_errno;
		}
		/* Transparent huge pages where the host allows them for shmem
		 * (/sys/kernel/mm/transparent_hugepage/shmem_enabled "advise"
		 * or better; Debian's default "never" ignores this): KVM then
		 * maps guest RAM with 2 MiB entries in its nested page table
		 * (host_pfn_mapping_level() follows the host mapping), and a
		 * booting Linux takes hundreds of nested page faults instead of
		 * ~22,000 — each one expensive when KVM is itself nested.
		 * QEMU advises its guest RAM the same way.  Best effort: a
		 * kernel without THP refuses with EINVAL, which changes nothing. */
		if (!hugepages)
			(void) madvise(ram->host, size, MADV_HUGEPAGE);
	}

	/* Slot 0: [0, min(size, 3 GiB)); slot 1: the rest, above 4 GiB. */
	low = MIN(size, MEM_32BIT_GAP_START);
	if (!set_slot(vm, 0, 0, low, ram->host, error))
		return false;
	if (size > low && !set_slot(vm, 1, MEM_4G, size - low, ram->host + low, error))
		return false;
	return true;

fail_errno:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
	            "cannot allocate %" G_GUINT64_FORMAT " MiB of guest memory: %s",
	            size >> 20, g_strerror(errno));
	return false;
}

void
guest_ram_destroy(struct guest_ram *ram)
{
	if (ram->host)
		munmap(ram->host, ram->hugepages ? ((ram->size + (2u << 20) - 1) & ~((uint64_t) (2u << 20) - 1)) : ram->size);
	if (ram->memfd >= 0)
		close(ram->memfd);
	ram->host = NULL;
	ram->memfd = -1;
}
