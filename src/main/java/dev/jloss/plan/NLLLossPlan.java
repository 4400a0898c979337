package dev.jloss.plan;

import dev.jloss.DType;
import dev.jloss.Reduction;

/**
 * A validated NLLLoss call. The input (log-probabilities) is read as {@code (batch, classes, spatial)}:
 * element {@code (n, c, s)} at {@code (n * classes + c) * spatial + s}; the target holds one class
 * index per position {@code n * spatial + s}, with {@code batch * spatial} positions in all.
 *
 * @param fn          the functional name, for data-dependent messages (a target out of range)
 * @param batch       N (1 for an unbatched input)
 * @param classes     C
 * @param spatial     S = d1 * ... * dk (1 without K-dim)
 * @param weight      per-class weight, C values, or null for all ones
 * @param ignoreIndex the class index whose positions contribute nothing (loss, weight or gradient)
 * @param reduction   none (one value per position), mean (sum over the sum of the targets' weights) or sum
 * @param targetType  int64 or int32
 */
public record NLLLossPlan(String fn, long batch, long classes, long spatial, float[] weight, long ignoreIndex,
                          Reduction reduction, DType targetType) {

    public static final KernelFamily<NLLLossPlan> FAMILY = new KernelFamily<>("nll_loss", NLLLossPlan.class);

    /** Number of target positions, N * S. */
    public long positions() {
        return batch * spatial;
    }
}
