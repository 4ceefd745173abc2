/* dview.c — the table of demo views and the helpers they share. */
#include "dview.h"

#include <string.h>

const DemoViewOps *const dview_table[] = {
    &dview_matrix, &dview_rowreduce, &dview_rank_noise, &dview_svd,
    &dview_spectrum, &dview_lora_cost,
    &dview_bits, &dview_number_line, &dview_arith, &dview_sum, &dview_precision,
    &dview_quant, &dview_quant_memory, &dview_quant_loss,
    &dview_lora_shapes, &dview_lora_merge, &dview_lora_delta, &dview_lora_scale, &dview_lora_similarity, &dview_lab_compare,
    &dview_prefix_attention, &dview_prefix_cost, &dview_lab, NULL,
};

const DemoViewOps *dview_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; dview_table[i]; i++)
        if (strcmp(dview_table[i]->name, name) == 0) return dview_table[i];
    return NULL;
}

bool rect_has(Rect r, int y, int x)
{
    return y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w;
}

int dview_slider_key(Slider *s, Action act)
{
    bool changed;
    switch (act) {
    case ACT_INC: changed = slider_step(s, +1, false); break;
    case ACT_DEC: changed = slider_step(s, -1, false); break;
    case ACT_INC_BIG: changed = slider_step(s, +1, true); break;
    case ACT_DEC_BIG: changed = slider_step(s, -1, true); break;
    case ACT_MIN: changed = slider_set(s, s->min); break;
    case ACT_MAX: changed = slider_set(s, s->max); break;
    default: return 0;
    }
    return EV_HANDLED | (changed ? EV_REDRAW : 0);
}

int dview_slider_mouse(Slider *s, const SliderHit *hit, const MouseEvent *ev, bool captured)
{
    if (hit->w <= 0) return 0;
    bool on_track = ev->y == hit->y && ev->x >= hit->x - 1 && ev->x <= hit->x + hit->w;
    if (ev->kind == MOUSE_PRESS && !on_track) return 0;
    if (ev->kind == MOUSE_DRAG && !captured && !on_track) return 0;
    if (ev->kind != MOUSE_PRESS && ev->kind != MOUSE_DRAG) return 0;
    int col = ev->x - hit->x;
    if (col < 0) col = 0;
    if (col >= hit->w) col = hit->w - 1;
    bool changed = slider_set(s, slider_value_at_col(s, col, hit->w));
    return EV_HANDLED | (changed ? EV_REDRAW : 0);
}
