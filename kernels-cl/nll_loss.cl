/*
 * nll_loss.cl: NLLLoss (PyTorch's torch.nn.NLLLoss) and its gradient, as OpenCL C 1.2 and, through
 * kernels-cu/nll_loss.cu, CUDA C. The reference semantics are the CPU kernel's,
 * dev.jloss.backend.cpu.NllLossCpu.
 *
 * The input (log-probabilities) is read as (N, C, S) with S = d1 * ... * dk (1 without K-dim):
 * element (n, c, s) at (n * C + c) * S + s. The target holds one class index per position
 * i = n * S + s, N * S positions in all.
 *
 * Work split: one work-item per target position (FOR_EACH_ITEM: contiguous runs on CPU devices,
 * a grid-stride loop on GPUs). Each reads its target (range-checked as it is read), the one input
 * element it picks, and writes the loss (reduction none) or adds it to its work-group's partial sum,
 * and the gradient of that element, in the same launch. reduce_partials (reduce.cl) finishes a
 * reduced loss in a fixed order. A forward-only mean also leaves each work-group's sum of the
 * targets' weights (the mean's partial denominators) for reduce_partials; a mean that writes the
 * gradient reads its denominator from den, summed beforehand by class_targets_weight_sum.
 */
#include "class_targets.h"

/* flags bits: NLLLossDevice.Flags, by name (KernelContractTest) */
#define NLL_LOSS_FLAG_STORE_OUT 1        /* out[i] = the position's loss (reduction none) */
#define NLL_LOSS_FLAG_PARTIALS 2         /* partials[group] = the group's sum of losses */
#define NLL_LOSS_FLAG_GO_PER_POSITION 4  /* go holds one upstream gradient per position (reduction none) */
#define NLL_LOSS_FLAG_DEN_PARTIALS 8     /* den_partials[group] = the group's sum of the targets' weights */

/*
 * For position i = n * S + s with target t_i and weight w (ones without one):
 *   l_i = -w[t_i] x[n, t_i, s]                (0 where t_i == ignore_index)
 *   dx[n, t_i, s] = -w[t_i] g_i               (every other element of dx is left as it is: zero)
 *   g_i = go[i] (none), go[0] (sum) or go[0] / den[0] (mean); 1 without go
 * A target outside [0, C) that is not ignore_index reports its position to err and is skipped.
 * NOTE: PyTorch's order, grad = -(go / den) then times w[t]: a zero weight over a zero total is NaN.
 */
KERNEL void nll_loss_forward_backward(
        GLOBAL const float *x, GLOBAL const jl_long *t64, GLOBAL const int *t32, GLOBAL const float *w,
        jl_long positions, jl_long classes, jl_long spatial, jl_long ignore_index, int flags,
        GLOBAL const acc_t *den, GLOBAL const float *go, GLOBAL float *out, GLOBAL acc_t *partials,
        GLOBAL acc_t *den_partials, GLOBAL float *gx, GLOBAL int *err) {
    LOCAL acc_t scratch[WGS];
    acc_t sum = 0;
    acc_t weights = 0;
    real_t reduced = 0;
    if (gx != 0 && !(flags & NLL_LOSS_FLAG_GO_PER_POSITION)) {
        reduced = -((go != 0 ? (real_t) go[0] : (real_t) 1) / (den != 0 ? (real_t) den[0] : (real_t) 1));
    }
    FOR_EACH_ITEM(i, positions) {
        jl_long t = class_target(t64, t32, i);
        if (class_target_counts(t, classes, ignore_index, i, err)) {
            jl_long n = i / spatial;
            jl_long xi = (n * classes + t) * spatial + (i - n * spatial);
            real_t wt = class_target_weight(w, t);
            real_t l = -(real_t) x[xi] * wt;
            sum += l;
            weights += wt;
            if (flags & NLL_LOSS_FLAG_STORE_OUT) out[i] = (float) l;
            if (gx != 0) {
                real_t g = (flags & NLL_LOSS_FLAG_GO_PER_POSITION) ? -(go != 0 ? (real_t) go[i] : (real_t) 1) : reduced;
                gx[xi] = (float) (g * wt);
            }
        } else if (flags & NLL_LOSS_FLAG_STORE_OUT) {
            out[i] = 0;
        }
    }
    /* NOTE: unconditional on purpose: these two barrier-laden sums under `if (flags & ...)` made
     * PoCL 3.1's work-group loop spin forever (measured: the first reduced call never returned). */
    sum = group_sum(sum, scratch);
    weights = group_sum(weights, scratch);
    if (LOCAL_ID() == 0) {
        if (flags & NLL_LOSS_FLAG_PARTIALS) partials[GROUP_ID()] = sum;
        if (flags & NLL_LOSS_FLAG_DEN_PARTIALS) den_partials[GROUP_ID()] = weights;
    }
}
