/* lab-cluster-private.h: what the cluster layer's files share and nothing
 * outside labctl/cluster/ includes. */
#pragma once

#include "lab-cluster.h"
#include "lab-xml-writer.h"

G_BEGIN_DECLS

/* ops->describe_prefix (node) followed by argv0 ... (shell-quoted). */
char     *lab_cluster_describe_cmd   (LabContext          *ctx,
                                      const LabClusterOps *ops,
                                      const char          *node,
                                      const char          *argv0,
                                      ...) G_GNUC_NULL_TERMINATED;
/* The same for an argv. */
char     *lab_cluster_describe_argv  (LabContext          *ctx,
                                      const LabClusterOps *ops,
                                      const char          *node,
                                      const char *const   *argv);
/* Runs a pacemaker tool (argv) on the first node that can run commands. */
gboolean  lab_cluster_tool           (LabContext          *ctx,
                                      const LabClusterOps *ops,
                                      const char *const   *argv,
                                      const char          *stdin_text,
                                      char               **out,
                                      GError             **error);
/* crm_resource --meta --set-parameter name --parameter-value value. */
gboolean  lab_cluster_set_meta       (LabContext          *ctx,
                                      const LabClusterOps *ops,
                                      const char          *rsc,
                                      const char          *name,
                                      const char          *value,
                                      GError             **error);
/* A <primitive> for cibadmin: params and meta as key, value, ..., NULL;
 * ops as name, interval, timeout, ..., NULL. */
char     *lab_cluster_primitive_xml  (const char        *id,
                                      const char        *klass,
                                      const char        *provider,
                                      const char        *type,
                                      const char *const *params,
                                      const char *const *meta,
                                      const char *const *ops);

/* The same <primitive>, written into w (an enclosing document). */
void      lab_cluster_write_primitive (LabXmlWriter      *w,
                                       const char        *id,
                                       const char        *klass,
                                       const char        *provider,
                                       const char        *type,
                                       const char *const *params,
                                       const char *const *meta,
                                       const char *const *ops);
/* cluster.guest's CIB change, one cibadmin argv: the guest's
 * VirtualDomain primitive and, with ops->guest_volume, its disk resource
 * and the constraints that keep the two together (one document, so the
 * scheduler never sees one without the other). */
char    **lab_cluster_guest_cib_argv (LabContext          *ctx,
                                      const LabClusterOps *ops,
                                      LabGuest            *guest);
/* cluster.configure's commands (argv each): properties, stickiness, the
 * fence device. */
GPtrArray *lab_cluster_configure_commands (LabContext          *ctx,
                                           const LabClusterOps *ops);

G_END_DECLS
