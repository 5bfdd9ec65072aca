#include "config.h"
#include "gb-libvirt-provider.h"
struct _GbLibvirtProvider { GbProvider parent_instance; };
G_DEFINE_FINAL_TYPE (GbLibvirtProvider, gb_libvirt_provider, GB_TYPE_PROVIDER)
static void gb_libvirt_provider_class_init (GbLibvirtProviderClass *klass) { }
static void gb_libvirt_provider_init (GbLibvirtProvider *self) { }
GbProvider *gb_libvirt_provider_new (const char *uri) { return g_object_new (GB_TYPE_LIBVIRT_PROVIDER, "uri", uri, NULL); }
void gb_libvirt_provider_open_default_async (GCancellable *c, GAsyncReadyCallback cb, gpointer d)
{ g_task_report_new_error (NULL, cb, d, gb_libvirt_provider_open_default_async, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "not yet"); }
GbProvider *gb_libvirt_provider_open_default_finish (GAsyncResult *r, GError **e) { return g_task_propagate_pointer (G_TASK (r), e); }
