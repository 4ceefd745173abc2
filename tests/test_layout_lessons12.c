/* test_layout_lessons12.c — lessons 1 and 2 without a terminal: every page
 * of the shipped lessons drawn in the App at 80×24, 100×30 (also presenting)
 * and 160×50, each row inside the width and no word cut (helpers in
 * layout_harness.h; lessons 3–7 are walked by test_layout_lessons34 and
 * test_layout_lessons57). */
#include "layout_harness.h"

static void test_lesson1_pages(void **state)
{
    (void)state;
    lh_walk_sizes("01-rank", NULL, false, 2);
}

static void test_lesson2_pages(void **state)
{
    (void)state;
    /* Under valgrind, the photo's SVD on every walk takes most of a minute;
     * test_demo checks that demo there. */
    static const char *const slow[] = {"svd", NULL};
    lh_walk_sizes("02-svd", slow, false, 2);
}

/* lora-cost at the smallest rank on a large matrix: the long bar text
 * "(0.0977 %, 1024.0× fewer)" is whole, and the break-even line wraps. */
static void test_lora_cost_view(void **state)
{
    (void)state;
    const char *want[] = {"(0.0977 %, 1024.0× fewer)", "at r ≥ 2048 LoRA stores as much as ΔW itself."};
    lh_check_demo("# T\n\n## P\n\n```demo lora-cost\nd = 4096\nk = 4096\nrank = 2\n```\n", want, 1, 3);
    const char *small[] = {"(0.391 %, 256.0× fewer)"};
    lh_check_demo("# T\n\n## P\n\n```demo lora-cost\nd = 1024\nk = 1024\nrank = 2\n```\n", small, 1, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson1_pages),
        cmocka_unit_test(test_lesson2_pages),
        cmocka_unit_test(test_lora_cost_view),
    };
    return cmocka_run_group_tests_name("layout of lessons 1 and 2", tests, NULL, NULL);
}
