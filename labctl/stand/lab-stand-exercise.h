/* lab-stand-exercise.h: the exercises (exercises/lab-exercise.h) on a
 * stand, each verb that may take long in a worker thread
 * (lab_stand_run_in_thread) so that Ctrl+C cancels it; and the class
 * report. What `labctl exercise` and `labctl class` use.
 */
#pragma once

#include "lab-class-report.h"
#include "lab-exercise.h"
#include "lab-stand.h"

G_BEGIN_DECLS

/* The exercise called name, or LAB_ERROR_USAGE naming the exercises. */
const LabExercise *lab_stand_exercise_find   (const char *name,
                                              GError    **error);
/* The names of the exercises, NULL-terminated (static). */
const char       **lab_stand_exercise_names  (void);

JsonNode          *lab_stand_exercise_list   (LabStand   *stand);
/* The task, and the guide's path in *out_guide (NULL when not shipped). */
char              *lab_stand_exercise_start  (LabStand          *stand,
                                              const LabExercise *exercise,
                                              char             **out_guide,
                                              GError           **error);
/* answers: the storage exercise's answers file (NULL: its default). */
LabExerciseReport *lab_stand_exercise_check  (LabStand          *stand,
                                              const LabExercise *exercise,
                                              const char        *answers,
                                              GError           **error);
gboolean           lab_stand_exercise_finish (LabStand          *stand,
                                              const LabExercise *exercise,
                                              GError           **error);
/* Finishes every started exercise (`down` does it before its steps). */
gboolean           lab_stand_exercise_finish_all (LabStand  *stand,
                                                  GError   **error);
/* The watcher (until SIGTERM). */
gboolean           lab_stand_exercise_watch  (LabStand          *stand,
                                              const LabExercise *exercise,
                                              GError           **error);

/* The class report of the results under dir, rendered; with json the
 * report itself (JSON text) instead. */
char              *lab_stand_class_report    (const char           *dir,
                                              LabClassReportFormat  format,
                                              gboolean              json,
                                              GError              **error);

/* The class report of the seats listed in the hosts file, fetched over
 * ssh (lab_class_report_fetch) into save_dir (NULL: a temporary
 * directory, removed afterwards). */
char              *lab_stand_class_report_hosts (const char                 *hosts,
                                                 const LabClassFetchOptions *options,
                                                 const char                 *save_dir,
                                                 LabClassReportFormat        format,
                                                 gboolean                    json,
                                                 GError                    **error);

G_END_DECLS
