/* lab-error.c: the LAB_ERROR domain. */
#include "config.h"

#include "lab-error.h"

#include <gio/gio.h>

G_DEFINE_QUARK (lab-error-quark, lab_error)

int
lab_error_to_exit_code (const GError *error)
{
  if (error == NULL)
    return LAB_EXIT_OK;
  if (error->domain == G_OPTION_ERROR)
    return LAB_EXIT_USAGE;
  if (error->domain == LAB_ERROR)
    {
      switch ((LabErrorCode) error->code)
        {
        case LAB_ERROR_USAGE:
          return LAB_EXIT_USAGE;
        case LAB_ERROR_PERMISSION:
          return LAB_EXIT_PERMISSION;
        case LAB_ERROR_INCOMPLETE:
          return LAB_EXIT_INCOMPLETE;
        case LAB_ERROR_CANCELLED:
          return LAB_EXIT_CANCELLED;
        case LAB_ERROR_BUSY:
          return LAB_EXIT_BUSY;
        default:
          return LAB_EXIT_FAILURE;
        }
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return LAB_EXIT_CANCELLED;
  return LAB_EXIT_FAILURE;
}
