/*
 * multilabel_soft_margin_loss.cl: MultiLabelSoftMarginLoss (OpenCL C 1.2 and, through
 * kernels-cu/multilabel_soft_margin_loss.cu, CUDA C). One kernel writes each row's loss (reduction
 * none) or its work-group's partial sum and, in the same pass, the gradient; reduce_partials
 * (reduce.cl) finishes a reduced loss in a fixed order.
 *
 * Input, target and weight broadcast to one shape; a row is one element of that shape without the
 * class axis, its C terms lie along the class axis. Each operand is read through its own strides
 * over the broadcast shape (0 along broadcast dimensions): meta = {nd, row_shape[nd],
 * x_strides[nd], y_strides[nd], w_strides[nd], g_strides[nd]} over the row dimensions, and one
 * stride per operand along the class axis as arguments. The gradient goes to g at the element's
 * offset in the full broadcast shape (g_strides, gc: the shape's contiguous strides), which is the
 * input itself when the input is not broadcast; otherwise g is a temporary that broadcast_sum
 * (reduce.cl) folds back to the input's shape in a fixed order.
 *
 * How rows are split (flags & MULTILABEL_SOFT_MARGIN_FLAG_WIDE, chosen by the host from the row length):
 *   wide rows:   one work-group per row (groups stride over rows), work-items stride over classes
 *                and group_sum adds the row. On CPU devices (JL_CHUNKED) work-item 0 of each group
 *                takes the group's rows alone, unless JL_GROUP_ROWS is defined (the tests run the
 *                GPU path on PoCL that way);
 *   narrow rows: one work-item per row (FOR_EACH_ITEM over rows), the whole row in a loop.
 */
#include "reduce.h"

/* flags bits: MultiLabelSoftMarginLossDevice.Flags, by name (KernelContractTest) */
#define MULTILABEL_SOFT_MARGIN_FLAG_STORE_OUT 1   /* out[r] = the row's loss (reduction none) */
#define MULTILABEL_SOFT_MARGIN_FLAG_PARTIALS 2    /* partials[group] = the group's sum of row losses */
#define MULTILABEL_SOFT_MARGIN_FLAG_GO_PER_ROW 4  /* go holds one upstream gradient per row (reduction none) */
#define MULTILABEL_SOFT_MARGIN_FLAG_MEAN 8        /* a reduced loss is the mean over the rows */
#define MULTILABEL_SOFT_MARGIN_FLAG_WIDE 16       /* one work-group per row */

/* min(v, 0), NaN staying NaN (Java's Math.min, which the CPU backend uses). */
DEVICE_FN real_t multilabel_soft_margin_min0(real_t v) { return v > 0 ? (real_t) 0 : v; }

/*
 * One term, with e = exp(-|x|):
 *   log sigmoid(x) = min(x, 0) - log1p(e),  log sigmoid(-x) = min(-x, 0) - log1p(e)
 *   term = -w (y log sigmoid(x) + (1 - y) log sigmoid(-x))
 *   *grad = -w (y sigmoid(-x) - (1 - y) sigmoid(x)) scale     (when want_grad; sigmoids from e)
 */
DEVICE_FN real_t multilabel_soft_margin_term(real_t xv, real_t yv, real_t wv, real_t scale, int want_grad,
                                             real_t *grad) {
    real_t e = jl_exp(-jl_fabs(xv));
    real_t log1p_e = jl_log1p(e);
    real_t log_sig_pos = multilabel_soft_margin_min0(xv) - log1p_e;
    real_t log_sig_neg = multilabel_soft_margin_min0(-xv) - log1p_e;
    if (want_grad) {
        real_t inv = 1 / (1 + e);
        real_t sig_pos = xv >= 0 ? inv : e * inv;
        real_t sig_neg = xv >= 0 ? e * inv : inv;
        *grad = -(yv * sig_neg - (1 - yv) * sig_pos) * wv * scale;
    }
    return -(yv * log_sig_pos + (1 - yv) * log_sig_neg) * wv;
}

/* d loss / d row's term sum: the upstream gradient of row r over C (and over the rows for a mean). */
DEVICE_FN real_t multilabel_soft_margin_scale(GLOBAL const float *go, jl_long r, jl_long rows, jl_long divisor,
                                              int flags) {
    if (flags & MULTILABEL_SOFT_MARGIN_FLAG_GO_PER_ROW) {
        return (go != 0 ? (real_t) go[r] : (real_t) 1) / (real_t) divisor;
    }
    real_t s = (go != 0 ? (real_t) go[0] : (real_t) 1) / (real_t) divisor;
    return (flags & MULTILABEL_SOFT_MARGIN_FLAG_MEAN) ? s / (real_t) rows : s;
}

/*
 * The term sum of row r over the classes cstart, cstart + cstep, ... (all of them for a work-item
 * that owns the row, its share for a work-item of the row's work-group), writing their gradients.
 * The row's offset in each operand comes from decoding r over the row dimensions of meta.
 */
DEVICE_FN acc_t multilabel_soft_margin_row(GLOBAL const float *x, GLOBAL const float *y, GLOBAL const float *w,
                                           GLOBAL const jl_long *meta, jl_long r, jl_long cstart, jl_long cstep,
                                           jl_long classes, jl_long xc, jl_long yc, jl_long wc, jl_long gc,
                                           real_t scale, GLOBAL float *g) {
    int nd = (int) meta[0];
    jl_long xo = 0, yo = 0, wo = 0, g_off = 0;
    jl_long rem = r;
    for (int d = nd - 1; d >= 0; d--) {
        jl_long idx = rem % meta[1 + d];
        rem /= meta[1 + d];
        xo += idx * meta[1 + nd + d];
        yo += idx * meta[1 + 2 * nd + d];
        wo += idx * meta[1 + 3 * nd + d];
        g_off += idx * meta[1 + 4 * nd + d];
    }
    acc_t s = 0;
    for (jl_long j = cstart; j < classes; j += cstep) {
        real_t grad = 0;
        s += multilabel_soft_margin_term((real_t) x[xo + j * xc], (real_t) y[yo + j * yc],
                                         w != 0 ? (real_t) w[wo + j * wc] : (real_t) 1, scale, g != 0, &grad);
        if (g != 0) g[g_off + j * gc] = (float) grad;
    }
    return s;
}

/* Row r in one work-item: writes its gradient and loss, returns its loss. */
DEVICE_FN real_t multilabel_soft_margin_serial_row(GLOBAL const float *x, GLOBAL const float *y, GLOBAL const float *w,
                                                   GLOBAL const jl_long *meta, jl_long r, jl_long rows,
                                                   jl_long classes, jl_long divisor, jl_long xc, jl_long yc,
                                                   jl_long wc, jl_long gc, int flags, GLOBAL float *out,
                                                   GLOBAL const float *go, GLOBAL float *g) {
    real_t scale = g != 0 ? multilabel_soft_margin_scale(go, r, rows, divisor, flags) : (real_t) 0;
    acc_t row_sum = multilabel_soft_margin_row(x, y, w, meta, r, 0, 1, classes, xc, yc, wc, gc, scale, g);
    real_t loss = row_sum / (real_t) divisor;
    if (flags & MULTILABEL_SOFT_MARGIN_FLAG_STORE_OUT) out[r] = (float) loss;
    return loss;
}

/*
 * For row r and its C terms along the class axis:
 *   loss_r = sum_j term(x_j, y_j, w_j) / divisor        (divisor: the input's last size)
 *   g_j    = gu_r dterm/dx_j / divisor,  gu_r = go[r] (none) or go[0] (/ rows for mean); 1 without go
 * NOTE: classes may be 0 (an input of last size 0): each row's loss is then 0 / 0 = NaN, as in PyTorch.
 */
KERNEL void multilabel_soft_margin_loss_forward_backward(
        GLOBAL const float *x, GLOBAL const float *y, GLOBAL const float *w, GLOBAL const jl_long *meta,
        jl_long rows, jl_long classes, jl_long divisor, jl_long xc, jl_long yc, jl_long wc, jl_long gc,
        int flags, GLOBAL float *out, GLOBAL acc_t *partials, GLOBAL const float *go, GLOBAL float *g) {
    LOCAL acc_t scratch[WGS];
    acc_t sum = 0;
    if (flags & MULTILABEL_SOFT_MARGIN_FLAG_WIDE) {
#if defined(JL_CHUNKED) && !defined(JL_GROUP_ROWS)
        /* a CPU device runs a group's work-items in turn: one of them takes the group's rows */
        if (LOCAL_ID() == 0) {
            for (jl_long r = GROUP_ID(); r < rows; r += NUM_GROUPS()) {
                sum += multilabel_soft_margin_serial_row(x, y, w, meta, r, rows, classes, divisor, xc, yc, wc, gc,
                                                         flags, out, go, g);
            }
        }
#else
        for (jl_long r = GROUP_ID(); r < rows; r += NUM_GROUPS()) {
            real_t scale = g != 0 ? multilabel_soft_margin_scale(go, r, rows, divisor, flags) : (real_t) 0;
            acc_t row_sum = multilabel_soft_margin_row(x, y, w, meta, r, LOCAL_ID(), LOCAL_SIZE(), classes,
                                                       xc, yc, wc, gc, scale, g);
            row_sum = group_sum(row_sum, scratch);
            /* every work-item holds the row's sum: sum stays uniform over the group */
            real_t loss = row_sum / (real_t) divisor;
            if (LOCAL_ID() == 0 && (flags & MULTILABEL_SOFT_MARGIN_FLAG_STORE_OUT)) out[r] = (float) loss;
            sum += loss;
        }
#endif
    } else {
        FOR_EACH_ITEM(r, rows) {
            sum += multilabel_soft_margin_serial_row(x, y, w, meta, r, rows, classes, divisor, xc, yc, wc, gc,
                                                     flags, out, go, g);
        }
    }
    if (flags & MULTILABEL_SOFT_MARGIN_FLAG_PARTIALS) {
        /* NOTE: wide rows leave the group's sum in work-item 0 (on GPUs in every work-item) and it is
         * written as it is: a group_sum after a loop with barriers that updated sum only under
         * LOCAL_ID() == 0 came out 256x too large on PoCL. */
        if (!(flags & MULTILABEL_SOFT_MARGIN_FLAG_WIDE)) sum = group_sum(sum, scratch);
        if (LOCAL_ID() == 0) partials[GROUP_ID()] = sum;
    }
}
