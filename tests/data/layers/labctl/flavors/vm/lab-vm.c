/* Fixture (test-layers.c): a flavor may connect to libvirt. */
#include "config.h"

#include <libvirt/libvirt.h>   /* allowed */
#include "lab-vm.h"            /* allowed: its own layer */
#include <osinfo/osinfo.h>     /* osinfo: only virt/ */

void *
lab_vm_connect (const char *uri)
{
  return virConnectOpen (uri);   /* allowed */
}
