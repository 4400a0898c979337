package dev.jloss.plan;

import dev.jloss.LossArgumentException;
import dev.jloss.Reduction;

/**
 * A validated element-wise loss: which term, the broadcast output shape, how each operand is read
 * (broadcast strides, one per output dimension; {@code contiguous} when every operand already has
 * the output's shape and there are no option tensors), the options, and what the reduction divides by.
 *
 * @param fn          the loss's functional name, for data-dependent error messages
 * @param argNames    the operand names, for data-dependent error messages
 * @param strides     per operand, its broadcast strides over {@code outShape}
 * @param weight      per-element weight broadcast over the output, or null
 * @param posWeight   BCEWithLogits' pos_weight broadcast over the output, or null
 * @param diff        operand indices to differentiate, in the loss's differentiable-argument order
 * @param divisor     1 for none/sum, the element count for mean, the batch size for batchmean
 */
public record PointwisePlan(String fn, String[] argNames, PointwiseTerm term, long[] outShape, long numel,
                            long[][] strides, boolean contiguous,
                            float[] weight, long[] weightStrides, float[] posWeight, long[] posWeightStrides,
                            double p0, double p1, Reduction reduction, double divisor, int[] diff) {

    /** The family every element-wise loss runs as. */
    public static final KernelFamily<PointwisePlan> FAMILY = new KernelFamily<>("pointwise", PointwisePlan.class);

    /** Operand {@code operand}'s element {@code element} fails the term's data check (BCE's [0, 1], var >= 0). */
    public LossArgumentException invalidElement(int operand, long element, float value) {
        return LossArgumentException.of(fn, "%s element %d is %s, expected %s", argNames[operand], element, value,
                term.expectation());
    }
}
