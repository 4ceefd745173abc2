/* dview_lab.h — the lab view (lesson 7), reachable without a lesson block
 * for tests and the benchmark: a view made from settings directly (a tiny
 * in-memory base model, say) and its demo. The view itself is the table
 * entry dview_lab in dview.h. */
#ifndef LS_VIEW_DVIEW_LAB_H
#define LS_VIEW_DVIEW_LAB_H

#include "../demo/demo_lab.h"
#include "dview.h"

/* A lab view for these settings (the lesson's parameters resolved). */
void *lab_view_new(const LabDemoSettings *s);
/* Its demo (state, snapshot, unit times). */
LabDemo *lab_view_demo(void *view);

#endif
