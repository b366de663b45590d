/* lab-test-fs.h: files and trees the tests make and remove. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* root/rel with content (its directories made 0755); mode -1: as created. */
void lab_test_write_file  (const char *root,
                           const char *rel,
                           const char *content,
                           int         mode);
/* Removes path and everything below it; symbolic links are removed, never
 * followed. */
void lab_test_remove_tree (const char *path);

G_END_DECLS
