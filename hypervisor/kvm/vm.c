/* vm.c — KVM_CREATE_VM and the machine-wide pieces: interrupt controllers,
 * the PIT, GSI routing, irqfd and ioeventfd. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static bool
kvm_ioctl_ok(int ret, const char *what, GError **error)
{
	if (ret >= 0)
		return true;
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", what, g_strerror(errno));
	return false;
}

static bool commit_routes(struct vm *vm);

struct vm *
vm_create(unsigned int n_vcpus, uint64_t ram_bytes, bool hugepages, bool ksm, GError **error)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t identity = KVM_IDENTITY_MAP;
	struct vm *vm = g_new0(struct vm, 1);
	int version;
	bool ok;

	vm->kvm_fd = -1;
	vm->vm_fd = -1;
	vm->ram.memfd = -1;
	vm->n_vcpus = n_vcpus;
	bus_init(&vm->pio);
	bus_init(&vm->mmio);
	pthread_mutex_init(&vm->gsi_lock, NULL);
	pthread_mutex_init(&vm->run_lock, NULL);
	pthread_cond_init(&vm->run_cond, NULL);

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot open /dev/kvm: %s (is KVM enabled, and are you in the kvm group?)",
		            g_strerror(errno));
		goto fail;
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		            "/dev/kvm speaks API version %d, we need %d", version, KVM_API_VERSION);
		goto fail;
	}
	/* What we cannot do without: in-kernel irqchip, irqfd/ioeventfd, MSI routing. */
	static const struct { int cap; const char *name; } needed[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING" },
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	};
	for (unsigned int i = 0; i < G_N_ELEMENTS(needed); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
			            "this KVM lacks %s", needed[i].name);
			goto fail;
		}
	}

	/* KVM's own limit (api.rst, KVM_CAP_MAX_VCPUS; KVM_CAP_NR_VCPUS is the
	 * recommended one, 4 when neither is there). */
	{
		int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

		if (max <= 0)
			max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
		if (max <= 0)
			max = 4;
		if (n_vcpus > (unsigned int) max) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "--cpus %u is more than KVM on this host allows in one VM (%d vCPUs)",
			            n_vcpus, max);
			goto fail;
		}
	}

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (!kvm_ioctl_ok(vm->vm_fd, "KVM_CREATE_VM", error))
		goto fail;
	vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (!kvm_ioctl_ok(vm->vcpu_mmap_size, "KVM_GET_VCPU_MMAP_SIZE", error))
		goto fail;

	/* Intel VMX needs a TSS and an identity-mapped page table for
	 * real-mode emulation; both sit in the reserved top of the 4 GiB hole.
	 * Other implementations accept and ignore them. */
	if (!kvm_ioctl_ok(ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long) KVM_TSS_ADDR),
	                  "KVM_SET_TSS_ADDR", error))
		goto fail;
	if (!kvm_ioctl_ok(ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity),
	                  "KVM_SET_IDENTITY_MAP_ADDR", error))
		goto fail;
	/* PIC + IOAPIC + local APICs in the kernel: interrupts never bounce
	 * through us, and HLT waits in the kernel. */
	if (!kvm_ioctl_ok(ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP", error))
		goto fail;
	if (!kvm_ioctl_ok(ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit), "KVM_CREATE_PIT2", error))
		goto fail;
	/* Our routes from the start, not only once a device programs MSI: KVM's
	 * default table sends GSI 0 (the PIT) to IOAPIC pin 0, but the MP table
	 * and the MADT say pin 2.  Linux calibrates its local APIC timer against
	 * PIT interrupts on pin 2; without them it disables the APIC timer and
	 * falls back to a PIT tick that never comes, so sleep() never returns
	 * (and device_shutdown() in reboot -f, waiting on a timeout, hangs). */
	pthread_mutex_lock(&vm->gsi_lock);
	ok = commit_routes(vm);
	pthread_mutex_unlock(&vm->gsi_lock);
	if (!kvm_ioctl_ok(ok ? 0 : -1, "KVM_SET_GSI_ROUTING", error))
		goto fail;

	if (!guest_ram_create(vm, ram_bytes, hugepages, ksm, error))
		goto fail;
	if (!vcpus_create(vm, error))
		goto fail;
	return vm;

fail:
	vm_destroy(vm);
	return NULL;
}

void
vm_destroy(struct vm *vm)
{
	if (vm == NULL)
		return;
	vcpus_stop(vm);
	for (unsigned int i = 0; vm->vcpus && i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->run)
			munmap(v->run, vm->vcpu_mmap_size);
		if (v->stats_fd >= 0)
			close(v->stats_fd);
		if (v->fd >= 0)
			close(v->fd);
	}
	g_free(vm->vcpus);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	guest_ram_destroy(&vm->ram);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->gsi_lock);
	pthread_mutex_destroy(&vm->run_lock);
	pthread_cond_destroy(&vm->run_cond);
	g_free(vm);
}

bool
vm_set_irq_line(struct vm *vm, unsigned int irq, int level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) == 0;
}

/* KVM_SET_GSI_ROUTING replaces the whole table, so the PC's fixed routes
 * (GSI 0-15 → PIC and IOAPIC pins, 16-23 → IOAPIC) go in again every time,
 * followed by the MSI routes in use.  Caller holds gsi_lock. */
static bool
commit_routes(struct vm *vm)
{
	struct kvm_irq_routing *table;
	unsigned int n = 0;
	bool ok;

	table = g_malloc0(sizeof(*table) + (24 + 16 + VM_MAX_GSI) * sizeof(struct kvm_irq_routing_entry));
	for (unsigned int gsi = 0; gsi < 24; gsi++) {
		if (gsi < 16 && gsi != 2) {
			struct kvm_irq_routing_entry *e = &table->entries[n++];
			e->gsi = gsi;
			e->type = KVM_IRQ_ROUTING_IRQCHIP;
			e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			e->u.irqchip.pin = gsi % 8;
		}
		/* ISA IRQ 0 (the PIT) is wired to IOAPIC pin 2, so GSI 2 gets no
		 * route of its own (IRQ 2 is the PIC cascade).  Not only tidier:
		 * KVM finds whom to tell about an EOI by looking up the GSI routed
		 * to the pin, and with GSI 2 on pin 2 as well the PIT's ack notifier
		 * (on GSI 0) never heard of the guest's EOIs — and in its default
		 * reinject mode the PIT then stops ticking after the first few. */
		if (gsi == 2)
			continue;
		struct kvm_irq_routing_entry *e = &table->entries[n++];
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi == 0 ? 2 : gsi;
	}
	for (unsigned int gsi = VM_FIRST_MSI_GSI; gsi < VM_MAX_GSI; gsi++)
		if (vm->msi_used[gsi])
			table->entries[n++] = vm->msi_routes[gsi];
	table->nr = n;
	ok = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) == 0;
	g_free(table);
	return ok;
}

int
vm_alloc_msi_gsi(struct vm *vm)
{
	int gsi = -1;

	pthread_mutex_lock(&vm->gsi_lock);
	for (unsigned int i = VM_FIRST_MSI_GSI; i < VM_MAX_GSI; i++) {
		if (!vm->msi_used[i] && vm->msi_routes[i].gsi == 0) {
			vm->msi_routes[i].gsi = i;   /* reserved, not yet routed */
			gsi = i;
			break;
		}
	}
	pthread_mutex_unlock(&vm->gsi_lock);
	return gsi;
}

bool
vm_set_msi_route(struct vm *vm, int gsi, uint64_t address, uint32_t data, bool enabled)
{
	bool ok;

	if (gsi < VM_FIRST_MSI_GSI || gsi >= VM_MAX_GSI)
		return false;
	pthread_mutex_lock(&vm->gsi_lock);
	vm->msi_routes[gsi].gsi = gsi;
	vm->msi_routes[gsi].type = KVM_IRQ_ROUTING_MSI;
	vm->msi_routes[gsi].u.msi.address_lo = (uint32_t) address;
	vm->msi_routes[gsi].u.msi.address_hi = (uint32_t) (address >> 32);
	vm->msi_routes[gsi].u.msi.data = data;
	vm->msi_used[gsi] = enabled;
	ok = commit_routes(vm);
	pthread_mutex_unlock(&vm->gsi_lock);
	return ok;
}

bool
vm_irqfd(struct vm *vm, int fd, int gsi, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) == 0;
}

bool
vm_signal_msi(struct vm *vm, uint64_t address, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t) address,
		.address_hi = (uint32_t) (address >> 32),
		.data = data,
	};

	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) >= 0;
}

bool
vm_ioeventfd(struct vm *vm, uint64_t addr, unsigned int len, int fd, bool assign)
{
	/* No datamatch: any write of `len` bytes at addr is a notification
	 * (virtio 1.2 §4.1.4.4: the driver writes the queue index). */
	struct kvm_ioeventfd io = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) == 0;
}

void
vm_emit(struct vm *vm, const char *event, const char *detail)
{
	if (vm->on_event)
		vm->on_event(vm, event, detail, vm->on_event_data);
}

uint64_t
vm_resident_bytes(struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (vm->ram.size + page - 1) / page;
	unsigned char *vec = g_malloc(pages);
	uint64_t resident = 0;

	if (mincore(vm->ram.host, vm->ram.size, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
	g_free(vec);
	return resident * page;
}
