/* gb-libvirt-internals.c — libvirt's domain statistics in query-stats form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libvirt ≥ 8.9 with QEMU ≥ 7.1 passes KVM's binary statistics through
 * VIR_DOMAIN_STATS_VM ("vm.<name>.sum|cur|max") and VIR_DOMAIN_STATS_VCPU
 * ("vcpu.<n>.<name>.sum|cur|max"): the same counters glassbox-vmm reports
 * as "kernel" per vCPU.  Cumulative counters come as ".sum", instant
 * values as ".cur", peaks as ".max" (left out).
 */
#include "config.h"

#include <string.h>

#include "gb-libvirt-internals.h"

static gboolean
param_number (const virTypedParameter *p,
              gint64                  *out)
{
  switch (p->type)
    {
    case VIR_TYPED_PARAM_INT:     *out = p->value.i; return TRUE;
    case VIR_TYPED_PARAM_UINT:    *out = p->value.ui; return TRUE;
    case VIR_TYPED_PARAM_LLONG:   *out = p->value.l; return TRUE;
    case VIR_TYPED_PARAM_ULLONG:  *out = (gint64) MIN (p->value.ul, (unsigned long long) G_MAXINT64); return TRUE;
    case VIR_TYPED_PARAM_DOUBLE:  *out = (gint64) p->value.d; return TRUE;
    case VIR_TYPED_PARAM_BOOLEAN: *out = p->value.b != 0; return TRUE;
    default: return FALSE;
    }
}

static JsonObject *
object_in (GHashTable *table,
           guint64     key)
{
  JsonObject *o = g_hash_table_lookup (table, GUINT_TO_POINTER ((guint) key));

  if (o == NULL)
    {
      o = json_object_new ();
      g_hash_table_insert (table, GUINT_TO_POINTER ((guint) key), o);
    }
  return o;
}

static JsonObject *
child_object (JsonObject *parent,
              const char *name)
{
  if (!json_object_has_member (parent, name))
    json_object_set_object_member (parent, name, json_object_new ());
  return json_object_get_object_member (parent, name);
}

/* "halt_exits.sum" → "halt_exits"; NULL for peaks and unknown suffixes. */
static char *
counter_name (const char *rest)
{
  if (g_str_has_suffix (rest, ".sum") || g_str_has_suffix (rest, ".cur"))
    return g_strndup (rest, strlen (rest) - 4);
  return NULL;
}

static gint
compare_keys (gconstpointer a,
              gconstpointer b)
{
  guint ka = GPOINTER_TO_UINT (a), kb = GPOINTER_TO_UINT (b);

  return ka < kb ? -1 : ka > kb;
}

static JsonArray *
table_to_array (GHashTable *table,
                const char *id_member)
{
  JsonArray *array = json_array_new ();
  GList *keys = g_list_sort (g_hash_table_get_keys (table), compare_keys);

  for (GList *l = keys; l != NULL; l = l->next)
    {
      JsonObject *o = g_hash_table_lookup (table, l->data);

      if (id_member != NULL && !json_object_has_member (o, id_member))
        json_object_set_int_member (o, id_member, GPOINTER_TO_UINT (l->data));
      json_array_add_object_element (array, json_object_ref (o));
    }
  g_list_free (keys);
  return array;
}

JsonNode *
gb_libvirt_internals_to_json (const virTypedParameter *params,
                              int                      n_params,
                              const char              *domain_type)
{
  g_autoptr(GHashTable) vcpus = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) blocks = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) nets = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) json_object_unref);
  JsonObject *root = json_object_new ();
  JsonObject *vm = json_object_new ();
  JsonObject *memory = json_object_new ();
  JsonNode *node;
  gboolean tcg = g_strcmp0 (domain_type, "qemu") == 0;

  json_object_set_string_member (root, "source", "libvirt");
  json_object_set_string_member (root, "accelerator", tcg ? "tcg" : "kvm");

  for (int i = 0; i < n_params; i++)
    {
      const virTypedParameter *p = &params[i];
      const char *field = p->field;
      gint64 value = 0;
      gboolean is_number = param_number (p, &value);
      char *end = NULL;

      if (g_str_has_prefix (field, "vcpu.") && g_ascii_isdigit (field[5]))
        {
          guint64 id = g_ascii_strtoull (field + 5, &end, 10);
          JsonObject *v;
          const char *rest;
          g_autofree char *name = NULL;

          if (end == NULL || *end != '.')
            continue;
          rest = end + 1;
          v = object_in (vcpus, id);
          if (g_str_equal (rest, "state") && is_number)
            /* virVcpuState: 0 offline, 1 running, 2 blocked (in HLT or waiting) */
            json_object_set_string_member (v, "state", value == 0 ? "offline" : value == 2 ? "halted" : "running");
          else if (g_str_equal (rest, "halted") && p->type == VIR_TYPED_PARAM_BOOLEAN && p->value.b)
            json_object_set_string_member (v, "state", "halted");
          else if (g_str_equal (rest, "time") && is_number)
            json_object_set_int_member (v, "time-ns", value);
          else if (g_str_equal (rest, "wait") && is_number)
            json_object_set_int_member (v, "wait-ns", value);
          else if ((name = counter_name (rest)) != NULL && is_number)
            json_object_set_int_member (child_object (v, "kernel"), name, value);
        }
      else if (g_str_has_prefix (field, "vm."))
        {
          g_autofree char *name = counter_name (field + 3);

          if (name != NULL && is_number)
            json_object_set_int_member (vm, name, value);
        }
      else if (g_str_equal (field, "balloon.maximum") && is_number)
        json_object_set_int_member (memory, "guest-bytes", value * 1024);
      else if (g_str_equal (field, "balloon.current") && is_number)
        json_object_set_int_member (memory, "balloon-bytes", value * 1024);
      else if (g_str_equal (field, "balloon.rss") && is_number)
        json_object_set_int_member (memory, "resident-bytes", value * 1024);
      else if ((g_str_has_prefix (field, "block.") && g_ascii_isdigit (field[6])) ||
               (g_str_has_prefix (field, "net.") && g_ascii_isdigit (field[4])))
        {
          gboolean block = field[0] == 'b';
          guint64 index = g_ascii_strtoull (field + (block ? 6 : 4), &end, 10);
          JsonObject *o;
          const char *rest;

          if (end == NULL || *end != '.')
            continue;
          rest = end + 1;
          o = object_in (block ? blocks : nets, index);
          if (g_str_equal (rest, "name") && p->type == VIR_TYPED_PARAM_STRING)
            json_object_set_string_member (o, "name", p->value.s);
          else if (is_number)
            {
              /* "rd.bytes" → "rd-bytes", "rx.pkts" → "rx-pkts" */
              g_autofree char *member = g_strdelimit (g_strdup (rest), "._", '-');

              json_object_set_int_member (o, member, value);
            }
        }
    }

  json_object_set_array_member (root, "vcpus", table_to_array (vcpus, "id"));
  json_object_set_object_member (root, "vm", vm);
  json_object_set_object_member (root, "memory", memory);
  json_object_set_array_member (root, "block", table_to_array (blocks, NULL));
  json_object_set_array_member (root, "net", table_to_array (nets, NULL));
  /* QEMU's devices are not ours to count: libvirt says nothing per device. */
  json_object_set_array_member (root, "devices", json_array_new ());
  json_object_set_array_member (root, "virtio", json_array_new ());

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, root);
  return node;
}

char *
gb_libvirt_internals_domain_type (const char *xml)
{
  const char *p;
  char quote;
  const char *end;

  if (xml == NULL || (p = strstr (xml, "<domain")) == NULL || (p = strstr (p, "type=")) == NULL)
    return NULL;
  p += 5;
  quote = *p++;
  if ((quote != '\'' && quote != '"') || (end = strchr (p, quote)) == NULL)
    return NULL;
  return g_strndup (p, end - p);
}
