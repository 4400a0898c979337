/*
 * reduce.cl: the fixed-order epilogue of every reduced loss. Loss kernels leave one partial sum per
 * work-group (and, for a data-dependent mean, one partial denominator per work-group); this kernel,
 * launched as a single work-group, adds them in a fixed order and divides, so a loss is
 * deterministic run to run and never needs a host round trip for its denominator.
 *
 *   out[0] = sum(partials[0..n)) / (n_den > 0 ? sum(den[0..n_den)) : divisor)     (if out != 0)
 *   if den_out != 0: den_out[0] = the denominator used (for a later gradient kernel)
 * With n = 0 and out = 0 it only adds partial denominators into den_out (a gradient's mean denominator).
 */
#include "reduce.h"

KERNEL void reduce_partials(GLOBAL const acc_t *partials, jl_long n, GLOBAL const acc_t *den, jl_long n_den,
                            float divisor, GLOBAL float *out, GLOBAL acc_t *den_out) {
    LOCAL acc_t scratch[WGS];
    acc_t s = 0;
    for (jl_long i = LOCAL_ID(); i < n; i += WGS) s += partials[i];
    s = group_sum(s, scratch);
    acc_t d = divisor;
    if (n_den > 0) {
        acc_t t = 0;
        for (jl_long i = LOCAL_ID(); i < n_den; i += WGS) t += den[i];
        d = group_sum(t, scratch);
    }
    if (LOCAL_ID() == 0) {
        if (out != 0) out[0] = (float) (s / d);
        if (den_out != 0) den_out[0] = d;
    }
}

/*
 * The gradient of an operand that was broadcast: dst[j] = sum of full[i] over the output elements i
 * that read operand element j. meta = {nd, out_shape[nd], operand_strides[nd]} (stride 0 along the
 * broadcast dimensions). One work-item per operand element, summing in a fixed order.
 */
KERNEL void broadcast_sum(GLOBAL const float *full, GLOBAL const jl_long *meta, GLOBAL float *dst, jl_long n_dst) {
    int nd = (int) meta[0];
    GLOBAL const jl_long *shape = meta + 1;
    GLOBAL const jl_long *st = meta + 1 + nd;
    for (jl_long j = GROUP_ID() * LOCAL_SIZE() + LOCAL_ID(); j < n_dst; j += NUM_GROUPS() * LOCAL_SIZE()) {
        /* out index of the first element reading j: decode j over the operand's own dimensions */
        jl_long base = 0;
        jl_long rem = j;
        jl_long ostride = 1;
        jl_long m = 1;
        for (int d = nd - 1; d >= 0; d--) {
            if (st[d] != 0) {
                jl_long idx = (rem / st[d]) % shape[d];
                base += idx * ostride;
            } else {
                m *= shape[d];
            }
            ostride *= shape[d];
        }
        acc_t s = 0;
        for (jl_long k = 0; k < m; k++) {
            /* decode k over the broadcast dimensions */
            jl_long r = k;
            jl_long off = base;
            jl_long os = 1;
            for (int d = nd - 1; d >= 0; d--) {
                if (st[d] == 0) {
                    off += (r % shape[d]) * os;
                    r /= shape[d];
                }
                os *= shape[d];
            }
            s += full[off];
        }
        dst[j] = (float) s;
    }
}

/*
 * Fills n ints with value (zero-filled outputs, cleared error flags).
 * NOTE: PoCL's clEnqueueFillBuffer ran at ~170 MB/s (480 ms for 80 MB); this kernel runs at memory speed.
 */
KERNEL void fill_int(GLOBAL int *p, jl_long n, int value) {
    FOR_EACH_ITEM(i, n) {
        p[i] = value;
    }
}
