/*
 * pairwise_rows.h: what the pairwise losses' kernels (cosine_embedding_loss.cl,
 * triplet_margin_loss.cl) share, valid as OpenCL C 1.2 and as CUDA C.
 *
 * Work split: a work-group of WGS work-items is cut into WGS / seg segments of seg work-items
 * (seg a power of two the host picks from the row length, at most WGS): each segment takes one
 * row, so a group takes one wide row or a block of narrow rows. A row's elements are shared among
 * its segment's lanes by FOR_EACH_IN_ROW, and pair_seg_reduce combines the lanes' partial sums (or
 * extremes) in a fixed tree, so a row's result is the same bitwise every run. CPU devices take
 * seg = 1, a row per work-item (PAIR_SEGMENT). Groups stride over the rows in blocks.
 *
 * Row offsets: dense layouts read row r of operand k at r * cols_k; otherwise meta =
 * {nd, shape[nd], strides_0[nd], strides_1[nd], strides_2[nd]} (dev.jloss.loss.RowBroadcast: the
 * broadcast leading shape and each operand's element strides along it, 0 where it broadcasts).
 */
#ifndef JLOSS_PAIRWISE_ROWS_H
#define JLOSS_PAIRWISE_ROWS_H
#include "reduce.h"

/* Most values one pair_seg_reduce call combines (triplet cosine: 3 sums for each of 3 pairs). */
#define PAIR_MAX_VALUES 9
#define PAIR_SUM 0
#define PAIR_MAX 1
#define PAIR_MIN 2

/*
 * PAIR_SEGMENT(hint): the segment width a kernel uses. GPUs take the host's hint (the row length
 * rounded up to a power of two, at most WGS). CPU devices (-DJL_CHUNKED) take 1: one work-item per
 * row, so a row needs no barriers; PoCL spends its time in barrier regions otherwise (measured 10x
 * slower than the Java loop on 100k rows of 64). The tunable -DPAIR_SEGMENTED=1 gives CPU devices
 * the GPUs' split too, so that PoCL tests it (CUDA always takes the hint).
 */
#ifndef PAIR_SEGMENTED
#define PAIR_SEGMENTED 0
#endif
#if defined(JL_CHUNKED) && !PAIR_SEGMENTED
#define PAIR_SEGMENT(hint) ((jl_long) 1)
#else
#define PAIR_SEGMENT(hint) (hint)
#endif

/*
 * FOR_EACH_IN_ROW(j, n, lane, seg): lane's share of a row's n elements, strided as FOR_EACH_ITEM is
 * on GPUs (neighbouring lanes read neighbouring elements). With one work-item per row (CPU
 * devices) it is the whole row in order, the contiguous run FOR_EACH_ITEM's JL_CHUNKED form gives.
 */
#define FOR_EACH_IN_ROW(j, n, lane, seg) for (jl_long j = (lane); j < (n); j += (seg))

/* a op b; a NaN operand wins, as with Java's Math.max / Math.min, which the CPU kernels use. */
DEVICE_FN acc_t pair_combine(int op, acc_t a, acc_t b) {
    if (op == PAIR_SUM) return a + b;
    if (a != a || b != b) return a + b;
    if (op == PAIR_MAX) return a > b ? a : b;
    return a < b ? a : b;
}

/*
 * Combines v[0..nv) of every work-item over its segment of seg work-items (op: PAIR_SUM, PAIR_MAX
 * or PAIR_MIN for all nv values); every work-item gets its segment's results in v. scratch holds
 * PAIR_MAX_VALUES * WGS acc_t.
 * NOTE: it has barriers: every work-item of the group must call it, the same number of times.
 */
DEVICE_FN void pair_seg_reduce(acc_t *v, int nv, int op, jl_long seg, LOCAL_PTR acc_t *scratch) {
    if (seg == 1) return; /* a row per work-item: nothing to combine (seg is uniform: no barrier is skipped by some only) */
    jl_long lid = LOCAL_ID();
    /* NOTE: loops over the constant PAIR_MAX_VALUES so that v stays in registers once unrolled */
    for (int k = 0; k < PAIR_MAX_VALUES; k++) {
        if (k < nv) scratch[k * WGS + lid] = v[k];
    }
    BARRIER();
    for (jl_long s = seg / 2; s > 0; s >>= 1) {
        if ((lid & (seg - 1)) < s) {
            for (int k = 0; k < nv; k++) {
                scratch[k * WGS + lid] = pair_combine(op, scratch[k * WGS + lid], scratch[k * WGS + lid + s]);
            }
        }
        BARRIER();
    }
    jl_long first = lid & ~(seg - 1);
    for (int k = 0; k < PAIR_MAX_VALUES; k++) {
        if (k < nv) v[k] = scratch[k * WGS + first];
    }
    BARRIER();
}

/* Where row r of the broadcast leading shape starts in operand k (of row length cols). */
DEVICE_FN jl_long pair_row_offset(GLOBAL const jl_long *meta, int k, jl_long r, jl_long cols) {
    if (meta == 0) return r * cols;
    int nd = (int) meta[0];
    GLOBAL const jl_long *shape = meta + 1;
    GLOBAL const jl_long *st = meta + 1 + (jl_long) (k + 1) * nd;
    jl_long off = 0;
    jl_long rem = r;
    for (int d = nd - 1; d >= 0; d--) {
        off += (rem % shape[d]) * st[d];
        rem /= shape[d];
    }
    return off;
}

/* A double option the host split into float hi + lo (kernel arguments are float): ~48 bits. */
DEVICE_FN real_t pair_real(float hi, float lo) { return (real_t) hi + (real_t) lo; }

/* Java's Math.max(z, 0.0): NaN stays NaN. */
DEVICE_FN real_t pair_clamp0(real_t z) { return z != z ? z : z > 0 ? z : (real_t) 0; }

/* Java's Math.max(a, b) / Math.min(a, b): a NaN operand gives NaN. */
DEVICE_FN real_t pair_max(real_t a, real_t b) { return a != a || b != b ? a + b : a > b ? a : b; }
DEVICE_FN real_t pair_min(real_t a, real_t b) { return a != a || b != b ? a + b : a < b ? a : b; }

/* Java's Math.signum: -1, 1, or v itself for zeros and NaN. */
DEVICE_FN real_t pair_signum(real_t v) { return v > 0 ? (real_t) 1 : v < 0 ? (real_t) -1 : v; }

/* PyTorch's sgn (ScalarTerm.sign): -1, 1, 0 for zeros and NaN. */
DEVICE_FN real_t pair_sgn(real_t v) { return v > 0 ? (real_t) 1 : v < 0 ? (real_t) -1 : (real_t) 0; }

#endif
