package dev.jloss.plan;

import dev.jloss.LossArgumentException;
import dev.jloss.Reduction;

/**
 * A validated {@link MultiLabelMarginLoss} call: {@code rows} rows of {@code classes} contiguous
 * float scores and, in the same layout, int64 labels (each row's labels end at its first -1).
 *
 * @param fn        the loss's functional name, for data-dependent error messages
 * @param rows      N (1 for an unbatched input); may be 0
 * @param classes   C, at least 1
 * @param reduction none: one value per row; mean: the row sum over {@code rows}; sum
 */
public record MultiLabelMarginLossPlan(String fn, long rows, long classes, Reduction reduction) {

    public static final KernelFamily<MultiLabelMarginLossPlan> FAMILY =
            new KernelFamily<>("multilabel_margin_loss", MultiLabelMarginLossPlan.class);

    /** Target element {@code j} of {@code row} is neither -1 nor a class index: one message for every backend. */
    public LossArgumentException badTarget(long j, long row, long value) {
        return LossArgumentException.of(fn, "target element %d of row %d is %d, expected -1 (end of labels) or a class"
                + " index in [0, %d)", j, row, value, classes);
    }
}
