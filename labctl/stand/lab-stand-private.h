/* lab-stand-private.h: the stand's own steps, for lab-stand.c's plan. */
#pragma once

#include "lab-plan.h"

G_BEGIN_DECLS

/* "check.host" (lab-stand-check.c) */
void  lab_stand_add_check_steps (LabPlan    *plan,
                                 LabContext *ctx);
/* "stand.ready" (lab-stand-ready.c) */
void  lab_stand_add_ready_steps (LabPlan    *plan,
                                 LabContext *ctx);

G_END_DECLS
