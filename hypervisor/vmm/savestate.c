/* savestate.c — a running machine's state in a file, and back ("save-state",
 * --restore).
 *
 * What KVM keeps for us is read and written with its own ioctls
 * (Documentation/virt/kvm/api.rst §4): per vCPU KVM_GET_REGS/SREGS/FPU/
 * XSAVE/XCRS/DEBUGREGS/LAPIC/MP_STATE/VCPU_EVENTS and a fixed list of MSRs;
 * for the VM the three interrupt controllers (KVM_GET_IRQCHIP), the PIT
 * (KVM_GET_PIT2) and kvmclock (KVM_GET_CLOCK).  Of our own devices the UART
 * keeps its registers.  Guest RAM follows, page aligned, with pages of
 * zeros left as holes so that the file is as sparse as the guest is idle.
 *
 * api.rst (KVM_RUN, "immediate_exit"): after an exit for port or MMIO I/O
 * the instruction completes only on the next KVM_RUN; a vCPU parked between
 * exit and re-entry would be saved half way through an IN.  So each vCPU
 * first enters KVM_RUN once with immediate_exit set, which finishes pending
 * I/O and comes straight back with EINTR.
 *
 * The file holds the kernel's structs as this build sees them: a file from
 * a build with other struct sizes, or for another vCPU count or memory
 * size, is refused rather than misread.
 *
 * After RAM, one section per virtio-pci device, named by its PCI slot and
 * versioned on its own: the transport's registers, PCI config space and
 * MSI-X table (pci/virtio-pci.c), and once a driver has started on the
 * device, the negotiated features, each queue's addresses and ring
 * positions (virtio/device.c, queue.c) and the device's own state (each
 * device file).  Requests are not in flight while it is taken: the vCPUs
 * are paused, and a device's lock is held by its request handler until
 * the requests it took are on the used ring.  Devices that cannot be
 * saved (virtio-net, -input, a broken one) are refused by the caller
 * (machine.c) before anything is written.
 */
#include "config.h"
#include "savestate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SAVE_MAGIC   "GBSTATE1"
/* 3: a driven virtio-net and virtio-tablet have sections, and the screen
 * (header.display) follows the virtio sections.  A version 2 file has
 * neither and is read as it is. */
#define SAVE_VERSION 3
#define SAVE_VERSION_OLDEST 2
#define SECTION_MAGIC "GBVIRTIO"
#define SCREEN_MAGIC  "GBSCREEN"
#define SECTION_VERSION 1
#define PAGE         4096u
#define MAX_MSRS     32
#define MSR_TSC_DEADLINE 0x000006e0

/* Restored in this order: the TSC first, so that the clock MSRs that
 * follow count from the restored time.  The TSC deadline is written last
 * of all, after the local APIC (set_vcpu()). */
static const uint32_t saved_msrs[] = {
	0x00000010,   /* IA32_TSC */
	0x0000003b,   /* IA32_TSC_ADJUST */
	0x00000174,   /* IA32_SYSENTER_CS */
	0x00000175,   /* IA32_SYSENTER_ESP */
	0x00000176,   /* IA32_SYSENTER_EIP */
	0x000001a0,   /* IA32_MISC_ENABLE */
	0x00000277,   /* IA32_PAT */
	0x000002ff,   /* IA32_MTRR_DEF_TYPE */
	MSR_TSC_DEADLINE,
	0xc0000081,   /* STAR */
	0xc0000082,   /* LSTAR */
	0xc0000083,   /* CSTAR */
	0xc0000084,   /* SFMASK */
	0xc0000102,   /* KERNEL_GS_BASE */
	0xc0000103,   /* TSC_AUX */
	0x00000011,   /* MSR_KVM_WALL_CLOCK */
	0x00000012,   /* MSR_KVM_SYSTEM_TIME */
	0x4b564d00,   /* MSR_KVM_WALL_CLOCK_NEW */
	0x4b564d01,   /* MSR_KVM_SYSTEM_TIME_NEW */
	0x4b564d02,   /* MSR_KVM_ASYNC_PF_EN */
	0x4b564d03,   /* MSR_KVM_STEAL_TIME */
	0x4b564d04,   /* MSR_KVM_PV_EOI_EN */
};

struct save_header {
	char magic[8];
	uint32_t version;
	uint32_t n_vcpus;
	uint64_t ram_size;
	uint32_t vcpu_record_size;   /* the structs' layout, as a check */
	uint32_t vm_record_size;
	uint64_t ram_offset;
	uint32_t n_devices;          /* virtio sections after RAM */
	uint32_t display;            /* 1: the screen's section follows them (version 3) */
};

struct section_header {
	char magic[8];
	uint32_t version;
	uint32_t slot;               /* PCI 00:slot.0 */
	uint32_t device_id;          /* VIRTIO_ID_*, as a check */
	uint32_t len;                /* bytes that follow */
};

struct vcpu_record {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xsave xsave;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs debugregs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp_state;
	struct kvm_vcpu_events events;
	uint32_t have_xsave, have_xcrs;
	uint32_t n_msrs, pad;
	struct kvm_msr_entry msrs[MAX_MSRS];
};

struct vm_record {
	struct kvm_irqchip chips[3];
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	struct serial_state serial;
};

G_STATIC_ASSERT(G_N_ELEMENTS(saved_msrs) <= MAX_MSRS);

static bool
ioctl_ok(int ret, const char *what, unsigned int vcpu, GError **error)
{
	if (ret >= 0)
		return true;
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
	            "vCPU %u: %s: %s", vcpu, what, g_strerror(errno));
	return false;
}

/* One MSR at a time: KVM_GET_MSRS stops at the first it does not know,
 * and which ones a host knows varies (TSC_ADJUST, the kvmclock pair). */
static void
get_msrs(struct vcpu *v, struct vcpu_record *r)
{
	r->n_msrs = 0;
	for (unsigned int i = 0; i < G_N_ELEMENTS(saved_msrs); i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e;
		} one = { .h.nmsrs = 1, .e.index = saved_msrs[i] };

		if (ioctl(v->fd, KVM_GET_MSRS, &one) == 1)
			r->msrs[r->n_msrs++] = one.e;
	}
}

static bool
get_vcpu(struct vcpu *v, struct vcpu_record *r, GError **error)
{
	/* Finish an I/O instruction the vCPU exited for (see the top). */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (ioctl(v->fd, KVM_RUN, 0) == 0 || (errno != EINTR && errno != EAGAIN)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
		            "vCPU %u: could not complete its pending I/O before saving", v->id);
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		return false;
	}
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);

	memset(r, 0, sizeof(*r));
	if (!ioctl_ok(ioctl(v->fd, KVM_GET_REGS, &r->regs), "KVM_GET_REGS", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_GET_SREGS, &r->sregs), "KVM_GET_SREGS", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_GET_FPU, &r->fpu), "KVM_GET_FPU", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_GET_DEBUGREGS, &r->debugregs), "KVM_GET_DEBUGREGS", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_GET_LAPIC, &r->lapic), "KVM_GET_LAPIC", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_GET_MP_STATE, &r->mp_state), "KVM_GET_MP_STATE", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_GET_VCPU_EVENTS, &r->events), "KVM_GET_VCPU_EVENTS", v->id, error))
		return false;
	/* XSAVE holds the AVX halves KVM_GET_FPU leaves out; hosts whose
	 * state is bigger than struct kvm_xsave (AMX) refuse it: the legacy
	 * FPU state is then what we have. */
	r->have_xsave = ioctl(v->fd, KVM_GET_XSAVE, &r->xsave) == 0;
	r->have_xcrs = ioctl(v->fd, KVM_GET_XCRS, &r->xcrs) == 0;
	get_msrs(v, r);
	return true;
}

static void
set_msr(struct vcpu *v, const struct kvm_msr_entry *e)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} one = { .h.nmsrs = 1, .e = *e };

	if (ioctl(v->fd, KVM_SET_MSRS, &one) != 1)
		g_debug("vCPU %u: MSR %#x not restored", v->id, e->index);
}

static bool
set_vcpu(struct vcpu *v, const struct vcpu_record *r, GError **error)
{
	struct kvm_vcpu_events events = r->events;
	const struct kvm_msr_entry *deadline = NULL;

	/* QEMU's order (kvm_arch_put_registers): registers, then MSRs, then
	 * the MP state, the local APIC and the pending events. */
	if (!ioctl_ok(ioctl(v->fd, KVM_SET_SREGS, &r->sregs), "KVM_SET_SREGS", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_SET_REGS, &r->regs), "KVM_SET_REGS", v->id, error))
		return false;
	if (!r->have_xsave || ioctl(v->fd, KVM_SET_XSAVE, &r->xsave) < 0) {
		if (!ioctl_ok(ioctl(v->fd, KVM_SET_FPU, &r->fpu), "KVM_SET_FPU", v->id, error))
			return false;
	}
	if (r->have_xcrs && !ioctl_ok(ioctl(v->fd, KVM_SET_XCRS, &r->xcrs), "KVM_SET_XCRS", v->id, error))
		return false;
	for (unsigned int i = 0; i < r->n_msrs && i < MAX_MSRS; i++) {
		if (r->msrs[i].index == MSR_TSC_DEADLINE)
			deadline = &r->msrs[i];
		else
			set_msr(v, &r->msrs[i]);
	}
	/* Only the parts the file holds; the rest as KVM has them now. */
	events.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR |
	                KVM_VCPUEVENT_VALID_SHADOW;
	if (!ioctl_ok(ioctl(v->fd, KVM_SET_MP_STATE, &r->mp_state), "KVM_SET_MP_STATE", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_SET_LAPIC, &r->lapic), "KVM_SET_LAPIC", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_SET_VCPU_EVENTS, &events), "KVM_SET_VCPU_EVENTS", v->id, error) ||
	    !ioctl_ok(ioctl(v->fd, KVM_SET_DEBUGREGS, &r->debugregs), "KVM_SET_DEBUGREGS", v->id, error))
		return false;
	/* KVM takes a TSC deadline only while the APIC timer's LVT entry is
	 * in TSC-deadline mode (SDM 10.5.4.1), which a new vCPU's is not until
	 * KVM_SET_LAPIC: written before it, the guest's next timer interrupt
	 * is lost and an idle guest sleeps for ever.  (QEMU writes it last
	 * for the same reason: kvm_put_tscdeadline_msr().) */
	if (deadline)
		set_msr(v, deadline);
	return true;
}

static bool
write_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
		off += n;
	}
	return true;
}

static bool
read_all(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
		off += n;
	}
	return true;
}

static bool
page_is_zero(const uint8_t *p)
{
	const uint64_t *q = (const uint64_t *) p;

	for (unsigned int i = 0; i < PAGE / sizeof(*q); i++)
		if (q[i])
			return false;
	return true;
}

static uint64_t
ram_offset(unsigned int n_vcpus)
{
	uint64_t end = sizeof(struct save_header) + (uint64_t) n_vcpus * sizeof(struct vcpu_record) +
	               sizeof(struct vm_record);

	return (end + PAGE - 1) & ~(uint64_t) (PAGE - 1);
}

/* Every device's section, framed, into one buffer. */
static GByteArray *
save_devices(GPtrArray *virtio, GError **error)
{
	GByteArray *out = g_byte_array_new();

	for (unsigned int i = 0; virtio && i < virtio->len; i++) {
		struct virtio_pci *vp = g_ptr_array_index(virtio, i);
		struct section_header sh = { .version = SECTION_VERSION };
		size_t at = out->len;

		memcpy(sh.magic, SECTION_MAGIC, sizeof(sh.magic));
		sh.slot = virtio_pci_get_pci(vp)->slot;
		sh.device_id = virtio_pci_get_device(vp)->ops->device_id;
		g_byte_array_append(out, (const guint8 *) &sh, sizeof(sh));
		if (!virtio_pci_save(vp, out, error)) {
			g_byte_array_unref(out);
			return NULL;
		}
		sh.len = out->len - at - sizeof(sh);
		memcpy(out->data + at, &sh, sizeof(sh));
	}
	return out;
}

static const char *
device_name(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET: return "virtio-net (--net)";
	case VIRTIO_ID_BLOCK: return "virtio-blk (--disk)";
	case VIRTIO_ID_CONSOLE: return "virtio-console (--console)";
	case VIRTIO_ID_RNG: return "virtio-rng (--rng)";
	case VIRTIO_ID_INPUT: return "virtio-tablet (--display)";
	default: return "an unknown device";
	}
}

static struct virtio_pci *
find_slot(GPtrArray *virtio, uint32_t slot)
{
	for (unsigned int i = 0; virtio && i < virtio->len; i++) {
		struct virtio_pci *vp = g_ptr_array_index(virtio, i);

		if (virtio_pci_get_pci(vp)->slot == slot)
			return vp;
	}
	return NULL;
}

static bool
load_devices(int fd, off_t off, unsigned int n, GPtrArray *virtio, const char *path, off_t *end,
             GError **error)
{
	g_autofree bool *seen = g_new0(bool, virtio ? virtio->len + 1 : 1);

	if (n > 64) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: the file is damaged", path);
		return false;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct section_header sh;
		g_autofree uint8_t *buf = NULL;
		struct virtio_pci *vp;

		if (!read_all(fd, &sh, sizeof(sh), off) || memcmp(sh.magic, SECTION_MAGIC, sizeof(sh.magic)) != 0 ||
		    sh.len > (64u << 20)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: the file is cut short", path);
			return false;
		}
		off += sizeof(sh);
		if (sh.version != SECTION_VERSION) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "--restore %s: PCI 00:%02x.0: device section version %u; this glassbox-vmm reads %u",
			            path, sh.slot, sh.version, SECTION_VERSION);
			return false;
		}
		/* Matched by slot and type, as the file names them: the guest
		 * found each device at its slot, so another one there (or
		 * none) would be driven with the wrong driver. */
		vp = find_slot(virtio, sh.slot);
		if (vp == NULL || virtio_pci_get_device(vp)->ops->device_id != sh.device_id) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "--restore %s: PCI 00:%02x.0 held %s when the state was saved, now %s "
			            "(the same --disk, --net, --console, --rng and --display options are needed, in the same order)",
			            path, sh.slot, device_name(sh.device_id),
			            vp ? device_name(virtio_pci_get_device(vp)->ops->device_id) : "nothing");
			return false;
		}
		buf = g_malloc(sh.len ? sh.len : 1);
		if (!read_all(fd, buf, sh.len, off)) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: the file is cut short", path);
			return false;
		}
		off += sh.len;
		if (!virtio_pci_load(vp, buf, sh.len, error)) {
			g_prefix_error(error, "--restore %s: ", path);
			return false;
		}
		for (unsigned int j = 0; j < virtio->len; j++)
			if (g_ptr_array_index(virtio, j) == vp)
				seen[j] = true;
	}
	/* A device the file does not have: its driver would be missing. */
	for (unsigned int j = 0; virtio && j < virtio->len; j++) {
		struct virtio_pci *vp = g_ptr_array_index(virtio, j);

		if (!seen[j]) {
			g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
			            "--restore %s: PCI 00:%02x.0 holds %s, which the machine did not have when the "
			            "state was saved (the same --disk, --net, --console, --rng and --display options "
			            "are needed, in the same order)",
			            path, virtio_pci_get_pci(vp)->slot, device_name(virtio_pci_get_device(vp)->ops->device_id));
			return false;
		}
	}
	*end = off;
	return true;
}

static GByteArray *
save_screen(struct framebuffer *fb)
{
	GByteArray *out = g_byte_array_new();
	struct section_header sh = { .version = SECTION_VERSION };

	memcpy(sh.magic, SCREEN_MAGIC, sizeof(sh.magic));
	sh.slot = fb ? framebuffer_pci_slot(fb) : 0;
	g_byte_array_append(out, (const guint8 *) &sh, sizeof(sh));
	if (fb)
		framebuffer_save(fb, out);
	sh.len = out->len - sizeof(sh);
	memcpy(out->data, &sh, sizeof(sh));
	return out;
}

static bool
load_screen(int fd, off_t off, bool saved, struct framebuffer *fb, const char *path, GError **error)
{
	struct section_header sh;
	g_autofree uint8_t *buf = NULL;

	if (!saved && fb == NULL)
		return true;
	if (!saved || fb == NULL) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: saved %s a display; this machine has %s",
		            path, saved ? "with" : "without", fb ? "one (--display)" : "none");
		return false;
	}
	if (!read_all(fd, &sh, sizeof(sh), off) || memcmp(sh.magic, SCREEN_MAGIC, sizeof(sh.magic)) != 0 ||
	    sh.version != SECTION_VERSION || sh.len > FB_MAX_BYTES + 4096u) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: the display's state is cut short", path);
		return false;
	}
	buf = g_malloc(sh.len ? sh.len : 1);
	if (!read_all(fd, buf, sh.len, off + sizeof(sh))) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: the display's state is cut short", path);
		return false;
	}
	if (!framebuffer_load(fb, buf, sh.len, error)) {
		g_prefix_error(error, "--restore %s: ", path);
		return false;
	}
	return true;
}

bool
savestate_write(struct vm *vm, struct serial *serial, GPtrArray *virtio, struct framebuffer *fb,
                const char *path, GError **error)
{
	g_autoptr(GByteArray) devices = NULL, screen = NULL;
	g_autofree char *tmp = g_strconcat(path, ".part", NULL);
	g_autofree struct vcpu_record *records = g_new0(struct vcpu_record, vm->n_vcpus);
	struct save_header h = { .version = SAVE_VERSION };
	struct vm_record vr;
	off_t off;
	int fd = -1, errsv;
	bool frozen = false, ok = false;

	memcpy(h.magic, SAVE_MAGIC, sizeof(h.magic));
	h.n_vcpus = vm->n_vcpus;
	h.ram_size = vm->ram.size;
	h.vcpu_record_size = sizeof(struct vcpu_record);
	h.vm_record_size = sizeof(struct vm_record);
	h.ram_offset = ram_offset(vm->n_vcpus);

	/* Everything is read before the file is made: a failure leaves nothing. */
	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		if (!get_vcpu(&vm->vcpus[i], &records[i], error))
			return false;
	memset(&vr, 0, sizeof(vr));
	for (unsigned int c = 0; c < 3; c++) {
		vr.chips[c].chip_id = c;
		if (!ioctl_ok(ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &vr.chips[c]), "KVM_GET_IRQCHIP", 0, error))
			return false;
	}
	if (!ioctl_ok(ioctl(vm->vm_fd, KVM_GET_PIT2, &vr.pit), "KVM_GET_PIT2", 0, error) ||
	    !ioctl_ok(ioctl(vm->vm_fd, KVM_GET_CLOCK, &vr.clock), "KVM_GET_CLOCK", 0, error))
		return false;
	serial_get_state(serial, &vr.serial);
	/* Devices held still until RAM is in the file: a frame the I/O
	 * thread wrote into a receive buffer after the device's section was
	 * taken would be in RAM but not in the ring positions (and taken
	 * again after the restore). */
	for (unsigned int i = 0; virtio && i < virtio->len; i++)
		virtio_pci_freeze(g_ptr_array_index(virtio, i));
	frozen = true;
	devices = save_devices(virtio, error);
	if (devices == NULL)
		goto out;
	h.n_devices = virtio ? virtio->len : 0;
	/* The pixels too: the vCPUs are paused, nothing else draws. */
	h.display = fb != NULL;
	if (fb)
		screen = save_screen(fb);

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	off = 0;
	if (!write_all(fd, &h, sizeof(h), off))
		goto fail;
	off += sizeof(h);
	if (!write_all(fd, records, vm->n_vcpus * sizeof(*records), off))
		goto fail;
	off += vm->n_vcpus * sizeof(*records);
	if (!write_all(fd, &vr, sizeof(vr), off))
		goto fail;
	/* RAM: runs of non-zero pages, the zero pages left as holes. */
	for (uint64_t p = 0; p < vm->ram.size;) {
		uint64_t q;

		if (page_is_zero(vm->ram.host + p)) {
			p += PAGE;
			continue;
		}
		for (q = p + PAGE; q < vm->ram.size && q - p < (8u << 20) && !page_is_zero(vm->ram.host + q); q += PAGE)
			;
		if (!write_all(fd, vm->ram.host + p, q - p, h.ram_offset + p))
			goto fail;
		p = q;
	}
	if (ftruncate(fd, h.ram_offset + vm->ram.size) < 0 ||
	    !write_all(fd, devices->data, devices->len, h.ram_offset + vm->ram.size) ||
	    (screen && !write_all(fd, screen->data, screen->len, h.ram_offset + vm->ram.size + devices->len)) ||
	    fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	ok = true;
	goto out;

fail:
	errsv = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv),
	            "cannot write the saved state %s: %s", path, g_strerror(errsv));
out:
	for (unsigned int i = 0; frozen && virtio && i < virtio->len; i++)
		virtio_pci_thaw(g_ptr_array_index(virtio, i));
	return ok;
}

bool
savestate_read(struct vm *vm, struct serial *serial, GPtrArray *virtio, struct framebuffer *fb,
               const char *path, GError **error)
{
	off_t end;
	g_autofree struct vcpu_record *records = NULL;
	struct save_header h;
	struct vm_record vr;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = false;

	if (fd < 0) {
		int errsv = errno;
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errsv),
		            "--restore %s: %s", path, g_strerror(errsv));
		return false;
	}
	if (!read_all(fd, &h, sizeof(h), 0) || memcmp(h.magic, SAVE_MAGIC, sizeof(h.magic)) != 0) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: not a glassbox-vmm saved state", path);
		goto out;
	}
	if (h.version < SAVE_VERSION_OLDEST || h.version > SAVE_VERSION) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "--restore %s: saved state version %u; this glassbox-vmm reads versions %u to %u", path,
		            h.version, SAVE_VERSION_OLDEST, SAVE_VERSION);
		goto out;
	}
	if (h.version < 3)
		h.display = 0;   /* was padding */
	if (h.vcpu_record_size != sizeof(struct vcpu_record) || h.vm_record_size != sizeof(struct vm_record) ||
	    h.ram_offset != ram_offset(h.n_vcpus)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "--restore %s: saved by a glassbox-vmm with another layout", path);
		goto out;
	}
	if (h.n_vcpus != vm->n_vcpus || h.ram_size != vm->ram.size) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
		            "--restore %s: saved with %u vCPUs and %" G_GUINT64_FORMAT " MiB; this machine has %u vCPUs and %" G_GUINT64_FORMAT " MiB",
		            path, h.n_vcpus, h.ram_size >> 20, vm->n_vcpus, vm->ram.size >> 20);
		goto out;
	}
	records = g_new0(struct vcpu_record, h.n_vcpus);
	if (!read_all(fd, records, h.n_vcpus * sizeof(*records), sizeof(h)) ||
	    !read_all(fd, &vr, sizeof(vr), sizeof(h) + h.n_vcpus * sizeof(*records)) ||
	    !read_all(fd, vm->ram.host, vm->ram.size, h.ram_offset)) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--restore %s: the file is cut short", path);
		goto out;
	}

	for (unsigned int c = 0; c < 3; c++)
		if (!ioctl_ok(ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &vr.chips[c]), "KVM_SET_IRQCHIP", 0, error))
			goto out;
	if (!ioctl_ok(ioctl(vm->vm_fd, KVM_SET_PIT2, &vr.pit), "KVM_SET_PIT2", 0, error))
		goto out;
	/* The guest's clock goes on from where it stopped (api.rst
	 * KVM_SET_CLOCK: only the value, no host-time flags). */
	vr.clock.flags = 0;
	if (!ioctl_ok(ioctl(vm->vm_fd, KVM_SET_CLOCK, &vr.clock), "KVM_SET_CLOCK", 0, error))
		goto out;
	for (unsigned int i = 0; i < vm->n_vcpus; i++)
		if (!set_vcpu(&vm->vcpus[i], &records[i], error))
			goto out;
	serial_set_state(serial, &vr.serial);
	/* Devices after the interrupt controllers: an INTx line they raise
	 * again lands in the restored IOAPIC. */
	if (!load_devices(fd, h.ram_offset + h.ram_size, h.n_devices, virtio, path, &end, error) ||
	    !load_screen(fd, end, h.display, fb, path, error))
		goto out;
	ok = true;
out:
	close(fd);
	return ok;
}
