/* gb-display-keyboard.c: GbDisplay's keyboard: keys to the guest, and the grab
 *
 * Keys go to the guest as scan codes computed from the hardware keycode
 * (gb-keymap.c), never from keysyms alone, so the guest's own layout
 * applies.  Every key pressed is remembered until released, so that keys
 * held when focus goes elsewhere can be let go in the guest too.
 *
 * The grab: while the display has the focus and the pointer is over it,
 * system shortcuts (Alt+Tab, Super) go to the guest
 * (gdk_toplevel_inhibit_system_shortcuts).  The release combination
 * (Ctrl+Alt by default) gives them back until the pointer leaves or clicks
 * again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "gb-display.h"
#include "gb-display-keyboard.h"
#include "gb-keymap.h"

struct _GbDisplayKeyboard
{
  GObject          parent_instance;

  GtkWidget       *display;     /* owns us */
  GbDisplaySource *source;

  guint8           keys_down[GB_KEYMAP_EVDEV_OFFSET + 256];
  char            *release_accel;
  guint            release_keyval;
  GdkModifierType  release_mods;
  gboolean         pointer_inside;
  gboolean         grabbed;
  gboolean         released_by_user;
};

G_DEFINE_FINAL_TYPE (GbDisplayKeyboard, gb_display_keyboard, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_GRABBED,
  PROP_RELEASE_ACCEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_connected (GbDisplayKeyboard *self)
{
  return self->source != NULL &&
         gb_display_get_state (GB_DISPLAY (self->display)) == GB_DISPLAY_STATE_CONNECTED;
}

/* Grab */

static void
gb_display_keyboard_set_grabbed (GbDisplayKeyboard *self,
                                 gboolean           grabbed)
{
  GtkNative *native = gtk_widget_get_native (self->display);
  GdkSurface *surface = native ? gtk_native_get_surface (native) : NULL;

  grabbed = !!grabbed;
  if (grabbed == self->grabbed)
    return;
  if (grabbed && !GDK_IS_TOPLEVEL (surface))
    return;

  self->grabbed = grabbed;
  if (grabbed)
    /* Alt+Tab, Super and friends go to the guest while the pointer is in. */
    gdk_toplevel_inhibit_system_shortcuts (GDK_TOPLEVEL (surface), NULL);
  else if (GDK_IS_TOPLEVEL (surface))
    gdk_toplevel_restore_system_shortcuts (GDK_TOPLEVEL (surface));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GRABBED]);
}

gboolean
gb_display_keyboard_get_grabbed (GbDisplayKeyboard *self)
{
  return self->grabbed;
}

/* Gives the shortcuts back (the display lost its connection or its
 * window). */
void
gb_display_keyboard_ungrab (GbDisplayKeyboard *self)
{
  gb_display_keyboard_set_grabbed (self, FALSE);
}

void
gb_display_keyboard_maybe_grab (GbDisplayKeyboard *self)
{
  if (self->pointer_inside && !self->released_by_user &&
      gb_display_get_state (GB_DISPLAY (self->display)) == GB_DISPLAY_STATE_CONNECTED &&
      gtk_widget_has_focus (self->display))
    gb_display_keyboard_set_grabbed (self, TRUE);
}

/* The user asked: no grab again until the pointer leaves or clicks. */
void
gb_display_keyboard_release_grab (GbDisplayKeyboard *self)
{
  if (self->grabbed)
    self->released_by_user = TRUE;
  gb_display_keyboard_set_grabbed (self, FALSE);
}

void
gb_display_keyboard_pointer_entered (GbDisplayKeyboard *self)
{
  self->pointer_inside = TRUE;
  gb_display_keyboard_maybe_grab (self);
}

void
gb_display_keyboard_pointer_left (GbDisplayKeyboard *self)
{
  self->pointer_inside = FALSE;
  self->released_by_user = FALSE;
  gb_display_keyboard_set_grabbed (self, FALSE);
}

void
gb_display_keyboard_pointer_pressed (GbDisplayKeyboard *self)
{
  self->released_by_user = FALSE;
  gb_display_keyboard_maybe_grab (self);
}

static GdkModifierType
modifier_of_keyval (guint keyval)
{
  switch (keyval)
    {
    case GDK_KEY_Control_L: case GDK_KEY_Control_R:
      return GDK_CONTROL_MASK;
    case GDK_KEY_Alt_L: case GDK_KEY_Alt_R: case GDK_KEY_Meta_L: case GDK_KEY_Meta_R:
      return GDK_ALT_MASK;
    case GDK_KEY_Shift_L: case GDK_KEY_Shift_R:
      return GDK_SHIFT_MASK;
    case GDK_KEY_Super_L: case GDK_KEY_Super_R:
      return GDK_SUPER_MASK;
    default:
      return 0;
    }
}

/* TRUE when this key press completes the release combination. */
static gboolean
is_release_combination (GbDisplayKeyboard *self,
                        guint              keyval,
                        GdkModifierType    state)
{
  GdkModifierType mask = GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK | GDK_SUPER_MASK;
  GdkModifierType mods = state & mask;

  if (self->release_mods == 0 && self->release_keyval == 0)
    return FALSE;

  if (self->release_keyval == 0)
    return modifier_of_keyval (keyval) != 0 &&
           (mods | modifier_of_keyval (keyval)) == self->release_mods;

  return gdk_keyval_to_lower (keyval) == gdk_keyval_to_lower (self->release_keyval) &&
         mods == self->release_mods;
}

/* Keys */

void
gb_display_keyboard_release_keys (GbDisplayKeyboard *self)
{
  for (guint evdev = 0; evdev < G_N_ELEMENTS (self->keys_down); evdev++)
    {
      if (!self->keys_down[evdev])
        continue;
      self->keys_down[evdev] = FALSE;
      if (self->source != NULL)
        gb_display_source_key (self->source, evdev, 0, FALSE);
    }
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GbDisplayKeyboard     *self)
{
  guint evdev;

  if (!is_connected (self))
    return FALSE;

  if (is_release_combination (self, keyval, state))
    {
      gb_display_keyboard_release_grab (self);
      if (self->release_keyval != 0)
        return TRUE;
    }

  if (keycode < GB_KEYMAP_EVDEV_OFFSET)
    return FALSE;
  evdev = keycode - GB_KEYMAP_EVDEV_OFFSET;
  if (evdev >= G_N_ELEMENTS (self->keys_down))
    return FALSE;

  self->keys_down[evdev] = TRUE;
  gb_display_source_key (self->source, evdev, keyval, TRUE);
  return TRUE;
}

static void
on_key_released (GtkEventControllerKey *controller,
                 guint                  keyval,
                 guint                  keycode,
                 GdkModifierType        state,
                 GbDisplayKeyboard     *self)
{
  guint evdev;

  if (self->source == NULL || keycode < GB_KEYMAP_EVDEV_OFFSET)
    return;
  evdev = keycode - GB_KEYMAP_EVDEV_OFFSET;
  if (evdev >= G_N_ELEMENTS (self->keys_down) || !self->keys_down[evdev])
    return;

  self->keys_down[evdev] = FALSE;
  gb_display_source_key (self->source, evdev, keyval, FALSE);
}

static void
on_focus_enter (GtkEventControllerFocus *controller,
                GbDisplayKeyboard       *self)
{
  gb_display_keyboard_maybe_grab (self);
}

static void
on_focus_leave (GtkEventControllerFocus *controller,
                GbDisplayKeyboard       *self)
{
  /* Keys held when focus goes elsewhere would stay down in the guest. */
  gb_display_keyboard_release_keys (self);
  gb_display_keyboard_set_grabbed (self, FALSE);
}

/* Send keys */

static const struct {
  const char *name;
  guint       evdev;
  guint       keyval;
} named_keys[] = {
  { "ctrl", 29, GDK_KEY_Control_L },
  { "alt", 56, GDK_KEY_Alt_L },
  { "shift", 42, GDK_KEY_Shift_L },
  { "del", 111, GDK_KEY_Delete },
  { "backspace", 14, GDK_KEY_BackSpace },
  { "print", 99, GDK_KEY_Print },
  { "f1", 59, GDK_KEY_F1 }, { "f2", 60, GDK_KEY_F2 }, { "f3", 61, GDK_KEY_F3 },
  { "f4", 62, GDK_KEY_F4 }, { "f5", 63, GDK_KEY_F5 }, { "f6", 64, GDK_KEY_F6 },
  { "f7", 65, GDK_KEY_F7 }, { "f8", 66, GDK_KEY_F8 }, { "f9", 67, GDK_KEY_F9 },
  { "f10", 68, GDK_KEY_F10 }, { "f11", 87, GDK_KEY_F11 }, { "f12", 88, GDK_KEY_F12 },
};

/* See gb_display_send_keys(). */
gboolean
gb_display_keyboard_send_keys (GbDisplayKeyboard *self,
                               const char        *combo)
{
  g_auto(GStrv) names = NULL;
  guint count;
  guint index[8];

  names = g_strsplit (combo, "-", -1);
  count = g_strv_length (names);
  if (count == 0 || count > G_N_ELEMENTS (index))
    return FALSE;

  for (guint i = 0; i < count; i++)
    {
      guint k;

      for (k = 0; k < G_N_ELEMENTS (named_keys); k++)
        if (g_ascii_strcasecmp (names[i], named_keys[k].name) == 0)
          break;
      if (k == G_N_ELEMENTS (named_keys))
        return FALSE;
      index[i] = k;
    }

  if (!is_connected (self))
    return FALSE;

  for (guint i = 0; i < count; i++)
    gb_display_source_key (self->source, named_keys[index[i]].evdev, named_keys[index[i]].keyval, TRUE);
  for (guint i = count; i > 0; i--)
    gb_display_source_key (self->source, named_keys[index[i - 1]].evdev, named_keys[index[i - 1]].keyval, FALSE);

  return TRUE;
}

/* Release combination */

const char *
gb_display_keyboard_get_release_accel (GbDisplayKeyboard *self)
{
  return self->release_accel;
}

/* @accel: as gtk_accelerator_parse() reads it.  Returns FALSE (and keeps
 * the old one) if it is not a key combination. */
gboolean
gb_display_keyboard_set_release_accel (GbDisplayKeyboard *self,
                                       const char        *accel)
{
  guint keyval = 0;
  GdkModifierType mods = 0;

  if (g_strcmp0 (accel, self->release_accel) == 0)
    return TRUE;
  if (!gtk_accelerator_parse (accel, &keyval, &mods) || (keyval == 0 && mods == 0))
    return FALSE;

  g_free (self->release_accel);
  self->release_accel = g_strdup (accel);
  self->release_keyval = keyval;
  self->release_mods = mods;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RELEASE_ACCEL]);
  return TRUE;
}

/* The combination as the user reads it ("Ctrl+Alt"). */
char *
gb_display_keyboard_get_release_label (GbDisplayKeyboard *self)
{
  return gtk_accelerator_get_label (self->release_keyval, self->release_mods);
}

/* GObject */

void
gb_display_keyboard_set_source (GbDisplayKeyboard *self,
                                GbDisplaySource   *source)
{
  g_set_object (&self->source, source);
}

static void
gb_display_keyboard_finalize (GObject *object)
{
  GbDisplayKeyboard *self = GB_DISPLAY_KEYBOARD (object);

  g_clear_object (&self->source);
  g_clear_pointer (&self->release_accel, g_free);

  G_OBJECT_CLASS (gb_display_keyboard_parent_class)->finalize (object);
}

static void
gb_display_keyboard_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  GbDisplayKeyboard *self = GB_DISPLAY_KEYBOARD (object);

  switch (prop_id)
    {
    case PROP_GRABBED:
      g_value_set_boolean (value, self->grabbed);
      break;
    case PROP_RELEASE_ACCEL:
      g_value_set_string (value, self->release_accel);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gb_display_keyboard_class_init (GbDisplayKeyboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gb_display_keyboard_finalize;
  object_class->get_property = gb_display_keyboard_get_property;

  properties[PROP_GRABBED] =
    g_param_spec_boolean ("grabbed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RELEASE_ACCEL] =
    g_param_spec_string ("release-accel", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gb_display_keyboard_init (GbDisplayKeyboard *self)
{
}

/* Listens to @display's keys and focus; @display keeps the keyboard for as
 * long as it lives. */
GbDisplayKeyboard *
gb_display_keyboard_new (GtkWidget *display)
{
  GbDisplayKeyboard *self = g_object_new (GB_TYPE_DISPLAY_KEYBOARD, NULL);
  GtkEventController *controller;

  self->display = display;

  controller = gtk_event_controller_key_new ();
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (on_key_pressed), self, 0);
  g_signal_connect_object (controller, "key-released", G_CALLBACK (on_key_released), self, 0);
  gtk_widget_add_controller (display, controller);

  controller = gtk_event_controller_focus_new ();
  g_signal_connect_object (controller, "enter", G_CALLBACK (on_focus_enter), self, 0);
  g_signal_connect_object (controller, "leave", G_CALLBACK (on_focus_leave), self, 0);
  gtk_widget_add_controller (display, controller);

  return self;
}
