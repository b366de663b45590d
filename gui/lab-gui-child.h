/* lab-gui-child.h: a labctl child with --progress=json, read as it runs.
 *
 * The GUI's one place that starts processes (the layer rule allows it
 * beside core/lab-runner: LabRunner waits for a command and hands back its
 * whole output, the GUI needs each line as it comes, from the main loop).
 * Privileged commands run as `pkexec labctl ...` (the polkit policy
 * example.labctl.policy has an action per verb); the GUI itself never
 * runs as root. Cancel closes the child's stdin, which labctl takes as
 * SIGTERM (the state is saved; the next run resumes).
 */
#pragma once

#include <sys/types.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _LabGuiChild LabGuiChild;

/* one event of the stream (HACKING.md, "The progress stream") */
typedef void (*LabGuiChildEventFunc) (JsonObject *event,
                                      gpointer    user_data);
/* the child ended: its exit status and what it wrote on stderr */
typedef void (*LabGuiChildDoneFunc)  (int         exit_status,
                                      const char *stderr_text,
                                      gpointer    user_data);

/* The labctl the GUI runs: $LABCTL, else the installed one. */
const char  *lab_gui_child_labctl  (void);

/* The command line of a labctl child: labctl ARGS... --progress=json,
 * through pkexec when privileged and euid is not root's (a process that
 * is root already runs labctl itself). */
char       **lab_gui_child_argv    (const char * const   *args,
                                    gboolean              privileged,
                                    uid_t                 euid);
/* Starts lab_gui_child_argv (args, privileged, geteuid ()).
 * The callbacks run in the main context; done once, last. */
LabGuiChild *lab_gui_child_start   (const char * const   *args,
                                    gboolean              privileged,
                                    LabGuiChildEventFunc  on_event,
                                    LabGuiChildDoneFunc   on_done,
                                    gpointer              user_data,
                                    GError              **error);
/* Asks the child to stop safely (closes its stdin). */
void         lab_gui_child_cancel  (LabGuiChild *child);
gboolean     lab_gui_child_running (LabGuiChild *child);
/* Starts a program of the desktop (virt-viewer) and leaves it running. */
gboolean     lab_gui_child_launch  (const char * const   *argv,
                                    GError              **error);

G_END_DECLS
