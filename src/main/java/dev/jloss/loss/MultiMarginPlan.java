package dev.jloss.loss;

import dev.jloss.DType;
import dev.jloss.Reduction;
import dev.jloss.backend.KernelFamily;

/**
 * A validated {@link MultiMarginLoss} call: {@code rows} rows of {@code classes} contiguous scores,
 * one class index per row.
 *
 * @param fn         the loss's functional name, for data-dependent error messages
 * @param rows       N (1 for an unbatched input); may be 0
 * @param classes    C, at least 1
 * @param p          1 or 2
 * @param weight     C per-class weights (applied by each row's target class), or null
 * @param targetType int64 or int32 class indices
 * @param reduction  none: one value per row; mean: the row sum over {@code rows}; sum
 */
public record MultiMarginPlan(String fn, long rows, long classes, int p, double margin, float[] weight,
                              DType targetType, Reduction reduction) {

    public static final KernelFamily<MultiMarginPlan> FAMILY =
            new KernelFamily<>("multi_margin_loss", MultiMarginPlan.class);
}
