/*
 * cross_entropy.cl: CrossEntropyLoss (PyTorch's torch.nn.CrossEntropyLoss) and its gradient, as
 * OpenCL C 1.2 and, through kernels-cu/cross_entropy.cu, CUDA C. The reference semantics are the
 * CPU kernel's, dev.jloss.backend.cpu.CrossEntropyCpu.
 *
 * The logits are read as (N, C, S) with S = d1 * ... * dk (1 without K-dim): element (n, c, s) at
 * (n * C + c) * S + s, so the C logits of position i = n * S + s start at n * C * S + s with stride S.
 * Class-index targets hold one index per position; class-probability targets (q != 0) have the
 * logits' shape and layout.
 *
 * One launch does everything for a position: a single sweep over its logits keeps an online maximum m
 * and sum s = sum exp(x - m) (rescaled whenever m grows), plus the weighted sums the smoothing and
 * probability terms need, giving lse = m + log(s) and the loss; when the gradient is wanted a second
 * read of the logits writes it from m and s (softmax_c = exp(x_c - m) / s). No softmax is stored and
 * nothing is recomputed across calls. How positions are split (flags & CROSS_ENTROPY_FLAG_WIDE, chosen by
 * the host: rows of at least a few dozen classes without K-dim):
 *   wide:   one work-group per row (groups stride over rows), its work-items over the row's classes;
 *           group_max / group_sum combine their (m, s) pairs and sums, then each writes its classes'
 *           gradient. On CPU devices (JL_CHUNKED) work-item 0 of each group takes the group's rows
 *           alone, without barriers, unless JL_GROUP_ROWS is defined (the tests run the GPU path on
 *           PoCL that way);
 *   narrow: one work-item per position (FOR_EACH_ITEM), all its classes in a loop: rows of a few
 *           classes, and K-dim, where neighbouring work-items read neighbouring positions of a class
 *           (contiguous in memory).
 * Each work-group leaves the sum of its positions' losses in partials[group] (and, for a forward-only
 * class-index mean, the sum of its targets' weights in den_partials[group]); reduce_partials
 * (reduce.cl) finishes a reduced loss in a fixed order. A class-index mean that writes the gradient
 * reads its denominator from den, summed beforehand by class_targets_weight_sum (class_targets.cl).
 *
 * Beyond PyTorch (class indices only, as on the CPU): softcap k > 0 replaces every logit x by
 * y = k tanh(x / k) wherever a logit is read (cross_entropy_logit) and multiplies its gradient element by
 * 1 - tanh(x / k)^2; lse_square_scale s > 0 (z-loss) adds zf s lse^2 to a position's loss and
 * zf 2 s lse softmax_c to its gradient, where zf = den / zcount for a weighted mean (zcount: the count of
 * positions not ignored, so that the z part of the mean is divided by the count) and 1 otherwise.
 */
#include "class_targets.h"

/* flags bits: CrossEntropyLossDevice.Flags, by name (KernelContractTest) */
#define CROSS_ENTROPY_FLAG_STORE_OUT 1        /* out[i] = the position's loss (reduction none) */
#define CROSS_ENTROPY_FLAG_PARTIALS 2         /* partials[group] = the group's sum of losses */
#define CROSS_ENTROPY_FLAG_GO_PER_POSITION 4  /* go holds one upstream gradient per position (reduction none) */
#define CROSS_ENTROPY_FLAG_MEAN 8             /* reduction mean */
#define CROSS_ENTROPY_FLAG_WIDE 16            /* one work-group per row */
#define CROSS_ENTROPY_FLAG_DEN_PARTIALS 32    /* den_partials[group] = the group's sum of the targets' weights */

#define CROSS_ENTROPY_NEG_INF (-(real_t) INFINITY)

/* The logit as the loss sees it: k tanh(v / k) with a soft cap k > 0, else v; *dv = its derivative. */
DEVICE_FN real_t cross_entropy_logit(real_t v, real_t cap, real_t *dv) {
    if (cap > 0) {
        real_t th = jl_tanh(v / cap);
        *dv = 1 - th * th;
        return cap * th;
    }
    *dv = 1;
    return v;
}

/*
 * What one sweep over (part of) a position's logits leaves:
 *   m    the largest logit seen (-inf before any)     s    sum of exp(x - m) over them
 *   wq   probabilities: sum w[c] q'_c                 wx   probabilities: sum w[c] q'_c x_c;
 *                                                          class indices with smoothing: sum w[c] x_c
 * with q'_c = (1 - eps) q_c + eps / C.
 */
typedef struct {
    real_t m;
    acc_t s;
    acc_t wq;
    acc_t wx;
} cross_entropy_sweep_t;

/*
 * Folds logit v into the online maximum and sum.
 * NOTE: a -inf logit adds nothing (exp(-inf - m) = 0) and is skipped, so -inf - -inf never makes a NaN
 * while m is still -inf; a NaN logit fails both comparisons' first branch and makes s NaN, as it
 * makes the CPU kernel's maximum NaN.
 */
DEVICE_FN void cross_entropy_online(real_t v, real_t *m, acc_t *s) {
    if (v > *m) {
        *s = *s * jl_exp(*m - v) + 1;
        *m = v;
    } else if (v != CROSS_ENTROPY_NEG_INF) {
        *s += jl_exp(v - *m);
    }
}

/* The classes cstart, cstart + cstep, ... of the logits x[base + c * stride]. */
DEVICE_FN cross_entropy_sweep_t cross_entropy_sweep(GLOBAL const float *x, GLOBAL const float *q,
                                                    GLOBAL const float *w, jl_long base, jl_long stride,
                                                    jl_long cstart, jl_long cstep, jl_long classes, real_t keep,
                                                    real_t spread, int smoothing, real_t cap) {
    cross_entropy_sweep_t r;
    r.m = CROSS_ENTROPY_NEG_INF;
    r.s = 0;
    r.wq = 0;
    r.wx = 0;
    for (jl_long c = cstart; c < classes; c += cstep) {
        jl_long k = base + c * stride;
        real_t dv;
        real_t v = cross_entropy_logit((real_t) x[k], cap, &dv);
        cross_entropy_online(v, &r.m, &r.s);
        if (q != 0) {
            real_t wc = w != 0 ? (real_t) w[c] * ((real_t) q[k] * keep + spread) : (real_t) q[k] * keep + spread;
            r.wq += wc;
            r.wx += wc * v;
        } else if (smoothing) {
            r.wx += class_target_weight(w, c) * v;
        }
    }
    return r;
}

/*
 * A position's loss from its finished sweep, and the coefficients of its gradient
 *   dx_c = a exp(x_c - m) - b w[c]                     (class index, c != t; b = 0 without smoothing)
 *   dx_t = a exp(x_t - m) - g (1 - eps) w[t] - b w[t]  (the target)
 *   dx_c = a exp(x_c - m) - g w[c] q'_c                (probabilities)
 * for class indices (t >= 0; W = sum_c w[c], eps the smoothing, g the position's upstream gradient):
 *   lse = m + log(s)
 *   l   = (1 - eps) w[t] (lse - x_t) + eps / C (W lse - sum_c w[c] x_c)
 *   a   = g ((1 - eps) w[t] + eps W / C + 2 z lse) / s    b = g eps / C
 * plus z lse^2 in l, with z = zf s the z-loss scale (0 when off; see the file header); x is the capped logit
 * and for probabilities (t < 0): l = lse sum_c w[c] q'_c - sum_c w[c] q'_c x_c, a = g sum_c w[c] q'_c / s.
 * NOTE: a maximum of +-inf (or a NaN logit) makes s NaN, so the loss and the whole gradient row are NaN,
 * as they are on the CPU, where x - max is NaN for the largest logit (PyTorch's log_softmax likewise).
 */
DEVICE_FN real_t cross_entropy_finish(cross_entropy_sweep_t r, jl_long t, real_t xt, real_t wt, real_t keep,
                                      real_t spread, real_t weight_total, int smoothing, real_t z, real_t g,
                                      real_t *a, real_t *b) {
    real_t s = (real_t) r.s + (r.m - r.m); /* m - m: 0 for a finite m, else NaN */
    real_t lse = r.m + jl_log(s);
    if (t < 0) {
        *a = g * (real_t) r.wq / s;
        *b = g;
        return lse * (real_t) r.wq - (real_t) r.wx;
    }
    real_t hit = keep * wt;
    real_t loss = hit * (lse - xt);
    if (smoothing) loss += spread * (weight_total * lse - (real_t) r.wx);
    loss += z * lse * lse;
    *a = g * (hit + spread * weight_total + 2 * z * lse) / s;
    *b = g * spread;
    return loss;
}

/*
 * Writes the gradient of the classes cstart, cstart + cstep, ... (see cross_entropy_finish).
 * NOTE: on PoCL the loop must be simple for LLVM to vectorise it and its exp: with the target's test
 * `c == t` and the option branches inside, the fused call over 512 x 32000 took 1.1 s; with the
 * branch-free loops below, 0.32 s (the forward alone: 0.08 s). The target's element is written again
 * after the loop, from scratch, by the same work-item, so its value is computed in real_t as before
 * (no cancellation in float). A soft cap (cap > 0) takes the general loop, which caps each logit and
 * multiplies by the cap's derivative.
 */
DEVICE_FN void cross_entropy_write_grad(GLOBAL const float *x, GLOBAL const float *q, GLOBAL const float *w,
                                        jl_long base, jl_long stride, jl_long cstart, jl_long cstep,
                                        jl_long classes, jl_long t, real_t m, real_t a, real_t b, real_t g,
                                        real_t keep, real_t spread, int smoothing, real_t cap, GLOBAL float *gx) {
    if (q == 0 && stride == 1 && cstep == 1 && cap == 0) {
        /* class indices, a row's classes contiguous, one work-item (CPU devices): the simplest loops */
        GLOBAL const float *xr = x + base;
        GLOBAL float *gr = gx + base;
        real_t bs = smoothing ? b : (real_t) 0;
        if (w == 0) {
            for (jl_long c = cstart; c < classes; c++) {
                gr[c] = (float) (a * jl_exp((real_t) xr[c] - m) - bs);
            }
        } else {
            for (jl_long c = cstart; c < classes; c++) {
                gr[c] = (float) (a * jl_exp((real_t) xr[c] - m) - bs * (real_t) w[c]);
            }
        }
    } else {
        for (jl_long c = cstart; c < classes; c += cstep) {
            jl_long k = base + c * stride;
            real_t dv;
            real_t v = cross_entropy_logit((real_t) x[k], cap, &dv);
            real_t d = a * jl_exp(v - m);
            if (q != 0) {
                d -= b * class_target_weight(w, c) * ((real_t) q[k] * keep + spread);
            } else if (smoothing) {
                d -= b * class_target_weight(w, c);
            }
            gx[k] = (float) (d * dv);
        }
    }
    if (q == 0 && t >= cstart && t < classes && (t - cstart) % cstep == 0) {
        jl_long k = base + t * stride;
        real_t wt = class_target_weight(w, t);
        real_t dv;
        real_t v = cross_entropy_logit((real_t) x[k], cap, &dv);
        gx[k] = (float) ((a * jl_exp(v - m) - g * (keep * wt) - b * wt) * dv);
    }
}

/* The upstream gradient of position i, over the mean's denominator. */
DEVICE_FN real_t cross_entropy_upstream(GLOBAL const float *go, jl_long i, int flags, GLOBAL const acc_t *den,
                                        jl_long positions) {
    if (flags & CROSS_ENTROPY_FLAG_GO_PER_POSITION) return go != 0 ? (real_t) go[i] : (real_t) 1;
    real_t g = go != 0 ? (real_t) go[0] : (real_t) 1;
    if (den != 0) return g / (real_t) den[0];
    return (flags & CROSS_ENTROPY_FLAG_MEAN) ? g / (real_t) positions : g;
}

/*
 * An ignored position's gradient, elements lid, lid + lsize, ... of its row: left 0 (the buffer starts
 * at 0), or NaN where the row's log_softmax is NaN (a NaN or +inf logit, or every logit -inf: a
 * non-finite max). NOTE: PyTorch's log_softmax backward, grad - exp(out) sum(grad), is 0 - NaN * 0
 * there. Each work-item reads the whole row: no barrier, and only ignored rows pay.
 */
DEVICE_FN void cross_entropy_ignored_grad(GLOBAL const float *x, jl_long base, jl_long spatial, jl_long classes,
                                          jl_long lid, jl_long lsize, GLOBAL float *gx) {
    real_t m = -INFINITY;
    for (jl_long c = 0; c < classes; c++) {
        real_t v = x[base + c * spatial];
        m = v != v || m != m ? v + m : v > m ? v : m; /* Java's Math.max: NaN stays */
    }
    if (jl_fabs(m) < INFINITY) return;
    for (jl_long c = lid; c < classes; c += lsize) gx[base + c * spatial] = (float) (m - m);
}

/*
 * Position i in one work-item: checks its target, writes its loss and gradient; returns its loss and
 * adds its target's weight to *weights (0 and nothing for an ignored or invalid target).
 */
DEVICE_FN real_t cross_entropy_serial(GLOBAL const float *x, GLOBAL const jl_long *t64, GLOBAL const int *t32,
                                      GLOBAL const float *q, GLOBAL const float *w, jl_long i, jl_long positions,
                                      jl_long classes, jl_long spatial, jl_long ignore_index, real_t keep,
                                      real_t spread, real_t weight_total, int smoothing, int flags,
                                      GLOBAL const acc_t *den, GLOBAL const float *go, GLOBAL float *out,
                                      GLOBAL float *gx, GLOBAL int *err, real_t cap, real_t z, acc_t *weights) {
    jl_long t = -1;
    real_t wt = 0;
    if (q == 0) {
        t = class_target(t64, t32, i);
        if (!class_target_counts(t, classes, ignore_index, i, err)) {
            if (flags & CROSS_ENTROPY_FLAG_STORE_OUT) out[i] = 0;
            if (t == ignore_index && gx != 0) {
                jl_long n = i / spatial;
                cross_entropy_ignored_grad(x, n * classes * spatial + (i - n * spatial), spatial, classes, 0, 1, gx);
            }
            return 0;
        }
        wt = class_target_weight(w, t);
        *weights += wt;
    }
    jl_long n = i / spatial;
    jl_long base = n * classes * spatial + (i - n * spatial);
    cross_entropy_sweep_t r = cross_entropy_sweep(x, q, w, base, spatial, 0, 1, classes, keep, spread, smoothing,
                                                  cap);
    real_t g = gx != 0 ? cross_entropy_upstream(go, i, flags, den, positions) : (real_t) 0;
    real_t dv;
    real_t xt = t >= 0 ? cross_entropy_logit((real_t) x[base + t * spatial], cap, &dv) : (real_t) 0;
    real_t a;
    real_t b;
    real_t loss = cross_entropy_finish(r, t, xt, wt, keep, spread, weight_total, smoothing, z, g, &a, &b);
    if (flags & CROSS_ENTROPY_FLAG_STORE_OUT) out[i] = (float) loss;
    if (gx != 0) {
        cross_entropy_write_grad(x, q, w, base, spatial, 0, 1, classes, t, r.m, a, b, g, keep, spread, smoothing, cap,
                                 gx);
    }
    return loss;
}

/*
 * The loss of every position (see cross_entropy_finish), its gradient when gx != 0, and per-group
 * partial sums. x: logits; t64/t32: class indices (one null; both null with q); q: probabilities or
 * null; w: class weights or null; weight_total: sum_c w[c] (C without w); label_smoothing: eps;
 * den: a class-index mean's denominator when the gradient is wanted, else null (probabilities divide
 * by the number of positions). A target outside [0, C) that is not ignore_index reports its position
 * to err and is skipped. softcap: k (0: off); lse_square_scale: the z-loss scale (0: off); zcount: for a
 * weighted mean with z-loss, the count of positions not ignored (den then holds their weight sum), else null.
 */
KERNEL void cross_entropy_forward_backward(
        GLOBAL const float *x, GLOBAL const jl_long *t64, GLOBAL const int *t32, GLOBAL const float *q,
        GLOBAL const float *w, jl_long positions, jl_long classes, jl_long spatial, jl_long ignore_index,
        float label_smoothing, float weight_total, int flags, GLOBAL const acc_t *den, GLOBAL const float *go,
        GLOBAL float *out, GLOBAL acc_t *partials, GLOBAL acc_t *den_partials, GLOBAL float *gx,
        GLOBAL int *err, float softcap, float lse_square_scale, GLOBAL const acc_t *zcount) {
    LOCAL acc_t scratch[WGS];
    real_t cap = softcap;
    real_t z = lse_square_scale;
    if (zcount != 0) z *= (real_t) den[0] / (real_t) zcount[0];
    real_t eps = label_smoothing;
    real_t keep = 1 - eps;
    real_t spread = eps / (real_t) classes;
    real_t wtotal = weight_total;
    int smoothing = eps > 0;
    acc_t sum = 0;
    acc_t weights = 0;
    if (flags & CROSS_ENTROPY_FLAG_WIDE) {
#if defined(JL_CHUNKED) && !defined(JL_GROUP_ROWS)
        /* a CPU device runs a group's work-items in turn: one of them takes the group's rows */
        if (LOCAL_ID() == 0) {
            for (jl_long r = GROUP_ID(); r < positions; r += NUM_GROUPS()) {
                sum += cross_entropy_serial(x, t64, t32, q, w, r, positions, classes, spatial, ignore_index, keep,
                                            spread, wtotal, smoothing, flags, den, go, out, gx, err, cap, z,
                                            &weights);
            }
        }
#else
        for (jl_long r = GROUP_ID(); r < positions; r += NUM_GROUPS()) {
            /* t is the same for the whole group, so the skips below keep the barriers uniform */
            jl_long t = -1;
            real_t wt = 0;
            if (q == 0) {
                t = class_target(t64, t32, r);
                if (t == ignore_index || t < 0 || t >= classes) {
                    if (LOCAL_ID() == 0) {
                        class_target_counts(t, classes, ignore_index, r, err);
                        if (flags & CROSS_ENTROPY_FLAG_STORE_OUT) out[r] = 0;
                    }
                    if (t == ignore_index && gx != 0) {
                        jl_long n = r / spatial;
                        cross_entropy_ignored_grad(x, n * classes * spatial + (r - n * spatial), spatial, classes,
                                                   LOCAL_ID(), LOCAL_SIZE(), gx);
                    }
                    continue;
                }
                wt = class_target_weight(w, t);
                weights += wt;
            }
            jl_long n = r / spatial;
            jl_long base = n * classes * spatial + (r - n * spatial);
            cross_entropy_sweep_t part = cross_entropy_sweep(x, q, w, base, spatial, LOCAL_ID(), LOCAL_SIZE(),
                                                             classes, keep, spread, smoothing, cap);
            real_t m = group_max(part.m, scratch);
            /* a work-item that saw no finite logit holds s = 0 (or NaN): it adds s * 0 */
            cross_entropy_sweep_t row;
            row.m = m;
            row.s = group_sum(part.s * jl_exp(part.m - m), scratch);
            row.wq = q != 0 ? group_sum(part.wq, scratch) : 0;
            row.wx = q != 0 || smoothing ? group_sum(part.wx, scratch) : 0;
            real_t g = gx != 0 ? cross_entropy_upstream(go, r, flags, den, positions) : (real_t) 0;
            real_t dv;
            real_t xt = t >= 0 ? cross_entropy_logit((real_t) x[base + t * spatial], cap, &dv) : (real_t) 0;
            real_t a;
            real_t b;
            real_t loss = cross_entropy_finish(row, t, xt, wt, keep, spread, wtotal, smoothing, z, g, &a, &b);
            if (LOCAL_ID() == 0 && (flags & CROSS_ENTROPY_FLAG_STORE_OUT)) out[r] = (float) loss;
            if (gx != 0) {
                cross_entropy_write_grad(x, q, w, base, spatial, LOCAL_ID(), LOCAL_SIZE(), classes, t, m, a, b, g,
                                         keep, spread, smoothing, cap, gx);
            }
            /* every work-item holds the row's loss: sum stays uniform over the group */
            sum += loss;
        }
#endif
    } else {
        FOR_EACH_ITEM(i, positions) {
            sum += cross_entropy_serial(x, t64, t32, q, w, i, positions, classes, spatial, ignore_index, keep, spread,
                                        wtotal, smoothing, flags, den, go, out, gx, err, cap, z, &weights);
        }
    }
    /* NOTE: wide rows leave the group's sums in work-item 0 (on GPUs in every work-item) and they are
     * written as they are; only the per-position split needs a group_sum. */
    if (!(flags & CROSS_ENTROPY_FLAG_WIDE)) {
        if (flags & CROSS_ENTROPY_FLAG_PARTIALS) sum = group_sum(sum, scratch);
        if (flags & CROSS_ENTROPY_FLAG_DEN_PARTIALS) weights = group_sum(weights, scratch);
    }
    if (LOCAL_ID() == 0) {
        if (flags & CROSS_ENTROPY_FLAG_PARTIALS) partials[GROUP_ID()] = sum;
        if (flags & CROSS_ENTROPY_FLAG_DEN_PARTIALS) den_partials[GROUP_ID()] = weights;
    }
}
