/* fuzz-iscsi.c: the parsers of iscsiadm's output (storage/lab-iscsi.c):
 * `iscsiadm -m session` and the reading of a failure's stderr. */
#include "config.h"

#include "fuzz.h"
#include "lab-iscsi.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = fuzz_text (data, size);
  g_autoptr(GPtrArray) sessions = NULL;

  fuzz_setup ();
  sessions = lab_iscsi_parse_sessions (text);
  g_assert (sessions != NULL);
  for (guint i = 0; i < sessions->len; i++)
    {
      LabIscsiSession *s = g_ptr_array_index (sessions, i);
      g_assert (s->portal != NULL && s->iqn != NULL);
    }
  /* the exit codes iscsiadm gives for a missing driver and others */
  lab_iscsi_is_driver_missing (12, text);
  lab_iscsi_is_driver_missing (size > 0 ? data[0] : 0, text);
  return 0;
}
