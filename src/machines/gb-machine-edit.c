/* gb-machine-edit.c — the Settings page's values, and the dispatchers to the
 * machine's edit_* vfuncs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "gb-machine-edit.h"

/* Values */

void
gb_edit_state_free (GbEditState *state)
{
  if (state == NULL)
    return;
  g_free (state->xml);
  g_clear_object (&state->config);
  g_free (state->title);
  g_free (state->description);
  g_strfreev (state->boot_order);
  g_free (state->firmware);
  g_free (state->cpu_mode);
  g_free (state->cpu_model);
  g_free (state->video_model);
  g_free (state->sound_model);
  g_clear_pointer (&state->shares, g_ptr_array_unref);
  g_clear_pointer (&state->usb, g_ptr_array_unref);
  g_clear_pointer (&state->disk_cache, g_hash_table_unref);
  g_free (state->kernel);
  g_free (state->initrd);
  g_free (state->cmdline);
  g_free (state);
}

void
gb_edit_disk_free (GbEditDisk *disk)
{
  if (disk == NULL)
    return;
  g_free (disk->path);
  g_free (disk->device);
  g_free (disk->bus);
  g_free (disk->format);
  g_free (disk->cache);
  g_free (disk->target);
  g_free (disk);
}

void
gb_edit_nic_free (GbEditNic *nic)
{
  if (nic == NULL)
    return;
  g_free (nic->type);
  g_free (nic->source);
  g_free (nic->model);
  g_free (nic->mac);
  g_free (nic);
}

void
gb_edit_share_free (GbEditShare *share)
{
  if (share == NULL)
    return;
  g_free (share->source);
  g_free (share->tag);
  g_free (share);
}

void
gb_edit_usb_free (GbEditUsb *usb)
{
  if (usb == NULL)
    return;
  g_free (usb->vendor);
  g_free (usb->product);
  g_free (usb->description);
  g_free (usb);
}

GbMachineEdit *
gb_machine_edit_new (void)
{
  GbMachineEdit *edit = g_new0 (GbMachineEdit, 1);

  edit->add_disks = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_disk_free);
  edit->remove_disks = g_ptr_array_new_with_free_func (g_free);
  edit->media = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_disk_free);
  edit->modify_disks = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_disk_free);
  edit->add_nics = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_nic_free);
  edit->remove_nics = g_ptr_array_new_with_free_func (g_free);
  edit->modify_nics = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_nic_free);
  edit->add_shares = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_share_free);
  edit->remove_shares = g_ptr_array_new_with_free_func (g_free);
  edit->add_usb = g_ptr_array_new_with_free_func ((GDestroyNotify) gb_edit_usb_free);
  edit->remove_usb = g_ptr_array_new_with_free_func (g_free);
  return edit;
}

void
gb_machine_edit_free (GbMachineEdit *edit)
{
  if (edit == NULL)
    return;
  g_free (edit->title);
  g_free (edit->description);
  g_free (edit->name);
  g_ptr_array_unref (edit->add_disks);
  g_ptr_array_unref (edit->remove_disks);
  g_ptr_array_unref (edit->media);
  g_ptr_array_unref (edit->modify_disks);
  g_ptr_array_unref (edit->add_nics);
  g_ptr_array_unref (edit->remove_nics);
  g_ptr_array_unref (edit->modify_nics);
  g_ptr_array_unref (edit->add_shares);
  g_ptr_array_unref (edit->remove_shares);
  g_ptr_array_unref (edit->add_usb);
  g_ptr_array_unref (edit->remove_usb);
  g_strfreev (edit->boot_order);
  g_free (edit->firmware);
  g_free (edit->cpu_mode);
  g_free (edit->cpu_model);
  g_free (edit->video_model);
  g_free (edit->sound_model);
  g_free (edit->kernel);
  g_free (edit->initrd);
  g_free (edit->cmdline);
  g_free (edit);
}

gboolean
gb_machine_edit_is_empty (const GbMachineEdit *edit)
{
  return edit->fields == 0 && edit->add_disks->len == 0 && edit->remove_disks->len == 0 &&
         edit->media->len == 0 && edit->add_nics->len == 0 && edit->remove_nics->len == 0 &&
         edit->modify_disks->len == 0 && edit->modify_nics->len == 0 &&
         edit->add_shares->len == 0 && edit->remove_shares->len == 0 &&
         edit->add_usb->len == 0 && edit->remove_usb->len == 0;
}

/* Dispatchers */

static void
not_supported (GbMachine           *machine,
               gpointer             source_tag,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_task_report_new_error (machine, callback, user_data, source_tag,
                           G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The settings of this machine cannot be changed here."));
}

GbEditCaps
gb_machine_edit_get_caps (GbMachine *machine)
{
  GbMachineClass *klass;

  g_return_val_if_fail (GB_IS_MACHINE (machine), 0);

  klass = GB_MACHINE_GET_CLASS (machine);
  return klass->edit_get_caps ? (GbEditCaps) klass->edit_get_caps (machine) : 0;
}

gboolean
gb_machine_edit_supported (GbMachine *machine)
{
  return (gb_machine_edit_get_caps (machine) & GB_EDIT_CAP_SUPPORTED) != 0;
}

GbEditState *
gb_machine_edit_load_now (GbMachine  *machine,
                          GError    **error)
{
  GbMachineClass *klass;

  g_return_val_if_fail (GB_IS_MACHINE (machine), NULL);

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_load == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The settings of this machine cannot be changed here."));
      return NULL;
    }
  return klass->edit_load (machine, error);
}

void
gb_machine_edit_load_async (GbMachine           *machine,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GbMachineClass *klass;

  g_return_if_fail (GB_IS_MACHINE (machine));

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_load_async != NULL)
    klass->edit_load_async (machine, cancellable, callback, user_data);
  else if (klass->edit_load != NULL)
    {
      g_autoptr(GTask) task = g_task_new (machine, cancellable, callback, user_data);
      GError *error = NULL;
      GbEditState *state;

      g_task_set_source_tag (task, gb_machine_edit_load_async);
      state = klass->edit_load (machine, &error);
      if (state != NULL)
        g_task_return_pointer (task, state, (GDestroyNotify) gb_edit_state_free);
      else
        g_task_return_error (task, error);
    }
  else
    not_supported (machine, gb_machine_edit_load_async, callback, user_data);
}

GbEditState *
gb_machine_edit_load_finish (GbMachine     *machine,
                             GAsyncResult  *result,
                             GError       **error)
{
  GbMachineClass *klass;

  g_return_val_if_fail (GB_IS_MACHINE (machine), NULL);

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_load_async != NULL && klass->edit_load_finish != NULL &&
      !g_async_result_is_tagged (result, gb_machine_edit_load_async))
    return klass->edit_load_finish (machine, result, error);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
gb_machine_edit_apply_async (GbMachine           *machine,
                             const GbMachineEdit *edit,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GbMachineClass *klass;

  g_return_if_fail (GB_IS_MACHINE (machine));
  g_return_if_fail (edit != NULL);

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_apply_async != NULL)
    klass->edit_apply_async (machine, edit, cancellable, callback, user_data);
  else
    not_supported (machine, gb_machine_edit_apply_async, callback, user_data);
}

GStrv
gb_machine_edit_apply_finish (GbMachine     *machine,
                              GAsyncResult  *result,
                              GError       **error)
{
  GbMachineClass *klass;

  g_return_val_if_fail (GB_IS_MACHINE (machine), NULL);

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_apply_finish != NULL && !g_async_result_is_tagged (result, gb_machine_edit_apply_async))
    return klass->edit_apply_finish (machine, result, error);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
gb_machine_edit_define_xml_async (GbMachine           *machine,
                                  const char          *xml,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GbMachineClass *klass;

  g_return_if_fail (GB_IS_MACHINE (machine));
  g_return_if_fail (xml != NULL);

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_define_xml_async != NULL)
    klass->edit_define_xml_async (machine, xml, cancellable, callback, user_data);
  else
    not_supported (machine, gb_machine_edit_define_xml_async, callback, user_data);
}

gboolean
gb_machine_edit_define_xml_finish (GbMachine     *machine,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  GbMachineClass *klass;

  g_return_val_if_fail (GB_IS_MACHINE (machine), FALSE);

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_define_xml_finish != NULL && !g_async_result_is_tagged (result, gb_machine_edit_define_xml_async))
    return klass->edit_define_xml_finish (machine, result, error);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
gb_machine_edit_list_usb_async (GbMachine           *machine,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GbMachineClass *klass;

  g_return_if_fail (GB_IS_MACHINE (machine));

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_list_usb_async != NULL)
    klass->edit_list_usb_async (machine, cancellable, callback, user_data);
  else
    not_supported (machine, gb_machine_edit_list_usb_async, callback, user_data);
}

GPtrArray *
gb_machine_edit_list_usb_finish (GbMachine     *machine,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  GbMachineClass *klass;

  g_return_val_if_fail (GB_IS_MACHINE (machine), NULL);

  klass = GB_MACHINE_GET_CLASS (machine);
  if (klass->edit_list_usb_finish != NULL && !g_async_result_is_tagged (result, gb_machine_edit_list_usb_async))
    return klass->edit_list_usb_finish (machine, result, error);
  return g_task_propagate_pointer (G_TASK (result), error);
}
