/* lab-gui-child.c: labctl children and their JSON progress stream. */
#include "config.h"

#include "lab-gui-child.h"

#include <string.h>
#include <unistd.h>

struct _LabGuiChild {
  GSubprocess          *proc;
  GDataInputStream     *lines;
  GOutputStream        *err_buf;       /* GMemoryOutputStream */
  GCancellable         *cancellable;
  LabGuiChildEventFunc  on_event;
  LabGuiChildDoneFunc   on_done;
  gpointer              user_data;
  gboolean              stdout_done, stderr_done, exited;
  int                   exit_status;
};

const char *
lab_gui_child_labctl (void)
{
  const char *env = g_getenv ("LABCTL");

  return env != NULL && *env != '\0' ? env : LABCTL_BINDIR "/labctl";
}

static void
child_free (LabGuiChild *self)
{
  g_clear_object (&self->proc);
  g_clear_object (&self->lines);
  g_clear_object (&self->err_buf);
  g_clear_object (&self->cancellable);
  g_free (self);
}

/* once stdout, stderr and the exit are in */
static void
maybe_done (LabGuiChild *self)
{
  g_autofree char *err = NULL;
  gsize len;

  if (!self->stdout_done || !self->stderr_done || !self->exited)
    return;
  len = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (self->err_buf));
  err = g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (self->err_buf)), len);
  if (self->on_done != NULL)
    self->on_done (self->exit_status, err, self->user_data);
  child_free (self);
}

static void
on_line (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LabGuiChild *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (self->lines, res, NULL, &error);

  if (line == NULL)
    {
      self->stdout_done = TRUE;
      maybe_done (self);
      return;
    }
  if (*line != '\0')
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, line, -1, NULL) && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          if (self->on_event != NULL)
            self->on_event (json_node_get_object (json_parser_get_root (parser)), self->user_data);
        }
      else
        g_warning ("labctl wrote a line that is no JSON object: %s", line);
    }
  g_data_input_stream_read_line_async (self->lines, G_PRIORITY_DEFAULT, NULL, on_line, self);
}

static void
on_stderr (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LabGuiChild *self = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), res, NULL);
  self->stderr_done = TRUE;
  maybe_done (self);
}

static void
on_child_exit (GObject *source, GAsyncResult *res, gpointer user_data)
{
  LabGuiChild *self = user_data;

  g_subprocess_wait_finish (self->proc, res, NULL);
  self->exit_status = g_subprocess_get_if_exited (self->proc) ? g_subprocess_get_exit_status (self->proc) : 130;
  self->exited = TRUE;
  maybe_done (self);
}

char **
lab_gui_child_argv (const char * const *args, gboolean privileged, uid_t euid)
{
  GPtrArray *argv = g_ptr_array_new ();

  /* root already has the rights: pkexec would only ask polkit for them */
  if (privileged && euid != 0)
    g_ptr_array_add (argv, g_strdup ("pkexec"));
  g_ptr_array_add (argv, g_strdup (lab_gui_child_labctl ()));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, g_strdup ("--progress=json"));
  g_ptr_array_add (argv, NULL);
  return (char **) g_ptr_array_free (argv, FALSE);
}

LabGuiChild *
lab_gui_child_start (const char * const *args, gboolean privileged, LabGuiChildEventFunc on_event,
                     LabGuiChildDoneFunc on_done, gpointer user_data, GError **error)
{
  g_auto(GStrv) argv = lab_gui_child_argv (args, privileged, geteuid ());
  LabGuiChild *self;
  GSubprocess *proc;

  proc = g_subprocess_newv ((const char * const *) argv,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                            | G_SUBPROCESS_FLAGS_STDERR_PIPE, error);
  if (proc == NULL)
    return NULL;
  self = g_new0 (LabGuiChild, 1);
  self->proc = proc;
  self->on_event = on_event;
  self->on_done = on_done;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  self->lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  self->err_buf = g_memory_output_stream_new_resizable ();
  g_data_input_stream_read_line_async (self->lines, G_PRIORITY_DEFAULT, NULL, on_line, self);
  g_output_stream_splice_async (self->err_buf, g_subprocess_get_stderr_pipe (proc),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL, on_stderr, self);
  g_subprocess_wait_async (proc, NULL, on_child_exit, self);
  return self;
}

void
lab_gui_child_cancel (LabGuiChild *self)
{
  if (self == NULL || self->exited)
    return;
  g_output_stream_close (g_subprocess_get_stdin_pipe (self->proc), NULL, NULL);
}

gboolean
lab_gui_child_running (LabGuiChild *self)
{
  return self != NULL && !self->exited;
}

gboolean
lab_gui_child_launch (const char * const *argv, GError **error)
{
  g_autoptr(GSubprocess) proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, error);

  return proc != NULL;
}
