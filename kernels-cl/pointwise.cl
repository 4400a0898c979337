/*
 * pointwise.cl: every element-wise loss (L1, MSE, SmoothL1, Huber, BCE, BCEWithLogits, KLDiv,
 * PoissonNLL, GaussianNLL, SoftMargin, MarginRanking, HingeEmbedding) as one kernel specialised by
 * the term id (the term math lives in loss_terms.h): a kernel argument, which OpenCL hosts also pass as
 * -DTERM=<id> to build one specialised program per term (CUDA switches on the uniform argument).
 * Grid-stride loop over the output's elements:
 * each work-item evaluates the term, writes the per-element loss (reduction none) or accumulates
 * it (in acc_t) into its work-group's partial sum, and writes the gradient of each wanted operand
 * in the same pass. reduce_partials (reduce.cl) then adds the partials in a fixed order.
 *
 * Operands with the output's shape are read linearly (contiguous = 1); otherwise each operand's
 * element is found through its broadcast strides in meta = {nd, shape[nd], strides[6][nd]}
 * (operands a, b, c, weight, pos_weight). The gradient of a broadcast operand is written
 * per output element into a temporary and summed by broadcast_sum.
 *
 *   loss_i = w_i * term(a_i, b_i, c_i);  grad_k_i = gu_i * w_i * dterm/dk
 *   gu_i = go[i] (flags & GO_PER_ELEMENT), else (go ? go[0] : 1) * inv_divisor
 */
#include "reduce.h"

#ifdef TERM
#define JL_TERM TERM
#else
#define JL_TERM term
#endif

/* flags bits: PointwiseDevice.Flags, by name (KernelContractTest) */
#define PW_FLAG_STORE_OUT 1
#define PW_FLAG_PARTIALS 2
#define PW_FLAG_GO_PER_ELEMENT 4

KERNEL void pointwise_forward_backward(
        GLOBAL const float *a, GLOBAL const float *b, GLOBAL const float *c,
        GLOBAL const float *w, GLOBAL const float *pw, GLOBAL const jl_long *meta,
        jl_long n, int term, int nops, int contiguous, int flags, float p0, float p1,
        GLOBAL float *out, GLOBAL acc_t *partials,
        GLOBAL const float *go, float inv_divisor,
        GLOBAL float *ga, GLOBAL float *gb, GLOBAL float *gc,
        GLOBAL int *err) {
    LOCAL acc_t scratch[WGS];
    acc_t sum = 0;
    int nd = contiguous ? 0 : (int) meta[0];
    GLOBAL const jl_long *shape = meta + 1;
    real_t go_scalar = (real_t) (go != 0 && !(flags & PW_FLAG_GO_PER_ELEMENT) ? go[0] : 1.0f) * (real_t) inv_divisor;
    FOR_EACH_ITEM(i, n) {
        jl_long oa = i, ob = i, oc = i, ow = i, opw = i;
        if (!contiguous) {
            oa = ob = oc = ow = opw = 0;
            jl_long rem = i;
            for (int d = nd - 1; d >= 0; d--) {
                jl_long idx = rem % shape[d];
                rem /= shape[d];
                oa += idx * meta[1 + nd + d];
                ob += idx * meta[1 + 2 * nd + d];
                oc += idx * meta[1 + 3 * nd + d];
                ow += idx * meta[1 + 4 * nd + d];
                opw += idx * meta[1 + 5 * nd + d];
            }
        }
        real_t av = a[oa];
        real_t bv = nops > 1 ? (real_t) b[ob] : (real_t) 0;
        real_t cv = nops > 2 ? (real_t) c[oc] : (real_t) 0;
        real_t wv = w != 0 ? (real_t) w[ow] : (real_t) 1;
        real_t pwv = pw != 0 ? (real_t) pw[opw] : (real_t) 1;
        if (term_invalid_operand(JL_TERM, av, bv, cv) >= 0) {
            report_error(err, i);
            continue;
        }
        real_t v = wv * term_value(JL_TERM, (real_t) p0, (real_t) p1, av, bv, cv, pwv);
        if (flags & PW_FLAG_STORE_OUT) out[i] = (float) v;
        sum += v;
        if (ga != 0 || gb != 0 || gc != 0) {
            real_t gu = wv * ((flags & PW_FLAG_GO_PER_ELEMENT) ? (go != 0 ? (real_t) go[i] : (real_t) 1) : go_scalar);
            if (ga != 0) ga[i] = (float) (gu * term_grad(JL_TERM, 0, (real_t) p0, (real_t) p1, av, bv, cv, pwv));
            if (gb != 0) gb[i] = (float) (gu * term_grad(JL_TERM, 1, (real_t) p0, (real_t) p1, av, bv, cv, pwv));
            if (gc != 0) gc[i] = (float) (gu * term_grad(JL_TERM, 2, (real_t) p0, (real_t) p1, av, bv, cv, pwv));
        }
    }
    if (flags & PW_FLAG_PARTIALS) {
        sum = group_sum(sum, scratch);
        if (LOCAL_ID() == 0) partials[GROUP_ID()] = sum;
    }
}
