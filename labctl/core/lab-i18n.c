/* lab-i18n.c: text domain set-up. */
#include "lab-i18n.h"

#include <locale.h>

void
lab_i18n_init (void)
{
  const char *dir = g_getenv ("LABCTL_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, dir != NULL && *dir != '\0' ? dir : LABCTL_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
