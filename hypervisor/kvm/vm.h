/* vm.h — one virtual machine: the KVM file descriptors, guest RAM, the
 * vCPU threads, and the buses devices hang off.
 *
 * "CPU and memory in the kernel, devices in a user process": KVM runs the
 * guest until it touches something only we can emulate (a port, an MMIO
 * address), then KVM_RUN returns in that vCPU's thread with the reason, and
 * vcpu.c hands the access to whichever device registered that address on
 * the port or MMIO bus below.
 */
#pragma once

#include <glib.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "guest-mem.h"

/* ---- guest physical memory layout (x86 PC) -------------------------- */
#define MEM_32BIT_GAP_START  0xC0000000ull   /* RAM stops here below 4 GiB */
#define MEM_4G               0x100000000ull
#define PCI_MMIO_START       0xE0000000ull   /* our BARs: 0xE0000000 … */
#define PCI_MMIO_SIZE        0x10000000ull
#define IOAPIC_ADDR          0xFEC00000ull
#define LAPIC_ADDR           0xFEE00000ull
#define KVM_IDENTITY_MAP     0xFFFBC000ull   /* one page, VMX real mode */
#define KVM_TSS_ADDR         0xFFFBD000ull   /* three pages */

/* ---- memory.c ------------------------------------------------------- */
struct guest_ram {
	uint64_t size;        /* bytes of RAM the guest sees */
	uint8_t *host;        /* mapping of all of it, contiguous on the host */
	int memfd;            /* -1 with --ksm (KSM merges only private pages) */
	bool hugepages;
};

/* ---- bus.c: port I/O and MMIO dispatch -------------------------------- */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, void *data,
                              unsigned int size, bool is_write);

struct bus_device {
	const char *name;     /* shown in query-stats: exits per device */
	uint64_t base, len;
	bus_access_fn access;
	void *opaque;
	uint64_t exits;       /* accesses that reached us */
	/* Data bytes the device moved, where it counts them (the UART: one
	 * per THR write or RBR read), else NULL.  With exits, it tells the
	 * cost of an emulated device: exits per byte. */
	const uint64_t *bytes;
};

#define BUS_MAX_DEVICES 32

struct bus {
	pthread_rwlock_t lock;
	unsigned int n;
	struct bus_device devs[BUS_MAX_DEVICES];
	uint64_t unhandled;   /* accesses to nothing (reads return all ones) */
};

/* ---- vcpu.c ----------------------------------------------------------- */
#define VCPU_EXIT_REASONS 64

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	int stats_fd;                   /* KVM_GET_STATS_FD, -1 if unsupported */
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	uint64_t exits[VCPU_EXIT_REASONS];   /* KVM_EXIT_* seen in user space */
	uint64_t run_calls;
	/* Nanoseconds this thread spent handling exits in user space, between
	 * KVM_RUN returning and the next one: the vCPU "in the VMM". */
	uint64_t vmm_ns;
	/* Register state right after creation, for reset. */
	struct kvm_regs init_regs;
	struct kvm_sregs init_sregs;
	struct kvm_lapic_state init_lapic;
	struct kvm_fpu init_fpu;
	struct kvm_mp_state init_mp_state;
};

/* ---- the machine ------------------------------------------------------ */
typedef enum {
	VM_STATE_CREATED,
	VM_STATE_RUNNING,
	VM_STATE_PAUSED,
	VM_STATE_SHUTDOWN,    /* vCPUs gone: reason in vm->stop_reason */
} VmState;

typedef enum {
	VM_STOP_NONE,
	VM_STOP_GUEST_RESET,      /* i8042 reset, triple fault, KVM reset event */
	VM_STOP_GUEST_POWEROFF,   /* KVM shutdown event */
	VM_STOP_REQUESTED,        /* "stop" on the control socket, SIGTERM */
	VM_STOP_ERROR,            /* emulation failure, failed entry, … */
} VmStopReason;

/* What the main loop is told about, from any thread. */
typedef void (*vm_event_fn)(struct vm *vm, const char *event, const char *detail, void *data);

#define VM_MAX_GSI 64
#define VM_FIRST_MSI_GSI 24

struct vm {
	int kvm_fd, vm_fd;
	int vcpu_mmap_size;
	struct guest_ram ram;
	struct guest_mem mem;     /* the same RAM as regions, for device code */

	unsigned int n_vcpus;
	struct vcpu *vcpus;

	struct bus pio, mmio;

	/* GSI routing: 0-23 go to the PIC/IOAPIC, 24+ are MSI routes that
	 * PCI devices allocate for their MSI-X vectors. */
	pthread_mutex_t gsi_lock;
	struct kvm_irq_routing_entry msi_routes[VM_MAX_GSI];
	bool msi_used[VM_MAX_GSI];

	/* Run control (vcpu.c), protected by run_lock. */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	VmState state;
	bool pause_requested;
	bool stop_requested;
	unsigned int vcpus_paused;
	VmStopReason stop_reason;
	char stop_detail[128];
	int64_t first_run_ns;     /* CLOCK_MONOTONIC of the first KVM_RUN */

	/* Interrupt controllers and PIT as created, for reset. */
	struct kvm_irqchip init_chips[3];
	struct kvm_pit_state2 init_pit;

	/* Reset: devices and the loader put themselves back. */
	void (*reset_hook)(struct vm *vm, void *data);
	void *reset_hook_data;

	vm_event_fn on_event;     /* set by main.c; called from any thread */
	void *on_event_data;
	GMainContext *main_context;
};

/* vm.c */
struct vm *vm_create(unsigned int n_vcpus, uint64_t ram_bytes, bool hugepages, bool ksm, GError **error);
void vm_destroy(struct vm *vm);
bool vm_set_irq_line(struct vm *vm, unsigned int irq, int level);
int  vm_alloc_msi_gsi(struct vm *vm);   /* -1 when full */
bool vm_set_msi_route(struct vm *vm, int gsi, uint64_t address, uint32_t data, bool enabled);
bool vm_irqfd(struct vm *vm, int fd, int gsi, bool assign);
bool vm_signal_msi(struct vm *vm, uint64_t address, uint32_t data);
bool vm_ioeventfd(struct vm *vm, uint64_t addr, unsigned int len, int fd, bool assign);
void vm_emit(struct vm *vm, const char *event, const char *detail);
uint64_t vm_resident_bytes(struct vm *vm);

/* memory.c */
bool guest_ram_create(struct vm *vm, uint64_t size, bool hugepages, bool ksm, GError **error);
void guest_ram_destroy(struct guest_ram *ram);

/* bus.c */
void bus_init(struct bus *bus);
void bus_destroy(struct bus *bus);
struct bus_device *bus_register(struct bus *bus, const char *name, uint64_t base, uint64_t len,
                                bus_access_fn access, void *opaque);
/* Move a device; len 0 unmaps it (a PCI BAR with decoding off). */
void bus_move(struct bus *bus, struct bus_device *dev, uint64_t new_base, uint64_t len);
/* Returns false when nothing is mapped there. */
bool bus_access(struct bus *bus, uint64_t addr, void *data, unsigned int size, bool is_write);

/* cpuid.c */
bool vcpu_setup_cpuid(struct vcpu *vcpu, GError **error);

/* vcpu.c */
bool vcpus_create(struct vm *vm, GError **error);
bool vcpus_start(struct vm *vm, GError **error);
void vcpus_pause(struct vm *vm);
void vcpus_resume(struct vm *vm);
void vcpus_stop(struct vm *vm);      /* joins the threads */
bool vcpus_reset(struct vm *vm);     /* paused vCPUs back to power-on state */
/* Called from a vCPU thread: the machine is over. */
void vm_request_stop(struct vm *vm, VmStopReason reason, const char *detail);
const char *kvm_exit_reason_name(unsigned int reason);
/* Counters KVM keeps in the kernel (binary stats fd): name → value. */
GHashTable *vcpu_kernel_stats(struct vcpu *vcpu);
