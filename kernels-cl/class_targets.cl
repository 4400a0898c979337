/*
 * class_targets.cl: the denominator of a class-index mean (nll_loss, cross_entropy) when a gradient
 * needs it before the loss pass. One work-item per target position (FOR_EACH_ITEM, the split the loss
 * kernels' per-position loops use), one partial per work-group; reduce_partials (reduce.cl) then adds
 * the partials in a fixed order into a device scalar the gradient kernel reads. Reads only the targets.
 */
#include "class_targets.h"

/*
 *   den_partials[group] = sum of w[t_i] (1 without w) over the group's positions i with t_i != ignore_index
 * A target outside [0, classes) reports its position to err and adds nothing.
 */
KERNEL void class_targets_weight_sum(GLOBAL const jl_long *t64, GLOBAL const int *t32, GLOBAL const float *w,
                                     jl_long positions, jl_long classes, jl_long ignore_index,
                                     GLOBAL acc_t *den_partials, GLOBAL int *err) {
    LOCAL acc_t scratch[WGS];
    acc_t sum = 0;
    FOR_EACH_ITEM(i, positions) {
        jl_long t = class_target(t64, t32, i);
        if (class_target_counts(t, classes, ignore_index, i, err)) sum += class_target_weight(w, t);
    }
    sum = group_sum(sum, scratch);
    if (LOCAL_ID() == 0) den_partials[GROUP_ID()] = sum;
}
