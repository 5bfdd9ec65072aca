/* cpuid.c — what the guest learns from CPUID.
 *
 * We start from KVM_GET_SUPPORTED_CPUID (what this host and KVM can
 * virtualise) and adjust per vCPU: its APIC ID, the "running under a
 * hypervisor" bit, the TSC-deadline timer of the in-kernel local APIC, and
 * no performance-monitoring leaf (we emulate no PMU).
 */
#include "vm.h"

#include <errno.h>
#include <sys/ioctl.h>

bool
vcpu_setup_cpuid(struct vcpu *vcpu, GError **error)
{
	struct kvm_cpuid2 *cpuid = NULL;
	unsigned int nent = 64;
	/* The local APIC's TSC-deadline mode is KVM's own (the in-kernel
	 * LAPIC), so KVM_GET_SUPPORTED_CPUID leaves CPUID.1:ECX[24] clear and
	 * says it through KVM_CAP_TSC_DEADLINE_TIMER instead (api.rst,
	 * KVM_GET_SUPPORTED_CPUID).  Without it Linux calibrates its APIC
	 * timer against the PIT, and where exits are slow (nested KVM) the
	 * check fails: "APIC timer disabled due to verification failure",
	 * every CPU's timer then hangs on PIT ticks broadcast by IPI.  With it
	 * Linux arms each CPU's timer by TSC deadline and needs no
	 * calibration (arch/x86/kernel/apic/apic.c, setup_APIC_timer). */
	bool tsc_deadline = ioctl(vcpu->vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;

	for (;;) {
		cpuid = g_malloc0(sizeof(*cpuid) + nent * sizeof(struct kvm_cpuid_entry2));
		cpuid->nent = nent;
		if (ioctl(vcpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		g_free(cpuid);
		if (errno != E2BIG || nent >= 4096) {
			g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
			            "KVM_GET_SUPPORTED_CPUID: %s", g_strerror(errno));
			return false;
		}
		nent *= 2;
	}

	for (unsigned int i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/* EBX[31:24] initial APIC ID; EBX[23:16] logical CPUs per package. */
			e->ebx = (e->ebx & 0x0000ffff) | (vcpu->id << 24) |
			         (MIN(vcpu->vm->n_vcpus, 255u) << 16);
			e->ecx |= 1u << 31;                 /* hypervisor present */
			if (tsc_deadline)
				e->ecx |= 1u << 24;             /* TSC-deadline timer */
			if (vcpu->vm->n_vcpus > 1)
				e->edx |= 1u << 28;             /* HTT: the count above is valid */
			break;
		case 0xa:
			/* Architectural performance monitoring: none. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			e->edx = vcpu->id;                  /* x2APIC ID */
			break;
		default:
			break;
		}
	}

	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "KVM_SET_CPUID2: %s", g_strerror(errno));
		g_free(cpuid);
		return false;
	}
	g_free(cpuid);
	return true;
}
