/* gb-machine-config.c — the provider-neutral description of a machine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libvirt-gconfig/libvirt-gconfig.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "gb-machine-config-private.h"

/* The namespace libosinfo metadata lives in, as virt-manager and GNOME Boxes write it:
 * <metadata><libosinfo:libosinfo xmlns:libosinfo="…"><libosinfo:os id="…"/></…></metadata> */
#define LIBOSINFO_NS "http://libosinfo.org/xmlns/libvirt/domain/1.0"

/* libvirt-gconfig 4.0 declares no g_autoptr() cleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomain, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GVirConfigDomainOs, g_object_unref)

struct _GbMachineConfig
{
  GObject    parent_instance;

  char      *name;
  char      *uuid;
  char      *os_id;
  char      *os_name;
  char      *firmware;
  guint      n_vcpus;
  guint64    memory;
  GPtrArray *disks;
  GPtrArray *nics;
  GPtrArray *graphics;
  GPtrArray *consoles;
};

G_DEFINE_FINAL_TYPE (GbMachineConfig, gb_machine_config, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_UUID,
  PROP_N_VCPUS,
  PROP_MEMORY,
  PROP_OS_ID,
  PROP_OS_NAME,
  PROP_FIRMWARE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Boxed device descriptions */

GbConfigDisk *
gb_config_disk_copy (const GbConfigDisk *disk)
{
  GbConfigDisk *copy = g_new0 (GbConfigDisk, 1);

  copy->target = g_strdup (disk->target);
  copy->path = g_strdup (disk->path);
  copy->format = g_strdup (disk->format);
  copy->bus = g_strdup (disk->bus);
  copy->device = g_strdup (disk->device);
  copy->capacity = disk->capacity;
  copy->read_only = disk->read_only;

  return copy;
}

void
gb_config_disk_free (GbConfigDisk *disk)
{
  if (disk == NULL)
    return;

  g_free (disk->target);
  g_free (disk->path);
  g_free (disk->format);
  g_free (disk->bus);
  g_free (disk->device);
  g_free (disk);
}

G_DEFINE_BOXED_TYPE (GbConfigDisk, gb_config_disk, gb_config_disk_copy, gb_config_disk_free)

GbConfigNic *
gb_config_nic_copy (const GbConfigNic *nic)
{
  GbConfigNic *copy = g_new0 (GbConfigNic, 1);

  copy->mac = g_strdup (nic->mac);
  copy->type = g_strdup (nic->type);
  copy->source = g_strdup (nic->source);
  copy->model = g_strdup (nic->model);

  return copy;
}

void
gb_config_nic_free (GbConfigNic *nic)
{
  if (nic == NULL)
    return;

  g_free (nic->mac);
  g_free (nic->type);
  g_free (nic->source);
  g_free (nic->model);
  g_free (nic);
}

G_DEFINE_BOXED_TYPE (GbConfigNic, gb_config_nic, gb_config_nic_copy, gb_config_nic_free)

GbConfigGraphics *
gb_config_graphics_copy (const GbConfigGraphics *graphics)
{
  GbConfigGraphics *copy = g_new0 (GbConfigGraphics, 1);

  copy->type = g_strdup (graphics->type);
  copy->listen = g_strdup (graphics->listen);
  copy->port = graphics->port;
  copy->socket = g_strdup (graphics->socket);

  return copy;
}

void
gb_config_graphics_free (GbConfigGraphics *graphics)
{
  if (graphics == NULL)
    return;

  g_free (graphics->type);
  g_free (graphics->listen);
  g_free (graphics->socket);
  g_free (graphics);
}

G_DEFINE_BOXED_TYPE (GbConfigGraphics, gb_config_graphics, gb_config_graphics_copy, gb_config_graphics_free)

GbConfigConsole *
gb_config_console_copy (const GbConfigConsole *console)
{
  GbConfigConsole *copy = g_new0 (GbConfigConsole, 1);

  copy->device = g_strdup (console->device);
  copy->type = g_strdup (console->type);
  copy->port = console->port;

  return copy;
}

void
gb_config_console_free (GbConfigConsole *console)
{
  if (console == NULL)
    return;

  g_free (console->device);
  g_free (console->type);
  g_free (console);
}

G_DEFINE_BOXED_TYPE (GbConfigConsole, gb_config_console, gb_config_console_copy, gb_config_console_free)

/* GbMachineConfig */

static void
gb_machine_config_finalize (GObject *object)
{
  GbMachineConfig *self = GB_MACHINE_CONFIG (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->uuid, g_free);
  g_clear_pointer (&self->os_id, g_free);
  g_clear_pointer (&self->os_name, g_free);
  g_clear_pointer (&self->firmware, g_free);
  g_clear_pointer (&self->disks, g_ptr_array_unref);
  g_clear_pointer (&self->nics, g_ptr_array_unref);
  g_clear_pointer (&self->graphics, g_ptr_array_unref);
  g_clear_pointer (&self->consoles, g_ptr_array_unref);

  G_OBJECT_CLASS (gb_machine_config_parent_class)->finalize (object);
}

static void
gb_machine_config_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  GbMachineConfig *self = GB_MACHINE_CONFIG (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_UUID:
      g_value_set_string (value, self->uuid);
      break;
    case PROP_N_VCPUS:
      g_value_set_uint (value, self->n_vcpus);
      break;
    case PROP_MEMORY:
      g_value_set_uint64 (value, self->memory);
      break;
    case PROP_OS_ID:
      g_value_set_string (value, self->os_id);
      break;
    case PROP_OS_NAME:
      g_value_set_string (value, self->os_name);
      break;
    case PROP_FIRMWARE:
      g_value_set_string (value, self->firmware);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_machine_config_class_init (GbMachineConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gb_machine_config_finalize;
  object_class->get_property = gb_machine_config_get_property;

  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_UUID] =
    g_param_spec_string ("uuid", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_VCPUS] =
    g_param_spec_uint ("n-vcpus", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MEMORY] =
    g_param_spec_uint64 ("memory", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OS_ID] =
    g_param_spec_string ("os-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OS_NAME] =
    g_param_spec_string ("os-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIRMWARE] =
    g_param_spec_string ("firmware", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_machine_config_init (GbMachineConfig *self)
{
  self->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_config_disk_free);
  self->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_config_nic_free);
  self->graphics = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_config_graphics_free);
  self->consoles = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_config_console_free);
}

/* Devices are read with XPath, not with gvir_config_domain_get_devices():
 * libvirt-gconfig 4.0 stops with a critical on <disk type='volume'> (its
 * disk type enum has no "volume"), and it has no getter for a disk's
 * <readonly/>, an interface's source or a display's listen address. */
static char *
xpath_string (xmlXPathContext *ctx,
              const char      *expr)
{
  xmlXPathObject *obj;
  char *ret = NULL;

  if (ctx == NULL)
    return NULL;

  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);
  if (obj != NULL && obj->type == XPATH_STRING && obj->stringval && obj->stringval[0])
    ret = g_strdup ((const char *) obj->stringval);
  else if (obj != NULL && obj->type == XPATH_BOOLEAN && obj->boolval)
    ret = g_strdup ("1");
  xmlXPathFreeObject (obj);

  return ret;
}

static gboolean
xpath_bool (xmlXPathContext *ctx,
            const char      *expr)
{
  g_autofree char *s = xpath_string (ctx, expr);

  return s != NULL;
}

static int
xpath_int (xmlXPathContext *ctx,
           const char      *expr,
           int              fallback)
{
  g_autofree char *s = xpath_string (ctx, expr);
  gint64 v;

  if (s == NULL || !g_ascii_string_to_signed (s, 10, G_MININT, G_MAXINT, &v, NULL))
    return fallback;

  return (int) v;
}

static GbConfigDisk *
parse_disk (xmlXPathContext *ctx)
{
  GbConfigDisk *ret = g_new0 (GbConfigDisk, 1);

  ret->target = xpath_string (ctx, "string(target/@dev)");
  ret->path = xpath_string (ctx, "string(source/@file | source/@dev | source/@dir | source/@name)");
  if (ret->path == NULL)
    {
      /* <disk type='volume'><source pool='…' volume='…'/> */
      g_autofree char *pool = xpath_string (ctx, "string(source/@pool)");
      g_autofree char *volume = xpath_string (ctx, "string(source/@volume)");

      if (pool && volume)
        ret->path = g_strdup_printf ("%s/%s", pool, volume);
    }
  ret->format = xpath_string (ctx, "string(driver/@type)");
  ret->bus = xpath_string (ctx, "string(target/@bus)");
  ret->device = xpath_string (ctx, "string(@device)");
  if (ret->device == NULL)
    ret->device = g_strdup ("disk");
  ret->read_only = xpath_bool (ctx, "boolean(readonly)");

  return ret;
}

static GbConfigNic *
parse_interface (xmlXPathContext *ctx)
{
  GbConfigNic *ret = g_new0 (GbConfigNic, 1);

  ret->mac = xpath_string (ctx, "string(mac/@address)");
  ret->type = xpath_string (ctx, "string(@type)");
  ret->source = xpath_string (ctx, "string(source/@network | source/@bridge | source/@dev)");
  /* <interface type='user'><backend type='passt'/>: libvirt's passt. */
  if (g_strcmp0 (ret->type, "user") == 0 && ret->source == NULL)
    ret->source = xpath_string (ctx, "string(backend/@type)");
  ret->model = xpath_string (ctx, "string(model/@type)");

  return ret;
}

static GbConfigGraphics *
parse_graphics (xmlXPathContext *ctx)
{
  GbConfigGraphics *ret = g_new0 (GbConfigGraphics, 1);

  ret->type = xpath_string (ctx, "string(@type)");
  ret->listen = xpath_string (ctx, "string(@listen | listen[@type='address']/@address)");
  ret->socket = xpath_string (ctx, "string(@socket | listen[@type='socket']/@socket)");
  /* libvirt writes port='-1' for an automatic port of a stopped domain. */
  ret->port = xpath_int (ctx, "string(@port)", 0);

  return ret;
}

/* <serial> and <console> both name text consoles; the first <console> of a
 * machine with a serial port is that port again, under the same alias.
 * Only a running machine's XML has aliases, and only those can be opened
 * by name (virDomainOpenConsole), so a console without one is left out. */
static void
parse_consoles (xmlDoc    *doc,
                GPtrArray *into)
{
  xmlXPathContext *ctx = xmlXPathNewContext (doc);
  xmlXPathObject *nodes = xmlXPathEvalExpression ((const xmlChar *) "/domain/devices/serial | /domain/devices/console", ctx);

  for (int i = 0; nodes != NULL && nodes->nodesetval != NULL && i < nodes->nodesetval->nodeNr; i++)
    {
      g_autoptr(GbConfigConsole) console = g_new0 (GbConfigConsole, 1);
      g_autofree char *target = NULL;
      gboolean seen = FALSE;

      ctx->node = nodes->nodesetval->nodeTab[i];
      console->device = xpath_string (ctx, "string(alias/@name)");
      if (console->device == NULL)
        continue;
      for (guint j = 0; j < into->len && !seen; j++)
        seen = g_strcmp0 (((GbConfigConsole *) g_ptr_array_index (into, j))->device, console->device) == 0;
      if (seen)
        continue;

      target = xpath_string (ctx, "string(target/@type)");
      console->type = g_strdup (g_strcmp0 (target, "virtio") == 0 ? "virtio" : "serial");
      console->port = xpath_int (ctx, "string(target/@port)", 0);
      g_ptr_array_add (into, g_steal_pointer (&console));
    }

  xmlXPathFreeObject (nodes);
  xmlXPathFreeContext (ctx);
}

typedef gpointer (*ParseFunc) (xmlXPathContext *ctx);

static void
parse_devices (xmlDoc     *doc,
               const char *expr,
               ParseFunc   parse,
               GPtrArray  *into)
{
  xmlXPathContext *ctx = xmlXPathNewContext (doc);
  xmlXPathObject *nodes = xmlXPathEvalExpression ((const xmlChar *) expr, ctx);

  if (nodes != NULL && nodes->nodesetval != NULL)
    {
      for (int i = 0; i < nodes->nodesetval->nodeNr; i++)
        {
          ctx->node = nodes->nodesetval->nodeTab[i];
          g_ptr_array_add (into, parse (ctx));
        }
    }

  xmlXPathFreeObject (nodes);
  xmlXPathFreeContext (ctx);
}

/* <libosinfo:libosinfo xmlns:libosinfo="…"><libosinfo:os id="…"/></libosinfo:libosinfo> */
static char *
parse_os_id (GVirConfigDomain *domain)
{
  g_autofree char *custom = gvir_config_domain_get_custom_xml (domain, LIBOSINFO_NS);
  xmlXPathContext *ctx;
  xmlDoc *doc;
  char *ret;

  if (custom == NULL)
    return NULL;

  doc = xmlReadMemory (custom, strlen (custom), NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL)
    return NULL;
  ctx = xmlXPathNewContext (doc);
  ret = xpath_string (ctx, "string(/*[local-name()='libosinfo']/*[local-name()='os']/@id)");
  xmlXPathFreeContext (ctx);
  xmlFreeDoc (doc);

  return ret;
}

/**
 * gb_machine_config_new_from_xml:
 * @domain_xml: a libvirt domain definition
 *
 * Returns: (transfer full): the description, or %NULL with @error set
 */
GbMachineConfig *
gb_machine_config_new_from_xml (const char  *domain_xml,
                                GError     **error)
{
  g_autoptr(GVirConfigDomain) domain = NULL;
  g_autoptr(GbMachineConfig) self = NULL;
  g_autoptr(GVirConfigDomainOs) os = NULL;
  xmlDoc *doc;

  g_return_val_if_fail (domain_xml != NULL, NULL);

  domain = gvir_config_domain_new_from_xml (domain_xml, error);
  if (domain == NULL)
    return NULL;

  self = g_object_new (GB_TYPE_MACHINE_CONFIG, NULL);
  self->name = g_strdup (gvir_config_domain_get_name (domain));
  self->uuid = g_strdup (gvir_config_domain_get_uuid (domain));
  self->n_vcpus = gvir_config_domain_get_vcpus (domain);
  self->memory = gvir_config_domain_get_memory (domain) * 1024; /* KiB */
  self->os_id = parse_os_id (domain);

  os = gvir_config_domain_get_os (domain);
  self->firmware = g_strdup ("bios");
  if (os != NULL && gvir_config_domain_os_get_firmware (os) == GVIR_CONFIG_DOMAIN_OS_FIRMWARE_EFI)
    {
      g_free (self->firmware);
      self->firmware = g_strdup ("efi");
    }

  doc = xmlReadMemory (domain_xml, strlen (domain_xml), NULL, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc != NULL)
    {
      xmlXPathContext *ctx = xmlXPathNewContext (doc);

      /* Without firmware='efi', a pflash loader is what makes a machine UEFI. */
      if (xpath_bool (ctx, "boolean(/domain/os/loader[@type='pflash'])"))
        {
          g_free (self->firmware);
          self->firmware = g_strdup ("efi");
        }
      xmlXPathFreeContext (ctx);

      parse_devices (doc, "/domain/devices/disk", (ParseFunc) parse_disk, self->disks);
      parse_devices (doc, "/domain/devices/interface", (ParseFunc) parse_interface, self->nics);
      parse_devices (doc, "/domain/devices/graphics", (ParseFunc) parse_graphics, self->graphics);
      parse_consoles (doc, self->consoles);
      xmlFreeDoc (doc);
    }

  return g_steal_pointer (&self);
}


/* A string member, or NULL when it is missing or not a string (a
 * hand-edited file may hold anything; no criticals for that). */
static const char *
vmm_string (JsonObject *object,
             const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
vmm_int (JsonObject *object,
         const char *key,
         gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, key);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

/* One entry of "disks": an object, or a string in the --disk form
 * "path=FILE[,format=…][,readonly=on][,serial=ID]" (docs/vmm.md). */
static GbConfigDisk *
parse_vmm_disk (JsonNode   *node,
                guint       index,
                const char *base_dir)
{
  g_autoptr(GbConfigDisk) disk = g_new0 (GbConfigDisk, 1);
  g_autofree char *path = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);

      path = g_strdup (vmm_string (o, "path"));
      disk->format = g_strdup (vmm_string (o, "format"));
      JsonNode *ro = json_object_get_member (o, "readonly");

      disk->read_only = ro != NULL && JSON_NODE_HOLDS_VALUE (ro) &&
                        json_node_get_value_type (ro) == G_TYPE_BOOLEAN && json_node_get_boolean (ro);
    }
  else if (json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_auto(GStrv) parts = g_strsplit (json_node_get_string (node), ",", -1);

      for (guint i = 0; parts[i]; i++)
        {
          if (g_str_has_prefix (parts[i], "path="))
            {
              g_free (path);
              path = g_strdup (parts[i] + 5);
            }
          else if (g_str_has_prefix (parts[i], "format="))
            {
              g_free (disk->format);
              disk->format = g_strdup (parts[i] + 7);
            }
          else if (g_str_equal (parts[i], "readonly=on"))
            disk->read_only = TRUE;
        }
    }

  if (path == NULL)
    return NULL;

  /* glassbox-vmm runs in the machines folder: relative paths are from there. */
  if (base_dir != NULL && !g_path_is_absolute (path))
    disk->path = g_build_filename (base_dir, path, NULL);
  else
    disk->path = g_steal_pointer (&path);
  disk->target = g_strdup_printf ("vd%c", 'a' + (int) MIN (index, 25));
  disk->bus = g_strdup ("virtio");
  disk->device = g_strdup ("disk");

  return g_steal_pointer (&disk);
}

/* One entry of "net" (docs/vmm.md): an object, or the --net string
 * "user[,…]", "bridge=BR[,…]", "tap=IF[,…]".  Described in libvirt's words
 * (<interface type='user'|'bridge'|'ethernet'>) so the details page says
 * the same of both kinds of machine. */
static GbConfigNic *
parse_vmm_nic (JsonNode *node)
{
  g_autoptr(GbConfigNic) nic = g_new0 (GbConfigNic, 1);

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      JsonNode *user = json_object_get_member (o, "user");
      JsonNode *passt = json_object_get_member (o, "passt");

      if (vmm_string (o, "bridge") != NULL)
        {
          nic->type = g_strdup ("bridge");
          nic->source = g_strdup (vmm_string (o, "bridge"));
        }
      else if (vmm_string (o, "tap") != NULL)
        {
          nic->type = g_strdup ("ethernet");
          nic->source = g_strdup (vmm_string (o, "tap"));
        }
      else if (user != NULL && JSON_NODE_HOLDS_VALUE (user) &&
               json_node_get_value_type (user) == G_TYPE_BOOLEAN && json_node_get_boolean (user))
        nic->type = g_strdup ("user");
      else if (passt != NULL && JSON_NODE_HOLDS_VALUE (passt) &&
               json_node_get_value_type (passt) == G_TYPE_BOOLEAN && json_node_get_boolean (passt))
        {
          /* In libvirt's words: a user-mode NIC with the passt backend. */
          nic->type = g_strdup ("user");
          nic->source = g_strdup ("passt");
        }
      nic->mac = g_strdup (vmm_string (o, "mac"));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_auto(GStrv) parts = g_strsplit (json_node_get_string (node), ",", -1);

      for (guint i = 0; parts[i]; i++)
        {
          if (i == 0 && g_str_equal (parts[i], "user"))
            nic->type = g_strdup ("user");
          else if (i == 0 && g_str_equal (parts[i], "passt"))
            {
              nic->type = g_strdup ("user");
              nic->source = g_strdup ("passt");
            }
          else if (i == 0 && g_str_has_prefix (parts[i], "bridge="))
            {
              nic->type = g_strdup ("bridge");
              nic->source = g_strdup (parts[i] + strlen ("bridge="));
            }
          else if (i == 0 && g_str_has_prefix (parts[i], "tap="))
            {
              nic->type = g_strdup ("ethernet");
              nic->source = g_strdup (parts[i] + strlen ("tap="));
            }
          else if (g_str_has_prefix (parts[i], "mac="))
            {
              g_free (nic->mac);
              nic->mac = g_strdup (parts[i] + strlen ("mac="));
            }
        }
    }

  if (nic->type == NULL)
    return NULL;
  nic->model = g_strdup ("virtio");
  return g_steal_pointer (&nic);
}

/**
 * gb_machine_config_new_from_vmm_json:
 * @object: a glassbox-vmm `--config` object plus "name", "uuid", "os-id"
 *   (docs/vmm.md)
 * @base_dir: (nullable): the folder relative disk paths are relative to
 *
 * Values glassbox-vmm would reject are not checked here: it says so itself
 * when the machine starts.
 *
 * Returns: (transfer full): the description; "firmware" is "kernel" (the
 *   VMM boots a kernel directly)
 */
GbMachineConfig *
gb_machine_config_new_from_vmm_json (JsonObject *object,
                                     const char *base_dir)
{
  GbMachineConfig *self;
  JsonNode *disks;
  JsonNode *nets;

  g_return_val_if_fail (object != NULL, NULL);

  self = g_object_new (GB_TYPE_MACHINE_CONFIG, NULL);
  self->name = g_strdup (vmm_string (object, "name"));
  self->uuid = g_strdup (vmm_string (object, "uuid"));
  self->os_id = g_strdup (vmm_string (object, "os-id"));
  self->firmware = g_strdup ("kernel");
  /* The VMM's defaults when a key is left out (hypervisor/vmm/options.c). */
  self->n_vcpus = (guint) CLAMP (vmm_int (object, "cpus", 1), 0, G_MAXUINT);
  self->memory = (guint64) CLAMP (vmm_int (object, "memory", 256), 0, G_MAXUINT32) << 20;

  disks = json_object_get_member (object, "disks");
  if (disks != NULL && JSON_NODE_HOLDS_ARRAY (disks))
    {
      JsonArray *array = json_node_get_array (disks);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          GbConfigDisk *disk = parse_vmm_disk (json_array_get_element (array, i), i, base_dir);

          if (disk != NULL)
            g_ptr_array_add (self->disks, disk);
        }
    }

  nets = json_object_get_member (object, "net");
  if (nets != NULL && JSON_NODE_HOLDS_ARRAY (nets))
    {
      JsonArray *array = json_node_get_array (nets);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          GbConfigNic *nic = parse_vmm_nic (json_array_get_element (array, i));

          if (nic != NULL)
            g_ptr_array_add (self->nics, nic);
        }
    }

  /* "display": "vnc[,width=W,height=H]" gives the machine a screen, served
   * on a UNIX socket beside its control socket. */
  if (g_str_has_prefix (vmm_string (object, "display") ?: "", "vnc"))
    {
      GbConfigGraphics *graphics = g_new0 (GbConfigGraphics, 1);

      graphics->type = g_strdup ("vnc");
      graphics->port = 0;
      g_ptr_array_add (self->graphics, graphics);
    }

  return self;
}

const char *
gb_machine_config_get_name (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->name;
}

const char *
gb_machine_config_get_uuid (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->uuid;
}

guint
gb_machine_config_get_n_vcpus (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), 0);

  return self->n_vcpus;
}

/**
 * gb_machine_config_get_memory:
 *
 * Returns: the maximum memory, in bytes
 */
guint64
gb_machine_config_get_memory (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), 0);

  return self->memory;
}

const char *
gb_machine_config_get_os_id (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->os_id;
}

/**
 * gb_machine_config_get_os_name:
 *
 * Returns: (nullable): the OS's human name once libosinfo has resolved it
 */
const char *
gb_machine_config_get_os_name (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->os_name;
}

const char *
gb_machine_config_get_firmware (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->firmware;
}

/**
 * gb_machine_config_get_disks:
 *
 * Returns: (transfer none) (element-type GbConfigDisk): the disks and drives
 */
GPtrArray *
gb_machine_config_get_disks (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->disks;
}

/**
 * gb_machine_config_get_nics:
 *
 * Returns: (transfer none) (element-type GbConfigNic): the network interfaces
 */
GPtrArray *
gb_machine_config_get_nics (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->nics;
}

/**
 * gb_machine_config_get_graphics:
 *
 * Returns: (transfer none) (element-type GbConfigGraphics): the graphical consoles
 */
GPtrArray *
gb_machine_config_get_graphics (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->graphics;
}

/**
 * gb_machine_config_get_consoles:
 *
 * Returns: (transfer none) (element-type GbConfigConsole): the text consoles
 *   that can be opened by name (a running libvirt machine's), in order
 */
GPtrArray *
gb_machine_config_get_consoles (GbMachineConfig *self)
{
  g_return_val_if_fail (GB_IS_MACHINE_CONFIG (self), NULL);

  return self->consoles;
}

void
_gb_machine_config_set_os_name (GbMachineConfig *self,
                                const char      *os_name)
{
  if (g_strcmp0 (self->os_name, os_name) == 0)
    return;

  g_free (self->os_name);
  self->os_name = g_strdup (os_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OS_NAME]);
}
