/* gb-host-info.c — what one libvirt connection says about its host
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "gb-host-info.h"
#include <libvirt/virterror.h>

#include "gb-libvirt-private.h"

void
gb_host_info_free (GbHostInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->hostname);
  g_free (info->hypervisor);
  g_free (info->hypervisor_version);
  g_free (info->libvirt_version);
  g_free (info->arch);
  g_free (info->cpu_model);
  g_free (info);
}

/* libvirt's versions are major * 1,000,000 + minor * 1,000 + micro. */
char *
gb_host_version_string (unsigned long long version)
{
  return g_strdup_printf ("%llu.%llu.%llu", version / 1000000, (version / 1000) % 1000, version % 1000);
}

static char *
xpath_string (xmlXPathContext *ctx,
              const char      *expr)
{
  xmlXPathObject *obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  char *ret = NULL;

  if (obj != NULL && obj->type == XPATH_STRING && obj->stringval && *obj->stringval)
    ret = g_strdup ((const char *) obj->stringval);
  xmlXPathFreeObject (obj);
  return ret;
}

GbHostInfo *
gb_host_info_fetch (virConnectPtr   conn,
                    GError        **error)
{
  g_autoptr(GbHostInfo) info = g_new0 (GbHostInfo, 1);
  unsigned long version = 0;
  virNodeInfo node;
  const char *type;
  char *hostname;
  char *caps;

  if (virNodeGetInfo (conn, &node) < 0)
    {
      gb_libvirt_set_error (error, _("The connection does not describe its host"));
      return NULL;
    }
  info->arch = g_strdup (node.model);
  info->cpus = node.cpus;
  info->mhz = node.mhz;
  info->memory = (guint64) node.memory * 1024;

  if ((hostname = virConnectGetHostname (conn)) != NULL)
    {
      info->hostname = g_strdup (hostname);
      free (hostname);
    }
  if ((type = virConnectGetType (conn)) != NULL)
    info->hypervisor = g_strdup (type);
  if (virConnectGetVersion (conn, &version) == 0 && version != 0)
    info->hypervisor_version = gb_host_version_string (version);
  if (virConnectGetLibVersion (conn, &version) == 0)
    info->libvirt_version = gb_host_version_string (version);
  virResetLastError ();

  info->accel = GB_HOST_ACCEL_OTHER;
  if ((caps = virConnectGetCapabilities (conn)) != NULL)
    {
      xmlDoc *doc = xmlReadMemory (caps, strlen (caps), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
      xmlXPathContext *ctx = doc ? xmlXPathNewContext (doc) : NULL;

      if (ctx != NULL)
        {
          g_autofree char *kvm = xpath_string (ctx, "string(/capabilities/guest/arch/domain[@type='kvm']/@type)");
          g_autofree char *qemu = xpath_string (ctx, "string(/capabilities/guest/arch/domain[@type='qemu']/@type)");

          info->cpu_model = xpath_string (ctx, "string(/capabilities/host/cpu/model)");
          if (kvm != NULL)
            info->accel = GB_HOST_ACCEL_KVM;
          else if (qemu != NULL)
            info->accel = GB_HOST_ACCEL_TCG;
          xmlXPathFreeContext (ctx);
        }
      if (doc != NULL)
        xmlFreeDoc (doc);
      free (caps);
    }
  virResetLastError ();
  return g_steal_pointer (&info);
}

static gboolean
get_params (virConnectPtr  conn,
            gboolean       cpu,
            GHashTable    *values)
{
  int n = 0;

  if (cpu)
    {
      g_autofree virNodeCPUStatsPtr params = NULL;

      if (virNodeGetCPUStats (conn, VIR_NODE_CPU_STATS_ALL_CPUS, NULL, &n, 0) < 0 || n <= 0)
        return FALSE;
      params = g_new0 (virNodeCPUStats, n);
      if (virNodeGetCPUStats (conn, VIR_NODE_CPU_STATS_ALL_CPUS, params, &n, 0) < 0)
        return FALSE;
      for (int i = 0; i < n; i++)
        g_hash_table_insert (values, g_strdup (params[i].field), g_memdup2 (&params[i].value, sizeof (guint64)));
    }
  else
    {
      g_autofree virNodeMemoryStatsPtr params = NULL;

      if (virNodeGetMemoryStats (conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, NULL, &n, 0) < 0 || n <= 0)
        return FALSE;
      params = g_new0 (virNodeMemoryStats, n);
      if (virNodeGetMemoryStats (conn, VIR_NODE_MEMORY_STATS_ALL_CELLS, params, &n, 0) < 0)
        return FALSE;
      for (int i = 0; i < n; i++)
        g_hash_table_insert (values, g_strdup (params[i].field), g_memdup2 (&params[i].value, sizeof (guint64)));
    }
  return TRUE;
}

static guint64
value (GHashTable *values,
       const char *key)
{
  guint64 *v = g_hash_table_lookup (values, key);

  return v ? *v : 0;
}

void
gb_host_sample_fetch (virConnectPtr  conn,
                      GbHostSample  *sample)
{
  g_autoptr(GHashTable) cpu = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) mem = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  memset (sample, 0, sizeof *sample);
  sample->time_us = g_get_monotonic_time ();
  if (get_params (conn, TRUE, cpu))
    {
      guint64 busy = value (cpu, VIR_NODE_CPU_STATS_KERNEL) + value (cpu, VIR_NODE_CPU_STATS_USER);

      sample->cpu_busy_ns = busy;
      sample->cpu_total_ns = busy + value (cpu, VIR_NODE_CPU_STATS_IDLE) + value (cpu, VIR_NODE_CPU_STATS_IOWAIT);
      sample->has_cpu = sample->cpu_total_ns > 0;
    }
  if (get_params (conn, FALSE, mem))
    {
      guint64 total = value (mem, VIR_NODE_MEMORY_STATS_TOTAL);
      guint64 avail = value (mem, VIR_NODE_MEMORY_STATS_FREE) + value (mem, VIR_NODE_MEMORY_STATS_BUFFERS) +
                      value (mem, VIR_NODE_MEMORY_STATS_CACHED);

      sample->mem_total = total * 1024;
      sample->mem_used = total > avail ? (total - avail) * 1024 : 0;
      sample->has_memory = total > 0;
    }
  virResetLastError ();
}

double
gb_host_sample_cpu_percent (const GbHostSample *prev,
                            const GbHostSample *cur)
{
  if (!prev->has_cpu || !cur->has_cpu || cur->cpu_total_ns <= prev->cpu_total_ns)
    return -1;
  return CLAMP (100.0 * (double) (cur->cpu_busy_ns - prev->cpu_busy_ns) /
                (double) (cur->cpu_total_ns - prev->cpu_total_ns), 0.0, 100.0);
}
