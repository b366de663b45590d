/* lab-i18n.h: gettext macros for the core and the CLI. */
#pragma once

#include "config.h"

#include <glib/gi18n.h>

G_BEGIN_DECLS

/* Binds the text domain to lab_paths_locale_dir (): $LABCTL_LOCALEDIR,
 * the build tree's po/ when running from the build tree, or the installed
 * locale directory. */
void lab_i18n_init (void);

G_END_DECLS
