/*
 * cosine_embedding_loss.cl: PyTorch's cosine_embedding_loss, forward and both inputs' gradients in
 * one launch (dev.jloss.backend.cpu.CosineEmbeddingLossCpu is the reference).
 *
 * Work split (pairwise_rows.h): one segment of seg work-items per row, WGS / seg rows per group,
 * groups striding over the rows. One segmented reduction gives a row's dot product, both squared
 * magnitudes and, for an input whose row length 1 broadcasts, the other input's row sum; the
 * segment then writes the loss (reduction none) or adds it to its group's partial sum (finished
 * by reduce_partials), and writes the row's gradients, each element by the lane that owns it.
 *
 * Gradients go to g1, g2 at row r * d_k: the gradient itself when an input has every row, or a
 * (rows, d_k) temporary the host sums into the broadcast input's shape with broadcast_sum (a
 * fixed order: no float atomics). A row whose gradient is 0 is not written (the buffers start at 0).
 */
#include "pairwise_rows.h"

/* flags bits: CosineEmbeddingLossDevice.Flags, by name (KernelContractTest) */
#define COSINE_EMB_FLAG_STORE_OUT 1
#define COSINE_EMB_FLAG_PARTIALS 2
#define COSINE_EMB_FLAG_GO_PER_ROW 4

/*
 * n = (d1 == 1 ? d2 : d1), the broadcast row length; x1 and x2 rows read with step 0 where d_k != n.
 *   m1 = sum(x1^2) + eps (over x1's own d1 elements), m2 likewise, cos = sum_n(x1 x2) / sqrt(m1 m2)
 *   l = 1 - cos (y == 1), max(0, cos - margin) (y == -1), 0 otherwise
 *   dl/dcos = -1 (y == 1), [cos - margin >= 0] (y == -1), 0 otherwise; c = dl/dcos * upstream
 *   dx1_j = c (x2_j / sqrt(m1 m2) - cos x1_j / m1); a broadcast x1 (d1 == 1) sums the first term over n
 *   a row whose cosine is NaN (a NaN or inf in it) gets that gradient even at c = 0: NaN, as PyTorch
 * upstream: go[r] (flags & COSINE_EMB_FLAG_GO_PER_ROW), else (go ? go[0] : 1) / divisor.
 * The target is one of target_f, target_l, target_i (float32, int64, int32); the others are null.
 * NOTE: epsilon is ATen's constexpr float EPSILON (1e-12f), added to each squared magnitude.
 */
KERNEL void cosine_embedding_loss_forward_backward(
        GLOBAL const float *x1, GLOBAL const float *x2,
        GLOBAL const float *target_f, GLOBAL const jl_long *target_l, GLOBAL const int *target_i,
        GLOBAL const jl_long *meta, jl_long rows, jl_long d1, jl_long d2, jl_long seg_hint,
        float margin_hi, float margin_lo, float epsilon, int flags,
        GLOBAL float *out, GLOBAL acc_t *partials, GLOBAL const float *go, jl_long divisor,
        GLOBAL float *g1, GLOBAL float *g2) {
    LOCAL acc_t scratch[PAIR_MAX_VALUES * WGS];
    const jl_long seg = PAIR_SEGMENT(seg_hint);
    const jl_long n = d1 == 1 ? d2 : d1;
    const jl_long c1 = d1 == n ? 1 : 0;
    const jl_long c2 = d2 == n ? 1 : 0;
    const jl_long lane = LOCAL_ID() & (seg - 1);
    const jl_long per_group = WGS / seg;
    const real_t margin = pair_real(margin_hi, margin_lo);
    const real_t eps = (real_t) epsilon;
    const int want_grad = g1 != 0 || g2 != 0;
    const real_t go_scalar =
            (go != 0 && !(flags & COSINE_EMB_FLAG_GO_PER_ROW) ? (real_t) go[0] : (real_t) 1) / (real_t) divisor;
    acc_t loss_sum = 0;
    for (jl_long first = GROUP_ID() * per_group; first < rows; first += NUM_GROUPS() * per_group) {
        const jl_long r = first + LOCAL_ID() / seg;
        const int live = r < rows;
        jl_long o1 = 0;
        jl_long o2 = 0;
        /* dot, sum(x1^2), sum(x2^2), sum_n(x1) (for a broadcast x2), sum_n(x2) (for a broadcast x1) */
        acc_t v[PAIR_MAX_VALUES] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
        if (live) {
            o1 = pair_row_offset(meta, 0, r, d1);
            o2 = pair_row_offset(meta, 1, r, d2);
            FOR_EACH_IN_ROW(j, n, lane, seg) {
                real_t a = x1[o1 + j * c1];
                real_t b = x2[o2 + j * c2];
                v[0] += a * b;
                v[3] += a;
                v[4] += b;
            }
            FOR_EACH_IN_ROW(j, d1, lane, seg) {
                real_t a = x1[o1 + j];
                v[1] += a * a;
            }
            FOR_EACH_IN_ROW(j, d2, lane, seg) {
                real_t b = x2[o2 + j];
                v[2] += b * b;
            }
        }
        pair_seg_reduce(v, 5, PAIR_SUM, seg, scratch);
        if (!live) continue;
        const jl_long ot = pair_row_offset(meta, 2, r, 1);
        const real_t y = target_f != 0 ? (real_t) target_f[ot]
                : target_l != 0 ? (real_t) target_l[ot] : (real_t) target_i[ot];
        const real_t m1 = v[1] + eps;
        const real_t m2 = v[2] + eps;
        const real_t denom = jl_sqrt(m1 * m2);
        const real_t cosv = v[0] / denom;
        real_t l = 0;
        real_t dcos = 0;
        if (y == 1) {
            l = 1 - cosv;
            dcos = -1;
        } else if (y == -1) {
            real_t z = cosv - margin;
            l = pair_clamp0(z);
            dcos = z >= 0 ? (real_t) 1 : (real_t) 0;
        }
        if (lane == 0) {
            if (flags & COSINE_EMB_FLAG_STORE_OUT) out[r] = (float) l;
            loss_sum += l;
        }
        if (!want_grad) continue;
        const real_t c =
                dcos * ((flags & COSINE_EMB_FLAG_GO_PER_ROW) ? (go != 0 ? (real_t) go[r] : (real_t) 1) : go_scalar);
        /* NOTE: a NaN cosine (a NaN or inf in the row) still backpropagates: PyTorch's 0 * NaN is NaN */
        if (c == 0 && cosv == cosv) continue;
        const real_t cross = c / denom;
        const real_t self1 = c * cosv / m1;
        const real_t self2 = c * cosv / m2;
        if (g1 != 0) {
            if (c1) {
                FOR_EACH_IN_ROW(j, d1, lane, seg) {
                    g1[r * d1 + j] = (float) (cross * (real_t) x2[o2 + j * c2] - self1 * (real_t) x1[o1 + j]);
                }
            } else if (lane == 0) {
                g1[r] = (float) (cross * v[4] - self1 * (real_t) x1[o1]);
            }
        }
        if (g2 != 0) {
            if (c2) {
                FOR_EACH_IN_ROW(j, d2, lane, seg) {
                    g2[r * d2 + j] = (float) (cross * (real_t) x1[o1 + j * c1] - self2 * (real_t) x2[o2 + j]);
                }
            } else if (lane == 0) {
                g2[r] = (float) (cross * v[3] - self2 * (real_t) x2[o2]);
            }
        }
    }
    if (flags & COSINE_EMB_FLAG_PARTIALS) {
        loss_sum = group_sum(loss_sum, scratch);
        if (LOCAL_ID() == 0) partials[GROUP_ID()] = loss_sum;
    }
}
