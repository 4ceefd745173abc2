/* test_layout_lessons34.c — lessons 3 and 4's views without a terminal: each
 * demo laid out at 80, 100 and 160 columns (and in ASCII) keeps inside the
 * width and shows its key figures uncut; keys and clicks reach the demos
 * (a flipped bit, a bits slider); and the shipped lessons 3 and 4 draw on
 * every page at 80×24, 100×30 and 160×50, in presentation mode and in
 * ASCII too, every control moved through its range, with no word cut and no
 * text over text (helpers in layout_harness.h). */
#include "layout_harness.h"

static void test_bits_view(void **state)
{
    (void)state;
    const char *want[] = {"0 01011 1001100110", "0.10000000149011612", "0.0999755859375", "rel. err",
                          "2^(11 − 15)", "next up 0.10003662109375"};
    lh_check_demo("# T\n\n## P\n\n```demo bits\nvalue = 0.1\n```\n", want, 6, 2);
}

static void test_number_line_view(void **state)
{
    (void)state;
    const char *want[] = {"spacing above it (its ulp): 2^-10 = 0.0009765625",
                          "spacing below it:           2^-11 = 0.00048828125",
                          "the spacing doubles: 2^-11 below, 2^-10 above", "[fp16]"};
    lh_check_demo("# T\n\n## P\n\n```demo number-line\nx = 1\nzoom = 16\n```\n", want, 4, 3);
    /* bf16's smallest normal, 2^-126: the subnormals below have the same
     * spacing, so it does not double there. */
    const char *mn[] = {"at 2^-126 (the smallest normal) the spacing stays 2^-133: subnormals below"};
    lh_check_demo("# T\n\n## P\n\n```demo number-line\nformat = bf16\nx = 1.1754943508222875e-38\nzoom = 16\n```\n",
                  mn, 1, 3);
}

/* The exact results are long double; valgrind computes those at double
 * precision, and then the nearest fp64 value to 0.3 cannot be told apart. */
static bool long_double_is_wide(void)
{
    volatile long double x = 1.0L;
    x += 0x1p-60L;
    return x != 1.0L;
}

static void test_arith_view(void **state)
{
    (void)state;
    const char *want[] = {"0.30000000000000004", "exactly: 0.1 + 0.2 = 0.3", "0.29999999999999999"};
    lh_check_demo("# T\n\n## P\n\n```demo arith\na = 0.1\nb = 0.2\n```\n", want,
               long_double_is_wide() ? 3 : 1, 3);
    /* a − b: the fp64 column shows all 17 digits of -0.10000000000000001. */
    const char *sub[] = {"exactly: 0.1 − 0.2 = -0.1", "-0.10000000000000001"};
    lh_check_demo("# T\n\n## P\n\n```demo arith\na = 0.1\nop = sub\nb = 0.2\n```\n", sub, 2, 3);
    const char *over[] = {"overflow: inf", "input overflow"};
    lh_check_demo("# T\n\n## P\n\n```demo arith\na = 65504\nb = 16\n```\n", over, 2, 3);
}

static void test_sum_view(void **state)
{
    (void)state;
    const char *want[] = {"naive fp16: stuck at 0.25 after 2,181 terms (half an ulp there: 0.000122)",
                          "naive fp32: kept moving to the end", "Kahan: the lost part is added back",
                          "■ exact"};
    lh_check_demo("# T\n\n## P\n\n```demo sum\nterm = 0.0001\ncount = 10000\n```\n", want, 4, 3);
}

static void test_precision_view(void **state)
{
    (void)state;
    const char *want[] = {"e5m10 (fp16): 16 bits · max 65504", "gray levels left", "[fp16]",
                          "error against M"};
    lh_check_demo("# T\n\n## P\n\n```demo precision\nimage = data/images/boats.pgm\n```\n", want, 4, 3);
    const char *mm[] = {"every product and sum in e8m7:", "e8m7 inputs, sums in fp32:", "■ sums in fp32"};
    lh_check_demo("# T\n\n## P\n\n```demo precision\ntarget = matmul\nexponent = 8\nmantissa = 7\nsize = 16\n```\n",
               mm, 3, 3);
}

static void test_quant_view(void **state)
{
    (void)state;
    const char *want[] = {"65536 Gaussian weights N(0, 0.02²) as 256 × 256, 1 outlier (seed 1)",
                          "one scale: the levels are", "nf4-dq", "▲ 255 levels", "SNR (dB) of intN"};
    lh_check_demo("# T\n\n## P\n\n```demo quant\nsource = gaussian\noutliers = 1\n```\n", want, 5, 6);
    /* A block longer than the 256-weight rows: the label says what was used. */
    const char *row[] = {"int4 block 256 (whole row)"};
    lh_check_demo("# T\n\n## P\n\n```demo quant\nsource = gaussian\nbits = 4\ngranularity = block\nblock = 4096\n```\n",
                  row, 1, 6);
    /* NF4: a group's scale is its absmax, not a step. */
    const char *nf4[] = {"groups: typical absmax", "the largest |w|'s group's"};
    lh_check_demo("# T\n\n## P\n\n```demo quant\nsource = gaussian\nscheme = nf4\n```\n", nf4, 2, 6);
    const char *blk[] = {"groups: typical step", "int4 block 32"};
    lh_check_demo("# T\n\n## P\n\n```demo quant\nsource = gaussian\nbits = 4\ngranularity = block\nblock = 32\n```\n",
               blk, 2, 6);
}

static void test_memory_view(void **state)
{
    (void)state;
    const char *want[] = {"14 GB ✓", "nf4-dq", "70B model", "1 B model", "fits in 24 GB"};
    lh_check_demo("# T\n\n## P\n\n```demo quant-memory\n```\n", want, 5, 2);
}

/* Keys reach the demos: a bit flipped with Space, a click on a bit, the
 * bits slider of the quant view. */
static void test_keys_and_clicks(void **state)
{
    (void)state;
    Lesson l;
    lh_parse(&l, "# T\n\n## P\n\n```demo bits\nvalue = 1\nformat = fp16\n```\n\n"
              "```demo quant\nsource = gaussian\nbits = 8\n```\n");
    PageView pv;
    char *text = lh_render(&pv, &l, 100, false);
    free(text);
    /* The grid: sign bit is the cursor; Space flips it: -1. */
    page_focus_set(&pv, 1);
    assert_int_equal(page_key(&pv, ' ', ACT_NONE) & EV_REDRAW, EV_REDRAW);
    lh_rerender(&pv, 100);
    text = lh_canvas_text(&pv);
    assert_non_null(strstr(text, "1 01111 0000000000"));
    assert_non_null(strstr(text, "(fp16 bits)"));
    free(text);
    /* Typing a number on the value: 65504, Enter. */
    page_focus_set(&pv, 0);
    for (const char *p = "65504"; *p; p++) page_key(&pv, *p, ACT_NONE);
    page_key(&pv, VK_ENTER, ACT_OPEN);
    lh_rerender(&pv, 100);
    text = lh_canvas_text(&pv);
    assert_non_null(strstr(text, "0 11110 1111111111"));
    free(text);
    /* A click on the last mantissa bit of the fp16 row flips it. */
    const PageBlock *pb = NULL;
    for (int b = 0; b < pv.n_blocks; b++)
        if (pv.blocks[b].view && strcmp(pv.blocks[b].ops->name, "bits") == 0) pb = &pv.blocks[b];
    assert_non_null(pb);
    int bits_block = (int)(pb - pv.blocks);
    int fp16_row = -1;
    for (int y = pb->y; y < pb->y + pb->h; y++) {
        char *row = grid_row_text(&pv.canvas, y);
        if (strstr(row, "fp16") && strstr(row, "11110")) fp16_row = y;
        free(row);
    }
    assert_true(fp16_row >= 0);
    int col = grid_row_find(&pv.canvas, fp16_row, "1111111111", 0) + 9;
    MouseEvent ev = {MOUSE_PRESS, fp16_row, col};
    assert_true(page_mouse(&pv, &ev) & EV_REDRAW);
    lh_rerender(&pv, 100);
    text = lh_canvas_text(&pv);
    assert_non_null(strstr(text, "0 11110 1111111110"));
    free(text);
    /* The quant view's bits slider: one step left, int7. */
    int f = -1;
    for (int i = 0; i < pv.n_focus; i++)
        if (pv.focus_items[i].block != bits_block && pv.focus_items[i].control == 1) f = i;
    assert_true(f >= 0);
    page_focus_set(&pv, f);
    assert_int_equal(page_key(&pv, VK_LEFT, ACT_DEC) & EV_REDRAW, EV_REDRAW);
    lh_rerender(&pv, 100);
    text = lh_canvas_text(&pv);
    assert_non_null(strstr(text, "int7 tensor: SNR"));
    free(text);
    page_close(&pv);
    lesson_free(&l);
}


static void test_lesson3_pages(void **state)
{
    (void)state;
    static const char *const slow[] = {"quant-loss", NULL};
    lh_walk_sizes("03-precision", slow, true, 4);
}

static void test_lesson4_pages(void **state)
{
    (void)state;
    static const char *const slow[] = {"quant-loss", NULL};
    lh_walk_sizes("04-quantization", slow, true, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits_view),
        cmocka_unit_test(test_number_line_view),
        cmocka_unit_test(test_arith_view),
        cmocka_unit_test(test_sum_view),
        cmocka_unit_test(test_precision_view),
        cmocka_unit_test(test_quant_view),
        cmocka_unit_test(test_memory_view),
        cmocka_unit_test(test_keys_and_clicks),
        cmocka_unit_test(test_lesson3_pages),
        cmocka_unit_test(test_lesson4_pages),
    };
    return cmocka_run_group_tests_name("layout of lessons 3 and 4", tests, NULL, NULL);
}
