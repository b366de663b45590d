/* lab-paths.h: where labctl finds its shipped data. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The directory holding recipes/, iso-cache/, lab-guides/:
 * $LABCTL_DATA_DIR if set; the source tree when running from the build
 * tree; the installed pkgdatadir otherwise. */
const char *lab_paths_data_dir (void);
/* The directory of the message catalogues (<dir>/<lang>/LC_MESSAGES/
 * labctl.mo): $LABCTL_LOCALEDIR if set; the build tree's po/ when running
 * from the build tree; the installed locale directory otherwise. */
const char *lab_paths_locale_dir (void);
/* lab_paths_data_dir()/<first>/<...>, NULL-terminated. */
char       *lab_paths_data_file (const char *first, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
