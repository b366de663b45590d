/* lab-i18n.h: gettext macros for the core and the CLI. */
#pragma once

#include "config.h"

#include <glib/gi18n.h>

G_BEGIN_DECLS

/* Binds the text domain. Honours LABCTL_LOCALEDIR (the build tree's po/
 * directory in tests) before the installed locale directory. */
void lab_i18n_init (void);

G_END_DECLS
