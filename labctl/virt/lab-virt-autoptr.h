/* lab-virt-autoptr.h: g_autoptr() for libvirt's objects.
 *
 * libvirt defines no GLib cleanup functions; these are labctl's, in one
 * place (lab-virt.h includes them), for every libvirt type labctl holds:
 *   g_autoptr(virConnect) conn = virConnectOpen (uri);
 *   g_autoptr(virDomain) dom = virDomainLookupByName (conn, name);
 * libvirt's strings are malloc()ed: g_autofree frees them (GLib uses the
 * system allocator). Lists that libvirt returns as an array and a count:
 * lab_virt_take_list() in lab-virt.h.
 */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomain, virDomainFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virNetwork, virNetworkFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomainSnapshot, virDomainSnapshotFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomainInterface, virDomainInterfaceFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virStoragePool, virStoragePoolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virStorageVol, virStorageVolFree)
/* a copy of an error (virSaveLastError) */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (virError, virFreeError)

G_END_DECLS
