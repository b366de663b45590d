/* lab-tgt.c: tgtadm through LabRunner, and its output parsed. */
#include "config.h"

#include "lab-tgt.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-iscsi.h"
#include "lab-util.h"

static void
lun_free (gpointer p)
{
  LabTgtLun *lun = p;

  g_free (lun->type);
  g_free (lun->backing_path);
  g_free (lun->backing_type);
  g_free (lun);
}

static void
nexus_free (gpointer p)
{
  LabTgtNexus *n = p;

  g_free (n->initiator);
  g_free (n->address);
  g_free (n);
}

void
lab_tgt_target_free (LabTgtTarget *target)
{
  if (target == NULL)
    return;
  g_free (target->iqn);
  g_free (target->state);
  g_ptr_array_unref (target->luns);
  g_ptr_array_unref (target->nexus);
  g_strfreev (target->accounts);
  g_strfreev (target->acl);
  g_strfreev (target->acl_names);
  g_free (target);
}

typedef enum {
  SECTION_NONE,
  SECTION_SYSTEM,
  SECTION_NEXUS,
  SECTION_LUN,
  SECTION_ACCOUNT,
  SECTION_ACL,
} Section;

static guint
indent_of (const char *line)
{
  guint n = 0;

  while (line[n] == ' ')
    n++;
  return n;
}

/* "key: value" -> value (stripped) when line (stripped) starts with key. */
static const char *
value_after (const char *stripped, const char *key)
{
  gsize len = strlen (key);

  if (strncmp (stripped, key, len) != 0 || stripped[len] != ':')
    return NULL;
  stripped += len + 1;
  while (*stripped == ' ')
    stripped++;
  return stripped;
}

static void
finish_target (GPtrArray *targets, LabTgtTarget *t, GPtrArray *accounts, GPtrArray *acl)
{
  GPtrArray *addresses = g_ptr_array_new ();
  GPtrArray *names = g_ptr_array_new ();

  /* one list in tgtd's output: the names are the lines that are iSCSI names */
  for (guint i = 0; i < acl->len; i++)
    g_ptr_array_add (lab_tgt_validate_initiator_name (acl->pdata[i], NULL) ? names : addresses,
                     acl->pdata[i]);
  g_ptr_array_free (acl, TRUE);
  g_ptr_array_add (accounts, NULL);
  g_ptr_array_add (addresses, NULL);
  g_ptr_array_add (names, NULL);
  t->accounts = (GStrv) g_ptr_array_free (accounts, FALSE);
  t->acl = (GStrv) g_ptr_array_free (addresses, FALSE);
  t->acl_names = (GStrv) g_ptr_array_free (names, FALSE);
  g_ptr_array_add (targets, t);
}

/* *field = a copy of value (NULL: none), freeing what it held. */
static void
replace_str (char **field, const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

GPtrArray *
lab_tgt_parse_show (const char *text, GError **error)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) lab_tgt_target_free);
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  LabTgtTarget *cur = NULL;
  GPtrArray *accounts = NULL, *acl = NULL;
  LabTgtLun *lun = NULL;
  LabTgtNexus *nexus = NULL;
  Section section = SECTION_NONE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      g_autofree char *stripped = g_strstrip (g_strdup (line));
      guint indent = indent_of (line);
      const char *v;

      if (*stripped == '\0')
        continue;

      if (indent == 0)
        {
          char *colon;
          guint64 tid;

          if (!g_str_has_prefix (stripped, "Target "))
            {
              /* other modes' output ("Account list:" ...) ends the targets */
              section = SECTION_NONE;
              if (cur != NULL)
                finish_target (targets, g_steal_pointer (&cur), accounts, acl);
              continue;
            }
          if (cur != NULL)
            finish_target (targets, g_steal_pointer (&cur), accounts, acl);
          colon = strchr (stripped, ':');
          if (colon != NULL)
            {
              g_autofree char *num = g_strndup (stripped + 7, colon - stripped - 7);
              if (!g_ascii_string_to_unsigned (num, 10, 1, G_MAXUINT, &tid, NULL))
                colon = NULL;
            }
          if (colon == NULL)
            {
              g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                           _("tgtadm --op show: cannot parse line %u: \"%s\"; is this tgt's tgtadm?"),
                           i + 1, stripped);
              return NULL;
            }
          cur = g_new0 (LabTgtTarget, 1);
          cur->tid = tid;
          cur->iqn = g_strstrip (g_strdup (colon + 1));
          cur->luns = g_ptr_array_new_with_free_func (lun_free);
          cur->nexus = g_ptr_array_new_with_free_func (nexus_free);
          accounts = g_ptr_array_new ();
          acl = g_ptr_array_new ();
          section = SECTION_NONE;
          lun = NULL;
          nexus = NULL;
          continue;
        }
      if (cur == NULL)
        continue;

      if (indent == 4)
        {
          if (g_str_equal (stripped, "System information:"))
            section = SECTION_SYSTEM;
          else if (g_str_equal (stripped, "I_T nexus information:"))
            section = SECTION_NEXUS;
          else if (g_str_equal (stripped, "LUN information:"))
            section = SECTION_LUN;
          else if (g_str_equal (stripped, "Account information:"))
            section = SECTION_ACCOUNT;
          else if (g_str_equal (stripped, "ACL information:"))
            section = SECTION_ACL;
          else
            section = SECTION_NONE;
          continue;
        }

      switch (section)
        {
        case SECTION_SYSTEM:
          if ((v = value_after (stripped, "State")) != NULL)
            {
              g_free (cur->state);
              cur->state = g_strdup (v);
            }
          break;
        case SECTION_NEXUS:
          if (value_after (stripped, "I_T nexus") != NULL)
            {
              nexus = g_new0 (LabTgtNexus, 1);
              g_ptr_array_add (cur->nexus, nexus);
            }
          else if (nexus != NULL && (v = value_after (stripped, "Initiator")) != NULL)
            {
              const char *sp = strchr (v, ' ');
              g_free (nexus->initiator);
              nexus->initiator = sp != NULL ? g_strndup (v, sp - v) : g_strdup (v);
            }
          else if (nexus != NULL && (v = value_after (stripped, "IP Address")) != NULL)
            {
              g_free (nexus->address);
              nexus->address = g_strdup (v);
            }
          break;
        case SECTION_LUN:
          if ((v = value_after (stripped, "LUN")) != NULL)
            {
              guint64 n = 0;
              g_ascii_string_to_unsigned (v, 10, 0, G_MAXUINT, &n, NULL);
              lun = g_new0 (LabTgtLun, 1);
              lun->lun = n;
              g_ptr_array_add (cur->luns, lun);
            }
          /* a repeated field replaces the earlier one */
          else if (lun != NULL && (v = value_after (stripped, "Type")) != NULL)
            replace_str (&lun->type, v);
          else if (lun != NULL && (v = value_after (stripped, "Size")) != NULL)
            {
              /* "2147 MB, Block size: 512" */
              guint64 mb = g_ascii_strtoull (v, NULL, 10);
              const char *bs = strstr (v, "Block size:");
              lun->size_bytes = mb * 1000 * 1000;
              if (bs != NULL)
                lun->block_size = (guint) g_ascii_strtoull (bs + strlen ("Block size:"), NULL, 10);
            }
          else if (lun != NULL && (v = value_after (stripped, "Backing store type")) != NULL)
            replace_str (&lun->backing_type, v);
          else if (lun != NULL && (v = value_after (stripped, "Backing store path")) != NULL)
            replace_str (&lun->backing_path, g_str_equal (v, "None") ? NULL : v);
          break;
        case SECTION_ACCOUNT:
          {
            /* "user" or "user (outgoing)": only incoming users matter here */
            if (!g_str_has_suffix (stripped, "(outgoing)"))
              g_ptr_array_add (accounts, g_strdup (stripped));
          }
          break;
        case SECTION_ACL:
          g_ptr_array_add (acl, g_strdup (stripped));
          break;
        case SECTION_NONE:
        default:
          break;
        }
    }
  if (cur != NULL)
    finish_target (targets, g_steal_pointer (&cur), accounts, acl);
  return g_steal_pointer (&targets);
}

LabTgtTarget *
lab_tgt_find_by_iqn (GPtrArray *targets, const char *iqn)
{
  for (guint i = 0; targets != NULL && i < targets->len; i++)
    {
      LabTgtTarget *t = g_ptr_array_index (targets, i);
      if (g_ascii_strcasecmp (t->iqn, iqn) == 0)
        return t;
    }
  return NULL;
}

LabTgtTarget *
lab_tgt_find_by_tid (GPtrArray *targets, guint tid)
{
  for (guint i = 0; targets != NULL && i < targets->len; i++)
    {
      LabTgtTarget *t = g_ptr_array_index (targets, i);
      if (t->tid == tid)
        return t;
    }
  return NULL;
}

LabTgtLun *
lab_tgt_target_get_lun (LabTgtTarget *target, guint lun)
{
  for (guint i = 0; target != NULL && i < target->luns->len; i++)
    {
      LabTgtLun *l = g_ptr_array_index (target->luns, i);
      if (l->lun == lun)
        return l;
    }
  return NULL;
}

guint
lab_tgt_find_free_tid (GPtrArray *targets)
{
  guint tid = 1;

  while (lab_tgt_find_by_tid (targets, tid) != NULL)
    tid++;
  return tid;
}

gboolean
lab_tgt_validate_initiator (const char *address, GError **error)
{
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GInetAddressMask) mask = NULL;

  if (address == NULL || *address == '\0' || g_ascii_strcasecmp (address, "ALL") == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Refusing to bind the target to \"%s\": that exports the disk to every host "
                     "that can reach this machine; bind it to the lab's addresses only"),
                   address != NULL ? address : "");
      return FALSE;
    }
  if (strchr (address, '/') != NULL)
    mask = g_inet_address_mask_new_from_string (address, NULL);
  else
    addr = g_inet_address_new_from_string (address);
  if (addr == NULL && mask == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("\"%s\" is not an IP address or network (a.b.c.d or a.b.c.d/prefix); "
                     "tgtadm would accept it silently and the ACL would admit nobody"),
                   address);
      return FALSE;
    }
  return TRUE;
}

static gboolean
all_hex (const char *p, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit (p[i]))
      return FALSE;
  return p[n] == '\0';
}

gboolean
lab_tgt_validate_initiator_name (const char *name, GError **error)
{
  const char *p;
  gboolean ok = FALSE;

  if (name == NULL || *name == '\0' || g_ascii_strcasecmp (name, "ALL") == 0)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Refusing to bind the target to the initiator name \"%s\": the lab's ACL "
                     "names its own initiators only"), name != NULL ? name : "");
      return FALSE;
    }
  if (strlen (name) <= 223 && g_str_has_prefix (name, "iqn."))
    {
      p = name + 4;
      /* iqn.YYYY-MM.<reversed domain>[:<anything>] */
      ok = g_ascii_isdigit (p[0]) && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2])
           && g_ascii_isdigit (p[3]) && p[4] == '-' && g_ascii_isdigit (p[5])
           && g_ascii_isdigit (p[6]) && p[7] == '.' && g_ascii_isalnum (p[8]);
      for (p = name + 4; ok && *p != '\0'; p++)
        ok = g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-' || *p == '.' || *p == ':';
    }
  else if (g_str_has_prefix (name, "eui."))
    ok = all_hex (name + 4, 16);
  else if (g_str_has_prefix (name, "naa."))
    ok = all_hex (name + 4, 16) || all_hex (name + 4, 32);
  if (!ok)
    g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                 _("\"%s\" is not an iSCSI initiator name (iqn.YYYY-MM.reversed.domain[:name], "
                   "eui.<16 hex digits> or naa.<16 or 32 hex digits>; an IQN in lowercase); tgtadm would "
                   "accept it silently and the ACL would admit nobody"), name);
  return ok;
}

/* ---- argv builders --------------------------------------------------- */

static char **
tgtadm_argv (guint16 control_port, const char *first, ...)
{
  GPtrArray *a = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (a, g_strdup ("tgtadm"));
  if (control_port != 0)
    {
      g_ptr_array_add (a, g_strdup ("-C"));
      g_ptr_array_add (a, g_strdup_printf ("%u", control_port));
    }
  va_start (ap, first);
  lab_strv_add_valist (a, first, ap);
  va_end (ap);
  return lab_lines_steal (a);
}

#define UINT_STR(buf, v) (g_snprintf (buf, sizeof buf, "%u", (guint) (v)), buf)

char **
lab_tgt_argv_show_system (guint16 cp)
{
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "show", "--mode", "sys", NULL);
}

char **
lab_tgt_argv_show_targets (guint16 cp)
{
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "show", "--mode", "target", NULL);
}

char **
lab_tgt_argv_new_target (guint16 cp, guint tid, const char *iqn)
{
  char t[16];
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "new", "--mode", "target",
                      "--tid", UINT_STR (t, tid), "-T", iqn, NULL);
}

char **
lab_tgt_argv_delete_target (guint16 cp, guint tid)
{
  char t[16];
  /* --force: a session of a node still logged in must not keep the target */
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "delete", "--mode", "target",
                      "--tid", UINT_STR (t, tid), "--force", NULL);
}

char **
lab_tgt_argv_new_lun (guint16 cp, guint tid, guint lun, const char *path)
{
  char t[16], l[16];
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "new", "--mode", "logicalunit",
                      "--tid", UINT_STR (t, tid), "--lun", UINT_STR (l, lun),
                      "-b", path, "--bstype", "rdwr", NULL);
}

char **
lab_tgt_argv_delete_lun (guint16 cp, guint tid, guint lun)
{
  char t[16], l[16];
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "delete", "--mode", "logicalunit",
                      "--tid", UINT_STR (t, tid), "--lun", UINT_STR (l, lun), NULL);
}

/* --op bind|unbind of one ACL entry: -I an address, --initiator-name a name */
static char **
acl_argv (guint16 cp, const char *op, guint tid, const char *flag, const char *value)
{
  char t[16];
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", op, "--mode", "target",
                      "--tid", UINT_STR (t, tid), flag, value, NULL);
}

char **
lab_tgt_argv_bind (guint16 cp, guint tid, const char *address)
{
  return acl_argv (cp, "bind", tid, "-I", address);
}

char **
lab_tgt_argv_unbind (guint16 cp, guint tid, const char *address)
{
  return acl_argv (cp, "unbind", tid, "-I", address);
}

char **
lab_tgt_argv_bind_name (guint16 cp, guint tid, const char *name)
{
  return acl_argv (cp, "bind", tid, "--initiator-name", name);
}

char **
lab_tgt_argv_unbind_name (guint16 cp, guint tid, const char *name)
{
  return acl_argv (cp, "unbind", tid, "--initiator-name", name);
}

char **
lab_tgt_argv_new_account (guint16 cp, const char *user, const char *password)
{
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "new", "--mode", "account",
                      "--user", user, "--password", password, NULL);
}

char **
lab_tgt_argv_delete_account (guint16 cp, const char *user)
{
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "delete", "--mode", "account",
                      "--user", user, NULL);
}

char **
lab_tgt_argv_bind_account (guint16 cp, guint tid, const char *user)
{
  char t[16];
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "bind", "--mode", "account",
                      "--tid", UINT_STR (t, tid), "--user", user, NULL);
}

char **
lab_tgt_argv_unbind_account (guint16 cp, guint tid, const char *user)
{
  char t[16];
  return tgtadm_argv (cp, "--lld", "iscsi", "--op", "unbind", "--mode", "account",
                      "--tid", UINT_STR (t, tid), "--user", user, NULL);
}

char **
lab_tgt_argv_delete_system (guint16 cp)
{
  return tgtadm_argv (cp, "--op", "delete", "--mode", "system", NULL);
}

char **
lab_tgt_argv_daemon (guint16 cp, const char *portal_address, guint16 portal_port)
{
  g_autofree char *port = g_strdup_printf ("%u", cp);
  /* written as the initiators name it ("[v6]:port" for IPv6) */
  g_autofree char *portal = lab_iscsi_portal (portal_address, portal_port);
  g_autofree char *iscsi = g_strconcat ("portal=", portal, NULL);
  const char *argv[] = { "tgtd", "-f", "-C", port, "--iscsi", iscsi, NULL };

  return g_strdupv ((char **) argv);
}

/* ---- running --------------------------------------------------------- */

static const char *
tgtadm_hint (const char *message, int *code)
{
  *code = LAB_ERROR_TOOL;
  if (message == NULL)
    return NULL;
  if (strstr (message, "Transport endpoint is not connected") != NULL
      || strstr (message, "can't connect to the tgt daemon") != NULL
      || strstr (message, "failed to send request hdr") != NULL)
    return _("tgtd is not running on this control port: start it (service tgt start), "
             "or let labctl start its own (labctl storage up)");
  if (strstr (message, "this target already exists") != NULL)
    {
      *code = LAB_ERROR_EXISTS;
      return _("another target uses this tid or name; list them with tgtadm --op show --mode target");
    }
  if (strstr (message, "this logical unit number already exists") != NULL)
    {
      *code = LAB_ERROR_EXISTS;
      return _("the target already has this LUN: run labctl storage down, then up again");
    }
  if (strstr (message, "can't find the target") != NULL)
    {
      *code = LAB_ERROR_NOT_FOUND;
      return _("the target is gone (tgtd restarted?): run labctl storage up again");
    }
  if (strstr (message, "invalid request") != NULL)
    return _("the LUN's backing file may be missing or unreadable: check it exists, "
             "or run labctl storage down and up");
  if (strstr (message, "this access control rule already exists") != NULL)
    {
      *code = LAB_ERROR_EXISTS;
      return NULL;
    }
  if (strstr (message, "this access control rule does not exist") != NULL)
    {
      *code = LAB_ERROR_NOT_FOUND;
      return NULL;
    }
  if (strstr (message, "this target is still active") != NULL)
    return _("an initiator is still logged in: log it out (iscsiadm -m node --logout) and retry");
  return NULL;
}

gboolean
lab_tgt_run (LabRunner *runner, const char * const *argv, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *err_text = NULL;
  int status = 0;
  const char *hint;
  int code;

  if (!lab_runner_run_full (runner, argv, LAB_RUN_DEFAULT, NULL, 30000, &status,
                            NULL, &err_text, NULL, &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (status == 0)
    return TRUE;
  g_strstrip (err_text);
  hint = tgtadm_hint (err_text, &code);
  {
    g_autofree char *line = lab_runner_format_argv (runner, argv);
    if (hint != NULL)
      g_set_error (error, LAB_ERROR, code, _("%s failed (exit %d): %s; %s"),
                   line, status, err_text, hint);
    else
      g_set_error (error, LAB_ERROR, code, _("%s failed (exit %d): %s"),
                   line, status, err_text);
  }
  return FALSE;
}

gboolean
lab_tgt_ping (LabRunner *runner, guint16 control_port, gboolean *running, GError **error)
{
  g_auto(GStrv) argv = lab_tgt_argv_show_system (control_port);
  int status = 0;

  *running = FALSE;
  if (!lab_runner_run_full (runner, (const char * const *) argv, LAB_RUN_QUERY | LAB_RUN_QUIET_OUTPUT,
                            NULL, 10000, &status, NULL, NULL, NULL, error))
    return FALSE;
  *running = status == 0;
  return TRUE;
}

GPtrArray *
lab_tgt_show (LabRunner *runner, guint16 control_port, GError **error)
{
  g_auto(GStrv) argv = lab_tgt_argv_show_targets (control_port);
  g_autofree char *out = NULL;
  g_autofree char *err_text = NULL;
  int status = 0;

  if (!lab_runner_run_full (runner, (const char * const *) argv, LAB_RUN_QUERY, NULL, 10000,
                            &status, &out, &err_text, NULL, error))
    return NULL;
  if (status != 0)
    {
      int code;
      const char *hint = tgtadm_hint (err_text, &code);
      g_strstrip (err_text);
      g_set_error (error, LAB_ERROR, code, _("tgtadm --op show --mode target failed (exit %d): %s%s%s"),
                   status, err_text, hint ? "; " : "", hint ? hint : "");
      return NULL;
    }
  return lab_tgt_parse_show (out, error);
}

gboolean
lab_tgt_check_portal_free (const char *address, guint16 port, GError **error)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) sa = NULL;
  g_autoptr(GSocket) sock = NULL;
  g_autoptr(GError) local_error = NULL;

  if (inet == NULL)
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Portal address \"%s\" is not an IP address; set [storage] portal in the recipe"),
                   address);
      return FALSE;
    }
  sa = g_inet_socket_address_new (inet, port);
  sock = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                       G_SOCKET_PROTOCOL_TCP, error);
  if (sock == NULL)
    return FALSE;
  if (!g_socket_bind (sock, sa, TRUE, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_set_error (error, LAB_ERROR, LAB_ERROR_EXISTS,
                     _("Port %s:%u is already in use by another program (ss -ltnp shows which); "
                       "stop it, or set [storage] portal / a free port in the recipe"),
                     address, port);
      else
        g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                     _("Cannot listen on the portal %s:%u: %s; the address must exist on this "
                       "host (create the lab network first: labctl up), or set [storage] portal"),
                     address, port, local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
lab_tgt_start_daemon (LabRunner *runner, guint16 control_port, const char *portal_address,
                      guint16 portal_port, const char *log_file, GPid *out_pid, GError **error)
{
  g_auto(GStrv) argv = lab_tgt_argv_daemon (control_port, portal_address, portal_port);
  GPid pid = 0;
  gint64 deadline;

  *out_pid = 0;
  if (lab_runner_get_mode (runner) == LAB_RUNNER_MODE_REAL
      && !lab_tgt_check_portal_free (portal_address, portal_port, error))
    return FALSE;
  if (!lab_runner_spawn_daemon (runner, (const char * const *) argv, log_file, &pid, error))
    return FALSE;
  *out_pid = pid;
  if (lab_runner_get_mode (runner) != LAB_RUNNER_MODE_REAL)
    return TRUE;

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  for (;;)
    {
      gboolean running = FALSE;

      if (!lab_process_alive (pid))
        {
          g_autofree char *log = NULL;
          if (log_file != NULL)
            g_file_get_contents (log_file, &log, NULL, NULL);
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                       _("tgtd exited at start (see %s): %s; is another tgtd using control port %u?"),
                       log_file ? log_file : "(no log)", log ? g_strstrip (log) : "", control_port);
          return FALSE;
        }
      if (!lab_tgt_ping (runner, control_port, &running, error))
        return FALSE;
      if (running)
        break;
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("tgtd (pid %d) did not answer on control port %u within 10 s; see %s"),
                       (int) pid, control_port, log_file ? log_file : "(no log)");
          return FALSE;
        }
      g_usleep (20 * 1000);
    }

  /* tgtd only logs a failed portal bind and keeps running */
  if (log_file != NULL)
    {
      g_autofree char *log = NULL;
      if (g_file_get_contents (log_file, &log, NULL, NULL)
          && strstr (log, "failed to create/bind to portal") != NULL)
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                       _("tgtd could not listen on %s:%u (see %s); the port may be in use"),
                       portal_address, portal_port, log_file);
          return FALSE;
        }
    }
  return TRUE;
}

/* TRUE when /proc/PID/cmdline is a tgtd with this control port: a recorded
 * pid may have been reused by another program. */
static gboolean
pid_is_tgtd (GPid pid, guint16 control_port)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", (int) pid);
  g_autofree char *data = NULL;
  g_autofree char *port = g_strdup_printf ("%u", control_port);
  gsize len = 0;
  gboolean is_tgtd = FALSE, has_port = FALSE;
  const char *prev = NULL;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  for (const char *a = data; a < data + len; a += strlen (a) + 1)
    {
      if (prev == NULL)
        is_tgtd = g_str_has_suffix (a, "tgtd");
      else if (g_str_equal (prev, "-C") && g_str_equal (a, port))
        has_port = TRUE;
      prev = a;
    }
  return is_tgtd && (has_port || control_port == 0);
}

GPid
lab_tgt_find_daemon (guint16 control_port, const char *portal_address, guint16 portal_port)
{
  g_auto(GStrv) want = lab_tgt_argv_daemon (control_port, portal_address, portal_port);
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *data = NULL;
      gsize len = 0;
      guint i = 0;
      guint64 pid = 0;
      gboolean same = TRUE;

      if (!g_ascii_string_to_unsigned (name, 10, 1, G_MAXINT, &pid, NULL))
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", name);
      if (!g_file_get_contents (path, &data, &len, NULL) || len == 0)
        continue;
      /* exactly labctl's command line: argv[0] a tgtd, then the same arguments */
      for (const char *a = data; a < data + len; a += strlen (a) + 1, i++)
        if (want[i] == NULL || (i == 0 ? !g_str_has_suffix (a, "tgtd") : !g_str_equal (a, want[i])))
          {
            same = FALSE;
            break;
          }
      if (same && want[i] == NULL && lab_process_alive ((GPid) pid))
        return (GPid) pid;
    }
  return 0;
}

gboolean
lab_tgt_stop_daemon (LabRunner *runner, guint16 control_port, GPid pid, GError **error)
{
  g_auto(GStrv) argv = lab_tgt_argv_delete_system (control_port);
  gboolean real = lab_runner_get_mode (runner) == LAB_RUNNER_MODE_REAL;
  gboolean running = FALSE;

  if (real && pid > 0 && !(lab_process_alive (pid) && pid_is_tgtd (pid, control_port)))
    return TRUE;   /* it is gone; a tgtd on that port now is not the one labctl started */
  if (!lab_tgt_ping (runner, control_port, &running, error))
    return FALSE;
  if (running && !lab_tgt_run (runner, (const char * const *) argv, error))
    return FALSE;
  if (!real)
    return TRUE;
  if (pid > 0 && !lab_process_wait_gone (pid, 5000))
    {
      /* tgtd ignores SIGTERM; a daemon that did not honour delete-system is stuck */
      kill (pid, SIGKILL);
      if (!lab_process_wait_gone (pid, 5000))
        {
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("tgtd (pid %d) did not exit; stop it by hand: kill -KILL %d"),
                       (int) pid, (int) pid);
          return FALSE;
        }
    }
  if (pid > 0)
    {
      /* its control socket; never /run/tgtd itself (others may mount on it) */
      g_autofree char *sock = g_strdup_printf ("/run/tgtd/socket.%u", control_port);
      g_autofree char *lock = g_strdup_printf ("/run/tgtd/socket.%u.lock", control_port);
      unlink (sock);
      unlink (lock);
    }
  return TRUE;
}
