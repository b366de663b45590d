/* lab-i18n.c: text domain set-up. */
#include "lab-i18n.h"

#include <locale.h>

#include "lab-paths.h"

void
lab_i18n_init (void)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, lab_paths_locale_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
