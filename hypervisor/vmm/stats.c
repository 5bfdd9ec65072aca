/* stats.c — the answer to query-stats: what KVM and our devices counted.
 * docs/vmm-api.md explains each member; the inside view shows them. */
#include "stats.h"

#include <string.h>

#include "pci.h"
#include "virtio-pci.h"

static void
add_int(JsonBuilder *b, const char *name, gint64 v)
{
	json_builder_set_member_name(b, name);
	json_builder_add_int_value(b, v);
}

/* One "Key:   N kB" line of the text of a /proc file, in bytes; -1 where
 * the text or the line is missing (an older kernel). */
static gint64
kib_line(const char *text, const char *key)
{
	size_t len = strlen(key);

	if (text == NULL)
		return -1;
	for (const char *line = text; line != NULL; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, len) == 0 && line[len] == ':')
			return g_ascii_strtoll(line + len + 1, NULL, 10) * 1024;
	}
	return -1;
}

/* The text of a /proc file of this process, NULL where it is missing. */
static char *
proc_text(const char *path)
{
	char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return NULL;
	return text;
}

/* Huge pages and KSM for this one machine, which host-wide figures
 * (/sys/kernel/mm) cannot tell apart from every other process: hugetlb
 * pages (--hugepages) from /proc/self/status, transparent huge pages
 * from /proc/self/smaps_rollup (Linux ≥ 4.14; AnonHugePages for private
 * memory, ShmemPmdMapped for a memfd mapped by 2 MiB entries), and the
 * pages KSM merged from /proc/self/ksm_merging_pages (Linux ≥ 5.19).
 * A member is left out where the kernel does not give it. */
static void
add_process_memory(JsonBuilder *b)
{
	g_autofree char *status = proc_text("/proc/self/status");
	/* Read once: the kernel walks the whole address space for it, and
	 * the app asks for these stats every second for every machine. */
	g_autofree char *rollup = proc_text("/proc/self/smaps_rollup");
	gint64 hugetlb = kib_line(status, "HugetlbPages");
	gint64 anon = kib_line(rollup, "AnonHugePages");
	gint64 shmem = kib_line(rollup, "ShmemPmdMapped");
	g_autofree char *ksm = NULL;

	if (hugetlb >= 0)
		add_int(b, "hugetlb-bytes", hugetlb);
	if (anon >= 0 || shmem >= 0)
		add_int(b, "thp-bytes", MAX(anon, 0) + MAX(shmem, 0));
	if (g_file_get_contents("/proc/self/ksm_merging_pages", &ksm, NULL, NULL))
		add_int(b, "ksm-merging-pages", g_ascii_strtoll(ksm, NULL, 10));
}

static void
add_bus(JsonBuilder *b, struct bus *bus, const char *kind)
{
	pthread_rwlock_rdlock(&bus->lock);
	for (unsigned int i = 0; i < bus->n; i++) {
		struct bus_device *d = &bus->devs[i];

		json_builder_begin_object(b);
		json_builder_set_member_name(b, "name");
		json_builder_add_string_value(b, d->name);
		json_builder_set_member_name(b, "bus");
		json_builder_add_string_value(b, kind);
		add_int(b, "base", d->base);
		add_int(b, "length", d->len);
		add_int(b, "exits", __atomic_load_n(&d->exits, __ATOMIC_RELAXED));
		if (d->bytes)
			add_int(b, "bytes", __atomic_load_n(d->bytes, __ATOMIC_RELAXED));
		json_builder_end_object(b);
	}
	pthread_rwlock_unlock(&bus->lock);
}

/* A device's own counters (virtio-net: packets, bytes, drops, link). */
static void
sink_int(void *data, const char *name, int64_t value)
{
	add_int(data, name, value);
}

static void
sink_string(void *data, const char *name, const char *value)
{
	json_builder_set_member_name(data, name);
	json_builder_add_string_value(data, value);
}

JsonNode *
vmm_stats(struct vm *vm, GPtrArray *virtio)
{
	g_autoptr(JsonBuilder) b = json_builder_new();

	json_builder_begin_object(b);

	json_builder_set_member_name(b, "vcpus");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		GHashTable *kstats = vcpu_kernel_stats(v);
		GHashTableIter it;
		gpointer key, value;

		json_builder_begin_object(b);
		add_int(b, "id", i);
		add_int(b, "kvm-run-calls", v->run_calls);
		add_int(b, "vmm-ns", (gint64) __atomic_load_n(&v->vmm_ns, __ATOMIC_RELAXED));
		/* Exits that reached user space, by KVM_EXIT_* reason. */
		json_builder_set_member_name(b, "exits");
		json_builder_begin_object(b);
		for (unsigned int r = 0; r < VCPU_EXIT_REASONS; r++) {
			uint64_t n = __atomic_load_n(&v->exits[r], __ATOMIC_RELAXED);
			const char *name = kvm_exit_reason_name(r);
			char buf[32];

			if (n == 0)
				continue;
			if (name == NULL) {
				g_snprintf(buf, sizeof(buf), "reason-%u", r);
				name = buf;
			}
			add_int(b, name, n);
		}
		json_builder_end_object(b);
		/* Everything KVM counts in the kernel, including exits it handled
		 * itself (halt_exits, irq_exits, …), when it offers a stats fd. */
		json_builder_set_member_name(b, "kernel");
		json_builder_begin_object(b);
		g_hash_table_iter_init(&it, kstats);
		while (g_hash_table_iter_next(&it, &key, &value))
			add_int(b, key, (gint64) (uintptr_t) value);
		json_builder_end_object(b);
		json_builder_end_object(b);
		g_hash_table_unref(kstats);
	}
	json_builder_end_array(b);

	json_builder_set_member_name(b, "devices");
	json_builder_begin_array(b);
	add_bus(b, &vm->pio, "pio");
	add_bus(b, &vm->mmio, "mmio");
	json_builder_end_array(b);
	json_builder_set_member_name(b, "unhandled");
	json_builder_begin_object(b);
	add_int(b, "pio", __atomic_load_n(&vm->pio.unhandled, __ATOMIC_RELAXED));
	add_int(b, "mmio", __atomic_load_n(&vm->mmio.unhandled, __ATOMIC_RELAXED));
	json_builder_end_object(b);

	json_builder_set_member_name(b, "virtio");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < virtio->len; i++) {
		struct virtio_pci *vp = g_ptr_array_index(virtio, i);
		struct virtio_device *dev = virtio_pci_get_device(vp);
		const struct virtio_stats_sink sink = { sink_int, sink_string, b };
		char addr[16];

		g_snprintf(addr, sizeof(addr), "00:%02x.0", virtio_pci_get_pci(vp)->slot);
		json_builder_begin_object(b);
		json_builder_set_member_name(b, "device");
		json_builder_add_string_value(b, dev->ops->name);
		json_builder_set_member_name(b, "pci-address");
		json_builder_add_string_value(b, addr);
		json_builder_set_member_name(b, "interrupts-via");
		json_builder_add_string_value(b, virtio_pci_get_irq_mode(vp));
		add_int(b, "mmio-exits", virtio_pci_get_mmio_exits(vp));
		json_builder_set_member_name(b, "broken");
		json_builder_add_boolean_value(b, dev->broken);
		if (dev->broken) {
			json_builder_set_member_name(b, "broken-reason");
			json_builder_add_string_value(b, dev->broken_reason);
		}
		if (dev->ops->get_stats)
			dev->ops->get_stats(dev, -1, &sink);
		json_builder_set_member_name(b, "queues");
		json_builder_begin_array(b);
		for (unsigned int q = 0; q < dev->num_queues; q++) {
			struct virtq *vq = &dev->vqs[q];

			json_builder_begin_object(b);
			add_int(b, "index", q);
			add_int(b, "size", vq->size);
			json_builder_set_member_name(b, "enabled");
			json_builder_add_boolean_value(b, vq->enabled);
			add_int(b, "notifications", __atomic_load_n(&vq->stats.kicks, __ATOMIC_RELAXED));
			add_int(b, "interrupts", __atomic_load_n(&vq->stats.interrupts, __ATOMIC_RELAXED));
			add_int(b, "requests", __atomic_load_n(&vq->stats.chains, __ATOMIC_RELAXED));
			if (dev->ops->get_stats)
				dev->ops->get_stats(dev, q, &sink);
			json_builder_end_object(b);
		}
		json_builder_end_array(b);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);

	json_builder_set_member_name(b, "memory");
	json_builder_begin_object(b);
	add_int(b, "guest-bytes", vm->ram.size);
	add_int(b, "resident-bytes", vm_resident_bytes(vm));
	json_builder_set_member_name(b, "hugepages");
	json_builder_add_boolean_value(b, vm->ram.hugepages);
	json_builder_set_member_name(b, "shareable");
	json_builder_add_boolean_value(b, vm->ram.memfd >= 0);
	add_process_memory(b);
	/* How guest RAM sits in this process: what it is made of, and each
	 * KVM memory slot (KVM_SET_USER_MEMORY_REGION) as guest-physical
	 * range → our virtual address.  The Inside page shows it. */
	json_builder_set_member_name(b, "backing");
	json_builder_add_string_value(b, vm->ram.memfd < 0 ? "anonymous" :
	                                 vm->ram.hugepages ? "memfd-hugetlb" : "memfd");
	json_builder_set_member_name(b, "slots");
	json_builder_begin_array(b);
	for (unsigned int i = 0; i < vm->mem.n_regions; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];

		json_builder_begin_object(b);
		add_int(b, "guest-address", (gint64) r->gpa);
		add_int(b, "size", (gint64) r->size);
		add_int(b, "host-address", (gint64) (uintptr_t) r->hva);
		json_builder_end_object(b);
	}
	json_builder_end_array(b);
	json_builder_end_object(b);

	json_builder_end_object(b);
	return json_builder_get_root(b);
}

