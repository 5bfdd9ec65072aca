#include "config.h"
#include "gb-libvirt-machine.h"
struct _GbLibvirtMachine { GbMachine parent_instance; };
G_DEFINE_FINAL_TYPE (GbLibvirtMachine, gb_libvirt_machine, GB_TYPE_MACHINE)
static void gb_libvirt_machine_class_init (GbLibvirtMachineClass *klass) { }
static void gb_libvirt_machine_init (GbLibvirtMachine *self) { }
GVirDomain *gb_libvirt_machine_get_domain (GbLibvirtMachine *self) { return NULL; }
