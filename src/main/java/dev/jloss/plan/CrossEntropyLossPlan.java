package dev.jloss.plan;

import dev.jloss.DType;
import dev.jloss.Reduction;

/**
 * A validated CrossEntropyLoss call. The input (logits) is read as {@code (batch, classes, spatial)}:
 * element {@code (n, c, s)} at {@code (n * classes + c) * spatial + s}, so the class dimension has
 * stride {@code spatial}; a kernel reduces over it once per position {@code n * spatial + s}.
 * With class-index targets the target holds one index per position; with class-probability
 * targets it has the input's shape and layout.
 *
 * @param fn                 the functional name, for data-dependent messages (a target out of range)
 * @param batch              N (1 for an unbatched input)
 * @param classes            C
 * @param spatial            S = d1 * ... * dk (1 without K-dim)
 * @param weight             per-class weight, C values, or null for all ones
 * @param ignoreIndex        class-index targets: the index whose positions contribute nothing
 * @param labelSmoothing     epsilon in [0, 1]: the target becomes (1 - eps) one-hot (or probabilities) + eps / C
 * @param probabilityTarget  true when the target holds class probabilities (float32, the input's shape)
 * @param reduction          none (one value per position), sum, or mean: over the sum of the targets'
 *                           weights for class indices, over the number of positions for probabilities
 * @param targetType         int64 or int32 for class indices, float32 for probabilities
 * @param lseSquareScale     z-loss scale s >= 0 (0: off): s lse^2 per position not ignored, unweighted; a
 *                           mean divides it by the count of those positions (class indices only)
 * @param softcap            k > 0 caps the logits to k tanh(x / k) before the softmax; 0: off (class indices only)
 */
public record CrossEntropyLossPlan(String fn, long batch, long classes, long spatial, float[] weight, long ignoreIndex,
                               double labelSmoothing, boolean probabilityTarget, Reduction reduction,
                               DType targetType, double lseSquareScale, double softcap) {

    public static final KernelFamily<CrossEntropyLossPlan> FAMILY =
            new KernelFamily<>("cross_entropy", CrossEntropyLossPlan.class);

    /**
     * True when a weighted class-index mean needs the count of positions not ignored beside the weight
     * sum: the z-loss term divides by the count, the cross-entropy part by the weight sum.
     */
    public boolean zNeedsCount() {
        return lseSquareScale != 0 && weight != null && reduction == Reduction.MEAN && !probabilityTarget;
    }

    /** Number of target positions, N * S. */
    public long positions() {
        return batch * spatial;
    }
}
