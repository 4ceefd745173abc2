/* layers.c — forward and backward passes of the GPT-2 building blocks
 * (see layers.h for shapes and the gradient conventions).
 *
 * Every matrix product is one linalg_sgemm call (row-major), except the
 * per-head products of small attention heads (plain loops, see "The causal
 * products of one head"). The Conv1D weight layout (in, out) means:
 *   forward       out   (N,OC) = inp  (N,IC)  @ W  (IC,OC)      sgemm(N, N)
 *   input grad    dinp  (N,IC) = dout (N,OC)  @ W^T              sgemm(N, T)
 *   weight grad   dW   (IC,OC) += inp^T (IC,N) @ dout (N,OC)     sgemm(T, N)
 */
#include "layers.h"

#include <math.h>
#include <string.h>

#include "../core/linalg.h"
#include "vecmath.h"
#ifdef __SSE2__
#include <xmmintrin.h>
#endif

/* ---------------------------------------------------------------------------
 * Embedding */

void encoder_forward(float *out, const int *inp, const float *wte, const float *wpe,
                     int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            float *o = out + ((size_t)b * T + t) * C;
            const float *we = wte + (size_t)inp[b * T + t] * C;
            const float *pe = wpe + (size_t)t * C;
            for (int i = 0; i < C; i++) o[i] = we[i] + pe[i];
        }
    }
}

void encoder_backward(float *dwte, float *dwpe, const float *dout, const int *inp,
                      int B, int T, int C)
{
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float *d = dout + ((size_t)b * T + t) * C;
            if (dwte) {
                float *dw = dwte + (size_t)inp[b * T + t] * C;
                for (int i = 0; i < C; i++) dw[i] += d[i];
            }
            if (dwpe) {
                float *dp = dwpe + (size_t)t * C;
                for (int i = 0; i < C; i++) dp[i] += d[i];
            }
        }
    }
}

/* ---------------------------------------------------------------------------
 * LayerNorm */

/* Sum of x[0..n) with four lanes (then the scalar tail). */
static inline float vsum(const float *x, int n)
{
    f32x4 acc = v4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) acc += v4_load(x + i);
    float s = v4_hsum(acc);
    for (; i < n; i++) s += x[i];
    return s;
}

/* Mean and 1/std of four rows x[r * C ..], each summed exactly as
 * layernorm_forward sums one row (four lanes, then the tail), but with the
 * four rows' chains interleaved: one row's adds wait on each other, four
 * rows' do not. */
static void ln_stats4(const float *x, int C, float eps, float *m, float *s)
{
    const float *x0 = x, *x1 = x0 + C, *x2 = x1 + C, *x3 = x2 + C;
    f32x4 a0 = v4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i + 4 <= C; i += 4) {
        a0 += v4_load(x0 + i);
        a1 += v4_load(x1 + i);
        a2 += v4_load(x2 + i);
        a3 += v4_load(x3 + i);
    }
    float sum[4] = {v4_hsum(a0), v4_hsum(a1), v4_hsum(a2), v4_hsum(a3)};
    for (int r = 0; r < 4; r++) {
        for (int k = i; k < C; k++) sum[r] += x[(size_t)r * C + k];
        m[r] = sum[r] / (float)C;
    }
    f32x4 m0 = v4_splat(m[0]), m1 = v4_splat(m[1]), m2 = v4_splat(m[2]), m3 = v4_splat(m[3]);
    a0 = a1 = a2 = a3 = v4_splat(0.0f);
    for (i = 0; i + 4 <= C; i += 4) {
        f32x4 d0 = v4_load(x0 + i) - m0, d1 = v4_load(x1 + i) - m1;
        f32x4 d2 = v4_load(x2 + i) - m2, d3 = v4_load(x3 + i) - m3;
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
    }
    float var[4] = {v4_hsum(a0), v4_hsum(a1), v4_hsum(a2), v4_hsum(a3)};
    for (int r = 0; r < 4; r++) {
        const float *xr = x + (size_t)r * C;
        for (int k = i; k < C; k++) var[r] += (xr[k] - m[r]) * (xr[k] - m[r]);
        var[r] /= (float)C;
        s[r] = 1.0f / sqrtf(var[r] + eps);
    }
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, float eps, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        float *o = out + (size_t)n * C;
        /* Two passes (mean, then variance about the mean): the one-pass
         * E[x^2] - E[x]^2 formula loses digits when |mean| >> std. Rows
         * come four at a time when four are left (ln_stats4, same sums). */
        if (n % 4 == 0 && n + 4 <= N) ln_stats4(x, C, eps, mean + n, rstd + n);
        int i = 0;
        if (n >= N - N % 4) { /* the last N % 4 rows, one by one */
            float m = vsum(x, C) / (float)C;
            f32x4 vm = v4_splat(m), acc = v4_splat(0.0f);
            for (; i + 4 <= C; i += 4) {
                f32x4 d = v4_load(x + i) - vm;
                acc += d * d;
            }
            float v = v4_hsum(acc);
            for (; i < C; i++) v += (x[i] - m) * (x[i] - m);
            v /= (float)C;
            mean[n] = m;
            rstd[n] = 1.0f / sqrtf(v + eps);
        }
        float m = mean[n], s = rstd[n];
        f32x4 vm = v4_splat(m), vs = v4_splat(s);
        for (i = 0; i + 4 <= C; i += 4)
            v4_store(o + i, (v4_load(x + i) - vm) * vs * v4_load(weight + i) + v4_load(bias + i));
        for (; i < C; i++) o[i] = (x[i] - m) * s * weight[i] + bias[i];
    }
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * C;
        const float *x = inp + (size_t)n * C;
        float m = mean[n], s = rstd[n];
        f32x4 vm = v4_splat(m), vs = v4_splat(s);
        /* With xhat = (x - mean) * rstd and g = w * dout:
         *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
         *   dweight += xhat * dout,  dbias += dout */
        f32x4 ag = v4_splat(0.0f), agx = v4_splat(0.0f);
        int i = 0;
        for (; i + 4 <= C; i += 4) {
            f32x4 dd = v4_load(d + i);
            f32x4 xhat = (v4_load(x + i) - vm) * vs;
            f32x4 g = v4_load(weight + i) * dd;
            ag += g;
            agx += g * xhat;
            if (dbias) v4_store(dbias + i, v4_load(dbias + i) + dd);
            if (dweight) v4_store(dweight + i, v4_load(dweight + i) + xhat * dd);
        }
        float gsum = v4_hsum(ag), gxsum = v4_hsum(agx);
        for (; i < C; i++) {
            float xhat = (x[i] - m) * s;
            float g = weight[i] * d[i];
            gsum += g;
            gxsum += g * xhat;
            if (dbias) dbias[i] += d[i];
            if (dweight) dweight[i] += xhat * d[i];
        }
        if (!dinp) continue;
        float *dx = dinp + (size_t)n * C;
        float gmean = gsum / (float)C, gxmean = gxsum / (float)C;
        f32x4 vgm = v4_splat(gmean), vgxm = v4_splat(gxmean);
        for (i = 0; i + 4 <= C; i += 4) {
            f32x4 xhat = (v4_load(x + i) - vm) * vs;
            f32x4 g = v4_load(weight + i) * v4_load(d + i);
            v4_store(dx + i, v4_load(dx + i) + (g - vgm - xhat * vgxm) * vs);
        }
        for (; i < C; i++) {
            float xhat = (x[i] - m) * s;
            float g = weight[i] * d[i];
            dx[i] += (g - gmean - xhat * gxmean) * s;
        }
    }
}

void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp,
                           const float *weight, const float *bias, float eps, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        double m = 0.0, v = 0.0;
        for (int i = 0; i < C; i++) m += x[i];
        m /= C;
        for (int i = 0; i < C; i++) v += (x[i] - m) * (x[i] - m);
        v /= C;
        double s = 1.0 / sqrt(v + eps);
        for (int i = 0; i < C; i++) out[(size_t)n * C + i] = (float)((x[i] - m) * s * weight[i] + bias[i]);
        mean[n] = (float)m;
        rstd[n] = (float)s;
    }
}

void layernorm_backward_ref(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C)
{
    for (int n = 0; n < N; n++) {
        const float *d = dout + (size_t)n * C;
        const float *x = inp + (size_t)n * C;
        double gmean = 0.0, gxmean = 0.0;
        for (int i = 0; i < C; i++) {
            double xhat = (x[i] - mean[n]) * (double)rstd[n];
            gmean += weight[i] * d[i];
            gxmean += weight[i] * d[i] * xhat;
            if (dbias) dbias[i] += d[i];
            if (dweight) dweight[i] += (float)(xhat * d[i]);
        }
        gmean /= C;
        gxmean /= C;
        for (int i = 0; dinp && i < C; i++) {
            double xhat = (x[i] - mean[n]) * (double)rstd[n];
            dinp[(size_t)n * C + i] += (float)((weight[i] * d[i] - gmean - xhat * gxmean) * rstd[n]);
        }
    }
}

/* ---------------------------------------------------------------------------
 * Linear (Conv1D layout) */

void matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int IC, int OC)
{
    /* Start from the bias and let sgemm accumulate (beta = 1): one pass over
     * out instead of a product followed by a separate bias pass. */
    if (bias)
        for (int n = 0; n < N; n++) memcpy(out + (size_t)n * OC, bias, (size_t)OC * sizeof(float));
    linalg_sgemm(false, false, N, OC, IC, 1.0f, inp, IC, weight, OC, bias ? 1.0f : 0.0f, out, OC);
}

void matmul_forward_residual(float *out, const float *res, const float *inp,
                             const float *weight, const float *bias, int N, int IC, int OC)
{
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * OC;
        const float *r = res + (size_t)n * OC;
        if (bias) {
            int i = 0;
            for (; i + 4 <= OC; i += 4) v4_store(o + i, v4_load(r + i) + v4_load(bias + i));
            for (; i < OC; i++) o[i] = r[i] + bias[i];
        } else if (o != r)
            memcpy(o, r, (size_t)OC * sizeof(float));
    }
    linalg_sgemm(false, false, N, OC, IC, 1.0f, inp, IC, weight, OC, 1.0f, out, OC);
}

void matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int IC, int OC)
{
    if (dinp) linalg_sgemm(false, true, N, IC, OC, 1.0f, dout, OC, weight, OC, 0.0f, dinp, IC);
    if (dweight) linalg_sgemm(true, false, IC, OC, N, 1.0f, inp, IC, dout, OC, 1.0f, dweight, OC);
    if (dbias) {
        /* Column sums, row by row (streaming through dout; dbias stays in L1). */
        for (int n = 0; n < N; n++) {
            const float *d = dout + (size_t)n * OC;
            int o = 0;
            for (; o + 4 <= OC; o += 4) v4_store(dbias + o, v4_load(dbias + o) + v4_load(d + o));
            for (; o < OC; o++) dbias[o] += d[o];
        }
    }
}

/* ---------------------------------------------------------------------------
 * Attention */

#ifdef LS_X86_AVX2
/* row[i] = exp(row[i] - mx) for i in [0, n), sixteen at a time then eight;
 * returns how many it did. Same arithmetic per element as v4_exp. */
LS_AVX512 static int exp_shift_avx512(float *row, int n, float mx)
{
    f32x16 vm = v16_splat(mx);
    int i = 0;
    for (; i + 16 <= n; i += 16) v16_store(row + i, v16_exp(v16_load(row + i) - vm));
    return i;
}

LS_AVX2 static int exp_shift_avx2(float *row, int n, float mx)
{
    f32x8 vm = v8_splat(mx);
    int i = 0;
    for (; i + 8 <= n; i += 8) v8_store(row + i, v8_exp(v8_load(row + i) - vm));
    return i;
}

/* The widest of the two the CPU has; 0 without AVX2. */
static int exp_shift_wide(float *row, int n, float mx)
{
    int i = 0;
    if (cpu_has_avx512()) i = exp_shift_avx512(row, n, mx);
    if (cpu_has_avx2()) i += exp_shift_avx2(row + i, n - i, mx);
    return i;
}
#endif

/* In-place softmax of row[0..n) with vector exp; row[n..S) set to 0.
 * The exps may be taken 16 or 8 at a time; the sum always runs in the same
 * four-lane order, so every path gives identical rows. */
static void softmax_causal_row(float *row, int n, int S)
{
    f32x4 vmax = v4_splat(-INFINITY);
    int i = 0;
    for (; i + 4 <= n; i += 4) vmax = v4_max(vmax, v4_load(row + i));
    float mx = v4_hmax(vmax);
    for (; i < n; i++) mx = row[i] > mx ? row[i] : mx;
    f32x4 vm = v4_splat(mx);
    i = 0;
#ifdef LS_X86_AVX2
    i = exp_shift_wide(row, n, mx);
#endif
    for (; i + 4 <= n; i += 4) v4_store(row + i, v4_exp(v4_load(row + i) - vm));
    for (; i < n; i++) row[i] = fast_expf(row[i] - mx);
    f32x4 vsum = v4_splat(0.0f);
    for (i = 0; i + 4 <= n; i += 4) vsum += v4_load(row + i);
    float sum = v4_hsum(vsum);
    for (; i < n; i++) sum += row[i];
    float inv = 1.0f / sum;
    f32x4 vinv = v4_splat(inv);
    for (i = 0; i + 4 <= n; i += 4) v4_store(row + i, v4_load(row + i) * vinv);
    for (; i < n; i++) row[i] *= inv;
    if (S > n) memset(row + n, 0, (size_t)(S - n) * sizeof(float));
}

/* ---- The causal products of one head, without sgemm ----
 *
 * A head of the reference model is tiny (T = 64 queries of hs = 32
 * channels): OpenBLAS spends more time packing and calling than computing
 * on it (~45 GFLOP/s against ~140 on the model's linear layers). For heads
 * up to ATT_DIRECT_FLOATS (hs x T) the products below run as plain loops
 * over the lower triangle only, four rows by one vector of W lanes at a
 * time. Each output element is summed in ascending order, one product then
 * one add (no FMA), lane by lane as in the scalar tails, so every vector
 * width gives the same numbers; against sgemm's FMAs they differ only by
 * rounding. Larger heads take the sgemm blocks further down. */
enum { ATT_DIRECT_FLOATS = 8192 }; /* the transposed K or V of one head, on the stack */

/* Three kernels, for one vector width each:
 *   scores  o[t][j] = alpha sum_i x[t][i] yt[i][j]     j <= t (and up to the
 *                     end of the vector that holds t; entries past t are
 *                     scratch that the softmax masks)
 *   rowmix  o[t][c] = sum_{j <= t} w[t][j] y[j][c]      c < hs
 *   colmix  o[j][c] = sum_{t >= j} w[t][j] y[t][c]      c < hs
 * x, y, o, w are row-major with the given strides; yt is (hs, T) dense. */
typedef struct AttKernels {
    void (*scores)(float *o, int ldo, const float *x, int ldx, const float *yt, float alpha,
                   int T, int hs);
    void (*rowmix)(float *o, int ldo, const float *w, int ldw, const float *y, int ldy, int T,
                   int hs);
    void (*colmix)(float *o, int ldo, const float *w, int ldw, const float *y, int ldy, int T,
                   int hs);
} AttKernels;

/* Each kernel takes rows four at a time (four accumulators: independent
 * adds keep the vector units busy) and the last T % 4 rows one by one. */
#define ATT_SCORES_BODY(VF, W, LOAD, STORE, SPLAT)                                         \
    int t0 = 0;                                                                            \
    for (; t0 + 4 <= T; t0 += 4) {                                                         \
        const float *x0 = x + (size_t)t0 * ldx, *x1 = x0 + ldx, *x2 = x1 + ldx, *x3 = x2 + ldx; \
        float *o0 = o + (size_t)t0 * ldo;                                                  \
        int j = 0, n = t0 + 4; /* the block's rows need columns [0, t0 + 4) */             \
        for (; j < n && j + W <= T; j += W) {                                              \
            VF a0 = SPLAT(0.0f), a1 = a0, a2 = a0, a3 = a0;                                \
            for (int i = 0; i < hs; i++) {                                                 \
                VF yv = LOAD(yt + (size_t)i * T + j);                                      \
                a0 += SPLAT(x0[i]) * yv;                                                   \
                a1 += SPLAT(x1[i]) * yv;                                                   \
                a2 += SPLAT(x2[i]) * yv;                                                   \
                a3 += SPLAT(x3[i]) * yv;                                                   \
            }                                                                              \
            STORE(o0 + j, a0 * alpha);                                                     \
            STORE(o0 + ldo + j, a1 * alpha);                                               \
            STORE(o0 + 2 * ldo + j, a2 * alpha);                                           \
            STORE(o0 + 3 * ldo + j, a3 * alpha);                                           \
        }                                                                                  \
        for (; j < n; j++)                                                                 \
            for (int r = 0; r < 4; r++) {                                                  \
                float a = 0.0f;                                                            \
                for (int i = 0; i < hs; i++) a += x0[(size_t)r * ldx + i] * yt[(size_t)i * T + j]; \
                o0[(size_t)r * ldo + j] = a * alpha;                                       \
            }                                                                              \
    }                                                                                      \
    for (; t0 < T; t0++) {                                                                 \
        const float *x0 = x + (size_t)t0 * ldx;                                            \
        float *o0 = o + (size_t)t0 * ldo;                                                  \
        int j = 0;                                                                         \
        for (; j <= t0 && j + W <= T; j += W) {                                            \
            VF a0 = SPLAT(0.0f);                                                           \
            for (int i = 0; i < hs; i++) a0 += SPLAT(x0[i]) * LOAD(yt + (size_t)i * T + j); \
            STORE(o0 + j, a0 * alpha);                                                     \
        }                                                                                  \
        for (; j <= t0; j++) {                                                             \
            float a = 0.0f;                                                                \
            for (int i = 0; i < hs; i++) a += x0[i] * yt[(size_t)i * T + j];               \
            o0[j] = a * alpha;                                                             \
        }                                                                                  \
    }

#define ATT_ROWMIX_BODY(VF, W, LOAD, STORE, SPLAT)                                         \
    int t0 = 0;                                                                            \
    for (; t0 + 4 <= T; t0 += 4) {                                                         \
        const float *w0 = w + (size_t)t0 * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw, *w3 = w2 + ldw; \
        float *o0 = o + (size_t)t0 * ldo;                                                  \
        int c = 0;                                                                         \
        for (; c + W <= hs; c += W) {                                                      \
            VF a0 = SPLAT(0.0f), a1 = a0, a2 = a0, a3 = a0;                                \
            const float *yc = y + c;                                                       \
            /* the keys all four rows see, then rows 1..3's own last ones */              \
            for (int j = 0; j <= t0; j++) {                                                \
                VF yv = LOAD(yc + (size_t)j * ldy);                                        \
                a0 += SPLAT(w0[j]) * yv;                                                   \
                a1 += SPLAT(w1[j]) * yv;                                                   \
                a2 += SPLAT(w2[j]) * yv;                                                   \
                a3 += SPLAT(w3[j]) * yv;                                                   \
            }                                                                              \
            VF y1 = LOAD(yc + (size_t)(t0 + 1) * ldy), y2 = LOAD(yc + (size_t)(t0 + 2) * ldy); \
            VF y3 = LOAD(yc + (size_t)(t0 + 3) * ldy);                                     \
            a1 += SPLAT(w1[t0 + 1]) * y1;                                                  \
            a2 += SPLAT(w2[t0 + 1]) * y1;                                                  \
            a3 += SPLAT(w3[t0 + 1]) * y1;                                                  \
            a2 += SPLAT(w2[t0 + 2]) * y2;                                                  \
            a3 += SPLAT(w3[t0 + 2]) * y2;                                                  \
            a3 += SPLAT(w3[t0 + 3]) * y3;                                                  \
            STORE(o0 + c, a0);                                                             \
            STORE(o0 + ldo + c, a1);                                                       \
            STORE(o0 + 2 * ldo + c, a2);                                                   \
            STORE(o0 + 3 * ldo + c, a3);                                                   \
        }                                                                                  \
        for (; c < hs; c++)                                                                \
            for (int r = 0; r < 4; r++) {                                                  \
                float a = 0.0f;                                                            \
                for (int j = 0; j <= t0 + r; j++)                                          \
                    a += w0[(size_t)r * ldw + j] * y[(size_t)j * ldy + c];                 \
                o0[(size_t)r * ldo + c] = a;                                               \
            }                                                                              \
    }                                                                                      \
    for (; t0 < T; t0++) {                                                                 \
        const float *w0 = w + (size_t)t0 * ldw;                                            \
        float *o0 = o + (size_t)t0 * ldo;                                                  \
        int c = 0;                                                                         \
        for (; c + W <= hs; c += W) {                                                      \
            VF a0 = SPLAT(0.0f);                                                           \
            for (int j = 0; j <= t0; j++) a0 += SPLAT(w0[j]) * LOAD(y + (size_t)j * ldy + c); \
            STORE(o0 + c, a0);                                                             \
        }                                                                                  \
        for (; c < hs; c++) {                                                              \
            float a = 0.0f;                                                                \
            for (int j = 0; j <= t0; j++) a += w0[j] * y[(size_t)j * ldy + c];             \
            o0[c] = a;                                                                     \
        }                                                                                  \
    }

#define ATT_COLMIX_BODY(VF, W, LOAD, STORE, SPLAT)                                         \
    int j0 = 0;                                                                            \
    for (; j0 + 4 <= T; j0 += 4) {                                                         \
        float *o0 = o + (size_t)j0 * ldo;                                                  \
        const float *wj = w + j0;                                                          \
        int c = 0;                                                                         \
        for (; c + W <= hs; c += W) {                                                      \
            const float *yc = y + c;                                                       \
            /* queries j0..j0+2 reach only some of the four keys, later ones all */       \
            VF y0 = LOAD(yc + (size_t)j0 * ldy), y1 = LOAD(yc + (size_t)(j0 + 1) * ldy);   \
            VF y2 = LOAD(yc + (size_t)(j0 + 2) * ldy);                                     \
            const float *w0 = wj + (size_t)j0 * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw;       \
            VF a0 = SPLAT(0.0f), a1 = a0, a2 = a0, a3 = a0;                                \
            a0 += SPLAT(w0[0]) * y0;                                                       \
            a0 += SPLAT(w1[0]) * y1;                                                       \
            a1 += SPLAT(w1[1]) * y1;                                                       \
            a0 += SPLAT(w2[0]) * y2;                                                       \
            a1 += SPLAT(w2[1]) * y2;                                                       \
            a2 += SPLAT(w2[2]) * y2;                                                       \
            for (int t = j0 + 3; t < T; t++) {                                             \
                VF yv = LOAD(yc + (size_t)t * ldy);                                        \
                const float *wt = wj + (size_t)t * ldw;                                    \
                a0 += SPLAT(wt[0]) * yv;                                                   \
                a1 += SPLAT(wt[1]) * yv;                                                   \
                a2 += SPLAT(wt[2]) * yv;                                                   \
                a3 += SPLAT(wt[3]) * yv;                                                   \
            }                                                                              \
            STORE(o0 + c, a0);                                                             \
            STORE(o0 + ldo + c, a1);                                                       \
            STORE(o0 + 2 * ldo + c, a2);                                                   \
            STORE(o0 + 3 * ldo + c, a3);                                                   \
        }                                                                                  \
        for (; c < hs; c++)                                                                \
            for (int r = 0; r < 4; r++) {                                                  \
                float a = 0.0f;                                                            \
                for (int t = j0 + r; t < T; t++)                                           \
                    a += wj[(size_t)t * ldw + r] * y[(size_t)t * ldy + c];                 \
                o0[(size_t)r * ldo + c] = a;                                               \
            }                                                                              \
    }                                                                                      \
    for (; j0 < T; j0++) {                                                                 \
        float *o0 = o + (size_t)j0 * ldo;                                                  \
        int c = 0;                                                                         \
        for (; c + W <= hs; c += W) {                                                      \
            VF a0 = SPLAT(0.0f);                                                           \
            for (int t = j0; t < T; t++)                                                   \
                a0 += SPLAT(w[(size_t)t * ldw + j0]) * LOAD(y + (size_t)t * ldy + c);      \
            STORE(o0 + c, a0);                                                             \
        }                                                                                  \
        for (; c < hs; c++) {                                                              \
            float a = 0.0f;                                                                \
            for (int t = j0; t < T; t++) a += w[(size_t)t * ldw + j0] * y[(size_t)t * ldy + c]; \
            o0[c] = a;                                                                     \
        }                                                                                  \
    }

/* One width's three kernels, with the target attribute ATTR. */
#define ATT_KERNELS(SUFFIX, ATTR, VF, W, LOAD, STORE, SPLAT)                               \
    ATTR static void att_scores_##SUFFIX(float *o, int ldo, const float *x, int ldx,        \
                                         const float *yt, float alpha, int T, int hs)      \
    {                                                                                      \
        ATT_SCORES_BODY(VF, W, LOAD, STORE, SPLAT)                                         \
    }                                                                                      \
    ATTR static void att_rowmix_##SUFFIX(float *o, int ldo, const float *w, int ldw,        \
                                         const float *y, int ldy, int T, int hs)           \
    {                                                                                      \
        ATT_ROWMIX_BODY(VF, W, LOAD, STORE, SPLAT)                                         \
    }                                                                                      \
    ATTR static void att_colmix_##SUFFIX(float *o, int ldo, const float *w, int ldw,        \
                                         const float *y, int ldy, int T, int hs)           \
    {                                                                                      \
        ATT_COLMIX_BODY(VF, W, LOAD, STORE, SPLAT)                                         \
    }                                                                                      \
    static const AttKernels att_kernels_##SUFFIX = {att_scores_##SUFFIX, att_rowmix_##SUFFIX, \
                                                    att_colmix_##SUFFIX};

#define ATT_NOATTR
ATT_KERNELS(v4, ATT_NOATTR, f32x4, 4, v4_load, v4_store, v4_splat)
#ifdef LS_X86_AVX2
ATT_KERNELS(v8, LS_AVX2, f32x8, 8, v8_load, v8_store, v8_splat)
ATT_KERNELS(v16, LS_AVX512, f32x16, 16, v16_load, v16_store, v16_splat)
#endif

/* The widest kernels the CPU runs. */
static const AttKernels *att_kernels(void)
{
#ifdef LS_X86_AVX2
    if (cpu_has_avx512()) return &att_kernels_v16;
    if (cpu_has_avx2()) return &att_kernels_v8;
#endif
    return &att_kernels_v4;
}

/* yt (hs, T) = the hs channels of T rows of stride ld, transposed. */
static void att_transpose(float *yt, const float *y, int ld, int T, int hs)
{
    /* 4 x 4 blocks: four rows loaded, transposed in registers, stored. */
    int j = 0;
    for (; j + 4 <= T; j += 4) {
        const float *y0 = y + (size_t)j * ld, *y1 = y0 + ld, *y2 = y1 + ld, *y3 = y2 + ld;
        int i = 0;
#ifdef __SSE2__
        for (; i + 4 <= hs; i += 4) {
            __m128 r0 = _mm_loadu_ps(y0 + i), r1 = _mm_loadu_ps(y1 + i);
            __m128 r2 = _mm_loadu_ps(y2 + i), r3 = _mm_loadu_ps(y3 + i);
            _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
            float *d = yt + (size_t)i * T + j;
            _mm_storeu_ps(d, r0);
            _mm_storeu_ps(d + T, r1);
            _mm_storeu_ps(d + 2 * T, r2);
            _mm_storeu_ps(d + 3 * T, r3);
        }
#endif
        for (; i < hs; i++) {
            float *d = yt + (size_t)i * T + j;
            d[0] = y0[i], d[1] = y1[i], d[2] = y2[i], d[3] = y3[i];
        }
    }
    for (; j < T; j++)
        for (int i = 0; i < hs; i++) yt[(size_t)i * T + j] = y[(size_t)j * ld + i];
}

/* The causal mask makes the T x T score matrix lower triangular, so the
 * products run over row blocks: queries [r0, r1) need keys [0, r1) only,
 * and keys [c0, c1) get gradients only from queries [c0, T). With
 * ATT_BLOCKS blocks the products do (ATT_BLOCKS + 1) / (2 ATT_BLOCKS) of
 * the dense work, at the price of more (small) sgemm calls. */
enum { ATT_BLOCKS = 2 };

static void att_block(int T, int i, int *r0, int *r1)
{
    int bs = (T + ATT_BLOCKS - 1) / ATT_BLOCKS;
    *r0 = i * bs < T ? i * bs : T;
    *r1 = (i + 1) * bs < T ? (i + 1) * bs : T;
}

void attention_forward(float *out, float *att, const float *qkv, const float *pk,
                       const float *pv, int B, int T, int C, int NH, int P)
{
    int hs = C / NH, S = P + T, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    float yt[ATT_DIRECT_FLOATS]; /* (hs, T): one head's keys, transposed */
    const AttKernels *kern = (size_t)hs * T <= ATT_DIRECT_FLOATS ? att_kernels() : NULL;
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * hs; /* (T,hs), stride 3C */
            const float *k = q + C;
            const float *v = q + 2 * C;
            float *a = att + ((size_t)b * NH + h) * T * S;              /* (T,S) */
            float *y = out + (size_t)b * T * C + (size_t)h * hs;        /* (T,hs), stride C */
            /* Scores: the prefix block first, then the causal T x T part. */
            if (P > 0)
                linalg_sgemm(false, true, T, P, hs, scale, q, C3, pk + h * hs, C, 0.0f, a, S);
            if (kern) {
                att_transpose(yt, k, C3, T, hs);
                kern->scores(a + P, S, q, C3, yt, scale, T, hs);
            } else {
                for (int i = 0; i < ATT_BLOCKS; i++) {
                    int r0, r1;
                    att_block(T, i, &r0, &r1);
                    if (r1 > r0)
                        linalg_sgemm(false, true, r1 - r0, r1, hs, scale, q + (size_t)r0 * C3, C3,
                                     k, C3, 0.0f, a + (size_t)r0 * S + P, S);
                }
            }
            /* Query t sees the P prefix keys and the real keys 0..t. */
            for (int t = 0; t < T; t++) softmax_causal_row(a + (size_t)t * S, P + t + 1, S);
            if (kern) {
                kern->rowmix(y, C, a + P, S, v, C3, T, hs);
            } else {
                for (int i = 0; i < ATT_BLOCKS; i++) {
                    int r0, r1;
                    att_block(T, i, &r0, &r1);
                    if (r1 > r0)
                        linalg_sgemm(false, false, r1 - r0, hs, r1, 1.0f, a + (size_t)r0 * S + P,
                                     S, v, C3, 0.0f, y + (size_t)r0 * C, C);
                }
            }
            if (P > 0)
                linalg_sgemm(false, false, T, hs, P, 1.0f, a, S, pv + h * hs, C, 1.0f, y, C);
        }
    }
}

void attention_backward(float *dqkv, float *dpk, float *dpv, float *scratch,
                        const float *dout, const float *qkv, const float *att,
                        const float *pk, const float *pv, int B, int T, int C, int NH, int P)
{
    int hs = C / NH, S = P + T, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    float *d = scratch; /* (T,S): dA, then dS in place */
    float yt[ATT_DIRECT_FLOATS]; /* (hs, T): one head's values, transposed */
    const AttKernels *kern = (size_t)hs * T <= ATT_DIRECT_FLOATS ? att_kernels() : NULL;
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (size_t)b * T * C3 + (size_t)h * hs;
            const float *k = q + C;
            const float *v = q + 2 * C;
            float *dq = dqkv + (size_t)b * T * C3 + (size_t)h * hs;
            float *dk = dq + C;
            float *dv = dq + 2 * C;
            const float *a = att + ((size_t)b * NH + h) * T * S;
            const float *dy = dout + (size_t)b * T * C + (size_t)h * hs;
            /* y = A [pv; v]:  dA = dy [pv; v]^T,  dv = A_real^T dy,  dpv += A_pre^T dy */
            if (P > 0)
                linalg_sgemm(false, true, T, P, hs, 1.0f, dy, C, pv + h * hs, C, 0.0f, d, S);
            if (kern) {
                att_transpose(yt, v, C3, T, hs);
                kern->scores(d + P, S, dy, C, yt, 1.0f, T, hs);
                kern->colmix(dv, C3, a + P, S, dy, C, T, hs);
            }
            for (int i = 0; !kern && i < ATT_BLOCKS; i++) {
                int r0, r1;
                att_block(T, i, &r0, &r1);
                if (r1 <= r0) continue;
                /* dA rows [r0, r1) over keys [0, r1) */
                linalg_sgemm(false, true, r1 - r0, r1, hs, 1.0f, dy + (size_t)r0 * C, C, v, C3, 0.0f,
                             d + (size_t)r0 * S + P, S);
                /* dv rows [r0, r1) from queries [r0, T) */
                linalg_sgemm(true, false, r1 - r0, hs, T - r0, 1.0f, a + (size_t)r0 * S + P + r0, S,
                             dy + (size_t)r0 * C, C, 0.0f, dv + (size_t)r0 * C3, C3);
            }
            if (P > 0 && dpv)
                linalg_sgemm(true, false, P, hs, T, 1.0f, a, S, dy, C, 1.0f, dpv + h * hs, C);
            /* Softmax backward, row by row: dS = A * (dA - sum(A * dA)), with
             * the 1/sqrt(hs) of the scores folded in. Masked entries have
             * A == 0 and become exactly 0. */
            for (int t = 0; t < T; t++) {
                const float *ar = a + (size_t)t * S;
                float *dr = d + (size_t)t * S;
                int n = P + t + 1;
                f32x4 vdot = v4_splat(0.0f);
                int i = 0;
                for (; i + 4 <= n; i += 4) vdot += v4_load(ar + i) * v4_load(dr + i);
                float dot = v4_hsum(vdot);
                for (; i < n; i++) dot += ar[i] * dr[i];
                f32x4 vd = v4_splat(dot), vsc = v4_splat(scale);
                for (i = 0; i + 4 <= n; i += 4)
                    v4_store(dr + i, v4_load(ar + i) * (v4_load(dr + i) - vd) * vsc);
                for (; i < n; i++) dr[i] = ar[i] * (dr[i] - dot) * scale;
                if (S > n) memset(dr + n, 0, (size_t)(S - n) * sizeof(float));
            }
            /* S = q [pk; k]^T:  dq = dS [pk; k],  dk = dS_real^T q,  dpk += dS_pre^T q */
            if (kern) {
                kern->rowmix(dq, C3, d + P, S, k, C3, T, hs);
                kern->colmix(dk, C3, d + P, S, q, C3, T, hs);
            }
            for (int i = 0; !kern && i < ATT_BLOCKS; i++) {
                int r0, r1;
                att_block(T, i, &r0, &r1);
                if (r1 <= r0) continue;
                linalg_sgemm(false, false, r1 - r0, hs, r1, 1.0f, d + (size_t)r0 * S + P, S, k, C3, 0.0f,
                             dq + (size_t)r0 * C3, C3);
                linalg_sgemm(true, false, r1 - r0, hs, T - r0, 1.0f, d + (size_t)r0 * S + P + r0, S,
                             q + (size_t)r0 * C3, C3, 0.0f, dk + (size_t)r0 * C3, C3);
            }
            if (P > 0)
                linalg_sgemm(false, false, T, hs, P, 1.0f, d, S, pk + h * hs, C, 1.0f, dq, C3);
            if (P > 0 && dpk)
                linalg_sgemm(true, false, P, hs, T, 1.0f, d, S, q, C3, 1.0f, dpk + h * hs, C);
        }
    }
}

/* Row j of the P+T keys (off = C) or values (off = 2C) seen by head h of
 * batch row b, as a pointer to its hs channels. */
static const float *ref_kv(const float *qkv, const float *prefix, int b, int h, int j,
                           int T, int C, int NH, int P, int off)
{
    int hs = C / NH;
    if (j < P) return prefix + (size_t)j * C + (size_t)h * hs;
    return qkv + ((size_t)b * T + (j - P)) * 3 * C + off + (size_t)h * hs;
}

void attention_forward_ref(float *out, float *att, const float *qkv, const float *pk,
                           const float *pv, int B, int T, int C, int NH, int P)
{
    int hs = C / NH, S = P + T;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + (size_t)h * hs;
                float *a = att + (((size_t)b * NH + h) * T + t) * S;
                int n = P + t + 1;
                float mx = -INFINITY;
                for (int j = 0; j < n; j++) {
                    const float *k = ref_kv(qkv, pk, b, h, j, T, C, NH, P, C);
                    float s = 0.0f;
                    for (int i = 0; i < hs; i++) s += q[i] * k[i];
                    a[j] = s * scale;
                    if (a[j] > mx) mx = a[j];
                }
                float sum = 0.0f;
                for (int j = 0; j < n; j++) {
                    a[j] = expf(a[j] - mx);
                    sum += a[j];
                }
                for (int j = 0; j < n; j++) a[j] /= sum;
                for (int j = n; j < S; j++) a[j] = 0.0f;
                float *y = out + ((size_t)b * T + t) * C + (size_t)h * hs;
                for (int i = 0; i < hs; i++) y[i] = 0.0f;
                for (int j = 0; j < n; j++) {
                    const float *v = ref_kv(qkv, pv, b, h, j, T, C, NH, P, 2 * C);
                    for (int i = 0; i < hs; i++) y[i] += a[j] * v[i];
                }
            }
}

void attention_backward_ref(float *dqkv, float *dpk, float *dpv, const float *dout,
                            const float *qkv, const float *att, const float *pk,
                            const float *pv, int B, int T, int C, int NH, int P)
{
    int hs = C / NH, S = P + T;
    float scale = 1.0f / sqrtf((float)hs);
    memset(dqkv, 0, (size_t)B * T * 3 * C * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + (size_t)h * hs;
                float *dq = dqkv + ((size_t)b * T + t) * 3 * C + (size_t)h * hs;
                const float *a = att + (((size_t)b * NH + h) * T + t) * S;
                const float *dy = dout + ((size_t)b * T + t) * C + (size_t)h * hs;
                int n = P + t + 1;
                float da[n];
                float dot = 0.0f;
                for (int j = 0; j < n; j++) {
                    const float *v = ref_kv(qkv, pv, b, h, j, T, C, NH, P, 2 * C);
                    float s = 0.0f;
                    for (int i = 0; i < hs; i++) s += dy[i] * v[i];
                    da[j] = s;
                    dot += a[j] * s;
                    /* dv_j += a_j dy */
                    float *dv = j < P ? (dpv ? dpv + (size_t)j * C + (size_t)h * hs : NULL)
                                      : dqkv + ((size_t)b * T + (j - P)) * 3 * C + 2 * C
                                            + (size_t)h * hs;
                    if (dv)
                        for (int i = 0; i < hs; i++) dv[i] += a[j] * dy[i];
                }
                for (int j = 0; j < n; j++) {
                    float ds = a[j] * (da[j] - dot) * scale;
                    const float *k = ref_kv(qkv, pk, b, h, j, T, C, NH, P, C);
                    for (int i = 0; i < hs; i++) dq[i] += ds * k[i];
                    float *dk = j < P ? (dpk ? dpk + (size_t)j * C + (size_t)h * hs : NULL)
                                      : dqkv + ((size_t)b * T + (j - P)) * 3 * C + C
                                            + (size_t)h * hs;
                    if (dk)
                        for (int i = 0; i < hs; i++) dk[i] += ds * q[i];
                }
            }
}

/* ---------------------------------------------------------------------------
 * GELU (tanh approximation)
 *
 * 0.5 (1 + tanh(u)) = sigmoid(2u), so gelu(x) = x / (1 + exp(-2u)): one exp
 * and one division, no tanh. -2u = x (c1 + c3 x^2) with
 *   c1 = -2 sqrt(2/pi),  c3 = -2 sqrt(2/pi) 0.044715.
 * For the derivative, with s = sigmoid(2u):
 *   gelu'(x) = s + x s (1 - s) 2 u'(x),  u'(x) = sqrt(2/pi) (1 + 3 * 0.044715 x^2). */

#define GELU_K 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_A 0.044715f
#define GELU_C1 (-2.0f * GELU_K)
#define GELU_C3 (-2.0f * GELU_K * GELU_A)

/* The two formulas, written once for any vector width. */
#define GELU_OF(x, EXP) ((x) / (1.0f + EXP((x) * (GELU_C1 + GELU_C3 * (x) * (x)))))
#define GELU_GRAD_OF(VF, x, EXP, g)                                        \
    do {                                                                   \
        VF x2_ = (x) * (x);                                                \
        VF s_ = 1.0f / (1.0f + EXP((x) * (GELU_C1 + GELU_C3 * x2_)));     \
        VF du_ = (2.0f * GELU_K) * (1.0f + (3.0f * GELU_A) * x2_);         \
        g = s_ + (x) * s_ * (1.0f - s_) * du_;                             \
    } while (0)

static inline f32x4 gelu_v4(f32x4 x) { return GELU_OF(x, v4_exp); }

static inline f32x4 gelu_grad_v4(f32x4 x)
{
    f32x4 g;
    GELU_GRAD_OF(f32x4, x, v4_exp, g);
    return g;
}

#ifdef LS_X86_AVX2
/* Sixteen lanes at a time; returns how many elements it did (a multiple of 16). */
LS_AVX512 static size_t gelu_forward_avx512(float *out, const float *inp, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        f32x16 x = v16_load(inp + i);
        v16_store(out + i, GELU_OF(x, v16_exp));
    }
    return i;
}

LS_AVX512 static size_t gelu_backward_avx512(float *dinp, const float *inp, const float *dout,
                                             size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        f32x16 x = v16_load(inp + i), g;
        GELU_GRAD_OF(f32x16, x, v16_exp, g);
        v16_store(dinp + i, g * v16_load(dout + i));
    }
    return i;
}

/* Eight lanes at a time; returns how many elements it did (a multiple of 8). */
LS_AVX2 static size_t gelu_forward_avx2(float *out, const float *inp, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        f32x8 x = v8_load(inp + i);
        v8_store(out + i, GELU_OF(x, v8_exp));
    }
    return i;
}

LS_AVX2 static size_t gelu_backward_avx2(float *dinp, const float *inp, const float *dout, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        f32x8 x = v8_load(inp + i), g;
        GELU_GRAD_OF(f32x8, x, v8_exp, g);
        v8_store(dinp + i, g * v8_load(dout + i));
    }
    return i;
}
#endif

void gelu_forward(float *out, const float *inp, size_t n)
{
    size_t i = 0;
#ifdef LS_X86_AVX2
    if (cpu_has_avx512()) i = gelu_forward_avx512(out, inp, n);
    if (cpu_has_avx2()) i += gelu_forward_avx2(out + i, inp + i, n - i);
#endif
    for (; i + 4 <= n; i += 4) v4_store(out + i, gelu_v4(v4_load(inp + i)));
    for (; i < n; i++) out[i] = gelu_v4(v4_splat(inp[i]))[0];
}

void gelu_backward(float *dinp, const float *inp, const float *dout, size_t n)
{
    size_t i = 0;
#ifdef LS_X86_AVX2
    if (cpu_has_avx512()) i = gelu_backward_avx512(dinp, inp, dout, n);
    if (cpu_has_avx2()) i += gelu_backward_avx2(dinp + i, inp + i, dout + i, n - i);
#endif
    for (; i + 4 <= n; i += 4)
        v4_store(dinp + i, gelu_grad_v4(v4_load(inp + i)) * v4_load(dout + i));
    for (; i < n; i++) dinp[i] = gelu_grad_v4(v4_splat(inp[i]))[0] * dout[i];
}

void gelu_backward_bias(float *dinp, float *dbias, const float *inp, const float *dout, int N, int C)
{
    /* Row by row: the row's gradient is computed (AVX-512, AVX2 or four
     * lanes, as in gelu_backward) and added to dbias while it is still in
     * L1, sparing matmul_backward a second pass over the (N, C) gradient.
     * The sums run over rows in order, as matmul_backward's would. */
    for (int n = 0; n < N; n++) {
        float *dx = dinp + (size_t)n * C;
        gelu_backward(dx, inp + (size_t)n * C, dout + (size_t)n * C, (size_t)C);
        int o = 0;
        for (; o + 4 <= C; o += 4) v4_store(dbias + o, v4_load(dbias + o) + v4_load(dx + o));
        for (; o < C; o++) dbias[o] += dx[o];
    }
}

void gelu_forward_ref(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanhf(GELU_K * (x + GELU_A * x * x * x)));
    }
}

void gelu_backward_ref(float *dinp, const float *inp, const float *dout, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float t = tanhf(GELU_K * (x + GELU_A * x * x * x));
        float du = GELU_K * (1.0f + 3.0f * GELU_A * x * x);
        dinp[i] = (0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du) * dout[i];
    }
}

/* ---------------------------------------------------------------------------
 * Softmax cross-entropy */

void crossentropy_forward(float *losses, float *logits, const int *targets, float grad_scale,
                          int N, int V)
{
    for (int n = 0; n < N; n++) {
        float *x = logits + (size_t)n * V;
        float xt = x[targets[n]];
        f32x4 vmax = v4_splat(-INFINITY);
        int i = 0;
        for (; i + 4 <= V; i += 4) vmax = v4_max(vmax, v4_load(x + i));
        float mx = v4_hmax(vmax);
        for (; i < V; i++) mx = x[i] > mx ? x[i] : mx;
        f32x4 vsum = v4_splat(0.0f), vm = v4_splat(mx);
        float sum;
        if (grad_scale != 0.0f) {
            /* Keep exp(x - max) in place: the gradient needs it next. The
             * exps may go 16 or 8 at a time; the sum runs in four-lane order. */
            i = 0;
#ifdef LS_X86_AVX2
            i = exp_shift_wide(x, V, mx);
#endif
            for (; i + 4 <= V; i += 4) v4_store(x + i, v4_exp(v4_load(x + i) - vm));
            for (; i < V; i++) x[i] = fast_expf(x[i] - mx);
            for (i = 0; i + 4 <= V; i += 4) vsum += v4_load(x + i);
            sum = v4_hsum(vsum);
            for (; i < V; i++) sum += x[i];
            float g = grad_scale / sum;
            for (i = 0; i < V; i++) x[i] *= g;
            x[targets[n]] -= grad_scale;
        } else {
            for (i = 0; i + 4 <= V; i += 4) vsum += v4_exp(v4_load(x + i) - vm);
            sum = v4_hsum(vsum);
            for (; i < V; i++) sum += fast_expf(x[i] - mx);
        }
        losses[n] = mx + logf(sum) - xt;
    }
}

void crossentropy_forward_ref(float *losses, float *logits, const int *targets,
                              float grad_scale, int N, int V)
{
    for (int n = 0; n < N; n++) {
        float *x = logits + (size_t)n * V;
        float mx = -INFINITY;
        for (int i = 0; i < V; i++) mx = x[i] > mx ? x[i] : mx;
        double sum = 0.0;
        for (int i = 0; i < V; i++) sum += exp((double)x[i] - mx);
        losses[n] = (float)(mx + log(sum) - x[targets[n]]);
        if (grad_scale != 0.0f) {
            for (int i = 0; i < V; i++) x[i] = (float)(exp((double)x[i] - mx) / sum) * grad_scale;
            x[targets[n]] -= grad_scale;
        }
    }
}

void softmax_row(float *probs, const float *x, float temperature, int n)
{
    float mx = -INFINITY;
    for (int i = 0; i < n; i++) mx = x[i] > mx ? x[i] : mx;
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        probs[i] = expf((x[i] - mx) / temperature);
        sum += probs[i];
    }
    for (int i = 0; i < n; i++) probs[i] = (float)(probs[i] / sum);
}
