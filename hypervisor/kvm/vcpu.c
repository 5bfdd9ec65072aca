/* vcpu.c — one thread per vCPU, each looping on KVM_RUN.
 *
 * KVM_RUN returns when the guest does something the kernel leaves to us;
 * kvm_run->exit_reason says what.  We count every exit by reason (the
 * inside view shows these), hand port and MMIO accesses to the buses, and
 * turn resets, power-off and failures into a stop of the whole machine.
 *
 * Pausing and stopping use the usual KVM idiom: set a flag, set
 * kvm_run->immediate_exit, and send the thread a signal, so a vCPU inside
 * KVM_RUN comes back with EINTR and one about to enter returns at once.
 */
#include "vm.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define VCPU_KICK_SIGNAL SIGUSR1

static const char *const exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq-window-open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail-entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set-tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr-access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal-error",
	[KVM_EXIT_SYSTEM_EVENT] = "system-event",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic-eoi",
	[KVM_EXIT_X86_RDMSR] = "rdmsr",
	[KVM_EXIT_X86_WRMSR] = "wrmsr",
};

const char *
kvm_exit_reason_name(unsigned int reason)
{
	if (reason < G_N_ELEMENTS(exit_names) && exit_names[reason])
		return exit_names[reason];
	return NULL;
}

static void
kick_handler(int sig)
{
	/* Only here to interrupt KVM_RUN with EINTR. */
}

static int64_t
monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Wire the local APIC's LINT0 to the PIC (ExtINT) and LINT1 to NMI, as PC
 * firmware does (MP spec §5.1, "virtual wire mode"): the MP table we write
 * says so, and a guest that never touches its APIC still gets PIC
 * interrupts. */
static bool
setup_lapic(struct vcpu *v, GError **error)
{
	struct kvm_lapic_state lapic;
	uint32_t lvt0 = 0x700, lvt1 = 0x400;   /* delivery modes ExtINT, NMI */

	if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0)
		goto fail;
	memcpy(&lapic.regs[0x350], &lvt0, 4);
	memcpy(&lapic.regs[0x360], &lvt1, 4);
	if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0)
		goto fail;
	return true;
fail:
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
	            "vCPU %u local APIC: %s", v->id, g_strerror(errno));
	return false;
}

bool
vcpus_create(struct vm *vm, GError **error)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);   /* no SA_RESTART */

	vm->vcpus = g_new0(struct vcpu, vm->n_vcpus);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		vm->vcpus[i].fd = -1;
		vm->vcpus[i].stats_fd = -1;
	}

	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long) i);
		if (v->fd < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "KVM_CREATE_VCPU %u: %s", i, g_strerror(errno));
			return false;
		}
		v->run = mmap(NULL, vm->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "mmap kvm_run: %s", g_strerror(errno));
			return false;
		}
		if (!vcpu_setup_cpuid(v, error))
			return false;
		v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
		if (!setup_lapic(v, error))
			return false;

		/* Power-on state, so that a reset can return to it. */
		if (ioctl(v->fd, KVM_GET_REGS, &v->init_regs) < 0 ||
		    ioctl(v->fd, KVM_GET_SREGS, &v->init_sregs) < 0 ||
		    ioctl(v->fd, KVM_GET_FPU, &v->init_fpu) < 0 ||
		    ioctl(v->fd, KVM_GET_LAPIC, &v->init_lapic) < 0 ||
		    ioctl(v->fd, KVM_GET_MP_STATE, &v->init_mp_state) < 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "reading vCPU %u power-on state: %s", i, g_strerror(errno));
			return false;
		}
	}

	for (unsigned int c = 0; c < 3; c++) {
		vm->init_chips[c].chip_id = c;
		ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &vm->init_chips[c]);
	}
	ioctl(vm->vm_fd, KVM_GET_PIT2, &vm->init_pit);
	return true;
}

/* KVM's paravirtual MSRs (Documentation/virt/kvm/x86/msr.rst) give it
 * guest-physical addresses it keeps writing to: kvmclock's time page,
 * steal time, async page faults, the PV EOI flag.  A reset restarts the
 * guest with those pages now belonging to anything, so they go back to
 * their power-on values (0; poll control 1), as QEMU's reset does; a new
 * kernel would otherwise be overwritten by KVM on its way up. */
static const struct {
	uint32_t index;
	uint64_t value;
} pv_msr_reset[] = {
	{ 0x11, 0 },           /* MSR_KVM_WALL_CLOCK */
	{ 0x12, 0 },           /* MSR_KVM_SYSTEM_TIME */
	{ 0x4b564d00, 0 },     /* MSR_KVM_WALL_CLOCK_NEW */
	{ 0x4b564d01, 0 },     /* MSR_KVM_SYSTEM_TIME_NEW */
	{ 0x4b564d02, 0 },     /* MSR_KVM_ASYNC_PF_EN */
	{ 0x4b564d03, 0 },     /* MSR_KVM_STEAL_TIME */
	{ 0x4b564d04, 0 },     /* MSR_KVM_PV_EOI_EN */
	{ 0x4b564d05, 1 },     /* MSR_KVM_POLL_CONTROL */
	{ 0x4b564d06, 0 },     /* MSR_KVM_ASYNC_PF_INT */
};

/* One at a time: KVM_SET_MSRS stops at the first MSR this KVM lacks. */
static void
reset_pv_msrs(struct vcpu *v)
{
	for (unsigned int i = 0; i < G_N_ELEMENTS(pv_msr_reset); i++) {
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry entry;
		} msrs = { .hdr.nmsrs = 1 };

		msrs.entry.index = pv_msr_reset[i].index;
		msrs.entry.data = pv_msr_reset[i].value;
		ioctl(v->fd, KVM_SET_MSRS, &msrs);
	}
}

bool
vcpus_reset(struct vm *vm)
{
	bool ok = true;

	for (unsigned int c = 0; c < 3; c++)
		ok &= ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &vm->init_chips[c]) == 0;
	ok &= ioctl(vm->vm_fd, KVM_SET_PIT2, &vm->init_pit) == 0;
	/* KVM_SET_PIT2 leaves the PIT's reinject bookkeeping alone: a tick
	 * injected just before the reset and never acknowledged (the reset
	 * cleared the interrupt controllers) would keep it waiting for an EOI
	 * forever, and the restarted guest would get no timer.  Turning
	 * reinjection off and on again resets it as on a new machine (KVM's
	 * kvm_pit_set_reinject); an error here is not fatal. */
	{
		struct kvm_reinject_control rc = { .pit_reinject = 0 };

		if (ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &rc) == 0) {
			rc.pit_reinject = 1;
			ioctl(vm->vm_fd, KVM_REINJECT_CONTROL, &rc);
		}
	}
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		ok &= ioctl(v->fd, KVM_SET_SREGS, &v->init_sregs) == 0;
		ok &= ioctl(v->fd, KVM_SET_REGS, &v->init_regs) == 0;
		ok &= ioctl(v->fd, KVM_SET_FPU, &v->init_fpu) == 0;
		ok &= ioctl(v->fd, KVM_SET_LAPIC, &v->init_lapic) == 0;
		ok &= ioctl(v->fd, KVM_SET_MP_STATE, &v->init_mp_state) == 0;
		reset_pv_msrs(v);
	}
	return ok;
}

void
vm_request_stop(struct vm *vm, VmStopReason reason, const char *detail)
{
	bool first;

	pthread_mutex_lock(&vm->run_lock);
	first = vm->stop_reason == VM_STOP_NONE;
	if (first) {
		vm->stop_reason = reason;
		g_strlcpy(vm->stop_detail, detail ? detail : "", sizeof(vm->stop_detail));
	}
	vm->stop_requested = true;
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);

	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (__atomic_load_n(&v->thread_started, __ATOMIC_ACQUIRE) && !pthread_equal(v->thread, pthread_self())) {
			__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
			pthread_kill(v->thread, VCPU_KICK_SIGNAL);
		}
	}
	if (first)
		vm_emit(vm, "STOP", detail);
}

static void
handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *) run + run->io.data_offset;

	/* String instructions (rep outsb) arrive as `count` accesses. */
	for (uint32_t i = 0; i < run->io.count; i++) {
		bus_access(&v->vm->pio, run->io.port, data, run->io.size,
		           run->io.direction == KVM_EXIT_IO_OUT);
		data += run->io.size;
	}
}

/* One exit; returns false when this vCPU should stop running. */
static bool
handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char detail[128];

	if (run->exit_reason < VCPU_EXIT_REASONS)
		__atomic_fetch_add(&v->exits[run->exit_reason], 1, __ATOMIC_RELAXED);

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
		           run->mmio.is_write);
		return true;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; with one, HLT sleeps in KVM. */
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: on a PC that resets the machine. */
		g_snprintf(detail, sizeof(detail), "vCPU %u: triple fault", v->id);
		vm_request_stop(v->vm, VM_STOP_GUEST_RESET, detail);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			vm_request_stop(v->vm, VM_STOP_GUEST_POWEROFF, "guest powered off");
		} else if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			vm_request_stop(v->vm, VM_STOP_GUEST_RESET, "guest reset");
		} else {
			g_snprintf(detail, sizeof(detail), "vCPU %u: system event %u", v->id,
			           run->system_event.type);
			vm_request_stop(v->vm, VM_STOP_ERROR, detail);
		}
		return false;
	case KVM_EXIT_INTERNAL_ERROR: {
		struct kvm_regs regs = { 0 };

		ioctl(v->fd, KVM_GET_REGS, &regs);
		g_snprintf(detail, sizeof(detail), "vCPU %u: KVM internal error %u%s at rip 0x%llx", v->id,
		           run->internal.suberror,
		           run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "",
		           (unsigned long long) regs.rip);
		vm_request_stop(v->vm, VM_STOP_ERROR, detail);
		return false;
	}
	case KVM_EXIT_FAIL_ENTRY:
		g_snprintf(detail, sizeof(detail), "vCPU %u: VM entry failed, hardware reason 0x%llx",
		           v->id, (unsigned long long) run->fail_entry.hardware_entry_failure_reason);
		vm_request_stop(v->vm, VM_STOP_ERROR, detail);
		return false;
	default:
		g_snprintf(detail, sizeof(detail), "vCPU %u: unexpected exit reason %u", v->id,
		           run->exit_reason);
		vm_request_stop(v->vm, VM_STOP_ERROR, detail);
		return false;
	}
}

static void *
vcpu_thread(void *data)
{
	struct vcpu *v = data;
	struct vm *vm = v->vm;
	sigset_t set;
	char name[16];

	g_snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	for (;;) {
		int ret;

		pthread_mutex_lock(&vm->run_lock);
		while (vm->pause_requested && !vm->stop_requested) {
			vm->vcpus_paused++;
			pthread_cond_broadcast(&vm->run_cond);
			pthread_cond_wait(&vm->run_cond, &vm->run_lock);
			vm->vcpus_paused--;
		}
		if (vm->stop_requested) {
			pthread_mutex_unlock(&vm->run_lock);
			break;
		}
		pthread_mutex_unlock(&vm->run_lock);

		if (v->id == 0 && vm->first_run_ns == 0) {
			vm->first_run_ns = monotonic_ns();
			if (g_getenv("GLASSBOX_VMM_TRACE_START"))
				fprintf(stderr, "glassbox-vmm: first KVM_RUN at %" G_GINT64_FORMAT " ns\n",
				        vm->first_run_ns);
		}
		v->run_calls++;
		ret = ioctl(v->fd, KVM_RUN, 0);
		if (ret < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			char detail[96];
			g_snprintf(detail, sizeof(detail), "vCPU %u: KVM_RUN: %s", v->id, g_strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR, detail);
			break;
		}
		{
			/* Two vDSO clock reads per exit: tens of nanoseconds
			 * against the microseconds an exit to user space costs. */
			uint64_t t0 = monotonic_ns();
			bool go_on = handle_exit(v);

			__atomic_fetch_add(&v->vmm_ns, monotonic_ns() - t0, __ATOMIC_RELAXED);
			if (!go_on)
				break;
		}
	}
	return NULL;
}

bool
vcpus_start(struct vm *vm, GError **error)
{
	sigset_t set, old;

	/* Threads start with the kick signal blocked and unblock it themselves,
	 * so it never lands in a thread that is not a vCPU. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);

	pthread_mutex_lock(&vm->run_lock);
	vm->state = VM_STATE_RUNNING;
	pthread_mutex_unlock(&vm->run_lock);

	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int ret = pthread_create(&v->thread, NULL, vcpu_thread, v);

		if (ret != 0) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(ret),
			            "cannot start vCPU thread: %s", g_strerror(ret));
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return false;
		}
		__atomic_store_n(&v->thread_started, true, __ATOMIC_RELEASE);
	}
	return true;
}

static void
kick_all(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->thread_started) {
			__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
			pthread_kill(v->thread, VCPU_KICK_SIGNAL);
		}
	}
}

static unsigned int
threads_alive(struct vm *vm)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		n += vm->vcpus[i].thread_started;
	return n;
}

void
vcpus_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	vm->pause_requested = true;
	pthread_mutex_unlock(&vm->run_lock);
	kick_all(vm);

	pthread_mutex_lock(&vm->run_lock);
	while (vm->vcpus_paused < threads_alive(vm) && !vm->stop_requested)
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	if (!vm->stop_requested)
		vm->state = VM_STATE_PAUSED;
	pthread_mutex_unlock(&vm->run_lock);
}

void
vcpus_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->run_lock);
	vm->pause_requested = false;
	if (!vm->stop_requested)
		vm->state = VM_STATE_RUNNING;
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
}

void
vcpus_stop(struct vm *vm)
{
	if (vm->vcpus == NULL)
		return;
	pthread_mutex_lock(&vm->run_lock);
	vm->stop_requested = true;
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
	kick_all(vm);

	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->thread_started) {
			pthread_join(v->thread, NULL);
			v->thread_started = false;
		}
	}
	pthread_mutex_lock(&vm->run_lock);
	vm->state = VM_STATE_SHUTDOWN;
	pthread_mutex_unlock(&vm->run_lock);
}

GHashTable *
vcpu_kernel_stats(struct vcpu *v)
{
	GHashTable *stats = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct kvm_stats_header h;
	uint8_t *descs = NULL;
	size_t desc_size;

	if (v->stats_fd < 0 || pread(v->stats_fd, &h, sizeof(h), 0) != sizeof(h))
		return stats;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = g_malloc(desc_size * h.num_desc);
	if (pread(v->stats_fd, descs, desc_size * h.num_desc, h.desc_offset) !=
	    (ssize_t) (desc_size * h.num_desc))
		goto out;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *) (descs + i * desc_size);
		uint64_t value;

		/* Plain counters only: no histograms, no peaks. */
		if ((d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE || d->size != 1)
			continue;
		if (pread(v->stats_fd, &value, sizeof(value), h.data_offset + d->offset) != sizeof(value))
			continue;
		g_hash_table_insert(stats, g_strndup(d->name, h.name_size), (gpointer) (uintptr_t) value);
	}
out:
	g_free(descs);
	return stats;
}
