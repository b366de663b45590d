/* fuzz-tgt-show.c: the parser of `tgtadm --lld iscsi --op show --mode
 * target` (storage/lab-tgt.c), and the lookups on its records. */
#include "config.h"

#include "fuzz.h"
#include "lab-tgt.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_text (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = NULL;

  fuzz_setup ();
  targets = lab_tgt_parse_show (text, &error);
  g_assert ((targets == NULL) == (error != NULL));
  if (targets != NULL)
    {
      lab_tgt_find_free_tid (targets);
      lab_tgt_find_by_tid (targets, 1);
      for (guint i = 0; i < targets->len; i++)
        {
          LabTgtTarget *t = g_ptr_array_index (targets, i);

          g_assert (lab_tgt_find_by_iqn (targets, t->iqn) != NULL);
          lab_tgt_target_get_lun (t, 1);
          /* the ACL lines are split, none lost: names are valid names */
          g_assert (t->acl != NULL && t->acl_names != NULL);
          for (guint j = 0; t->acl_names[j] != NULL; j++)
            g_assert (lab_tgt_validate_initiator_name (t->acl_names[j], NULL));
          for (guint j = 0; t->acl[j] != NULL; j++)
            g_assert (!lab_tgt_validate_initiator_name (t->acl[j], NULL));
        }
    }
  return 0;
}
