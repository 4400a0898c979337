/*
 * class_targets.h: class-index targets for the nll_loss and cross_entropy kernels (OpenCL C 1.2 and
 * CUDA C through loss_terms.h's macros), the device side of dev.jloss.backend.cpu.ClassTargetsCpu:
 * reading a target stored as int64 or int32 (the other pointer is null), its class weight, and the
 * range check whose failure reports the position to the call's error flag.
 *
 * A mean over class indices divides by the sum of w[t] over the positions whose target is not
 * ignore_index. A forward-only mean sums those weights in the loss kernel's own pass (one partial per
 * work-group, added by reduce_partials); a mean that writes the gradient needs the denominator
 * first, so class_targets_weight_sum (class_targets.cl) sums the targets' weights alone beforehand,
 * split over positions exactly as FOR_EACH_ITEM splits the loss kernels' one-position-per-work-item
 * loops, so that both ways give the same bits.
 */
#ifndef JLOSS_CLASS_TARGETS_H
#define JLOSS_CLASS_TARGETS_H
#include "reduce.h"

/* Target i, from an int64 or an int32 target tensor. */
DEVICE_FN jl_long class_target(GLOBAL const jl_long *t64, GLOBAL const int *t32, jl_long i) {
    return t64 != 0 ? t64[i] : (jl_long) t32[i];
}

/* w[t], or 1 without a weight: the weight a target contributes to its loss and to the mean's denominator. */
DEVICE_FN real_t class_target_weight(GLOBAL const float *w, jl_long t) {
    return w != 0 ? (real_t) w[t] : (real_t) 1;
}

/*
 * Whether target t at position i counts: 0 for ignore_index; 0 after reporting i to err for a target
 * outside [0, classes); else 1. NOTE: ignore_index is tested first, so an ignore_index outside the
 * class range (the default -100) is never an error.
 */
DEVICE_FN int class_target_counts(jl_long t, jl_long classes, jl_long ignore_index, jl_long i, GLOBAL int *err) {
    if (t == ignore_index) return 0;
    if (t < 0 || t >= classes) {
        report_error(err, i);
        return 0;
    }
    return 1;
}

#endif
