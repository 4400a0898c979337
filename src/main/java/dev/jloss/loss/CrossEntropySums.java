package dev.jloss.loss;

/**
 * One micro-batch's cross-entropy as sums, with the denominators kept apart, so that micro-batches
 * combine into the mean of the whole batch (the normalisation that gradient-accumulation loops get
 * wrong when they average per-micro-batch means):
 * <pre>
 *   mean = lossSum / weightSum + zLossSum / count
 * </pre>
 * {@code lossSum} is the cross-entropy part ({@code sum_n l_n}, class-weighted, label smoothing
 * included), {@code zLossSum} the z-loss part ({@code sum_n s lse_n^2}, unweighted), {@code weightSum}
 * the sum of the targets' weights and {@code count} the number of targets, both over the positions
 * not ignored (equal without class weights). See {@link CrossEntropyLoss#sums} and
 * {@link CrossEntropyAccumulator}.
 *
 * <p>Example: micro-batch A with 3 targets and loss sum 6.0, B with 1 target and loss sum 0.4: the
 * batch mean is (6.0 + 0.4) / 4 = 1.6, not the mean of the means (2.0 + 0.4) / 2 = 1.2.
 */
public record CrossEntropySums(double lossSum, double zLossSum, double weightSum, long count) {
    /** No targets. */
    public static final CrossEntropySums ZERO = new CrossEntropySums(0, 0, 0, 0);

    public CrossEntropySums plus(CrossEntropySums o) {
        return new CrossEntropySums(lossSum + o.lossSum, zLossSum + o.zLossSum, weightSum + o.weightSum,
                count + o.count);
    }

    /**
     * {@code lossSum / weightSum + zLossSum / count}: the {@code reduction=mean} value of these targets
     * taken as one batch (NaN when every target is ignored, as in PyTorch).
     */
    public double mean() {
        return lossSum / weightSum + (zLossSum == 0 ? 0 : zLossSum / count);
    }

    /** {@code lossSum + zLossSum}: the {@code reduction=sum} value. */
    public double sum() {
        return lossSum + zLossSum;
    }
}
