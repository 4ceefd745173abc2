/* test_io.c — matrices and images in and out (src/core/io.c).
 *
 * Good input of every supported kind, and bad input of every kind we could
 * think of: each bad case checks the status code and that the message names
 * the file (and the line, for text). PNG test images are made here in memory
 * with libpng's writer, or by hand where libpng refuses to write something
 * broken; files go to a fresh folder under /tmp that is removed afterwards. */
/* cmocka needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/core/io.h"

#define assert_msg_has(st, s)                                                                      \
    do {                                                                                           \
        if (!strstr((st).msg, (s))) fail_msg("message \"%s\" lacks \"%s\"", (st).msg, (s));        \
    } while (0)

#define assert_near(a, b, tol)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (tol)))                                                             \
            fail_msg("%.9g differs from %.9g by more than %g", a_, b_, (double)(tol));             \
    } while (0)

/* ------------------------------------------------------------------------
 * A scratch folder per test */

typedef struct Scratch {
    char dir[64];
} Scratch;

static int scratch_setup(void **state)
{
    Scratch *s = calloc(1, sizeof *s);
    if (!s) return -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/lorascope-test-io-XXXXXX");
    if (!mkdtemp(s->dir)) {
        free(s);
        return -1;
    }
    *state = s;
    return 0;
}

/* Remove the folder and what is in it (one level, plus empty subfolders). */
static int scratch_teardown(void **state)
{
    Scratch *s = *state;
    DIR *d = opendir(s->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", s->dir, e->d_name);
            if (unlink(p) != 0) rmdir(p);
        }
        closedir(d);
    }
    rmdir(s->dir);
    free(s);
    return 0;
}

static void scratch_path(char *out, size_t size, const Scratch *s, const char *name)
{
    snprintf(out, size, "%s/%s", s->dir, name);
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Number of entries in dir (without . and ..), and how many contain ".tmp". */
static int count_entries(const char *dir, int *temps)
{
    int n = 0;
    *temps = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        if (strstr(e->d_name, ".tmp")) (*temps)++;
    }
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------------
 * Text matrices: good input */

static int read_text(Mat *m, const char *text, Status *st)
{
    return io_read_matrix_mem(m, text, strlen(text), "data.csv", st);
}

static void assert_values(const Mat *m, int rows, int cols, const float *want)
{
    assert_int_equal(m->rows, rows);
    assert_int_equal(m->cols, cols);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            assert_near(MAT_AT(m, i, j), want[i * cols + j], 1e-6);
}

static void test_csv_good(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_text(&m, "1,2,3\n4,5,6\n", &st), LS_OK);
    assert_values(&m, 2, 3, (const float[]){1, 2, 3, 4, 5, 6});
    assert_true(m.owner);
    assert_int_equal(m.stride, 3);
    mat_free(&m);
    /* no final newline, CRLF line ends, spaces after commas, trailing comma */
    assert_int_equal(read_text(&m, "1, 2, 3,\r\n-4.5,+5e-1,.25", &st), LS_OK);
    assert_values(&m, 2, 3, (const float[]){1, 2, 3, -4.5f, 0.5f, 0.25f});
    mat_free(&m);
    /* a single value is a 1 x 1 matrix */
    assert_int_equal(read_text(&m, "42\n", &st), LS_OK);
    assert_values(&m, 1, 1, (const float[]){42});
    mat_free(&m);
}

static void test_whitespace_separated(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_text(&m, "  1 2\t3\n4\t\t5   6  \n", &st), LS_OK);
    assert_values(&m, 2, 3, (const float[]){1, 2, 3, 4, 5, 6});
    mat_free(&m);
}

static void test_comments_and_blank_lines(void **state)
{
    (void)state;
    Mat m;
    Status st;
    const char *text = "\xEF\xBB\xBF# a 2 x 2 matrix\n"
                       "\n"
                       "1,2   # first row\n"
                       "   # indented comment\n"
                       "\t\n"
                       "3,4\n"
                       "\n";
    assert_int_equal(read_text(&m, text, &st), LS_OK);
    assert_values(&m, 2, 2, (const float[]){1, 2, 3, 4});
    mat_free(&m);
}

/* The text need not be NUL-terminated: only len bytes are read. */
static void test_mem_not_nul_terminated(void **state)
{
    (void)state;
    char text[] = {'1', ' ', '2', '\n', '3', ' ', '4', '5', '9', '9'};
    Mat m;
    Status st;
    assert_int_equal(io_read_matrix_mem(&m, text, 7, "mem", &st), LS_OK);
    assert_values(&m, 2, 2, (const float[]){1, 2, 3, 4});
    mat_free(&m);
}

/* ------------------------------------------------------------------------
 * Text matrices: bad input */

static void test_csv_ragged(void **state)
{
    (void)state;
    Mat m;
    Status st;
    int rc = read_text(&m, "1,2,3\n4,5,6\n7,8\n", &st);
    assert_int_equal(rc, LS_ERR_PARSE);
    assert_int_equal(st.code, LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:3: row has 2 values, expected 3");
    assert_null(m.data);
    /* a longer row, after comments: the line number counts every line */
    rc = read_text(&m, "# c\n1 2\n\n1 2 3\n", &st);
    assert_int_equal(rc, LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:4: row has 3 values, expected 2");
}

static void test_csv_not_a_number(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_text(&m, "1,2\nabc,4\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:2: 'abc' is not a number");
    assert_int_equal(read_text(&m, "1,2x\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:1: '2x' is not a number");
    /* a header row is not numbers either */
    assert_int_equal(read_text(&m, "a,b\n1,2\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:1: 'a' is not a number");
    /* binary junk is shown safely */
    assert_int_equal(io_read_matrix_mem(&m, "1 \x01\x02\n", 5, "bin.dat", &st), LS_ERR_PARSE);
    assert_msg_has(st, "bin.dat:1: '?\?' is not a number");
    /* a NUL byte inside the text */
    assert_int_equal(io_read_matrix_mem(&m, "1 2\0 3", 6, "nul.csv", &st), LS_ERR_PARSE);
    assert_msg_has(st, "nul.csv:1:");
    /* a ridiculously long token */
    char big[400];
    memset(big, '7', sizeof big - 2);
    big[sizeof big - 2] = 'x';
    big[sizeof big - 1] = '\0';
    assert_int_equal(read_text(&m, big, &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:1: '7777");
    assert_msg_has(st, "...' is not a number");
}

static void test_csv_empty_value(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_text(&m, "1,,3\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:1: empty value in column 2");
    assert_int_equal(read_text(&m, "1,2\n,3\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:2: empty value in column 1");
    assert_int_equal(read_text(&m, "1,2,,\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv:1:");
}

static void test_csv_nan_inf(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_text(&m, "1,2\n3,nan\n", &st), LS_ERR_RANGE);
    assert_msg_has(st, "data.csv:2: 'nan' is NaN");
    assert_int_equal(read_text(&m, "-inf 1\n", &st), LS_ERR_RANGE);
    assert_msg_has(st, "data.csv:1: '-inf' is infinite");
    assert_int_equal(read_text(&m, "1e39\n", &st), LS_ERR_RANGE);
    assert_msg_has(st, "data.csv:1: '1e39' is infinite or too large for a float");
    assert_int_equal(read_text(&m, "1e999\n", &st), LS_ERR_RANGE);
    assert_msg_has(st, "finite");
}

static void test_csv_empty_input(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_text(&m, "", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv: empty input");
    assert_int_equal(read_text(&m, "# only a comment\n\n  \n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "data.csv: empty input");
    assert_int_equal(io_read_matrix_mem(&m, NULL, 0, "none", &st), LS_ERR_PARSE);
    assert_msg_has(st, "none: empty input");
}

static void test_csv_too_large(void **state)
{
    (void)state;
    Mat m;
    Status st;
    /* 4097 columns: refused, the message states the limit */
    size_t n = 2 * (MAT_MAX_DIM + 1);
    char *row = malloc(n + 1);
    assert_non_null(row);
    for (size_t k = 0; k < n; k += 2) {
        row[k] = '1';
        row[k + 1] = ',';
    }
    row[n - 1] = '\n';
    row[n] = '\0';
    assert_int_equal(read_text(&m, row, &st), LS_ERR_RANGE);
    assert_msg_has(st, "data.csv:1:");
    assert_msg_has(st, "4096");
    /* exactly 4096 columns is fine */
    row[n - 3] = '\n';
    row[n - 2] = '\0';
    assert_int_equal(read_text(&m, row, &st), LS_OK);
    assert_int_equal(m.cols, MAT_MAX_DIM);
    assert_int_equal(m.rows, 1);
    mat_free(&m);
    free(row);

    /* 4097 rows */
    char *col = malloc(2 * (MAT_MAX_DIM + 1) + 1);
    assert_non_null(col);
    for (int k = 0; k < MAT_MAX_DIM + 1; k++) {
        col[2 * k] = '5';
        col[2 * k + 1] = '\n';
    }
    col[2 * (MAT_MAX_DIM + 1)] = '\0';
    assert_int_equal(read_text(&m, col, &st), LS_ERR_RANGE);
    assert_msg_has(st, "data.csv:4097: more than 4096 rows");
    col[2 * MAT_MAX_DIM] = '\0';
    assert_int_equal(read_text(&m, col, &st), LS_OK);
    assert_int_equal(m.rows, MAT_MAX_DIM);
    mat_free(&m);
    free(col);
}

/* ------------------------------------------------------------------------
 * Text matrices from files and stdin */

static void test_matrix_file(void **state)
{
    Scratch *s = *state;
    char path[256];
    scratch_path(path, sizeof path, s, "data.csv");
    const char *text = "# header\n1 2\n3 4\n";
    write_file(path, text, strlen(text));
    Mat m;
    Status st;
    assert_int_equal(io_read_matrix(&m, path, &st), LS_OK);
    assert_values(&m, 2, 2, (const float[]){1, 2, 3, 4});
    mat_free(&m);

    const char *bad = "1 2\n3 x\n";
    write_file(path, bad, strlen(bad));
    assert_int_equal(io_read_matrix(&m, path, &st), LS_ERR_PARSE);
    char want[300];
    snprintf(want, sizeof want, "%s:2: 'x' is not a number", path);
    assert_msg_has(st, want);

    /* a file past IO_MAX_FILE_BYTES is refused from its size alone (the
     * test file is sparse, so this costs no disk space or reading) */
    scratch_path(path, sizeof path, s, "huge.csv");
    write_file(path, "1", 1);
    assert_int_equal(truncate(path, (off_t)IO_MAX_FILE_BYTES + 1), 0);
    assert_int_equal(io_read_matrix(&m, path, &st), LS_ERR_RANGE);
    assert_msg_has(st, path);
    assert_msg_has(st, "256 MiB");
    assert_int_equal(io_read_image(&m, path, &st), LS_ERR_RANGE);
    unlink(path);

    scratch_path(path, sizeof path, s, "missing.csv");
    assert_int_equal(io_read_matrix(&m, path, &st), LS_ERR_IO);
    assert_msg_has(st, path);
    /* a folder is not a matrix */
    assert_int_equal(io_read_matrix(&m, s->dir, &st), LS_ERR_IO);
    assert_msg_has(st, s->dir);
}

static void test_matrix_stdin(void **state)
{
    Scratch *s = *state;
    char path[256];
    scratch_path(path, sizeof path, s, "in.txt");
    const char *text = "1 2 3\n4 5 6\n";
    write_file(path, text, strlen(text));
    int saved = dup(0);
    assert_true(saved >= 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_true(dup2(fileno(f), 0) >= 0);
    fclose(f);
    clearerr(stdin);
    Mat m;
    Status st;
    bool is_image = true;
    int rc = io_read_any(&m, "-", &is_image, &st);
    /* stdin is at its end now: a second read is empty input, named "stdin" */
    Mat m2;
    Status st2;
    int rc2 = io_read_matrix(&m2, "-", &st2);
    assert_true(dup2(saved, 0) >= 0);
    close(saved);
    clearerr(stdin);
    assert_int_equal(rc, LS_OK);
    assert_false(is_image);
    assert_values(&m, 2, 3, (const float[]){1, 2, 3, 4, 5, 6});
    mat_free(&m);
    assert_int_equal(rc2, LS_ERR_PARSE);
    assert_msg_has(st2, "stdin: empty input");
}

/* The matrices shipped in data/matrices read as documented. */
static void test_shipped_matrices(void **state)
{
    (void)state;
    const char *root = getenv("LORASCOPE_ROOT");
    if (!root) root = ".";
    static const struct {
        const char *file;
        int rows, cols;
    } files[] = {
        {"rank2.csv", 3, 3}, {"identity4.csv", 4, 4}, {"outer.csv", 4, 5},
        {"zero3.csv", 3, 3}, {"hilbert5.csv", 5, 5},  {"noisy_rank2.csv", 6, 5},
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/data/matrices/%s", root, files[k].file);
        Mat m;
        Status st;
        int rc = io_read_matrix(&m, path, &st);
        if (rc) fail_msg("%s", st.msg);
        assert_int_equal(m.rows, files[k].rows);
        assert_int_equal(m.cols, files[k].cols);
        if (k == 0) assert_values(&m, 3, 3, (const float[]){1, 2, 3, 1, 5, 6, 3, 4, 7});
        mat_free(&m);
    }
    const char *images[] = {"boats.pgm", "airplane.pgm"};
    for (size_t k = 0; k < 2; k++) {
        char path[512];
        snprintf(path, sizeof path, "%s/data/images/%s", root, images[k]);
        Mat m;
        Status st;
        int rc = io_read_image(&m, path, &st);
        if (rc) fail_msg("%s", st.msg);
        assert_true(m.rows >= 128 && m.cols >= 128);
        assert_true(mat_max_abs(&m) <= 1.0f);
        mat_free(&m);
    }
}

/* ------------------------------------------------------------------------
 * PGM */

static int read_pgm(Mat *m, const char *bytes, size_t n, Status *st)
{
    return io_read_pgm_mem(m, (const unsigned char *)bytes, n, "img.pgm", st);
}

static int read_pgm_str(Mat *m, const char *text, Status *st)
{
    return read_pgm(m, text, strlen(text), st);
}

static void test_pgm_p2(void **state)
{
    (void)state;
    Mat m;
    Status st;
    const char *p2 = "P2\n# made by hand\n3 2\n# maxval next\n255\n0 128 255\n 255 0 51\n";
    assert_int_equal(read_pgm_str(&m, p2, &st), LS_OK);
    assert_values(&m, 2, 3, (const float[]){0, 128 / 255.0f, 1, 1, 0, 0.2f});
    mat_free(&m);
    /* maxval 15, everything on one line, no final newline */
    assert_int_equal(read_pgm_str(&m, "P2 2 1 15 15 3", &st), LS_OK);
    assert_values(&m, 1, 2, (const float[]){1, 0.2f});
    mat_free(&m);
    /* 16-bit values in ASCII */
    assert_int_equal(read_pgm_str(&m, "P2\n2 1\n1000\n500 1000\n", &st), LS_OK);
    assert_values(&m, 1, 2, (const float[]){0.5f, 1});
    mat_free(&m);
}

static void test_pgm_p5_8bit(void **state)
{
    (void)state;
    /* The first pixels are bytes that look like whitespace: the raster
     * starts right after the single byte that ends maxval. */
    const char p5[] = "P5\n# comment\n3 2\n255\n\x0a\x20\xff\x00\x01\x80";
    Mat m;
    Status st;
    assert_int_equal(read_pgm(&m, p5, sizeof p5 - 1, &st), LS_OK);
    assert_values(&m, 2, 3,
                  (const float[]){10 / 255.0f, 32 / 255.0f, 1, 0, 1 / 255.0f, 128 / 255.0f});
    mat_free(&m);
}

static void test_pgm_p5_16bit(void **state)
{
    (void)state;
    const char p5[] = "P5 2 2 65535\n\x00\x00\xff\xff\x80\x00\x01\x02";
    Mat m;
    Status st;
    assert_int_equal(read_pgm(&m, p5, sizeof p5 - 1, &st), LS_OK);
    assert_values(&m, 2, 2, (const float[]){0, 1, 32768 / 65535.0f, 258 / 65535.0f});
    mat_free(&m);
    /* big-endian with maxval 1000: 0x03e8 = 1000 */
    const char p5b[] = "P5 1 1 1000\n\x03\xe8";
    assert_int_equal(read_pgm(&m, p5b, sizeof p5b - 1, &st), LS_OK);
    assert_values(&m, 1, 1, (const float[]){1});
    mat_free(&m);
}

static void test_pgm_bad_header(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_pgm_str(&m, "P2 1 1 0 0", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: PGM maxval 0 is invalid");
    assert_int_equal(read_pgm_str(&m, "P2 1 1 65536 0", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: PGM maxval 65536 is invalid");
    assert_int_equal(read_pgm_str(&m, "P5 0 5 255\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: image has zero width");
    assert_int_equal(read_pgm_str(&m, "P2\n5 0\n255\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: image has zero height");
    assert_int_equal(read_pgm_str(&m, "P5\n3", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: truncated PGM header (no height)");
    assert_int_equal(read_pgm_str(&m, "P2\n3 x 255\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm:2: PGM height 'x' is not a number");
    assert_int_equal(read_pgm_str(&m, "P2\n-3 2 255\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm:2: PGM width '-3'");
    assert_int_equal(read_pgm_str(&m, "P53 1 255\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: not a PGM");
    assert_int_equal(read_pgm_str(&m, "P6 1 1 255\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: not a PGM");
    assert_int_equal(read_pgm(&m, "P", 1, &st), LS_ERR_PARSE);
    assert_int_equal(read_pgm(&m, NULL, 0, &st), LS_ERR_PARSE);
    /* P5: maxval must be followed by one whitespace byte */
    assert_int_equal(read_pgm_str(&m, "P5 1 1 255", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: truncated PGM header");
    assert_int_equal(read_pgm_str(&m, "P5 1 1 255#x\n\x01", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: PGM maxval must be followed by a single whitespace byte");
}

static void test_pgm_too_large(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_pgm_str(&m, "P5 5000 1 255\n", &st), LS_ERR_RANGE);
    assert_msg_has(st, "img.pgm: image is 5000 x 1 pixels; the limit is 4096");
    assert_int_equal(read_pgm_str(&m, "P2 1 99999999999999999999999 255\n", &st), LS_ERR_RANGE);
    assert_msg_has(st, "the limit is 4096");
    assert_null(m.data);
}

static void test_pgm_pixel_above_maxval(void **state)
{
    (void)state;
    Mat m;
    Status st;
    assert_int_equal(read_pgm_str(&m, "P2\n2 2\n100\n1 2\n3 101\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm:5: pixel value 101 is above maxval 100");
    const char p5[] = "P5 2 1 100\n\x05\xc8";
    assert_int_equal(read_pgm(&m, p5, sizeof p5 - 1, &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: pixel (row 0, column 1) is 200, above maxval 100");
    const char p5w[] = "P5 1 1 1000\n\x03\xe9";
    assert_int_equal(read_pgm(&m, p5w, sizeof p5w - 1, &st), LS_ERR_PARSE);
    assert_msg_has(st, "1001, above maxval 1000");
    assert_int_equal(read_pgm_str(&m, "P2 2 1 255 1 2a", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm:1: pixel value '2a' is not a number");
}

static void test_pgm_truncated(void **state)
{
    (void)state;
    Mat m;
    Status st;
    const char p5[] = "P5 4 4 255\n0123456789";
    assert_int_equal(read_pgm(&m, p5, sizeof p5 - 1, &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: truncated pixel data: 10 of 16 bytes");
    const char p16[] = "P5 2 1 65535\n\x01\x02\x03";
    assert_int_equal(read_pgm(&m, p16, sizeof p16 - 1, &st), LS_ERR_PARSE);
    assert_msg_has(st, "truncated pixel data: 3 of 4 bytes");
    /* too few bytes left for the values: refused before allocating */
    assert_int_equal(read_pgm_str(&m, "P2 2 2 255\n1 2\n3", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: truncated pixel data: room for at most 3 of 4 values");
    assert_int_equal(read_pgm_str(&m, "P5 4096 4096 255\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm: truncated pixel data: 0 of 16777216 bytes");
    /* enough bytes, but not enough values */
    assert_int_equal(read_pgm_str(&m, "P2 2 2 255\n1 2\n3  # no fourth\n", &st), LS_ERR_PARSE);
    assert_msg_has(st, "img.pgm:4: truncated pixel data: 3 of 4 values");
    assert_null(m.data);
}

/* ------------------------------------------------------------------------
 * PNG: test images made in memory */

typedef struct Bytes {
    unsigned char *d;
    size_t n, cap;
} Bytes;

static void bytes_put(Bytes *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t want = b->cap ? b->cap : 1024;
        while (want < b->n + n)
            want *= 2;
        unsigned char *bigger = realloc(b->d, want);
        assert_non_null(bigger);
        b->d = bigger;
        b->cap = want;
    }
    memcpy(b->d + b->n, src, n);
    b->n += n;
}

static void bytes_write_cb(png_structp png, png_bytep src, size_t n)
{
    bytes_put(png_get_io_ptr(png), src, n);
}

static void bytes_flush_cb(png_structp png)
{
    (void)png;
}

typedef struct PngSpec {
    int w, h, color_type, depth;
    const unsigned char *rows; /* h rows of packed samples, stride bytes apart */
    size_t stride;
    const png_color *palette;
    int npalette;
    const unsigned char *trns; /* palette alpha */
    int ntrns;
    bool interlace;
} PngSpec;

static void png_test_error(png_structp png, png_const_charp msg)
{
    (void)png;
    fail_msg("libpng (test writer): %s", msg);
}

/* Encode spec as a PNG file in memory (caller frees .d). */
static Bytes png_make(const PngSpec *p)
{
    Bytes b = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_test_error, NULL);
    assert_non_null(png);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    png_set_write_fn(png, &b, bytes_write_cb, bytes_flush_cb);
    png_set_IHDR(png, info, (png_uint_32)p->w, (png_uint_32)p->h, p->depth, p->color_type,
                 p->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (p->palette) png_set_PLTE(png, info, p->palette, p->npalette);
    if (p->trns) png_set_tRNS(png, info, p->trns, p->ntrns, NULL);
    png_write_info(png, info);
    png_bytep *rows = malloc((size_t)p->h * sizeof *rows);
    assert_non_null(rows);
    for (int i = 0; i < p->h; i++)
        rows[i] = (png_bytep)(p->rows + (size_t)i * p->stride);
    png_write_image(png, rows);
    png_write_end(png, info);
    free(rows);
    png_destroy_write_struct(&png, &info);
    return b;
}

static int read_png(Mat *m, const Bytes *b, Status *st)
{
    return io_read_png_mem(m, b->d, b->n, "t.png", st);
}

static void test_png_gray8(void **state)
{
    (void)state;
    const unsigned char px[] = {0, 128, 255, 10, 20, 30};
    Bytes b = png_make(&(PngSpec){
        .w = 3, .h = 2, .color_type = PNG_COLOR_TYPE_GRAY, .depth = 8, .rows = px, .stride = 3});
    Mat m;
    Status st;
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    float want[6];
    for (int k = 0; k < 6; k++)
        want[k] = px[k] / 255.0f;
    assert_values(&m, 2, 3, want);
    mat_free(&m);
    free(b.d);
}

static void test_png_gray_low_depth(void **state)
{
    (void)state;
    Mat m;
    Status st;
    /* 1 bit: 10110000 */
    const unsigned char px1[] = {0xb0};
    Bytes b = png_make(&(PngSpec){
        .w = 8, .h = 1, .color_type = PNG_COLOR_TYPE_GRAY, .depth = 1, .rows = px1, .stride = 1});
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_values(&m, 1, 8, (const float[]){1, 0, 1, 1, 0, 0, 0, 0});
    mat_free(&m);
    free(b.d);
    /* 4 bit: 15, 0, 5 -> 255, 0, 85 */
    const unsigned char px4[] = {0xf0, 0x50};
    b = png_make(&(PngSpec){
        .w = 3, .h = 1, .color_type = PNG_COLOR_TYPE_GRAY, .depth = 4, .rows = px4, .stride = 2});
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_values(&m, 1, 3, (const float[]){1, 0, 85 / 255.0f});
    mat_free(&m);
    free(b.d);
}

static void test_png_gray16(void **state)
{
    (void)state;
    /* big-endian samples: 0xffff, 0x8080 (= 128 * 257), 0x0000 */
    const unsigned char px[] = {0xff, 0xff, 0x80, 0x80, 0x00, 0x00};
    Bytes b = png_make(&(PngSpec){
        .w = 3, .h = 1, .color_type = PNG_COLOR_TYPE_GRAY, .depth = 16, .rows = px, .stride = 6});
    Mat m;
    Status st;
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_int_equal(m.cols, 3);
    assert_near(MAT_AT(&m, 0, 0), 1.0, 1e-6);
    assert_near(MAT_AT(&m, 0, 1), 128 / 255.0, 1 / 255.0);
    assert_near(MAT_AT(&m, 0, 2), 0.0, 1e-6);
    mat_free(&m);
    free(b.d);
}

static void test_png_rgb(void **state)
{
    (void)state;
    /* gray-valued RGB pixels stay exact; pure red/green/blue get Rec. 709 luma */
    const unsigned char px[] = {100, 100, 100, 255, 0, 0, 0, 255, 0, 0, 0, 255};
    Bytes b = png_make(&(PngSpec){
        .w = 4, .h = 1, .color_type = PNG_COLOR_TYPE_RGB, .depth = 8, .rows = px, .stride = 12});
    Mat m;
    Status st;
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_int_equal(m.rows, 1);
    assert_int_equal(m.cols, 4);
    assert_near(MAT_AT(&m, 0, 0), 100 / 255.0, 1e-6);
    assert_near(MAT_AT(&m, 0, 1), 0.2126, 2 / 255.0);
    assert_near(MAT_AT(&m, 0, 2), 0.7152, 2 / 255.0);
    assert_near(MAT_AT(&m, 0, 3), 0.0722, 2 / 255.0);
    mat_free(&m);
    free(b.d);

    /* 16-bit RGB */
    const unsigned char px16[] = {0x12, 0x34, 0x12, 0x34, 0x12, 0x34};
    b = png_make(&(PngSpec){
        .w = 1, .h = 1, .color_type = PNG_COLOR_TYPE_RGB, .depth = 16, .rows = px16, .stride = 6});
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_near(MAT_AT(&m, 0, 0), 0x1234 / 65535.0, 1 / 255.0);
    mat_free(&m);
    free(b.d);
}

static void test_png_alpha(void **state)
{
    (void)state;
    Mat m;
    Status st;
    /* RGBA: alpha is dropped, the colour stays, even where fully transparent */
    const unsigned char px[] = {50, 50, 50, 0, 200, 200, 200, 255, 9, 9, 9, 128};
    Bytes b = png_make(&(PngSpec){.w = 3,
                                  .h = 1,
                                  .color_type = PNG_COLOR_TYPE_RGB_ALPHA,
                                  .depth = 8,
                                  .rows = px,
                                  .stride = 12});
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_values(&m, 1, 3, (const float[]){50 / 255.0f, 200 / 255.0f, 9 / 255.0f});
    mat_free(&m);
    free(b.d);
    /* gray + alpha */
    const unsigned char ga[] = {77, 0, 177, 255};
    b = png_make(&(PngSpec){.w = 2,
                            .h = 1,
                            .color_type = PNG_COLOR_TYPE_GRAY_ALPHA,
                            .depth = 8,
                            .rows = ga,
                            .stride = 4});
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_values(&m, 1, 2, (const float[]){77 / 255.0f, 177 / 255.0f});
    mat_free(&m);
    free(b.d);
    /* 16-bit RGBA */
    const unsigned char px16[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00};
    b = png_make(&(PngSpec){.w = 1,
                            .h = 1,
                            .color_type = PNG_COLOR_TYPE_RGB_ALPHA,
                            .depth = 16,
                            .rows = px16,
                            .stride = 8});
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_near(MAT_AT(&m, 0, 0), 1.0, 1e-6);
    mat_free(&m);
    free(b.d);
}

static void test_png_palette(void **state)
{
    (void)state;
    const png_color pal[] = {{0, 0, 0}, {128, 128, 128}, {255, 255, 255}, {0, 0, 255}};
    const unsigned char trns[] = {255, 0}; /* entry 1 transparent: alpha is stripped anyway */
    /* 2-bit indices 0, 1, 2, 3, 2 packed MSB first: 00 01 10 11 | 10 00 00 00 */
    const unsigned char px[] = {0x1b, 0x80};
    Bytes b = png_make(&(PngSpec){.w = 5,
                                  .h = 1,
                                  .color_type = PNG_COLOR_TYPE_PALETTE,
                                  .depth = 2,
                                  .rows = px,
                                  .stride = 2,
                                  .palette = pal,
                                  .npalette = 4,
                                  .trns = trns,
                                  .ntrns = 2});
    Mat m;
    Status st;
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    assert_int_equal(m.cols, 5);
    assert_near(MAT_AT(&m, 0, 0), 0.0, 1e-6);
    assert_near(MAT_AT(&m, 0, 1), 128 / 255.0, 1e-6);
    assert_near(MAT_AT(&m, 0, 2), 1.0, 1e-6);
    assert_near(MAT_AT(&m, 0, 3), 0.0722, 2 / 255.0);
    assert_near(MAT_AT(&m, 0, 4), 1.0, 1e-6);
    mat_free(&m);
    free(b.d);
}

static void test_png_interlaced(void **state)
{
    (void)state;
    unsigned char px[7 * 9];
    for (int k = 0; k < 7 * 9; k++)
        px[k] = (unsigned char)(k * 4);
    Bytes b = png_make(&(PngSpec){.w = 9,
                                  .h = 7,
                                  .color_type = PNG_COLOR_TYPE_GRAY,
                                  .depth = 8,
                                  .rows = px,
                                  .stride = 9,
                                  .interlace = true});
    Mat m;
    Status st;
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    float want[7 * 9];
    for (int k = 0; k < 7 * 9; k++)
        want[k] = px[k] / 255.0f;
    assert_values(&m, 7, 9, want);
    mat_free(&m);
    free(b.d);
}

/* A 16 x 16 gray PNG whose pixels do not compress to nothing. */
static Bytes png_noise(void)
{
    unsigned char px[256];
    uint32_t x = 12345;
    for (int k = 0; k < 256; k++) {
        x = x * 1103515245u + 12345u;
        px[k] = (unsigned char)(x >> 24);
    }
    return png_make(&(PngSpec){
        .w = 16, .h = 16, .color_type = PNG_COLOR_TYPE_GRAY, .depth = 8, .rows = px, .stride = 16});
}

static void test_png_truncated(void **state)
{
    (void)state;
    Bytes b = png_noise();
    Mat m;
    Status st;
    assert_int_equal(read_png(&m, &b, &st), LS_OK);
    mat_free(&m);
    /* cut anywhere: inside IHDR, inside IDAT, just before IEND */
    const size_t cuts[] = {8, 20, 40, b.n / 2, b.n - 13, b.n - 1};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        int rc = io_read_png_mem(&m, b.d, cuts[k], "t.png", &st);
        assert_int_equal(rc, LS_ERR_PARSE);
        assert_msg_has(st, "t.png: corrupt PNG");
        assert_null(m.data);
    }
    free(b.d);
}

static void test_png_corrupt(void **state)
{
    (void)state;
    Bytes b = png_noise();
    Mat m;
    Status st;
    /* IDAT starts at 8 (signature) + 25 (IHDR chunk); flip a data byte */
    b.d[8 + 25 + 8 + 5] ^= 0x55;
    assert_int_equal(read_png(&m, &b, &st), LS_ERR_PARSE);
    assert_msg_has(st, "t.png: corrupt PNG");
    free(b.d);
    /* not a PNG at all */
    assert_int_equal(io_read_png_mem(&m, (const unsigned char *)"hello, world", 12, "t.png", &st),
                     LS_ERR_PARSE);
    assert_msg_has(st, "t.png: not a PNG");
    assert_int_equal(io_read_png_mem(&m, NULL, 0, "t.png", &st), LS_ERR_PARSE);
}

/* CRC-32 as PNG chunks use it, for hand-made chunks libpng would not write. */
static uint32_t crc32_png(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* signature + IHDR(w, h, 8-bit gray) + empty IDAT + IEND, all CRCs right. */
static size_t png_handmade(unsigned char *out, uint32_t w, uint32_t h)
{
    static const unsigned char sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    size_t n = 0;
    memcpy(out, sig, 8);
    n = 8;
    unsigned char ihdr[13];
    put_be32(ihdr, w);
    put_be32(ihdr + 4, h);
    ihdr[8] = 8; /* depth */
    ihdr[9] = 0; /* gray */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    const struct {
        const char *type;
        const unsigned char *data;
        uint32_t len;
    } chunks[] = {{"IHDR", ihdr, 13}, {"IDAT", NULL, 0}, {"IEND", NULL, 0}};
    for (int c = 0; c < 3; c++) {
        put_be32(out + n, chunks[c].len);
        memcpy(out + n + 4, chunks[c].type, 4);
        if (chunks[c].len) memcpy(out + n + 8, chunks[c].data, chunks[c].len);
        put_be32(out + n + 8 + chunks[c].len, crc32_png(out + n + 4, 4 + chunks[c].len));
        n += 12 + chunks[c].len;
    }
    return n;
}

static void test_png_bad_size(void **state)
{
    (void)state;
    unsigned char buf[128];
    Mat m;
    Status st;
    size_t n = png_handmade(buf, 0, 4);
    assert_int_equal(io_read_png_mem(&m, buf, n, "t.png", &st), LS_ERR_PARSE);
    assert_msg_has(st, "t.png:");
    n = png_handmade(buf, 4, 0);
    assert_int_equal(io_read_png_mem(&m, buf, n, "t.png", &st), LS_ERR_PARSE);
    assert_msg_has(st, "t.png:");
    n = png_handmade(buf, 5000, 1);
    assert_int_equal(io_read_png_mem(&m, buf, n, "t.png", &st), LS_ERR_RANGE);
    assert_msg_has(st, "t.png: image is 5000 x 1 pixels; the limit is 4096");
    n = png_handmade(buf, 1, 100000);
    assert_int_equal(io_read_png_mem(&m, buf, n, "t.png", &st), LS_ERR_RANGE);
    /* the size is fine but the empty IDAT holds no pixels */
    n = png_handmade(buf, 2, 2);
    assert_int_equal(io_read_png_mem(&m, buf, n, "t.png", &st), LS_ERR_PARSE);
    assert_msg_has(st, "t.png: corrupt PNG");
    assert_null(m.data);
}

/* ------------------------------------------------------------------------
 * Image files, dispatch by magic bytes */

static void test_read_image_files(void **state)
{
    Scratch *s = *state;
    char path[256], want[300];
    Mat m;
    Status st;
    bool is_image = false;

    scratch_path(path, sizeof path, s, "a.pgm");
    const char p2[] = "P2 2 1 255 0 255\n";
    write_file(path, p2, sizeof p2 - 1);
    assert_int_equal(io_read_image(&m, path, &st), LS_OK);
    assert_values(&m, 1, 2, (const float[]){0, 1});
    mat_free(&m);
    assert_int_equal(io_read_any(&m, path, &is_image, &st), LS_OK);
    assert_true(is_image);
    mat_free(&m);

    /* a PNG under a misleading name is still a PNG */
    Bytes b = png_noise();
    scratch_path(path, sizeof path, s, "noise.dat");
    write_file(path, b.d, b.n);
    free(b.d);
    assert_int_equal(io_read_any(&m, path, &is_image, &st), LS_OK);
    assert_true(is_image);
    assert_int_equal(m.rows, 16);
    mat_free(&m);

    scratch_path(path, sizeof path, s, "m.csv");
    write_file(path, "1,2\n", 4);
    assert_int_equal(io_read_any(&m, path, &is_image, &st), LS_OK);
    assert_false(is_image);
    mat_free(&m);
    assert_int_equal(io_read_any(&m, path, NULL, &st), LS_OK);
    mat_free(&m);
    /* ...but it is not an image */
    assert_int_equal(io_read_image(&m, path, &st), LS_ERR_PARSE);
    snprintf(want, sizeof want, "%s: not a PGM (P2/P5) or PNG image", path);
    assert_msg_has(st, want);

    scratch_path(path, sizeof path, s, "c.ppm");
    write_file(path, "P6 1 1 255\n\x01\x02\x03", 14);
    assert_int_equal(io_read_image(&m, path, &st), LS_ERR_PARSE);
    assert_msg_has(st, "P6 is not supported");
    assert_msg_has(st, path);
    assert_int_equal(io_read_any(&m, path, &is_image, &st), LS_ERR_PARSE);

    scratch_path(path, sizeof path, s, "cut.pgm");
    write_file(path, "P5 4 4 255\n\x01", 12);
    assert_int_equal(io_read_image(&m, path, &st), LS_ERR_PARSE);
    snprintf(want, sizeof want, "%s: truncated pixel data", path);
    assert_msg_has(st, want);

    scratch_path(path, sizeof path, s, "nothing-here.png");
    assert_int_equal(io_read_image(&m, path, &st), LS_ERR_IO);
    assert_msg_has(st, path);
    assert_int_equal(io_read_any(&m, path, &is_image, &st), LS_ERR_IO);
    assert_null(m.data);
}

/* ------------------------------------------------------------------------
 * Writing */

/* A 5 x 7 test image with in-range values plus three that need clamping. */
static void make_ramp(Mat *img)
{
    assert_int_equal(mat_init(img, 5, 7, NULL), LS_OK);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++)
            MAT_AT(img, i, j) = (float)(i * 7 + j) / 34.0f;
    MAT_AT(img, 0, 1) = -0.5f;
    MAT_AT(img, 1, 1) = 1.7f;
    MAT_AT(img, 2, 2) = NAN;
}

static void check_ramp(const Mat *got)
{
    assert_int_equal(got->rows, 5);
    assert_int_equal(got->cols, 7);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 7; j++) {
            double want = (double)(i * 7 + j) / 34.0;
            if (i == 0 && j == 1) want = 0.0;
            if (i == 1 && j == 1) want = 1.0;
            if (i == 2 && j == 2) want = 0.0;
            assert_near(MAT_AT(got, i, j), want, 1.0 / 255.0);
            /* rounding, not truncation: never more than half a level off */
            assert_near(MAT_AT(got, i, j), want, 0.5 / 255.0 + 1e-6);
        }
}

static void roundtrip(const Scratch *s, const char *name, const unsigned char *magic,
                      size_t magic_len)
{
    char path[256];
    scratch_path(path, sizeof path, s, name);
    Mat img, back;
    Status st;
    make_ramp(&img);
    int rc = io_write_image(path, &img, &st);
    if (rc) fail_msg("%s", st.msg);
    mat_free(&img);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char head[8] = {0};
    assert_int_equal(fread(head, 1, magic_len, f), magic_len);
    fclose(f);
    assert_memory_equal(head, magic, magic_len);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_int_equal(io_read_image(&back, path, &st), LS_OK);
    check_ramp(&back);
    mat_free(&back);
}

static const unsigned char pgm_magic[] = {'P', '5'};
static const unsigned char png_magic[] = {137, 80, 78, 71, 13, 10, 26, 10};

static void test_write_pgm_roundtrip(void **state)
{
    roundtrip(*state, "out.pgm", pgm_magic, 2);
    roundtrip(*state, "UPPER.PGM", pgm_magic, 2);
}

static void test_write_png_roundtrip(void **state)
{
    roundtrip(*state, "out.png", png_magic, 8);
    roundtrip(*state, "Mixed.PnG", png_magic, 8);
}

/* A view with stride > cols is written as its own block only. */
static void test_write_view(void **state)
{
    Scratch *s = *state;
    char path[256];
    scratch_path(path, sizeof path, s, "view.png");
    Mat big, back;
    Status st;
    assert_int_equal(mat_init(&big, 4, 4, NULL), LS_OK);
    for (int k = 0; k < 16; k++)
        big.data[k] = (float)k / 15.0f;
    Mat v = mat_view(&big, 1, 1, 2, 2);
    assert_int_equal(io_write_image(path, &v, &st), LS_OK);
    assert_int_equal(io_read_image(&back, path, &st), LS_OK);
    assert_values(&back, 2, 2, (const float[]){5 / 15.0f, 6 / 15.0f, 9 / 15.0f, 10 / 15.0f});
    mat_free(&back);
    mat_free(&big);
}

static void test_write_bad_extension(void **state)
{
    Scratch *s = *state;
    char path[256];
    Mat img;
    Status st;
    make_ramp(&img);
    const char *names[] = {"out.jpg", "out", "out.pgm.bak", "out.", ".png.d/out"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        scratch_path(path, sizeof path, s, names[k]);
        assert_int_equal(io_write_image(path, &img, &st), LS_ERR_ARG);
        assert_msg_has(st, path);
        assert_msg_has(st, ".pgm or .png");
    }
    int temps;
    assert_int_equal(count_entries(s->dir, &temps), 0);
    mat_free(&img);
}

static void test_write_bad_args(void **state)
{
    Scratch *s = *state;
    char path[256];
    scratch_path(path, sizeof path, s, "e.png");
    Mat empty = {0};
    Status st;
    assert_int_equal(io_write_image(path, &empty, &st), LS_ERR_ARG);
    assert_msg_has(st, path);
    assert_int_equal(io_write_image(path, NULL, &st), LS_ERR_ARG);
    assert_int_equal(io_write_image(NULL, &empty, &st), LS_ERR_ARG);
    assert_int_equal(io_write_image("", &empty, NULL), LS_ERR_ARG);
}

/* Writes leave exactly the target behind: no temporary files, whether the
 * write worked, replaced an older file, or failed at the rename. */
static void test_write_atomic(void **state)
{
    Scratch *s = *state;
    char path[256], sub[256];
    Mat img, back;
    Status st;
    int temps;

    scratch_path(path, sizeof path, s, "a.png");
    make_ramp(&img);
    assert_int_equal(io_write_image(path, &img, &st), LS_OK);
    mat_free(&img);
    /* replace it with a different size */
    assert_int_equal(mat_init(&img, 3, 2, NULL), LS_OK);
    mat_fill(&img, 0.5f);
    assert_int_equal(io_write_image(path, &img, &st), LS_OK);
    assert_int_equal(io_read_image(&back, path, &st), LS_OK);
    assert_int_equal(back.rows, 3);
    assert_int_equal(back.cols, 2);
    mat_free(&back);
    assert_int_equal(count_entries(s->dir, &temps), 1);
    assert_int_equal(temps, 0);

    /* the target is a folder: the temporary file is made, the rename fails,
     * and the temporary file must be gone afterwards */
    scratch_path(sub, sizeof sub, s, "folder.pgm");
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(io_write_image(sub, &img, &st), LS_ERR_IO);
    assert_msg_has(st, sub);
    assert_int_equal(count_entries(s->dir, &temps), 2);
    assert_int_equal(temps, 0);

    /* a folder that does not exist */
    scratch_path(path, sizeof path, s, "no/such/dir/x.png");
    assert_int_equal(io_write_image(path, &img, &st), LS_ERR_IO);
    assert_msg_has(st, path);
    assert_int_equal(count_entries(s->dir, &temps), 2);
    assert_int_equal(temps, 0);
    mat_free(&img);
}

/* ------------------------------------------------------------------------ */

#define SCRATCH(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_good),
        cmocka_unit_test(test_whitespace_separated),
        cmocka_unit_test(test_comments_and_blank_lines),
        cmocka_unit_test(test_mem_not_nul_terminated),
        cmocka_unit_test(test_csv_ragged),
        cmocka_unit_test(test_csv_not_a_number),
        cmocka_unit_test(test_csv_empty_value),
        cmocka_unit_test(test_csv_nan_inf),
        cmocka_unit_test(test_csv_empty_input),
        cmocka_unit_test(test_csv_too_large),
        SCRATCH(test_matrix_file),
        SCRATCH(test_matrix_stdin),
        cmocka_unit_test(test_shipped_matrices),
        cmocka_unit_test(test_pgm_p2),
        cmocka_unit_test(test_pgm_p5_8bit),
        cmocka_unit_test(test_pgm_p5_16bit),
        cmocka_unit_test(test_pgm_bad_header),
        cmocka_unit_test(test_pgm_too_large),
        cmocka_unit_test(test_pgm_pixel_above_maxval),
        cmocka_unit_test(test_pgm_truncated),
        cmocka_unit_test(test_png_gray8),
        cmocka_unit_test(test_png_gray_low_depth),
        cmocka_unit_test(test_png_gray16),
        cmocka_unit_test(test_png_rgb),
        cmocka_unit_test(test_png_alpha),
        cmocka_unit_test(test_png_palette),
        cmocka_unit_test(test_png_interlaced),
        cmocka_unit_test(test_png_truncated),
        cmocka_unit_test(test_png_corrupt),
        cmocka_unit_test(test_png_bad_size),
        SCRATCH(test_read_image_files),
        SCRATCH(test_write_pgm_roundtrip),
        SCRATCH(test_write_png_roundtrip),
        SCRATCH(test_write_view),
        SCRATCH(test_write_bad_extension),
        SCRATCH(test_write_bad_args),
        SCRATCH(test_write_atomic),
    };
    return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
