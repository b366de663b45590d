/* lab-proxmox-install.c: step nodes.install (install phase): every node
 * runs the automated installer (nodes.start booted them all, in parallel,
 * from the prepared ISO with their answer image); this step follows them
 * all at once until each is installed and its API answers:
 *
 *   installing  libvirt's lifecycle events wake the step when a node
 *               powers off (the answer's reboot-mode = "power-off"); while
 *               it runs, a line every 30 s with the bytes it wrote to its
 *               disk and the last line of its serial console log
 *   installed   the ISO and the answer image detached from the domain's
 *               definition, the node started from its disk
 *   answering   port 8006 completes a TLS handshake and answers HTTP: the
 *               certificate's SHA-256 is recorded (nodes.<n>.pve.fingerprint,
 *               with nodes.<n>.pve.api = https://<address>:8006, what the
 *               pve.* steps read); the node is shut down (ACPI)
 *   clean       the snapshot "clean" of the shut-off node (`labctl reset`
 *               goes back to it), the node started again; its API must
 *               answer with the same certificate
 *
 * The phase of each node is kept in the state (pve.install.<node>.phase),
 * so an interrupted `up` goes on where it stopped. A failure names the
 * node, what it was waiting for, the console log and its last lines.
 * The clean snapshot is taken after the first boot from disk, not right
 * after the installer: Proxmox VE makes the node's certificate on its
 * first boot, and a reset must not give the node a new one (the pin).
 *
 * Also lab_proxmox_reset(): the proxmox row's `labctl reset`. */
#include "config.h"

#include "lab-proxmox.h"
#include "lab-proxmox-private.h"

#include <errno.h>
#include <libvirt/libvirt.h>
#include <string.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-pve-client.h"
#include "lab-util.h"
#include "lab-virt.h"
#include "lab-xml-reader.h"
#include "lab-xml-writer.h"

#define PVE_API_PORT        8006
/* A real install under KVM takes 5-15 min; under TCG far longer. */
#define INSTALL_TIMEOUT_S   (60 * 60)
/* From the start of a boot to pveproxy answering. */
#define API_TIMEOUT_S       (15 * 60)
#define SHUTDOWN_TIMEOUT_MS (3 * 60 * 1000)
#define PROBE_TIMEOUT_S     5
#define RETRY_MS            2000
#define REPORT_EVERY_S      30
#define TAIL_LINES          12

typedef enum {
  PHASE_INSTALLING,
  PHASE_INSTALLED,
  PHASE_ANSWERING,
  PHASE_CLEAN,
  PHASE_DONE,
} Phase;

static const char *const phase_names[] = { "installing", "installed", "answering", "clean", "done" };

typedef struct {
  LabNode *node;
  Phase    phase;
  gint64   since;        /* monotonic µs: this phase began */
  gint64   last_report;
  char    *last_error;   /* the last probe's failure */
} NodeRun;

static void
node_run_clear (NodeRun *r)
{
  g_free (r->last_error);
}

/* ---- paths and keys ---------------------------------------------------- */

char *
lab_proxmox_console_log (LabContext *ctx, const LabNode *node)
{
  g_autofree char *state = lab_context_get_state_dir (ctx);

  return g_build_filename (state, "nodes", node->name, "console.log", NULL);
}

static char *
phase_key (const LabNode *node)
{
  return g_strdup_printf ("pve.install.%s.phase", node->name);
}

static char *
pve_key (const LabNode *node, const char *what)
{
  return g_strdup_printf ("nodes.%s.pve.%s", node->name, what);
}

static char *
api_url (const LabNode *node)
{
  return g_strdup_printf ("https://%s:%d", node->address, PVE_API_PORT);
}

static Phase
saved_phase (LabContext *ctx, const LabNode *node)
{
  g_autofree char *k = phase_key (node);
  const char *v = lab_state_get_string (ctx->state, k);

  for (guint i = 0; v != NULL && i < G_N_ELEMENTS (phase_names); i++)
    if (g_str_equal (v, phase_names[i]))
      return (Phase) i;
  return PHASE_INSTALLING;
}

static gboolean
save_phase (LabContext *ctx, NodeRun *r, Phase phase, GError **error)
{
  g_autofree char *k = phase_key (r->node);

  r->phase = phase;
  r->since = g_get_monotonic_time ();
  r->last_report = r->since;
  lab_state_set_string (ctx->state, k, phase_names[phase]);
  return lab_state_save (ctx->state, error);
}

/* ---- the console log --------------------------------------------------- */

/* A console line made printable: escape sequences and control characters
 * removed (the installers draw on the serial console). */
static char *
clean_line (const char *line)
{
  GString *s = g_string_new (NULL);

  for (const char *p = line; *p != '\0'; p++)
    {
      if (*p == '\033')
        {
          /* CSI ... final byte, or a two-byte escape */
          if (p[1] == '[')
            {
              p += 2;
              while (*p != '\0' && !(*p >= 0x40 && *p <= 0x7e))
                p++;
              if (*p == '\0')
                break;
            }
          else if (p[1] != '\0')
            p++;
          continue;
        }
      if ((guchar) *p < 0x20 || *p == 0x7f)
        continue;
      g_string_append_c (s, *p);
    }
  return g_strstrip (g_string_free (s, FALSE));
}

/* The last n non-empty lines of the console log, cleaned; "" when none. */
char *
lab_proxmox_console_tail (const char *path, guint n)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  guint count;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  lines = g_strsplit_set (text, "\r\n", -1);
  count = g_strv_length (lines);
  for (guint i = count; i > 0 && kept->len < n; i--)
    {
      char *c = clean_line (lines[i - 1]);
      if (*c == '\0' || !g_utf8_validate (c, -1, NULL))
        {
          g_free (c);
          continue;
        }
      g_ptr_array_insert (kept, 0, c);
    }
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("\n", (char **) kept->pdata);
}

/* ---- the API port ------------------------------------------------------ */

static gboolean
accept_any (GTlsConnection *conn, GTlsCertificate *cert, GTlsCertificateFlags errors, gpointer user_data)
{
  /* the node's certificate is self-signed: it is recorded, not checked */
  return TRUE;
}

gboolean
lab_proxmox_probe_api (const char *address, guint port, GCancellable *cancellable, char **out_fingerprint,
                       GError **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autofree char *request = NULL;
  char reply[64] = { 0 };
  GOutputStream *out;
  GInputStream *in;

  *out_fingerprint = NULL;
  g_socket_client_set_timeout (client, PROBE_TIMEOUT_S);
  conn = g_socket_client_connect_to_host (client, address, port, cancellable, error);
  if (conn == NULL)
    return FALSE;
  tls = g_tls_client_connection_new (G_IO_STREAM (conn), NULL, error);
  if (tls == NULL)
    return FALSE;
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), cancellable, error))
    return FALSE;
  cert = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls));
  if (cert == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("the TLS handshake gave no certificate"));
      return FALSE;
    }
  g_object_ref (cert);
  /* pveproxy answers HTTP (401 without a ticket): the API is up, not only
   * the port */
  request = g_strdup_printf ("GET /api2/json/version HTTP/1.0\r\nHost: %s:%u\r\n\r\n", address, port);
  out = g_io_stream_get_output_stream (tls);
  in = g_io_stream_get_input_stream (tls);
  if (!g_output_stream_write_all (out, request, strlen (request), NULL, cancellable, error)
      || g_input_stream_read (in, reply, sizeof reply - 1, cancellable, error) < 0)
    return FALSE;
  if (!g_str_has_prefix (reply, "HTTP/1."))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED, _("port %u answers TLS but not HTTP"), port);
      return FALSE;
    }
  g_io_stream_close (tls, NULL, NULL);
  *out_fingerprint = lab_pve_fingerprint (cert);
  return *out_fingerprint != NULL;
}

/* ---- the domain -------------------------------------------------------- */

static int
domain_state (LabVirt *virt, LabContext *ctx, const LabNode *node, GError **error)
{
  g_autoptr(virDomain) dom = NULL;
  int state = VIR_DOMAIN_NOSTATE, reason = 0;

  if (!lab_virt_domain_lookup (virt, node->name, ctx->recipe->name, &dom, error))
    return -1;
  if (dom == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                   _("Node %s has no domain (step nodes.define:%s has not run); run 'labctl up'"), node->name,
                   node->name);
      return -1;
    }
  if (virDomainGetState (dom, &state, &reason, 0) < 0)
    {
      lab_virt_set_error (error, _("Cannot read the state of node \"%s\""), node->name);
      return -1;
    }
  return state;
}

/* Bytes the node wrote to its disk since its QEMU started (0: unknown). */
static guint64
disk_written (LabVirt *virt, LabContext *ctx, const LabNode *node)
{
  g_autoptr(virDomain) dom = NULL;
  virDomainBlockStatsStruct st = { 0 };

  if (!lab_virt_domain_lookup (virt, node->name, ctx->recipe->name, &dom, NULL) || dom == NULL
      || virDomainBlockStats (dom, "vda", &st, sizeof st) < 0)
    return 0;
  return st.wr_bytes > 0 ? (guint64) st.wr_bytes : 0;
}

/* The install media out of the domain's definition: its CD-ROM and the
 * answer image. The node then boots from its disk. */
static gboolean
detach_media (LabVirt *virt, LabContext *ctx, const LabNode *node, GError **error)
{
  g_autoptr(virDomain) dom = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *what = g_strdup_printf ("the domain XML of %s", node->name);
  g_autoptr(LabXmlReader) reader = NULL;
  g_autoptr(GPtrArray) disks = NULL;
  g_autofree char *image = lab_proxmox_answer_image (ctx, node);
  g_autofree char *xpath = NULL;

  if (!lab_virt_domain_lookup (virt, node->name, ctx->recipe->name, &dom, error))
    return FALSE;
  if (dom == NULL)
    return TRUE;
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  if (xml == NULL)
    {
      lab_virt_set_error (error, _("Cannot read the definition of node \"%s\""), node->name);
      return FALSE;
    }
  reader = lab_xml_reader_new (xml, what, error);
  if (reader == NULL)
    return FALSE;
  /* the image's path is labctl's (<state dir>/nodes/<node>/answer.img): no quote in it */
  xpath = g_strdup_printf ("/domain/devices/disk[@device='cdrom' or source/@file='%s']", image);
  disks = lab_xml_reader_get_nodes (reader, NULL, xpath);
  for (guint i = 0; i < disks->len; i++)
    {
      LabXmlNode *d = g_ptr_array_index (disks, i);
      g_autofree char *device = lab_xml_node_get_attr (d, "device");
      g_autofree char *target = lab_xml_reader_get_string (reader, d, "target/@dev");
      g_autofree char *bus = lab_xml_reader_get_string (reader, d, "target/@bus");
      g_autofree char *source = lab_xml_reader_get_string (reader, d, "source/@file");
      g_autoptr(LabXmlWriter) w = lab_xml_writer_new ();
      g_autofree char *dev_xml = NULL;

      lab_xml_writer_start_attrs (w, "disk", "type", "file", "device", device != NULL ? device : "disk", NULL);
      if (source != NULL)
        lab_xml_writer_empty (w, "source", "file", source, NULL);
      lab_xml_writer_empty (w, "target", "dev", target, "bus", bus, NULL);
      lab_xml_writer_end (w);
      dev_xml = lab_xml_writer_finish (w);
      if (virDomainDetachDeviceFlags (dom, dev_xml, VIR_DOMAIN_AFFECT_CONFIG) < 0)
        {
          lab_virt_set_error (error, _("Cannot detach %s (%s) from node \"%s\""), target,
                              source != NULL ? source : device, node->name);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- the loop over every node ------------------------------------------ */

static gboolean
fail_with_console (LabContext *ctx, NodeRun *r, GError **error, const char *what)
{
  g_autofree char *log = lab_proxmox_console_log (ctx, r->node);
  g_autofree char *tail = lab_proxmox_console_tail (log, TAIL_LINES);

  g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT, _("Node %s: %s. Its console log is %s; its last lines:\n%s"),
               r->node->name, what, log, *tail != '\0' ? tail : _("(empty)"));
  return FALSE;
}

static void
report (LabContext *ctx, LabVirt *virt, NodeRun *r, gint64 now)
{
  g_autofree char *log = NULL;
  g_autofree char *last = NULL;
  g_autofree char *written = NULL;
  guint min = (guint) ((now - r->since) / G_USEC_PER_SEC / 60);

  if (now - r->last_report < REPORT_EVERY_S * G_USEC_PER_SEC)
    return;
  r->last_report = now;
  log = lab_proxmox_console_log (ctx, r->node);
  last = lab_proxmox_console_tail (log, 1);
  if (r->phase == PHASE_INSTALLING)
    {
      written = lab_format_size (disk_written (virt, ctx, r->node));
      lab_progress_info (ctx->progress, _("%s: installing for %u min, %s written to its disk; console: %s"),
                         r->node->name, min, written, *last != '\0' ? last : "-");
    }
  else
    lab_progress_info (ctx->progress, _("%s: waiting for its API at %s:%d for %u min (%s)"), r->node->name,
                       r->node->address, PVE_API_PORT, min, r->last_error != NULL ? r->last_error : "-");
}

/* One look at a node; moves it on when it is ready for its next phase. */
static gboolean
advance (LabContext *ctx, LabVirt *virt, NodeRun *r, gboolean check_fingerprint, GError **error)
{
  gint64 now = g_get_monotonic_time ();
  int state = domain_state (virt, ctx, r->node, error);
  g_autofree char *fp = NULL;
  g_autoptr(GError) probe_error = NULL;
  g_autofree char *k_api = pve_key (r->node, "api");
  g_autofree char *k_fp = pve_key (r->node, "fingerprint");

  if (state < 0)
    return FALSE;
  switch (r->phase)
    {
    case PHASE_INSTALLING:
      if (state == VIR_DOMAIN_SHUTOFF)
        {
          lab_progress_info (ctx->progress, _("%s: the installer finished after %.0f s and powered the node off"),
                             r->node->name, (now - r->since) / 1e6);
          if (!detach_media (virt, ctx, r->node, error) || !save_phase (ctx, r, PHASE_INSTALLED, error))
            return FALSE;
          return lab_virt_domain_start (virt, r->node->name, ctx->recipe->name, error);
        }
      if (now - r->since > (gint64) INSTALL_TIMEOUT_S * G_USEC_PER_SEC)
        {
          g_autofree char *what = g_strdup_printf (_("the installer did not power the node off within %u min"),
                                                   INSTALL_TIMEOUT_S / 60);
          return fail_with_console (ctx, r, error, what);
        }
      report (ctx, virt, r, now);
      return TRUE;
    case PHASE_INSTALLED:
    case PHASE_CLEAN:
      if (state != VIR_DOMAIN_RUNNING)
        {
          /* shut off by someone, or crashed (on_crash = destroy): boot it */
          if (!lab_virt_domain_start (virt, r->node->name, ctx->recipe->name, error))
            return FALSE;
          r->since = now;
          return TRUE;
        }
      if (!lab_proxmox_probe_api (r->node->address, PVE_API_PORT, ctx->cancellable, &fp, &probe_error))
        {
          g_free (r->last_error);
          r->last_error = g_strdup (probe_error->message);
          if (now - r->since > (gint64) API_TIMEOUT_S * G_USEC_PER_SEC)
            {
              g_autofree char *what = g_strdup_printf (_("its API at https://%s:%d did not answer within %u min "
                                                         "of booting from its disk (last try: %s)"),
                                                       r->node->address, PVE_API_PORT, API_TIMEOUT_S / 60,
                                                       r->last_error);
              return fail_with_console (ctx, r, error, what);
            }
          report (ctx, virt, r, now);
          return TRUE;
        }
      if (r->phase == PHASE_INSTALLED)
        {
          g_autofree char *url = api_url (r->node);
          lab_state_set_string (ctx->state, k_api, url);
          lab_state_set_string (ctx->state, k_fp, fp);
          lab_progress_info (ctx->progress, _("%s: API answering at %s, certificate SHA-256 %s"), r->node->name, url,
                             fp);
          if (!save_phase (ctx, r, PHASE_ANSWERING, error))
            return FALSE;
          /* a consistent disk for the clean snapshot */
          if (!lab_virt_domain_stop (virt, r->node->name, ctx->recipe->name, SHUTDOWN_TIMEOUT_MS,
                                     ctx->cancellable, error)
              || !lab_virt_snapshot_create (virt, r->node->name, ctx->recipe->name, LAB_VIRT_SNAPSHOT_CLEAN,
                                            "Proxmox VE as installed by labctl (labctl reset goes back here)",
                                            error)
              || !save_phase (ctx, r, PHASE_CLEAN, error))
            return FALSE;
          return lab_virt_domain_start (virt, r->node->name, ctx->recipe->name, error);
        }
      /* PHASE_CLEAN: the same certificate as recorded */
      if (check_fingerprint && g_strcmp0 (fp, lab_state_get_string (ctx->state, k_fp)) != 0)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_FOREIGN,
                       _("Node %s at %s answers with the certificate %s, not the one recorded at its install (%s); "
                         "another machine may have its address, or its disk changed: 'labctl down', then "
                         "'labctl up'"),
                       r->node->name, r->node->address, fp, lab_state_get_string (ctx->state, k_fp));
          return FALSE;
        }
      lab_progress_info (ctx->progress, _("API of %s answering"), r->node->name);
      r->phase = PHASE_DONE;
      return TRUE;
    case PHASE_ANSWERING:
      /* interrupted between the record and the snapshot: again from the
       * shutdown */
      if (!lab_virt_domain_stop (virt, r->node->name, ctx->recipe->name, SHUTDOWN_TIMEOUT_MS, ctx->cancellable,
                                 error)
          || !lab_virt_snapshot_create (virt, r->node->name, ctx->recipe->name, LAB_VIRT_SNAPSHOT_CLEAN,
                                        "Proxmox VE as installed by labctl (labctl reset goes back here)", error)
          || !save_phase (ctx, r, PHASE_CLEAN, error))
        return FALSE;
      return lab_virt_domain_start (virt, r->node->name, ctx->recipe->name, error);
    case PHASE_DONE:
      return TRUE;
    }
  return TRUE;
}

/* Follows every node of runs until each is done (the first error ends it). */
static gboolean
run_nodes (LabContext *ctx, LabVirt *virt, GArray *runs, gboolean check_fingerprint, GError **error)
{
  for (;;)
    {
      const LabNode *installing = NULL;
      gboolean all_done = TRUE;

      for (guint i = 0; i < runs->len; i++)
        {
          NodeRun *r = &g_array_index (runs, NodeRun, i);
          if (!advance (ctx, virt, r, check_fingerprint, error))
            return FALSE;
          if (r->phase != PHASE_DONE)
            all_done = FALSE;
          if (r->phase == PHASE_INSTALLING && installing == NULL)
            installing = r->node;
        }
      if (all_done)
        return TRUE;
      if (g_cancellable_is_cancelled (ctx->cancellable))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED, _("Interrupted"));
          return FALSE;
        }
      if (installing != NULL)
        {
          /* woken by libvirt's lifecycle event when that node powers off */
          g_autoptr(GError) wait_error = NULL;
          if (!lab_virt_wait_for_state (virt, installing->name, VIR_DOMAIN_SHUTOFF, RETRY_MS, ctx->cancellable,
                                        &wait_error)
              && g_error_matches (wait_error, LAB_ERROR, LAB_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&wait_error));
              return FALSE;
            }
        }
      else
        g_usleep (RETRY_MS * 1000);
    }
}

static LabVirt *
connect_virt (LabContext *ctx, GError **error)
{
  LabVirt *virt = lab_virt_connect (lab_virt_default_uri (ctx->libvirt_uri), error);

  /* reverting an external snapshot needs qemu-img with libvirt < 9.9 */
  if (virt != NULL && ctx->runner != NULL)
    lab_virt_set_runner (virt, ctx->runner);
  return virt;
}

static GArray *
new_runs (LabContext *ctx)
{
  GArray *runs = g_array_new (FALSE, TRUE, sizeof (NodeRun));

  g_array_set_clear_func (runs, (GDestroyNotify) node_run_clear);
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      NodeRun r = { 0 };
      r.node = g_ptr_array_index (ctx->recipe->nodes, i);
      r.since = r.last_report = g_get_monotonic_time ();
      g_array_append_val (runs, r);
    }
  return runs;
}

/* ---- the step ---------------------------------------------------------- */

static gboolean
install_check (LabContext *ctx, gpointer data, gboolean *done, GError **error)
{
  g_autoptr(LabVirt) virt = NULL;

  *done = TRUE;
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      g_autofree char *k_fp = pve_key (node, "fingerprint");

      if (saved_phase (ctx, node) != PHASE_CLEAN || lab_state_get_string (ctx->state, k_fp) == NULL)
        {
          *done = FALSE;
          return TRUE;
        }
    }
  /* installed: done while every node runs (a stopped one is booted and
   * its API awaited again) */
  virt = connect_virt (ctx, error);
  if (virt == NULL)
    return FALSE;
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      int state = domain_state (virt, ctx, g_ptr_array_index (ctx->recipe->nodes, i), error);
      if (state < 0)
        return FALSE;
      if (state != VIR_DOMAIN_RUNNING)
        *done = FALSE;
    }
  return TRUE;
}

static gboolean
install_apply (LabContext *ctx, gpointer data, GError **error)
{
  g_autoptr(LabVirt) virt = connect_virt (ctx, error);
  g_autoptr(GArray) runs = NULL;

  if (virt == NULL)
    return FALSE;
  runs = new_runs (ctx);
  for (guint i = 0; i < runs->len; i++)
    {
      NodeRun *r = &g_array_index (runs, NodeRun, i);
      r->phase = saved_phase (ctx, r->node);
      if (r->phase == PHASE_INSTALLING)
        lab_progress_info (ctx->progress, _("%s: the automated installer runs (serial console: %s)"), r->node->name,
                           lab_proxmox_console_log (ctx, r->node));
    }
  return run_nodes (ctx, virt, runs, TRUE, error);
}

static gboolean
install_undo (LabContext *ctx, gpointer data, GError **error)
{
  /* the clean snapshot's overlay goes with the domain (nodes.define's
   * undo); here only the records */
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      g_autofree char *k = phase_key (node);
      g_autofree char *k_api = pve_key (node, "api");
      g_autofree char *k_fp = pve_key (node, "fingerprint");

      lab_state_remove (ctx->state, k);
      lab_state_remove (ctx->state, k_api);
      lab_state_remove (ctx->state, k_fp);
    }
  return TRUE;
}

static char **
install_describe (LabContext *ctx, gpointer data, gboolean down)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  const char *uri = lab_virt_default_uri (ctx->libvirt_uri);

  if (down)
    {
      g_ptr_array_add (lines, g_strdup ("# the snapshots \"clean\" go with the nodes' domains"));
      return lab_lines_steal (g_steal_pointer (&lines));
    }
  g_ptr_array_add (lines, g_strdup_printf ("# every node at once; the installer powers its node off (at most %u min)",
                                           INSTALL_TIMEOUT_S / 60));
  for (guint i = 0; i < ctx->recipe->nodes->len; i++)
    {
      LabNode *node = g_ptr_array_index (ctx->recipe->nodes, i);
      g_autofree char *log = lab_proxmox_console_log (ctx, node);
      g_autofree char *q_log = lab_shell_quote (log);
      g_autofree char *iso = lab_proxmox_prepared_iso (ctx);
      g_autofree char *q_iso = lab_shell_quote (iso != NULL ? iso : "ISO");
      g_autofree char *image = lab_proxmox_answer_image (ctx, node);
      g_autofree char *q_image = lab_shell_quote (image);
      const char *n = node->name;
      const char *a = node->address;

      g_ptr_array_add (lines, g_strdup_printf ("tail -f %s &  # the installer's serial console", q_log));
      g_ptr_array_add (lines, g_strdup_printf ("until virsh -c %s domstate %s | grep -qx 'shut off'; do "
                                               "virsh -c %s event %s lifecycle --timeout 30 >/dev/null; done",
                                               uri, n, uri, n));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c %s detach-disk %s %s --config", uri, n, q_iso));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c %s detach-disk %s %s --config", uri, n, q_image));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c %s start %s", uri, n));
      g_ptr_array_add (lines, g_strdup_printf ("until curl -ks -o /dev/null https://%s:%d/api2/json/version; do "
                                               "sleep 2; done  # at most %u min", a, PVE_API_PORT,
                                               API_TIMEOUT_S / 60));
      g_ptr_array_add (lines, g_strdup_printf ("openssl s_client -connect %s:%d </dev/null 2>/dev/null | "
                                               "openssl x509 -noout -fingerprint -sha256  # recorded: "
                                               "nodes.%s.pve.fingerprint", a, PVE_API_PORT, n));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c %s shutdown %s", uri, n));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c %s snapshot-create-as %s %s --disk-only --atomic", uri, n,
                                               LAB_VIRT_SNAPSHOT_CLEAN));
      g_ptr_array_add (lines, g_strdup_printf ("virsh -c %s start %s  # its API answers with the same certificate",
                                               uri, n));
    }
  return lab_lines_steal (g_steal_pointer (&lines));
}

static const LabStepInfo install_step = {
  "nodes.install", N_("Install Proxmox VE on the nodes and wait for their API"), FALSE,
  install_check, install_apply, install_undo, install_describe,
};

void
lab_proxmox_add_install_steps (LabPlan *plan, LabContext *ctx)
{
  lab_plan_add_step (plan, &install_step, NULL, NULL, NULL, NULL);
}

/* ---- reset ------------------------------------------------------------- */

gboolean
lab_proxmox_reset (LabContext *ctx, GError **error)
{
  LabRecipe *r = ctx->recipe;
  g_autoptr(LabVirt) virt = connect_virt (ctx, error);
  g_autoptr(GArray) runs = NULL;

  if (virt == NULL)
    return FALSE;
  runs = new_runs (ctx);
  for (guint i = 0; i < r->nodes->len; i++)
    {
      LabNode *n = g_ptr_array_index (r->nodes, i);
      g_auto(GStrv) names = lab_virt_snapshot_list (virt, n->name, r->name, error);
      gint64 t0 = g_get_monotonic_time ();

      if (names == NULL)
        return FALSE;
      if (!g_strv_contains ((const char * const *) names, LAB_VIRT_SNAPSHOT_CLEAN))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                       _("Node %s has no snapshot \"%s\" to go back to: its install has not finished; run "
                         "'labctl up'"), n->name, LAB_VIRT_SNAPSHOT_CLEAN);
          return FALSE;
        }
      if (!lab_virt_snapshot_revert (virt, n->name, r->name, LAB_VIRT_SNAPSHOT_CLEAN, error))
        return FALSE;
      lab_progress_info (ctx->progress, _("node %s back to its clean snapshot in %.2f s"), n->name,
                         (g_get_monotonic_time () - t0) / 1e6);
      g_array_index (runs, NodeRun, i).phase = PHASE_CLEAN;
    }
  /* booted again; each API must answer with its recorded certificate */
  return run_nodes (ctx, virt, runs, TRUE, error);
}
