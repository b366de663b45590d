/* lab-virt-network.c: the lab network (see lab-virt.h): defined, started
 * and removed only when its <metadata> mark says it is this lab's; other
 * networks on the same subnet or bridge are refused. */
#include "config.h"

#include "lab-virt-private.h"

#include <libvirt/virterror.h>

#include "lab-error.h"
#include "lab-i18n.h"

static void
network_free (gpointer net)
{
  virNetworkFree (net);
}

static gboolean
network_owner_matches (virNetworkPtr net, const char *lab_name, char **out_owner)
{
  g_autofree char *xml = virNetworkGetXMLDesc (net, 0);
  g_autofree char *lab = NULL;
  gboolean found;

  found = lab_virt_xml_get_owner (xml, &lab, NULL, NULL);
  if (out_owner != NULL)
    *out_owner = g_strdup (lab);
  return found && g_strcmp0 (lab, lab_name) == 0;
}

char *
lab_virt_foreign_owner_text (const char *owner)
{
  return owner != NULL ? g_strdup_printf (_("labctl lab \"%s\""), owner)
                       : g_strdup (_("someone else (no labctl mark)"));
}

/* FALSE with LAB_ERROR_FOREIGN when net (not the lab's own) overlaps the
 * lab's subnet ours/spec->prefix or uses its bridge. */
static gboolean
check_no_clash (virNetworkPtr net, const LabVirtNetworkSpec *spec, guint32 ours, GError **error)
{
  const char *other = virNetworkGetName (net);
  g_autofree char *xml = NULL;
  g_autofree char *bridge = NULL;
  guint32 addr = 0;
  guint prefix = 0;
  gboolean clash_subnet = FALSE, clash_bridge = FALSE;

  if (g_strcmp0 (other, spec->name) == 0)
    return TRUE;
  xml = virNetworkGetXMLDesc (net, 0);
  if (lab_virt_xml_get_network_ipv4 (xml, &addr, &prefix, &bridge))
    {
      guint common = MIN (prefix, spec->prefix);
      guint32 mask = common == 0 ? 0 : 0xffffffffu << (32 - common);

      clash_subnet = (addr & mask) == (ours & mask);
    }
  clash_bridge = bridge != NULL && g_strcmp0 (bridge, spec->bridge) == 0;
  if (!clash_subnet && !clash_bridge)
    return TRUE;
  g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
               clash_subnet
               ? _("libvirt network \"%s\" (%u.%u.%u.%u/%u) overlaps the lab network %s/%u; "
                   "labctl leaves it alone: choose another [network] subnet in the recipe")
               : _("libvirt network \"%s\" (%u.%u.%u.%u/%u) already uses the bridge of the lab network; "
                   "choose another [network] bridge in the recipe"),
               other, addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff, addr & 0xff, prefix,
               spec->gateway, spec->prefix);
  return FALSE;
}

gboolean
lab_virt_network_check (LabVirt *self, const LabVirtNetworkSpec *spec, gboolean *out_exists, GError **error)
{
  g_autoptr(virNetwork) net = NULL;
  g_autoptr(GPtrArray) nets = NULL;
  virNetworkPtr *list = NULL;
  guint32 ours;
  int n;

  *out_exists = FALSE;
  if (!lab_virt_parse_ipv4 (spec->gateway, &ours))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_RECIPE, _("Invalid lab network address \"%s\""), spec->gateway);
      return FALSE;
    }

  net = virNetworkLookupByName (self->conn, spec->name);
  if (net != NULL)
    {
      g_autofree char *owner = NULL;

      if (!network_owner_matches (net, spec->lab_name, &owner))
        {
          g_autofree char *who = lab_virt_foreign_owner_text (owner);
          g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                       _("libvirt network \"%s\" already exists and belongs to %s; labctl leaves it alone: "
                         "set another [network] name in the recipe"), spec->name, who);
          return FALSE;
        }
      *out_exists = TRUE;
    }
  else if (!lab_virt_last_error_is (VIR_ERR_NO_NETWORK))
    {
      lab_virt_set_error (error, _("Cannot look up libvirt network \"%s\""), spec->name);
      return FALSE;
    }

  n = virConnectListAllNetworks (self->conn, &list, 0);
  if (n < 0)
    {
      lab_virt_set_error (error, _("Cannot list libvirt networks"));
      return FALSE;
    }
  nets = lab_virt_take_list (list, n, network_free);
  for (guint i = 0; i < nets->len; i++)
    if (!check_no_clash (g_ptr_array_index (nets, i), spec, ours, error))
      return FALSE;
  return TRUE;
}

gboolean
lab_virt_network_ensure (LabVirt *self, const LabVirtNetworkSpec *spec, gboolean *out_created, GError **error)
{
  g_autoptr(virNetwork) net = NULL;
  gboolean exists = FALSE;
  int active;

  if (out_created != NULL)
    *out_created = FALSE;
  if (!lab_virt_network_check (self, spec, &exists, error))
    return FALSE;
  if (exists)
    net = virNetworkLookupByName (self->conn, spec->name);
  else
    {
      g_autofree char *xml = lab_virt_network_xml (spec);
      net = virNetworkDefineXML (self->conn, xml);
      if (net != NULL && out_created != NULL)
        *out_created = TRUE;
    }
  if (net == NULL)
    {
      lab_virt_set_error (error, _("Cannot define libvirt network \"%s\""), spec->name);
      return FALSE;
    }
  active = virNetworkIsActive (net);
  if (active == 0 && virNetworkCreate (net) < 0)
    {
      lab_virt_set_error (error, _("Cannot start libvirt network \"%s\" (bridge %s)"), spec->name, spec->bridge);
      return FALSE;
    }
  if (virNetworkSetAutostart (net, 1) < 0)
    {
      lab_virt_set_error (error, _("Cannot mark libvirt network \"%s\" for autostart"), spec->name);
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_virt_network_remove (LabVirt *self, const char *name, const char *lab_name, GError **error)
{
  g_autoptr(virNetwork) net = virNetworkLookupByName (self->conn, name);
  g_autofree char *owner = NULL;

  if (net == NULL)
    {
      if (lab_virt_last_error_is (VIR_ERR_NO_NETWORK))
        return TRUE;
      lab_virt_set_error (error, _("Cannot look up libvirt network \"%s\""), name);
      return FALSE;
    }
  if (!network_owner_matches (net, lab_name, &owner))
    {
      g_autofree char *who = lab_virt_foreign_owner_text (owner);
      g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                   _("libvirt network \"%s\" belongs to %s, not to lab \"%s\"; labctl does not remove it"),
                   name, who, lab_name);
      return FALSE;
    }
  if (virNetworkIsActive (net) == 1 && virNetworkDestroy (net) < 0)
    {
      lab_virt_set_error (error, _("Cannot stop libvirt network \"%s\""), name);
      return FALSE;
    }
  if (virNetworkUndefine (net) < 0)
    {
      lab_virt_set_error (error, _("Cannot undefine libvirt network \"%s\""), name);
      return FALSE;
    }
  return TRUE;
}
