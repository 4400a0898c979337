/*
 * multilabel_margin_loss.cl: MultiLabelMarginLoss (OpenCL C 1.2 and, through
 * kernels-cu/multilabel_margin_loss.cu, CUDA C). One kernel checks each row's labels, writes the
 * row's loss (reduction none) or its work-group's partial sum and, in the same pass, the gradient;
 * reduce_partials (reduce.cl) finishes a reduced loss in a fixed order. Rows of x and target are
 * contiguous: row r is [r * classes, (r + 1) * classes); a row's labels end at its first -1.
 *
 * The work is split by class, not by label: the work-item that owns class i computes every hinge
 * with i as the non-target (its loss terms and its gradient count) or, for a target class i, its
 * (negative) gradient count; so each gradient element has exactly one writer and no atomics.
 * How rows are split (flags & MULTILABEL_MARGIN_FLAG_WIDE, chosen by the host from the row length):
 *   wide rows:   one work-group per row (groups stride over rows); the work-items scan the labels
 *                together (group_max finds an invalid entry and the first -1), mark the row's
 *                targets in the group's slice of is_target (global scratch, classes ints per
 *                group, zero on entry and cleared again after each row), then stride over classes.
 *                On CPU devices (JL_CHUNKED) work-item 0 of each group takes the group's rows alone,
 *                unless JL_GROUP_ROWS is defined (the tests run the GPU path on PoCL that way);
 *   narrow rows (at most 32 classes): one work-item per row, its targets a 32-bit mask.
 */
#include "reduce.h"

/* flags bits: MultiLabelMarginLossDevice.Flags, by name (KernelContractTest) */
#define MULTILABEL_MARGIN_FLAG_STORE_OUT 1   /* out[r] = the row's loss (reduction none) */
#define MULTILABEL_MARGIN_FLAG_PARTIALS 2    /* partials[group] = the group's sum of row losses */
#define MULTILABEL_MARGIN_FLAG_GO_PER_ROW 4  /* go holds one upstream gradient per row (reduction none) */
#define MULTILABEL_MARGIN_FLAG_MEAN 8        /* a reduced loss is the mean over the rows */
#define MULTILABEL_MARGIN_FLAG_WIDE 16       /* one work-group per row */

/* d loss / d hinge count of row r: the upstream gradient of row r over C (and over N for a mean). */
DEVICE_FN real_t multilabel_margin_scale(GLOBAL const float *go, jl_long r, jl_long rows, jl_long classes, int flags) {
    if (flags & MULTILABEL_MARGIN_FLAG_GO_PER_ROW) return (go != 0 ? (real_t) go[r] : (real_t) 1) / (real_t) classes;
    real_t s = (go != 0 ? (real_t) go[0] : (real_t) 1) / (real_t) classes;
    return (flags & MULTILABEL_MARGIN_FLAG_MEAN) ? s / (real_t) rows : s;
}

/* Whether class k is one of the row's labels: from the group's mask (wide) or the bit mask (narrow). */
DEVICE_FN int multilabel_margin_is_target(GLOBAL const int *mask, unsigned int bits, jl_long k) {
    return mask != 0 ? mask[k] != 0 : (int) ((bits >> k) & 1u);
}

/*
 * Class i of one row (xr, tr: the row's scores and labels; labels: the entries before the first -1).
 * Returns the row's loss terms with i as the non-target, sum_j max(0, 1 - x[t_j] + x[i]), and sets
 * *count to i's gradient count: for a non-target i the number of those hinges that are active; for
 * a target i (only when want_count) minus how often i is listed times the number of non-targets k
 * with 1 - x[i] + x[k] > 0.
 * NOTE: a label listed twice counts twice, in the loss and in the gradient, as in PyTorch.
 */
DEVICE_FN real_t multilabel_margin_class(GLOBAL const float *xr, GLOBAL const jl_long *tr, jl_long labels,
                                         jl_long classes, jl_long i, GLOBAL const int *mask, unsigned int bits,
                                         int want_count, jl_long *count) {
    real_t xi = xr[i];
    real_t loss = 0;
    jl_long n = 0;
    if (!multilabel_margin_is_target(mask, bits, i)) {
        for (jl_long j = 0; j < labels; j++) {
            real_t z = 1 - (real_t) xr[tr[j]] + xi;
            if (z > 0) {
                loss += z;
                n++;
            }
        }
    } else if (want_count) {
        jl_long listed = 0;
        for (jl_long j = 0; j < labels; j++) listed += tr[j] == i;
        jl_long active = 0;
        for (jl_long k = 0; k < classes; k++) {
            real_t z = 1 - xi + (real_t) xr[k];
            if (!multilabel_margin_is_target(mask, bits, k) && z > 0) active++;
        }
        n = -listed * active;
    }
    *count = n;
    return loss;
}

/*
 * Row r in one work-item: checks its labels, marks them (in the 32-bit mask when mask is null, else
 * in mask, cleared again before returning), writes its gradient and loss, returns its loss (0 if
 * the row is invalid).
 */
DEVICE_FN real_t multilabel_margin_serial_row(GLOBAL const float *x, GLOBAL const jl_long *target, jl_long r,
                                              jl_long rows, jl_long classes, int flags, GLOBAL int *mask,
                                              GLOBAL float *out, GLOBAL const float *go, GLOBAL float *gx,
                                              GLOBAL int *err) {
    GLOBAL const float *xr = x + r * classes;
    GLOBAL const jl_long *tr = target + r * classes;
    jl_long labels = classes;
    for (jl_long j = 0; j < classes; j++) {
        jl_long v = tr[j];
        if (v < -1 || v >= classes) {
            report_error(err, r * classes + j);
            return 0;
        }
        if (v == -1 && labels == classes) labels = j;
    }
    unsigned int bits = 0;
    for (jl_long j = 0; j < labels; j++) {
        if (mask != 0) mask[tr[j]] = 1;
        else bits |= 1u << tr[j];
    }
    int want_count = gx != 0;
    real_t scale = want_count ? multilabel_margin_scale(go, r, rows, classes, flags) : (real_t) 0;
    acc_t row_sum = 0;
    for (jl_long i = 0; i < classes; i++) {
        jl_long count;
        row_sum += multilabel_margin_class(xr, tr, labels, classes, i, mask, bits, want_count, &count);
        if (want_count) gx[r * classes + i] = count != 0 ? (float) ((real_t) count * scale) : 0.0f;
    }
    for (jl_long j = 0; mask != 0 && j < labels; j++) mask[tr[j]] = 0;
    real_t loss = row_sum / (real_t) classes;
    if (flags & MULTILABEL_MARGIN_FLAG_STORE_OUT) out[r] = (float) loss;
    return loss;
}

/*
 * For row r with labels t_0 .. t_{m-1} (the entries before the first -1) and the rest of the
 * classes as non-targets i:
 *   loss_r = sum_j sum_{i non-target} max(0, 1 - x[t_j] + x[i]) / C
 *   dx[i]  = gu_r count_i / C,  count_i = #{j : hinge (j, i) active} (non-target i),
 *            count_{t} = -#{active hinges (j, i) : t_j = t}
 *   gu_r   = go[r] (none) or go[0] (/ N for mean); 1 without go
 * Every target entry must be -1 or a class index; the first that is not (lowest row, then lowest
 * position) goes to err as r * C + position, and its row is skipped.
 * NOTE: like PyTorch, entries after the first -1 are range-checked too.
 */
KERNEL void multilabel_margin_loss_forward_backward(
        GLOBAL const float *x, GLOBAL const jl_long *target, jl_long rows, jl_long classes, int flags,
        GLOBAL int *is_target, GLOBAL float *out, GLOBAL acc_t *partials, GLOBAL const float *go,
        GLOBAL float *gx, GLOBAL int *err) {
    LOCAL acc_t scratch[WGS];
    acc_t sum = 0;
    if (flags & MULTILABEL_MARGIN_FLAG_WIDE) {
        GLOBAL int *mask = is_target + GROUP_ID() * classes;
#if defined(JL_CHUNKED) && !defined(JL_GROUP_ROWS)
        /* a CPU device runs a group's work-items in turn: one of them takes the group's rows */
        if (LOCAL_ID() == 0) {
            for (jl_long r = GROUP_ID(); r < rows; r += NUM_GROUPS()) {
                sum += multilabel_margin_serial_row(x, target, r, rows, classes, flags, mask, out, go, gx, err);
            }
        }
#else
        int want_count = gx != 0;
        for (jl_long r = GROUP_ID(); r < rows; r += NUM_GROUPS()) {
            GLOBAL const float *xr = x + r * classes;
            GLOBAL const jl_long *tr = target + r * classes;
            acc_t bad = 0;
            acc_t end = (acc_t) classes;
            for (jl_long j = LOCAL_ID(); j < classes; j += LOCAL_SIZE()) {
                jl_long v = tr[j];
                if (v < -1 || v >= classes) {
                    report_error(err, r * classes + j);
                    bad = 1;
                } else if (v == -1 && (acc_t) j < end) {
                    end = (acc_t) j;
                }
            }
            bad = group_max(bad, scratch);
            jl_long labels = (jl_long) -group_max(-end, scratch);
            if (bad > 0) continue; /* uniform: the whole group skips the row */
            for (jl_long j = LOCAL_ID(); j < labels; j += LOCAL_SIZE()) mask[tr[j]] = 1;
            GLOBAL_BARRIER();
            real_t scale = want_count ? multilabel_margin_scale(go, r, rows, classes, flags) : (real_t) 0;
            acc_t row_sum = 0;
            for (jl_long i = LOCAL_ID(); i < classes; i += LOCAL_SIZE()) {
                jl_long count;
                row_sum += multilabel_margin_class(xr, tr, labels, classes, i, mask, 0u, want_count, &count);
                if (want_count) gx[r * classes + i] = count != 0 ? (float) ((real_t) count * scale) : 0.0f;
            }
            row_sum = group_sum(row_sum, scratch);
            GLOBAL_BARRIER(); /* every read of the mask is done before it is cleared */
            for (jl_long j = LOCAL_ID(); j < labels; j += LOCAL_SIZE()) mask[tr[j]] = 0;
            GLOBAL_BARRIER(); /* cleared before the next row marks */
            /* every work-item holds the row's sum: sum stays uniform over the group */
            real_t loss = row_sum / (real_t) classes;
            if (LOCAL_ID() == 0 && (flags & MULTILABEL_MARGIN_FLAG_STORE_OUT)) out[r] = (float) loss;
            sum += loss;
        }
#endif
    } else {
        FOR_EACH_ITEM(r, rows) {
            sum += multilabel_margin_serial_row(x, target, r, rows, classes, flags, 0, out, go, gx, err);
        }
    }
    if (flags & MULTILABEL_MARGIN_FLAG_PARTIALS) {
        /* NOTE: wide rows leave the group's sum in work-item 0 (on GPUs in every work-item) and it is
         * written as it is: a group_sum after a loop with barriers that updated sum only under
         * LOCAL_ID() == 0 came out 256x too large on PoCL. */
        if (!(flags & MULTILABEL_MARGIN_FLAG_WIDE)) sum = group_sum(sum, scratch);
        if (LOCAL_ID() == 0) partials[GROUP_ID()] = sum;
    }
}
