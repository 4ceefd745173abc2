/* dview.h — one view per demo kind: how a running demo looks and reacts.
 *
 * A view owns its demo (created through src/demo's table from the lesson's
 * resolved parameters) and its controls (sliders, grids, steppers). The page
 * asks it how tall it is at a width, lets it draw into the page canvas, and
 * routes keys and mouse events to it when one of its controls has focus.
 * Views record where they drew their controls (in canvas coordinates) so a
 * click can find them. The table of views is data, keyed by demo name. */
#ifndef LS_VIEW_DVIEW_H
#define LS_VIEW_DVIEW_H

#include "../lesson/demo_schema.h"
#include "event.h"
#include "grid.h"
#include "keys.h"
#include "slider.h"
#include "widgets.h"

struct LabKeep;

typedef struct DemoViewOps {
    const char *name;   /* the demo name: "svd" */
    /* Start the demo from resolved parameters; NULL with st set on failure. */
    void *(*create)(const DemoArgs *args, Status *st);
    void (*destroy)(void *self);
    /* Rows needed at this width. */
    int (*height)(void *self, int width, const ViewEnv *env);
    /* Draw into r of the page canvas; focus = focused control or -1. */
    void (*draw)(void *self, Grid *g, Rect r, const ViewEnv *env, int focus);
    int (*n_controls)(void *self);
    /* A key for control `control` (act is what the keymap says it means).
     * Returns EV_* flags; 0 lets the page handle it. */
    int (*key)(void *self, int control, int key, Action act);
    /* A mouse event in canvas coordinates: returns EV_* flags, and the
     * control it hit in *control (or -1). */
    int (*mouse)(void *self, const MouseEvent *ev, int *control);
    /* A short line for the status bar while `control` has focus. */
    const char *(*hint)(void *self, int control);
    /* Canvas rows of control `control`'s last drawing, for scrolling to it. */
    int (*control_row)(void *self, int control);
    /* Optional, for demos with work running (training): true while the view
     * wants tick calls; the loop then polls input without waiting. */
    bool (*busy)(void *self);
    /* Optional: do about budget_ms of that work (between input polls);
     * returns EV_* flags (EV_REDRAW when something to show changed). */
    int (*tick)(void *self, double budget_ms);
    /* Optional: the session's kept lab runs (src/demo/lab_keep.h), given
     * once after create (NULL: none kept). */
    void (*keep)(void *self, struct LabKeep *keep);
} DemoViewOps;

/* NULL-terminated table. */
extern const DemoViewOps *const dview_table[];
const DemoViewOps *dview_find(const char *name);

/* The views, one per file. */
extern const DemoViewOps dview_svd;
extern const DemoViewOps dview_spectrum;
extern const DemoViewOps dview_matrix;
extern const DemoViewOps dview_rowreduce;
extern const DemoViewOps dview_rank_noise;
extern const DemoViewOps dview_lora_cost;
extern const DemoViewOps dview_bits;
extern const DemoViewOps dview_number_line;
extern const DemoViewOps dview_arith;
extern const DemoViewOps dview_sum;
extern const DemoViewOps dview_precision;
extern const DemoViewOps dview_quant;
extern const DemoViewOps dview_quant_memory;
extern const DemoViewOps dview_quant_loss;
extern const DemoViewOps dview_lora_shapes;
extern const DemoViewOps dview_lora_merge;
extern const DemoViewOps dview_lora_delta;
extern const DemoViewOps dview_lora_scale;
extern const DemoViewOps dview_lora_similarity;
extern const DemoViewOps dview_lab_compare;
extern const DemoViewOps dview_prefix_attention;
extern const DemoViewOps dview_prefix_cost;
extern const DemoViewOps dview_lab;

/* ---- helpers shared by the views ---- */

/* A slider action (ACT_INC, ACT_DEC_BIG, ACT_MIN, ...) applied to s:
 * EV_HANDLED | EV_REDRAW when the value changed, EV_HANDLED when it was a
 * slider action at the end of the range, 0 when act is not one. */
int dview_slider_key(Slider *s, Action act);
/* A mouse event on a slider drawn at hit: press or drag on the track row
 * (drag anywhere) sets the value under the column. */
int dview_slider_mouse(Slider *s, const SliderHit *hit, const MouseEvent *ev, bool captured);
/* Is (y, x) inside r? */
bool rect_has(Rect r, int y, int x);

#endif
