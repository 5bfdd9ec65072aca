/* gb-host-info.h — what one libvirt connection says about its host
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Blocking calls on a virConnectPtr: run them in a worker thread
 * (gb_storage_run_async() does).
 */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

typedef enum {
  GB_HOST_ACCEL_OTHER,   /* not QEMU (e.g. the test driver) */
  GB_HOST_ACCEL_KVM,     /* QEMU can use KVM */
  GB_HOST_ACCEL_TCG,     /* QEMU emulates (no usable /dev/kvm) */
} GbHostAccel;

typedef struct {
  char        *hostname;
  char        *hypervisor;         /* "QEMU", "Test", … */
  char        *hypervisor_version; /* "7.2.0" */
  char        *libvirt_version;    /* of the daemon: "9.0.0" */
  char        *arch;
  char        *cpu_model;          /* from the capabilities, or NULL */
  guint        cpus;
  guint        mhz;
  guint64      memory;             /* bytes */
  GbHostAccel  accel;
} GbHostInfo;

typedef struct {
  gint64   time_us;
  guint64  cpu_busy_ns;    /* kernel + user over all CPUs */
  guint64  cpu_total_ns;   /* busy + idle + iowait */
  guint64  mem_total;      /* bytes */
  guint64  mem_used;       /* bytes: total − free − buffers − cached */
  guint    has_cpu : 1;
  guint    has_memory : 1;
} GbHostSample;

void        gb_host_info_free        (GbHostInfo         *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GbHostInfo, gb_host_info_free)

char       *gb_host_version_string   (unsigned long long  version);
GbHostInfo *gb_host_info_fetch       (virConnectPtr       conn,
                                      GError            **error);
/* Never fails: a connection that cannot tell leaves has_cpu/has_memory unset. */
void        gb_host_sample_fetch     (virConnectPtr       conn,
                                      GbHostSample       *sample);
/* CPU use between two samples, 0..100, or -1 when it cannot be told. */
double      gb_host_sample_cpu_percent (const GbHostSample *prev,
                                        const GbHostSample *cur);

G_END_DECLS
