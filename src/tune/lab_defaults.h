/* lab_defaults.h — the default lab's length and sizes, in one place.
 *
 * `lorascope finetune`, the lab demo, lesson 5's lora-delta run and the text
 * of lessons 5 and 7 all speak of the same number of steps. The number lives
 * here once; the schema's default strings use LAB_DEFAULT_STEPS_STR, and
 * tests/test_lesson_figures.c checks the lessons' sentences against it. */
#ifndef LS_LAB_DEFAULTS_H
#define LS_LAB_DEFAULTS_H

#define LAB_DEFAULT_STEPS 110

/* The largest size (rank, P) the lab offers a method: its sliders and the
 * lab block's method parameters (demo_schema.c) stop here. */
#define LAB_MAX_SIZE 64

#define LAB_STR_(x) #x
#define LAB_STR(x) LAB_STR_(x)
#define LAB_DEFAULT_STEPS_STR LAB_STR(LAB_DEFAULT_STEPS)

#endif
