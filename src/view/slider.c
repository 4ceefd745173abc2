/* slider.c — slider state (see slider.h). */
#include "slider.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void set_label(Slider *s, const char *label)
{
    snprintf(s->label, sizeof s->label, "%s", label ? label : "");
}

void slider_init_linear(Slider *s, const char *label, double min, double max, double value,
                        double step, double big, bool integer)
{
    memset(s, 0, sizeof *s);
    set_label(s, label);
    if (max < min) max = min;
    s->min = min;
    s->max = max;
    s->integer = integer;
    s->step = step > 0 ? step : (integer ? 1 : (max - min) / 100);
    if (big <= 0) {
        big = (max - min) / 10;
        if (integer) big = floor(big);
        if (big < s->step) big = s->step;
    }
    s->big = big;
    s->value = min;
    slider_set(s, value);
}

void slider_init_log(Slider *s, const char *label, double min, double max, double value,
                     double factor, double big_factor, bool integer)
{
    memset(s, 0, sizeof *s);
    set_label(s, label);
    if (!(min > 0)) min = 1e-9;
    if (max < min) max = min;
    s->min = min;
    s->max = max;
    s->log = true;
    s->integer = integer;
    s->step = factor > 1 ? factor : pow(10, 1.0 / 8);
    s->big = big_factor > 1 ? big_factor : pow(10, 0.5);
    s->value = min;
    slider_set(s, value);
}

bool slider_set(Slider *s, double v)
{
    if (isnan(v)) v = s->min;
    if (s->zero_floor && v < s->min * 0.999) v = 0;
    else if (v < s->min) v = s->min;
    if (v > s->max) v = s->max;
    if (s->integer) {
        v = floor(v + 0.5);
        /* Rounding must not leave the range (a range like [0.5, 2.5]). */
        if (v < s->min && !(s->zero_floor && v == 0)) v = ceil(s->min);
        if (v > s->max) v = floor(s->max);
    }
    bool changed = v != s->value;
    s->value = v;
    return changed;
}

bool slider_step(Slider *s, int dir, bool big)
{
    double old = s->value, v;
    if (dir == 0) return false;
    if (s->log && s->zero_floor && old == 0) {
        v = dir > 0 ? s->min : 0;
    } else if (s->log && s->zero_floor && dir < 0 && old <= s->min) {
        v = 0;
    } else if (s->log) {
        double f = big ? s->big : s->step;
        v = dir > 0 ? old * f : old / f;
    } else {
        v = old + dir * (big ? s->big : s->step);
    }
    slider_set(s, v);
    if (s->integer && s->value == old) slider_set(s, old + (dir > 0 ? 1 : -1));
    return s->value != old;
}

double slider_pos(const Slider *s)
{
    if (s->max <= s->min) return 0;
    double t;
    if (s->log && s->value <= s->min) t = 0;
    else if (s->log) t = log(s->value / s->min) / log(s->max / s->min);
    else t = (s->value - s->min) / (s->max - s->min);
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return t;
}

double slider_value_at_pos(const Slider *s, double t)
{
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    if (s->log && s->zero_floor && t == 0) return 0;
    double v = s->log ? s->min * pow(s->max / s->min, t) : s->min + t * (s->max - s->min);
    if (s->integer) v = floor(v + 0.5);
    if (v < s->min) v = s->min;
    if (v > s->max) v = s->max;
    return v;
}

double slider_value_at_col(const Slider *s, int col, int width)
{
    if (width <= 1) return s->min;
    return slider_value_at_pos(s, (double)col / (double)(width - 1));
}

int slider_knob_col(const Slider *s, int width)
{
    if (width <= 1) return 0;
    return (int)floor(slider_pos(s) * (width - 1) + 0.5);
}

void format_real(double v, char *buf, int size)
{
    double a = fabs(v);
    if (v == 0) snprintf(buf, (size_t)size, "0");
    else if (a < 1e-3 || a >= 1e5) snprintf(buf, (size_t)size, "%.2e", v);
    else if (a < 1) snprintf(buf, (size_t)size, "%.4f", v);
    else snprintf(buf, (size_t)size, "%.4g", v);
}

void slider_format(const Slider *s, char *buf, int size)
{
    char num[48];
    if (s->integer) snprintf(num, sizeof num, "%.0f", s->value);
    else format_real(s->value, num, (int)sizeof num);
    snprintf(buf, (size_t)size, "%s%s%s", num, s->unit && s->unit[0] ? " " : "",
             s->unit ? s->unit : "");
}
