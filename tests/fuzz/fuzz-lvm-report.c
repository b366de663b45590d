/* fuzz-lvm-report.c: the parsers of LVM's JSON reports (pvs, vgs, lvs
 * --reportformat json) and of `blkid -p -o export` (storage/lab-lvm.c).
 * One input goes to all of them: they share report_rows(). */
#include "config.h"

#include "fuzz.h"
#include "lab-lvm.h"

static void
check (GPtrArray *rows, GError *error)
{
  g_assert ((rows == NULL) == (error != NULL));
  if (rows != NULL)
    g_ptr_array_unref (rows);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_text (data, size);
  g_autofree char *type = NULL;
  GPtrArray *rows;

  fuzz_setup ();
  {
    g_autoptr(GError) error = NULL;
    rows = lab_lvm_parse_pvs (text, &error);
    for (guint i = 0; rows != NULL && i < rows->len; i++)
      lab_lvm_has_tag (((LabLvmPv *) g_ptr_array_index (rows, i))->tags, "labctl:fuzz");
    check (rows, error);
  }
  {
    g_autoptr(GError) error = NULL;
    rows = lab_lvm_parse_vgs (text, &error);
    lab_lvm_find_vg (rows, "vg_iscsi");
    check (rows, error);
  }
  {
    g_autoptr(GError) error = NULL;
    rows = lab_lvm_parse_lvs (text, &error);
    lab_lvm_find_lv (rows, "lv_node1");
    for (guint i = 0; rows != NULL && i < rows->len; i++)
      lab_lvm_has_tag (((LabLvmLv *) g_ptr_array_index (rows, i))->vg_tags, "labctl:fuzz");
    check (rows, error);
  }
  type = lab_lvm_parse_blkid (text);
  return 0;
}
