/* lab-runner.c: the only place in labctl that spawns processes. */
#include "config.h"

#include "lab-runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lab-error.h"
#include "lab-i18n.h"
#include "lab-util.h"

#define REDACTED "******"

typedef struct {
  char *prefix;
  int   exit_status;
  char *stdout_text;
  char *stderr_text;
} Expectation;

struct _LabRunner
{
  GObject        parent_instance;

  LabRunnerMode  mode;
  char          *log_path;
  GOutputStream *echo;
  GHashTable    *env;        /* name -> value (NULL value: unset) */
  GPtrArray     *secrets;
  GPtrArray     *recorded;
  GQueue         expectations;
};

G_DEFINE_TYPE (LabRunner, lab_runner, G_TYPE_OBJECT)

static void
expectation_free (gpointer p)
{
  Expectation *e = p;

  g_free (e->prefix);
  g_free (e->stdout_text);
  g_free (e->stderr_text);
  g_free (e);
}

static void
lab_runner_finalize (GObject *object)
{
  LabRunner *self = LAB_RUNNER (object);

  g_free (self->log_path);
  g_clear_object (&self->echo);
  g_hash_table_unref (self->env);
  g_ptr_array_unref (self->secrets);
  g_ptr_array_unref (self->recorded);
  g_queue_clear_full (&self->expectations, expectation_free);

  G_OBJECT_CLASS (lab_runner_parent_class)->finalize (object);
}

static void
lab_runner_class_init (LabRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lab_runner_finalize;
}

static void
lab_runner_init (LabRunner *self)
{
  self->env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->secrets = g_ptr_array_new_with_free_func (g_free);
  self->recorded = g_ptr_array_new_with_free_func (g_free);
  g_queue_init (&self->expectations);
}

LabRunner *
lab_runner_new (LabRunnerMode mode)
{
  LabRunner *self = g_object_new (LAB_TYPE_RUNNER, NULL);

  self->mode = mode;
  return self;
}

LabRunnerMode
lab_runner_get_mode (LabRunner *self)
{
  g_return_val_if_fail (LAB_IS_RUNNER (self), LAB_RUNNER_MODE_REAL);
  return self->mode;
}

gboolean
lab_runner_is_dry_run (LabRunner *self)
{
  g_return_val_if_fail (LAB_IS_RUNNER (self), FALSE);
  return self->mode == LAB_RUNNER_MODE_DRY_RUN;
}

void
lab_runner_set_log_path (LabRunner *self, const char *path)
{
  g_return_if_fail (LAB_IS_RUNNER (self));
  g_free (self->log_path);
  self->log_path = g_strdup (path);
}

const char *
lab_runner_get_log_path (LabRunner *self)
{
  g_return_val_if_fail (LAB_IS_RUNNER (self), NULL);
  return self->log_path;
}

void
lab_runner_set_echo (LabRunner *self, GOutputStream *stream)
{
  g_return_if_fail (LAB_IS_RUNNER (self));
  g_set_object (&self->echo, stream);
}

void
lab_runner_setenv (LabRunner *self, const char *name, const char *value)
{
  g_return_if_fail (LAB_IS_RUNNER (self));
  g_return_if_fail (name != NULL);
  g_hash_table_insert (self->env, g_strdup (name), g_strdup (value));
}

void
lab_runner_add_secret (LabRunner *self, const char *secret)
{
  g_return_if_fail (LAB_IS_RUNNER (self));
  if (secret == NULL || *secret == '\0')
    return;
  for (guint i = 0; i < self->secrets->len; i++)
    if (g_str_equal (g_ptr_array_index (self->secrets, i), secret))
      return;
  g_ptr_array_add (self->secrets, g_strdup (secret));
}

GPtrArray *
lab_runner_get_recorded (LabRunner *self)
{
  g_return_val_if_fail (LAB_IS_RUNNER (self), NULL);
  return self->recorded;
}

void
lab_runner_clear_recorded (LabRunner *self)
{
  g_return_if_fail (LAB_IS_RUNNER (self));
  g_ptr_array_set_size (self->recorded, 0);
}

void
lab_runner_expect (LabRunner  *self,
                   const char *prefix,
                   int         exit_status,
                   const char *stdout_text,
                   const char *stderr_text)
{
  Expectation *e;

  g_return_if_fail (LAB_IS_RUNNER (self));
  g_return_if_fail (prefix != NULL);

  e = g_new0 (Expectation, 1);
  e->prefix = g_strdup (prefix);
  e->exit_status = exit_status;
  e->stdout_text = g_strdup (stdout_text != NULL ? stdout_text : "");
  e->stderr_text = g_strdup (stderr_text != NULL ? stderr_text : "");
  g_queue_push_tail (&self->expectations, e);
}

/* ---- formatting and redaction ----------------------------------------- */

static char *
redact (LabRunner *self, const char *text)
{
  GString *s;

  if (text == NULL)
    return NULL;
  s = g_string_new (text);
  for (guint i = 0; i < self->secrets->len; i++)
    g_string_replace (s, g_ptr_array_index (self->secrets, i), REDACTED, 0);
  return g_string_free (s, FALSE);
}

char *
lab_runner_format_argv (LabRunner *self, const char * const *argv)
{
  GString *line = g_string_new (NULL);

  g_return_val_if_fail (LAB_IS_RUNNER (self), NULL);
  g_return_val_if_fail (argv != NULL, NULL);

  for (guint i = 0; argv[i] != NULL; i++)
    {
      g_autofree char *arg = redact (self, argv[i]);
      g_autofree char *quoted = lab_shell_quote (arg);

      if (i > 0)
        g_string_append_c (line, ' ');
      g_string_append (line, quoted);
    }
  return g_string_free (line, FALSE);
}

/* ---- the log file ------------------------------------------------------ */

static void
append_output (GString *entry, const char *label, const char *text)
{
  g_auto(GStrv) lines = NULL;

  if (text == NULL || *text == '\0')
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* no entry for the empty piece after a final newline */
      if (lines[i + 1] == NULL && *lines[i] == '\0')
        break;
      g_string_append_printf (entry, "  %s: %s\n", label, lines[i]);
    }
}

static void
write_log (LabRunner *self, const char *text)
{
  g_autofree char *redacted = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *entry = NULL;
  const char *p;
  size_t left;
  int fd;

  if (self->log_path == NULL)
    return;

  redacted = redact (self, text);
  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S%z");
  entry = g_strdup_printf ("[%s] %s", stamp, redacted);

  fd = open (self->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_warning ("Cannot write the log %s: %s", self->log_path, g_strerror (errno));
      return;
    }
  p = entry;
  left = strlen (entry);
  while (left > 0)
    {
      ssize_t n = write (fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      p += n;
      left -= (size_t) n;
    }
  close (fd);
}

static void
log_result (LabRunner  *self,
            const char *line,
            const char *mode_tag,
            int         status,
            double      seconds,
            LabRunFlags flags,
            const char *out,
            const char *err)
{
  g_autoptr(GString) entry = g_string_new (NULL);

  g_string_append_printf (entry, "%s$ %s\n", mode_tag, line);
  g_string_append_printf (entry, "  exit %d (%.2f s)\n", status, seconds);
  if ((flags & LAB_RUN_QUIET_OUTPUT) != 0 && out != NULL && *out != '\0')
    g_string_append_printf (entry, "  stdout: (%zu bytes, not logged)\n", strlen (out));
  else
    append_output (entry, "stdout", out);
  append_output (entry, "stderr", err);
  write_log (self, entry->str);
}

static void
echo_line (LabRunner *self, const char *line)
{
  g_autofree char *text = NULL;

  if (self->echo == NULL)
    return;
  text = g_strconcat (line, "\n", NULL);
  g_output_stream_write_all (self->echo, text, strlen (text), NULL, NULL, NULL);
  g_output_stream_flush (self->echo, NULL, NULL);
}

/* ---- missing programs -------------------------------------------------- */

static const struct {
  const char *program;
  const char *package;
} program_packages[] = {
  { "tgtadm", "tgt" },
  { "tgtd", "tgt" },
  { "iscsiadm", "open-iscsi" },
  { "pvcreate", "lvm2" },
  { "pvremove", "lvm2" },
  { "vgcreate", "lvm2" },
  { "vgremove", "lvm2" },
  { "vgchange", "lvm2" },
  { "lvcreate", "lvm2" },
  { "lvremove", "lvm2" },
  { "lvs", "lvm2" },
  { "vgs", "lvm2" },
  { "pvs", "lvm2" },
  { "lvm", "lvm2" },
  { "qemu-img", "qemu-utils" },
  { "qemu-storage-daemon", "qemu-system-common" },
  { "ip", "iproute2" },
  { "losetup", "mount" },
  { "iscsi-ls", "libiscsi-bin" },
  { "iscsi-inq", "libiscsi-bin" },
  { "iscsi-readcapacity16", "libiscsi-bin" },
  { "xorriso", "xorriso" },
  { "mkfs.vfat", "dosfstools" },
  { "mcopy", "mtools" },
  { "syslinux", "syslinux" },
  { "libvirtd", "libvirt-daemon-system" },
  { "dnsmasq", "dnsmasq-base" },
};

static const char *
package_for_program (const char *program)
{
  g_autofree char *base = g_path_get_basename (program);

  for (gsize i = 0; i < G_N_ELEMENTS (program_packages); i++)
    if (g_str_equal (program_packages[i].program, base))
      return program_packages[i].package;
  return NULL;
}

static void
set_not_found_error (GError **error, const char *program)
{
  const char *package = package_for_program (program);

  if (package != NULL)
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                 _("Cannot run %s: the program is not installed (not found in PATH or the sbin directories). "
                   "Install the Debian package '%s': sudo apt install %s"),
                 program, package, package);
  else
    g_set_error (error, LAB_ERROR, LAB_ERROR_NOT_FOUND,
                 _("Cannot run %s: the program is not installed (not found in PATH or the sbin directories). "
                   "Install the package that provides it."),
                 program);
}

/* Resolves argv0 against the children's PATH, then the sbin directories
 * (a normal user's PATH on Debian lacks them, and `--dry-run` queries or
 * `check` run as a user). Returns NULL when not found. */
static char *
find_program (LabRunner *self, const char *program)
{
  const char *path = NULL;
  g_autofree char *search = NULL;
  g_auto(GStrv) dirs = NULL;

  if (strchr (program, '/') != NULL)
    return g_file_test (program, G_FILE_TEST_IS_EXECUTABLE) &&
           !g_file_test (program, G_FILE_TEST_IS_DIR) ? g_strdup (program) : NULL;

  if (g_hash_table_contains (self->env, "PATH"))
    path = g_hash_table_lookup (self->env, "PATH");
  else
    path = g_getenv ("PATH");
  search = g_strconcat (path != NULL ? path : "/usr/bin:/bin",
                        ":/usr/local/sbin:/usr/sbin:/sbin", NULL);
  dirs = g_strsplit (search, ":", -1);
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *candidate = NULL;

      if (*dirs[i] == '\0')
        continue;
      candidate = g_build_filename (dirs[i], program, NULL);
      if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE) &&
          !g_file_test (candidate, G_FILE_TEST_IS_DIR))
        return g_steal_pointer (&candidate);
    }
  return NULL;
}

/* argv with argv[0] resolved on PATH (*program holds it); NULL with the
 * error naming the package when it is not installed. */
static const char **
resolve_argv (LabRunner *self, const char * const *argv, char **program, GError **error)
{
  guint argc = g_strv_length ((char **) argv);
  const char **resolved;

  *program = find_program (self, argv[0]);
  if (*program == NULL)
    {
      set_not_found_error (error, argv[0]);
      return NULL;
    }
  resolved = g_new0 (const char *, argc + 1);
  resolved[0] = *program;
  for (guint i = 1; i < argc; i++)
    resolved[i] = argv[i];
  return resolved;
}

static GSubprocessLauncher *
new_launcher (LabRunner *self, GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->env);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (value != NULL)
        g_subprocess_launcher_setenv (launcher, key, value, TRUE);
      else
        g_subprocess_launcher_unsetenv (launcher, key);
    }
  return launcher;
}

/* ---- running ----------------------------------------------------------- */

/* How long to keep reading after the command exited: a background process
 * it started (a daemon that did not close its inherited stdout) may hold
 * the pipes open forever. */
#define PIPE_GRACE_MS 2000

typedef struct {
  guint          pending;        /* outstanding async operations */
  gboolean       exited;
  gboolean       timed_out;
  gboolean       user_cancelled;
  gboolean       pipes_held;
  GCancellable  *op_cancel;
  GMainContext  *context;
  GSource       *grace;
  GOutputStream *out;
  GOutputStream *err;
  GError        *io_error;       /* first error that is not a cancellation */
} Communication;

static void
note_io_error (Communication *c, GError *error)
{
  if (error == NULL)
    return;
  if (c->io_error == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    c->io_error = error;
  else
    g_error_free (error);
}

static void
splice_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communication *c = user_data;
  GError *local_error = NULL;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &local_error);
  note_io_error (c, local_error);
  c->pending--;
}

static void
stdin_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communication *c = user_data;

  /* a command that does not read its input is not an error (EPIPE) */
  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  g_output_stream_close (G_OUTPUT_STREAM (source), NULL, NULL);
  c->pending--;
}

static gboolean
on_pipe_grace (gpointer user_data)
{
  Communication *c = user_data;

  c->pipes_held = TRUE;
  g_cancellable_cancel (c->op_cancel);
  return G_SOURCE_REMOVE;
}

static void
wait_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communication *c = user_data;
  GError *local_error = NULL;

  if (g_subprocess_wait_finish (G_SUBPROCESS (source), result, &local_error))
    {
      c->exited = TRUE;
      c->grace = g_timeout_source_new (PIPE_GRACE_MS);
      g_source_set_callback (c->grace, on_pipe_grace, c, NULL);
      g_source_attach (c->grace, c->context);
    }
  note_io_error (c, local_error);
  c->pending--;
}

static gboolean
on_timeout (gpointer user_data)
{
  Communication *c = user_data;

  if (!c->exited)
    {
      c->timed_out = TRUE;
      g_cancellable_cancel (c->op_cancel);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
on_user_cancel (GCancellable *cancellable, gpointer user_data)
{
  Communication *c = user_data;

  if (!c->exited)
    {
      c->user_cancelled = TRUE;
      g_cancellable_cancel (c->op_cancel);
    }
  return G_SOURCE_REMOVE;
}

static char *
memory_to_string (GOutputStream *stream)
{
  GMemoryOutputStream *mem = G_MEMORY_OUTPUT_STREAM (stream);
  gsize size = g_memory_output_stream_get_data_size (mem);

  if (size == 0)
    return g_strdup ("");
  return g_strndup (g_memory_output_stream_get_data (mem), size);
}

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_source_unref (*source);
  *source = NULL;
}

/* How long to wait for a child labctl killed (SIGKILL) to exit. */
#define KILL_WAIT_MS 5000

static void
killed_wait_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *finished = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *finished = TRUE;
}

static gboolean
on_killed_wait_timeout (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Kills proc and waits at most KILL_WAIT_MS for it to exit. FALSE when it
 * did not: a process in uninterruptible sleep (state D: I/O to a disk
 * whose backend no longer answers) does not die of SIGKILL until the I/O
 * ends, which may be never; g_subprocess_wait() would wait with it. */
static gboolean
kill_and_wait (GSubprocess *proc)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GCancellable) cancel = g_cancellable_new ();
  GSource *timeout = g_timeout_source_new (KILL_WAIT_MS);
  gboolean finished = FALSE;

  g_subprocess_force_exit (proc);
  g_main_context_push_thread_default (context);
  g_source_set_callback (timeout, on_killed_wait_timeout, cancel, NULL);
  g_source_attach (timeout, context);
  g_subprocess_wait_async (proc, cancel, killed_wait_done, &finished);
  while (!finished)
    g_main_context_iteration (context, TRUE);
  destroy_source (&timeout);
  g_main_context_pop_thread_default (context);
  return !g_cancellable_is_cancelled (cancel);
}

static gboolean
run_real (LabRunner          *self,
          const char * const *argv,
          const char         *stdin_text,
          guint               timeout_ms,
          int                *status_out,
          char              **out_stdout,
          char              **out_stderr,
          gboolean           *pipes_held,
          GCancellable       *cancellable,
          GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GCancellable) op_cancel = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GOutputStream) err = NULL;
  g_autoptr(GError) io_error = NULL;
  g_autofree char *program = NULL;
  g_autofree const char **resolved = NULL;
  GSource *timeout_source = NULL;
  GSource *cancel_source = NULL;
  Communication c = { 0 };
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
  GOutputStreamSpliceFlags splice_flags = G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE |
                                          G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET;

  resolved = resolve_argv (self, argv, &program, error);
  if (resolved == NULL)
    return FALSE;

  if (stdin_text != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;

  launcher = new_launcher (self, flags);
  proc = g_subprocess_launcher_spawnv (launcher, resolved, error);
  if (proc == NULL)
    return FALSE;

  /* A private main context: the timeout and the user's cancellable work
   * whatever the caller's thread is doing. */
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  op_cancel = g_cancellable_new ();
  out = g_memory_output_stream_new_resizable ();
  err = g_memory_output_stream_new_resizable ();
  c.op_cancel = op_cancel;
  c.context = context;
  if (timeout_ms > 0)
    {
      timeout_source = g_timeout_source_new (timeout_ms);
      g_source_set_callback (timeout_source, on_timeout, &c, NULL);
      g_source_attach (timeout_source, context);
    }
  if (cancellable != NULL)
    {
      cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (cancel_source, G_SOURCE_FUNC (on_user_cancel), &c, NULL);
      g_source_attach (cancel_source, context);
    }

  c.pending = 3;
  g_output_stream_splice_async (out, g_subprocess_get_stdout_pipe (proc), splice_flags,
                                G_PRIORITY_DEFAULT, op_cancel, splice_done, &c);
  g_output_stream_splice_async (err, g_subprocess_get_stderr_pipe (proc), splice_flags,
                                G_PRIORITY_DEFAULT, op_cancel, splice_done, &c);
  g_subprocess_wait_async (proc, op_cancel, wait_done, &c);
  if (stdin_text != NULL)
    {
      c.pending++;
      g_output_stream_write_all_async (g_subprocess_get_stdin_pipe (proc), stdin_text,
                                       strlen (stdin_text), G_PRIORITY_DEFAULT, op_cancel,
                                       stdin_done, &c);
    }
  while (c.pending > 0)
    g_main_context_iteration (context, TRUE);

  destroy_source (&timeout_source);
  destroy_source (&cancel_source);
  destroy_source (&c.grace);
  g_main_context_pop_thread_default (context);
  io_error = c.io_error;

  if (!c.exited)
    {
      gboolean gone = kill_and_wait (proc);

      if (!gone)
        {
          const char *id = g_subprocess_get_identifier (proc);

          /* the step ends here; the process stays until its I/O ends */
          g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                       _("%s (pid %s) did not finish within %.1f s; labctl killed it, but it has not "
                         "exited %u s later: it is stuck in the kernel (state D), most likely waiting "
                         "for a disk whose backend no longer answers (a FUSE export or iSCSI target "
                         "that was stopped). labctl no longer waits for it; see ps -o pid,stat,wchan "
                         "-p %s, and restart that backend (or umount -l its export) to free it"),
                       argv[0], id != NULL ? id : "?", timeout_ms / 1000.0, KILL_WAIT_MS / 1000,
                       id != NULL ? id : "?");
        }
      else if (c.timed_out)
        g_set_error (error, LAB_ERROR, LAB_ERROR_TIMEOUT,
                     _("%s did not finish within %.1f s and was stopped"),
                     argv[0], timeout_ms / 1000.0);
      else if (c.user_cancelled)
        g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED,
                     _("%s was interrupted"), argv[0]);
      else
        g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                     _("Cannot talk to %s: %s"), argv[0],
                     io_error != NULL ? io_error->message : _("unknown error"));
      return FALSE;
    }

  if (g_subprocess_get_if_exited (proc))
    *status_out = g_subprocess_get_exit_status (proc);
  else if (g_subprocess_get_if_signaled (proc))
    *status_out = 128 + g_subprocess_get_term_sig (proc);
  else
    *status_out = 255;
  *out_stdout = memory_to_string (out);
  *out_stderr = memory_to_string (err);
  *pipes_held = c.pipes_held;
  return TRUE;
}

static Expectation *
take_expectation (LabRunner *self, const char *line)
{
  for (GList *l = self->expectations.head; l != NULL; l = l->next)
    {
      Expectation *e = l->data;

      if (g_str_has_prefix (line, e->prefix))
        {
          g_queue_delete_link (&self->expectations, l);
          return e;
        }
    }
  return NULL;
}

gboolean
lab_runner_run_full (LabRunner          *self,
                     const char * const *argv,
                     LabRunFlags         flags,
                     const char         *stdin_text,
                     guint               timeout_ms,
                     int                *exit_status,
                     char              **out_stdout,
                     char              **out_stderr,
                     GCancellable       *cancellable,
                     GError            **error)
{
  g_autofree char *line = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *mode_tag = "";
  gint64 start;
  int status = 0;

  g_return_val_if_fail (LAB_IS_RUNNER (self), FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error (error, LAB_ERROR, LAB_ERROR_CANCELLED, _("%s was not started: interrupted"), argv[0]);
      return FALSE;
    }

  if ((flags & LAB_RUN_DETACH) != 0)
    {
      if (!lab_runner_spawn_daemon (self, argv, NULL, NULL, error))
        return FALSE;
      if (exit_status != NULL)
        *exit_status = 0;
      if (out_stdout != NULL)
        *out_stdout = g_strdup ("");
      if (out_stderr != NULL)
        *out_stderr = g_strdup ("");
      return TRUE;
    }

  line = lab_runner_format_argv (self, argv);
  g_ptr_array_add (self->recorded, g_strdup (line));
  start = g_get_monotonic_time ();

  if (self->mode == LAB_RUNNER_MODE_RECORD)
    {
      Expectation *e = take_expectation (self, line);

      mode_tag = "(record) ";
      if (e != NULL)
        {
          status = e->exit_status;
          out = g_steal_pointer (&e->stdout_text);
          err = g_steal_pointer (&e->stderr_text);
          expectation_free (e);
        }
      else
        {
          out = g_strdup ("");
          err = g_strdup ("");
        }
    }
  else if (self->mode == LAB_RUNNER_MODE_DRY_RUN && (flags & LAB_RUN_QUERY) == 0)
    {
      g_autofree char *entry = g_strdup_printf ("(dry-run) $ %s\n", line);

      echo_line (self, line);
      write_log (self, entry);
      out = g_strdup ("");
      err = g_strdup ("");
      if (exit_status != NULL)
        *exit_status = 0;
      if (out_stdout != NULL)
        *out_stdout = g_steal_pointer (&out);
      if (out_stderr != NULL)
        *out_stderr = g_steal_pointer (&err);
      return TRUE;
    }
  else
    {
      g_autoptr(GError) local_error = NULL;
      gboolean pipes_held = FALSE;

      if (!run_real (self, argv, stdin_text, timeout_ms, &status, &out, &err,
                     &pipes_held, cancellable, &local_error))
        {
          g_autofree char *entry = g_strdup_printf ("$ %s\n  not run or not finished: %s\n",
                                                    line, local_error->message);
          write_log (self, entry);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (pipes_held)
        {
          g_autofree char *entry = g_strdup_printf ("$ %s\n  exited, but a background process it started "
                                                    "still holds its output open; output read so far:\n",
                                                    line);
          write_log (self, entry);
        }
    }

  log_result (self, line, mode_tag, status,
              (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC,
              flags, out, err);

  if (status != 0 && exit_status == NULL)
    {
      g_autofree char *message = redact (self, *err != '\0' ? err : out);

      g_strstrip (message);
      if (*message == '\0')
        g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                     _("%s failed (exit %d) without a message"), argv[0], status);
      else
        g_set_error (error, LAB_ERROR, LAB_ERROR_TOOL,
                     _("%s failed (exit %d): %s"), argv[0], status, message);
      return FALSE;
    }

  if (exit_status != NULL)
    *exit_status = status;
  if (out_stdout != NULL)
    *out_stdout = g_steal_pointer (&out);
  if (out_stderr != NULL)
    *out_stderr = g_steal_pointer (&err);
  return TRUE;
}

gboolean
lab_runner_run (LabRunner          *self,
                const char * const *argv,
                LabRunFlags         flags,
                char              **out_stdout,
                GError            **error)
{
  return lab_runner_run_full (self, argv, flags, NULL, 0, NULL, out_stdout, NULL, NULL, error);
}

gboolean
lab_runner_runv (LabRunner   *self,
                 LabRunFlags  flags,
                 char       **out_stdout,
                 GError     **error,
                 const char  *argv0,
                 ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;
  const char *arg;

  g_ptr_array_add (args, (gpointer) argv0);
  va_start (ap, argv0);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  return lab_runner_run (self, (const char * const *) args->pdata, flags, out_stdout, error);
}

gboolean
lab_runner_run_interactive (LabRunner *self, const char * const *argv, int *exit_status, GError **error)
{
  g_autofree char *line = NULL;
  g_autofree char *program = NULL;
  g_autofree const char **resolved = NULL;
  g_autofree char *entry = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;

  g_return_val_if_fail (LAB_IS_RUNNER (self), FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  line = lab_runner_format_argv (self, argv);
  g_ptr_array_add (self->recorded, g_strdup (line));
  *exit_status = 0;
  if (self->mode != LAB_RUNNER_MODE_REAL)
    {
      echo_line (self, line);
      return TRUE;
    }
  resolved = resolve_argv (self, argv, &program, error);
  if (resolved == NULL)
    return FALSE;
  /* the terminal's: stdin, stdout and stderr inherited */
  launcher = new_launcher (self, G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  proc = g_subprocess_launcher_spawnv (launcher, resolved, error);
  if (proc == NULL || !g_subprocess_wait (proc, NULL, error))
    return FALSE;
  if (g_subprocess_get_if_exited (proc))
    *exit_status = g_subprocess_get_exit_status (proc);
  else
    *exit_status = 128 + g_subprocess_get_term_sig (proc);
  entry = g_strdup_printf ("$ %s\n  (interactive) exit %d\n", line, *exit_status);
  write_log (self, entry);
  return TRUE;
}

/* ---- daemons ----------------------------------------------------------- */

static void
child_setsid (gpointer user_data)
{
  setsid ();
}

gboolean
lab_runner_spawn_daemon (LabRunner          *self,
                         const char * const *argv,
                         const char         *log_file,
                         GPid               *out_pid,
                         GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *line = NULL;
  g_autofree char *program = NULL;
  g_autofree const char **resolved = NULL;
  g_autofree char *entry = NULL;
  int fd;
  GPid pid;

  g_return_val_if_fail (LAB_IS_RUNNER (self), FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);

  line = lab_runner_format_argv (self, argv);
  g_ptr_array_add (self->recorded, g_strdup (line));
  if (out_pid != NULL)
    *out_pid = 0;

  if (self->mode != LAB_RUNNER_MODE_REAL)
    {
      if (self->mode == LAB_RUNNER_MODE_DRY_RUN)
        echo_line (self, line);
      entry = g_strdup_printf ("(%s) $ %s &\n",
                               self->mode == LAB_RUNNER_MODE_DRY_RUN ? "dry-run" : "record", line);
      write_log (self, entry);
      return TRUE;
    }

  resolved = resolve_argv (self, argv, &program, error);
  if (resolved == NULL)
    return FALSE;

  if (log_file != NULL)
    fd = open (log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  else
    fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, LAB_ERROR, LAB_ERROR_FAILED,
                   _("Cannot open the log file %s for %s: %s"),
                   log_file != NULL ? log_file : "/dev/null", argv[0], g_strerror (saved));
      return FALSE;
    }

  launcher = new_launcher (self, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_take_stdout_fd (launcher, fd);
  g_subprocess_launcher_set_child_setup (launcher, child_setsid, NULL, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, resolved, error);
  if (proc == NULL)
    {
      entry = g_strdup_printf ("$ %s &\n  not started: %s\n", line, (*error)->message);
      write_log (self, entry);
      return FALSE;
    }

  /* GSubprocess keeps a child watch: the daemon is reaped when it exits,
   * even after the object is gone. */
  pid = (GPid) g_ascii_strtoll (g_subprocess_get_identifier (proc), NULL, 10);
  entry = g_strdup_printf ("$ %s &\n  started, pid %d, output in %s\n",
                           line, (int) pid, log_file != NULL ? log_file : "/dev/null");
  write_log (self, entry);
  if (out_pid != NULL)
    *out_pid = pid;
  return TRUE;
}

/* ---- process state ----------------------------------------------------- */

gboolean
lab_process_alive (GPid pid)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  const char *paren;

  if (pid <= 0)
    return FALSE;
  path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  /* "pid (comm) S ...": comm may contain spaces and parentheses */
  paren = strrchr (contents, ')');
  if (paren == NULL || paren[1] == '\0' || paren[2] == '\0')
    return FALSE;
  return paren[2] != 'Z' && paren[2] != 'X' && paren[2] != 'x';
}

gboolean
lab_process_is (GPid pid, const char *name)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/comm", (int) pid);
  g_autofree char *comm = NULL;

  if (pid <= 0 || !lab_process_alive (pid))
    return FALSE;
  if (!g_file_get_contents (path, &comm, NULL, NULL))
    return FALSE;
  g_strstrip (comm);
  return g_str_has_prefix (comm, name);
}

void
lab_process_stop (GPid pid, const char *name, guint timeout_ms)
{
  if (!lab_process_is (pid, name))
    return;
  kill (pid, SIGTERM);
  if (!lab_process_wait_gone (pid, timeout_ms))
    {
      kill (pid, SIGKILL);
      lab_process_wait_gone (pid, 5000);
    }
}

gboolean
lab_process_wait_gone (GPid pid, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gulong delay = 1000;

  while (lab_process_alive (pid))
    {
      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      g_usleep (delay);
      delay = MIN (delay * 2, 50000);
    }
  return TRUE;
}
