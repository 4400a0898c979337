package dev.jloss.loss;

import dev.jloss.Reduction;
import dev.jloss.backend.KernelFamily;

/**
 * A validated {@link MultiLabelMarginLoss} call: {@code rows} rows of {@code classes} contiguous
 * float scores and, in the same layout, int64 labels (each row's labels end at its first -1).
 *
 * @param fn        the loss's functional name, for data-dependent error messages
 * @param rows      N (1 for an unbatched input); may be 0
 * @param classes   C, at least 1
 * @param reduction none: one value per row; mean: the row sum over {@code rows}; sum
 */
public record MultiLabelMarginPlan(String fn, long rows, long classes, Reduction reduction) {

    public static final KernelFamily<MultiLabelMarginPlan> FAMILY =
            new KernelFamily<>("multilabel_margin_loss", MultiLabelMarginPlan.class);
}
