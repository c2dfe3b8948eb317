/* One-pass CPU updates for float32 tensors, each the same float operations, in the same order, as
 * the multi-tensor torch code it replaces (see _fused.py, which compiles this file and checks every
 * kernel against that code, bit for bit, before using it).
 *
 * Compiled with -ffp-contract=off: a multiply and an add are fused only where fmaf says so, which is
 * where torch's own kernel fuses them (its addcmul is fma(value * t1, t2, self)).
 */
#include <math.h>
#include <stdint.h>

/* AdaMix, the weight part of He & Li eq. (16), torch code: optimbook.optim.adamix.adamix_weight_update
 *   s = g * g;  [s = s * ss;]  s = s + K;  s = 1 / sqrt(s)      (_foreach_mul, mul_, add_, rsqrt_)
 *   rate = rate * s                                              (_foreach_mul_)
 *   p = p + (a * rate) * g, fused                                (_foreach_addcmul_, value a)    */
void optimbook_adamix_weight(float *restrict p, const float *restrict g, float *restrict rate,
                             int64_t n, int scaled, float ss, float K, float a) {
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        float s = gi * gi;
        if (scaled)
            s = s * ss;
        s = s + K;
        s = 1.0f / sqrtf(s);
        float r = rate[i] * s;
        rate[i] = r;
        p[i] = fmaf(a * r, gi, p[i]);
    }
}

/* The RBM's momentum step with weight decay, torch code: optimbook.pretraining.momentum_step
 *   inc = inc * m;  inc = inc + a * d, fused;  inc = inc + c * w, fused    (mul_, add_, add_)
 *   w = w + inc                                                            (add_)             */
void optimbook_momentum_decay(float *restrict w, float *restrict inc, const float *restrict d,
                              int64_t n, float m, float a, float c) {
    for (int64_t i = 0; i < n; i++) {
        float x = inc[i] * m;
        x = fmaf(a, d[i], x);
        x = fmaf(c, w[i], x);
        inc[i] = x;
        w[i] = w[i] + x;
    }
}

/* AdaGrad in one pass with a correctly rounded root (sqrtf), for benchmarks/adamix_cost.py only: it
 * prices AdaGrad's update as tightly as AdaMix's one-pass kernel, so that the two compare as
 * algorithms. The library never runs it: where torch's float sqrt is not correctly rounded, its
 * numbers differ from adagrad_update's in the last bit.                                           */
void optimbook_adagrad_onepass(float *restrict p, const float *restrict g, float *restrict sum,
                               int64_t n, float v, int has_eps, float eps, float a) {
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i];
        float r = fmaf(v * gi, gi, sum[i]);
        sum[i] = r;
        float d = sqrtf(r);
        if (has_eps)
            d = d + eps;
        p[i] = p[i] + (a * gi) / d;
    }
}
