/* lab-error.h: the one error domain of labctl.
 *
 * Every message says what failed, why, and what to do about it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LAB_ERROR (lab_error_quark ())
GQuark lab_error_quark (void);

typedef enum {
  LAB_ERROR_FAILED,        /* generic failure */
  LAB_ERROR_USAGE,         /* bad command line: the CLI exits 2 */
  LAB_ERROR_RECIPE,        /* recipe parse or validation error (file:line: key: problem; hint) */
  LAB_ERROR_STATE,         /* state file corrupt or from a newer labctl */
  LAB_ERROR_NOT_FOUND,     /* a file, device, domain ... that should be there is not */
  LAB_ERROR_EXISTS,        /* already exists with other settings */
  LAB_ERROR_FOREIGN,       /* exists but labctl did not create it: never touched */
  LAB_ERROR_PERMISSION,    /* needs root / libvirt group */
  LAB_ERROR_TOOL,          /* an external command failed (message quotes its stderr) */
  LAB_ERROR_TIMEOUT,       /* waited too long */
  LAB_ERROR_UNSUPPORTED,   /* this host cannot do it */
  LAB_ERROR_NO_SPACE,      /* not enough disk or memory */
  LAB_ERROR_LIBVIRT,       /* libvirt API error (message quotes libvirt) */
  LAB_ERROR_CANCELLED,     /* interrupted by the user */
  LAB_ERROR_CHECK_FAILED,  /* a preflight check failed */
  LAB_ERROR_BUSY,          /* another labctl is changing the lab (lab-lock.h): the CLI exits 5 */
  LAB_ERROR_INCOMPLETE,    /* an exercise check could not run every step (none failed): exit 3 */
} LabErrorCode;

/* Exit codes of the labctl executable (documented in labctl(1)). */
typedef enum {
  LAB_EXIT_OK = 0,
  LAB_EXIT_FAILURE = 1,
  LAB_EXIT_USAGE = 2,
  LAB_EXIT_NOT_UP = 3,       /* `status`: the lab is not (completely) up, as `systemctl is-active` */
  LAB_EXIT_INCOMPLETE = 3,    /* `exercise check`: no step failed, some could not be checked */
  LAB_EXIT_PERMISSION = 4,
  LAB_EXIT_BUSY = 5,         /* another labctl holds the lab's lock */
  LAB_EXIT_CANCELLED = 130,
} LabExitCode;

int lab_error_to_exit_code (const GError *error);

G_END_DECLS
