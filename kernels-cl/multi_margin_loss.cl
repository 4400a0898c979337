/*
 * multi_margin_loss.cl: MultiMarginLoss (OpenCL C 1.2 and, through kernels-cu/multi_margin_loss.cu,
 * CUDA C). One kernel writes each row's loss (reduction none) or its work-group's partial sum and,
 * in the same pass, the gradient; reduce_partials (reduce.cl) finishes a reduced loss in a fixed
 * order. The rows of x are contiguous: row r is x[r * classes .. (r + 1) * classes).
 *
 * How the work is split (flags & MULTI_MARGIN_FLAG_WIDE, chosen by the host from the row length):
 *   wide rows:   one work-group per row (groups stride over rows); the work-items stride over the
 *                row's classes and group_sum adds the row's loss and the target's gradient. On CPU
 *                devices (JL_CHUNKED) work-item 0 of each group takes the group's rows alone, unless
 *                JL_GROUP_ROWS is defined (the tests run the GPU path on PoCL that way);
 *   narrow rows: one work-item per row (FOR_EACH_ITEM over rows), the whole row in a loop.
 * Each work-group leaves the sum of its rows' losses in partials[group].
 */
#include "reduce.h"

/* flags bits: MultiMarginLossDevice.Flags, by name (KernelContractTest) */
#define MULTI_MARGIN_FLAG_STORE_OUT 1   /* out[r] = the row's loss (reduction none) */
#define MULTI_MARGIN_FLAG_PARTIALS 2    /* partials[group] = the group's sum of row losses */
#define MULTI_MARGIN_FLAG_GO_PER_ROW 4  /* go holds one upstream gradient per row (reduction none) */
#define MULTI_MARGIN_FLAG_MEAN 8        /* a reduced loss is the mean over the rows */
#define MULTI_MARGIN_FLAG_WIDE 16       /* one work-group per row */

/* The class index of row r, from an int64 or an int32 target (the other pointer is null). */
DEVICE_FN jl_long multi_margin_target(GLOBAL const jl_long *t64, GLOBAL const int *t32, jl_long r) {
    return t64 != 0 ? t64[r] : (jl_long) t32[r];
}

/* d loss / d row's loss term: the upstream gradient of row r over C (and over N for a mean). */
DEVICE_FN real_t multi_margin_scale(GLOBAL const float *go, jl_long r, jl_long rows, jl_long classes, int flags) {
    if (flags & MULTI_MARGIN_FLAG_GO_PER_ROW) return (go != 0 ? (real_t) go[r] : (real_t) 1) / (real_t) classes;
    real_t s = (go != 0 ? (real_t) go[0] : (real_t) 1) / (real_t) classes;
    return (flags & MULTI_MARGIN_FLAG_MEAN) ? s / (real_t) rows : s;
}

/*
 * The classes cstart, cstart + cstep, ... of row r (target y, weight wy, upstream scale): writes
 * their gradients except the target's, sets *gy to minus their sum and returns their loss terms.
 */
DEVICE_FN acc_t multi_margin_row(GLOBAL const float *row, jl_long y, jl_long cstart, jl_long cstep, jl_long classes,
                                 int p, real_t margin, real_t wy, real_t scale, GLOBAL float *grow, acc_t *gy) {
    real_t xy = row[y];
    acc_t s = 0;
    acc_t g = 0;
    for (jl_long i = cstart; i < classes; i += cstep) {
        real_t z = margin - xy + (real_t) row[i];
        real_t d = 0;
        if (i != y && z > 0) {
            s += (p == 1 ? z : z * z) * wy;
            d = (p == 1 ? (real_t) 1 : 2 * z) * scale;
            g -= d;
        }
        if (grow != 0 && i != y) grow[i] = (float) d;
    }
    *gy = g;
    return s;
}

/* Row r in one work-item: checks its target, writes its gradient and loss, returns its loss (0 if invalid). */
DEVICE_FN real_t multi_margin_serial_row(GLOBAL const float *x, GLOBAL const jl_long *target64,
                                         GLOBAL const int *target32, GLOBAL const float *w, jl_long r, jl_long rows,
                                         jl_long classes, int p, real_t margin, int flags, GLOBAL float *out,
                                         GLOBAL const float *go, GLOBAL float *gx, GLOBAL int *err) {
    jl_long y = multi_margin_target(target64, target32, r);
    if (y < 0 || y >= classes) {
        report_error(err, r);
        return 0;
    }
    real_t wy = w != 0 ? (real_t) w[y] : (real_t) 1;
    real_t scale = gx != 0 ? wy * multi_margin_scale(go, r, rows, classes, flags) : (real_t) 0;
    acc_t gy;
    acc_t row_sum = multi_margin_row(x + r * classes, y, 0, 1, classes, p, margin, wy, scale,
                                     gx != 0 ? gx + r * classes : 0, &gy);
    if (gx != 0) gx[r * classes + y] = (float) gy;
    real_t loss = row_sum / (real_t) classes;
    if (flags & MULTI_MARGIN_FLAG_STORE_OUT) out[r] = (float) loss;
    return loss;
}

/*
 * For row r with target y, weight w (1 without one) and z_i = margin - x[y] + x[i]:
 *   loss_r     = sum_{i != y, z_i > 0} w[y] z_i^p / C
 *   dx[i]      = gu_r w[y] p z_i^(p-1) / C        (i != y, z_i > 0; else 0)
 *   dx[y]      = -sum_{i != y} dx[i]
 *   gu_r       = go[r] (none) or go[0] (/ N for mean); 1 without go
 * A target outside [0, C) reports its row to err (the row is then skipped).
 * NOTE: the hinge is strict (z > 0) as in PyTorch, so a NaN score contributes nothing.
 */
KERNEL void multi_margin_loss_forward_backward(
        GLOBAL const float *x, GLOBAL const jl_long *target64, GLOBAL const int *target32,
        GLOBAL const float *w, jl_long rows, jl_long classes, int p, float margin, int flags,
        GLOBAL float *out, GLOBAL acc_t *partials, GLOBAL const float *go, GLOBAL float *gx,
        GLOBAL int *err) {
    LOCAL acc_t scratch[WGS];
    acc_t sum = 0;
    if (flags & MULTI_MARGIN_FLAG_WIDE) {
#if defined(JL_CHUNKED) && !defined(JL_GROUP_ROWS)
        /* a CPU device runs a group's work-items in turn: one of them takes the group's rows */
        if (LOCAL_ID() == 0) {
            for (jl_long r = GROUP_ID(); r < rows; r += NUM_GROUPS()) {
                sum += multi_margin_serial_row(x, target64, target32, w, r, rows, classes, p, (real_t) margin, flags,
                                               out, go, gx, err);
            }
        }
#else
        for (jl_long r = GROUP_ID(); r < rows; r += NUM_GROUPS()) {
            /* y is the same for the whole group, so the skip below keeps the barriers uniform */
            jl_long y = multi_margin_target(target64, target32, r);
            if (y < 0 || y >= classes) {
                if (LOCAL_ID() == 0) report_error(err, r);
                continue;
            }
            real_t wy = w != 0 ? (real_t) w[y] : (real_t) 1;
            real_t scale = gx != 0 ? wy * multi_margin_scale(go, r, rows, classes, flags) : (real_t) 0;
            acc_t gy;
            acc_t row_sum = multi_margin_row(x + r * classes, y, LOCAL_ID(), LOCAL_SIZE(), classes, p,
                                             (real_t) margin, wy, scale, gx != 0 ? gx + r * classes : 0, &gy);
            row_sum = group_sum(row_sum, scratch);
            if (gx != 0) {
                gy = group_sum(gy, scratch);
                if (LOCAL_ID() == 0) gx[r * classes + y] = (float) gy;
            }
            /* every work-item holds the row's sum: sum stays uniform over the group */
            real_t loss = row_sum / (real_t) classes;
            if (LOCAL_ID() == 0 && (flags & MULTI_MARGIN_FLAG_STORE_OUT)) out[r] = (float) loss;
            sum += loss;
        }
#endif
    } else {
        FOR_EACH_ITEM(r, rows) {
            sum += multi_margin_serial_row(x, target64, target32, w, r, rows, classes, p, (real_t) margin, flags,
                                           out, go, gx, err);
        }
    }
    if (flags & MULTI_MARGIN_FLAG_PARTIALS) {
        /* NOTE: wide rows leave the group's sum in work-item 0 (on GPUs in every work-item) and it is
         * written as it is: a group_sum after a loop with barriers that updated sum only under
         * LOCAL_ID() == 0 came out 256x too large on PoCL. */
        if (!(flags & MULTI_MARGIN_FLAG_WIDE)) sum = group_sum(sum, scratch);
        if (LOCAL_ID() == 0) partials[GROUP_ID()] = sum;
    }
}
