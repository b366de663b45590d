/* Fixture (test-layers.c): host/ may know libvirt's errors, not connect. */
#include "config.h"

#include <libvirt/virterror.h>   /* allowed: error types in host/ */
#include <libvirt/libvirt.h>     /* libvirt: no connections in host/ */
#include "lab-storage.h"         /* allowed: below host/ */

int
lab_host_check_libvirt (const char *uri)
{
  void *conn;

  conn = virConnectOpenReadOnly (uri);   /* libvirt: no connections in host/ */
  return conn != NULL;
}
