package dev.jloss.plan;

import dev.jloss.DType;
import dev.jloss.LossArgumentException;
import dev.jloss.Reduction;

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
public record MultiMarginLossPlan(String fn, long rows, long classes, int p, double margin, float[] weight,
                              DType targetType, Reduction reduction) {

    public static final KernelFamily<MultiMarginLossPlan> FAMILY =
            new KernelFamily<>("multi_margin_loss", MultiMarginLossPlan.class);

    /** A target outside {@code [0, classes)}: the CPU kernel throws it as it reads the row, the GPU backends rebuild it. */
    public LossArgumentException targetOutOfBounds(long target, long row) {
        return LossArgumentException.of(fn, "target %d (row %d) is out of bounds for %d classes, expected a class index in [0, %d)",
                target, row, classes, classes);
    }
}
