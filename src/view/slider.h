/* slider.h — the state of one slider: a value in a range, its steps, and
 * the mapping between value and position on the track.
 *
 * Integer or real, linear or logarithmic. On a log slider the position is
 * log(v / min) / log(max / min), so every factor of ten gets the same length
 * of track (noise from 1e-6 to 1, ranks 1..512); a step multiplies or
 * divides the value. Every change goes through slider_set, which clamps to
 * [min, max] and rounds integer sliders, so a slider can never hold a value
 * its demo would refuse. No drawing here (see widgets.h). */
#ifndef LS_VIEW_SLIDER_H
#define LS_VIEW_SLIDER_H

#include <stdbool.h>

typedef struct Slider {
    char label[32];
    double min, max;
    double value;
    double step;     /* linear: added per step; log: factor per step (> 1) */
    double big;      /* linear: added per big step; log: factor per big step */
    bool integer;
    bool log;        /* needs min > 0 */
    bool zero_floor; /* log slider that may also be exactly 0: one step below
                      * min, and the left end of the track */
    const char *unit; /* shown after the value ("" or NULL for none) */
} Slider;

/* A linear slider; big defaults to about a tenth of the range when 0. */
void slider_init_linear(Slider *s, const char *label, double min, double max, double value,
                        double step, double big, bool integer);
/* A log slider from min > 0 to max; factors default to 10^(1/8) and 10^(1/2). */
void slider_init_log(Slider *s, const char *label, double min, double max, double value,
                     double factor, double big_factor, bool integer);

/* Clamp, round (integer) and store; returns true when the value changed. */
bool slider_set(Slider *s, double v);
/* One step (dir = +1 / -1), big or small; integer sliders always move by
 * at least 1 unless already at the end. Returns true when changed. */
bool slider_step(Slider *s, int dir, bool big);

/* Position of the value on the track, 0..1. */
double slider_pos(const Slider *s);
/* The value at position t (0..1), rounded for integer sliders. */
double slider_value_at_pos(const Slider *s, double t);
/* The value under column col of a track `width` columns wide (the mouse). */
double slider_value_at_col(const Slider *s, int col, int width);
/* The column of the knob on a track `width` columns wide. */
int slider_knob_col(const Slider *s, int width);

/* The value as text: integers plainly, reals with 3-4 significant digits
 * (exponent form below 1e-3 or above 1e5). */
void slider_format(const Slider *s, char *buf, int size);
/* A real number formatted like a slider value. */
void format_real(double v, char *buf, int size);

#endif
