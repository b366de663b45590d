/* lab-test-fs.c: files and trees the tests make and remove. */
#include "config.h"

#include "lab-test-fs.h"

#include <glib/gstdio.h>

void
lab_test_write_file (const char *root, const char *rel, const char *content, int mode)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
  if (mode >= 0)
    g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

void
lab_test_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        lab_test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}
