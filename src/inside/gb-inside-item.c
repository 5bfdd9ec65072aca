/* gb-inside-item.c — one row of the Inside view: a vCPU, a device or a virtqueue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-inside-item-private.h"

G_DEFINE_ENUM_TYPE (GbInsideItemKind, gb_inside_item_kind,
  G_DEFINE_ENUM_VALUE (GB_INSIDE_ITEM_VCPU, "vcpu"),
  G_DEFINE_ENUM_VALUE (GB_INSIDE_ITEM_DEVICE, "device"),
  G_DEFINE_ENUM_VALUE (GB_INSIDE_ITEM_QUEUE, "queue"))

struct _GbInsideItem
{
  GObject             parent_instance;

  GbInsideItemKind    kind;
  char               *name;
  char               *detail;
  GbInsideItemValues  v;
};

G_DEFINE_FINAL_TYPE (GbInsideItem, gb_inside_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_KIND,
  PROP_NAME,
  PROP_DETAIL,
  PROP_EXITS,
  PROP_EXITS_RATE,
  PROP_HALTED,
  PROP_IN_VMM,
  PROP_KICKS,
  PROP_INTERRUPTS,
  PROP_REQUESTS,
  PROP_KICKS_RATE,
  PROP_INTERRUPTS_RATE,
  PROP_REQUESTS_RATE,
  PROP_BYTES,
  PROP_BYTES_RATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

GbInsideItem *
_gb_inside_item_new (GbInsideItemKind  kind,
                     const char       *name)
{
  GbInsideItem *self = g_object_new (GB_TYPE_INSIDE_ITEM, NULL);

  self->kind = kind;
  self->name = g_strdup (name);
  return self;
}

#define UPDATE(field, prop) \
  if (self->v.field != values->field) \
    { \
      self->v.field = values->field; \
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop]); \
    }

void
_gb_inside_item_update (GbInsideItem             *self,
                        const GbInsideItemValues *values)
{
  g_return_if_fail (GB_IS_INSIDE_ITEM (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (self->detail, values->detail) != 0)
    {
      g_free (self->detail);
      self->detail = g_strdup (values->detail);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DETAIL]);
    }
  UPDATE (exits, PROP_EXITS);
  UPDATE (exits_rate, PROP_EXITS_RATE);
  UPDATE (halted, PROP_HALTED);
  UPDATE (in_vmm, PROP_IN_VMM);
  UPDATE (kicks, PROP_KICKS);
  UPDATE (interrupts, PROP_INTERRUPTS);
  UPDATE (requests, PROP_REQUESTS);
  UPDATE (kicks_rate, PROP_KICKS_RATE);
  UPDATE (interrupts_rate, PROP_INTERRUPTS_RATE);
  UPDATE (requests_rate, PROP_REQUESTS_RATE);
  self->v.has_bytes = values->has_bytes;
  UPDATE (bytes, PROP_BYTES);
  UPDATE (bytes_rate, PROP_BYTES_RATE);
  g_object_thaw_notify (G_OBJECT (self));
}

#undef UPDATE

GbInsideItemKind gb_inside_item_get_kind (GbInsideItem *self) { return self->kind; }
const char *gb_inside_item_get_name (GbInsideItem *self) { return self->name; }
const char *gb_inside_item_get_detail (GbInsideItem *self) { return self->detail; }
double gb_inside_item_get_exits_rate (GbInsideItem *self) { return self->v.exits_rate; }
guint64 gb_inside_item_get_exits (GbInsideItem *self) { return self->v.exits; }
double gb_inside_item_get_halted (GbInsideItem *self) { return self->v.halted; }
double gb_inside_item_get_in_vmm (GbInsideItem *self) { return self->v.in_vmm; }
double gb_inside_item_get_kicks_rate (GbInsideItem *self) { return self->v.kicks_rate; }
double gb_inside_item_get_interrupts_rate (GbInsideItem *self) { return self->v.interrupts_rate; }
double gb_inside_item_get_requests_rate (GbInsideItem *self) { return self->v.requests_rate; }
guint64 gb_inside_item_get_kicks (GbInsideItem *self) { return self->v.kicks; }
gboolean gb_inside_item_get_has_bytes (GbInsideItem *self) { return self->v.has_bytes; }
guint64 gb_inside_item_get_bytes (GbInsideItem *self) { return self->v.bytes; }
double gb_inside_item_get_bytes_rate (GbInsideItem *self) { return self->v.bytes_rate; }
guint64 gb_inside_item_get_interrupts (GbInsideItem *self) { return self->v.interrupts; }
guint64 gb_inside_item_get_requests (GbInsideItem *self) { return self->v.requests; }

static void
gb_inside_item_finalize (GObject *object)
{
  GbInsideItem *self = GB_INSIDE_ITEM (object);

  g_free (self->name);
  g_free (self->detail);

  G_OBJECT_CLASS (gb_inside_item_parent_class)->finalize (object);
}

static void
gb_inside_item_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  GbInsideItem *self = GB_INSIDE_ITEM (object);

  switch (prop_id)
    {
    case PROP_KIND: g_value_set_enum (value, self->kind); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_DETAIL: g_value_set_string (value, self->detail); break;
    case PROP_EXITS: g_value_set_uint64 (value, self->v.exits); break;
    case PROP_EXITS_RATE: g_value_set_double (value, self->v.exits_rate); break;
    case PROP_HALTED: g_value_set_double (value, self->v.halted); break;
    case PROP_IN_VMM: g_value_set_double (value, self->v.in_vmm); break;
    case PROP_KICKS: g_value_set_uint64 (value, self->v.kicks); break;
    case PROP_INTERRUPTS: g_value_set_uint64 (value, self->v.interrupts); break;
    case PROP_REQUESTS: g_value_set_uint64 (value, self->v.requests); break;
    case PROP_KICKS_RATE: g_value_set_double (value, self->v.kicks_rate); break;
    case PROP_INTERRUPTS_RATE: g_value_set_double (value, self->v.interrupts_rate); break;
    case PROP_REQUESTS_RATE: g_value_set_double (value, self->v.requests_rate); break;
    case PROP_BYTES: g_value_set_uint64 (value, self->v.bytes); break;
    case PROP_BYTES_RATE: g_value_set_double (value, self->v.bytes_rate); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_inside_item_class_init (GbInsideItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = gb_inside_item_finalize;
  object_class->get_property = gb_inside_item_get_property;

  properties[PROP_KIND] = g_param_spec_enum ("kind", NULL, NULL, GB_TYPE_INSIDE_ITEM_KIND, GB_INSIDE_ITEM_VCPU, ro);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_DETAIL] = g_param_spec_string ("detail", NULL, NULL, NULL, ro);
  properties[PROP_EXITS] = g_param_spec_uint64 ("exits", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_EXITS_RATE] = g_param_spec_double ("exits-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_HALTED] = g_param_spec_double ("halted", NULL, NULL, 0, 1, 0, ro);
  properties[PROP_IN_VMM] = g_param_spec_double ("in-vmm", NULL, NULL, 0, 1, 0, ro);
  properties[PROP_KICKS] = g_param_spec_uint64 ("kicks", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_INTERRUPTS] = g_param_spec_uint64 ("interrupts", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_REQUESTS] = g_param_spec_uint64 ("requests", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_KICKS_RATE] = g_param_spec_double ("kicks-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_INTERRUPTS_RATE] = g_param_spec_double ("interrupts-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_REQUESTS_RATE] = g_param_spec_double ("requests-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[PROP_BYTES] = g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BYTES_RATE] = g_param_spec_double ("bytes-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_inside_item_init (GbInsideItem *self)
{
}
