/* test_registry.c — the tuning-method registry (tune.h) is the one list of
 * methods: every row is complete and consistent, lessons/FORMAT.md
 * documents each, the lab block of a lesson has a parameter for each, the
 * lab's settings offer each, and `lorascope help finetune` lists each with
 * its options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/demo/demo_lab.h"
#include "../src/lesson/demo_schema.h"
#include "../src/tune/tune.h"

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* tune_methods.def is the one list: read here on its own, its lines give
 * the kinds in order, and the row each names is that kind's, under that
 * name (a row copied from another and not renamed fails here). */
static const char *const def_names[] = {
#define TUNE_METHOD(KIND, name) #name,
#include "../src/tune/tune_methods.def"
#undef TUNE_METHOD
};
static const TuneKind def_kinds[] = {
#define TUNE_METHOD(KIND, name) TUNE_##KIND,
#include "../src/tune/tune_methods.def"
#undef TUNE_METHOD
};

static void test_list_is_the_registry(void **state)
{
    (void)state;
    int n = (int)(sizeof def_names / sizeof def_names[0]);
    assert_int_equal(n, TUNE_NUM_KINDS);
    for (int i = 0; i < n; i++) {
        assert_int_equal(def_kinds[i], i);
        const TuneMethod *m = tune_method(def_kinds[i]);
        assert_non_null(m);
        assert_int_equal(m->kind, def_kinds[i]);
        assert_string_equal(m->name, def_names[i]);
    }
}

static void test_rows_complete(void **state)
{
    (void)state;
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *m = tune_method((TuneKind)k);
        assert_non_null(m);
        assert_int_equal(m->kind, k);
        assert_ptr_equal(tune_method_find(m->name), m);
        for (int j = 0; j < k; j++) assert_string_not_equal(tune_method((TuneKind)j)->name, m->name);
        assert_true(m->default_lr > 0 && m->default_lr < 1);
        assert_true(m->summary && m->summary[0]);
        assert_non_null(m->help);
        assert_non_null(m->spec_make);
        assert_non_null(m->setup);
        assert_non_null(m->spans);
        assert_non_null(m->zero_grad);
        assert_non_null(m->save);
        assert_true(m->colour >= 0 && m->colour < TUNE_NUM_COLOURS);
        /* A hue of its own: methods side by side in the lab differ in colour. */
        for (int j = 0; j < k; j++)
            if (m->colour != TUNE_COLOUR_RANKS && tune_method((TuneKind)j)->colour == m->colour)
                fail_msg("%s and %s share a colour", m->name, tune_method((TuneKind)j)->name);
        if (m->size_name) {
            assert_non_null(m->size_symbol);
            assert_true(m->size_min <= m->size_default && m->size_default <= m->size_max);
            if (!m->several_sizes) assert_non_null(m->size_label); /* the lab's slider */
            /* The lab offers sizes 1 to LAB_MAX_SIZE (its default among them). */
            assert_true(m->size_min <= 1 && m->size_max >= LAB_MAX_SIZE);
            assert_true(m->size_default >= 1 && m->size_default <= LAB_MAX_SIZE);
        } else {
            assert_false(m->several_sizes);
        }
        /* Its lab parameter's words; sizes on only for several sizes. */
        assert_true(m->lab_help && m->lab_help[0]);
        if (m->several_sizes) assert_true(m->lab_sizes_on && m->lab_sizes_on[0]);
        else assert_null(m->lab_sizes_on);
        /* Every option is named once and has a handler. */
        for (int i = 0; i < m->n_options; i++) {
            assert_non_null(m->options[i].apply);
            for (int j = 0; j < i; j++) assert_string_not_equal(m->options[i].name, m->options[j].name);
        }
        /* A method that reads PEFT files finds itself by their type. */
        if (m->peft_type && m->load && !m->peft_flag)
            assert_ptr_equal(tune_method_for_peft_type(m->peft_type), m);
        /* A spec made for the default size parses back to itself. */
        TuneSpec s = tune_spec_make((TuneKind)k, m->size_name ? m->size_default : 0), p;
        assert_int_equal(tune_spec_parse(&p, s.label, NULL), LS_OK);
        assert_int_equal(p.kind, k);
        assert_int_equal(p.size, s.size);
    }
    assert_null(tune_method_find("adapter"));
    assert_null(tune_method((TuneKind)TUNE_NUM_KINDS));
}

/* FORMAT.md's lab section has a methods table with one row per method. */
static void test_format_lists_every_method(void **state)
{
    (void)state;
    char *doc = read_all("lessons/FORMAT.md");
    assert_non_null(doc);
    const char *lab = strstr(doc, "### `lab`");
    assert_non_null(lab);
    /* The methods table: from its header to the blank line after it. */
    const char *table = strstr(lab, "\n| method | what it trains | lab parameter |");
    assert_non_null(table);
    const char *end = strstr(table + 1, "\n\n");
    assert_non_null(end);
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        char want[64];
        snprintf(want, sizeof want, "\n| `%s` |", tune_method((TuneKind)k)->name);
        const char *at = strstr(table, want);
        if (!at || at > end) fail_msg("FORMAT.md's lab methods table does not list %s", want + 3);
    }
    /* ... and nothing the registry does not have. */
    int rows = 0;
    for (const char *p = table; p && p < end; p = strstr(p + 1, "\n| `")) rows += p != table;
    assert_int_equal(rows, TUNE_NUM_KINDS);
    free(doc);
}

/* FORMAT.md's row for the lab parameter name (the parameter table comes
 * before the methods table): its meaning cell without the backticks, into
 * out. False when there is no such row. */
static bool format_lab_meaning(const char *doc, const char *name, char *out, size_t size)
{
    const char *lab = strstr(doc, "### `lab`");
    char want[64];
    snprintf(want, sizeof want, "\n| `%s` |", name);
    const char *row = lab ? strstr(lab, want) : NULL;
    if (!row) return false;
    row++;
    const char *eol = strchr(row, '\n');
    if (!eol) eol = row + strlen(row);
    /* | name | type | default | meaning |: the meaning starts after the fourth '|'. */
    const char *cell = row;
    for (int bars = 0; bars < 4; bars++) {
        cell = strchr(cell, '|');
        if (!cell || cell >= eol) return false;
        cell++;
    }
    size_t n = 0;
    for (const char *c = cell + 1; c < eol - 2 && n + 1 < size; c++)
        if (*c != '`') out[n++] = *c;
    out[n] = '\0';
    return true;
}

/* The lab block has exactly one parameter per method, named as it and made
 * from its row: rows of the sizes on (several sizes), a size (0: off) or
 * yes/no, with the row's default; the default settings agree, and
 * FORMAT.md's table says the same. */
static void test_lab_parameters(void **state)
{
    (void)state;
    const DemoKind *lab = demo_kind_find("lab");
    assert_non_null(lab);
    assert_true(lab->n_params <= DEMO_MAX_PARAMS);
    char *doc = read_all("lessons/FORMAT.md");
    assert_non_null(doc);
    /* Exactly one per row: as many parameters named as a method as rows. */
    int named = 0;
    for (int i = 0; i < lab->n_params; i++)
        named += tune_method_find(lab->params[i].name) != NULL;
    assert_int_equal(named, TUNE_NUM_KINDS);
    LabDemoSettings s;
    lab_demo_settings_defaults(&s);
    for (int k = 0; k < TUNE_NUM_KINDS; k++) {
        const TuneMethod *m = tune_method((TuneKind)k);
        const DemoParamSpec *p = demo_param_find(lab, m->name, NULL);
        if (!p) fail_msg("the lab block has no parameter %s", m->name);
        assert_true(p->help && p->help[0]);
        assert_non_null(strstr(p->help, m->lab_help));
        if (m->several_sizes) {
            assert_int_equal(p->type, DEMO_PARAM_ROWS);
            assert_string_equal(p->def, m->lab_sizes_on);
            /* The sizes on by default are those of the row, offered and on. */
            char on[64] = "";
            for (int i = 0; i < s.n_ranks; i++)
                if (s.rank_on[i])
                    snprintf(on + strlen(on), sizeof on - strlen(on), "%s%d", on[0] ? " " : "",
                             s.ranks[i]);
            assert_string_equal(on, m->lab_sizes_on);
        } else if (m->size_name) {
            assert_int_equal(p->type, DEMO_PARAM_INT);
            assert_true(p->min == 0 && p->max == LAB_DEMO_MAX_SIZE);
            /* Off by default, or on at the row's default size. */
            char def[16];
            snprintf(def, sizeof def, "%d", m->lab_on ? m->size_default : 0);
            assert_string_equal(p->def, def);
            assert_int_equal(s.on[k], m->lab_on);
            assert_int_equal(s.size[k], m->size_default);
        } else {
            assert_int_equal(p->type, DEMO_PARAM_BOOL);
            assert_string_equal(p->def, m->lab_on ? "yes" : "no");
            assert_int_equal(s.on[k], m->lab_on);
        }
        char meaning[256];
        if (!format_lab_meaning(doc, m->name, meaning, sizeof meaning))
            fail_msg("FORMAT.md's lab table has no row for the parameter %s", m->name);
        if (strcmp(meaning, p->help) != 0)
            fail_msg("FORMAT.md's lab row %s says '%s', the schema '%s'", m->name, meaning,
                     p->help);
    }
    free(doc);
    /* The default settings make the default lab's list. */
    char methods[256];
    lab_demo_methods(&s, methods, sizeof methods);
    assert_string_equal(methods, LAB_DEFAULT_METHODS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_is_the_registry),
        cmocka_unit_test(test_rows_complete),
        cmocka_unit_test(test_format_lists_every_method),
        cmocka_unit_test(test_lab_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
