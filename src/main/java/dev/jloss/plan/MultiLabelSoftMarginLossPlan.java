package dev.jloss.plan;

import dev.jloss.Reduction;

/**
 * A validated {@link MultiLabelSoftMarginLoss} call. Input, target and weight broadcast to
 * {@code shape}; the loss sums over {@code shape[classAxis]} (the input's last dimension, which is
 * not the last of {@code shape} only when the target or weight has more dimensions than the
 * input) and divides by {@code divisor}, the input's own last size, leaving one value per element
 * of {@code rowShape}. Each operand is read through element strides over {@code shape} (0 along
 * broadcast dimensions).
 *
 * @param fn             the loss's functional name
 * @param shape          the broadcast shape of input, target and weight
 * @param classAxis      the summed axis of {@code shape}
 * @param rowShape       {@code shape} without {@code classAxis}: the output shape for none
 * @param rows           the number of elements of {@code rowShape}
 * @param classes        {@code shape[classAxis]}, the terms summed per row
 * @param divisor        C, the input's last size (PyTorch divides by it, not by {@code classes})
 * @param inputStrides   strides of the input over {@code shape}
 * @param targetStrides  strides of the target over {@code shape}
 * @param weight         the weight's values, or null
 * @param weightStrides  strides of the weight over {@code shape}, or null
 * @param inputBroadcast whether the input is smaller than {@code shape}, so that its gradient is a
 *                       sum over the broadcast dimensions
 * @param reduction      none, mean (over {@code rows}) or sum
 */
public record MultiLabelSoftMarginLossPlan(String fn, long[] shape, int classAxis, long[] rowShape, long rows,
                                       long classes, long divisor, long[] inputStrides, long[] targetStrides,
                                       float[] weight, long[] weightStrides, boolean inputBroadcast,
                                       Reduction reduction) {

    public static final KernelFamily<MultiLabelSoftMarginLossPlan> FAMILY =
            new KernelFamily<>("multilabel_soft_margin_loss", MultiLabelSoftMarginLossPlan.class);
}
