/*
 * reduce.h: deterministic work-group sums for jloss kernels (OpenCL C and CUDA C). A tree over
 * local memory in a fixed order: the same inputs give bitwise the same sum every run. WGS (the
 * work-group size, a power of two) is a tunable the host passes with -D.
 */
#ifndef JLOSS_REDUCE_H
#define JLOSS_REDUCE_H
#include "loss_terms.h"

#ifndef WGS
#define WGS 256
#endif

#ifdef __CUDACC__
/* CUDA: warp shuffles, then one warp over the warps' sums; fixed order, so deterministic. */
DEVICE_FN acc_t warp_sum(acc_t v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}
DEVICE_FN acc_t warp_max(acc_t v) {
    for (int o = 16; o > 0; o >>= 1) {
        acc_t u = __shfl_down_sync(0xffffffffu, v, o);
        v = u > v ? u : v;
    }
    return v;
}
DEVICE_FN acc_t group_sum(acc_t v, LOCAL_PTR acc_t *scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < WGS / 32 ? scratch[lane] : (acc_t) 0;
        v = warp_sum(v);
        if (lane == 0) scratch[0] = v;
    }
    __syncthreads();
    acc_t total = scratch[0];
    __syncthreads();
    return total;
}
DEVICE_FN acc_t group_max(acc_t v, LOCAL_PTR acc_t *scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_max(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < WGS / 32 ? scratch[lane] : scratch[0];
        v = warp_max(v);
        if (lane == 0) scratch[0] = v;
    }
    __syncthreads();
    acc_t m = scratch[0];
    __syncthreads();
    return m;
}
#else
/* Sum of v over the work-group; every work-item gets the total. scratch holds WGS acc_t. */
DEVICE_FN acc_t group_sum(acc_t v, LOCAL_PTR acc_t *scratch) {
    long lid = LOCAL_ID();
    scratch[lid] = v;
    BARRIER();
    for (long s = WGS / 2; s > 0; s >>= 1) {
        if (lid < s) scratch[lid] += scratch[lid + s];
        BARRIER();
    }
    acc_t total = scratch[0];
    BARRIER();
    return total;
}

/* Max of v over the work-group; every work-item gets it. */
DEVICE_FN acc_t group_max(acc_t v, LOCAL_PTR acc_t *scratch) {
    long lid = LOCAL_ID();
    scratch[lid] = v;
    BARRIER();
    for (long s = WGS / 2; s > 0; s >>= 1) {
        if (lid < s && scratch[lid + s] > scratch[lid]) scratch[lid] = scratch[lid + s];
        BARRIER();
    }
    acc_t m = scratch[0];
    BARRIER();
    return m;
}
#endif

/* Records the lowest offending element index in err[0] (saturated to int range). */
DEVICE_FN void report_error(GLOBAL int *err, jl_long index) {
    int i = index > 2147483646 ? 2147483646 : (int) index;
    JL_ATOMIC_MIN_INT(err, i);
}

#endif
